"""A huge article: its first screen is drawn at once and the rest laid in while the window stays
live (gui/article_view/feed.py); a span near its end is reachable and coloured, and an edit
there lands on exactly its code points in SQLite (emoji, CJK, CRLF, a BOM before it)."""
from __future__ import annotations

import random
from collections import Counter

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextCursor

from gui.article_view import ArticleView
from gui.article_view import feed
from gui.editing import Annotator
from gui.offsets import OffsetMap
from gui.session import Session
from models.labels import LabelSet, default_labels
from models.spans import MANUAL, Span
from models.store import Store
from tests.gui.viewprobe import colour_at

PARA = ("In Seoul 😀 the minister met Kim Jong Un and 𠮷野家 officials from Tokyo, "
        "said 한국 reports on Monday.\r\n")
LABELS = default_labels()
GPE = LABELS.get("GPE").color


def article(n_chars: int = 2_500_000) -> tuple[str, list[Span]]:
    """A few MB (laid in in slices at the real threshold), every paragraph's "Seoul" a span
    and, near the end, "Tokyo" left for the edit."""
    n = n_chars // len(PARA)
    text = PARA * n + "The end: Tokyo.\r\n"
    spans = []
    for k in range(n):
        s = k * len(PARA) + PARA.index("Seoul")
        spans.append(Span(s, s + 5, "GPE", MANUAL if k % 2 else "model-x"))
    return text, spans


def show(qtbot, text, spans, model=None) -> ArticleView:
    view = ArticleView(model)
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    view.set_content(text, spans, LABELS)
    return view


def painted_colour(view: ArticleView, cp: int) -> str:
    """The colour painted most on screen along the top of the character at ``cp`` (its
    background, glyph edges aside), as #rrggbb."""
    c = QTextCursor(view.document())
    c.setPosition(view.map.to_qt(cp))
    r = view.cursorRect(c)
    image = view.viewport().grab().toImage()
    seen = Counter(image.pixelColor(QPoint(x, r.top() + 2)).name() for x in range(r.left() + 1, r.left() + 9))
    return seen.most_common(1)[0][0]


def test_the_first_screen_is_drawn_before_the_rest_is_laid_in(qtbot):
    text, spans = article()
    view = show(qtbot, text, spans)
    painted = []
    view.first_paint.connect(lambda: painted.append(view.feeder.cp))
    view._painted = False
    qtbot.waitUntil(lambda: bool(painted), timeout=5000)
    assert painted[0] < len(text) // 4                  # drawn while most was still to come
    assert view.feeder.active and view.highlighter.pending
    assert colour_at(view, spans[0].start) == GPE       # the first screen coloured
    assert painted_colour(view, spans[1].start + 1) == GPE       # a manual span, solid
    assert painted_colour(view, spans[1].start - 4) == "#ffffff"  # not a span: white
    qtbot.waitUntil(lambda: not view.highlighter.pending, timeout=20000)
    assert not view.feeder.active
    assert view.document().characterCount() - 1 == view.map.qt_length
    c = QTextCursor(view.document())
    for s in spans[::997] + spans[-2:]:
        c.setPosition(view.map.to_qt(s.start))
        c.setPosition(view.map.to_qt(s.end), QTextCursor.MoveMode.KeepAnchor)
        assert c.selectedText() == "Seoul" and colour_at(view, s.start) == GPE


def test_a_span_near_the_end_is_reached_and_coloured_while_the_rest_comes_in(qtbot):
    text, spans = article()
    view = show(qtbot, text, spans)
    last = spans[-1]
    assert view.feeder.cp < last.start                  # not laid in yet
    view.select_span(view.model.spans[-1])             # the entity table's click does this
    assert view.feeder.cp > last.end
    qtbot.wait(10)
    assert view.cursor_cp() == last.end
    first, end = view.visible_range()
    assert first <= view.map.to_qt(last.start) < end    # scrolled to it
    assert colour_at(view, last.start) == GPE
    assert painted_colour(view, last.start + 1) == GPE    # and painted so
    assert view.feeder.active or not view.highlighter.pending    # still coming (or done)


def test_ctrl_end_goes_to_the_end_of_the_article_not_of_what_is_laid_in(qtbot):
    text, spans = article()
    view = show(qtbot, text, spans)
    assert view.feeder.active
    qtbot.keyClick(view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert not view.feeder.active
    assert view.cursor_cp() == len(text) and view.textCursor().position() == view.map.qt_length


def test_a_caret_at_the_end_of_what_is_laid_in_stays_put(qtbot):
    text, spans = article()
    view = show(qtbot, text, spans)
    end = view.document().characterCount() - 1
    c = view.textCursor()
    c.setPosition(end - 3)
    c.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
    view.setTextCursor(c)
    view.feeder.ensure(view.feeder.cp + 10)            # one more slice, inserted at the caret
    assert view.document().characterCount() - 1 > end
    assert (view.textCursor().anchor(), view.textCursor().position()) == (end - 3, end)


def test_the_place_left_is_restored_once_the_text_is_in_unless_the_person_moved_first(qtbot):
    text, spans = article()
    view = show(qtbot, text, spans)
    far = len(text) - 1000
    view.restore_position(far, far - 200)
    assert (view.cursor_cp(), view.top_cp()) == (far, far - 200)   # what the window saves meanwhile
    assert view.feeder.active                                       # no stall to get there
    qtbot.waitUntil(lambda: not view.feeder.active, timeout=20000)
    assert view.cursor_cp() == far
    view2 = show(qtbot, text, spans)
    view2.restore_position(far, far - 200)
    qtbot.keyClick(view2, Qt.Key.Key_Down)
    assert view2.cursor_cp() < 10_000                               # the key won


def test_an_edit_near_the_end_lands_on_exactly_its_code_points(qtbot, tmp_path, db_rows):
    text, spans = article()
    text = "\ufeff" + text            # a BOM first: Qt would drop it, the map substitutes it
    spans = [Span(s.start + 1, s.end + 1, s.label, s.source) for s in spans]
    store = Store(tmp_path / "p.annotator")
    (doc_id,), _ = store.add_documents([{"text": text, "title": "huge", "spans": spans}])
    session = Session(store)
    view = show(qtbot, "", [], session.owner)
    annotator = Annotator(session, view)
    assert session.open_document(doc_id)
    assert view.feeder.active
    a = text.rindex("Tokyo")
    view.select_range(a, a + 5)
    annotator.apply_label("ORG")
    rows = db_rows(store.path, doc_id)
    assert rows[-1] == (doc_id, a, a + 5, "ORG", MANUAL)
    assert text[rows[-1][1]:rows[-1][2]] == "Tokyo"
    assert colour_at(view, a) == LABELS.get("ORG").color
    assert len(rows) == len(spans) + 1
    # and one near the start, while the rest still comes in
    b = text.index("Tokyo")
    view.select_range(b, b + 5)
    annotator.apply_label("GPE")
    assert (doc_id, b, b + 5, "GPE", MANUAL) in db_rows(store.path, doc_id)
    qtbot.waitUntil(lambda: not view.highlighter.pending, timeout=20000)
    store.close()


def test_spans_read_again_colour_only_what_changed(qtbot):
    text, spans = article(400_000)
    view = show(qtbot, text, spans)
    qtbot.waitUntil(lambda: not view.highlighter.pending, timeout=20000)
    touched = []
    view.model.spans_reset.connect(touched.append)
    fresh = spans[:-1] + [Span(spans[-1].start, spans[-1].end, "ORG", MANUAL)]
    view.reset_spans(fresh)
    assert len(touched[0]) == 2                         # the old span and the new one
    assert colour_at(view, spans[-1].start) == LABELS.get("ORG").color
    assert colour_at(view, spans[0].start) == GPE


def test_a_label_colour_change_colours_its_spans_anew(qtbot):
    text, spans = article(400_000)
    view = show(qtbot, text, spans)
    qtbot.waitUntil(lambda: not view.highlighter.pending, timeout=20000)
    from dataclasses import replace
    changed = LabelSet([replace(lab, color="#123456") if lab.name == "GPE" else lab
                        for lab in default_labels()])
    view.set_labels(changed)
    qtbot.waitUntil(lambda: not view.highlighter.pending, timeout=20000)
    assert colour_at(view, spans[-1].start) == "#123456"


CUT_TEXTS = ["a\r\nb" * 5000, "\ufeff" + "x\n\ufeffy\r\n\ufffe" * 3000, "😀𠮷\r" * 7000,
             "no line breaks at all " * 3000, "\r\n" * 9000]


@pytest.mark.parametrize("text", CUT_TEXTS, ids=range(len(CUT_TEXTS)))
def test_slices_concatenate_to_the_display_text_and_keep_their_positions(qtbot, text):
    m = OffsetMap(text)
    rnd = random.Random(len(text))
    cuts, a = [0], 0
    while a < len(text):
        a = m.next_cut(a, rnd.randint(1, 3000))
        cuts.append(a)
    assert "".join(m.display_slice(x, y) for x, y in zip(cuts, cuts[1:])) == m.display_text
    for c in cuts[1:-1]:
        assert not (text[c - 1] == "\r" and text[c] == "\n") and text[c] not in "\ufeff\ufffe"


def test_a_long_article_with_awkward_cuts_is_laid_in_exactly(qtbot, monkeypatch):
    monkeypatch.setattr(feed, "FEED_AFTER", 2_000)
    monkeypatch.setattr(feed, "FIRST", 500)
    monkeypatch.setattr(feed, "SLICE_MIN", 300)
    text = "".join(CUT_TEXTS[1:3]) * 2
    view = show(qtbot, text, [Span(len(text) - 3, len(text) - 1, "GPE")])
    assert view.feeder.active
    qtbot.waitUntil(lambda: not view.highlighter.pending, timeout=20000)
    c = QTextCursor(view.document())
    c.setPosition(0)
    c.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
    assert c.selectedText().replace("\u2029", "\n") == view.map.display_text
    assert colour_at(view, len(text) - 3) == GPE
