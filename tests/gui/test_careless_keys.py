"""Keys pressed carelessly: a word typed onto a selected span, an edit of a document marked done."""
from __future__ import annotations

import io
import json
import sqlite3
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from gui import typing_guard
from gui.typing_guard import BURST_MS, TypingGuard
from models.exporter import export
from models.store import Store

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
TEXT = "Kim Jong Un met officials in Seoul on Monday. Apple opened in Tokyo."
PAUSE = BURST_MS + 60          # a person's pause between two deliberate keys


@pytest.fixture
def window(make_window, stand_in_model, qtbot):
    w, store, ids = make_window([TEXT, "Second article about Apple.", "Third one."])
    qtbot.waitUntil(lambda: store.preannotated(ids[0]) is not None, timeout=5000)
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)
    w.view.setFocus()
    return w, store, ids


def rows(store, doc_id):
    con = sqlite3.connect(store.path)
    try:
        return con.execute("SELECT start, end, label, source FROM spans WHERE doc_id = ? "
                           "ORDER BY start", [doc_id]).fetchall()
    finally:
        con.close()


def status(store, doc_id):
    con = sqlite3.connect(store.path)
    try:
        return con.execute("SELECT status FROM documents WHERE id = ?", [doc_id]).fetchone()[0]
    finally:
        con.close()


def journal(store):
    con = sqlite3.connect(store.path)
    try:
        return con.execute("SELECT count(*) FROM journal").fetchone()[0]
    finally:
        con.close()


def message(w) -> str:
    return w.statusBar().currentMessage()


def select_span(w, text):
    s = TEXT.index(text)
    span = next(sp for sp in w.session.spans if sp.start == s)
    w.annotator.select(span)
    return span


# -- a burst of label keys is typing ----------------------------------------------------------

@pytest.mark.parametrize("word,first,ignored", [
    ("quiet", "FAC", "4 label keys"),      # q FAC, then u i e t (label keys): only the first acts
    ("2024", "ORG", "2 label keys"),       # digits are label keys too (0 is none)
    ("eye", "WORK_OF_ART", "2 label keys"),    # the same key again
    ("i o", "QUANTITY", "label key “o”"),      # a space is typing too
])
def test_a_word_typed_on_a_selected_span_changes_it_once_and_says_so(window, qtbot, word, first, ignored):
    w, store, ids = window
    select_span(w, "Kim Jong Un")
    before, entries = rows(store, ids[0]), journal(store)
    qtbot.keyClicks(w.view, word)
    after = rows(store, ids[0])
    assert after == [(0, 11, first, "manual")] + before[1:]
    assert journal(store) == entries + 1                       # one edit, one undo
    assert message(w) == (f"Typing? {ignored} ignored, only the first acted: PERSON → {first} "
                          "on “Kim Jong Un” (Ctrl+Z undoes it).")
    qtbot.keyClick(w.view, Qt.Key.Key_Z, CTRL)
    assert rows(store, ids[0]) == before


@pytest.mark.parametrize("where", ["doc_table", "span_table"])
def test_a_word_typed_in_a_list_changes_the_selected_span_once(window, qtbot, where):
    # the lists take no letters: label keys reach the window there too
    w, store, ids = window
    select_span(w, "Kim Jong Un")
    before = rows(store, ids[0])
    widget = getattr(w, where)
    widget.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget)
    qtbot.keyClicks(widget, "quiet")
    assert rows(store, ids[0]) == [(0, 11, "FAC", "manual")] + before[1:]
    assert message(w).startswith("Typing? 4 label keys ignored, only the first acted: PERSON → FAC")


@pytest.mark.parametrize("word,ignored", [("poison", "3 label keys"), ("pyq", "2 label keys"),
                                          ("Pi", "label key “i”"), ("  19", "2 label keys")])
def test_a_word_whose_first_letter_is_no_label_key_changes_nothing(window, qtbot, word, ignored):
    # p and P are no label keys: every label key after them is typing
    w, store, ids = window
    select_span(w, "Seoul")
    before, entries = rows(store, ids[0]), journal(store)
    qtbot.wait(PAUSE)                   # an earlier change is not this word's
    qtbot.keyClicks(w.view, word)
    assert rows(store, ids[0]) == before and journal(store) == entries
    assert message(w) == f"Typing? {ignored} ignored, nothing changed."


def test_a_word_on_a_text_selection_labels_it_once(window, qtbot):
    w, store, ids = window
    s = TEXT.index("officials")
    w.view.select_range(s, s + 9)
    qtbot.keyClicks(w.view, "23456")
    assert (s, s + 9, "ORG", "manual") in rows(store, ids[0])
    assert w.view.selected.label == "ORG"
    assert message(w) == ("Typing? 4 label keys ignored, only the first acted: ORG on “officials” "
                          "(Ctrl+Z undoes it).")


def test_deliberate_keys_spaced_like_a_person_all_act_and_each_is_said(window, qtbot):
    w, store, ids = window
    select_span(w, "Kim Jong Un")
    qtbot.keyClick(w.view, Qt.Key.Key_2)
    assert rows(store, ids[0])[0] == (0, 11, "ORG", "manual")
    assert message(w) == "PERSON → ORG on “Kim Jong Un”"
    for key, label, was in ((Qt.Key.Key_1, "PERSON", "ORG"), (Qt.Key.Key_Q, "FAC", "PERSON"),
                            (Qt.Key.Key_2, "ORG", "FAC")):
        qtbot.wait(PAUSE)
        qtbot.keyClick(w.view, key)
        assert rows(store, ids[0])[0] == (0, 11, label, "manual")
        assert message(w) == f"{was} → {label} on “Kim Jong Un”"
    qtbot.wait(PAUSE)
    qtbot.keyClick(w.view, Qt.Key.Key_2)                      # the same label: nothing changes
    assert message(w) == "“Kim Jong Un” is already ORG: nothing changed."
    s = select_span(w, "Seoul")
    qtbot.wait(PAUSE)
    qtbot.keyClick(w.view, Qt.Key.Key_3)                      # GPE on a GPE suggestion: confirmed
    assert (s.start, s.end, "GPE", "manual") in rows(store, ids[0])
    assert message(w) == "Confirmed GPE on “Seoul”"
    # a new span over others says what it replaced
    w.view.select_range(0, 3)
    qtbot.wait(PAUSE)
    qtbot.keyClick(w.view, Qt.Key.Key_4)
    assert rows(store, ids[0])[0] == (0, 3, "LOC", "manual")
    assert message(w) == "LOC on “Kim” (replaced ORG “Kim Jong Un”)"
    w.view.select_range(0, TEXT.index("Seoul") + 5)
    qtbot.wait(PAUSE)
    qtbot.keyClick(w.view, Qt.Key.Key_5)
    assert message(w) == "NORP on “Kim Jong Un met officials in Seoul” (replaced LOC “Kim”, GPE “Seoul”)"


@pytest.mark.parametrize("between", [
    (Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier),
    (Qt.Key.Key_Tab, Qt.KeyboardModifier.NoModifier),
    (Qt.Key.Key_Right, SHIFT),
    (Qt.Key.Key_Z, CTRL),
])
def test_a_key_that_types_nothing_ends_the_burst(window, qtbot, between):
    w, store, ids = window
    s = TEXT.index("officials")
    w.view.select_range(s, s + 9)
    qtbot.keyClick(w.view, Qt.Key.Key_2)                      # ORG on "officials"
    qtbot.keyClick(w.view, *between)                          # at once: a deliberate move
    w.view.select_range(s, s + 9)
    qtbot.keyClick(w.view, Qt.Key.Key_1)                      # at once, too
    assert (s, s + 9, "PERSON", "manual") in rows(store, ids[0])
    assert not message(w).startswith("Typing?")


def test_a_click_ends_the_burst_and_the_toolbar_is_never_ignored(window, qtbot):
    w, store, ids = window
    s = TEXT.index("officials")
    w.view.select_range(s, s + 9)
    qtbot.keyClick(w.view, Qt.Key.Key_2)
    w.registry.group("label")[0].trigger()                              # PERSON from the toolbar, at once
    assert (s, s + 9, "PERSON", "manual") in rows(store, ids[0])
    qtbot.keyClick(w.view, Qt.Key.Key_2)          # keys at once after the first key: typing
    qtbot.keyClick(w.view, Qt.Key.Key_3)
    assert (s, s + 9, "PERSON", "manual") in rows(store, ids[0])
    assert message(w).startswith("Typing? 2 label keys ignored")
    qtbot.mouseClick(w.view.viewport(), Qt.MouseButton.LeftButton)   # a click: a new start
    w.view.select_range(s, s + 9)
    qtbot.keyClick(w.view, Qt.Key.Key_3)
    assert (s, s + 9, "GPE", "manual") in rows(store, ids[0])


class Key(SimpleNamespace):
    def key(self):
        return self.code

    def text(self):
        return self.chars

    def modifiers(self):
        return Qt.KeyboardModifier.NoModifier

    def timestamp(self):
        return self.stamp


def test_the_keys_times_decide_not_only_when_they_arrive(monkeypatch, qtbot):
    """Keys pressed 0.5 s apart but delivered together (the window was busy) are not a burst;
    keys pressed together are, whenever they arrive."""
    guard = TypingGuard(window=None)
    clock = iter([10.0, 10.001, 10.002, 10.003, 12.0, 12.5])
    monkeypatch.setattr(typing_guard.time, "monotonic", lambda: next(clock))
    bursts = []
    for stamp in (1000, 1500, 2000, 2050, 9000, 9050):
        guard._key(Key(code=Qt.Key.Key_1, chars="1", stamp=stamp))
        bursts.append(guard._burst)
    # arrive 1 ms apart, pressed 500 ms apart: no burst; 50 ms apart: a burst;
    # pressed 50 ms apart but arriving 0.5 s apart: not one either (the arrival says so)
    assert bursts == [False, False, False, True, False, False]
    guard.remove()


# -- editing a document marked done ---------------------------------------------------------------

def exported_ids(store) -> list[int]:
    out = io.StringIO()
    export(Store(store.path), out, "jsonl")
    return [json.loads(line)["meta"]["doc_id"] for line in out.getvalue().splitlines()]


def relabel_key(w, qtbot):
    select_span(w, "Kim Jong Un")
    qtbot.keyClick(w.view, Qt.Key.Key_2)


def new_span(w, qtbot):
    s = TEXT.index("officials")
    w.view.select_range(s, s + 9)
    qtbot.keyClick(w.view, Qt.Key.Key_2)


def delete_key(w, qtbot):
    select_span(w, "Seoul")
    qtbot.keyClick(w.view, Qt.Key.Key_Delete)


def resize_key(w, qtbot):
    select_span(w, "Seoul")
    qtbot.keyClick(w.view, Qt.Key.Key_Right, SHIFT)


def table_relabel(w, qtbot):
    m = w.span_table.model_
    row = next(i for i, sp in enumerate(m.spans) if sp.start == 0)
    assert m.setData(m.index(row, 1), "ORG")


@pytest.mark.parametrize("edit", [relabel_key, new_span, delete_key, resize_key, table_relabel])
def test_editing_a_done_document_reopens_it_in_the_same_undoable_edit(window, qtbot, edit):
    w, store, ids = window
    doc = ids[0]
    qtbot.keyClick(w.view, Qt.Key.Key_Return, CTRL)           # done; the next one opens
    assert status(store, doc) == "done" and w.session.doc.id == ids[1]
    qtbot.keyClick(w.view, Qt.Key.Key_PageUp, CTRL)           # back to it
    assert w.session.doc.id == doc
    done_rows, entries = rows(store, doc), journal(store)
    assert exported_ids(store) == [doc]
    edit(w, qtbot)
    changed = rows(store, doc)
    assert changed != done_rows
    assert status(store, doc) == "in progress" and w.session.doc.status == "in progress"
    assert journal(store) == entries + 1                       # one step
    assert exported_ids(store) == []                           # not exported as accepted unseen
    assert "this document was marked done: it is in progress again" in message(w)
    m = w.docs_model
    assert m.data(m.index(m.row_of(doc), 2)) == "in progress"
    qtbot.keyClick(w.view, Qt.Key.Key_Z, CTRL)                # both come back
    assert rows(store, doc) == done_rows and status(store, doc) == "done"
    assert m.data(m.index(m.row_of(doc), 2)) == "done" and exported_ids(store) == [doc]
    qtbot.keyClick(w.view, Qt.Key.Key_Z, CTRL | SHIFT)
    assert rows(store, doc) == changed and status(store, doc) == "in progress"
    qtbot.keyClick(w.view, Qt.Key.Key_Z, CTRL)
    assert status(store, doc) == "done"


def test_the_reopening_is_undone_after_a_restart_too(window, make_window, qtbot, tmp_path):
    w, store, ids = window
    doc = ids[0]
    qtbot.keyClick(w.view, Qt.Key.Key_Return, CTRL)
    w.open_document(doc)
    done_rows = rows(store, doc)
    relabel_key(w, qtbot)
    assert status(store, doc) == "in progress"
    w.close()
    w2, store2, _ = make_window(path=store.path)
    w2.open_document(doc)
    w2.session.undo()
    assert rows(store2, doc) == done_rows and status(store2, doc) == "done"


def test_an_edit_of_a_document_not_done_keeps_its_status(window, qtbot):
    w, store, ids = window
    relabel_key(w, qtbot)
    assert status(store, ids[0]) == "in progress"
    assert "marked done" not in message(w)
    w.open_document(ids[2])
    w.session.set_status("skipped")
    w.open_document(ids[2])
    s = w.session.doc.text.index("one")
    w.view.select_range(s, s + 3)
    qtbot.wait(PAUSE)
    qtbot.keyClick(w.view, Qt.Key.Key_2)
    assert status(store, ids[2]) == "skipped"
