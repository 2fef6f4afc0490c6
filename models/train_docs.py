"""Project documents as spaCy ``Doc`` objects for training (``models.train``): their spans as
entities, lined up with the tokenizer, and what had to change on the way said."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable


class Cancelled(Exception):
    """Raised inside spaCy's loop to stop training; spaCy saves model-last on the way out."""


# -- documents to spaCy Docs ----------------------------------------------------------------------
@dataclass(frozen=True)
class SpanChange:
    """A project span that had to change to line up with the tokenizer (or was left out)."""
    doc_id: int
    start: int
    end: int
    label: str
    text: str
    new_start: int | None = None       # None: left out (see ``reason``)
    new_end: int | None = None
    reason: str = "expanded to token boundaries"

    def __str__(self) -> str:
        where = f"document {self.doc_id}, {self.start}-{self.end} {self.label} {self.text!r}"
        if self.new_start is None:
            return f"{where}: left out ({self.reason})"
        return f"{where}: {self.reason} -> {self.new_start}-{self.new_end}"


def make_docs(items, nlp, cancelled: Callable[[], bool] | None = None
              ) -> tuple[list, list[SpanChange], list[SpanChange]]:
    """spaCy Docs of (Document, spans) pairs, tokenized by ``nlp``; their entities are the spans.

    Returns (docs, expanded, dropped). A span with whitespace at an edge is trimmed; a span
    that does not start and end on token boundaries is expanded to whole tokens
    (``char_span(..., alignment_mode="expand")``); both are reported in ``expanded``. A span
    that then overlaps one before it, or covers no token, is left out and reported in ``dropped``.
    ``cancelled()`` is asked every 100 documents; if it returns true, Cancelled is raised.
    """
    docs, expanded, dropped = [], [], []
    for k, (document, spans) in enumerate(items):
        if cancelled and k % 100 == 99 and cancelled():
            raise Cancelled()
        text = document.text
        doc = nlp.make_doc(text)
        ents = []
        for s in sorted(spans):
            start, end = s.start, s.end
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            change = SpanChange(document.id, s.start, s.end, s.label, text[s.start:s.end])
            ent = doc.char_span(start, end, label=s.label, alignment_mode="expand") if start < end else None
            if ent is None:
                dropped.append(replace(change, reason="covers no token"))
                continue
            if ents and ent.start < ents[-1].end:
                prev = ents[-1]
                dropped.append(replace(change, reason=f"overlaps {prev.start_char}-{prev.end_char} "
                                                    f"{prev.label_} once both line up with tokens"))
                continue
            if (ent.start_char, ent.end_char) != (s.start, s.end):
                reason = ("trimmed of whitespace" if (ent.start_char, ent.end_char) == (start, end)
                          else "expanded to token boundaries")
                expanded.append(replace(change, new_start=ent.start_char, new_end=ent.end_char,
                                      reason=reason))
            ents.append(ent)
        doc.ents = ents
        docs.append(doc)
    return docs, expanded, dropped
