"""The ``rejected`` table: model suggestions a person removed, kept for binary training data
(``export --include-rejected``). Derived from the edits as the store applies them."""
from __future__ import annotations

from typing import Iterable

from models import contents, suggestions
from models.edits import Batch, Edit, ReplaceSpans
from models.project_file import StoreError
from models.spans import Span


def track(db, edit: Edit, mode: str, now: str) -> None:
    """Keep the table in step with an edit just applied.

    A model suggestion (a span whose source is not "manual") is *rejected* when a person's
    edit removes it and the same edit adds no span with the same start, end and label —
    deleting it, relabelling it, resizing it, or labelling a span over it all count;
    confirming it (or Done accepting it) does not. A person's edit is one that adds no model
    span: an edit that adds model spans is the model's own (``preannotate --force`` replacing
    its suggestions), which rejects nothing. Undo never records a rejection (undoing a
    pre-annotation is not a judgement of its spans); any edit that adds a model span back —
    the undo of a deletion, a redo, a re-run — removes its rejection again.

    Limit: an edit carries no author, so a ``--force`` re-run whose new model predicts
    nothing on a document (it removes the old suggestions and adds none) looks like a
    person deleting them and is recorded as rejecting them.
    """
    subs = edit.flat() if isinstance(edit, Batch) else [edit]
    subs = [e for e in subs if isinstance(e, ReplaceSpans)]
    if not subs:
        return
    added = [(e.doc_id, s) for e in subs for s in e.add]
    back = [(d, s) for d, s in added if not s.is_manual]
    for doc, s in back:
        db.execute("DELETE FROM rejected WHERE doc_id = ? AND start = ? AND end = ? "
                   "AND label = ? AND source = ?", [doc, s.start, s.end, s.label, s.source])
    if mode == "undo" or back:
        return
    kept = {(d, s.start, s.end, s.label) for d, s in added}
    for e in subs:
        for s in e.remove:
            if not s.is_manual and (e.doc_id, s.start, s.end, s.label) not in kept:
                db.execute("INSERT OR IGNORE INTO rejected(doc_id, start, end, label, "
                           "source, created) VALUES (?, ?, ?, ?, ?, ?)",
                           [e.doc_id, s.start, s.end, s.label, s.source, now])



class StoreRejections:
    """The store's reading and importing of rejected suggestions (mixed into ``Store``)."""

    def rejected(self, doc_id: int) -> list[Span]:
        """The model suggestions a person rejected on a document (sorted), with their source —
        except any that stands again as a span with the same start, end and label."""
        rows = self.db.execute(
            "SELECT r.start, r.end, r.label, r.source FROM rejected r WHERE r.doc_id = ? AND NOT "
            "EXISTS (SELECT 1 FROM spans s WHERE s.doc_id = r.doc_id AND s.start = r.start AND "
            "s.end = r.end AND s.label = r.label) ORDER BY r.start, r.end, r.label, r.source",
            [doc_id]).fetchall()
        if not rows:
            return []
        return contents.spans(doc_id, *self._bounds(doc_id), rows, "rejected suggestion")

    def add_rejected(self, doc_id: int, spans: Iterable[Span]) -> int:
        """Record rejected suggestions (from an import); return how many were new."""
        n = 0
        with self.write():
            now = self._time()
            for s in spans:
                if s.is_manual:
                    raise StoreError(f"a rejected suggestion needs a model source, not {s.source!r}")
                cur = self.db.execute("INSERT OR IGNORE INTO rejected(doc_id, start, end, label, "
                                      "source, created) VALUES (?, ?, ?, ?, ?, ?)",
                                      [doc_id, s.start, s.end, s.label, s.source, now])
                n += cur.rowcount
                suggestions.imported(self.db, doc_id, [s], now)     # rejected: it was suggested
        return n


__all__ = ["track", "StoreRejections"]
