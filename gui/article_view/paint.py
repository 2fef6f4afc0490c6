"""What the article view paints over its text: label tags, the selected span's outline, other
versions' spans (adjudication) and, while a long article is still being laid in, how far.

Every function takes the view (an ``ArticleView``) and works in Qt positions.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

# The line under each version's spans (adjudication), by row; the legend shows the same.
MARK_STYLES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DotLine, Qt.PenStyle.DashDotLine,
               Qt.PenStyle.DashDotDotLine, Qt.PenStyle.DashLine)
MARK_GLYPHS = ("━━━", "┅┅┅", "━┅━", "━┅┅", "╍╍╍")


def visible_range(view) -> tuple[int, int]:
    """Qt positions [first, last) of the blocks on screen."""
    offset = view.contentOffset()
    block = view.firstVisibleBlock()
    height = view.viewport().height()
    first = last = block.position()
    while block.isValid() and view.blockBoundingGeometry(block).translated(offset).top() < height:
        last = block.position() + block.length()
        block = block.next()
    return first, last


def paint_over(view) -> None:
    """Tags, the selected span's outline, marks and the laying-in note, over the text."""
    p = QPainter(view.viewport())
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    first, last = visible_range(view)
    hl = view.highlighter
    p.setFont(view.tag_font)
    sel = view._qt(view.selected) if view.selected else None
    for s in hl.spans_between(first, last):
        color = hl.colors.get(s.label, QColor("#dddddd"))
        rect = char_rect(view, s.last, s.end)
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
            for r in range_rects(view, s.start, s.end):     # inside the span's own box
                p.drawRoundedRect(r.adjusted(0, 1, -1, -1), 3, 3)
    paint_marks(view, p, first, last)
    if view.feeder.active:
        paint_laying_in(view, p)
    p.end()


def paint_laying_in(view, p: QPainter) -> None:
    """A small note in the bottom right corner: how much of a long article is laid in."""
    note = view.feeder.note()
    p.setFont(view.tag_font)
    fm = p.fontMetrics()
    rect = note_rect(view, fm.horizontalAdvance(note) + 16, fm.height() + 8)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(255, 255, 255, 225))
    p.drawRoundedRect(rect, 4, 4)
    p.setPen(QColor("#555"))
    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, note)


def note_rect(view, w: int = 260, h: int = 24) -> QRectF:
    vp = view.viewport().rect()
    return QRectF(vp.right() - w - 6, vp.bottom() - h - 6, w, h)


def paint_marks(view, p: QPainter, first: int, last: int) -> None:
    for a, b, color, row in view._marks:
        if b < first or a > last:
            continue
        pen = QPen(color.darker(140), 2)
        pen.setStyle(MARK_STYLES[row % len(MARK_STYLES)])
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        p.setPen(pen)
        for r in range_rects(view, a, b):
            y = r.bottom() - 1 - 2.5 * row          # in the descent, row 0 lowest
            p.drawLine(QPointF(r.left() + 1, y), QPointF(r.right() - 1, y))
    focus = view._focus
    if focus and focus[1] >= first and focus[0] <= last:
        pen = QPen(QColor("#c2410c"), 1.5)
        pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        for r in range_rects(view, *focus):
            p.drawRoundedRect(r.adjusted(-2, -1, 2, 1), 4, 4)


def char_rect(view, last: int, end: int) -> QRectF | None:
    """Rectangle from the start of the last character to the span's end (tag included)."""
    block = view.document().findBlock(last)
    layout = block.layout()
    if layout is None:                     # not laid in yet
        return None
    rel = last - block.position()
    line = layout.lineForTextPosition(rel)
    if not line.isValid():
        return None
    top = view.blockBoundingGeometry(block).translated(view.contentOffset()).top() + line.y()
    x1 = line.cursorToX(rel)[0]        # PySide6 returns (x, adjusted position)
    x2 = line.cursorToX(min(end - block.position(), block.length() - 1))[0]
    return QRectF(x1, top, x2 - x1, line.height())


def range_rects(view, start: int, end: int) -> list[QRectF]:
    rects = []
    block = view.document().findBlock(start)
    while block.isValid() and block.position() < end:
        layout, bpos = block.layout(), block.position()
        top = view.blockBoundingGeometry(block).translated(view.contentOffset()).top()
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
