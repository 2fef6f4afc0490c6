"""The Statistics dock's pieces: a chart (an image drawn off the UI thread by
``models/stats_charts.py``, with each bar's box: a click or Enter on a bar is its target, a
hover its tooltip; Left/Right step through the bars) and a read-only table of plain rows."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QSizePolicy, QTableView, QToolTip, QWidget

from gui.plain import one_line
from models.stats_tables import numeric


class ChartView(QWidget):
    """One chart: ``show_image(rgba, w, h, boxes, ratio)``; ``picked`` sends a bar's target."""
    picked = Signal(object)

    def __init__(self, name: str, describe=lambda target: "", parent=None):
        super().__init__(parent)
        self.name = name
        self.describe = describe            # target -> tooltip text
        self.image: QImage | None = None
        self.boxes: list[tuple[QRectF, object]] = []
        self.current = -1                   # the bar chosen with the keyboard
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(60)
        self.setAccessibleName(f"{name} chart")

    def show_image(self, rgba: bytes, w: int, h: int, boxes: list, ratio: float) -> None:
        img = QImage(rgba, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()   # owns its bytes
        img.setDevicePixelRatio(ratio)
        self.image = img
        self.boxes = [(QRectF(x / ratio, y / ratio, bw / ratio, bh / ratio), t) for (x, y, bw, bh), t in boxes]
        self.current = min(self.current, len(self.boxes) - 1)
        self.setFixedHeight(int(h / ratio))
        self.update()

    def target_at(self, pos: QPointF):
        for rect, target in self.boxes:
            if rect.adjusted(-1, -1, 1, 1).contains(pos):
                return target
        return None

    def paintEvent(self, _e) -> None:
        p = QPainter(self)
        if self.image is not None:
            p.drawImage(0, 0, self.image)
        if self.hasFocus() and 0 <= self.current < len(self.boxes):
            p.setPen(QPen(QColor("#1a73e8"), 2))
            p.drawRect(self.boxes[self.current][0].adjusted(-2, -2, 2, 2))
        p.end()

    def mouseMoveEvent(self, e) -> None:
        target = self.target_at(e.position())
        self.setCursor(Qt.CursorShape.PointingHandCursor if target else Qt.CursorShape.ArrowCursor)
        if target:
            QToolTip.showText(e.globalPosition().toPoint(), one_line(self.describe(target), 200), self)
        else:
            QToolTip.hideText()

    def mousePressEvent(self, e) -> None:
        target = self.target_at(e.position())
        if e.button() == Qt.MouseButton.LeftButton and target is not None:
            self.picked.emit(target)

    def keyPressEvent(self, e) -> None:
        key = e.key()
        if key in (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down) and self.boxes:
            step = 1 if key in (Qt.Key.Key_Right, Qt.Key.Key_Down) else -1
            self.current = (self.current + step) % len(self.boxes)
            rect, target = self.boxes[self.current]
            QToolTip.showText(self.mapToGlobal(rect.center().toPoint()), one_line(self.describe(target), 200), self)
            self.update()
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and 0 <= self.current < len(self.boxes):
            self.picked.emit(self.boxes[self.current][1])
            return
        super().keyPressEvent(e)


class PlainTable(QTableView):
    """Rows of strings (numbers right-aligned), each with a target: Enter or a double click
    sends it (``picked``)."""
    picked = Signal(object)

    def __init__(self, header: list[str], name: str, parent=None):
        super().__init__(parent)
        self.model_ = QStandardItemModel(0, len(header), self)
        self.model_.setHorizontalHeaderLabels(header)
        self.setModel(self.model_)
        self.targets: list = []
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.verticalHeader().hide()
        self.setWordWrap(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setStretchLastSection(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setAccessibleName(name)
        self.doubleClicked.connect(lambda index: self._send(index.row()))
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_table(self, table) -> None:
        """Show a ``models.stats_tables.Table``: its columns, rows, targets and colours."""
        if [self.model_.headerData(i, Qt.Orientation.Horizontal) for i in range(self.model_.columnCount())] \
                != table.header:
            self.model_.setColumnCount(len(table.header))
            self.model_.setHorizontalHeaderLabels(table.header)
        self.set_rows(table.rows, table.targets, table.colours)

    def set_rows(self, rows: list[list[str]], targets: list | None = None, colours: list | None = None) -> None:
        keep = self.currentIndex().row()
        m = self.model_
        m.setRowCount(0)
        for i, row in enumerate(rows):
            items = []
            for j, cell in enumerate(row):
                item = QStandardItem(one_line(cell, 120))
                if numeric(cell):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if j == 0 and colours and colours[i]:
                    item.setData(QColor(colours[i]), Qt.ItemDataRole.DecorationRole)
                items.append(item)
            m.appendRow(items)
        self.targets = list(targets or [None] * len(rows))
        if 0 <= keep < len(rows):
            self.selectRow(keep)
        self.resizeColumnsToContents()
        for c in range(m.columnCount()):                  # a long string does not take it all
            self.setColumnWidth(c, min(self.columnWidth(c), 220))
        rows_h = sum(self.rowHeight(r) for r in range(m.rowCount()))
        bar = self.horizontalScrollBar().sizeHint().height()
        self.setFixedHeight(self.horizontalHeader().height() + rows_h + 2 * self.frameWidth() + 2 + bar)

    def _send(self, row: int) -> None:
        if 0 <= row < len(self.targets) and self.targets[row] is not None:
            self.picked.emit(self.targets[row])

    def keyPressEvent(self, e) -> None:
        if e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._send(self.currentIndex().row())
            return
        super().keyPressEvent(e)


__all__ = ["ChartView", "PlainTable"]
