"""Rejected model suggestions: kept in the store with their source as edits remove them (and
forgotten again when an undo brings them back); exported as Prodigy "reject" tasks and read
back from them."""
from __future__ import annotations

import json

import pytest

from models import annotate, edits
from models.edits import ReplaceSpans
from models.exporter import export
from models.importer import import_paths
from models.spans import MANUAL, Span
from models.store import Store

from .helpers import query

TEXT = "Choe Son Hui met Vladimir Putin in Moscow on Monday."
MODEL = "en_core_web_sm-3.8.0"
CHOE = Span(0, 8, "PERSON", MODEL)          # truncated: "Choe Son"
PUTIN = Span(17, 31, "ORG", MODEL)          # wrong label
MOSCOW = Span(35, 41, "GPE", MODEL)         # right
MONDAY = Span(45, 51, "DATE", MODEL)        # right


@pytest.fixture
def doc(store):
    (doc_id,), _ = store.add_documents([{"text": TEXT, "title": "Talks"}])
    store.apply(ReplaceSpans(doc_id, (), (CHOE, PUTIN, MOSCOW, MONDAY), "Model pre-annotation (4 spans)"))
    return doc_id


def rejected_rows(project):
    return query(project, "SELECT doc_id, start, end, label, source FROM rejected ORDER BY start")


def test_person_edits_reject_suggestions_and_confirming_does_not(store, project, doc):
    assert store.rejected(doc) == []
    store.apply(edits.resize(doc, CHOE, 0, 12, store.spans(doc)))          # Choe Son -> Choe Son Hui
    store.apply(edits.relabel(doc, PUTIN, "PERSON"))
    store.apply(edits.confirm(doc, MOSCOW))
    store.apply(edits.remove_span(doc, MONDAY))
    assert store.rejected(doc) == [CHOE, PUTIN, MONDAY]
    assert rejected_rows(project) == [(doc, 0, 8, "PERSON", MODEL), (doc, 17, 31, "ORG", MODEL),
                                      (doc, 45, 51, "DATE", MODEL)]


def test_labelling_over_a_suggestion_rejects_it(store, doc):
    store.apply(edits.add_span(doc, Span(0, 12, "PERSON"), store.spans(doc)))
    assert store.rejected(doc) == [CHOE]


def test_done_accepts_the_suggestions_left_and_rejects_none(store, doc):
    store.apply(edits.finish(doc, store.spans(doc), "new", "done", "Done"))
    assert store.rejected(doc) == [] and all(s.source == MANUAL for s in store.spans(doc))


def test_undo_brings_a_suggestion_back_and_forgets_the_rejection_redo_rejects_again(store, doc):
    edit = edits.remove_span(doc, MONDAY)
    entry = store.apply(edit)
    assert store.rejected(doc) == [MONDAY]
    store.apply(edit.inverse(), mode="undo", entry=entry)
    assert store.rejected(doc) == [] and MONDAY in store.spans(doc)
    store.apply(edit, mode="redo", entry=entry)
    assert store.rejected(doc) == [MONDAY]


def test_undoing_the_pre_annotation_rejects_nothing(store, doc):
    [(entry, edit, _)] = store.history(doc)
    store.apply(edit.inverse(), mode="undo", entry=entry)
    assert store.spans(doc) == [] and store.rejected(doc) == []


def test_the_model_replacing_its_own_suggestions_rejects_nothing(store, doc):
    new = Span(0, 12, "PERSON", "other-model-1.0")
    edit = annotate.rerun_edit(store, doc, [(0, 12, "PERSON")], "other-model-1.0")
    store.apply(edit)
    assert store.spans(doc) == [new] and store.rejected(doc) == []


def test_a_rejection_the_person_labels_again_is_not_exported(store, doc):
    store.apply(edits.remove_span(doc, MONDAY))
    store.apply(edits.add_span(doc, Span(45, 51, "DATE"), store.spans(doc)))
    assert store.rejected(doc) == []


def test_rejections_survive_reopening(project, doc, store):
    store.apply(edits.remove_span(doc, MONDAY))
    store.close()
    again = Store(project)
    try:
        assert again.rejected(doc) == [MONDAY]
    finally:
        again.close()


def test_an_older_project_gets_the_table_on_opening(project):
    s = Store(project)
    s.db.execute("DROP TABLE rejected")
    s.db.execute("UPDATE settings SET value = '1' WHERE key = 'schema_version'")
    s.close()
    s = Store(project)
    try:
        assert "rejected" in s.db.table_names() and s.rejected(1) == []
    finally:
        s.close()


def read_lines(path):
    return [json.loads(x) for x in path.read_text("utf-8").split("\n")[:-1]]


def test_jsonl_with_rejected_adds_reject_tasks_and_reads_them_back(store, project, doc, tmp_path):
    store.apply(edits.remove_span(doc, MONDAY))
    store.apply(edits.relabel(doc, PUTIN, "PERSON"))
    store.apply(edits.finish(doc, store.spans(doc), "in progress", "done", "Done"))
    plain, full = tmp_path / "plain.jsonl", tmp_path / "full.jsonl"
    assert export(store, plain, "jsonl").rejected == 0
    report = export(store, full, "jsonl", include_rejected=True)
    assert (report.documents, report.rejected) == (1, 2)
    assert report.summary() == "1 document exported (2 rejected suggestions)"
    tasks = read_lines(full)
    assert tasks[0] == read_lines(plain)[0]
    assert [t["answer"] for t in tasks] == ["accept", "reject", "reject"]
    for task, span in zip(tasks[1:], (PUTIN, MONDAY)):
        assert task["text"] == TEXT and task["meta"]["doc_id"] == doc
        [s] = task["spans"]
        assert (s["start"], s["end"], s["label"], s["source"]) == (span.start, span.end, span.label, MODEL)
        assert task["tokens"][s["token_start"]]["start"] == s["start"]

    # Into a new project: the document with its spans, and the two rejections.
    (tmp_path / "other").mkdir()           # the same project name: the same Prodigy dataset
    other = Store(tmp_path / "other" / project.name)
    try:
        imported = import_paths(other, [full])
        assert imported.problems == [] and len(imported.added) == 1 and imported.duplicates == 0
        assert imported.rejections == 2
        assert "2 rejected suggestions" in imported.summary()
        [new] = imported.added
        assert other.rejected(new) == [PUTIN, MONDAY]
        assert other.spans(new) == store.spans(doc)
        again = tmp_path / "again.jsonl"
        export(other, again, "jsonl", include_rejected=True)
        assert again.read_bytes() == full.read_bytes()
    finally:
        other.close()


def test_a_reject_task_for_a_text_not_in_the_project_is_reported(store, tmp_path):
    path = tmp_path / "teach.jsonl"
    path.write_text(json.dumps({"text": "Kim met Putin.", "answer": "reject",
                                "spans": [{"start": 0, "end": 3, "label": "ORG"}]}) + "\n", encoding="utf-8")
    report = import_paths(store, [path])
    assert report.added == [] and report.rejections == 0
    [problem] = report.problems
    assert problem.line == 1 and "no document with this text" in problem.message
