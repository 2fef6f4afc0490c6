"""A long article: the first screens are coloured at once, the rest as it is laid in (or
when a jump needs it); tests/gui/test_huge_article.py has more."""
from __future__ import annotations

from gui.article_view import FEED_AFTER, ArticleView
from gui.offsets import OffsetMap
from models.labels import default_labels
from models.spans import Span
from tests.gui.viewprobe import colour_at


def long_text_and_spans():
    para = "In Seoul 😀 the minister met Kim Jong Un and officials from Tokyo.\r\n"
    text = para * (3 * FEED_AFTER // len(para))
    spans = []
    for i in range(0, len(text), len(para)):
        s = i + para.index("Seoul")
        spans.append(Span(s, s + 5, "GPE", "manual" if (i // len(para)) % 2 else "model-x"))
    return text, spans


def shown(qtbot):
    text, spans = long_text_and_spans()
    view = ArticleView()
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    view.set_content(text, spans, default_labels())
    return view, text, spans


def test_far_spans_are_coloured_lazily_then_all(qtbot):
    view, text, spans = shown(qtbot)
    gpe = default_labels().get("GPE").color
    assert colour_at(view, spans[0].start) == gpe           # first screen: at once
    far = spans[-1]
    assert view.highlighter.pending
    assert view.feeder.cp < far.start                        # not laid in yet: idle time
    qtbot.waitUntil(lambda: not view.highlighter.pending, timeout=10000)
    assert all(colour_at(view, s.start) == gpe and colour_at(view, s.end - 1) == gpe for s in spans[::50])
    assert all(colour_at(view, s.end) is None for s in spans[::50])


def test_scrolling_to_the_end_shows_it_coloured(qtbot):
    view, text, spans = shown(qtbot)
    bar = view.verticalScrollBar()
    bar.setValue(bar.maximum())                   # the end of what is laid in so far
    assert view.visible_range()[1] >= view.document().characterCount() - 1
    qtbot.waitUntil(lambda: not view.feeder.active, timeout=10000)
    bar.setValue(bar.maximum())                   # the scroll bar grew to the article's end
    first, last = view.visible_range()
    assert first <= view.map.to_qt(spans[-1].start) < last
    assert colour_at(view, spans[-1].start) == default_labels().get("GPE").color


def test_to_qt_sorted_equals_to_qt():
    text, spans = long_text_and_spans()
    m = OffsetMap(text)
    cps = sorted({c for s in spans for c in (s.start, s.end)} | {0, len(text)})
    assert m.to_qt_sorted(cps) == [m.to_qt(c) for c in cps]
