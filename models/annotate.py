"""Model pre-annotation: run a pipeline over documents and commit its spans as edits."""
from __future__ import annotations

from typing import Callable

from models.document import DONE, IN_PROGRESS, NEW
from models.edits import ChangeLabels, ReplaceSpans
from models.graphemes import widen
from models.ner import Pipeline
from models.spans import Span
from models.store import Store


def model_edit(store: Store, doc_id: int, predicted: list[tuple[int, int, str]], source: str,
               text: str | None = None) -> ReplaceSpans | None:
    """The edit that adds the model's spans, leaving alone every span already there.

    Predictions that overlap an existing span (a person may have labelled while the model
    ran) are dropped: a person's span always wins.
    """
    current = store.spans(doc_id)
    if text is None:        # a batch passes the text it already read
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


def pending(store: Store, force: bool = False) -> list[int]:
    """Documents to pre-annotate, in id order.

    Normally: not done or skipped, no spans, never pre-annotated (so a second run resumes
    where the first stopped, and never brings back suggestions a person deleted).
    ``force``: every document not done or skipped that has no span a person made or confirmed
    (all its spans, if any, came from a model) — pre-annotated or not.
    """
    return store.model_only_ids() if force else store.unannotated_ids()


def rerun_edit(store: Store, doc_id: int, predicted: list[tuple[int, int, str]],
               source: str, text: str | None = None) -> ReplaceSpans | None:
    """For ``--force``: the edit replacing a document's model spans with new predictions.

    None if a person's span is on the document (it is left alone entirely) or nothing changes.
    """
    current = store.spans(doc_id)
    if any(s.is_manual for s in current):
        return None
    if text is None:
        text = store.document(doc_id).text if predicted else ""
    spans: list[Span] = []
    for start, end, label in predicted:
        start, end = widen(text, start, end)
        if not spans or not spans[-1].overlaps(start, end):
            spans.append(Span(start, end, label, source))
    if set(spans) == set(current):
        return None
    return ReplaceSpans(doc_id, tuple(current), tuple(spans),
                        f"Model pre-annotation again ({len(spans)} spans)")


def preannotate(store: Store, pipe: Pipeline, doc_ids: list[int], batch_size: int = 64,
                progress: Callable[[int, int], bool | None] | None = None,
                force: bool = False) -> int:
    """Pre-annotate ``doc_ids``, one transaction per batch; return how many spans were added.

    The model runs on a batch (``nlp.pipe``), then the batch is committed: one journaled
    ``ReplaceSpans`` edit per document through ``store.apply`` (so each can be undone), and
    the document is marked pre-annotated. Each document is checked again inside the
    transaction, so work done meanwhile (another connection, e.g. the GUI) wins: a document
    now done or skipped is left alone, and a prediction never overlaps a person's span.

    ``force`` (see ``pending(force=True)``): the document's model spans are replaced by the
    new predictions; a document on which a person's span now stands is left alone.
    ``progress(done, total)`` is called after each batch; returning False stops (cancel).
    Running it again resumes: finished documents are marked pre-annotated.
    """
    ensure_labels(store, pipe.labels)
    added = 0
    for i in range(0, len(doc_ids), batch_size):
        batch = doc_ids[i:i + batch_size]
        docs = [store.document(d) for d in batch]
        docs = [d for d in docs if d is not None]
        results = list(pipe.predict([d.text for d in docs], batch_size=batch_size))
        with store.write():
            for doc, predicted in zip(docs, results):
                row = store.document_row(doc.id)
                if row is None or row[2] not in (NEW, IN_PROGRESS):
                    continue
                if force:
                    edit = rerun_edit(store, doc.id, predicted, pipe.source, doc.text)
                    if edit is None and any(s.is_manual for s in store.spans(doc.id)):
                        continue
                else:
                    if store.preannotated(doc.id) is not None:
                        continue            # done meanwhile (the GUI, on opening it)
                    edit = model_edit(store, doc.id, predicted, pipe.source, doc.text)
                if edit:
                    store.apply(edit)
                    added += len(edit.add)
                store.mark_preannotated(doc.id, pipe.source)
        if progress and progress(min(i + batch_size, len(doc_ids)), len(doc_ids)) is False:
            break
    return added


__all__ = ["model_edit", "rerun_edit", "ensure_labels", "pending", "preannotate", "DONE"]


def wants_model(store: Store, doc_id: int) -> bool:
    """Should the model pre-annotate this document now? Only once, and never over work."""
    row = store.document_row(doc_id)
    if row is None or row[2] in (DONE, "skipped") or row[3]:
        return False
    return store.preannotated(doc_id) is None
