"""Text from files is never markup: every tooltip shows the literal characters (gui.plain)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QHelpEvent, QTextDocument
from PySide6.QtWidgets import QApplication

from gui.plain import plain_tooltip
from models.labels import Label
from models.spans import Span

# Titles, sources and descriptions that Qt would take for rich text (Qt::mightBeRichText)
HOSTILE = [
    "<b>bold</b><img src=x>",
    "<a href='https://example.com'>click</a>",
    "<table><tr><td>1</td></tr></table>",
    "<!-- hidden -->shown",
    "&lt;b&gt; is not <b>",
    "<p style='color:red'>red</p>  two  spaces",
    "<html><body><h1>big</h1></body></html>",
    "x<br>y",
    "<qt>rich</qt>",
]


def rendered(tip: str) -> str:
    """What a person sees of a tooltip string: Qt renders it as rich text (ours always is)."""
    assert tip.startswith("<p"), tip          # deterministic: never left to Qt's guess
    doc = QTextDocument()
    doc.setHtml(tip)
    return doc.toPlainText().replace("\u00a0", " ")


@pytest.mark.parametrize("text", HOSTILE + ["plain", "a & b", "line one\nline two", "😀 𠮷 café",
                                  "a long title, " * 20 + "<b>wrapped</b>  as  it is"])
def test_plain_tooltip_shows_exactly_the_text(text):
    assert rendered(plain_tooltip(text)) == text


@pytest.mark.parametrize("text,seen", [
    ("evil\u202eoverride", "evil\\u202eoverride"),     # bidi override shown, not obeyed
    ("bell\x07 esc\x1b[31m", "bell\\x07 esc\\x1b[31m"),
    ("tab\there", "tab\\x09here"),
])
def test_controls_and_bidi_in_a_tooltip_are_shown_as_escapes(text, seen):
    assert rendered(plain_tooltip(text)) == seen


def test_no_text_no_tooltip():
    assert plain_tooltip("") == "" and plain_tooltip(None) == ""


@pytest.fixture
def hostile_window(make_window, stand_in_model, qtbot):
    texts = [f"Article {i} about Seoul and Kim Jong Un." for i in range(len(HOSTILE))]
    w, store, ids = make_window(texts, start=False)
    for doc_id, title in zip(ids, HOSTILE):
        store.db.execute("UPDATE documents SET title = ? WHERE id = ?", [title, doc_id])
    store.db.conn.commit()
    w.start()
    return w, store, ids


def test_document_titles_in_the_list_and_the_window_title_are_literal(hostile_window):
    w, _store, ids = hostile_window
    m = w.docs_model
    for doc_id, title in zip(ids, HOSTILE):
        index = m.index(m.row_of(doc_id), 1)
        assert index.data() == title
        assert rendered(index.data(Qt.ItemDataRole.ToolTipRole)) == title
    w.open_document(ids[0])
    assert w.windowTitle().startswith("<b>bold</b><img src=x> — ")


def test_titles_with_controls_are_shown_as_escapes(make_window, stand_in_model):
    w, store, ids = make_window(["Some text.", "Other text."], start=False)
    store.db.execute("UPDATE documents SET title = ? WHERE id = ?", ["Kim\u202e nuJ\x1b[2J\nline", ids[0]])
    store.db.conn.commit()
    w.start()
    m = w.docs_model
    index = m.index(m.row_of(ids[0]), 1)
    assert index.data() == "Kim\\u202e nuJ\\x1b[2J\\x0aline"
    assert rendered(index.data(Qt.ItemDataRole.ToolTipRole)) == "Kim\\u202e nuJ\\x1b[2J\nline"
    w.open_document(ids[0])
    assert w.windowTitle().startswith("Kim\\u202e nuJ\\x1b[2J\\x0aline — ")


@pytest.mark.parametrize("source", HOSTILE[:4])
def test_span_sources_and_texts_in_the_span_table_are_literal(make_window, stand_in_model, source):
    text = "<b>Seoul</b> is a city."
    w, store, ids = make_window([text], start=False)
    store.db.execute("INSERT INTO spans(doc_id, start, end, label, source, created, updated) "
                     "VALUES (?, 0, 12, 'GPE', ?, '', '')", [ids[0], source])
    store.db.conn.commit()
    store.mark_preannotated(ids[0], "x")
    w.start()
    m = w.span_table.model_
    assert m.rowCount() == 1
    assert rendered(m.index(0, 2).data(Qt.ItemDataRole.ToolTipRole)) == f"model: {source}"
    assert rendered(m.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)) == "<b>Seoul</b>"
    assert rendered(m.index(0, 1).data(Qt.ItemDataRole.ToolTipRole)) == "GPE"
    # the article's own hover tooltip says the same, literally
    v = w.view
    c = v.textCursor()
    c.setPosition(v.map.to_qt(3))
    pos = v.cursorRect(c).center()
    shown = []
    import gui.article_view as av
    original = av.QToolTip.showText
    av.QToolTip.showText = staticmethod(lambda at, tip, *rest: shown.append(tip))
    try:
        QApplication.sendEvent(v, QHelpEvent(QEvent.Type.ToolTip, pos, v.mapToGlobal(pos)))
    finally:
        av.QToolTip.showText = original
    assert [rendered(t) for t in shown] == [f"GPE · model: {source}"]


def test_label_descriptions_and_names_in_actions_are_literal(make_window, stand_in_model, qtbot):
    w, store, ids = make_window(["North Korea said so."])
    label = Label("<b>", "#ffcc00", "a", "<img src=x> weapons & <i>arms</i>")
    assert w.session.add_label(label)
    act = next(a for a in w.registry.group("label") if a.data() is None and "<b>" in a.text())
    assert rendered(act.toolTip()) == "<img src=x> weapons & <i>arms</i>"
    assert act.statusTip() == "<img src=x> weapons & <i>arms</i>"
    w.view.select_range(0, 5)
    act.trigger()
    assert w.session.spans[0] == Span(0, 5, "<b>")
    # The undo button's tooltip names the label: literally too.
    assert rendered(w.undo_action.toolTip()) == "Undo Label “<b>”"
