"""The journal is the undo history (models/history.py, models/journal.py): edits across
documents as one entry, undone and redone as one step from any place they touched, and the
outcome every write answers with — checked against the rows of the real SQLite file."""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager

import pytest

from models import edits as E
from models.edits import Batch, ChangeLabels, ReplaceSpans
from models.history import History
from models.labels import Label
from models.spans import MANUAL, Span
from models.store import StaleEdit, Store, StoreError

from .helpers import query

NAME = "Acme Corp"
TEXTS = [f"Report {i}: {NAME} said shares of {NAME} rose." for i in range(6)]
F = TEXTS[0].index(NAME)                    # where the name is in every text
S = TEXTS[0].index(NAME, F + 1)


@pytest.fixture
def corpus(store):
    ids, _ = store.add_documents([{"text": t, "title": f"R{i}"} for i, t in enumerate(TEXTS)])
    return ids


def every_occurrence(ids, label="ORG") -> list[ReplaceSpans]:
    out = []
    for doc in ids:
        text = TEXTS[doc - ids[0]]
        at, spans = 0, []
        while (at := text.find(NAME, at)) >= 0:
            spans.append(Span(at, at + len(NAME), label))
            at += len(NAME)
        out.append(ReplaceSpans(doc, (), tuple(spans), "Label every"))
    return out


def spans_of(path, doc):
    return query(path, "SELECT start, end, label, source FROM spans WHERE doc_id = ? ORDER BY start", [doc])


def journal(path):
    return query(path, "SELECT id, doc_id, undone FROM journal ORDER BY id")


def journal_docs(path):
    return query(path, "SELECT entry, doc_id FROM journal_docs ORDER BY entry, doc_id")


def corpus_edit(ids, origin=None, label="ORG", new_label=None):
    parts = tuple(every_occurrence(ids, label))
    if new_label is not None:
        parts = (ChangeLabels(origin, (new_label,), ()),) + parts
    return Batch(origin if origin is not None else ids[0], parts, f"Label every “{NAME}” {label}")



def done_then_next(store, a, b) -> History:
    """Done on ``a`` opened ``b``: the history of ``b``, its way back to ``a``'s Done."""
    h = History(store)
    h.load(a)
    h.do(E.finish(a, store.spans(a), "new", "done", "Mark done"))
    h.load(b)
    h.came_from(a, "Mark done")
    return h


@contextmanager
def refused(store):
    """Every write of ``store`` fails (SQLite's query_only) inside, and must be tried."""
    store.db.execute("PRAGMA query_only=ON")
    try:
        with pytest.raises(StoreError):
            yield
    finally:
        store.db.execute("PRAGMA query_only=OFF")

def test_a_corpus_wide_edit_is_one_entry_shown_in_every_history_it_touched(store, project, corpus):
    a, b, c = corpus[:3]
    h = History(store)
    h.load(a)
    out = h.do(corpus_edit([a, b, c], origin=a))
    # one entry, its origin a; b and c listed beside it
    assert journal(project) == [(out.entry, a, 0)]
    assert journal_docs(project) == [(out.entry, b), (out.entry, c)]
    for doc in (a, b, c):
        assert spans_of(project, doc) == [(F, F + 9, "ORG", MANUAL), (S, S + 9, "ORG", MANUAL)]
        assert [entry for entry, _, _ in store.history(doc)] == [out.entry]
    assert spans_of(project, corpus[3]) == [] and store.history(corpus[3]) == []
    # the outcome: what changed, as the write computed it
    assert out.mode == "do" and out.origin == a and out.docs == {a, b, c}
    assert out.statuses == {a: "in progress", b: "in progress", c: "in progress"}
    assert out.moved == {a, b, c} and not out.labels and out.n_spans == 6
    assert [e.doc_id for e in out.spans] == [a, b, c] and len(out.spans_of(b)) == 1
    assert h.can_undo() and h.undo_text() == f"Label every “{NAME}” ORG" and not h.can_redo()


def test_undo_where_it_was_made_undoes_all_of_it_and_redo_from_a_touched_document_too(store, project, corpus):
    a, b, c = corpus[:3]
    h = History(store)
    h.load(a)
    entry = h.do(corpus_edit([a, b, c], origin=a)).entry
    out = h.undo()
    assert out.mode == "undo" and out.entry == entry and out.docs == {a, b, c}
    assert all(spans_of(project, d) == [] for d in (a, b, c))
    assert journal(project) == [(entry, a, 1)] and journal_docs(project) == [(entry, b), (entry, c)]
    assert not h.can_undo() and h.can_redo()
    # in b (a document it touched) the undone step is there to redo: all of it comes back
    hb = History(store)
    hb.load(b)
    assert hb.can_redo() and hb.redo_text() == f"Label every “{NAME}” ORG"
    out = hb.redo()
    assert out.mode == "redo" and out.entry == entry
    assert all(len(spans_of(project, d)) == 2 for d in (a, b, c))
    assert journal(project) == [(entry, a, 0)]
    # and b can undo it too: one step, every document
    hb.undo()
    assert all(spans_of(project, d) == [] for d in (a, b, c))


def test_the_history_survives_a_restart(project, corpus, store):
    a, b = corpus[:2]
    h = History(store)
    h.load(b)
    h.do(corpus_edit([a, b], origin=a))
    store.close()
    again = Store(project)
    try:
        h = History(again)
        h.load(a)
        assert h.can_undo() and h.count() == 1 and h.index() == 1
        h.undo()
        assert spans_of(project, a) == spans_of(project, b) == []
    finally:
        again.close()
        store.__init__(project)         # the fixture closes it


def test_a_new_edit_in_a_touched_document_cuts_the_undone_corpus_edit(store, project, corpus):
    a, b, c = corpus[:3]
    h = History(store)
    h.load(a)
    h.do(corpus_edit([a, b, c], origin=a))
    h.undo()
    hb = History(store)
    hb.load(b)
    new = hb.do(ReplaceSpans(b, (), (Span(0, 6, "ORG"),), "Label “ORG”")).entry
    # the undone branch is gone everywhere: its entry and its journal_docs rows
    assert journal(project) == [(new, b, 0)] and journal_docs(project) == []
    h.load(a)
    assert not h.can_redo() and not h.can_undo()
    assert spans_of(project, a) == [] and spans_of(project, b) == [(0, 6, "ORG", MANUAL)]


def test_an_undo_made_stale_in_one_document_writes_nothing_in_any(store, project, corpus):
    a, b, c = corpus[:3]
    h = History(store)
    h.load(a)
    h.do(corpus_edit([a, b, c], origin=a))
    # in b a person relabels a span the corpus-wide edit added (its own later step in b)
    first = Span(F, F + 9, "ORG")
    other = Store(project)          # another window: a's history does not know of it
    try:
        other.apply(E.relabel(b, first, "PERSON"))
    finally:
        other.close()
    before = {d: spans_of(project, d) for d in (a, b, c)}
    rows = journal(project)
    with pytest.raises(StaleEdit, match="changed elsewhere"):
        h.undo()
    assert {d: spans_of(project, d) for d in (a, b, c)} == before and journal(project) == rows
    assert h.can_undo()            # nothing moved; load() reads the truth again
    h.load(a)
    assert h.can_undo()


def test_labels_added_with_the_corpus_edit_come_and_go_with_it(store, project, corpus):
    a, b = corpus[:2]
    h = History(store)
    h.load(a)
    brand = Label("BRAND", "#123456", "", "", 99)
    out = h.do(corpus_edit([a, b], origin=a, label="BRAND", new_label=brand))
    assert out.labels and "BRAND" in store.labels()
    assert spans_of(project, b)[0][2] == "BRAND"
    out = h.undo()
    assert out.labels and "BRAND" not in store.labels() and spans_of(project, b) == []


def test_done_then_undo_in_the_next_document_takes_the_done_back(store, project, corpus):
    a, b = corpus[:2]
    store.apply(ReplaceSpans(a, (), (Span(F, F + 9, "ORG", "model-1"),)))
    h = done_then_next(store, a, b)
    assert h.can_undo() and h.undo_text() == "Mark done"
    # the model's suggestions arriving in b are no step of the person's: the way back holds
    h.do(ReplaceSpans(b, (), (Span(F, F + 9, "ORG", "model-1"),), "Model"), model=True)
    assert h.undo_text() == "Mark done"
    out = h.undo()
    assert out.went_back == a and h.doc_id == a
    # Done is taken back (accepting the suggestion counted as touching it: in progress)
    assert query(project, "SELECT status FROM documents WHERE id = ?", [a]) == [("in progress",)]
    assert spans_of(project, a) == [(F, F + 9, "ORG", "model-1")]   # the suggestion, not accepted
    assert spans_of(project, b) == [(F, F + 9, "ORG", "model-1")]   # b's suggestion stays


def test_a_persons_step_in_the_next_document_ends_the_way_back(store, project, corpus):
    a, b = corpus[:2]
    h = done_then_next(store, a, b)
    h.do(ReplaceSpans(b, (), (Span(0, 6, "ORG"),), "Label “ORG”"))
    assert h.undo_text() == "Label “ORG”"
    out = h.undo()
    assert out.went_back is None and h.doc_id == b and spans_of(project, b) == []
    assert query(project, "SELECT status FROM documents WHERE id = ?", [a]) == [("done",)]


def test_a_failed_undo_changes_nothing_in_the_history(store, project, corpus):
    a, b = corpus[:2]
    h = History(store)
    h.load(a)
    h.do(corpus_edit([a, b], origin=a))
    before = (h.count(), h.index(), h.undo_text(), journal(project))
    with refused(store):
        h.undo()
    assert (h.count(), h.index(), h.undo_text(), journal(project)) == before
    h.undo()
    assert spans_of(project, a) == []


def test_a_failed_undo_of_a_done_stays_in_the_next_document_with_its_way_back(store, project, corpus):
    a, b = corpus[:2]
    h = done_then_next(store, a, b)
    with refused(store):
        h.undo()
    assert h.doc_id == b and h.undo_text() == "Mark done"
    assert h.undo().went_back == a


def test_outcomes_tell_a_status_change_from_a_span_change(store, project, corpus):
    a = corpus[0]
    h = History(store)
    h.load(a)
    out = h.do(ReplaceSpans(a, (), (Span(F, F + 9, "ORG", "model-1"),), "Model"))
    assert out.statuses == {a: "new"} and out.moved == frozenset()      # a model span: still new
    out = h.do(E.confirm(a, Span(F, F + 9, "ORG", "model-1")))
    assert out.moved == {a} and out.was == {a: "new"} and out.statuses == {a: "in progress"}
    out = h.do(E.finish(a, store.spans(a), "in progress", "done", "Mark done"))
    assert out.moved == {a} and out.statuses == {a: "done"} and out.spans == []


def test_a_big_entry_is_read_by_name_when_a_history_loads_and_whole_when_undone(store, project, corpus, monkeypatch):
    """A corpus-wide edit bigger than EAGER_BYTES is not parsed when a document it touched is
    opened (only its name, by SQLite's JSON reader); undoing it reads it then, and undoes all."""
    monkeypatch.setattr("models.journal.EAGER_BYTES", 500)
    a, b, c = corpus[:3]
    h = History(store)
    h.load(a)
    big = h.do(corpus_edit([a, b, c], origin=a))
    small = h.do(ReplaceSpans(a, (), (Span(0, 6, "ORG"),), "Label “ORG”"))
    assert len(query(project, "SELECT edit FROM journal WHERE id = ?", [big.entry])[0][0]) > 500
    parsed = []
    real = E.edit_from_json
    monkeypatch.setattr("models.contents.edit_from_json", lambda d: parsed.append(d) or real(d))
    steps = store.history_steps(a)
    assert [(s[0], s[1] is None, s[2], s[3]) for s in steps] == [
        (big.entry, True, False, f"Label every “{NAME}” ORG"), (small.entry, False, False, "Label “ORG”")]
    assert len(parsed) == 1                         # the small one only
    h2 = History(store)
    h2.load(b)
    assert h2.undo_text() == f"Label every “{NAME}” ORG" and len(parsed) == 1
    assert h2.next_step("undo") == (None, True) and h2.next_step("redo") == (None, False)
    out = h2.undo()                                 # read now, and undone everywhere
    edit, lazy = h2.next_step("redo")               # read by the undo: known now
    assert not lazy and edit.text == f"Label every “{NAME}” ORG"
    assert len(parsed) == 2 and out.docs == {a, b, c}
    assert [spans_of(project, d) for d in (b, c)] == [[], []]
    assert spans_of(project, a) == [(0, 6, "ORG", MANUAL)]
    assert journal(project) == [(big.entry, a, 1), (small.entry, a, 0)]
    assert h2.redo().docs == {a, b, c} and len(spans_of(project, c)) == 2


def test_a_damaged_big_entry_is_refused_when_undone_naming_it(store, project, corpus, monkeypatch):
    monkeypatch.setattr("models.journal.EAGER_BYTES", 100)
    a, b = corpus[:2]
    h = History(store)
    h.load(b)
    big = h.do(corpus_edit([a, b], origin=a))
    assert len(query(project, "SELECT edit FROM journal WHERE id = ?", [big.entry])[0][0]) > 100
    store.close()
    # the entry's edit no longer of its document (names its origin wrong), still long JSON
    conn = sqlite3.connect(project)
    with conn:
        conn.execute("UPDATE journal SET edit = json_set(edit, '$.doc_id', 99) WHERE id = ?", [big.entry])
    conn.close()
    s = Store(project)
    try:
        h = History(s)
        h.load(b)
        assert h.undo_text() == f"Label every “{NAME}” ORG"
        with pytest.raises(StoreError, match=f"entry {big.entry} is not an edit"):
            h.undo()
        assert len(spans_of(project, a)) == 2 and len(spans_of(project, b)) == 2
        assert journal(project) == [(big.entry, a, 0)]
    finally:
        s.close()
