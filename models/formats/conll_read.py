"""CoNLL / IOB import: CoNLL-2003 (``token POS chunk NER``), 2-column ``token tag`` files, and
any number of columns in between — the token is the first column, the tag the last.

- **Documents**: a ``-DOCSTART-`` line starts one (ours, spaCy's ``-DOCSTART- -X- O O`` and the
  original ``-DOCSTART- -X- -X- O`` alike); a file without one is one document, or with
  ``doc_per_sentence`` every sentence (blank-line-separated block) is its own document.
  Sentences end at blank lines; CoNLL-U comment lines (``# sent_id = 3``) are skipped.
- **Tags**: IOB1, IOB2, BIOES and BILOU (``L-`` is read as ``E-``, ``U-`` as ``S-``). Chunks
  are read exactly as seqeval's lenient (default) ``get_entities`` reads them, sentence by
  sentence: an ``I-`` after ``O`` or after another type starts a chunk, a type change ends
  one. The scheme is told per file: any ``E-``/``S-`` (or ``L-``/``U-``) is BIOES; else a
  chunk begun by ``B-`` after ``O`` or at a sentence start is IOB2; else IOB1 (``I-`` starts a
  chunk, ``B-`` only parts two chunks of one type). In IOB2 and BIOES files a chunk begun by
  ``I-`` or ``E-``, or a BIOES chunk not closed by ``E-``, is ill-formed: reported with its
  line and read as seqeval reads it. A tag that is none of these (``PER``, ``X-PER``, ``B-``)
  is reported and read as ``O``; a line with one column is reported and its token read as O.
- **Text**: CoNLL cannot carry the original spacing, so the text is rebuilt from the tokens:
  one space between tokens, none before closing punctuation (``. , ; : ! ? ) ] } % …`` and
  closing quotes ``” ’ »``) or clitics (``'s 're 've 'll 'd 'm n't``, also with ``’``), none
  after opening brackets and quotes (``( [ { “ ‘ «``), a straight ``"`` opening and closing in
  turn within a sentence; sentences joined with a line break. A span covers its first to its
  last token in that text.
- Each document is **done** (a CoNLL file is finished annotation), its spans a person's; title:
  its first line; ``meta``: ``source``, ``document`` (its number in the file) and ``line`` (of
  its first token).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import BinaryIO, Iterator

from models.display import storable
from models.document import DONE
from models.formats.annotated import clean_spans
from models.formats.errors import ImportProblem, read_text
from models.formats.records import short
from models.formats.txt import headline

_TAG = re.compile(r"(?:O|([BIESLU])-(\S+))\Z")
_COMMENT = re.compile(r"#\s*\S+\s*=")
CLOSING = set(".,;:!?)]}%…”’»") | {"...", "''"}
CLITICS = {"'s", "'re", "'ve", "'ll", "'d", "'m", "n't", "’s", "’re", "’ve", "’ll", "’d", "’m", "n’t"}
OPENING = set("([{“‘«") | {"``"}


def _parts(tag: str) -> tuple[str, str] | None:
    """(prefix, type) of a tag — ("O", "_") for O — or None for a tag no scheme has."""
    m = _TAG.match(tag)
    if m is None:
        return None
    if m.group(1) is None:
        return "O", "_"
    prefix = {"L": "E", "U": "S"}.get(m.group(1), m.group(1))
    return prefix, m.group(2)


def _ends(prev: str, tag: str, prev_type: str, type_: str) -> bool:
    """Whether the chunk before ends here (seqeval's ``end_of_chunk``)."""
    if prev in ("E", "S"):
        return True
    if prev in ("B", "I") and tag in ("B", "S", "O"):
        return True
    return prev != "O" and prev_type != type_


def _starts(prev: str, tag: str, prev_type: str, type_: str) -> bool:
    """Whether a chunk starts here (seqeval's ``start_of_chunk``)."""
    if tag in ("B", "S"):
        return True
    if prev in ("E", "S", "O") and tag in ("E", "I"):
        return True
    return tag != "O" and prev_type != type_


def chunks(tags: list[tuple[str, str]]) -> list[tuple[str, int, int, bool, bool]]:
    """(type, first token, last token, begun by B-/S-, closed by E-/S-) of every chunk of one
    sentence's (prefix, type) tags, as seqeval's lenient ``get_entities`` reads them."""
    out = []
    prev, prev_type, begin = "O", "_", 0
    for i, (tag, type_) in enumerate([*tags, ("O", "_")]):
        if _ends(prev, tag, prev_type, type_) and prev != "O":
            out.append((prev_type, begin, i - 1, tags[begin][0] in ("B", "S"), prev in ("E", "S")))
        if _starts(prev, tag, prev_type, type_):
            begin = i
        prev, prev_type = tag, type_
    return out


def rebuild(sentences: list[list[str]]) -> tuple[str, list[list[tuple[int, int]]]]:
    """The text of a document's tokenised sentences and each token's (start, end) in it."""
    pieces: list[str] = []
    where: list[list[tuple[int, int]]] = []
    at = 0
    for k, sentence in enumerate(sentences):
        if k:
            pieces.append("\n")
            at += 1
        spans: list[tuple[int, int]] = []
        glue_next, quote_open = True, False      # no space before the sentence's first token
        for token in sentence:
            if token == '"':
                glued = glue_next or quote_open         # a closing quote hugs what it closes
                quote_open = not quote_open
                after = quote_open                      # an opening one hugs what follows
            else:
                glued = glue_next or token in CLOSING or token in CLITICS
                after = token in OPENING
            if not glued:
                pieces.append(" ")
                at += 1
            pieces.append(token)
            spans.append((at, at + len(token)))
            at += len(token)
            glue_next = after
        where.append(spans)
    return "".join(pieces), where


class _Doc:
    def __init__(self, line: int):
        self.line = line
        self.sentences: list[list[tuple[str, str, int]]] = []    # (token, tag, line)
        self.current: list[tuple[str, str, int]] = []

    def end_sentence(self) -> None:
        if self.current:
            self.sentences.append(self.current)
            self.current = []


def _scheme(docs: list[_Doc]) -> str:
    iob2 = False
    for doc in docs:
        for sentence in doc.sentences:
            prev = "O"
            for _tok, tag, _ in sentence:
                p = _parts(tag)
                if p is None:
                    continue
                if p[0] in ("E", "S"):
                    return "BIOES"
                if p[0] == "B" and prev == "O":
                    iob2 = True
                prev = p[0]
    return "IOB2" if iob2 else "IOB1"


def iter_conll(f: BinaryIO, file: str, source: str | None = None, *, doc_per_sentence: bool = False,
               encoding: str | None = None) -> Iterator[dict | ImportProblem]:
    """The documents of a CoNLL / IOB file and the problems found (see the module doc)."""
    text, problem = read_text(f, file, encoding)
    if problem:
        yield problem
        return
    docs: list[_Doc] = []
    problems: list[ImportProblem] = []
    doc: _Doc | None = None
    for lineno, line in enumerate(text.split("\n"), 1):
        line = line.rstrip("\r")
        fields = line.split("\t") if "\t" in line else line.split()
        fields = [x.strip() for x in fields if x.strip()]
        if not fields:
            if doc is not None:
                doc.end_sentence()
            continue
        if fields[0] == "-DOCSTART-":
            if doc is not None:
                doc.end_sentence()
            doc = None
            continue
        if line.startswith("#") and (_COMMENT.match(line) or len(fields) == 1 or _parts(fields[-1]) is None):
            continue
        if doc is None:
            doc = _Doc(lineno)
            docs.append(doc)
        tag = fields[-1] if len(fields) > 1 else "O"
        if len(fields) == 1:
            problems.append(ImportProblem(file, lineno, f"no tag column (token {short(fields[0])}): "
                                          "read as O", False))
        elif _parts(tag) is None:
            problems.append(ImportProblem(file, lineno, f"unknown tag {short(tag)} (expected O, or "
                                          "B-, I-, E-, S-, L-, U- and a type): read as O", False))
            tag = "O"
        doc.current.append((fields[0], tag, lineno))
    if doc is not None:
        doc.end_sentence()
    yield from problems
    if not docs:
        yield ImportProblem(file, None, "no token lines: nothing to import")
        return
    scheme = _scheme(docs)
    if doc_per_sentence:
        split = []
        for d in docs:
            for s in d.sentences:
                one = _Doc(s[0][2])
                one.sentences = [s]
                split.append(one)
        docs = split
    name = storable(source or Path(file).name)
    for number, d in enumerate(docs, 1):
        yield from _document(d, number, scheme, file, name)


def _document(d: _Doc, number: int, scheme: str, file: str, name: str) -> Iterator[dict | ImportProblem]:
    body, where = rebuild([[tok for tok, _, _ in s] for s in d.sentences])
    raw = []
    for sentence, offsets in zip(d.sentences, where):
        tags = [_parts(tag) or ("O", "_") for _, tag, _ in sentence]
        for type_, first, last, begun, closed in chunks(tags):
            at = sentence[first][2]
            prefix = sentence[first][1].split("-", 1)[0]
            if scheme != "IOB1" and not begun:
                yield ImportProblem(file, at, f"{prefix}-{type_} without B-{type_} before it: read as "
                                    f"the start of {type_} (as seqeval reads it)", False)
            elif scheme == "BIOES" and not closed:
                yield ImportProblem(file, sentence[last][2], f"{type_} not closed by E-{type_}: "
                                    "read as ending here (as seqeval reads it)", False)
            raw.append((f"{type_} at line {at}", offsets[first][0], offsets[last][1], type_, at))
    spans, found = clean_spans(raw, body, file, d.line)
    yield from found
    yield {"text": body, "title": headline(body) or f"{name} {number}", "spans": spans,
           "meta": {"source": name, "document": number, "line": d.line},
           "status": DONE, "line": d.line, "file": file}
