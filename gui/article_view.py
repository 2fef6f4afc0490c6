"""The article: read-only text, coloured spans with their label tags, a selected span.

The view speaks code points to the outside (through its OffsetMap) and Qt positions inside.
It knows nothing of the store: it shows the spans of its ``SpanModel`` (gui/span_model.py,
the one owner of the open document's spans, which the entity table may show too), follows
that model's signals, and reports what the person does.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QKeySequence, QPainter, QPen, QTextCursor, QTextOption
from PySide6.QtWidgets import QPlainTextEdit, QToolTip

from gui.highlighter import TAG_PAD, SpanHighlighter
from gui.offsets import OffsetMap
from gui.plain import plain_tooltip
from gui.span_model import QtSpan, SpanModel, last_cluster
from models.labels import LabelSet
from models.spans import Span, index_of

READING_WIDTH = 88
LAZY_AFTER = 30_000  # Qt positions coloured at once; the rest of a long article in idle time
_CARET_KEYS = {Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Home,
               Qt.Key.Key_End, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown}   # characters per line at most: long lines are hard to read all day


class ArticleView(QPlainTextEdit):
    span_clicked = Signal(object)        # Span (or None: clicked outside any span)
    selection_finished = Signal(bool)    # a mouse selection ended; True if Alt was held
    step_span = Signal(int)              # Tab (+1) / Shift+Tab (-1)
    resize_span = Signal(str, int)       # "end" or "start", +1 grow / -1 shrink (by a token)
    escape = Signal()
    first_paint = Signal()               # once, after the view has painted for the first time

    def __init__(self, spans: SpanModel | None = None, parent=None):
        if parent is None and spans is not None and not isinstance(spans, SpanModel):
            spans, parent = None, spans          # the old signature: ArticleView(parent)
        super().__init__(parent)
        self.model = spans if spans is not None else SpanModel(self)   # the spans' one owner
        self.setReadOnly(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setUndoRedoEnabled(False)
        self.setObjectName("article")
        font = QFont(self.font())
        font.setPointSizeF(max(font.pointSizeF(), 10) * 1.25)
        self.setFont(font)
        tag_font = QFont(font)
        tag_font.setPointSizeF(font.pointSizeF() * 0.62)
        tag_font.setBold(True)
        self.tag_font = tag_font
        self.document().setDocumentMargin(18)
        self.highlighter = SpanHighlighter(self.document(), tag_font, self.model)
        self.selected: Span | None = None
        self._marks: list[tuple] = []        # other versions' spans, underlined (set_marks)
        self._focus: tuple[int, int] | None = None
        self._press_pos = None
        self._painted = False
        m = self.model
        m.opened.connect(self._opened)
        m.spans_reset.connect(self._spans_reset)
        m.applied.connect(self._applied)
        m.labels_changed.connect(self._labels_changed)
        if m.text:                   # a model already showing a document: show it too
            self._opened()

    # -- content: the model's, read where it is -------------------------------------------
    @property
    def map(self) -> OffsetMap:
        return self.model.map

    @property
    def spans(self) -> list[Span]:
        """The model's sorted spans (read them, never change them)."""
        return self.model.spans

    def set_content(self, text: str, spans: list[Span], labels: LabelSet) -> None:
        """Show a document: text at once, spans coloured in the same pass (``model.open``)."""
        self.model.open(text, spans, labels)

    def set_labels(self, labels: LabelSet) -> None:
        self.model.set_labels(labels)

    def apply(self, remove: list[Span], add: list[Span], spans: list[Span] | None = None) -> None:
        """An edit was committed: re-colour only what it touched (``model.apply``). ``spans``,
        the caller's list after the edit, is only used if the edit does not fit the model."""
        try:
            self.model.apply(remove, add)
        except ValueError:
            if spans is None:
                raise
            self.model.reset_spans(spans)

    def reset_spans(self, spans: list[Span]) -> None:
        self.model.reset_spans(spans)

    def _opened(self) -> None:
        self.selected = None
        self._marks, self._focus = [], None
        hl, text = self.highlighter, self.model.text
        hl.set_labels(self.model.labels)
        long_text = len(text) > LAZY_AFTER
        hl.restart(LAZY_AFTER if long_text else None)
        hl.deferring = long_text
        try:
            self.setPlainText(self.map.display_text)  # colours the first screens while laying out
        finally:
            hl.deferring = False
        self.map.check(self.document())

    def _spans_reset(self) -> None:
        self.highlighter.restart()
        self.highlighter.rehighlight()
        self._forget_removed()

    def _applied(self, _removed, _added, touched: list[QtSpan]) -> None:
        self.highlighter.recolour(touched)
        self._forget_removed()
        self.viewport().update()

    def _labels_changed(self) -> None:
        self.highlighter.set_labels(self.model.labels)
        self.highlighter.rehighlight()

    def _forget_removed(self) -> None:
        if self.selected is not None and index_of(self.model.spans, self.selected) < 0:
            self.selected = None

    def _qt_many(self, spans: list[Span]) -> list[QtSpan]:
        return self.model.to_qt_spans(spans)

    def _qt(self, s: Span) -> QtSpan:
        return self.model.to_qt_span(s)

    # -- selection ---------------------------------------------------------------------------
    def selected_range(self) -> tuple[int, int] | None:
        """The text selection as a code-point range, or None."""
        c = self.textCursor()
        if not c.hasSelection():
            return None
        return self.map.span_to_cp(c.selectionStart(), c.selectionEnd())

    def select_range(self, start: int, end: int) -> None:
        """Select code points [start, end) (used to show a snapped selection)."""
        c = self.textCursor()
        c.setPosition(self.map.to_qt(start))
        c.setPosition(self.map.to_qt(end), QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(c)

    def show_range(self, start: int, end: int) -> None:
        """Select code points [start, end) and scroll them into view (a find's match)."""
        self.select_range(start, end)
        self._show_with_margin()

    def set_marks(self, marks: list[tuple[int, int, str, int]],
                  focus: tuple[int, int] | None = None) -> None:
        """Spans of other versions (adjudication), each underlined in its label's colour, one
        line per version below the text, each its own pattern: (start, end, colour, row),
        code points, row 0 the lowest (``MARK_STYLES[row]``); ``focus``: a range framed (the
        disagreement at hand). Cleared when a document opens."""
        self._marks = [(*self.map.span_to_qt(s, e), QColor(c), row) for s, e, c, row in marks]
        self._focus = self.map.span_to_qt(*focus) if focus else None
        self.viewport().update()

    def select_span(self, span: Span | None, scroll: bool = True) -> None:
        self.selected = span
        c = self.textCursor()
        if span is not None:
            c.setPosition(self.map.to_qt(span.end))     # caret after the span, no selection
            self.setTextCursor(c)
            if scroll:
                self._show_with_margin()
        else:
            c.clearSelection()
            self.setTextCursor(c)
        self.viewport().update()

    def _show_with_margin(self) -> None:
        """Scroll so the caret has a few lines of context; centre it if it is near an edge."""
        rect, line = self.cursorRect(), self.fontMetrics().height()
        if rect.top() < 2 * line or rect.bottom() > self.viewport().height() - 3 * line:
            self.centerCursor()

    def cursor_cp(self) -> int:
        return self.map.to_cp(self.textCursor().position())

    def top_cp(self) -> int:
        return self.map.to_cp(self.firstVisibleBlock().position())

    def restore_position(self, cursor: int, top: int) -> None:
        n = len(self.map.text)
        c = self.textCursor()
        c.setPosition(self.map.to_qt(min(max(top, 0), n)))
        c.movePosition(QTextCursor.MoveOperation.End)      # scroll so `top` comes to the top
        self.setTextCursor(c)
        self.ensureCursorVisible()
        c.setPosition(self.map.to_qt(min(max(top, 0), n)))
        self.setTextCursor(c)
        self.ensureCursorVisible()
        c.setPosition(self.map.to_qt(min(max(cursor, 0), n)))
        self.setTextCursor(c)

    def span_at_qt(self, pos: int) -> Span | None:
        return self.model.span_at(self.map.to_cp(pos))

    # -- input -------------------------------------------------------------------------------
    def event(self, e) -> bool:
        if e.type() == QEvent.Type.ShortcutOverride and (
                e.matches(QKeySequence.StandardKey.Undo) or e.matches(QKeySequence.StandardKey.Redo)):
            e.ignore()           # the window's undo stack, not the text widget's, owns Ctrl+Z
            return False
        if e.type() == QEvent.Type.KeyPress and e.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
            back = e.key() == Qt.Key.Key_Backtab or bool(e.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.step_span.emit(-1 if back else 1)
            return True
        if e.type() == QEvent.Type.ToolTip:
            span = self.span_at_qt(self.cursorForPosition(e.pos()).position())
            if span:
                tip = f"{span.label} · {'yours' if span.is_manual else 'model: ' + span.source}"
                QToolTip.showText(e.globalPos(), plain_tooltip(tip), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(e)

    def keyPressEvent(self, e) -> None:
        mods = e.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        shift, ctrl = Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.ControlModifier
        if self.selected is not None and e.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            step = 1 if e.key() == Qt.Key.Key_Right else -1
            if mods == shift:
                self.resize_span.emit("end", step)
                return
            if mods == shift | ctrl:
                self.resize_span.emit("start", -step)
                return
        if e.key() == Qt.Key.Key_Escape:
            self.escape.emit()
            return
        if self.selected is not None and e.key() in _CARET_KEYS:
            self.selected = None        # moving the caret leaves the span
            self.viewport().update()
        super().keyPressEvent(e)

    def mousePressEvent(self, e) -> None:
        self._press_pos = e.position().toPoint()
        super().mousePressEvent(e)

    def mouseReleaseEvent(self, e) -> None:
        super().mouseReleaseEvent(e)
        if e.button() != Qt.MouseButton.LeftButton:
            return
        moved = self._press_pos is not None and (
            e.position().toPoint() - self._press_pos).manhattanLength() > 3
        if moved and self.textCursor().hasSelection():
            alt = bool(e.modifiers() & Qt.KeyboardModifier.AltModifier)
            self.selection_finished.emit(alt)
        else:
            self.span_clicked.emit(self.span_at_qt(self.cursorForPosition(e.position().toPoint()).position()))

    def _colour_visible(self) -> None:
        hl = self.highlighter
        if not hl.pending:
            return
        first = self.firstVisibleBlock()
        last = self.cursorForPosition(self.viewport().rect().bottomRight()).block()
        hl.ensure(first, last)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self._colour_visible()

    def resizeEvent(self, e) -> None:
        super().resizeEvent(e)
        self._colour_visible()
        # Keep lines at a readable length: centre a column of READING_WIDTH characters.
        column = self.fontMetrics().averageCharWidth() * READING_WIDTH + 40
        side = max(0, (self.width() - column) // 2)
        self.setViewportMargins(side, 0, side, 0)

    # -- painting: label tags and the selected span's outline ------------------------------
    def paintEvent(self, e) -> None:
        super().paintEvent(e)
        if not self._painted:
            self._painted = True
            self.first_paint.emit()
        p = QPainter(self.viewport())
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        offset = self.contentOffset()
        block = self.firstVisibleBlock()
        height = self.viewport().height()
        first = block.position()
        last = first
        while block.isValid() and self.blockBoundingGeometry(block).translated(offset).top() < height:
            last = block.position() + block.length()
            block = block.next()
        hl = self.highlighter
        p.setFont(self.tag_font)
        sel = self._qt(self.selected) if self.selected else None
        for s in hl.spans_between(first, last):
            color = hl.colors.get(s.label, QColor("#dddddd"))
            rect = self._char_rect(s.last, s.end)
            if rect is None:
                continue
            w = hl.tag_widths.get(s.label, 40)
            tag = QRectF(rect.right() - w, rect.top() + 2, w - 2, rect.height() - 4)
            p.setPen(QColor("#222") if s.manual else color.darker(220))
            f = p.font()
            f.setItalic(not s.manual)
            p.setFont(f)
            p.drawText(tag, Qt.AlignmentFlag.AlignCenter, s.label)
            if s == sel:
                p.setPen(QPen(QColor("#1a56db"), 2))
                p.setBrush(Qt.BrushStyle.NoBrush)
                for r in self._range_rects(s.start, s.end):     # inside the span's own box
                    p.drawRoundedRect(r.adjusted(0, 1, -1, -1), 3, 3)
        self._paint_marks(p, first, last)
        p.end()

    def _paint_marks(self, p: QPainter, first: int, last: int) -> None:
        for a, b, color, row in self._marks:
            if b < first or a > last:
                continue
            pen = QPen(color.darker(140), 2)
            pen.setStyle(MARK_STYLES[row % len(MARK_STYLES)])
            pen.setCapStyle(Qt.PenCapStyle.FlatCap)
            p.setPen(pen)
            for r in self._range_rects(a, b):
                y = r.bottom() - 1 - 2.5 * row          # in the descent, row 0 lowest
                p.drawLine(QPointF(r.left() + 1, y), QPointF(r.right() - 1, y))
        if self._focus and self._focus[1] >= first and self._focus[0] <= last:
            pen = QPen(QColor("#c2410c"), 1.5)
            pen.setStyle(Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            for r in self._range_rects(*self._focus):
                p.drawRoundedRect(r.adjusted(-2, -1, 2, 1), 4, 4)

    def _char_rect(self, last: int, end: int) -> QRectF | None:
        """Rectangle from the start of the last character to the span's end (tag included)."""
        block = self.document().findBlock(last)
        layout = block.layout()
        rel = last - block.position()
        line = layout.lineForTextPosition(rel)
        if not line.isValid():
            return None
        top = self.blockBoundingGeometry(block).translated(self.contentOffset()).top() + line.y()
        x1 = line.cursorToX(rel)[0]        # PySide6 returns (x, adjusted position)
        x2 = line.cursorToX(min(end - block.position(), block.length() - 1))[0]
        return QRectF(x1, top, x2 - x1, line.height())

    def _range_rects(self, start: int, end: int) -> list[QRectF]:
        rects = []
        doc = self.document()
        block = doc.findBlock(start)
        while block.isValid() and block.position() < end:
            layout, bpos = block.layout(), block.position()
            top = self.blockBoundingGeometry(block).translated(self.contentOffset()).top()
            for i in range(layout.lineCount()):
                line = layout.lineAt(i)
                a = max(start - bpos, line.textStart())
                b = min(end - bpos, line.textStart() + line.textLength())
                if a >= b:
                    continue
                xa, xb = line.cursorToX(a)[0], line.cursorToX(b)[0]
                rects.append(QRectF(xa, top + line.y(), xb - xa, line.height()))
            block = block.next()
        return rects


# The line under each version's spans (adjudication), by row; the legend shows the same.
MARK_STYLES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DotLine, Qt.PenStyle.DashDotLine,
               Qt.PenStyle.DashDotDotLine, Qt.PenStyle.DashLine)
MARK_GLYPHS = ("━━━", "┅┅┅", "━┅━", "━┅┅", "╍╍╍")

__all__ = ["ArticleView", "TAG_PAD", "last_cluster", "MARK_STYLES", "MARK_GLYPHS"]
