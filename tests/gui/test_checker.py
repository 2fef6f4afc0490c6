"""The Consistency panel through the real window: it fills in the background, Enter fixes the
selected finding (rows in the file), Ctrl+Z undoes the whole fix, Delete dismisses a finding
and it stays dismissed after reopening, Space opens the finding's item; read-only: no fix."""
from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from gui.features import checker as feature
from models.edits import ReplaceSpans
from models.spans import Span
from models.store import Store

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
TEXTS = ["Apple opened a store in Seoul on Monday.",
         "Apple said shares rose in Seoul.",
         "Officials in Seoul praised Apple.",
         "Kim Jong Un met Kim Jong-un’s envoy."]


def rows(path):
    con = sqlite3.connect(path)
    try:
        spans = con.execute("SELECT doc_id, start, end, label, source FROM spans ORDER BY doc_id, start").fetchall()
        dismissed = con.execute("SELECT kind, key FROM dismissed ORDER BY kind, key").fetchall()
        return spans, dismissed
    finally:
        con.close()


def label(store, ids):
    store.apply(ReplaceSpans(ids[0], (), (Span(0, 5, "ORG"), Span(24, 29, "GPE"))))
    store.apply(ReplaceSpans(ids[1], (), (Span(0, 5, "ORG"), Span(25, 30, "GPE"))))
    store.apply(ReplaceSpans(ids[2], (), (Span(27, 32, "PERSON", "en_core_web_sm"),)))


@pytest.fixture
def window(make_window, qtbot, tmp_path):
    path = tmp_path / "project.annotator"
    store = Store(path)
    ids, _ = store.add_documents([{"text": t, "title": f"doc {i}"} for i, t in enumerate(TEXTS)])
    label(store, ids)
    store.close()
    w, store, _ = make_window(path=path)
    return w, store, ids


def open_panel(qtbot, w):
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)
    qtbot.keyClick(w.view, Qt.Key.Key_C, CTRL_SHIFT)
    panel = w.consistency
    assert w.consistency_dock.isVisible() and QApplication.focusWidget() is panel.table
    qtbot.waitUntil(lambda: panel.task is None and panel.checker is not None, timeout=10000)
    return panel


def shown(panel):
    m = panel.model
    return [tuple(m.data(m.index(r, c)) for c in range(3)) for r in range(m.rowCount())]


def test_the_panel_fills_enter_fixes_and_ctrl_z_undoes(window, qtbot):
    w, store, ids = window
    panel = open_panel(qtbot, w)
    assert shown(panel) == [
        ("Labels", 3, "“Apple” has 2 labels: ORG ×2, PERSON ×1 → apply ORG to all"),
        ("Missed", 1, "“Seoul” (GPE) stands unlabelled once in 1 document (doc 3 ×1) → label them GPE")]
    assert panel.status.text() == "2 findings"
    assert panel.detail.text().split("\n")[:2] == [
        "Labels differ · 3 spans in 3 documents", "“Apple” has 2 labels: ORG ×2, PERSON ×1 → apply ORG to all"]
    before = rows(store.path)
    assert panel.table.currentIndex().row() == 0
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not panel.fixing, timeout=10000)
    spans, _ = rows(store.path)
    assert (ids[2], 27, 32, "ORG", "manual") in spans and (ids[2], 27, 32, "PERSON", "en_core_web_sm") not in spans
    assert set(spans) ^ set(before[0]) == {(ids[2], 27, 32, "ORG", "manual"), (ids[2], 27, 32, "PERSON", "en_core_web_sm")}
    qtbot.waitUntil(lambda: panel.task is None and len(panel.model.findings) == 1, timeout=10000)
    assert panel.model.findings[0].key == "Seoul"
    assert "Fixed: Apply ORG to every “Apple”" in w.statusBar().currentMessage()
    # Enter on the missed occurrence: labelled in doc 2, where no span stood
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not panel.fixing, timeout=10000)
    assert (ids[2], 13, 18, "GPE", "manual") in rows(store.path)[0]
    qtbot.waitUntil(lambda: panel.task is None and panel.model.rowCount() == 0, timeout=10000)
    assert panel.status.text() == "Consistent: nothing found"
    qtbot.keyClick(w.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert (ids[2], 13, 18, "GPE", "manual") not in rows(store.path)[0]
    qtbot.keyClick(w.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert rows(store.path) == before
    qtbot.waitUntil(lambda: panel.task is None and panel.model.rowCount() == 2, timeout=10000)


def test_delete_dismisses_and_it_stays_dismissed_after_reopening(window, qtbot, make_window, tmp_path):
    w, store, ids = window
    panel = open_panel(qtbot, w)
    qtbot.keyClick(panel.table, Qt.Key.Key_Down)
    assert panel.current().key == "Seoul"
    qtbot.keyClick(panel.table, Qt.Key.Key_Delete)
    assert rows(store.path)[1] == [("missed", "Seoul")]
    qtbot.waitUntil(lambda: panel.task is None and [f.key for f in panel.model.findings] == ["Apple"], timeout=10000)
    qtbot.keyClick(panel.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)       # brought back
    assert rows(store.path)[1] == []
    qtbot.waitUntil(lambda: panel.task is None and panel.model.rowCount() == 2, timeout=10000)
    qtbot.keyClick(panel.table, Qt.Key.Key_Z, CTRL_SHIFT)                                # dismissed again
    assert rows(store.path)[1] == [("missed", "Seoul")]
    qtbot.waitUntil(lambda: panel.task is None and [f.key for f in panel.model.findings] == ["Apple"], timeout=10000)
    panel.show_dismissed.setChecked(True)
    qtbot.waitUntil(lambda: panel.task is None and panel.model.rowCount() == 2, timeout=10000)
    assert shown(panel)[1][2].endswith("(dismissed)") and panel.status.text() == "1 findings · 1 dismissed"
    w.close()
    w2, _store2, _ = make_window(path=store.path)
    panel2 = open_panel(qtbot, w2)
    assert [f.key for f in panel2.model.findings] == ["Apple"]


def test_space_opens_each_item_and_a_tie_asks_the_label(make_window, qtbot, monkeypatch, tmp_path):
    path = tmp_path / "tie.annotator"
    store = Store(path)
    texts = ["Jordan scored twice.", "Jordan wept at home."]
    ids, _ = store.add_documents([{"text": t, "title": t} for t in texts])
    store.apply(ReplaceSpans(ids[0], (), (Span(0, 6, "PERSON"),)))
    store.apply(ReplaceSpans(ids[1], (), (Span(0, 6, "GPE"),)))
    store.close()
    w, store, _ = make_window(path=path)
    panel = open_panel(qtbot, w)
    qtbot.keyClick(panel.table, Qt.Key.Key_Space)
    assert w.session.doc.id == ids[0] and QApplication.focusWidget() is panel.table
    qtbot.keyClick(panel.table, Qt.Key.Key_Space)
    assert w.session.doc.id == ids[1] and w.view.selected == Span(0, 6, "GPE")
    asked = []
    monkeypatch.setattr(feature, "ask_choice", lambda parent, f, names: asked.append(names) or 1)
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not panel.fixing, timeout=10000)
    assert asked == [["GPE", "PERSON"]]
    assert rows(store.path)[0] == [(ids[0], 0, 6, "PERSON", "manual"), (ids[1], 0, 6, "PERSON", "manual")]


def test_a_read_only_window_lists_but_cannot_fix_or_dismiss(window, qtbot, make_window):
    w, store, ids = window
    w.close()
    from gui.main_window import MainWindow
    ro = Store(store.path, readonly=True)
    w2 = MainWindow(ro)
    qtbot.addWidget(w2)
    w2.show()
    w2.start()
    try:
        panel = open_panel(qtbot, w2)
        assert panel.model.rowCount() == 2
        assert not w2.registry["check_fix"].isEnabled() and not w2.registry["check_dismiss"].isEnabled()
        before = rows(store.path)
        qtbot.keyClick(panel.table, Qt.Key.Key_Return)
        qtbot.keyClick(panel.table, Qt.Key.Key_Delete)
        assert not panel.fixing and rows(store.path) == before
        assert w2.statusBar().currentMessage() == feature.READ_ONLY
    finally:
        w2.close()
        ro.close()
