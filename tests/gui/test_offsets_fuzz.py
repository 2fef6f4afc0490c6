"""Property tests (hypothesis) for gui/offsets.py against a real QTextDocument: random texts of
emoji, flags, combining marks, CJK, RTL, CRLF, lone CR, U+2028/9, NBSP, zero-width characters and
BOMs (tests/fuzztext.py). Profiles (bounded for make test, HYPOTHESIS_PROFILE=long): see
tests/conftest.py."""
from __future__ import annotations

import pytest
import regex
from hypothesis import example, given
from hypothesis import strategies as st
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QPlainTextEdit

from gui.offsets import LEADING_SUBSTITUTES, OffsetMap
from models.graphemes import widen
from tests.fuzztext import cluster_boundaries, qt_shown, text_and_span, texts


@pytest.fixture
def shown(qtbot):
    """Fill one read-only QPlainTextEdit the way the article view does; returns the map."""
    w = QPlainTextEdit()
    w.setReadOnly(True)
    qtbot.addWidget(w)

    def show(text: str) -> OffsetMap:
        m = OffsetMap(text)
        w.setPlainText(m.display_text)
        m.check(w.document())
        return m
    show.widget = w
    return show


def crlf_newlines(text: str) -> set[int]:
    """Indices of the "\\n" of each CRLF: it shares the break's position with its "\\r"."""
    return {i for i in range(1, len(text)) if text[i - 1:i + 1] == "\r\n"}


def utf16_position(text: str, i: int) -> int:
    """Independent to_qt: UTF-16 units of the prefix, one fewer per CRLF it holds, and one
    fewer again between a CRLF's "\\r" and "\\n"."""
    q = len(text[:i].encode("utf-16-le")) // 2 - text[:i].count("\r\n")
    return q - 1 if text[i - 1:i + 1] == "\r\n" and i < len(text) else q


def expected_selected_text(text: str, s: int, e: int) -> str:
    """What QTextCursor.selectedText() returns for the Qt range of code points [s, e)."""
    chunk = text[s:e]
    if chunk.endswith("\r") and text[e:e + 1] == "\n":
        chunk = chunk[:-1]                      # that "\r" has no position of its own
    # a leading "\n" of a CRLF stands on the break's position: the break is selected
    shown = qt_shown(chunk)
    if s == 0 and chunk[:1] in LEADING_SUBSTITUTES:
        return shown
    return shown if s == 0 else qt_shown("x" + chunk)[1:]


@given(texts())
@example("\ufeff\r\n😀\r\r\n🇰🇷e\u0301")
@example("\ufffeab")
def test_round_trip_on_every_code_point(shown, text):
    m = shown(text)
    assert m.qt_length == m.to_qt(len(text)) == shown.widget.document().characterCount() - 1
    joined = crlf_newlines(text)
    prev = 0
    for i in range(len(text) + 1):
        q = m.to_qt(i)
        assert q == utf16_position(text, i), i
        assert q >= prev
        prev = q
        back = i - 1 if i in joined else i
        assert m.to_cp(q) == m.to_cp(q, side="right") == back, i


@given(texts())
@example("a\u2028b\u00a0c\r\nd\u2029e\rf")
def test_qt_holds_the_display_text(shown, text):
    """toPlainText()/toRawText() and block structure are what the map assumes."""
    m = shown(text)
    doc = shown.widget.document()
    display = m.display_text
    assert len(display.encode("utf-16-le")) // 2 == m.qt_length
    raw = doc.toRawText()
    assert raw == display.replace("\n", "\u2029").replace("\ufdd0", "\u2029").replace("\ufdd1", "\u2029")
    plain = doc.toPlainText()
    assert plain == display.replace("\u00a0", " ").replace("\u2028", "\n").replace("\u2029", "\n")
    n_breaks = sum(display.count(c) for c in "\n\u2029")
    assert doc.blockCount() == n_breaks + 1


@given(text_and_span())
@example(("ab\r\ncd", 2, 3))              # ends between the "\r" and "\n" of a CRLF
@example(("ab\r\ncd", 3, 5))              # starts there
@example(("\ufeffa😀", 0, 2))
def test_a_span_selects_exactly_its_characters(shown, case):
    text, s, e = case
    m = shown(text)
    c = QTextCursor(shown.widget.document())
    qs, qe = m.span_to_qt(s, e)
    c.setPosition(qs)
    c.setPosition(qe, QTextCursor.MoveMode.KeepAnchor)
    assert (c.selectionStart(), c.selectionEnd()) == (qs, qe)
    assert c.selectedText() == expected_selected_text(text, s, e)
    if s not in crlf_newlines(text) and e not in crlf_newlines(text):
        assert m.span_to_cp(qs, qe) == (s, e)


@given(texts(), st.data())
def test_any_qt_range_maps_to_the_smallest_covering_span(shown, text, data):
    m = shown(text)
    qs = data.draw(st.integers(0, m.qt_length))
    qe = data.draw(st.integers(qs, m.qt_length))
    s, e = m.span_to_cp(qs, qe)
    assert 0 <= s <= e <= len(text)
    assert m.to_qt(s) <= qs and m.to_qt(e) >= qe
    # nothing smaller covers it (the "\n" of a CRLF shares its "\r"'s position: the map
    # names the "\r", so a span never starts between the two)
    assert s == len(text) or m.to_qt(s + 1) > qs or s + 1 in crlf_newlines(text)
    assert e == 0 or m.to_qt(e - 1) < qe


def qt_flag_quirk(text: str) -> set[int]:
    """Code points where Qt 6.11's grapheme breaking differs from Unicode's (UAX #29): inside a
    run of regional indicators directly after an emoji, Qt pairs them wrongly ("😀🇰🇷": a caret
    stop between 🇰 and 🇷; "😀🇩🇪🇩🇪": none between the flags). The app widens every span to
    whole clusters (models/graphemes.py), so such a stop never cuts a stored span."""
    return {i for m in regex.finditer(r"(?<=\p{Extended_Pictographic})[\U0001F1E6-\U0001F1FF]{2,}",
                                      text) for i in range(m.start() + 1, m.end())}


@given(texts())
@example("🇰🇷🇩🇪🇯")
@example("👨\u200d👩\u200d👧 e\u0301\u0302 \u1112\u1161\u11ab")
@example("😀🇰🇷 and 😀🇩🇪🇩🇪")                           # Qt's flag quirk, see qt_flag_quirk
def test_qt_cursor_stops_are_grapheme_boundaries(shown, text):
    """Where Qt lets the caret stop (mouse, arrows, Shift+arrows) maps onto a grapheme
    boundary, and every grapheme boundary is such a stop, except where Qt itself mis-pairs
    flag halves after an emoji (qt_flag_quirk)."""
    m = shown(text)
    c = QTextCursor(shown.widget.document())
    stops = {0}
    for move in (QTextCursor.MoveOperation.NextCharacter, QTextCursor.MoveOperation.Right):
        c.setPosition(0)
        for _ in range(2 * m.qt_length + 2):        # visual moves in RTL text: stay bounded
            if not c.movePosition(move):
                break
            stops.add(c.position())
    quirk = qt_flag_quirk(text)
    qt_cps = {m.to_cp(q) for q in stops} - quirk
    assert qt_cps == set(cluster_boundaries(text)) - quirk
    for i in quirk - set(cluster_boundaries(text)):  # the app widens such a cut to whole flags
        assert widen(text, i, i)[0] < i
