"""What the features' docks share: a dock tabbed beside the Entities panel, and a watch that
stops a panel's background work when the window closes (its thread would keep it waiting)."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget


def right_dock(w, title: str, panel) -> QDockWidget:
    """``panel`` in a dock named ``title``, tabbed with the Entities panel (which stays in front)."""
    dock = QDockWidget(title, w)
    dock.setObjectName(title)
    dock.setWidget(panel)
    w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    w.tabifyDockWidget(w.spans_dock, dock)
    w.spans_dock.raise_()
    return dock


def panel_keys(w, dock: QDockWidget, name: str, text: str, shortcut: str, tip: str, target,
               on_shown: Callable[[], None] | None = None) -> QAction:
    """View ▸ the dock's toggle (``show_NAME``) and ``NAME``, a key that shows the dock with
    the focus in ``target``; ``on_shown``: run whenever the dock is shown (it guards itself
    against doing its work twice)."""
    def show() -> None:
        dock.show()
        dock.raise_()
        target.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if on_shown is not None:
            on_shown()
    toggle = w.registry.adopt(f"show_{name}", dock.toggleViewAction(), edits=False)
    focus = w.registry.add(name, text, show, shortcut, tip, edits=False)
    w.menus["view"].addAction(toggle)
    w.menus["view"].addAction(focus)
    w.addAction(focus)
    if on_shown is not None:
        dock.visibilityChanged.connect(lambda visible: visible and on_shown())
    return focus


class CloseWatch(QObject):
    """Calls ``on_close`` when the window it watches gets its Close event."""

    def __init__(self, parent: QObject, on_close: Callable[[], None]):
        super().__init__(parent)
        self.on_close = on_close

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Close:
            self.on_close()
        return False


__all__ = ["right_dock", "panel_keys", "CloseWatch"]
