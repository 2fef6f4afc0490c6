"""Model pre-annotation: run a pipeline over documents and commit its spans as edits."""
from __future__ import annotations

from typing import Callable

from models.document import DONE, IN_PROGRESS, NEW
from models.edits import ChangeLabels, ReplaceSpans
from models.graphemes import widen
from models.ner import Pipeline
from models.spans import Span
from models.store import Store


def model_edit(store: Store, doc_id: int, predicted: list[tuple[int, int, str]], source: str) -> ReplaceSpans | None:
    """The edit that adds the model's spans, leaving alone every span already there.

    Predictions that overlap an existing span (a person may have labelled while the model
    ran) are dropped: a person's span always wins.
    """
    current = store.spans(doc_id)
    text = store.document(doc_id).text if predicted else ""
    spans: list[Span] = []
    for start, end, label in predicted:
        # A model may end an entity inside a ZWJ emoji or a flag: widen to whole clusters.
        start, end = widen(text, start, end)
        if not any(s.overlaps(start, end) for s in current + spans[-1:]):
            spans.append(Span(start, end, label, source))
    if not spans:
        return None
    return ReplaceSpans(doc_id, (), tuple(spans), f"Model pre-annotation ({len(spans)} spans)")


def ensure_labels(store: Store, names: list[str], doc_id: int | None = None) -> list[str]:
    """Add labels the model predicts that the label set lacks; return their names."""
    known = store.labels()
    new = []
    for name in dict.fromkeys(names):
        if name not in known:
            lab = known.new_label(name)
            known.labels.append(lab)
            new.append(lab)
    if new:
        store.apply(ChangeLabels(doc_id, tuple(new), (), "Labels from model"))
    return [lab.name for lab in new]


def pending(store: Store) -> list[int]:
    """Documents to pre-annotate: not done or skipped, no spans, never pre-annotated."""
    return [r[0] for r in store.db.execute(
        "SELECT id FROM documents d WHERE status IN (?, ?) AND preannotated IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM spans s WHERE s.doc_id = d.id) ORDER BY id",
        [NEW, IN_PROGRESS])]


def preannotate(store: Store, pipe: Pipeline, doc_ids: list[int], batch_size: int = 64,
                progress: Callable[[int, int], bool | None] | None = None) -> int:
    """Pre-annotate ``doc_ids``, one transaction per batch; return how many spans were added.

    ``progress(done, total)`` is called after each batch; returning False stops (cancel).
    Running it again resumes: finished documents are marked pre-annotated.
    """
    ensure_labels(store, pipe.labels)
    added = 0
    for i in range(0, len(doc_ids), batch_size):
        batch = doc_ids[i:i + batch_size]
        texts = [store.document(d).text for d in batch]
        results = list(pipe.predict(texts, batch_size=batch_size))
        with store.write():
            for doc_id, predicted in zip(batch, results):
                edit = model_edit(store, doc_id, predicted, pipe.source)
                if edit:
                    store.apply(edit)
                    added += len(edit.add)
                store.db.execute("UPDATE documents SET preannotated = ? WHERE id = ?",
                                 [pipe.source, doc_id])
        if progress and progress(min(i + batch_size, len(doc_ids)), len(doc_ids)) is False:
            break
    return added


__all__ = ["model_edit", "ensure_labels", "pending", "preannotate", "DONE"]


def wants_model(store: Store, doc_id: int) -> bool:
    """Should the model pre-annotate this document now? Only once, and never over work."""
    row = store.document_row(doc_id)
    if row is None or row[2] in (DONE, "skipped") or row[3]:
        return False
    return store.preannotated(doc_id) is None
