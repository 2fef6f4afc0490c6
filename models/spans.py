"""Spans: character ranges of a document's text with a label.

Offsets are Python ``str`` indices (code points) into the exact stored text, end
exclusive, as in spaCy. NER spans of one document never overlap.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Iterable, NamedTuple, Sequence

MANUAL = "manual"


class SpanError(ValueError):
    """A span that cannot stand against its text."""


class Span(NamedTuple):
    """A labelled range of a text. A named tuple (immutable, hashed and ordered as the tuple
    of its fields, like the frozen dataclass it was): 20,000 are built in C in ~3 ms (a frozen
    dataclass's ``__init__``, one Python call each: ~15 ms), what opening a long article costs."""
    start: int
    end: int
    label: str
    source: str = MANUAL
    entity: int = 0          # the entity it names (``entities`` row id), 0: none

    @property
    def is_manual(self) -> bool:
        return self.source == MANUAL

    def with_(self, **changes) -> "Span":
        return self._replace(**changes)

    def overlaps(self, start: int, end: int) -> bool:
        return self.start < end and start < self.end

    def to_dict(self) -> dict:
        d = {"start": self.start, "end": self.end, "label": self.label, "source": self.source}
        if self.entity:
            d["entity"] = self.entity
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Span":
        return cls(int(d["start"]), int(d["end"]), str(d["label"]), str(d.get("source", MANUAL)),
                   int(d.get("entity") or 0))


def validate(span: Span, text: str) -> None:
    """Raise SpanError unless ``span`` is a non-empty range inside ``text``."""
    if not isinstance(span.start, int) or not isinstance(span.end, int):
        raise SpanError(f"offsets must be integers, got {span.start!r}, {span.end!r}")
    if not 0 <= span.start < span.end <= len(text):
        raise SpanError(
            f"span {span.start}-{span.end} is empty, inverted or outside the text (length {len(text)})")
    if not span.label or not span.label.strip():
        raise SpanError(f"span {span.start}-{span.end} has no label")


def _start(s: Span) -> int:
    return s.start


def overlapping(spans: Sequence[Span], start: int, end: int) -> list[Span]:
    """Spans of a sorted, non-overlapping sequence that overlap [start, end). O(log n + k)."""
    # A span that starts before `start` can still reach into the range: look one back.
    i = max(bisect_right(spans, start, key=_start) - 1, 0)
    j = bisect_left(spans, end, lo=i, key=_start)
    return [s for s in spans[i:j] if s.overlaps(start, end)]


def span_at(spans: Sequence[Span], pos: int) -> Span | None:
    """The span of a sorted, non-overlapping sequence that contains character ``pos``."""
    i = bisect_right(spans, pos, key=_start) - 1
    if i >= 0 and spans[i].start <= pos < spans[i].end:
        return spans[i]
    return None


def index_of(spans: Sequence[Span], span: Span) -> int:
    """Index of ``span`` in a sorted sequence, or -1. O(log n)."""
    i = bisect_left(spans, span)
    return i if i < len(spans) and spans[i] == span else -1


def check_no_overlap(spans: Iterable[Span]) -> list[Span]:
    """Sorted list, raising SpanError if two spans overlap."""
    ordered = sorted(spans)
    for a, b in zip(ordered, ordered[1:]):
        if b.start < a.end:
            raise SpanError(f"spans {a.start}-{a.end} and {b.start}-{b.end} overlap")
    return ordered


class TokenBounds:
    """Token boundaries of a text (from spaCy's tokenizer) for snapping selections.

    ``tokens`` is a sorted list of (start, end) code-point pairs.
    """

    def __init__(self, tokens: Sequence[tuple[int, int]]):
        self.starts = [t[0] for t in tokens]
        self.ends = [t[1] for t in tokens]

    def __len__(self) -> int:
        return len(self.starts)

    def snap(self, start: int, end: int) -> tuple[int, int]:
        """Expand [start, end) to whole tokens; whitespace-only ranges give (start, start)."""
        if not self.starts:
            return start, end
        i = bisect_right(self.ends, start)          # first token ending after start
        j = bisect_left(self.starts, end) - 1       # last token starting before end
        if i > j:
            return start, start
        return self.starts[i], self.ends[j]

    def next_end(self, end: int) -> int | None:
        """End of the first token that ends after ``end``."""
        i = bisect_right(self.ends, end)
        return self.ends[i] if i < len(self.ends) else None

    def prev_end(self, end: int, start: int) -> int | None:
        """Largest token end before ``end`` and after ``start``."""
        i = bisect_left(self.ends, end) - 1
        return self.ends[i] if i >= 0 and self.ends[i] > start else None

    def prev_start(self, start: int) -> int | None:
        i = bisect_left(self.starts, start) - 1
        return self.starts[i] if i >= 0 else None

    def next_start(self, start: int, end: int) -> int | None:
        i = bisect_right(self.starts, start)
        return self.starts[i] if i < len(self.starts) and self.starts[i] < end else None
