"""OffsetMap against a real QPlainTextEdit (run with QT_QPA_PLATFORM=offscreen)."""
import random
import re
import time

import pytest
from PySide6.QtGui import QTextCursor, QTextDocument
from PySide6.QtWidgets import QPlainTextEdit

from gui.offsets import LEADING_SUBSTITUTES, OffsetMap, OffsetMismatch

TEXTS = {
    "empty": "",
    "ascii": "Hello, world. Plain ASCII only.",
    "emoji": "a😀b😀😀c",
    "skin_tone": "ok 👍🏽 fine",
    "zwj_family": "fam 👨\u200d👩\u200d👧 ily",
    "flag": "Korea 🇰🇷!",
    "rare_cjk": "𠮷野家 in 東京",
    "hangul": "한국어 텍스트입니다.",
    "nfd_accent": "cafe\u0301 re\u0301sume\u0301",
    "crlf": "line one\r\nline two\r\n\r\nend\r\n",
    "lone_cr": "old mac\rline\r\rend",
    "cr_crlf_mix": "a\r\r\nb\n\r\nc\n\rd",
    "tab": "col1\tcol2\t\tcol3",
    "u2028": "line\u2028sep",
    "u2029": "para\u2029sep\u2029",
    "nbsp": "10\u00a0km and\u00a0more",
    "zero_width": "zw\u200dj zw\u200bsp\u2060wj",
    "bom_start": "\ufeffBOM first",
    "bom_middle": "mid\ufeffdle",
    "bom_only": "\ufeff",
    "swapped_bom_start": "\ufffeab",
    "arabic_rtl": "مرحبا بالعالم و hello",
    "controls": "nul\x00vt\x0bff\x0cnel\x85end",
    "frame_markers": "x\ufdd0y\ufdd1z",
    "crlf_then_emoji": "\r\n😀\r\n🇰🇷",
    "mixture": "\ufeff한국 🇰🇷 𠮷\r\ne\u0301 👍🏽\tمرحبا\u00a0👨\u200d👩\u200d👧\u2028x\u2029y\r\n😀",
}


@pytest.fixture
def widget(qtbot):
    w = QPlainTextEdit()
    w.setReadOnly(True)
    qtbot.addWidget(w)
    return w


def shown(widget, text):
    """Fill the widget the way the app does; return the map."""
    m = OffsetMap(text)
    widget.setPlainText(m.display_text)
    m.check(widget.document())
    return m


def crlf_newline_indices(text):
    return {mo.start() + 1 for mo in re.finditer("\r\n", text)}


def qt_selection(widget, qstart, qend):
    c = QTextCursor(widget.document())
    c.setPosition(qstart)
    c.setPosition(qend, QTextCursor.MoveMode.KeepAnchor)
    # selectedText() reports every block break as U+2029; the only other U+2029s it could
    # return are breaks too, so mapping all of them to "\n" loses nothing we compare.
    return c.selectedText().replace("\u2029", "\n")


def expected_selection(text, s, e):
    """What Qt should show for the code-point span text[s:e].

    * A "\\r" directly followed by "\\n" has no Qt position (both map to the break's
      position), so if the span ends between them that "\\r" is not selected.
    * CRLF, a lone "\\r", U+2029 and U+FDD0/U+FDD1 are each one block break -> "\\n"
      (to match the normalisation of Qt's U+2029 in qt_selection).
    * A leading U+FEFF/U+FFFE is shown as its LEADING_SUBSTITUTES stand-in.
    """
    chunk = text[s:e]
    if chunk.endswith("\r") and text[e:e + 1] == "\n":
        chunk = chunk[:-1]
    chunk = re.sub("\r\n?|[\u2029\ufdd0\ufdd1]", "\n", chunk)
    if s == 0 and chunk[:1] in LEADING_SUBSTITUTES:
        chunk = LEADING_SUBSTITUTES[chunk[0]] + chunk[1:]
    return chunk


@pytest.mark.parametrize("name", TEXTS)
def test_round_trip_every_index(widget, name):
    text = TEXTS[name]
    m = shown(widget, text)
    assert m.to_qt(0) == 0 and m.to_qt(len(text)) == m.qt_length
    crlf_n = crlf_newline_indices(text)
    for i in range(len(text) + 1):
        q = m.to_qt(i)
        if i in crlf_n:
            # the "\n" of a CRLF shares the break's position with the "\r" ...
            assert q == m.to_qt(i - 1)
            # ... and that position maps back to the "\r"
            assert m.to_cp(q) == m.to_cp(q, side="right") == i - 1
        else:
            assert m.to_cp(q) == m.to_cp(q, side="right") == i
        if i:
            assert q >= m.to_qt(i - 1)  # monotone


@pytest.mark.parametrize("name", TEXTS)
def test_selection_matches_every_span(widget, name):
    text = TEXTS[name]
    m = shown(widget, text)
    for s in range(len(text) + 1):
        for e in range(s, len(text) + 1):
            qs, qe = m.span_to_qt(s, e)
            assert qt_selection(widget, qs, qe) == expected_selection(text, s, e), (s, e)


@pytest.mark.parametrize("name", TEXTS)
def test_every_qt_range_is_covered(widget, name):
    """span_to_cp returns the smallest code-point span whose Qt range contains the input."""
    m = shown(widget, TEXTS[name])
    for qs in range(m.qt_length + 1):
        for qe in range(qs, m.qt_length + 1):
            s, e = m.span_to_cp(qs, qe)
            assert s <= e
            assert m.to_qt(s) <= qs and m.to_qt(e) >= qe, (qs, qe, s, e)


def test_surrogate_middle_rounds():
    text = "a😀b🇰🇷"  # 😀 is cp 1 (Qt 1-2); 🇰 cp 3 (Qt 4-5); 🇷 cp 4 (Qt 6-7)
    m = OffsetMap(text)
    assert [m.to_qt(i) for i in range(6)] == [0, 1, 3, 4, 6, 8]
    assert m.to_cp(2) == m.to_cp(2, side="left") == 1
    assert m.to_cp(2, side="right") == 2
    assert (m.to_cp(5), m.to_cp(5, side="right")) == (3, 4)
    assert (m.to_cp(7), m.to_cp(7, side="right")) == (4, 5)
    # a Qt range starting and ending mid-emoji widens to the whole characters
    assert m.span_to_cp(2, 5) == (1, 4)
    assert m.span_to_cp(2, 2) == (1, 2)


def test_crlf_span_ending_at_line_end_keeps_the_cr_out():
    text = "ab\r\ncd"
    m = OffsetMap(text)
    assert m.display_text == "ab\ncd" and m.qt_length == 5
    assert m.span_to_qt(0, 2) == (0, 2)  # "ab"
    assert m.span_to_cp(0, 2) == (0, 2)  # not (0, 3)
    assert m.span_to_qt(2, 4) == (2, 3)  # the line break
    assert m.span_to_cp(2, 3) == (2, 4)
    assert m.span_to_cp(3, 5) == (4, 6)  # "cd"


def test_leading_bom_is_substituted_not_dropped(widget):
    m = shown(widget, "\ufeffab")
    assert m.display_text == "\u2060ab" and m.qt_length == 3
    # why: PySide drops a leading U+FEFF on the way into Qt, shifting every position
    widget.setPlainText("\ufeffab")
    assert widget.document().characterCount() - 1 == 2


def test_check_raises_on_mismatch(widget):
    text = "\ufeffa😀\r\nb"
    m = OffsetMap(text)
    widget.setPlainText(text)  # the raw text: PySide drops the leading BOM -> one short
    with pytest.raises(OffsetMismatch, match="positions but the offset map expects"):
        m.check(widget.document())
    doc = QTextDocument()
    doc.setPlainText("something else entirely")
    with pytest.raises(ValueError):  # OffsetMismatch is a ValueError
        m.check(doc)
    doc.setPlainText(m.display_text)
    m.check(doc)


def test_out_of_range_and_bad_arguments():
    m = OffsetMap("a😀")
    for bad in (-1, 3):
        with pytest.raises(ValueError):
            m.to_qt(bad)
    for bad in (-1, 4):
        with pytest.raises(ValueError):
            m.to_cp(bad)
    with pytest.raises(ValueError):
        m.to_cp(0, side="middle")
    with pytest.raises(ValueError):
        m.span_to_qt(2, 1)
    with pytest.raises(ValueError):
        m.span_to_cp(2, 1)


def _independent_to_qt(text, i):
    """UTF-16 length of the prefix, minus one per CRLF in it, minus one more when i sits
    between a "\\r" and its "\\n" (that "\\n" shares the break's position)."""
    q = len(text[:i].encode("utf-16-le")) // 2 - text[:i].count("\r\n")
    if 0 < i < len(text) and text[i - 1] == "\r" and text[i] == "\n":
        q -= 1
    return q


def test_large_text_spot_checks_and_speed():
    rng = random.Random(7)
    pieces = ["word ", "한국어 ", "😀", "🇰🇷 ", "👍🏽", "𠮷", "\r\n", "\n", "e\u0301 ", "\t"]
    text = "".join(rng.choice(pieces) for _ in range(250_000))
    assert len(text.encode("utf-8")) > 1_000_000
    t0 = time.perf_counter()
    m = OffsetMap(text)
    build = time.perf_counter() - t0
    assert m.qt_length == _independent_to_qt(text, len(text))
    spots = [0, 1, len(text)] + rng.sample(range(len(text)), 30)
    spots += [mo.start() + 1 for mo in re.finditer("\r\n", text[:5000])][:5]
    for i in spots:
        q = _independent_to_qt(text, i)
        assert m.to_qt(i) == q, i
        assert m.to_cp(q) == (i - 1 if text[i - 1:i + 1] == "\r\n" else i)
    cps = [rng.randrange(len(text) + 1) for _ in range(40_000)]
    t0 = time.perf_counter()
    qs = [m.to_qt(i) for i in cps]
    back = [m.to_cp(q) for q in qs]
    convert = time.perf_counter() - t0
    assert all(b == i or text[b:i + 1] == "\r\n" for i, b in zip(cps, back))
    # loose bounds that only catch an O(n)-per-call regression (measured: see report)
    assert build < 1.0 and convert < 1.0, (build, convert)
