"""The preview table of "label every occurrence": one row per occurrence, as a concordance
(the text before it right-aligned, the occurrence, the text after), what stands there now,
and a tick. Rows arrive in batches while the corpus is read (``append``)."""
from __future__ import annotations

import re

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QStyledItemDelegate

from gui.plain import one_line, plain_tooltip
from models import occurrences as O

COLUMNS = ("", "Document", "Before", "Occurrence", "After", "There now")
TICK, DOC, BEFORE, MATCH, AFTER, NOW = range(6)
_SPACES = re.compile(r"\s+")
SIDE = 40          # characters of context shown on each side
_PERSON = QBrush(QColor("#9a3412"))
_GREY = QBrush(QColor("#8a8a8a"))


def _flat(text: str) -> str:
    return _SPACES.sub(" ", text)


def _left(text: str) -> str:
    """The end of the text before an occurrence, from a whole word on."""
    text = _flat(text)
    if len(text) <= SIDE:
        return text
    cut = text[-SIDE:]
    i = cut.find(" ")
    return "…" + (cut[i:] if 0 <= i < SIDE // 2 else cut)


def _right(text: str) -> str:
    text = _flat(text)
    if len(text) <= SIDE:
        return text
    cut = text[:SIDE]
    i = cut.rfind(" ")
    return (cut[:i] if i > SIDE // 2 else cut) + "…"


class ElideLeft(QStyledItemDelegate):
    """The text before an occurrence is cut on its left: the words next to it stay."""

    def initStyleOption(self, option, index) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideLeft


class OccurrenceModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[O.Occurrence] = []
        self.ticks = bytearray()
        # the person's own ticks, by (document, start, end): kept when the preview is read
        # again (another scope or label, a change meanwhile) until ``forget``
        self.chosen: dict[tuple[int, int, int], int] = {}
        self._docs: set[int] = set()
        self._kinds: dict[str, int] = {}
        self.person_rows: list[int] = []    # rows over a person's span
        self._bold = QFont()
        self._bold.setBold(True)

    # -- filling -----------------------------------------------------------------------------------
    def reset(self) -> None:
        self.beginResetModel()
        self.rows, self.ticks, self._docs, self._kinds = [], bytearray(), set(), {}
        self.person_rows = []
        self.endResetModel()

    def forget(self) -> None:
        self.chosen = {}

    def append(self, rows: list[O.Occurrence]) -> None:
        if not rows:
            return
        n, chosen = len(self.rows), self.chosen
        self.beginInsertRows(QModelIndex(), n, n + len(rows) - 1)
        self.rows.extend(rows)
        self._docs.update(r.doc_id for r in rows)
        for i, r in enumerate(rows, n):
            self._kinds[r.kind] = self._kinds.get(r.kind, 0) + 1
            if r.kind == O.PERSON:
                self.person_rows.append(i)
        self.ticks.extend(0 if r.kind == O.SAME else chosen.get((r.doc_id, r.start, r.end), r.ticked)
                          for r in rows)
        self.endInsertRows()

    def _choose(self, row: int, on: int) -> None:
        r = self.rows[row]
        self.ticks[row] = on
        self.chosen[(r.doc_id, r.start, r.end)] = on

    # -- ticks -------------------------------------------------------------------------------------
    def checkable(self, row: int) -> bool:
        return self.rows[row].kind != O.SAME        # already there: nothing to do

    def toggle(self, rows: list[int]) -> None:
        """Tick the given rows, or untick them if all are ticked (Space on a selection)."""
        rows = [r for r in rows if 0 <= r < len(self.rows) and self.checkable(r)]
        if not rows:
            return
        on = 0 if all(self.ticks[r] for r in rows) else 1
        for r in rows:
            self._choose(r, on)
        for r in (min(rows), max(rows)):
            self.dataChanged.emit(self.index(r, TICK), self.index(r, TICK), [Qt.ItemDataRole.CheckStateRole])
        if len(rows) > 2:
            self.dataChanged.emit(self.index(min(rows), TICK), self.index(max(rows), TICK))

    def ticked(self) -> list[O.Occurrence]:
        return [r for r, t in zip(self.rows, self.ticks) if t]

    def counts(self) -> tuple[int, int, int, dict]:
        """(occurrences, documents, ticked, rows by kind), kept as rows arrive."""
        return len(self.rows), len(self._docs), self.ticks.count(1), self._kinds

    # -- Qt ----------------------------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def flags(self, index):
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == TICK and self.checkable(index.row()):
            base |= Qt.ItemFlag.ItemIsUserCheckable
        return base

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r, c = self.rows[index.row()], index.column()
        R = Qt.ItemDataRole
        if role == R.DisplayRole:
            if c == DOC:
                return one_line(r.title or f"Document {r.doc_id}", 40)
            if c == BEFORE:
                return one_line(_left(r.before), SIDE + 2)
            if c == MATCH:
                return one_line(_flat(r.match), 60)
            if c == AFTER:
                return one_line(_right(r.after), SIDE + 2)
            if c == NOW:
                return one_line(r.what, 60)
            return None
        if role == R.CheckStateRole and c == TICK and self.checkable(index.row()):
            return Qt.CheckState.Checked if self.ticks[index.row()] else Qt.CheckState.Unchecked
        if role == R.TextAlignmentRole and c == BEFORE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == R.FontRole and c == MATCH:
            return self._bold
        if role == R.ForegroundRole:
            if r.kind == O.SAME:
                return _GREY
            if r.kind == O.PERSON and c == NOW:
                return _PERSON
        if role == R.ToolTipRole:
            return plain_tooltip(f"{r.title} (document {r.doc_id}, {r.status}), characters "
                                 f"{r.start}-{r.end}:\n…{_flat(r.before)}[{_flat(r.match)}]"
                                 f"{_flat(r.after)}…\nThere now: {r.what}")
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != TICK or not self.checkable(index.row()):
            return False
        on = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
        self._choose(index.row(), 1 if on else 0)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True
