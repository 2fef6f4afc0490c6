"""Pre-annotation with the real pipeline: a person's work always wins."""
from __future__ import annotations

import json

import pytest

from models import annotate
from models.edits import ChangeLabels, ReplaceSpans, SetStatus, edit_from_json
from models.spans import Span
from models.store import Store

from .helpers import MODEL_SOURCE, journal_rows, query, span_rows

ARTICLE = ("North Korea's foreign minister Choe Son Hui met Russian President Vladimir Putin in "
           "Moscow on Monday, the state news agency KCNA said.")
PUTIN = (ARTICLE.index("Putin"), ARTICLE.index("Putin") + 5)
TEXTS = [ARTICLE, "Samsung opened a factory in Texas in 2023.",
         "Apple hired engineers in California last year.", "Toyota recalled cars in Japan on Friday."]


@pytest.fixture(scope="module")
def predictions(pipeline):
    return {t: p for t, p in zip(TEXTS, pipeline.predict(TEXTS))}


def test_predictions_are_plain_offsets_on_the_right_text(predictions):
    got = {(ARTICLE[s:e], label) for s, e, label in predictions[ARTICLE]}
    assert ("Vladimir Putin", "PERSON") in got and ("Moscow", "GPE") in got
    assert all(isinstance(x, int) for s, e, _ in predictions[ARTICLE] for x in (s, e))


def test_model_edit_drops_predictions_over_a_persons_span(store, predictions):
    (d,), _ = store.add_documents([{"text": ARTICLE}])
    mine = Span(*PUTIN, "ORG")                      # deliberately wrong, but a person's
    store.apply(ReplaceSpans(d, (), (mine,)))
    edit = annotate.model_edit(store, d, predictions[ARTICLE], MODEL_SOURCE)
    assert edit.remove == ()
    assert all(not s.overlaps(*PUTIN) for s in edit.add)
    assert [(s.start, s.end, s.label) for s in edit.add] == [
        p for p in predictions[ARTICLE] if not (p[0] < PUTIN[1] and PUTIN[0] < p[1])]
    assert {s.source for s in edit.add} == {MODEL_SOURCE}
    assert edit.text == f"Model pre-annotation ({len(edit.add)} spans)"


def test_model_edit_with_nothing_new_is_none(store):
    (d,), _ = store.add_documents([{"text": "abc def"}])
    store.apply(ReplaceSpans(d, (), (Span(0, 7, "ORG"),)))
    assert annotate.model_edit(store, d, [(0, 3, "ORG")], "m") is None
    assert annotate.model_edit(store, d, [], "m") is None


def test_preannotate_keeps_a_persons_spans(store, project, pipeline, predictions):
    (d,), _ = store.add_documents([{"text": ARTICLE}])
    mine = Span(*PUTIN, "ORG")
    store.apply(ReplaceSpans(d, (), (mine,)))
    added = annotate.preannotate(store, pipeline, [d])
    rows = span_rows(project, d)
    assert (PUTIN[0], PUTIN[1], "ORG", "manual") in rows
    assert not any(r[3] == MODEL_SOURCE and r[0] < PUTIN[1] and PUTIN[0] < r[1] for r in rows)
    assert added == len(rows) - 1 >= 5
    assert query(project, "SELECT status, preannotated FROM documents") == [("in progress", MODEL_SOURCE)]


def test_a_person_labelling_during_the_run_wins(store, project, pipeline, predictions):
    ids, _ = store.add_documents([{"text": t} for t in TEXTS[:2]])
    first, second = ids
    mine = Span(0, 7, "PERSON")                     # "Samsung", labelled by a person mid-run

    def progress(done, total):
        if done == 1:
            other = Store(project)                  # as the GUI would, on its own connection
            other.apply(ReplaceSpans(second, (), (mine,)))
            other.close()

    annotate.preannotate(store, pipeline, ids, batch_size=1, progress=progress)
    rows = span_rows(project, second)
    assert rows[0] == (0, 7, "PERSON", "manual")
    assert [r[:3] for r in rows[1:]] == [p for p in predictions[TEXTS[1]] if p[0] >= 7]
    assert all(r[3] == MODEL_SOURCE for r in rows[1:])


def test_cancel_stops_after_a_batch_and_a_rerun_resumes(store, project, pipeline):
    ids, _ = store.add_documents([{"text": t} for t in TEXTS])
    seen = []

    def progress(done, total):
        seen.append((done, total))
        return False if done == 2 else None

    annotate.preannotate(store, pipeline, annotate.pending(store), batch_size=2, progress=progress)
    assert seen == [(2, 4)]
    marks = query(project, "SELECT id, preannotated FROM documents ORDER BY id")
    assert marks == [(ids[0], MODEL_SOURCE), (ids[1], MODEL_SOURCE), (ids[2], None), (ids[3], None)]
    assert span_rows(project, ids[2]) == [] and span_rows(project, ids[3]) == []
    assert annotate.pending(store) == ids[2:]
    annotate.preannotate(store, pipeline, annotate.pending(store), batch_size=2)
    assert annotate.pending(store) == []
    assert span_rows(project, ids[3]) != []


def test_pending_skips_done_skipped_annotated_and_preannotated(store):
    ids, _ = store.add_documents([{"text": f"Text number {i}."} for i in range(6)])
    store.apply(SetStatus(ids[1], "new", "done"))
    store.apply(SetStatus(ids[2], "new", "skipped"))
    store.apply(ReplaceSpans(ids[3], (), (Span(0, 4, "ORG"),)))
    store.mark_preannotated(ids[4], "m")
    store.apply(SetStatus(ids[5], "new", "in progress"))
    assert annotate.pending(store) == [ids[0], ids[5]]


@pytest.mark.skipif(not hasattr(annotate, "wants_model"), reason="annotate.wants_model not present")
def test_wants_model(store):
    ids, _ = store.add_documents([{"text": f"Text number {i}."} for i in range(5)])
    store.apply(SetStatus(ids[1], "new", "done"))
    store.apply(SetStatus(ids[2], "new", "skipped"))
    store.apply(ReplaceSpans(ids[3], (), (Span(0, 4, "ORG"),)))
    store.mark_preannotated(ids[4], "m")
    assert [annotate.wants_model(store, d) for d in ids] == [True, False, False, False, False]
    assert annotate.wants_model(store, 999) is False


def test_ensure_labels_adds_what_the_model_needs_once(store, project):
    law = store.labels().get("LAW")
    store.apply(ChangeLabels(None, (), (law,)))
    assert annotate.ensure_labels(store, ["PERSON", "LAW", "WEAPON", "LAW"], doc_id=None) == ["LAW", "WEAPON"]
    names = [r[0] for r in query(project, "SELECT name FROM labels ORDER BY ord")]
    assert names.count("LAW") == 1 and names[-2:] == ["LAW", "WEAPON"]
    last = json.loads(journal_rows(project)[-1][2])
    assert last["type"] == "labels" and [x["name"] for x in last["add"]] == ["LAW", "WEAPON"]
    n = len(journal_rows(project))
    assert annotate.ensure_labels(store, ["LAW", "WEAPON"]) == []
    assert len(journal_rows(project)) == n


# -- --force: re-run the model where only a model has labelled ----------------------------------

OLD = "old-model-1.0"


def model_rows(predicted, source=MODEL_SOURCE):
    return [(s, e, label, source) for s, e, label in predicted]


@pytest.fixture
def forced_project(store):
    """Documents a model (or a person) labelled earlier, in every state --force must tell apart."""
    ids, _ = store.add_documents([{"text": t} for t in TEXTS] + [{"text": "Kim met Lee in Seoul."}])
    only_model, mixed, manual, empty, done = ids
    old_spans = (Span(0, 5, "ORG", OLD), Span(6, 11, "GPE", OLD))      # "North", "Korea"
    store.apply(ReplaceSpans(only_model, (), old_spans))
    store.mark_preannotated(only_model, OLD)
    store.apply(ReplaceSpans(mixed, (), (Span(0, 7, "ORG", OLD), Span(28, 33, "GPE", OLD))))
    store.apply(ReplaceSpans(mixed, (Span(0, 7, "ORG", OLD),), (Span(0, 7, "ORG"),)))  # confirmed
    store.apply(ReplaceSpans(manual, (), (Span(0, 5, "ORG"),)))
    store.mark_preannotated(empty, OLD)            # the model found nothing there, back then
    store.apply(ReplaceSpans(done, (), (Span(0, 3, "PERSON", OLD),)))
    store.apply(SetStatus(done, "new", "done"))
    return ids, old_spans


def test_force_replaces_model_spans_and_never_touches_a_persons(store, project, pipeline, predictions,
                                                                forced_project):
    (only_model, mixed, manual, empty, done), old_spans = forced_project
    assert annotate.pending(store) == []
    assert annotate.pending(store, force=True) == [only_model, empty]
    before = {d: span_rows(project, d) for d in (mixed, manual, done)}
    journal_before = {d: len(journal_rows(project, d)) for d in (mixed, manual, done)}

    added = annotate.preannotate(store, pipeline, annotate.pending(store, force=True), force=True)

    assert span_rows(project, only_model) == model_rows(predictions[ARTICLE])
    assert span_rows(project, empty) == model_rows(predictions[TEXTS[3]])
    assert added == len(predictions[ARTICLE]) + len(predictions[TEXTS[3]])
    for d in (mixed, manual, done):                 # a person's span: the document is left alone
        assert span_rows(project, d) == before[d]
        assert len(journal_rows(project, d)) == journal_before[d]
    assert span_rows(project, mixed) == [(0, 7, "ORG", "manual"), (28, 33, "GPE", OLD)]
    assert store.preannotated(only_model) == store.preannotated(empty) == MODEL_SOURCE
    assert store.document_status(only_model) == "new"

    # One journaled edit per document, so the GUI can undo it: back to the old model's spans.
    entry, _, edit, _ = journal_rows(project, only_model)[-1]
    replaced = edit_from_json(edit)
    assert set(replaced.remove) == set(old_spans) and len(replaced.add) == len(predictions[ARTICLE])
    store.apply(replaced.inverse(), mode="undo", entry=entry)
    assert span_rows(project, only_model) == [(s.start, s.end, s.label, s.source) for s in old_spans]


def test_force_again_with_the_same_model_changes_nothing(store, project, pipeline, forced_project):
    annotate.preannotate(store, pipeline, annotate.pending(store, force=True), force=True)
    before = (query(project, "SELECT * FROM spans ORDER BY id"), journal_rows(project))
    assert annotate.preannotate(store, pipeline, annotate.pending(store, force=True), force=True) == 0
    assert (query(project, "SELECT * FROM spans ORDER BY id"), journal_rows(project)) == before


def test_force_leaves_a_document_a_person_labels_during_the_run(store, project, pipeline, forced_project):
    (only_model, _, _, empty, _), old_spans = forced_project
    mine = Span(0, 6, "PERSON")                      # "Toyota", labelled by a person mid-run

    def progress(done, total):
        if done == 1:
            other = Store(project)
            other.apply(ReplaceSpans(empty, (), (mine,)))
            other.close()

    annotate.preannotate(store, pipeline, [only_model, empty], batch_size=1, progress=progress, force=True)
    assert span_rows(project, empty) == [(0, 6, "PERSON", "manual")]
    assert store.preannotated(empty) == OLD


def test_a_document_finished_during_the_run_gets_no_suggestions(store, project, pipeline):
    ids, _ = store.add_documents([{"text": t} for t in TEXTS[:2]])

    def progress(done, total):
        if done == 1:
            other = Store(project)
            other.apply(SetStatus(ids[1], "new", "done"))
            other.close()

    annotate.preannotate(store, pipeline, ids, batch_size=1, progress=progress)
    assert span_rows(project, ids[0]) != [] and span_rows(project, ids[1]) == []
    assert store.preannotated(ids[1]) is None


def test_resume_after_cancel_gives_the_same_result_as_one_run(tmp_path, pipeline):
    texts = TEXTS * 3
    results = []
    for name, stop_at in (("whole", None), ("resumed", 4)):
        s = Store(tmp_path / f"{name}.annot")
        s.add_documents([{"text": f"{i}. {t}"} for i, t in enumerate(texts)])
        annotate.preannotate(s, pipeline, annotate.pending(s), batch_size=2,
                             progress=lambda done, total: done != stop_at)
        if stop_at:
            assert len(annotate.pending(s)) == len(texts) - stop_at
            annotate.preannotate(s, pipeline, annotate.pending(s), batch_size=2)
        assert annotate.pending(s) == []
        results.append(s.db.execute("SELECT doc_id, start, end, label, source FROM spans ORDER BY doc_id, start").fetchall())
        s.close()
    assert results[0] == results[1] and results[0]
