"""Entities through the real window (issue 11): Ctrl+K links the selected span to a new or an
existing entity, the panel lists entities with their names and mention counts and opens a
mention; every step is in the SQLite file and one Ctrl+Z takes it back."""
from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from models import edits as E
from models.spans import Span

TEXTS = ["Kim Jong Un met Moon Jae-in in Seoul.", "Later Kim Jong-un spoke in Pyongyang."]
CTRL = Qt.KeyboardModifier.ControlModifier


def links(path):
    con = sqlite3.connect(path)
    try:
        return (con.execute("SELECT id, name, kb_id, note FROM entities ORDER BY id").fetchall(),
                con.execute("SELECT doc_id, start, end, entity, source FROM spans WHERE entity IS NOT NULL "
                            "ORDER BY doc_id, start").fetchall())
    finally:
        con.close()


@pytest.fixture
def window(make_window):
    w, store, ids = make_window(TEXTS, start=False)
    store.commit(E.ReplaceSpans(ids[0], (), (Span(0, 11, "PERSON"), Span(16, 27, "PERSON"))))
    store.commit(E.ReplaceSpans(ids[1], (), (Span(6, 17, "PERSON", "en_core_web_sm"),)))
    w.start(ids[0])
    return w, store, ids


def in_dialog(qtbot, act):
    """Run ``act(dialog)`` once the modal link dialog is up (it is closed by ``act``)."""
    seen = []

    def run():
        d = QApplication.activeModalWidget()
        if d is None:
            QTimer.singleShot(20, run)
            return
        seen.append(d)
        try:
            act(d)
        except BaseException as e:         # said after the dialog is closed, never a hang
            seen.append(e)
            d.reject()
    QTimer.singleShot(0, run)
    return seen


def check(seen, w, qtbot):
    assert seen, "no dialog came up"
    for x in seen[1:]:
        raise x
    w.activateWindow()                  # as a window manager does once the dialog is gone
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=3000)


def test_ctrl_k_links_a_span_to_a_new_then_an_existing_entity_and_ctrl_z_unlinks(window, qtbot):
    w, store, ids = window
    qtbot.keyClick(w.view, Qt.Key.Key_Tab)                   # the first span: "Kim Jong Un"
    assert w.view.selected == Span(0, 11, "PERSON")

    def new_entity(d):
        assert d.list.currentRow() == 0 and d.name.text() == "Kim Jong Un"   # "New entity"
        qtbot.keyClicks(d.kb, "Q56226")
        qtbot.keyClick(d.name, Qt.Key.Key_Return)
    seen = in_dialog(qtbot, new_entity)
    qtbot.keyClick(w.view, Qt.Key.Key_K, CTRL)
    check(seen, w, qtbot)
    assert links(store.path) == ([(1, "Kim Jong Un", "Q56226", "")], [(ids[0], 0, 11, 1, "manual")])
    assert "Link “Kim Jong Un” to new entity" in w.statusBar().currentMessage()

    w.open_document(ids[1])                                   # the model's "Kim Jong-un"
    qtbot.keyClick(w.view, Qt.Key.Key_Tab)

    def existing(d):
        chosen = d.list.currentItem().text()
        assert chosen.startswith("Kim Jong Un  [Q56226]  — 1 mention"), chosen
        qtbot.keyClick(d.name, Qt.Key.Key_Return)
    seen = in_dialog(qtbot, existing)
    qtbot.keyClick(w.view, Qt.Key.Key_K, CTRL)
    check(seen, w, qtbot)
    assert links(store.path)[1] == [(ids[0], 0, 11, 1, "manual"), (ids[1], 6, 17, 1, "manual")]
    panel = w.entity_panel
    qtbot.waitUntil(lambda: bool(panel.model.rows) and panel.model.rows[0][1] == 2, timeout=5000)
    assert panel.model.rows[0][2] == ["Kim Jong-un"]             # its other name

    qtbot.keyClick(w.view, Qt.Key.Key_Z, CTRL)                   # one step: the link, gone
    assert links(store.path)[1] == [(ids[0], 0, 11, 1, "manual")]
    assert w.session.spans == [Span(6, 17, "PERSON", "en_core_web_sm")]   # a suggestion again
    qtbot.waitUntil(lambda: panel.model.rows[0][1] == 1, timeout=5000)


def test_the_panel_opens_a_mention_and_f2_renames_undoably(window, qtbot, monkeypatch):
    w, store, ids = window
    from models.edits import Batch, ChangeEntities
    from models.entities import Entity
    store.commit(Batch(ids[0], (ChangeEntities(None, (), (Entity(1, "Moon Jae-in"),)),
                                E.link(ids[1], Span(6, 17, "PERSON", "en_core_web_sm"), 1),
                                E.link(ids[0], Span(16, 27, "PERSON"), 1))))
    panel = w.entity_panel
    w.entity_dock.show()
    w.entity_dock.raise_()
    panel.refresh_now()
    qtbot.waitUntil(lambda: len(panel.model.rows) == 1, timeout=5000)
    assert panel.choose(1)
    assert [panel.mentions.item(i).text() for i in range(panel.mentions.count())] == [
        "doc 0:  …im Jong Un met [Moon Jae-in] in Seoul.…", "doc 1:  …Later [Kim Jong-un] spoke in Pyongyang.…"]
    panel.mentions.setCurrentRow(1)
    panel.mentions.itemActivated.emit(panel.mentions.item(1))
    assert w.session.doc.id == ids[1] and w.view.selected.start == 6
    from gui.features import entity_panel
    monkeypatch.setattr(entity_panel.EntityDialog, "ask",
                        classmethod(lambda cls, parent, e, taken: e.with_(name="Kim Jong Un", kb_id="Q56226")))
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_F2)
    assert links(store.path)[0] == [(1, "Kim Jong Un", "Q56226", "")]
    qtbot.keyClick(w.view, Qt.Key.Key_Z, CTRL)
    assert links(store.path)[0] == [(1, "Moon Jae-in", "", "")]


def test_ctrl_k_without_a_span_says_what_to_do(window, qtbot):
    w, store, _ids = window
    w.annotator.select(None)
    qtbot.keyClick(w.view, Qt.Key.Key_K, CTRL)
    assert "Select a span first" in w.statusBar().currentMessage()
    assert links(store.path) == ([], [])


def test_a_read_only_window_lists_entities_but_f2_and_delete_change_nothing(window, qtbot, monkeypatch):
    from gui.features import entity_panel
    from gui.main_window import MainWindow
    from models.edits import ChangeEntities
    from models.entities import Entity
    from models.store import Store
    w, store, ids = window
    store.commit(ChangeEntities(None, (), (Entity(1, "Moon Jae-in"), Entity(2, "Nobody"))))
    before = links(store.path)
    ro = MainWindow(Store(store.path, readonly=True))
    qtbot.addWidget(ro)
    ro.start()
    asked = []
    monkeypatch.setattr(entity_panel.EntityDialog, "ask",
                        classmethod(lambda cls, *a: asked.append(a) or Entity(2, "Renamed")))
    ro.entity_dock.show()
    ro.entity_panel.refresh_now()
    qtbot.waitUntil(lambda: len(ro.entity_panel.model.rows) == 2, timeout=5000)
    assert ro.entity_panel.choose(2)
    ro.entity_panel.table.setFocus()
    for k in (Qt.Key.Key_F2, Qt.Key.Key_Delete):
        qtbot.keyClick(ro.entity_panel.table, k)
        assert ro.statusBar().currentMessage() == "Read-only: entities cannot be changed in this window"
    assert not asked and links(store.path) == before
