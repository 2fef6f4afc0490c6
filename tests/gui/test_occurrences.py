"""Label every occurrence through the real window: a selection, Ctrl+Shift+A, the preview
filling in the background, a row unticked with Space, Enter — the spans in the SQLite file,
and one Ctrl+Z in the open document taking all of it back in every document."""
from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from models import occurrences as O
from models.document import DONE, IN_PROGRESS, NEW, SKIPPED
from models.edits import ReplaceSpans
from models.spans import MANUAL, Span
from models.store import Store

CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = CTRL | Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier
MODEL = "stand_in-1.0"

TEXTS = ["Talks 😀 in Paris: North Korea's envoy met 𠮷 officials of Korea; Koreas differ.",
         "Korea and Korea again.",
         "Done: Korea.",
         "Skipped: Korea.",
         "Theirs: Korea here."]
STATUSES = [NEW, NEW, DONE, SKIPPED, IN_PROGRESS]


def at(text, word, nth=0):
    i = -1
    for _ in range(nth + 1):
        i = text.index(word, i + 1)
    return i


def spans(path):
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT doc_id, start, end, label, source FROM spans "
                           "ORDER BY doc_id, start").fetchall()
    finally:
        con.close()


def statuses(path):
    con = sqlite3.connect(path)
    try:
        return [r[0] for r in con.execute("SELECT status FROM documents ORDER BY id")]
    finally:
        con.close()


def journal(path):
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT id, doc_id, undone FROM journal ORDER BY id").fetchall()
    finally:
        con.close()


@pytest.fixture
def window(make_window, stand_in_model, qtbot, tmp_path):
    path = tmp_path / "project.annotator"
    store = Store(path)
    ids, _ = store.add_documents([{"text": t, "title": f"doc {i}", "status": st}
                                  for i, (t, st) in enumerate(zip(TEXTS, STATUSES))])
    store.apply(ReplaceSpans(ids[4], (), (Span(8, 13, "ORG"),)))        # a person's "Korea"
    store.close()
    w, store, _ = make_window(path=path)
    qtbot.waitUntil(lambda: store.preannotated(ids[0]) is not None, timeout=10000)
    w.model.runner.wait(10000)
    assert w.session.doc.id == ids[0]
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)
    w.view.setFocus()
    return w, store, ids


def open_dialog(qtbot, w):
    qtbot.keyClick(w.view, Qt.Key.Key_A, CTRL_SHIFT)
    d = w.occurrence_dialog
    assert d.isVisible()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is d, timeout=5000)
    qtbot.waitUntil(lambda: d._done, timeout=10000)
    return d


def test_select_preview_untick_apply_and_one_undo(window, qtbot):
    w, store, ids = window
    path, t0 = store.path, TEXTS[0]
    k1, k2 = at(t0, "Korea"), at(t0, "Korea", 1)
    # the stand-in model labelled both "Korea"s of the open document GPE
    assert spans(path) == [(ids[0], k1, k1 + 5, "GPE", MODEL), (ids[0], k2, k2 + 5, "GPE", MODEL),
                           (ids[4], 8, 13, "ORG", MANUAL)]
    before, before_status, entries = spans(path), statuses(path), len(journal(path))
    w.view.select_range(k1 + 1, k1 + 3)                    # "or": snapped to "Korea"
    d = open_dialog(qtbot, w)
    assert d.heading.text() == "Label every occurrence of “Korea”"
    assert d.label.currentData() == "GPE"                  # the span on the snapped selection
    assert d.scope_buttons[O.NOT_DONE].isChecked() and d.case.isChecked() and d.tokens.isChecked()
    rows = d.model.rows
    # the open document first, then the documents new or in progress (not "Koreas")
    assert [(r.doc_id, r.start) for r in rows] == [(ids[0], k1), (ids[0], k2), (ids[1], 0),
                                                  (ids[1], 10), (ids[4], 8)]
    assert [r.kind for r in rows] == [O.MODEL, O.MODEL, O.NOTHING, O.NOTHING, O.PERSON]
    assert list(d.model.ticks) == [1, 1, 1, 1, 0]          # the person's span: unticked
    m = d.model
    assert [m.data(m.index(4, c)) for c in range(1, 6)] == ["doc 4", "Theirs: ", "Korea", " here.",
                                                            "person: ORG"]
    assert m.data(m.index(0, 2)) == "Talks 😀 in Paris: North "     # code points, whole emoji
    # every document, chosen with the keyboard (Alt+E): the done and skipped ones too
    qtbot.keyClick(d.table, Qt.Key.Key_E, ALT)
    qtbot.waitUntil(lambda: d._done and d.scope_buttons[O.ALL].isChecked(), timeout=10000)
    assert [(r.doc_id, r.start) for r in d.model.rows] == [
        (ids[0], k1), (ids[0], k2), (ids[1], 0), (ids[1], 10), (ids[2], 6), (ids[3], 9), (ids[4], 8)]
    assert d.count.text() == ("7 occurrences in 5 documents · 6 ticked · 1 over a person's span "
                              "(unticked: tick to replace)")
    # untick doc 1's second "Korea" with Space: the focus stayed on the rows after Alt+E
    assert QApplication.focusWidget() is d.table
    d.table.selectRow(3)
    qtbot.keyClick(d.table, Qt.Key.Key_Space)
    assert list(d.model.ticks) == [1, 1, 1, 0, 1, 1, 0]
    assert d.apply_button.text() == "&Apply to 5"
    qtbot.keyClick(d.table, Qt.Key.Key_Return)             # Enter applies
    qtbot.waitUntil(lambda: not d.isVisible(), timeout=10000)
    assert spans(path) == [(ids[0], k1, k1 + 5, "GPE", MANUAL), (ids[0], k2, k2 + 5, "GPE", MANUAL),
                           (ids[1], 0, 5, "GPE", MANUAL), (ids[2], 6, 11, "GPE", MANUAL),
                           (ids[3], 9, 14, "GPE", MANUAL), (ids[4], 8, 13, "ORG", MANUAL)]
    assert statuses(path) == [IN_PROGRESS, IN_PROGRESS, IN_PROGRESS, SKIPPED, IN_PROGRESS]
    assert len(journal(path)) == entries + 1 and journal(path)[-1][1:] == (ids[0], 0)
    assert w.statusBar().currentMessage() == (
        "Labelled 5 occurrences in 4 documents (replacing 2 spans); 1 document marked done is "
        "in progress again — Ctrl+Z undoes it all.")
    assert [(s.start, s.label, s.source) for s in w.session.spans] == [(k1, "GPE", MANUAL),
                                                                       (k2, "GPE", MANUAL)]
    # one Ctrl+Z in the open document: every document as before (the done one done again)
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)
    w.view.setFocus()
    qtbot.keyClick(w.view, Qt.Key.Key_Z, CTRL)
    assert spans(path) == before
    assert before_status == [NEW, NEW, DONE, SKIPPED, IN_PROGRESS]
    assert statuses(path) == before_status                 # the done one done, the new ones new
    assert journal(path)[-1][2] == 1
    assert [(s.start, s.source) for s in w.session.spans] == [(k1, MODEL), (k2, MODEL)]
    assert w.statusBar().currentMessage().startswith("Undone: Label every “Korea” GPE in 4 documents")


def test_this_document_only_and_a_selected_span(window, qtbot):
    w, store, ids = window
    path = store.path
    span = w.session.spans[0]
    w.annotator.select(span)
    d = open_dialog(qtbot, w)
    qtbot.keyClick(d.table, Qt.Key.Key_T, ALT)                    # this document
    qtbot.waitUntil(lambda: d._done and d.scope_buttons[O.DOCUMENT].isChecked(), timeout=10000)
    assert {r.doc_id for r in d.model.rows} == {ids[0]} and len(d.model.rows) == 2
    d.label.setCurrentIndex(d.label.findData("LOC"))
    qtbot.waitUntil(lambda: d._done and d.query.label == "LOC", timeout=10000)
    qtbot.keyClick(d.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not d.isVisible(), timeout=10000)
    assert [r for r in spans(path) if r[0] == ids[0]] == [
        (ids[0], s.start, s.end, "LOC", MANUAL) for s in w.session.spans]
    assert len(w.session.spans) == 2
    assert w.statusBar().currentMessage().startswith("Labelled 2 occurrences in 1 document (replacing 2 spans)")


def test_a_change_meanwhile_is_refused_and_the_preview_read_again(window, qtbot):
    w, store, ids = window
    w.annotator.select(w.session.spans[0])
    d = open_dialog(qtbot, w)
    other = Store(store.path)                   # another window labels doc 1 meanwhile
    try:
        other.apply(ReplaceSpans(ids[1], (), (Span(0, 5, "ORG"),)))
    finally:
        other.close()
    before = spans(store.path)
    qtbot.keyClick(d.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: d.notice.isVisible(), timeout=10000)
    assert d.isVisible() and "Not applied" in d.notice.text()
    assert "changed since the preview" in d.notice.text()
    assert spans(store.path) == before
    qtbot.waitUntil(lambda: d._done, timeout=10000)
    assert d.notice.isVisible()                            # still said once the preview is back
    assert [r.kind for r in d.model.rows if r.doc_id == ids[1]] == [O.PERSON, O.NOTHING]
    qtbot.keyClick(d.table, Qt.Key.Key_Escape)
    assert not d.isVisible()


def test_read_only_window_has_the_action_off(window, qtbot):
    from gui.main_window import MainWindow
    w, store, ids = window
    assert w.registry["label_every"].isEnabled()
    assert w.label_every_action in w.menus["edit"].actions()
    ro = MainWindow(Store(store.path, readonly=True))
    qtbot.addWidget(ro)
    ro.start()
    assert not ro.registry["label_every"].isEnabled()
    assert [a.edits for a in ro.registry if a.name == "label_every"] == [True]
    ro.model.runner.wait(10000)
    ro.io.wait(10000)


def test_ticks_are_kept_when_the_preview_is_read_again(window, qtbot):
    """The person's own ticks survive another label and a write of the window meanwhile; a
    person's span is replaced once its row is ticked explicitly."""
    w, store, ids = window
    path = store.path
    w.annotator.select(w.session.spans[0])
    d = open_dialog(qtbot, w)
    assert [(r.doc_id, r.kind) for r in d.model.rows][-1] == (ids[4], O.PERSON)
    d.table.selectRow(4)                                   # the person's "Korea": ticked by hand
    qtbot.keyClick(d.table, Qt.Key.Key_Space)
    d.table.selectRow(2)                                   # doc 1's first: unticked
    qtbot.keyClick(d.table, Qt.Key.Key_Space)
    assert list(d.model.ticks) == [1, 1, 0, 1, 1]
    assert d.count.text().endswith("1 over a person's span (1 ticked by you: replaced)")
    d.label.setCurrentIndex(d.label.findData("LOC"))
    qtbot.waitUntil(lambda: d._done and d.query.label == "LOC", timeout=10000)
    assert list(d.model.ticks) == [1, 1, 0, 1, 1]
    # the window writes meanwhile (the second "Korea" of the open document deleted): read again
    second = w.session.spans[1]
    assert w.session.delete(second)
    qtbot.waitUntil(lambda: d._done and d.model.rows[1].kind == O.NOTHING, timeout=10000)
    assert list(d.model.ticks) == [1, 1, 0, 1, 1]
    qtbot.keyClick(d.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not d.isVisible(), timeout=10000)
    t0 = TEXTS[0]
    k1, k2 = at(t0, "Korea"), at(t0, "Korea", 1)
    assert spans(path) == [(ids[0], k1, k1 + 5, "LOC", MANUAL), (ids[0], k2, k2 + 5, "LOC", MANUAL),
                           (ids[1], 10, 15, "LOC", MANUAL), (ids[4], 8, 13, "LOC", MANUAL)]


def test_a_double_click_shows_the_occurrence_and_the_edit_belongs_to_the_open_document(window, qtbot):
    w, store, ids = window
    w.annotator.select(w.session.spans[0])
    d = open_dialog(qtbot, w)
    row = next(i for i, r in enumerate(d.model.rows) if r.doc_id == ids[1] and r.start == 10)
    d.table.doubleClicked.emit(d.model.index(row, 3))
    assert w.session.doc.id == ids[1] and w.view.selected_range() == (10, 15)
    assert d.isVisible()
    # opening it ran the model on it: the preview is read again by itself
    qtbot.waitUntil(lambda: d._done and [r.kind for r in d.model.rows if r.doc_id == ids[1]]
                    == [O.MODEL, O.MODEL], timeout=10000)
    qtbot.keyClick(d.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not d.isVisible(), timeout=10000)
    entry = journal(store.path)[-1]
    assert entry[1] == ids[1]                       # made here: this document's Ctrl+Z undoes it
    assert w.session.history.undo_text() == "Label every “Korea” GPE"
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)
    w.view.setFocus()
    qtbot.keyClick(w.view, Qt.Key.Key_Z, CTRL)
    assert journal(store.path)[-1] == (entry[0], ids[1], 1)
    assert [r for r in spans(store.path) if r[4] == MANUAL] == [(ids[4], 8, 13, "ORG", MANUAL)]


def test_a_write_of_the_window_while_apply_checks_stops_the_push(window, qtbot):
    """The edit is checked in the worker; a write of this window meanwhile (the model's
    suggestions for a document opened, a label key) may make it stale: it is not pushed."""
    w, store, ids = window
    w.annotator.select(w.session.spans[0])
    d = open_dialog(qtbot, w)
    before, entries = spans(store.path), len(journal(store.path))
    d.apply()                                  # the worker checks; its answer is queued
    assert w.session.push(ReplaceSpans(ids[3], (), (Span(0, 4, "ORG"),)), None)
    qtbot.waitUntil(lambda: d.notice.isVisible(), timeout=10000)
    assert "this window wrote meanwhile" in d.notice.text() and d.isVisible()
    assert spans(store.path) == sorted(before + [(ids[3], 0, 4, "ORG", MANUAL)])
    assert len(journal(store.path)) == entries + 1            # the push above, nothing else
    qtbot.waitUntil(lambda: d._done, timeout=10000)
    qtbot.keyClick(d.table, Qt.Key.Key_Return)                 # applied on the new preview
    qtbot.waitUntil(lambda: not d.isVisible(), timeout=10000)
    assert len(journal(store.path)) == entries + 2


def test_a_preview_stops_at_its_limit_and_says_so(window, qtbot, monkeypatch):
    from gui.features import occurrences as feature
    monkeypatch.setattr(feature, "LIMIT", 3)
    w, store, ids = window
    w.annotator.select(w.session.spans[0])
    d = open_dialog(qtbot, w)
    assert [(r.doc_id, r.start) for r in d.model.rows][:2] == [(ids[0], s.start) for s in w.session.spans]
    assert d.model.rowCount() == 3
    assert d.count.text().startswith("The first 3 occurrences (in 2 documents): the search stopped")
    qtbot.keyClick(d.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not d.isVisible(), timeout=10000)
    assert [r[:2] for r in spans(store.path) if r[4] == MANUAL and r[3] == "GPE"] == [
        (ids[0], w.session.spans[0].start), (ids[0], w.session.spans[1].start), (ids[1], 0)]
