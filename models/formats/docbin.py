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

from typing import BinaryIO, Iterator

from models.document import DONE, STATUSES, Document
from models.formats.annotated import clean_spans
from models.formats.errors import ImportProblem
from models.formats.txt import headline
from models.spans import Span

USER_DATA = "article_annotator"
SNAP_MODES = ("expand", "contract")


def to_doc(tokenizer, document: Document, spans: list[Span], snap: str | None = None):
    """(spaCy Doc with ents, issues): an issue is (span, (start, end) it became or None if it
    was left out, what happened)."""
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


def new_docbin():
    """A ``DocBin(store_user_data=True)`` whose ``add`` packs the user data with one reused
    msgpack packer: srsly builds a new packer per call, and each looks up the registered
    msgpack encoders through the installed packages' entry points — a quarter of the time of
    the whole export. The bytes are those ``DocBin.add`` itself writes."""
    from spacy.tokens import DocBin
    from srsly.msgpack import Packer

    class _DocBin(DocBin):
        _packer = Packer(use_bin_type=True)

        def add(self, doc) -> None:
            self.store_user_data = False
            try:
                super().add(doc)
            finally:
                self.store_user_data = True
            self.user_data.append(self._packer.pack(doc.user_data))
            assert len(self.user_data) == len(self.tokens)

    return _DocBin(store_user_data=True)


def _plain(value):
    """msgpack gives tuples for lists (``use_list=False``): back to JSON's shapes."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def iter_docbin(f: BinaryIO, file: str, source: str | None = None) -> Iterator[dict | ImportProblem]:
    """The documents of a ``.spacy`` file (read whole: a DocBin is one compressed message)."""
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab
    try:
        data = f.read()
    except OSError as e:
        yield ImportProblem(file, None, f"cannot read file: {e.strerror or e}")
        return
    if not data:
        yield ImportProblem(file, None, "file is empty")
        return
    try:
        docs = DocBin().from_bytes(data).get_docs(Vocab())
    except Exception as e:          # zlib, msgpack or spaCy errors: not a DocBin
        yield ImportProblem(file, None, f"not a spaCy DocBin (.spacy) file ({type(e).__name__}: "
                            f"{str(e)[:120]})")
        return
    name = source or file.rsplit("/", 1)[-1]
    n = 0
    for i, doc in enumerate(docs, 1):
        n += 1
        text = doc.text
        if not text:
            yield ImportProblem(file, None, f"document {i}: empty text; skipped")
            continue
        raw = [(f"document {i}: entity {k}", e.start_char, e.end_char, e.label_)
               for k, e in enumerate(doc.ents, 1)]
        spans, problems = clean_spans(raw, text, file, None)
        yield from problems
        if any(len(group) for group in doc.spans.values()):
            yield ImportProblem(file, None, f"document {i}: span groups (doc.spans) ignored; "
                                "only doc.ents are entities", False)
        own = doc.user_data.get(USER_DATA)
        own = _plain(own) if isinstance(own, dict) else {}
        meta = own.get("meta") if isinstance(own.get("meta"), dict) else {"source": name}
        title = own.get("title") if isinstance(own.get("title"), str) else headline(text)
        status = own.get("status") if own.get("status") in STATUSES else DONE
        yield {"text": text, "title": title, "meta": meta, "spans": spans, "status": status,
               "line": i, "file": file}
    if not n:
        yield ImportProblem(file, None, "the DocBin holds no documents")
