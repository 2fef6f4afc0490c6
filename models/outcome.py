"""What a write changed: the answer of every edit, undo and redo (in the spirit of Anki's
``OpChanges``).

The store builds it while it applies the edit, inside the transaction, so whoever shows the
project (the window, a test) follows the change from the outcome without reading again what
the write has just computed: the journal entry, the span changes in the order applied, every
touched document's status as it now stands, and whether the label set changed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from models.edits import ReplaceSpans


@dataclass
class Outcome:
    mode: str                           # "do", "undo" or "redo"
    edit: object                        # what was applied (an undo: the entry's inverse)
    entry: int | None = None            # the journal entry written (do) or moved (undo, redo)
    origin: int | None = None           # the document whose history the entry belongs to
    spans: list[ReplaceSpans] = field(default_factory=list)   # span changes, in order
    statuses: dict[int, str] = field(default_factory=dict)    # touched document -> status now
    was: dict[int, str] = field(default_factory=dict)         # touched document -> status before
    labels: bool = False                # the label set changed
    label_set: object = None            # the label set after the write, when it changed
    entities: bool = False              # entities were created, changed or deleted
    dismissed: bool = False             # a checker finding was dismissed or brought back
    decided: bool = False               # a disagreement was settled or unsettled (adjudication)
    time: str | None = None             # when it was written (the documents' "updated")
    went_back: int | None = None        # an undo that took a Done back opened this document

    @property
    def text(self) -> str:
        """The step's name, as the Undo/Redo menu shows it."""
        return self.edit.text

    @property
    def docs(self) -> frozenset[int]:
        """Every document the write touched (spans or status)."""
        return frozenset(self.statuses)

    @property
    def moved(self) -> frozenset[int]:
        """The documents whose status the write changed."""
        return frozenset(d for d, st in self.statuses.items() if self.was.get(d) != st)

    def spans_of(self, doc_id: int) -> list[ReplaceSpans]:
        """The span changes of one document, in the order they were applied."""
        return [e for e in self.spans if e.doc_id == doc_id]

    @property
    def n_spans(self) -> int:
        """Spans removed plus spans added."""
        return sum(len(e.remove) + len(e.add) for e in self.spans)


__all__ = ["Outcome"]
