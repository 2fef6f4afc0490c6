"""Read what the article view shows: the background colour at a code point."""
from __future__ import annotations


def background_at(view, cp: int):
    """The QColor of the background painted at code point ``cp``, or None."""
    pos = view.map.to_qt(cp)
    block = view.document().findBlock(pos)
    rel = pos - block.position()
    formats = block.layout().formats()        # keep the list alive while reading it
    for fr in formats:
        if fr.start <= rel < fr.start + fr.length and fr.format.background().style() != 0:
            return fr.format.background().color()
    return None


def colour_at(view, cp: int) -> str | None:
    """Background colour name (#rrggbb, alpha dropped) painted at code point ``cp``."""
    c = background_at(view, cp)
    return c.name() if c is not None else None


def coloured(view, text: str) -> list[tuple[int, int, str]]:
    """Maximal runs of code points with the same background colour: (start, end, colour)."""
    runs, cur = [], None
    for i in range(len(text)):
        c = colour_at(view, i)
        if cur and cur[2] == c and cur[1] == i:
            cur[1] = i + 1
            continue
        if cur and cur[2]:
            runs.append(tuple(cur))
        cur = [i, i + 1, c]
    if cur and cur[2]:
        runs.append(tuple(cur))
    return runs


def point_at_qt(view, q: int):
    """The viewport point of Qt position ``q`` (just right of the caret there)."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QTextCursor
    c = QTextCursor(view.document())
    c.setPosition(q)
    r = view.cursorRect(c)
    return QPointF(r.left() + 1, r.center().y())


def drag_qt(view, qa: int, qb: int, mods=None) -> None:
    """A left-button mouse drag in the view from Qt position ``qa`` to ``qb`` (press, two moves,
    release), with keyboard ``mods`` (e.g. Alt: exact selection)."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    mods = Qt.KeyboardModifier.NoModifier if mods is None else mods
    vp = view.viewport()
    p, q = point_at_qt(view, qa), point_at_qt(view, qb)
    for kind, pos, button, buttons in ((QEvent.Type.MouseButtonPress, p, left, left),
                                       (QEvent.Type.MouseMove, (p + q) / 2, none, left),
                                       (QEvent.Type.MouseMove, q, none, left),
                                       (QEvent.Type.MouseButtonRelease, q, left, none)):
        QApplication.sendEvent(vp, QMouseEvent(kind, pos, vp.mapToGlobal(pos), button, buttons, mods))
