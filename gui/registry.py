"""The window's actions as a typed registry: every QAction is made (or adopted) here once, with a
name and, declared at creation, whether it edits the project.

A read-only window turns off exactly the actions that edit (``read_only``), by that declaration,
not by their menu text; an action that edits and is made later (a label added meanwhile) is off
from the start, and a component that turns an action on or off (Undo when there is something to
undo) goes through ``set_enabled``, which a read-only window keeps off.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from gui.plain import plain_tooltip
from models.display import shown

READ_ONLY_TIP = "Open read-only: nothing can be changed in this window"


def new_action(parent, text: str, slot=None, shortcut=None, tip: str = "", checkable=False) -> QAction:
    a = QAction(text, parent)
    if shortcut:
        keys = shortcut if isinstance(shortcut, (list, tuple)) else [shortcut]
        a.setShortcuts([QKeySequence(k) for k in keys])
        a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    if tip:
        a.setStatusTip(shown(tip))
        a.setToolTip(plain_tooltip(tip))     # a tooltip is never markup (gui.plain)
    a.setCheckable(checkable)
    if slot is not None:
        a.triggered.connect(slot)
    return a


@dataclass(frozen=True)
class Action:
    """One action of the window: ``edits`` says whether triggering it can change the project."""
    name: str
    text: str
    shortcuts: tuple[str, ...]
    edits: bool
    tip: str
    qaction: QAction
    group: str = ""          # a set rebuilt together ("label": one per label, "recent")


class ActionRegistry:
    """The actions of one window, by name (``registry["undo"]`` is the QAction)."""

    def __init__(self, parent):
        self.parent = parent
        self._actions: dict[str, Action] = {}
        self._wanted: dict[str, bool] = {}       # the enabled state asked for, read-only aside
        self.read_only = False

    def add(self, name: str, text: str, slot=None, shortcut=None, tip: str = "", *, edits: bool,
            checkable: bool = False, group: str = "") -> QAction:
        """A new action; ``edits`` has no default: every action says whether it edits."""
        return self.adopt(name, new_action(self.parent, text, slot, shortcut, tip, checkable),
                          edits=edits, group=group, tip=tip)

    def adopt(self, name: str, qaction: QAction, *, edits: bool, group: str = "",
              tip: str | None = None) -> QAction:
        """An action made elsewhere (a dock's toggle) taken into the registry."""
        if type(edits) is not bool:
            raise TypeError(f"action {name!r}: edits must be True or False, not {edits!r}")
        if name in self._actions:
            raise ValueError(f"action {name!r} is registered already")
        shortcuts = tuple(seq.toString() for seq in qaction.shortcuts())
        self._actions[name] = Action(name, qaction.text(), shortcuts, edits,
                                     qaction.statusTip() if tip is None else tip, qaction, group)
        self._wanted[name] = qaction.isEnabled()
        if edits and self.read_only:
            _refuse(qaction)
        return qaction

    def remove_group(self, group: str) -> list[QAction]:
        """Forget the actions of ``group`` (to be rebuilt); returns their QActions."""
        gone = [a for a in self._actions.values() if a.group == group]
        for a in gone:
            del self._actions[a.name]
            del self._wanted[a.name]
        return [a.qaction for a in gone]

    def group(self, group: str) -> list[QAction]:
        return [a.qaction for a in self._actions.values() if a.group == group]

    def set_enabled(self, name: str, on: bool) -> None:
        """Turn an action on or off; an editing action stays off in a read-only window."""
        self._wanted[name] = on
        entry = self._actions[name]
        entry.qaction.setEnabled(on and not (entry.edits and self.read_only))

    def qactions(self, edits: bool | None = None) -> list[QAction]:
        return [a.qaction for a in self._actions.values() if edits is None or a.edits == edits]

    def entry(self, qaction: QAction) -> Action | None:
        return next((a for a in self._actions.values() if a.qaction is qaction), None)

    def __getitem__(self, name: str) -> QAction:
        return self._actions[name].qaction

    def __contains__(self, name: str) -> bool:
        return name in self._actions

    def __iter__(self) -> Iterator[Action]:
        return iter(list(self._actions.values()))

    def __len__(self) -> int:
        return len(self._actions)


def _refuse(qaction: QAction) -> None:
    qaction.setEnabled(False)
    qaction.setStatusTip(READ_ONLY_TIP)


def read_only(registry: ActionRegistry, on: bool) -> None:
    """Every action declared ``edits=True`` off (with ``READ_ONLY_TIP``), or back as it was;
    the others are not touched."""
    registry.read_only = on
    for a in registry:
        if not a.edits:
            continue
        if on:
            _refuse(a.qaction)
        else:
            a.qaction.setStatusTip(shown(a.tip) if a.tip else "")
            a.qaction.setEnabled(registry._wanted[a.name])
