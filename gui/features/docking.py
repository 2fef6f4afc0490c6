"""What the features' docks share: a dock tabbed beside the Entities panel, and a watch that
stops a panel's background work when the window closes (its thread would keep it waiting)."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, QObject, Qt
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


class CloseWatch(QObject):
    """Calls ``on_close`` when the window it watches gets its Close event."""

    def __init__(self, parent: QObject, on_close: Callable[[], None]):
        super().__init__(parent)
        self.on_close = on_close

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Close:
            self.on_close()
        return False


__all__ = ["right_dock", "CloseWatch"]
