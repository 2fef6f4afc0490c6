"""What the window looks like: every default label its own colour, headers not clipped, the
F1 list whole."""
from __future__ import annotations

import itertools
import json
import math
from importlib import resources

import pytest
from PySide6.QtWidgets import QApplication

from gui.columns import header_width
from gui.dialogs import SHORTCUTS, ShortcutsDialog
from models.labels import default_labels


def _lab(color: str) -> tuple[float, float, float]:
    """sRGB '#rrggbb' -> CIE L*a*b* (D65)."""
    def linear(c):
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(int(color[i:i + 2], 16) / 255) for i in (1, 3, 5))
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t):
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29
    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def delta_e2000(c1: str, c2: str) -> float:
    """CIEDE2000 colour difference (Sharma, Wu & Dalal 2005)."""
    (L1, a1, b1), (L2, a2, b2) = _lab(c1), _lab(c2)
    cb = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(cb ** 7 / (cb ** 7 + 25 ** 7)))
    a1, a2 = (1 + g) * a1, (1 + g) * a2
    C1, C2 = math.hypot(a1, b1), math.hypot(a2, b2)
    h1, h2 = (math.degrees(math.atan2(b, a)) % 360 for a, b in ((a1, b1), (a2, b2)))
    dh = 0 if C1 * C2 == 0 else (h2 - h1 + 180) % 360 - 180
    dL, dC, dH = L2 - L1, C2 - C1, 2 * math.sqrt(C1 * C2) * math.sin(math.radians(dh / 2))
    Lm, Cm = (L1 + L2) / 2, (C1 + C2) / 2
    if C1 * C2 == 0:
        hm = h1 + h2
    elif abs(h1 - h2) <= 180:
        hm = (h1 + h2) / 2
    else:
        hm = (h1 + h2 + 360) / 2 if h1 + h2 < 360 else (h1 + h2 - 360) / 2
    t = (1 - 0.17 * math.cos(math.radians(hm - 30)) + 0.24 * math.cos(math.radians(2 * hm))
         + 0.32 * math.cos(math.radians(3 * hm + 6)) - 0.20 * math.cos(math.radians(4 * hm - 63)))
    rt = -math.sin(math.radians(60 * math.exp(-((hm - 275) / 25) ** 2))) * 2 * math.sqrt(Cm ** 7 / (Cm ** 7 + 25 ** 7))
    sl = 1 + 0.015 * (Lm - 50) ** 2 / math.sqrt(20 + (Lm - 50) ** 2)
    sc, sh = 1 + 0.045 * Cm, 1 + 0.015 * Cm * t
    return math.sqrt((dL / sl) ** 2 + (dC / sc) ** 2 + (dH / sh) ** 2 + rt * (dC / sc) * (dH / sh))


def contrast(c1: str, c2: str) -> float:
    """WCAG contrast ratio."""
    def lum(c):
        rgb = [int(c[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    hi, lo = sorted((lum(c1), lum(c2)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_colour_difference_is_the_published_one():
    # Sharma et al.'s test data, pair 1 (Lab given there; here the nearest sRGB colours differ
    # by about as much): identical colours differ by 0, and the order does not matter
    assert delta_e2000("#7aecec", "#7aecec") == 0
    assert abs(delta_e2000("#bfe1d9", "#9cc9cc") - delta_e2000("#9cc9cc", "#bfe1d9")) < 1e-9
    assert 7 < delta_e2000("#bfe1d9", "#9cc9cc") < 9          # displaCy's DATE / FAC: close


# displaCy's own scheme, for the labels it gives a colour of their own
DISPLACY = {"ORG": "#7aecec", "PRODUCT": "#bfeeb7", "GPE": "#feca74", "LOC": "#ff9561",
            "PERSON": "#aa9cfc", "NORP": "#c887fb", "FAC": "#9cc9cc", "EVENT": "#ffeb80",
            "WORK_OF_ART": "#f0d0ff", "LAW": "#ff8197", "DATE": "#bfe1d9", "CARDINAL": "#e4e7d2"}


def test_every_default_label_has_a_colour_of_its_own_far_from_the_others():
    labels = list(default_labels())
    colors = {lab.name: lab.color.lower() for lab in labels}
    assert len(colors) == 18 and len(set(colors.values())) == 18
    # the tightest pair of displaCy's own colours (DATE / FAC) is 7.9: none is closer
    closest = min((delta_e2000(a, b), x, y) for (x, a), (y, b) in itertools.combinations(colors.items(), 2))
    assert closest[0] >= 7, closest
    for name, color in DISPLACY.items():
        assert colors[name] == color, name
    for name, color in colors.items():     # dark text (#111, the tags' #222) stays readable
        assert contrast(color, "#111111") >= 7 and contrast(color, "#222222") >= 6, name


def test_the_json_file_is_what_the_label_set_reads():
    data = json.loads(resources.files("resources").joinpath("default_labels.json").read_text("utf-8"))
    assert [lab["color"] for lab in data["labels"]] == [lab.color for lab in default_labels()]


@pytest.fixture
def window(make_window, stand_in_model, qtbot):
    w, store, ids = make_window(["Kim Jong Un met officials in Seoul."])
    return w


def test_no_column_header_is_clipped(window):
    for table in (window.doc_table, window.span_table):
        header = table.horizontalHeader()
        m = table.model()
        for col in range(m.columnCount()):
            text = m.headerData(col, header.orientation())
            assert table.columnWidth(col) >= header_width(table, col), text
            # the header's own measure: its text in the bold font, with the sort indicator
            bold = header.font()
            bold.setBold(True)
            from PySide6.QtGui import QFontMetrics
            assert header_width(table, col) > QFontMetrics(bold).horizontalAdvance(text), text
    fm = window.doc_table.fontMetrics()
    assert window.doc_table.columnWidth(2) > fm.horizontalAdvance("in progress")


def test_the_f1_list_shows_every_row_without_scrolling(window, qtbot):
    d = ShortcutsDialog(window)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    t = d.table
    assert t.rowCount() == len(SHORTCUTS)
    assert t.verticalScrollBar().maximum() == 0          # nothing to scroll to
    assert t.rowAt(0) == 0 and t.rowViewportPosition(0) == 0       # the first row whole
    last = t.rowCount() - 1
    assert t.rowViewportPosition(last) + t.rowHeight(last) <= t.viewport().height()
    assert t.horizontalScrollBar().maximum() == 0
    screen = QApplication.primaryScreen().availableGeometry()
    assert d.frameGeometry().height() <= screen.height() and d.width() <= screen.width()
