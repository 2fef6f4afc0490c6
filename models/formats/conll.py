"""CoNLL-2003 style NER data: one token per line, IOB2 tags, a blank line after each sentence,
``-DOCSTART- -X- O O`` and a blank line before each document.

A token line has the four columns of CoNLL-2003 — ``token POS chunk tag`` — with ``_`` for the
POS and chunk columns, which the project does not have: ``Tokyo _ _ B-GPE``. Readers take the
first column as the token and the last as the tag. The document line is the one spaCy's
``spacy convert --converter ner`` splits documents at (the original CoNLL-2003 files have
``-DOCSTART- -X- -X- O``; readers that skip it — Hugging Face's, flair's — look only at the
first word, while spaCy would read that form as a sentence with a token "-DOCSTART-").

- Tokens are spaCy's (the rule tokenizer of a blank English pipeline), so punctuation is its own
  token ("Tokyo." is ``Tokyo`` and ``.``), split further where a span boundary falls inside one
  (a span made with the exact selection still has whole tokens).
- Whitespace is never a token: spaCy's whitespace tokens (runs of spaces, tabs, line breaks,
  NBSP, U+2028…) are left out, since a token line cannot hold them; a column separator inside a
  token would break every reader. Tags are unaffected (an entity is its non-space tokens).
- Sentences: the sentencizer's boundaries, and also every line break (a headline without a full
  stop is its own sentence). A sentence is never broken inside an entity: IOB2 has no ``I-`` at
  the start of a sentence.
"""
from __future__ import annotations

import functools
import re
from typing import Iterable, Iterator

from models.document import Document
from models.ner import WarmTokenizer, split_at
from models.spans import Span

DOCSTART = "-DOCSTART- -X- O O"
_NON_SPACE = re.compile(r"\S+")
_LINE_BREAK = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


@functools.lru_cache(maxsize=2)
def sentence_pipeline(lang: str = "en"):
    """spaCy's tokenizer and rule-based sentencizer: no model, ~fast as the tokenizer alone."""
    import spacy
    nlp = spacy.blank(lang)
    nlp.tokenizer = WarmTokenizer(nlp.tokenizer)
    nlp.add_pipe("sentencizer")
    return nlp


def sentences(text: str, sdoc, spans: list[Span]) -> list[list[tuple[str, str]]]:
    """The (token, IOB2 tag) sentences of one document, from its spaCy ``sdoc``."""
    starts = {s.start_char for s in sdoc.sents}
    pieces: list[tuple[int, int]] = []       # non-space tokens
    breaks: set[int] = set()                 # piece starts that begin a sentence
    pending = False
    for t in sdoc:
        a, b = t.idx, t.idx + len(t.text)
        if a in starts:
            pending = True
        if _LINE_BREAK.search(text, a, b):
            pending = True
        # A token may still hold whitespace spaCy kept inside it: cut it out.
        for m in _NON_SPACE.finditer(text, a, b):
            if pending:
                breaks.add(m.start())
                pending = False
            pieces.append((m.start(), m.end()))
    cuts = [c for s in spans for c in (s.start, s.end)]
    pieces = split_at(pieces, cuts)
    out: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    si, started = 0, False
    ordered = sorted(spans)
    for a, b in pieces:
        while si < len(ordered) and ordered[si].end <= a:
            si, started = si + 1, False
        span = ordered[si] if si < len(ordered) and ordered[si].start <= a else None
        inside = span is not None and started
        if a in breaks and current and not inside:
            out.append(current)
            current = []
        if span is None:
            tag = "O"
        else:
            tag = ("I-" if started else "B-") + span.label
            started = True
        current.append((text[a:b], tag))
    if current:
        out.append(current)
    return out


def write_conll(items: Iterable[tuple[Document, list[Span]]], out, batch_size: int = 64) -> Iterator[int]:
    """Write documents to the text stream ``out``; yields after each document (for progress)."""
    nlp = sentence_pipeline()
    buffer: list[tuple[Document, list[Span]]] = []

    def flush() -> Iterator[int]:
        for (doc, spans), sdoc in zip(buffer, nlp.pipe([d.text for d, _ in buffer], batch_size=batch_size)):
            out.write(DOCSTART + "\n\n")
            for sent in sentences(doc.text, sdoc, spans):
                out.write("".join(f"{tok} _ _ {tag}\n" for tok, tag in sent) + "\n")
            yield doc.id
        buffer.clear()
    for item in items:
        buffer.append(item)
        if len(buffer) >= batch_size:
            yield from flush()
    yield from flush()
