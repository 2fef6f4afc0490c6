"""Colours each span of the article with its label's colour (a QSyntaxHighlighter).

The spans are the ``SpanModel``'s (gui/span_model.py), which holds them in Qt positions too,
sorted; each block finds its spans by bisect, so colouring a block costs O(log n + spans in
the block) however long the article. The highlighter keeps no spans of its own, only what
it derives from the label set (formats, colours, tag widths). The last character of a span
gets extra letter spacing: the gap is where the view paints the label tag (displaCy style),
without inserting anything into the text.
"""
from __future__ import annotations

import time
from bisect import bisect_left, bisect_right

from PySide6.QtGui import QColor, QFont, QFontMetrics, QSyntaxHighlighter, QTextCharFormat

from gui.span_model import QtSpan, SpanModel
from models.labels import LabelSet

TAG_PAD = 6
RECOLOUR_NOW = 200    # blocks coloured again at once after a change (~0.25 ms each); the rest in idle time


class SpanHighlighter(QSyntaxHighlighter):
    def __init__(self, document, tag_font: QFont, model: SpanModel):
        super().__init__(document)
        self.model = model
        # True while blocks of the article are still to come (the view lays a long article in
        # slices, each coloured as it comes) or queued for colouring again (``recolour``)
        self.pending = False
        self.queue: list[int] = []        # block numbers to colour again, off screen, in order
        self.tag_font = tag_font
        self._formats: dict[tuple[str, bool], tuple[QTextCharFormat, QTextCharFormat]] = {}
        self.tag_widths: dict[str, int] = {}
        self.colors: dict[str, QColor] = {}

    # -- data --------------------------------------------------------------------------------
    def set_labels(self, labels: LabelSet) -> set[str]:
        """The label set (its colours and names); returns the labels whose look changed."""
        fm = QFontMetrics(self.tag_font)
        before = {k: (c.name(QColor.NameFormat.HexArgb), self.tag_widths.get(k))
                  for k, c in self.colors.items()}
        self._formats.clear()
        self.colors = {lab.name: QColor(lab.color) for lab in labels}
        self.tag_widths = {lab.name: fm.horizontalAdvance(lab.name) + 2 * TAG_PAD for lab in labels}
        after = {k: (c.name(QColor.NameFormat.HexArgb), self.tag_widths[k]) for k, c in self.colors.items()}
        return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}

    def clear_queue(self) -> None:
        self.queue.clear()

    def recolour(self, touched: list[QtSpan], now: int = RECOLOUR_NOW,
                 shown: tuple[int, int] | None = None) -> None:
        """Spans changed (an edit, a re-read, a label's look): colour again the blocks these
        Qt ranges touch — those on screen (``shown``, Qt positions) and up to ``now`` others
        at once, the rest queued for ``colour_queued`` (slices in idle time)."""
        doc = self.document()
        numbers: set[int] = set(self.queue)
        for s in touched:
            block = doc.findBlock(s.start)
            while block.isValid() and block.position() <= max(s.end - 1, s.start):
                numbers.add(block.blockNumber())
                block = block.next()
        order = sorted(numbers)
        if shown is not None and len(order) > now:
            a, b = doc.findBlock(shown[0]).blockNumber(), doc.findBlock(max(shown[1] - 1, 0)).blockNumber()
            first = [n for n in order if a <= n <= b]
            rest = [n for n in order if not a <= n <= b]
            order = first + rest
        for n in order[:now]:
            self.rehighlightBlock(doc.findBlockByNumber(n))
        self.queue = sorted(order[now:])

    def colour_queued(self, deadline: float, quiet) -> bool:
        """Colour queued blocks until ``deadline`` (perf_counter), inside ``quiet`` (a context
        manager keeping the layout from repainting for blocks off screen); True if any remain."""
        doc, queue = self.document(), self.queue
        k = 0
        with quiet():
            while k < len(queue) and time.perf_counter() < deadline:
                self.rehighlightBlock(doc.findBlockByNumber(queue[k]))
                k += 1
        del queue[:k]
        return bool(queue)

    def colour_now(self, first: int, last: int) -> None:
        """Colour the queued blocks between Qt positions ``first`` and ``last`` (on screen) now."""
        if not self.queue:
            return
        doc = self.document()
        a, b = doc.findBlock(first).blockNumber(), doc.findBlock(max(last - 1, 0)).blockNumber()
        i, j = bisect_left(self.queue, a), bisect_right(self.queue, b)
        for n in self.queue[i:j]:
            self.rehighlightBlock(doc.findBlockByNumber(n))
        del self.queue[i:j]

    def spans_between(self, start: int, end: int) -> list[QtSpan]:
        """Spans overlapping Qt range [start, end)."""
        return self.model.qt_between(start, end)

    # -- formats -----------------------------------------------------------------------------
    def formats(self, label: str, manual: bool) -> tuple[QTextCharFormat, QTextCharFormat]:
        key = (label, manual)
        if key not in self._formats:
            color = QColor(self.colors.get(label, QColor("#dddddd")))
            body = QTextCharFormat()
            if manual:
                body.setBackground(color)
            else:
                # A model suggestion not yet touched: paler fill, dashed underline.
                pale = QColor(color)
                pale.setAlpha(90)
                body.setBackground(pale)
                body.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DashUnderline)
                body.setUnderlineColor(color.darker(170))
            last = QTextCharFormat(body)
            last.setFontLetterSpacingType(QFont.SpacingType.AbsoluteSpacing)
            last.setFontLetterSpacing(self.tag_widths.get(label, 40) + 2)
            self._formats[key] = (body, last)
        return self._formats[key]

    def highlightBlock(self, text: str) -> None:
        block = self.currentBlock()
        bstart = block.position()
        bend = bstart + block.length() - 1      # Qt units: an emoji counts 2 (len(text) would not)
        for s in self.spans_between(bstart, bend):
            body, last = self.formats(s.label, s.manual)
            a, b = max(s.start, bstart), min(s.end, bend)
            self.setFormat(a - bstart, b - a, body)
            if bstart <= s.last < bend:
                self.setFormat(s.last - bstart, s.end - s.last, last)
