"""Edits across documents through the real window: one corpus-wide edit is one step of the
history where it was made, shown in the history of every document it touched, undone and
redone by one key press — checked against the rows of the SQLite file after each step; and
another writer's corpus-wide edit followed (spans, list rows, history)."""
from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtCore import Qt

from models.edits import Batch, ReplaceSpans
from models.spans import MANUAL, Span
from models.store import Store

from .viewprobe import colour_at

NAME = "Acme Corp"
TEXTS = [f"Report {i}: {NAME} said shares of {NAME} rose." for i in range(5)]
F = TEXTS[0].index(NAME)
S = TEXTS[0].index(NAME, F + 1)
ORG = "#7aecec"
Z, SHIFT_Z = Qt.Key.Key_Z, (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
CTRL = Qt.KeyboardModifier.ControlModifier


def rows(path):
    con = sqlite3.connect(path)
    try:
        spans = con.execute("SELECT doc_id, start, end, label, source FROM spans ORDER BY doc_id, start").fetchall()
        journal = con.execute("SELECT id, doc_id, undone FROM journal ORDER BY id").fetchall()
        touched = con.execute("SELECT entry, doc_id FROM journal_docs ORDER BY entry, doc_id").fetchall()
        counts = con.execute("SELECT id, n_spans, status FROM documents ORDER BY id").fetchall()
        return spans, journal, touched, counts
    finally:
        con.close()


def corpus_edit(origin, docs):
    return Batch(origin, tuple(ReplaceSpans(d, (), (Span(F, F + 9, "ORG"), Span(S, S + 9, "ORG")))
                               for d in docs), f"Label every “{NAME}” ORG")


def all_labelled(docs):
    return [(d, a, a + 9, "ORG", MANUAL) for d in docs for a in (F, S)]


def list_row(w, doc_id):
    """(status, entities) as the document list shows them."""
    m = w.docs_model
    row = m.row_of(doc_id)
    return tuple(str(m.data(m.index(row, c))) for c in (2, 3))


@pytest.fixture
def window(make_window, stand_in_model, qtbot):
    w, store, ids = make_window(TEXTS)
    qtbot.waitUntil(lambda: store.preannotated(ids[0]) is not None, timeout=10000)
    w.model.runner.wait(10000)
    return w, store, ids


def test_a_corpus_wide_edit_undoes_and_redoes_as_one_step_through_the_window(window, qtbot):
    w, store, ids = window
    a, docs = ids[0], ids[:4]
    assert w.session.doc.id == a
    before = rows(store.path)
    assert w.progress_label.text() == "0 of 5 done · 0 skipped · 0 in progress · 5 new"
    reads = []          # the window follows the outcome: the list rows and counts are not read
    for name in ("list_rows", "status_counts", "spans", "labels", "document_status"):
        real = getattr(store, name)
        setattr(store, name, lambda *a, real=real, name=name, **k: reads.append(name) or real(*a, **k))
    assert w.session.push(corpus_edit(a, docs))
    assert reads == [] and w.progress_label.text() == "0 of 5 done · 0 skipped · 4 in progress · 1 new"
    for name in ("list_rows", "status_counts", "spans", "labels", "document_status"):
        del vars(store)[name]
    spans, journal, touched, counts = rows(store.path)
    entry = journal[-1][0]
    assert spans == all_labelled(docs) and journal[-1] == (entry, a, 0)
    assert touched == [(entry, d) for d in docs[1:]]
    assert [c[1] for c in counts] == [2, 2, 2, 2, 0]
    # the window shows it: the article, the entity table, every touched list row
    assert colour_at(w.view, F) == ORG and colour_at(w.view, S + 8) == ORG
    assert w.span_table.model_.rowCount() == 2 and w.count_label.text() == "2 entities (0 unreviewed)"
    assert [list_row(w, d) for d in ids] == [("in progress", "2")] * 4 + [("new", "0")]
    assert w.undo_action.isEnabled() and w.undo_action.text() == f"Undo Label every “{NAME}” ORG"
    # one Ctrl+Z in the document where it was made: all of it, in every document
    qtbot.keyClick(w.view, Z, CTRL)
    spans, journal, touched, counts = rows(store.path)
    assert spans == before[0] == [] and journal[-1] == (entry, a, 1)
    assert [c[1] for c in counts] == [0] * 5
    assert [list_row(w, d)[1] for d in ids] == ["0"] * 5
    assert colour_at(w.view, F) is None and w.span_table.model_.rowCount() == 0
    assert w.statusBar().currentMessage() == f"Undone: Label every “{NAME}” ORG in 4 documents"
    assert w.redo_action.isEnabled() and w.redo_action.text() == f"Redo Label every “{NAME}” ORG"
    # one Ctrl+Shift+Z: all of it again
    qtbot.keyClick(w.view, Z, SHIFT_Z)
    spans, journal, _, counts = rows(store.path)
    assert spans == all_labelled(docs) and journal[-1] == (entry, a, 0)
    assert [c[1] for c in counts] == [2, 2, 2, 2, 0] and colour_at(w.view, F) == ORG
    assert w.statusBar().currentMessage() == f"Redone: Label every “{NAME}” ORG in 4 documents"
    # a document it touched shows it in its own history, and undoes all of it from there
    w.open_document(docs[2])
    assert w.undo_action.isEnabled() and w.undo_action.text() == f"Undo Label every “{NAME}” ORG"
    assert colour_at(w.view, S) == ORG
    qtbot.keyClick(w.view, Z, CTRL)
    spans, journal, _, counts = rows(store.path)
    assert spans == [] and journal[-1] == (entry, a, 1) and [c[1] for c in counts] == [0] * 5
    assert colour_at(w.view, S) is None and w.count_label.text() == "0 entities (0 unreviewed)"
    # after a restart the step is still there to redo, in the place it was made
    w.close()
    from gui.main_window import MainWindow
    store2 = Store(store.path)
    w2 = MainWindow(store2, None)
    qtbot.addWidget(w2)
    w2.show()
    w2.activateWindow()
    qtbot.waitExposed(w2)
    w2.start(open_doc=a)
    try:
        assert w2.redo_action.isEnabled()
        w2.redo_action.trigger()
        assert rows(store.path)[0] == all_labelled(docs)
        assert colour_at(w2.view, F) == ORG
    finally:
        w2.model.runner.wait(10000)
        w2.close()
        store2.close()


def test_another_writers_corpus_wide_edit_is_followed_spans_rows_and_history(window, qtbot):
    w, store, ids = window
    a, b = ids[0], ids[1]
    assert w.session.doc.id == a and not w.undo_action.isEnabled()
    other = Store(store.path)           # the CLI or another window, made in document b
    try:
        other.apply(corpus_edit(b, ids))
    finally:
        other.close()
    assert w.follower.poll()
    assert colour_at(w.view, F) == ORG and w.span_table.model_.rowCount() == 2
    assert [list_row(w, d) for d in ids] == [("in progress", "2")] * len(ids)
    assert w.session.doc.status == "in progress"
    # the open document's history has it: one Ctrl+Z here undoes it in every document
    assert w.undo_action.isEnabled() and w.undo_action.text() == f"Undo Label every “{NAME}” ORG"
    qtbot.keyClick(w.view, Z, CTRL)
    assert rows(store.path)[0] == [] and colour_at(w.view, F) is None
    assert [list_row(w, d)[1] for d in ids] == ["0"] * len(ids)


def test_a_stale_corpus_undo_is_refused_with_the_stored_truth_shown(window, qtbot, monkeypatch):
    from gui import dialogs
    w, store, ids = window
    errors = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, msg: errors.append(msg))
    a, b = ids[0], ids[1]
    assert w.session.push(corpus_edit(a, ids[:3]))
    other = Store(store.path)           # meanwhile another window relabels a span in b
    try:
        other.apply(ReplaceSpans(b, (Span(F, F + 9, "ORG"),), (Span(F, F + 9, "PERSON"),)))
        # and one in the open document, not yet followed here
        other.apply(ReplaceSpans(a, (Span(S, S + 9, "ORG"),), ()))
    finally:
        other.close()
    before = rows(store.path)
    qtbot.keyClick(w.view, Z, CTRL)
    assert rows(store.path) == before and len(errors) == 1 and "changed elsewhere" in errors[0]
    # the screen shows what the file holds (the span the other window removed is gone)
    assert colour_at(w.view, F) == ORG and colour_at(w.view, S) is None
    assert w.span_table.model_.rowCount() == 1 and w.save_label.text() == "NOT SAVED"


def test_a_wide_write_says_what_it_writes_and_the_cursor_waits_while_it_runs(window, qtbot, monkeypatch):
    from PySide6.QtGui import QGuiApplication
    from gui import session as S
    w, store, ids = window
    monkeypatch.setattr(S, "WIDE", 3)           # five documents count as wide here
    seen, commit = [], store.commit

    def spy(*a, **k):
        cursor = QGuiApplication.overrideCursor()
        seen.append((cursor.shape() if cursor else None, w.statusBar().currentMessage()))
        return commit(*a, **k)
    monkeypatch.setattr(store, "commit", spy)
    assert w.session.push(corpus_edit(ids[0], ids), None)
    w.view.setFocus()
    qtbot.keyClick(w.view, Z, CTRL)
    assert seen == [(Qt.CursorShape.WaitCursor, f"Label every “{NAME}” ORG: writing 5 documents…"),
                    (Qt.CursorShape.WaitCursor, f"Undo: Label every “{NAME}” ORG: writing 5 documents…")]
    assert QGuiApplication.overrideCursor() is None
    assert rows(store.path)[0] == []                    # undone: no span (the stand-in found none)
    seen.clear()
    w.session.add_span(F, F + 9, "ORG")                 # one document: no message, no cursor
    assert seen == [(None, seen[0][1])] and "writing" not in seen[0][1]
