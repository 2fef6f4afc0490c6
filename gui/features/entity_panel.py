"""The entity panel: every entity of the project with its names and mention counts; choosing
one lists its mentions across the corpus (Enter or a double click opens the document on the
mention). Read in the background (its own connection), again after each edit that can change
it; F2 edits the entity (name, knowledge-base id, note), Delete deletes one no span names.
"""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QFormLayout, QHeaderView, QLabel,
                               QLineEdit, QListWidget, QListWidgetItem, QTableView, QVBoxLayout,
                               QWidget)

from gui.dialogs import ok_cancel
from gui.workers import Runner
from models.display import shown
from models.entities import Entity, problem

HEADERS = ("Name", "KB id", "Mentions", "Other names")
CONTEXT = 30


def read_entities(path) -> tuple[list[Entity], dict[int, int], dict[int, dict[str, int]]]:
    """(entities, mention counts, names) read through a connection of its own (a worker's)."""
    from models.store import Store
    store = Store(path, readonly=True)
    try:
        return store.entities(), store.entity_counts(), store.entity_aliases()
    finally:
        store.close()


class EntityModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[tuple[Entity, int, list[str]]] = []

    def set(self, entities, counts, aliases) -> None:
        self.beginResetModel()
        self.rows = [(e, counts.get(e.id, 0), [n for n in aliases.get(e.id, {}) if n != e.name])
                     for e in entities]
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        e, n, names = self.rows[index.row()]
        col = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            value = (e.name, e.kb_id, n, ", ".join(names))[col]
            if role == Qt.ItemDataRole.ToolTipRole:
                return shown(e.note or e.name)
            return value if col == 2 else shown(value)
        if role == Qt.ItemDataRole.UserRole:          # sorting and filtering
            return (e.name.lower(), e.kb_id, n, ", ".join(names).lower())[col]
        return None

    def entity(self, row: int) -> Entity:
        return self.rows[row][0]


class EntityDialog(QDialog):
    """Edit an entity's name, knowledge-base id and note."""

    def __init__(self, entity: Entity, taken: set[str], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Entity")
        self.entity, self.taken = entity, taken
        self.name, self.kb, self.note = (QLineEdit(entity.name), QLineEdit(entity.kb_id),
                                         QLineEdit(entity.note))
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020")
        form = QFormLayout()
        for label, w in (("Name", self.name), ("Knowledge-base id", self.kb), ("Note", self.note)):
            form.addRow(label, w)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(ok_cancel(self))

    def edited(self) -> Entity:
        return self.entity.with_(name=" ".join(self.name.text().split()), kb_id=self.kb.text().strip(),
                                 note=self.note.text().strip())

    def accept(self) -> None:
        e = self.edited()
        why = problem(e) or (f"another entity has the id {e.kb_id}" if e.kb_id and e.kb_id in self.taken
                             else None)
        if why:
            self.error.setText(shown(why))
            return
        super().accept()

    @classmethod
    def ask(cls, parent, entity: Entity, taken: set[str]) -> Entity | None:
        d = cls(entity, taken, parent)
        return d.edited() if d.exec() == QDialog.DialogCode.Accepted else None


class EntityPanel(QWidget):
    mention_chosen = Signal(int, int, int)      # doc id, start, end
    edit_requested = Signal(object)             # Entity
    delete_requested = Signal(object)           # Entity

    def __init__(self, store, parent=None):
        super().__init__(parent)
        self.store = store
        self.runner = Runner(1, self)
        self.model = EntityModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.proxy.setFilterRole(Qt.ItemDataRole.UserRole)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter entities (name, id, other names)")
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        for col, mode in enumerate((QHeaderView.ResizeMode.Interactive, QHeaderView.ResizeMode.ResizeToContents,
                                    QHeaderView.ResizeMode.ResizeToContents, QHeaderView.ResizeMode.Stretch)):
            header.setSectionResizeMode(col, mode)
        header.resizeSection(0, 140)
        self.table.model().setHeaderData(1, Qt.Orientation.Horizontal, "Knowledge-base id (e.g. Wikidata)",
                                         Qt.ItemDataRole.ToolTipRole)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _p: self._show_mentions())
        self.table.installEventFilter(self)
        self.mentions = QListWidget()
        self.mentions.itemActivated.connect(self._open)
        self.status = QLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        for w in (self.filter, self.table, self.status, self.mentions):
            layout.addWidget(w)
        self._timer = QTimer(self, singleShot=True, interval=250)
        self._timer.timeout.connect(self.refresh_now)
        self._busy = self._again = False

    # -- reading ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read again soon (edits in a burst read once)."""
        self._timer.start()

    def refresh_now(self) -> None:
        if self._busy:
            self._again = True
            return
        self._busy = True
        path = self.store.path
        self.runner.start(lambda _t: read_entities(path), self._read, self._failed)

    def _read(self, result) -> None:
        self._busy = False
        chosen = self.current()
        self.model.set(*result)
        n = len(self.model.rows)
        self.status.setText(f"{n:,} entities" if n else "No entities yet: select a span and press "
                            "Ctrl+K to link it to one")
        if chosen is not None:
            self.choose(chosen.id)
        if self._again:
            self._again = False
            self.refresh_now()

    def _failed(self, message: str) -> None:
        self._busy = False
        self.status.setText(shown(f"Entities not read: {message}")[:300])

    def current(self) -> Entity | None:
        index = self.table.currentIndex()
        return self.model.entity(self.proxy.mapToSource(index).row()) if index.isValid() else None

    def choose(self, entity_id: int) -> bool:
        for row, (e, _n, _names) in enumerate(self.model.rows):
            if e.id == entity_id:
                self.table.setCurrentIndex(self.proxy.mapFromSource(self.model.index(row, 0)))
                return True
        return False

    def _show_mentions(self) -> None:
        self.mentions.clear()
        e = self.current()
        if e is None:
            return
        for doc_id, span, title, text in self.store.entity_contexts(e.id, CONTEXT, limit=500):
            before, words, after = text
            item = QListWidgetItem(shown(f"{title or f'Document {doc_id}'}:  …{before[-CONTEXT // 2:]}"
                                         f"[{words}]{after}…"))
            item.setToolTip(shown(f"…{before}{words}{after}…"))
            item.setData(Qt.ItemDataRole.UserRole, (doc_id, span.start, span.end))
            self.mentions.addItem(item)

    def _open(self, item) -> None:
        self.mention_chosen.emit(*item.data(Qt.ItemDataRole.UserRole))

    def eventFilter(self, obj, e) -> bool:
        from PySide6.QtCore import QEvent
        if obj is self.table and e.type() == QEvent.Type.KeyPress:
            entity = self.current()
            if entity is not None and e.key() == Qt.Key.Key_F2:
                self.edit_requested.emit(entity)
                return True
            if entity is not None and e.key() == Qt.Key.Key_Delete:
                self.delete_requested.emit(entity)
                return True
            if e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.mentions.count():
                self.mentions.setCurrentRow(0)
                self.mentions.setFocus()
                return True
        return super().eventFilter(obj, e)


__all__ = ["EntityPanel", "EntityDialog", "EntityModel", "read_entities"]
