"""Find in the article (Ctrl+F), and the key to the document list's search box (Ctrl+Shift+F)."""
from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from gui import dialogs
from gui.find_bar import Finder
from gui.typing_guard import BURST_MS

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
# Emoji, a CRLF and a rare CJK character before the matches: Qt counts them differently.
TEXT = ("Kim Jong Un 😀 met officials in Seoul.\r\n𠮷 North Korea’s envoy went back to KOREA; "
        "korea\u00a0today, and Korea's neighbours 🇰🇷 too.")


def active(qtbot, w):
    """The window active and the article focused, as a person working in it has them."""
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)
    w.view.setFocus()


@pytest.fixture
def window(make_window, qtbot):
    w, store, ids = make_window([TEXT, "Another article about Korea and Seoul."])
    active(qtbot, w)
    return w, store, ids


def ctrl_f(qtbot, w):
    qtbot.keyClick(w.view, Qt.Key.Key_F, CTRL)
    assert w.find_bar.isVisible() and QApplication.focusWidget() is w.find_bar.field


def typed(qtbot, w, text):
    qtbot.keyClicks(w.find_bar.field, text)


def selected(w) -> str:
    rng = w.view.selected_range()
    return None if rng is None else TEXT[rng[0]:rng[1]]


def test_typing_selects_the_first_match_in_code_points(window, qtbot):
    w, _store, _ids = window
    ctrl_f(qtbot, w)
    typed(qtbot, w, "seo")
    s = TEXT.index("Seoul")
    assert w.view.selected_range() == (s, s + 3) and w.find_bar.count.text() == "1 of 1"
    typed(qtbot, w, "ul")
    assert w.view.selected_range() == (s, s + 5)
    # The view shows exactly those characters (after the emoji: Qt's positions differ).
    c = w.view.textCursor()
    assert c.selectedText() == "Seoul"


def test_f3_next_shift_previous_wrapping_with_a_count(window, qtbot):
    w, _store, _ids = window
    starts = [TEXT.index("Korea’s"), TEXT.index("KOREA"), TEXT.index("korea\u00a0"), TEXT.index("Korea's")]
    ctrl_f(qtbot, w)
    typed(qtbot, w, "korea")
    bar, field = w.find_bar, w.find_bar.field
    assert w.view.selected_range() == (starts[0], starts[0] + 5) and bar.count.text() == "1 of 4"
    qtbot.keyClick(field, Qt.Key.Key_F3)
    assert w.view.selected_range()[0] == starts[1] and bar.count.text() == "2 of 4"
    qtbot.keyClick(field, Qt.Key.Key_F3)
    assert w.view.selected_range()[0] == starts[2] and bar.count.text() == "3 of 4"
    qtbot.keyClick(field, Qt.Key.Key_F3)
    assert bar.count.text() == "4 of 4"
    w.statusBar().clearMessage()
    qtbot.keyClick(field, Qt.Key.Key_F3)                      # past the end: from the top
    assert w.view.selected_range()[0] == starts[0] and bar.count.text() == "1 of 4"
    assert "continued from the top" in w.statusBar().currentMessage()
    qtbot.keyClick(field, Qt.Key.Key_Return, SHIFT)           # before the first: the last
    assert w.view.selected_range()[0] == starts[3] and bar.count.text() == "4 of 4"
    assert "continued from the end" in w.statusBar().currentMessage()
    qtbot.keyClick(field, Qt.Key.Key_F3, SHIFT)
    assert w.view.selected_range()[0] == starts[2] and bar.count.text() == "3 of 4"


def test_case_toggle_and_no_match(window, qtbot):
    w, _store, _ids = window
    ctrl_f(qtbot, w)
    w.find_bar.case.setChecked(True)
    typed(qtbot, w, "KOREA")
    assert selected(w) == "KOREA" and w.find_bar.count.text() == "1 of 1"
    w.find_bar.case.click()                     # off: every Korea
    assert w.find_bar.count.text().endswith("of 4")
    typed(qtbot, w, "x")
    assert w.find_bar.count.text() == "No matches"
    assert w.view.selected_range() is None      # nothing stale stays selected for a label key


def test_no_break_space_and_curly_quotes_match_what_is_typed(window, qtbot):
    w, _store, _ids = window
    ctrl_f(qtbot, w)
    typed(qtbot, w, "korea today")
    assert selected(w) == "korea\u00a0today"
    field = w.find_bar.field
    field.selectAll()
    typed(qtbot, w, "korea's")              # on from where the search is: the straight quote
    assert w.find_bar.count.text() == "2 of 2" and selected(w) == "Korea's"
    qtbot.keyClick(field, Qt.Key.Key_F3)
    assert w.find_bar.count.text() == "1 of 2" and selected(w) == "Korea’s"


def test_label_keys_in_the_find_field_type_and_never_relabel(window, qtbot, db_rows):
    w, store, ids = window
    w.annotator.select(None)
    s = TEXT.index("officials")
    w.view.select_range(s, s + 9)
    qtbot.keyClick(w.view, Qt.Key.Key_2)                  # a span, selected: ORG
    before = db_rows(store.path, ids[0])
    assert (ids[0], s, s + 9, "ORG", "manual") in before
    qtbot.wait(BURST_MS + 50)
    ctrl_f(qtbot, w)
    for word in ("123", "quiet", "poison", "Seoul 9"):
        w.find_bar.field.clear()
        typed(qtbot, w, word)
        assert w.find_bar.field.text() == word
        qtbot.wait(BURST_MS + 50)                         # slowly, too
        for ch in "1q":
            qtbot.keyClick(w.find_bar.field, ch)
            qtbot.wait(BURST_MS + 50)
        assert w.find_bar.field.text() == word + "1q"
    assert db_rows(store.path, ids[0]) == before
    assert w.session.history.count() == 1


def test_esc_returns_to_the_article_and_a_label_key_labels_the_match(window, qtbot, db_rows):
    w, store, ids = window
    ctrl_f(qtbot, w)
    typed(qtbot, w, "north kor")              # part of a word: the label snaps to tokens
    qtbot.keyClick(w.find_bar.field, Qt.Key.Key_Escape)
    assert not w.find_bar.isVisible() and QApplication.focusWidget() is w.view
    assert selected(w) == "North Kor"
    qtbot.keyClick(w.view, Qt.Key.Key_3)      # right after Esc: Esc ends the typing
    s = TEXT.index("North Korea")
    assert (ids[0], s, s + len("North Korea"), "GPE", "manual") in db_rows(store.path, ids[0])
    assert "GPE on “North Korea”" in w.statusBar().currentMessage()
    # The same through the mouse path's offsets: the span is painted on those characters.
    from tests.gui.viewprobe import colour_at
    assert colour_at(w.view, s) == colour_at(w.view, s + len("North Korea") - 1) == "#feca74"
    assert colour_at(w.view, s + len("North Korea")) is None


def test_enter_selects_the_match_on_whole_tokens_and_a_label_key_labels_it(window, qtbot, db_rows):
    w, store, ids = window
    ctrl_f(qtbot, w)
    typed(qtbot, w, "north kor")
    qtbot.keyClick(w.find_bar.field, Qt.Key.Key_Return)
    assert selected(w) == "North Korea’s"[:11] and QApplication.focusWidget() is w.view
    assert w.find_bar.isVisible() and "“North Korea” selected" in w.statusBar().currentMessage()
    qtbot.keyClick(w.view, Qt.Key.Key_3)                      # GPE, at once
    s = TEXT.index("North Korea")
    assert (ids[0], s, s + 11, "GPE", "manual") in db_rows(store.path, ids[0])
    # exact mode: the match as typed
    qtbot.keyClick(w.view, Qt.Key.Key_E, CTRL)
    ctrl_f(qtbot, w)
    w.find_bar.field.clear()
    typed(qtbot, w, "envo")
    qtbot.keyClick(w.find_bar.field, Qt.Key.Key_Enter)
    assert selected(w) == "envo"
    # F3 from the article goes on to the next match
    ctrl_f(qtbot, w)
    w.find_bar.field.clear()
    typed(qtbot, w, "seoul")
    qtbot.keyClick(w.find_bar.field, Qt.Key.Key_Return)
    qtbot.keyClick(w.view, Qt.Key.Key_F3)
    assert selected(w) == "Seoul" and "passed the end" in w.statusBar().currentMessage()


def test_f3_after_closing_goes_on_and_a_new_document_counts_again(window, qtbot):
    w, _store, ids = window
    ctrl_f(qtbot, w)
    typed(qtbot, w, "seoul")
    qtbot.keyClick(w.find_bar.field, Qt.Key.Key_Escape)
    w.open_document(ids[1])
    w.find_bar.show()
    w.find_bar.refresh()
    assert w.find_bar.count.text() == "1 matches" or w.find_bar.count.text().endswith("matches")
    qtbot.keyClick(w.view, Qt.Key.Key_F3)
    text = w.session.doc.text
    s = text.index("Seoul")
    assert w.view.selected_range() == (s, s + 5) and w.find_bar.count.text() == "1 of 1"


def test_ctrl_shift_f_takes_the_focus_to_the_document_search_and_f1_lists_both(window, qtbot, monkeypatch):
    w, store, ids = window
    w.docs_dock.hide()
    qtbot.keyClick(w.view, Qt.Key.Key_F, CTRL | SHIFT)
    assert w.docs_dock.isVisible() and QApplication.focusWidget() is w.doc_panel.search
    before = store.spans(ids[0])
    qtbot.keyClicks(w.doc_panel.search, "quiet")
    assert w.doc_panel.search.text() == "quiet" and store.spans(ids[0]) == before
    keys = [k for k, _ in dialogs.SHORTCUTS]
    assert "Ctrl+F" in keys and "Ctrl+Shift+F" in keys
    assert any("F3" in k for k in keys)


@pytest.mark.parametrize("text,query,expected", [
    # "İ".lower() is two code points: a regular expression searches, offsets stay the text's
    ("İstanbul and istanbul", "istanbul", [(0, 8), (13, 21)]),
    ("in İzmir, 😀 IZMIR", "izmir", [(3, 8), (12, 17)]),
    ("😀😀 Seoul 𠮷 seoul", "SEOUL", [(3, 8), (11, 16)]),
    ("aaaa", "aa", [(0, 2), (2, 4)]),
    ("Straße STRASSE", "straße", [(0, 6)]),
])
def test_finder_gives_code_point_ranges(text, query, expected):
    f = Finder()
    got, pos = [], 0
    for _ in range(len(expected)):
        start, end, wrapped = f.find(text, query, pos)
        assert not wrapped
        got.append((start, end))
        pos = end
    assert got == expected
    assert f.find(text, query, pos)[:2] == expected[0] and f.find(text, query, pos)[2]
    assert f.count(text, query)[0] == len(expected)
    for start, end in expected:
        assert text[start:end].lower().replace("i̇", "i") == query.lower()


def test_find_is_fast_on_a_1_mb_article(make_window, stand_in_model, qtbot):
    from importlib import resources
    base = resources.files("resources").joinpath("sample_article.txt").read_text("utf-8")
    text = (base * (1_000_000 // len(base) + 1))[:1_000_000] + " Zyzzyva."
    w, _store, _ids = make_window([text])
    active(qtbot, w)
    ctrl_f(qtbot, w)
    times = []
    for ch in "zyzzyva":
        t = time.perf_counter()
        qtbot.keyClick(w.find_bar.field, ch)
        times.append(time.perf_counter() - t)
    s = text.index("Zyzzyva")
    assert w.view.selected_range() == (s, s + 7) and w.find_bar.count.text() == "1 of 1"
    # the first key folds the text once; every other is a str.find and a str.count
    assert max(times[1:]) < 0.1, times
    assert sum(times) < 1.0, times
