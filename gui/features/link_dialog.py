"""The link dialog (Ctrl+K on a span): name the span as an existing entity or a new one.

Typing filters: entities come ranked by how close the typed name is to any of their names
(``models.entity_match``: transliterated, folded, rapidfuzz); the first row creates a new
entity with the typed name (and the knowledge-base id and note below, both optional), a row
takes the link away when the span has one. Up/Down choose, Enter links; the best existing
entity is chosen from the start when it is a near-exact match, else the new one.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (QDialog, QFormLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QVBoxLayout)

from gui.dialogs import ok_cancel
from models.display import shown
from models.entities import Entity, problem
from models.entity_match import rank

NEW, UNLINK = "new", "unlink"
SURE = 95           # a score from which an existing entity is the first choice


@dataclass(frozen=True)
class Choice:
    kind: str                   # "new", "existing", "unlink"
    entity: Entity | None


class LinkDialog(QDialog):
    def __init__(self, words: str, label: str, entities: list[Entity], aliases: dict,
                 counts: dict[int, int], current: Entity | None, next_id: int, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Link to an entity")
        self.entities, self.aliases, self.counts = entities, aliases, counts
        self.current, self.next_id = current, next_id
        head = QLabel(f"“{shown(words)}” ({shown(label)})"
                      + (f" — now “{shown(current.name)}”" if current else ""))
        head.setTextFormat(Qt.TextFormat.PlainText)
        self.name = QLineEdit(" ".join(words.split()))
        self.name.setPlaceholderText("Type a name: the entities closest to it are listed")
        self.list = QListWidget()
        self.list.setMinimumWidth(520)
        self.kb = QLineEdit()
        self.kb.setPlaceholderText("optional, e.g. a Wikidata QID such as Q56226")
        self.note = QLineEdit()
        self.note.setPlaceholderText("optional")
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020")
        form = QFormLayout()
        form.addRow("Knowledge-base id (new entity)", self.kb)
        form.addRow("Note (new entity)", self.note)
        layout = QVBoxLayout(self)
        for w in (head, self.name, self.list):
            layout.addWidget(w)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(ok_cancel(self))
        self.name.textChanged.connect(self._fill)
        self.name.returnPressed.connect(self.accept)
        self.name.installEventFilter(self)
        self.list.itemDoubleClicked.connect(lambda _i: self.accept())
        self._fill(self.name.text())
        self.name.selectAll()

    def _fill(self, text: str) -> None:
        self.list.clear()
        typed = " ".join(text.split())
        self._add(f"New entity: “{typed}”" if typed else "New entity (type its name)",
                  Choice(NEW, None))
        if self.current is not None:
            self._add(f"Remove the link to “{self.current.name}”", Choice(UNLINK, self.current))
        ranked = rank(typed, self.entities, self.aliases) if typed else [
            (e, 0.0) for e in self.entities[:50]]
        for e, _score in ranked:
            names = [n for n in self.aliases.get(e.id, {}) if n != e.name][:3]
            text = (f"{e.name}" + (f"  [{e.kb_id}]" if e.kb_id else "")
                    + f"  — {_mentions(self.counts.get(e.id, 0))}"
                    + (f"; also {', '.join(names)}" if names else ""))
            self._add(text, Choice("existing", e))
        sure = ranked and ranked[0][1] >= SURE and ranked[0][0] != self.current
        self.list.setCurrentRow(self.list.count() - len(ranked) if sure else 0)

    def _add(self, text: str, choice: Choice) -> None:
        item = QListWidgetItem(shown(text))
        item.setData(Qt.ItemDataRole.UserRole, choice)
        self.list.addItem(item)

    def eventFilter(self, obj, e) -> bool:
        if obj is self.name and e.type() == QEvent.Type.ShortcutOverride and e.key() in (
                Qt.Key.Key_Return, Qt.Key.Key_Enter):
            e.accept()                  # Enter links: no shortcut of the window takes it
            return False
        if obj is self.name and e.type() == QEvent.Type.KeyPress and e.key() in (
                Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            self.list.keyPressEvent(e)          # the list moves, the typing stays
            return True
        return super().eventFilter(obj, e)

    def choice(self) -> Choice | None:
        item = self.list.currentItem()
        if item is None:
            return None
        c: Choice = item.data(Qt.ItemDataRole.UserRole)
        if c.kind == NEW:
            return Choice(NEW, Entity(self.next_id, " ".join(self.name.text().split()),
                                      self.kb.text().strip(), self.note.text().strip()))
        return c

    def accept(self) -> None:
        c = self.choice()
        if c is None:
            return
        if c.kind == NEW:
            why = problem(c.entity)
            if not why and c.entity.kb_id and any(e.kb_id == c.entity.kb_id for e in self.entities):
                why = f"an entity with the id {c.entity.kb_id} exists: choose it in the list"
            if why:
                self.error.setText(shown(why))
                return
        super().accept()

    @classmethod
    def ask(cls, parent, **kw) -> Choice | None:
        d = cls(parent=parent, **kw)
        try:
            return d.choice() if d.exec() == QDialog.DialogCode.Accepted else None
        finally:
            d.deleteLater()


def _mentions(n: int) -> str:
    return f"{n:,} mention" + ("" if n == 1 else "s")


__all__ = ["LinkDialog", "Choice", "NEW", "UNLINK"]
