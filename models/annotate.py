"""Model pre-annotation: run a pipeline over documents and commit its spans as edits."""
from __future__ import annotations

from collections import deque
from time import perf_counter, sleep
from typing import Callable

from models.document import DONE, IN_PROGRESS, NEW
from models.edits import (MODEL_PREANNOTATION, PATTERN_PREANNOTATION, ChangeEntities, ChangeLabels,
                          ReplaceSpans)
from models.graphemes import widen
from models.ner import Pipeline
from models.spans import Span, overlapping
from models.store import Store
from models.store_ruler import entries
from models.write_sharing import Sharing


def whole_clusters(text: str, predicted: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Predictions widened to whole grapheme clusters: a model may end an entity inside a ZWJ
    emoji or a flag. (Reads nothing: a batch does it before its write transaction.)"""
    return [(*widen(text, start, end), label) for start, end, label in predicted]


def model_edit(store: Store, doc_id: int, predicted: list[tuple[int, int, str]], source: str,
               text: str | None = None, whole: bool = False) -> ReplaceSpans | None:
    """The edit that adds the model's spans, leaving alone every span already there.

    Predictions that overlap an existing span (a person may have labelled while the model
    ran) are dropped: a person's span always wins. ``whole``: ``predicted`` is already
    widened (``whole_clusters``).
    """
    current = store.spans(doc_id)
    if not whole:
        if text is None:        # a batch passes the text it already read
            text = store.document(doc_id).text if predicted else ""
        predicted = whole_clusters(text, predicted)
    spans: list[Span] = []
    for start, end, label in predicted:
        if not any(s.overlaps(start, end) for s in current + spans[-1:]):
            spans.append(Span(start, end, label, source))
    if not spans:
        return None
    return ReplaceSpans(doc_id, (), tuple(spans), f"{MODEL_PREANNOTATION} ({len(spans)} spans)")


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


def pending(store: Store, force: bool = False, run=None) -> list[int]:
    """Documents to pre-annotate, in id order.

    Normally: not done or skipped, no spans, never pre-annotated (so a second run resumes
    where the first stopped, and never brings back suggestions a person deleted).
    ``force``: every document not done or skipped that has no span a person made or confirmed
    (all its spans, if any, came from a model) — pre-annotated or not.
    ``run`` (a ``models.ruler.RulerRun``): every document not done or skipped that the run has
    something to do on (``run_needed``) — a person's spans there are left alone.
    """
    if run is not None:
        return [d for d, marks in store.preannotation_marks() if run_needed(run, marks)]
    return store.model_only_ids() if force else store.unannotated_ids()


# -- patterns (models/ruler.py): a run marks each document it did (models/store_ruler.py) -------

def model_marked(marks: list[str]) -> bool:
    """Has a model pre-annotated the document (an entry that is not a patterns run's)?"""
    return any(not m.startswith("patterns:") for m in marks)


def run_needed(run, preannotated: str | None) -> bool:
    """Does a patterns ``run`` have anything to do on a document so marked? Its patterns have
    not run there, or it brings the model and no model has run there yet."""
    marks = entries(preannotated)
    return run.mark not in marks or (run.model_source is not None and not model_marked(marks))


def pattern_edit(store: Store, doc_id: int, found: list[tuple], run, text: str,
                 links: dict[str, int], marks: list[str]) -> ReplaceSpans | None:
    """The edit adding a patterns run's spans (``found``: (start, end, label, source, pattern
    id), as ``RulerRun.predict`` gives them) to a document.

    A person's span always wins (a suggestion over it is dropped); a suggestion a person
    rejected there before is not brought back. The model's spans are added only where no model
    ran yet and the ruler's only where these patterns did not, each where it overlaps nothing.
    Over another model suggestion, a pattern's span replaces it when patterns win (modes
    ``alone`` and ``patterns``) and is dropped when the model wins. A pattern with an id links
    its span to that entity (``links``: pattern id -> entity id).
    """
    current = store.spans(doc_id)
    rejected = {(s.start, s.end, s.label) for s in store.rejected(doc_id)}
    use_model = run.model_source is not None and not model_marked(marks)
    use_ruler = run.mark not in marks
    patterns_win = run.mode != "model"
    removed: dict[Span, None] = {}
    spans: list[Span] = []
    for start, end, label, source, pid in sorted(found):
        mine = source == run.source
        if not (use_ruler if mine else use_model):
            continue
        start, end = widen(text, start, end)
        if (start, end, label) in rejected or any(s.overlaps(start, end) for s in spans[-1:]):
            continue
        span = Span(start, end, label, source, links.get(pid, 0) if mine else 0)
        over = overlapping(current, start, end)
        if over == [span]:
            continue                                    # there already, as it would be
        if over and (not mine or not patterns_win or any(s.is_manual for s in over)):
            continue
        removed.update(dict.fromkeys(over))
        spans.append(span)
    if not spans:
        return None
    return ReplaceSpans(doc_id, tuple(removed), tuple(spans),
                        f"{PATTERN_PREANNOTATION} ({len(spans)} spans, {run.source})")


def rerun_edit(store: Store, doc_id: int, predicted: list[tuple[int, int, str]],
               source: str, text: str | None = None, whole: bool = False) -> ReplaceSpans | None:
    """For ``--force``: the edit replacing a document's model spans with new predictions.

    None if a person's span is on the document (it is left alone entirely) or nothing changes.
    ``whole``: ``predicted`` is already widened (``whole_clusters``).
    """
    current = store.spans(doc_id)
    if any(s.is_manual for s in current):
        return None
    if not whole:
        if text is None:
            text = store.document(doc_id).text if predicted else ""
        predicted = whole_clusters(text, predicted)
    spans: list[Span] = []
    for start, end, label in predicted:
        if not spans or not spans[-1].overlaps(start, end):
            spans.append(Span(start, end, label, source))
    if set(spans) == set(current):
        return None
    return ReplaceSpans(doc_id, tuple(current), tuple(spans),
                        f"{MODEL_PREANNOTATION} again ({len(spans)} spans)")


AHEAD = 2       # batches the worker processes are given ahead of the one being written
# ``shared`` (a window writes the file meanwhile: the model server): a batch is written in
# transactions of about WRITE_MS each, PAUSE_MS apart. A window's commit that finds the write
# lock taken waits for it (``project_file.begin`` tries again every 0.1 ms at first; SQLite's
# own busy handler, 1, 3, 8, 18, 33 … ms later): a batch's one long transaction (~45-75 ms for
# 64 articles idle) cost such a key press up to ~250 ms on a loaded machine; a short one, a
# fraction of a millisecond (bench/README.md, model server).
# The pauses only while the other writes (``models.write_sharing``): else the short transactions
# follow each other (a batch of 64 articles paused ~0.3 s: 23% of the window's pre-annotate-all
# rate at a million documents).
WRITE_MS = 3.0
PAUSE_MS = 5.0


def preannotate(store: Store, pipe: Pipeline, doc_ids: list[int], batch_size: int = 64,
                progress: Callable[[int, int], bool | None] | None = None,
                force: bool = False, shared: bool = False) -> int:
    """Pre-annotate ``doc_ids``, one transaction per batch (``shared``: a few short ones);
    return how many spans were added.

    The model runs on a batch (``nlp.pipe``), then the batch is committed: one journaled
    ``ReplaceSpans`` edit per document through ``store.apply`` (so each can be undone), and
    the document is marked pre-annotated. Each document is checked again inside the
    transaction, so work done meanwhile (another connection, e.g. the GUI) wins: a document
    now done or skipped is left alone, and a prediction never overlaps a person's span.

    ``force`` (see ``pending(force=True)``): the document's model spans are replaced by the
    new predictions; a document on which a person's span now stands is left alone.
    ``progress(done, total)`` is called after each batch; returning False stops (cancel).
    Running it again resumes: finished documents are marked pre-annotated.

    Before a batch's transaction the predictions are widened to whole clusters (which reads
    nothing); all the rest is done inside it. ``shared`` (another process, a window, writes the file
    meanwhile): a batch is written in short transactions (``WRITE_MS``), ``PAUSE_MS`` apart,
    so that the other's commits do not wait long for the write lock; every document is still
    written whole (its edit and its mark in one transaction), so a stop or a kill leaves
    nothing half-done.

    A pipe with ``stream(batches, batch_size)`` (a cluster: ``models.dask_pipe``) takes the
    batches' texts as it wants them and yields ``(batch number, results)`` as batches
    complete, in any order; each is committed as above when it arrives, and ``done`` counts
    the documents of the batches committed. Closing its generator (a stop) cancels the rest.
    """
    ensure_labels(store, pipe.labels)
    run = pipe if hasattr(pipe, "mark") else None       # patterns: a models.ruler.RulerRun
    added, links = 0, {}
    ahead = hasattr(pipe, "submit")     # worker processes: the next batch runs while this one is written

    def read(i: int) -> list:
        docs = [store.document(d) for d in doc_ids[i:i + batch_size]]
        return [d for d in docs if d is not None]
    starts = list(range(0, len(doc_ids), batch_size))
    shared = Sharing(store) if shared else None
    if hasattr(pipe, "stream"):
        return _streamed(store, pipe, run, doc_ids, starts, read, batch_size, progress, force, shared)
    queue: deque = deque()              # (documents, their futures), submitted ahead

    def submit(i: int) -> None:
        docs = read(i)
        queue.append((docs, pipe.submit([d.text for d in docs], batch_size)))
    for i in starts[:AHEAD] if ahead else ():
        submit(i)
    for k, i in enumerate(starts):
        if ahead:
            docs, futures = queue.popleft()
            if k + AHEAD < len(starts):
                submit(starts[k + AHEAD])
            results = pipe.collect(futures)
        else:
            docs = read(i)
            results = list(pipe.predict([d.text for d in docs], batch_size=batch_size))
        added += _commit(store, pipe, run, docs, results, links, force, shared)
        if progress and progress(min(i + batch_size, len(doc_ids)), len(doc_ids)) is False:
            break
    return added


def _streamed(store: Store, pipe, run, doc_ids: list[int], starts: list[int], read,
              batch_size: int, progress, force: bool, shared: Sharing | None = None) -> int:
    """``preannotate`` with a pipe delivering batches as they complete (``pipe.stream``)."""
    held: dict[int, list] = {}          # batch number -> its documents, until it is committed

    def batches():
        for k, i in enumerate(starts):
            held[k] = read(i)
            yield [d.text for d in held[k]]
    added = done = 0
    links: dict = {}
    stream = pipe.stream(batches(), batch_size)
    try:
        for k, results in stream:
            docs = held.pop(k)
            added += _commit(store, pipe, run, docs, results, links, force, shared)
            done += len(doc_ids[starts[k]:starts[k] + batch_size])
            if progress and progress(done, len(doc_ids)) is False:
                break
    finally:
        stream.close()                  # a stop: the batches not yet back are cancelled
    return added


def _commit(store: Store, pipe, run, docs: list, results: list, links: dict, force: bool,
            shared: Sharing | None = None) -> int:
    """One batch's results in one transaction, or with ``shared`` in short ones (see
    ``preannotate``); the spans added."""
    if run is not None:
        with store.write():
            return _run_batch(store, run, docs, results, links)
    todo = deque((doc, whole_clusters(doc.text, predicted)) for doc, predicted in zip(docs, results))
    added = 0
    while todo:
        began = perf_counter()
        with store.write():
            if shared:
                shared.before()         # inside the transaction: no write slips in between
            while todo:
                added += _write_one(store, pipe, *todo.popleft(), force)
                if shared and (perf_counter() - began) * 1000 >= WRITE_MS:
                    break
            if shared:
                shared.after()
        if shared and todo and shared.other_active():
            sleep(PAUSE_MS / 1000)         # the write lock free: a waiting window gets in
    return added


def _write_one(store: Store, pipe, doc, predicted: list, force: bool) -> int:
    """One document's predictions (whole clusters), checked again inside the caller's
    transaction; the spans added."""
    row = store.document_row(doc.id)
    if row is None or row[2] not in (NEW, IN_PROGRESS):
        return 0
    if force:
        edit = rerun_edit(store, doc.id, predicted, pipe.source, doc.text, whole=True)
        if edit is None and any(s.is_manual for s in store.spans(doc.id)):
            return 0
    else:
        if store.preannotated(doc.id) is not None:
            return 0            # done meanwhile (the GUI, on opening it)
        edit = model_edit(store, doc.id, predicted, pipe.source, doc.text, whole=True)
    if edit:
        store.apply(edit)
    store.mark_preannotated(doc.id, pipe.source)
    return len(edit.add) if edit else 0


def _run_batch(store: Store, run, docs, results, links: dict[str, int]) -> int:
    """One batch of a patterns run, inside the caller's transaction: the entities its pattern
    ids name that the project lacks (one edit, journaled with no document, like labels: undoing
    one document's suggestions never takes away an entity others name), then one journaled
    edit per document, each marked done with the run's marks."""
    from models.ruler import entity_plan
    todo = []
    for doc, found in zip(docs, results):
        row = store.document_row(doc.id)
        marks = entries(store.preannotated(doc.id))
        if row is None or row[2] not in (NEW, IN_PROGRESS) or not run_needed(run, "\n".join(marks)):
            continue                # done, skipped or run meanwhile (another connection)
        todo.append((doc, found, marks))
    ids = [f[4] for _, found, marks in todo if run.mark not in marks for f in found
           if f[4] and f[3] == run.source]
    trial = dict(links)
    planned = {e.id: e for e in entity_plan(store, ids, run.names, trial)}
    edits = [pattern_edit(store, doc.id, found, run, doc.text, trial, marks)
             for doc, found, marks in todo]
    used = {s.entity for e in edits if e for s in e.add}
    new = tuple(e for eid, e in planned.items() if eid in used)     # only entities named
    links.update({pid: eid for pid, eid in trial.items() if eid not in planned or eid in used})
    if new:
        store.apply(ChangeEntities(None, (), new, f"Entities from {run.source}"))
    added = 0
    for (doc, found, marks), edit in zip(todo, edits):
        if edit:
            store.apply(edit)
            added += len(edit.add)
        store.add_preannotated(doc.id, new_marks(run, marks))
    return added


def new_marks(run, marks: list[str]) -> list[str]:
    """What a document so marked is marked with once ``run`` did it."""
    return [run.model_source] * (run.model_source is not None and not model_marked(marks)) + [run.mark]


def open_document_edit(store: Store, doc_id: int, text: str, found: list[tuple], run):
    """For the window's open document, which a corpus job leaves alone: the one edit (pushed
    by the window, so Ctrl+Z there undoes it) adding ``run``'s spans found in ``text`` — a
    ``Batch`` creating the entities they name first when the project lacks them — and the
    marks to add once it is written; (None, marks) when there is nothing to add, None when the
    run has nothing to do there. ``run``: a ``RulerRun`` or its plain ``info()``."""
    from models.edits import Batch
    from models.ruler import entity_plan
    row = store.document_row(doc_id)
    marks = entries(store.preannotated(doc_id))
    if row is None or row[2] not in (NEW, IN_PROGRESS) or not run_needed(run, "\n".join(marks)):
        return None
    links: dict[str, int] = {}
    ids = [f[4] for f in found if f[4] and f[3] == run.source] if run.mark not in marks else []
    planned = {e.id: e for e in entity_plan(store, ids, run.names, links)}
    edit = pattern_edit(store, doc_id, found, run, text, links, marks)
    used = {s.entity for s in edit.add} if edit else set()
    new = tuple(e for eid, e in planned.items() if eid in used)
    if edit and new:
        edit = Batch(doc_id, (ChangeEntities(doc_id, (), new, f"Entities from {run.source}"), edit),
                     edit.text)
    return edit, new_marks(run, marks)


__all__ = ["model_edit", "rerun_edit", "whole_clusters", "ensure_labels", "pending", "preannotate", "pattern_edit",
           "run_needed", "model_marked", "new_marks", "open_document_edit", "DONE"]


def wants_model(store: Store, doc_id: int) -> bool:
    """Should the model pre-annotate this document now? Only once, and never over work."""
    row = store.document_row(doc_id)
    if row is None or row[2] in (DONE, "skipped") or row[3]:
        return False
    return store.preannotated(doc_id) is None


def still_wanted(store: Store, chunk, skip: int | None, force: bool = False) -> list[int]:
    """The documents of ``chunk`` a batch still runs on: not ``skip`` (the window's open one,
    given its suggestions live) and, unless ``force``, still wanting the model (one opened
    meanwhile got them live)."""
    return [d for d in chunk if d != skip and (force or wants_model(store, d))]
