"""What a new user's test of the window found (issue 9): Esc leaves the document search, Esc after
a search that found nothing leaves nothing selected, and labelling a found suggestion with its
own label says "Confirmed"."""
from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from models.edits import add_span
from models.spans import Span

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
TEXT = "Officials said Choe Son Hui met Erik Saarinen in Seoul on Monday."


@pytest.fixture
def window(make_window, qtbot):
    w, store, ids = make_window([TEXT, "Another article about Korea."], start=False)
    store.apply(add_span(ids[0], Span(15, 27, "PERSON", "some_model-1.0"), []))
    store.apply(add_span(ids[0], Span(32, 45, "PERSON", "some_model-1.0"), store.spans(ids[0])))
    w.start()
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)
    w.view.setFocus()
    return w, store, ids


def rows(store):
    con = sqlite3.connect(store.path)
    try:
        return con.execute("SELECT start, end, label, source FROM spans ORDER BY doc_id, start").fetchall()
    finally:
        con.close()


def test_esc_in_the_document_search_goes_back_to_the_article_keeping_the_filter(window, qtbot):
    w, store, _ = window
    qtbot.keyClick(w.view, Qt.Key.Key_F, CTRL | SHIFT)
    assert QApplication.focusWidget() is w.doc_panel.search
    qtbot.keyClicks(w.doc_panel.search, "korea")
    qtbot.keyClick(w.doc_panel.search, Qt.Key.Key_Escape)
    assert QApplication.focusWidget() is w.view
    assert w.doc_panel.search.text() == "korea"
    w.doc_panel.table.setFocus()
    qtbot.keyClick(w.doc_panel.table, Qt.Key.Key_Escape)
    assert QApplication.focusWidget() is w.view


def test_esc_after_a_search_that_found_nothing_leaves_nothing_selected(window, qtbot):
    w, store, _ = window
    qtbot.keyClick(w.view, Qt.Key.Key_Tab)                    # "Choe Son Hui" selected
    assert w.view.selected == Span(15, 27, "PERSON", "some_model-1.0")
    before = rows(store)
    qtbot.keyClick(w.view, Qt.Key.Key_F, CTRL)
    qtbot.keyClicks(w.find_bar.field, "zebra")
    assert w.find_bar.count.text() == "No matches"
    qtbot.keyClick(w.find_bar.field, Qt.Key.Key_Escape)
    assert QApplication.focusWidget() is w.view and w.view.selected is None
    assert w.statusBar().currentMessage() == "Find: no match for 'zebra'; nothing is selected"
    qtbot.wait(400)
    qtbot.keyClick(w.view, Qt.Key.Key_3)                       # GPE: acts on nothing
    assert rows(store) == before


def test_labelling_a_found_suggestion_with_its_own_label_says_confirmed(window, qtbot):
    w, store, ids = window
    qtbot.keyClick(w.view, Qt.Key.Key_F, CTRL)
    qtbot.keyClicks(w.find_bar.field, "erik saarinen")
    qtbot.keyClick(w.find_bar.field, Qt.Key.Key_Escape)
    qtbot.wait(400)
    qtbot.keyClick(w.view, Qt.Key.Key_1)                       # PERSON, as suggested
    assert (32, 45, "PERSON", "manual") in rows(store)
    assert w.statusBar().currentMessage() == "Confirmed PERSON on “Erik Saarinen”"
