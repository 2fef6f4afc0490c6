"""spaCy training data: ``DocBin`` (``.spacy``) files of ``Doc`` objects with ``ents``.

Export: each document is tokenized with spaCy's rule tokenizer (a blank English pipeline, no
model needed — what ``spacy train`` with ``spacy.blank("en")`` does too) and its spans are set
with ``Doc.char_span(..., alignment_mode="strict")``. A span that does not line up with those
tokens, or that begins or ends with a whitespace token (``spacy train`` cannot learn it; ``spacy
debug data`` calls it an error), is never dropped silently: it is returned as an issue, and the
caller stops unless a snap mode is given — ``"expand"`` / ``"contract"``: spaCy's alignment
modes, then whitespace tokens trimmed from both ends — in which case the issue says what became
of it (moved, or left out when no token is left or it would overlap the entity before it). The title, status and meta go into ``doc.user_data["article_annotator"]``
(kept by ``DocBin(store_user_data=True)``; ``spacy train`` ignores it), so nothing is lost on
the way back. The document id is left out: it is the project's own, and would make the same data
differ between projects.

Import: every ``Doc`` becomes a document: its exact text (``doc.text``), its ``ents`` as spans,
title, status and meta from that user data where present. Without it, a document comes in
**done** (training data is finished annotation) with the file's name as ``meta.source``.
"""
from __future__ import annotations

import gc
from typing import BinaryIO, Iterator

from models.document import DONE, STATUSES, Document
from models.formats.annotated import clean_spans
from models.display import shown, storable
from models.formats.entities import entity_ids
from models.formats.errors import ImportProblem
from models.formats.files import read_whole
from models.formats.records import MAX_DEPTH, document_problem, unexpected
from models.formats.txt import headline
from models.spans import Span

USER_DATA = "article_annotator"
SNAP_MODES = ("expand", "contract")


def to_doc(tokenizer, document: Document, spans: list[Span], snap: str | None = None,
           kb: dict[int, str] | None = None):
    """(spaCy Doc with ents, issues): an issue is (span, (start, end) it became or None if it
    was left out, what happened). ``kb``: entity id -> the ents' ``kb_id_``."""
    if snap is not None and snap not in SNAP_MODES:
        raise ValueError(f"snap must be one of {', '.join(SNAP_MODES)}, not {snap!r}")
    doc = tokenizer(document.text)
    ents, issues = [], []
    for s in sorted(spans):
        ent = doc.char_span(s.start, s.end, label=s.label, alignment_mode="strict")
        why = None
        if ent is None:
            why = "does not line up with spaCy's tokens"
        elif ent[0].is_space or ent[-1].is_space:
            why = "begins or ends with whitespace (spaCy cannot train on such an entity)"
        moved = None
        if why:
            if snap is None:
                issues.append((s, None, why))
                continue
            ent = doc.char_span(s.start, s.end, label=s.label, alignment_mode=snap)
            a, b = (ent.start, ent.end) if ent is not None else (0, 0)
            while a < b and doc[a].is_space:
                a += 1
            while b > a and doc[b - 1].is_space:
                b -= 1
            if a == b:
                issues.append((s, None, f"{why}; --snap {snap}: no token left; left out"))
                continue
            ent = doc[a:b]
            ent.label_ = s.label
            moved = (ent.start_char, ent.end_char)
        if s.entity and kb:
            ent.kb_id_ = kb[s.entity]
        if ents and ent.start < ents[-1].end:
            prev = ents[-1]
            issues.append((s, None, f"{why}; --snap {snap}: it would overlap {prev.start_char}-"
                                    f"{prev.end_char} {prev.label_}; left out"))
            continue
        if moved is not None:
            issues.append((s, moved, f"{why}; --snap {snap}: now {moved[0]}-{moved[1]} "
                                     f"{document.text[moved[0]:moved[1]]!r}"))
        ents.append(ent)
    doc.ents = ents
    doc.user_data[USER_DATA] = {"title": document.title, "status": document.status,
                                "meta": document.meta}
    return doc, issues


# What spacy train needs of each token: its text, whether a space follows (always kept), and
# the entity tags. DocBin's default also keeps NORM, TAG, HEAD, DEP, LEMMA, MORPH, POS,
# SENT_START and the KB ids — all empty here — at 8 bytes each a token: 100,000 articles took
# ~13 GB to write; with these three, a quarter of that.
ATTRS = ("ORTH", "ENT_IOB", "ENT_TYPE", "ENT_KB_ID")        # kb id: the entity a span names


def _bin_header(n: int) -> bytes:
    """msgpack's header of a ``bin`` of ``n`` bytes (the smallest form, as msgpack packs it)."""
    if n < 1 << 8:
        return b"\xc4" + n.to_bytes(1, "big")
    if n < 1 << 16:
        return b"\xc5" + n.to_bytes(2, "big")
    return b"\xc6" + n.to_bytes(4, "big")


def new_docbin():
    """A ``DocBin(attrs=ATTRS, store_user_data=True)`` that adds faster and writes with less
    memory, giving the file ``DocBin`` gives (tested):

    - ``add``: the strings are taken once per distinct token instead of nine per token, and the
      user data is packed with one reused msgpack packer (srsly builds a new one per call,
      looking up the registered encoders through the installed packages' entry points — a
      quarter of the time of the whole export);
    - ``write(f)``: streams ``to_bytes()``'s msgpack through zlib into ``f``, the token arrays
      one by one, instead of stacking them, copying them to bytes, packing and compressing the
      whole (four copies of the largest part of the data in memory at once).
    """
    import zlib

    import numpy
    from spacy.attrs import SPACY
    from spacy.tokens import DocBin
    from srsly.msgpack import Packer

    class _DocBin(DocBin):
        _packer = Packer(use_bin_type=True)

        def write(self, f) -> None:
            z = zlib.compressobj()
            pack = Packer(use_bin_type=True).pack

            def put(data: bytes) -> None:
                f.write(z.compress(data))

            def arrays(key: str, parts: list) -> None:
                put(pack(key) + _bin_header(sum(a.nbytes for a in parts)))
                for a in parts:
                    put(a.tobytes("C"))
            entries = 10 if self.store_user_data else 9
            put(bytes([0x80 | entries]) + pack("version") + pack(self.version)
                + pack("attrs") + pack(self.attrs))
            arrays("tokens", self.tokens)
            arrays("spaces", self.spaces)
            lengths = numpy.asarray([len(t) for t in self.tokens], dtype="int32").tobytes("C")
            put(pack("lengths") + pack(lengths))
            for key, value in (("strings", sorted(self.strings)), ("cats", self.cats),
                               ("flags", self.flags), ("span_groups", self.span_groups)):
                put(pack(key) + pack(value))
            if self.store_user_data:
                put(pack("user_data") + pack(self.user_data))
            f.write(z.flush())

        def add(self, doc) -> None:
            array = doc.to_array(self.attrs)
            self.tokens.append(array.reshape((array.shape[0], len(self.attrs))))
            spaces = doc.to_array(SPACY)
            self.spaces.append(numpy.asarray(spaces.reshape((spaces.shape[0], 1)), dtype=bool))
            self.flags.append({"has_unknown_spaces": doc.has_unknown_spaces})
            lookup = doc.vocab.strings
            self.strings.update(lookup[h] for h in set(array[:, 0].tolist()))
            self.strings.add("")                # the empty tag, lemma, kb id… DocBin.add adds
            self.strings.update(e.label_ for e in doc.ents)
            self.strings.update(e.kb_id_ for e in doc.ents)
            self.cats.append(doc.cats)
            self.user_data.append(self._packer.pack(doc.user_data))
            self.span_groups.append(doc.spans.to_bytes())
            assert not doc.spans, "span groups are not exported"

    return _DocBin(attrs=ATTRS, store_user_data=True)


# Reading a .spacy file. spaCy's DocBin.from_bytes is zlib.decompress then msgpack: 1.5 MB
# of zeros compressed (zlib compresses up to ~1000x) took 3.2 GB before any check could run.
# Here the data is inflated a piece at a time and refused once it passes a cap relative to the
# file: a DocBin of news text compresses ~8x (measured: 5,000 articles, 2.4 MB -> 20.5 MB; the
# same article 2,000 times, a duplicate import would skip, 127x); MAX_RATIO allows far more than
# real data needs, MIN_INFLATED lets a small file hold anything reasonable, and MAX_INFLATED
# (~200,000 articles) bounds memory whatever the file — about three times the cap at the peak
# (the inflated bytes, msgpack's objects, spaCy's token arrays). msgpack is then told how long
# an array or map may be: each element of a real DocBin's lists (one per document or per
# distinct string) stands for at least 8 bytes of token data.
MAX_RATIO = 100
MIN_INFLATED = 64 << 20
MAX_INFLATED = 2 << 30
INFLATE_CHUNK = 8 << 20


class Refused(ValueError):
    """A .spacy file not read, with why."""


def inflate_limit(size: int) -> int:
    return min(MAX_INFLATED, max(MIN_INFLATED, MAX_RATIO * size))


def inflate(data: bytes) -> bytearray:
    """``zlib.decompress(data)``, refused (Refused) past ``inflate_limit(len(data))`` bytes:
    never more than that limit plus one byte is held."""
    import zlib
    limit = inflate_limit(len(data))
    z = zlib.decompressobj()
    out = bytearray()
    pending = data
    try:
        while not z.eof:
            piece = z.decompress(pending, min(INFLATE_CHUNK, limit + 1 - len(out)))
            out += piece
            if len(out) > limit:
                raise Refused(f"refused: it decompresses to more than {limit:,} bytes (over "
                              f"{limit // max(len(data), 1):,} times its {len(data):,} bytes; a "
                              "DocBin compresses about 10 times) — a zip bomb, or not a DocBin")
            pending = z.unconsumed_tail
            if not piece and not pending:
                break                   # all input used, nothing more to come: cut short
    except zlib.error as e:
        raise Refused(f"not a spaCy DocBin (.spacy) file (not zlib data: {e})") from None
    if not z.eof:
        raise Refused("not a spaCy DocBin (.spacy) file (the compressed data ends early)")
    return out


def load_docbin(data: bytes):
    """The ``DocBin`` of a ``.spacy`` file's bytes, as ``DocBin.from_bytes`` makes it, with
    bounded memory (``inflate``, msgpack's lengths capped); Refused if it is not one."""
    import numpy
    import srsly
    from spacy.tokens import DocBin
    from thinc.api import NumpyOps
    raw = inflate(data)
    most = max(len(raw) // 8, 1024)
    try:
        msg = srsly.msgpack.loads(raw, raw=False, max_array_len=most, max_map_len=most)
        del raw
        db = DocBin()
        db.attrs = list(msg["attrs"])
        db.strings = set(msg["strings"])
        lengths = numpy.frombuffer(msg["lengths"], dtype="int32")
        flat_spaces = numpy.frombuffer(msg["spaces"], dtype=bool)
        flat_tokens = numpy.frombuffer(msg["tokens"], dtype="uint64")
        flat_tokens = flat_tokens.reshape((flat_tokens.size // len(db.attrs), len(db.attrs)))
        db.tokens = NumpyOps().unflatten(flat_tokens, lengths)
        db.spaces = NumpyOps().unflatten(flat_spaces.reshape((flat_spaces.size, 1)), lengths)
        db.cats = list(msg["cats"])
        db.span_groups = list(msg.get("span_groups", [b"" for _ in lengths]))
        db.flags = list(msg.get("flags", [{} for _ in lengths]))
        db.user_data = list(msg["user_data"]) if "user_data" in msg else [None] * len(lengths)
    except Exception as e:      # msgpack, numpy, missing keys: not a DocBin
        raise Refused(f"not a spaCy DocBin (.spacy) file ({type(e).__name__}: {str(e)[:120]})") from None
    if not len(db.tokens) == len(db.cats) == len(db.flags) == len(db.span_groups):
        raise Refused("not a spaCy DocBin (.spacy) file (its lists disagree on how many documents)")
    return db


def _doc(db, i: int, vocab, orth: int):
    """Document ``i`` of ``db`` (``DocBin.get_docs``, one document at a time: a bad one is
    skipped, not the rest of the file)."""
    import srsly
    from spacy.tokens import Doc
    from spacy.tokens._dict_proxies import SpanGroups
    tokens, spaces = db.tokens[i], db.spaces[i]
    if db.flags[i].get("has_unknown_spaces"):
        spaces = None
    doc = Doc(vocab, words=tokens[:, orth], spaces=spaces)
    doc = doc.from_array(db.attrs, tokens)
    doc.cats = db.cats[i]
    if db.span_groups[i] and db.span_groups[i] != SpanGroups._EMPTY_BYTES:
        doc.spans.from_bytes(db.span_groups[i])
    if i < len(db.user_data) and db.user_data[i] is not None:
        doc.user_data.update(srsly.msgpack.loads(db.user_data[i], raw=False, use_list=False))
    return doc


def _docs(db, vocab) -> Iterator:
    """(number from 1, Doc or the exception that stopped it) for every document of ``db``."""
    from spacy.attrs import ORTH
    for string in db.strings:
        vocab[string]
    orth = db.attrs.index(ORTH)
    for i in range(len(db.tokens)):
        try:
            yield i + 1, _doc(db, i, vocab, orth)
        except Exception as e:
            gc.enable()     # srsly.msgpack_loads (span groups) disables it, and leaves it off when it fails
            yield i + 1, e


def _plain(value):
    """msgpack gives tuples for lists (``use_list=False``): back to JSON's shapes."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def iter_docbin(f: BinaryIO, file: str, source: str | None = None) -> Iterator[dict | ImportProblem]:
    """The documents of a ``.spacy`` file (read whole: a DocBin is one compressed message).
    A document that cannot be read (its user data, its strings) is a problem of its own."""
    from spacy.vocab import Vocab
    data, why = read_whole(f)
    if why:
        yield ImportProblem(file, None, why)
        return
    if not data:
        yield ImportProblem(file, None, "file is empty")
        return
    try:
        db = load_docbin(data)
    except Refused as e:
        yield ImportProblem(file, None, str(e))
        return
    del data
    name = storable(source or file.rsplit("/", 1)[-1])
    n = 0
    for i, doc in _docs(db, Vocab()):
        n += 1
        if isinstance(doc, Exception):
            yield ImportProblem(file, None, f"document {i}: {_unreadable(doc)}")
            continue
        item = _document(doc, i, file, name)
        if isinstance(item, dict):
            yield from item.pop("problems")
        yield item
    if not n:
        yield ImportProblem(file, None, "the DocBin holds no documents")


def _unreadable(e: Exception) -> str:
    """Why one document of a DocBin could not be read: bad data (msgpack, spaCy's strings)
    said as such, anything else named as the defect it is."""
    from srsly.msgpack import StackError
    if isinstance(e, (StackError, RecursionError)):
        return f"its user data is nested more than {MAX_DEPTH} levels deep; skipped"
    if isinstance(e, (ValueError, KeyError, TypeError, AttributeError, IndexError)):
        # msgpack's errors are ValueErrors; the others: a list or map not of DocBin's shape
        detail = shown(str(e))[:120]
        return f"cannot be read ({type(e).__name__}{': ' + detail if detail else ''}); skipped"
    return unexpected(e, "it")


def _document(doc, i: int, file: str, name: str) -> dict | ImportProblem:
    text = doc.text
    if not text:
        return ImportProblem(file, None, f"document {i}: empty text; skipped")
    raw = [(f"document {i}: entity {k}", e.start_char, e.end_char, e.label_)
           for k, e in enumerate(doc.ents, 1)]
    spans, problems = clean_spans(raw, text, file, None)
    kb = entity_ids([(e.start_char, e.end_char, e.label_, e.kb_id_) for e in doc.ents if e.kb_id_],
                    spans, file, None, f"document {i}: ", problems)
    if any(len(group) for group in doc.spans.values()):
        problems.append(ImportProblem(file, None, f"document {i}: span groups (doc.spans) "
                                      "ignored; only doc.ents are entities", False))
    own = doc.user_data.get(USER_DATA)
    try:
        own = _plain(own) if isinstance(own, (dict, list, tuple)) else {}
    except RecursionError:
        return ImportProblem(file, None, f"document {i}: its user data is nested more than "
                             f"{MAX_DEPTH} levels deep; skipped")
    if not isinstance(own, dict):
        own = {}
    meta = own.get("meta") if isinstance(own.get("meta"), dict) else {"source": name}
    title = own.get("title") if isinstance(own.get("title"), str) else headline(text)
    status = own.get("status") if own.get("status") in STATUSES else DONE
    why = document_problem({"text": text, "title": title, "meta": meta, "spans": spans})
    if why:                 # msgpack holds what JSON cannot: NaN, bytes, extension types
        return ImportProblem(file, None, f"document {i}: {why}; skipped")
    return {"text": text, "title": title, "meta": meta, "spans": spans, "status": status,
            "line": i, "file": file, "problems": problems, **({"kb": kb} if kb else {})}
