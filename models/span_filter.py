"""Which documents hold certain spans: what a click on a statistics bar or row lists in the
document list (``QueueQuery.spans``).

``SpanFilter(label)``: documents with a span of that label (``text``: of that text too).
With ``source``: documents marked done where that model (or patterns run) suggested such a
span, narrowed by what became of the suggestion (``fate``, as ``models/stats.py`` names it,
or "corrected": any but kept), or (``person``) relabelled to that label by a person.
"""
from __future__ import annotations

from dataclasses import dataclass

FATE_SQL = {
    # g: the suggestion; s: a final span of the same document
    "kept": "EXISTS (SELECT 1 FROM spans s WHERE s.doc_id = g.doc_id AND s.start = g.start "
            "AND s.end = g.end AND s.label = g.label)",
    "corrected": "NOT EXISTS (SELECT 1 FROM spans s WHERE s.doc_id = g.doc_id AND s.start = g.start "
                 "AND s.end = g.end AND s.label = g.label)",
    "relabelled": "EXISTS (SELECT 1 FROM spans s WHERE s.doc_id = g.doc_id AND s.start = g.start "
                  "AND s.end = g.end AND s.label != g.label)",
    "resized": "NOT EXISTS (SELECT 1 FROM spans s WHERE s.doc_id = g.doc_id AND s.start = g.start "
               "AND s.end = g.end) AND EXISTS (SELECT 1 FROM spans s WHERE s.doc_id = g.doc_id AND "
               "s.start < g.end AND g.start < s.end AND s.label = g.label)",
    "resized and relabelled": "NOT EXISTS (SELECT 1 FROM spans s WHERE s.doc_id = g.doc_id AND "
               "s.start < g.end AND g.start < s.end AND (s.label = g.label OR (s.start = g.start "
               "AND s.end = g.end))) AND EXISTS (SELECT 1 FROM spans s WHERE s.doc_id = g.doc_id AND "
               "s.start < g.end AND g.start < s.end)",
    "deleted": "NOT EXISTS (SELECT 1 FROM spans s WHERE s.doc_id = g.doc_id AND s.start < g.end "
               "AND g.start < s.end)",
}


@dataclass(frozen=True)
class SpanFilter:
    label: str | None = None
    text: str | None = None
    source: str | None = None
    fate: str | None = None
    person: str | None = None        # with source: relabelled (or resized and relabelled) to this

    def __post_init__(self):
        if self.fate is not None and self.fate not in FATE_SQL:
            raise ValueError(f"unknown fate {self.fate!r}")

    def sql(self) -> tuple[str, list]:
        """A condition on ``d`` (documents) and its arguments."""
        if self.source is None:
            where, args = self._label_text("s", ["s.doc_id = d.id"], [])
            return f"EXISTS (SELECT 1 FROM spans s WHERE {' AND '.join(where)})", args
        where, args = self._label_text("g", ["g.doc_id = d.id", "d.status = 'done'", "g.source = ?"],
                                       [self.source])
        if self.fate is not None:
            where.append(FATE_SQL[self.fate])
        if self.person is not None:
            where.append("EXISTS (SELECT 1 FROM spans s WHERE s.doc_id = g.doc_id AND s.start < g.end "
                         "AND g.start < s.end AND s.label = ? AND s.label != g.label)")
            args.append(self.person)
        return f"EXISTS (SELECT 1 FROM suggested g WHERE {' AND '.join(where)})", args

    def _label_text(self, a: str, where: list, args: list) -> tuple[list, list]:
        """The label and text conditions on the spans (or suggestions) aliased ``a``."""
        if self.label is not None:
            where.append(f"{a}.label = ?")
            args.append(self.label)
        if self.text is not None:       # the length first: substr only where it can match
            where.append(f"{a}.end - {a}.start = ? AND (SELECT substr(x.text, {a}.start + 1, "
                         f"{a}.end - {a}.start) FROM texts x WHERE x.doc_id = {a}.doc_id) = ?")
            args += [len(self.text), self.text]
        return where, args

    def first(self, spans, text: str):
        """The first of a document's ``spans`` that the filter points at (the window selects it
        when the document opens): of the person's label (``person``) or ``label``, with the
        text if one is given — a model's suggestion corrected: the span now on its text,
        whatever its label. None if none is left (a suggestion deleted)."""
        label = self.person or self.label
        by_text = [s for s in spans if self.text is not None and text[s.start:s.end] == self.text]
        if self.text is not None:
            same = [s for s in by_text if label is None or s.label == label]
            return (same or (by_text if self.source is not None else []) or [None])[0]
        return next((s for s in spans if label is None or s.label == label), None)

    def describe(self) -> str:
        """What the list shows, in words (strings not yet made safe to show)."""
        what = f"“{self.text}” as {self.label}" if self.text is not None else (self.label or "any label")
        if self.source is None:
            return f"documents with spans {what}"
        how = {None: "suggested", "corrected": "corrected"}.get(self.fate, self.fate)
        if self.person:
            how = f"relabelled to {self.person}"
        return f"done documents where {self.source}'s {what} was {how}"


__all__ = ["SpanFilter", "FATE_SQL"]
