"""Colours each span of the article with its label's colour (a QSyntaxHighlighter).

Spans are held in Qt positions, sorted; each block finds its spans by bisect, so colouring a
block costs O(log n + spans in the block) however long the article. The last character of a
span gets extra letter spacing: the gap is where the view paints the label tag (displaCy
style), without inserting anything into the text.
"""
from __future__ import annotations

import time
from bisect import bisect_left, bisect_right
from typing import NamedTuple

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QFont, QFontMetrics, QSyntaxHighlighter, QTextCharFormat

from models.labels import LabelSet

TAG_PAD = 6


class QtSpan(NamedTuple):
    start: int          # Qt positions, end exclusive
    end: int
    last: int           # Qt position of the span's last character (an emoji is 2 units)
    label: str
    manual: bool


class SpanHighlighter(QSyntaxHighlighter):
    def __init__(self, document, tag_font: QFont):
        super().__init__(document)
        # Lazy colouring of long articles: while ``_eager_until`` is set, blocks beyond that
        # position are left for an idle pass (or coloured when they scroll into view).
        self._eager_until: int | None = None
        self.deferring = False        # true only while the view sets a long text
        self._done: set[int] = set()
        self._next_block = 0
        self._idle = QTimer(self, interval=0)
        self._idle.timeout.connect(self._idle_pass)
        self.tag_font = tag_font
        self.spans: list[QtSpan] = []
        self._starts: list[int] = []
        self._formats: dict[tuple[str, bool], tuple[QTextCharFormat, QTextCharFormat]] = {}
        self.tag_widths: dict[str, int] = {}
        self.colors: dict[str, QColor] = {}

    # -- data --------------------------------------------------------------------------------
    def set_labels(self, labels: LabelSet) -> None:
        fm = QFontMetrics(self.tag_font)
        self._formats.clear()
        self.colors = {lab.name: QColor(lab.color) for lab in labels}
        self.tag_widths = {lab.name: fm.horizontalAdvance(lab.name) + 2 * TAG_PAD for lab in labels}

    def set_spans(self, spans: list[QtSpan], eager_until: int | None = None) -> None:
        """Replace all spans before the text is set. Blocks past ``eager_until`` (a Qt
        position) are coloured later, in idle time or when they come into view."""
        self.spans = sorted(spans)
        self._starts = [s.start for s in self.spans]
        self._done.clear()
        self._eager_until = eager_until
        self._next_block = 0
        if eager_until is not None:
            self._idle.start()

    def ensure(self, first, last) -> None:
        """Colour now every block from ``first`` to ``last`` not yet coloured."""
        block = first
        while block.isValid():
            if block.blockNumber() not in self._done:
                self.rehighlightBlock(block)
            if block == last:
                break
            block = block.next()

    def _idle_pass(self) -> None:
        deadline = time.perf_counter() + 0.008        # stay well inside one frame
        block = self.document().findBlockByNumber(self._next_block)
        while block.isValid() and time.perf_counter() < deadline:
            if block.blockNumber() not in self._done:
                self.rehighlightBlock(block)
            block = block.next()
        if block.isValid():
            self._next_block = block.blockNumber()
        else:
            self._idle.stop()
            self._eager_until = None

    @property
    def pending(self) -> bool:
        return self._idle.isActive()

    def replace(self, remove: list[QtSpan], add: list[QtSpan]) -> None:
        """Apply an edit and re-colour only the blocks it touched."""
        for s in remove:
            i = bisect_left(self._starts, s.start)
            if i < len(self.spans) and self.spans[i] == s:
                del self.spans[i], self._starts[i]
        for s in add:
            i = bisect_left(self._starts, s.start)
            self.spans.insert(i, s)
            self._starts.insert(i, s.start)
        doc = self.document()
        blocks = {}
        for s in list(remove) + list(add):
            block = doc.findBlock(s.start)
            while block.isValid() and block.position() <= max(s.end - 1, s.start):
                blocks[block.blockNumber()] = block
                block = block.next()
        for block in blocks.values():
            self.rehighlightBlock(block)

    def spans_between(self, start: int, end: int) -> list[QtSpan]:
        """Spans overlapping Qt range [start, end)."""
        i = max(bisect_right(self._starts, start) - 1, 0)
        j = bisect_left(self._starts, end, lo=i)
        return [s for s in self.spans[i:j] if s.end > start]

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
        if self.deferring and bstart > self._eager_until:
            return                                    # coloured later (idle pass / scrolled to)
        self._done.add(block.blockNumber())
        bend = bstart + block.length() - 1      # Qt units: an emoji counts 2 (len(text) would not)
        for s in self.spans_between(bstart, bend):
            body, last = self.formats(s.label, s.manual)
            a, b = max(s.start, bstart), min(s.end, bend)
            self.setFormat(a - bstart, b - a, body)
            if bstart <= s.last < bend:
                self.setFormat(s.last - bstart, s.end - s.last, last)
