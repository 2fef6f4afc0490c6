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

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QFont, QFontMetrics, QSyntaxHighlighter, QTextCharFormat

from gui.span_model import QtSpan, SpanModel
from models.labels import LabelSet

TAG_PAD = 6


class SpanHighlighter(QSyntaxHighlighter):
    def __init__(self, document, tag_font: QFont, model: SpanModel):
        super().__init__(document)
        self.model = model
        # Lazy colouring of long articles: while ``_eager_until`` is set, blocks beyond that
        # position are left for an idle pass (or coloured when they scroll into view).
        self._eager_until: int | None = None
        self.deferring = False        # true only while the view sets a long text
        self._done: set[int] = set()
        self._next_block = 0
        self._idle = QTimer(self, interval=0)
        self._idle.timeout.connect(self._idle_pass)
        self.tag_font = tag_font
        self._formats: dict[tuple[str, bool], tuple[QTextCharFormat, QTextCharFormat]] = {}
        self.tag_widths: dict[str, int] = {}
        self.colors: dict[str, QColor] = {}

    # -- data --------------------------------------------------------------------------------
    def set_labels(self, labels: LabelSet) -> None:
        fm = QFontMetrics(self.tag_font)
        self._formats.clear()
        self.colors = {lab.name: QColor(lab.color) for lab in labels}
        self.tag_widths = {lab.name: fm.horizontalAdvance(lab.name) + 2 * TAG_PAD for lab in labels}

    def restart(self, eager_until: int | None = None) -> None:
        """All spans are new (before the text is set, or before a ``rehighlight``). Blocks
        past ``eager_until`` (a Qt position) are coloured later, in idle time or when they
        come into view; None: all at once."""
        self._done.clear()
        self._eager_until = eager_until
        self._next_block = 0
        if eager_until is not None:
            self._idle.start()
        else:
            self._idle.stop()

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

    def recolour(self, touched: list[QtSpan]) -> None:
        """An edit was applied to the model: re-colour only the blocks these ranges touch."""
        doc = self.document()
        blocks = {}
        for s in touched:
            block = doc.findBlock(s.start)
            while block.isValid() and block.position() <= max(s.end - 1, s.start):
                blocks[block.blockNumber()] = block
                block = block.next()
        for block in blocks.values():
            self.rehighlightBlock(block)

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
