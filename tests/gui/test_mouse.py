"""Mouse: drag to select (snaps to tokens; Alt keeps exact characters), click to select a span."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QTextCursor
from PySide6.QtWidgets import QApplication

TEXT = "North Korea’s envoy met officials in Seoul on Monday."
L, NONE = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton


def point_of(view, cp: int) -> QPointF:
    c = QTextCursor(view.document())
    c.setPosition(view.map.to_qt(cp))
    r = view.cursorRect(c)
    return QPointF(r.left() + 1, r.center().y())


def drag(view, a: int, b: int, mods=Qt.KeyboardModifier.NoModifier) -> None:
    vp = view.viewport()
    p, q = point_of(view, a), point_of(view, b)
    for kind, pos, button, buttons in ((QEvent.Type.MouseButtonPress, p, L, L),
                                       (QEvent.Type.MouseMove, (p + q) / 2, NONE, L),
                                       (QEvent.Type.MouseMove, q, NONE, L),
                                       (QEvent.Type.MouseButtonRelease, q, L, NONE)):
        QApplication.sendEvent(vp, QMouseEvent(kind, pos, vp.mapToGlobal(pos), button, buttons, mods))


def test_drag_snaps_to_tokens_and_alt_keeps_exact(make_window, stand_in_model, qtbot, db_rows):
    w, store, ids = make_window([TEXT])
    qtbot.waitUntil(lambda: store.preannotated(ids[0]) is not None, timeout=5000)
    v = w.view
    s = TEXT.index("fficials")
    drag(v, s, s + 4)                                  # "ffic" -> "officials"
    assert v.selected_range() == (s - 1, s + 8)
    qtbot.keyClick(v, Qt.Key.Key_2)
    assert (ids[0], s - 1, s + 8, "ORG", "manual") in db_rows(store.path, ids[0])
    drag(v, 0, 11, Qt.KeyboardModifier.AltModifier)   # "North Korea" without "’s"
    qtbot.keyClick(v, Qt.Key.Key_3)
    assert (ids[0], 0, 11, "GPE", "manual") in db_rows(store.path, ids[0])
    drag(v, 0, 11)                                     # without Alt, "’s" is its own token
    assert v.selected_range() == (0, 11)


def test_click_selects_a_span_and_delete_removes_it(make_window, stand_in_model, qtbot, db_rows):
    w, store, ids = make_window([TEXT])
    qtbot.waitUntil(lambda: store.preannotated(ids[0]) is not None, timeout=5000)
    v = w.view
    s = TEXT.index("Seoul")
    pos = point_of(v, s + 2).toPoint()
    qtbot.mouseClick(v.viewport(), L, pos=pos)
    assert v.selected is not None and (v.selected.start, v.selected.end) == (s, s + 5)
    qtbot.keyClick(v, Qt.Key.Key_Delete)
    assert not [r for r in db_rows(store.path, ids[0]) if r[1] == s]
    qtbot.mouseClick(v.viewport(), L, pos=point_of(v, 2).toPoint())
    assert v.selected is None
