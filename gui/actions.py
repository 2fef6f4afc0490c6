"""Every QAction of the window in one place, with its shortcut."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QIcon, QKeySequence, QPixmap

from models.labels import LabelSet


def new_action(parent, text: str, slot=None, shortcut=None, tip: str = "", checkable=False) -> QAction:
    a = QAction(text, parent)
    if shortcut:
        keys = shortcut if isinstance(shortcut, (list, tuple)) else [shortcut]
        a.setShortcuts([QKeySequence(k) for k in keys])
        a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    if tip:
        a.setStatusTip(tip)
        a.setToolTip(tip)
    a.setCheckable(checkable)
    if slot is not None:
        a.triggered.connect(slot)
    return a


def swatch(color: str, size: int = 14) -> QIcon:
    pm = QPixmap(size, size)
    pm.fill(QColor(color))
    return QIcon(pm)


def label_actions(parent, labels: LabelSet, apply) -> list[QAction]:
    """One action per label: its key as shortcut; triggering applies the label."""
    out = []
    for lab in labels:
        name = lab.name.replace("&", "&&")      # shown literally, not as a mnemonic
        a = new_action(parent, f"{lab.key or ' '}   {name}", lambda _=False, n=lab.name: apply(n),
                       lab.key or None, lab.description or lab.name)
        a.setIcon(swatch(lab.color))
        a.setIconText(f"{lab.key or '·'}   {name}")
        out.append(a)
    return out
