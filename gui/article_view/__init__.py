"""The article: read-only text, coloured spans with their label tags, a selected span.

The view speaks code points to the outside (through its OffsetMap) and Qt positions inside.
It knows nothing of the store: it shows the spans of its ``SpanModel`` (gui/span_model.py,
the one owner of the open document's spans, which the entity table may show too), follows
that model's signals, and reports what the person does.

A long article (over ``FEED_AFTER`` code points) is shown at once by its first screens and laid
in the rest in slices while the window stays live (``feed.Feeder``); every method taking code
points lays the text in up to there first, so a span near the end of 50 MB is one click away.
Painting over the text (tags, outlines, adjudication marks) is in ``paint``.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QKeySequence, QTextCursor, QTextOption
from PySide6.QtWidgets import QPlainTextEdit, QToolTip

from gui.article_view.feed import FEED_AFTER, MARGIN, Feeder
from gui.article_view.paint import MARK_GLYPHS, MARK_STYLES, note_rect, paint_over, visible_range
from gui.highlighter import TAG_PAD, SpanHighlighter
from gui.offsets import OffsetMap
from gui.plain import plain_tooltip
from gui.span_model import QtSpan, SpanModel, last_cluster
from models.labels import LabelSet
from models.spans import Span, index_of

READING_WIDTH = 88
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
        self.feeder = Feeder(self)                # lays a long article in, in slices
        self.feeder.fed.connect(self._fed)
        self._place: tuple[int, int] | None = None   # restore_position waiting for the text
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
        self._marks, self._focus, self._place = [], None, None
        self.highlighter.set_labels(self.model.labels)
        self.highlighter.clear_queue()
        self.feeder.start(self.map)      # coloured as it goes in; a long text in slices

    def _recolour(self, touched: list[QtSpan]) -> None:
        self.highlighter.recolour(touched, shown=self.visible_range())
        self.feeder.kick()               # what was queued (a change of many spans): idle time

    def _spans_reset(self, touched: list[QtSpan]) -> None:
        self._recolour(touched)
        self._forget_removed()

    def _applied(self, _removed, _added, touched: list[QtSpan]) -> None:
        self._recolour(touched)
        self._forget_removed()
        self.viewport().update()

    def _labels_changed(self) -> None:
        changed = self.highlighter.set_labels(self.model.labels)
        if changed:
            self._recolour([q for q in self.model.qt_spans if q.label in changed])
        self.viewport().update()

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
        self.lay_in(max(start, end))
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
        if span is not None:
            self.lay_in(span.end)
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
        if self._place:                   # a place to come back to, once the text is in
            return self._place[0]
        return self.map.to_cp(self.textCursor().position())

    def top_cp(self) -> int:
        if self._place:
            return self._place[1]
        return self.map.to_cp(self.firstVisibleBlock().position())

    def restore_position(self, cursor: int, top: int) -> None:
        """Put the caret at code point ``cursor`` with ``top`` at the top of the view. Beyond
        what a long article has laid in so far, it is done once the text is in up to there
        (``cursor_cp`` and ``top_cp`` answer it meanwhile); anything the person does first
        cancels it."""
        n = len(self.map.text)
        cursor, top = min(max(cursor, 0), n), min(max(top, 0), n)
        self._place = None
        if self.feeder.active and max(cursor, top) + MARGIN > self.feeder.cp:
            self._place = (cursor, top)
            return
        c = self.textCursor()
        c.setPosition(self.map.to_qt(top))
        c.movePosition(QTextCursor.MoveOperation.End)      # scroll so `top` comes to the top
        self.setTextCursor(c)
        self.ensureCursorVisible()
        c.setPosition(self.map.to_qt(top))
        self.setTextCursor(c)
        self.ensureCursorVisible()
        c.setPosition(self.map.to_qt(cursor))
        self.setTextCursor(c)

    def lay_in(self, cp: int) -> None:
        """Have the text in the document up to code point ``cp`` (and a screen past it)."""
        self._place = None
        self.feeder.ensure(cp)

    def _fed(self, cp: int) -> None:
        place = self._place
        if place and (max(place) + MARGIN <= cp or not self.feeder.active):
            self.restore_position(*place)

    def visible_range(self) -> tuple[int, int]:
        """Qt positions [first, last) of the blocks on screen."""
        return visible_range(self)

    def note_rect(self) -> QRectF:
        return note_rect(self)

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
        self._place = None                  # the person moves on: no place restored under them
        if e.key() == Qt.Key.Key_End and mods & ctrl:
            self.feeder.finish()            # the end of the article, not of what is laid in
        if self.selected is not None and e.key() in _CARET_KEYS:
            self.selected = None        # moving the caret leaves the span
            self.viewport().update()
        super().keyPressEvent(e)

    def mousePressEvent(self, e) -> None:
        self._press_pos = e.position().toPoint()
        self._place = None
        super().mousePressEvent(e)

    def wheelEvent(self, e) -> None:
        self._place = None
        super().wheelEvent(e)

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

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self.highlighter.colour_now(*self.visible_range())     # blocks a change queued

    def resizeEvent(self, e) -> None:
        super().resizeEvent(e)
        self.highlighter.colour_now(*self.visible_range())
        # Keep lines at a readable length: centre a column of READING_WIDTH characters.
        column = self.fontMetrics().averageCharWidth() * READING_WIDTH + 40
        side = max(0, (self.width() - column) // 2)
        self.setViewportMargins(side, 0, side, 0)

    def paintEvent(self, e) -> None:
        super().paintEvent(e)
        if not self._painted:
            self._painted = True
            self.first_paint.emit()
        paint_over(self)          # label tags, the selected span's outline, marks (paint.py)


__all__ = ["ArticleView", "FEED_AFTER", "TAG_PAD", "last_cluster", "MARK_STYLES", "MARK_GLYPHS"]
