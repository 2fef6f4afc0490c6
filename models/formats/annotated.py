"""What every reader of annotated data shares: spans checked against their text.

A span that cannot stand — offsets that are not integers, empty, inverted or outside the text,
a label the label set would refuse, or two spans that overlap (NER spans never do) — is left out
and reported as a warning with the file, the line and the span; the document is still imported
with its valid spans. Overlapping spans are all left out (which of them is right cannot be
told), the others are kept.
"""
from __future__ import annotations

from typing import Iterable

from models.formats.errors import ImportProblem
from models.formats.records import short
from models.labels import label_name_problem
from models.spans import MANUAL, Span

EXCERPT = 40


def excerpt(text: str, start: int, end: int) -> str:
    """The span's text for a message, shortened and with its line breaks visible."""
    piece = text[start:end]
    if len(piece) > EXCERPT:
        piece = piece[:EXCERPT - 1] + "…"
    return repr(piece)


def is_offset(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_span(start, end, label, text: str) -> str | None:
    """Why (start, end, label) cannot stand against ``text``, or None if it can. Offsets of any
    size are refused here, before SQLite (whose integers stop at 2**63) or a message (a number of
    4,000 digits is shown shortened) sees them."""
    if not is_offset(start) or not is_offset(end):
        return f"offsets must be integers, got {short(start)}, {short(end)}"
    if not 0 <= start < end <= len(text):
        return f"{short(start)}-{short(end)} is empty, inverted or outside the text (length {len(text)})"
    return label_name_problem(label)


def drop_overlapping(spans: Iterable[Span]) -> tuple[list[Span], list[list[Span]]]:
    """(sorted spans that overlap no other, groups of spans that overlap each other)."""
    ordered = sorted(spans)
    kept: list[Span] = []
    groups: list[list[Span]] = []
    group: list[Span] = []
    reach = -1                          # the furthest end in the current group

    def flush() -> None:
        if len(group) == 1:
            kept.append(group[0])
        elif group:
            groups.append(group)
    for s in ordered:
        if group and s.start < reach:
            group.append(s)
            reach = max(reach, s.end)
        else:
            flush()
            group = [s]
            reach = s.end
    flush()
    return kept, groups


def overlap_message(group: list[Span]) -> str:
    names = [f"{s.start}-{s.end}" for s in group]
    listed = ", ".join(names[:-1]) + " and " + names[-1]
    return f"spans dropped: spans {listed} overlap"


def clean_spans(raw: Iterable[tuple], text: str, file: str, line: int | None,
                source: str = MANUAL) -> tuple[list[Span], list[ImportProblem]]:
    """The valid spans of one document, and a warning for each one left out.

    ``raw``: (what to call the span in a message, start, end, label[, line]) in code points;
    a span's own line (a brat ``.ann`` line) is reported instead of ``line`` when given.
    """
    spans, problems = [], []
    lines: dict[Span, int | None] = {}
    for name, start, end, label, *where in raw:
        at = where[0] if where else line
        why = check_span(start, end, label, text)
        if why:
            what = (f"{name} ({short(start)}-{short(end)} {label if isinstance(label, str) else short(label)})"
                    if is_offset(start) and is_offset(end) else name)
            problems.append(ImportProblem(file, at, f"{what} skipped: {why}", False))
        else:
            span = Span(start, end, label, source)
            spans.append(span)
            lines.setdefault(span, at)
    spans, groups = drop_overlapping(spans)
    for group in groups:
        problems.append(ImportProblem(file, lines[group[0]], overlap_message(group) + ": " + ", ".join(
            f"{s.start}-{s.end} {s.label} {excerpt(text, s.start, s.end)}"
            + (f" (line {lines[s]})" if lines[s] != line else "") for s in group), False))
    return spans, problems
