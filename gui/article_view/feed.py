"""Lay a long article into the view's document a slice at a time, the window live meanwhile.

``QPlainTextEdit.setPlainText`` of 50 MB holds the UI thread for seconds (building the
document; our highlighter then colours every block). Instead the view sets the first screens
at once and this feeder appends the rest from a zero-interval timer, a slice of ~6 ms of work
at a time, so input and paints run between slices. Each slice ends after a line break (the
offset map says where: never inside a CRLF, never before a byte-order mark) and is coloured
by the highlighter as it is inserted (inside the document's own change, where colouring does
not lay blocks out one by one). While a slice goes in, the document layout's signals are
held: it would repaint the whole viewport and re-measure the scroll bars for every slice
(half the time, measured); the view repaints only if the end of the text is on screen, and
the scroll bars are brought up to date four times a second and at the end.

Positions already laid in never move: appending does not shift them, so the offset map holds
for the part shown. Whoever needs a place beyond it (a span chosen in the entity table, a
find, Ctrl+End) asks ``ensure(cp)`` first, which lays the text in up to there at once.
Once the text is all in, the idle time colours again the blocks a change queued
(``SpanHighlighter.colour_queued``).
"""
from __future__ import annotations

import time
from contextlib import contextmanager

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QTextCursor

from gui.offsets import OffsetMap, OffsetMismatch

FEED_AFTER = 200_000      # code points: a longer text is laid in in slices (~10 ms at once)
FIRST = 40_000            # code points set at once: several screens
MARGIN = 40_000           # code points laid in past a place asked for (a screen or more)
BUDGET = 0.006            # seconds of work per slice
SLICE_MIN, SLICE_MAX = 8_000, 1_000_000
TELL_EVERY = 0.25         # seconds between updates of the scroll bars and the note


class Feeder(QObject):
    fed = Signal(int)          # code points laid in so far
    done = Signal()            # the whole text is in the document

    def __init__(self, view):
        super().__init__(view)
        self.view = view
        self.map = OffsetMap("")
        self.cp = 0                       # code points laid in
        self._size = 64_000
        self._told = 0.0
        self._timer = QTimer(self, interval=0)
        self._timer.timeout.connect(self._step)

    # -- state ---------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        """Some of the text is still to be laid in."""
        return self.cp < len(self.map.text)

    def note(self) -> str:
        return f"Laying out the article… {100 * self.cp // max(len(self.map.text), 1)} %"

    # -- the work --------------------------------------------------------------------------------
    def start(self, m: OffsetMap) -> bool:
        """Show ``m``'s text: at once if short, else its first screens now and the rest in
        slices (returns True then)."""
        self._timer.stop()
        self.map, view = m, self.view
        if len(m.text) <= FEED_AFTER:
            view.setPlainText(m.display_text)
            self.cp = len(m.text)
            m.check(view.document())
            return False
        self.cp = m.next_cut(0, FIRST)
        view.setPlainText(m.display_slice(0, self.cp))
        self._check()
        self._size, self._told = 64_000, time.perf_counter()
        view.highlighter.pending = True
        self._timer.start()
        return True

    def stop(self) -> None:
        self._timer.stop()

    def ensure(self, cp: int) -> None:
        """Lay the text in now up to code point ``cp`` and a screen or more past it."""
        if not self.active or cp + MARGIN <= self.cp:
            return
        n = len(self.map.text)
        while self.cp < min(cp + MARGIN, n):
            self._feed(SLICE_MAX)
        self._tell()
        if not self.active:
            self._finish()

    def finish(self) -> None:
        """All of it, now (Ctrl+End)."""
        self.ensure(len(self.map.text))

    def _step(self) -> None:
        hl = self.view.highlighter
        if not self.active:                       # all in: what a change queued, then idle
            if not hl.colour_queued(time.perf_counter() + BUDGET, self.quiet):
                self._timer.stop()
                hl.pending = False
            return
        t = time.perf_counter()
        fed = self._feed(self._size)
        took = time.perf_counter() - t
        self._size = int(min(max(fed * BUDGET / max(took, 1e-4), SLICE_MIN), SLICE_MAX))
        if not self.active:
            self._tell()
            self._finish()
        elif time.perf_counter() - self._told > TELL_EVERY:
            self._tell()

    def _feed(self, size: int) -> int:
        """Append the next slice of about ``size`` code points; return how many went in."""
        m, view = self.map, self.view
        a = self.cp
        b = m.next_cut(a, size)
        doc = view.document()
        end = doc.characterCount() - 1
        user = view.textCursor()
        keep = (user.anchor(), user.position()) if end in (user.anchor(), user.position()) else None
        on_screen = view.visible_range()[1] >= end
        c = QTextCursor(doc)
        c.movePosition(QTextCursor.MoveOperation.End)
        with self.quiet():
            c.insertText(m.display_slice(a, b))
        self.cp = b
        self._check()
        if keep:                  # a cursor at the end moved along with the insertion: back
            self._put_back(*keep)
        if on_screen:
            view.viewport().update()
        self.fed.emit(b)
        return b - a

    def _finish(self) -> None:
        self.map.check(self.view.document())
        self.view.highlighter.pending = bool(self.view.highlighter.queue)
        if not self.view.highlighter.pending:
            self._timer.stop()
        self.view.viewport().update()
        self.done.emit()

    def kick(self) -> None:
        """Blocks were queued for colouring again: colour them in idle time."""
        if self.view.highlighter.queue:
            self.view.highlighter.pending = True
            self._timer.start()

    # -- helpers -------------------------------------------------------------------------------
    @contextmanager
    def quiet(self):
        """Hold the document layout's signals: no repaint of the whole viewport nor a new
        measure of the scroll bars for a change off screen (``_tell`` does those)."""
        layout = self.view.document().documentLayout()
        was = layout.blockSignals(True)
        try:
            yield
        finally:
            layout.blockSignals(was)

    def _tell(self) -> None:
        """Bring the scroll bars (and the note) up to date with what is laid in."""
        self._told = time.perf_counter()
        layout = self.view.document().documentLayout()
        layout.documentSizeChanged.emit(layout.documentSize())
        self.view.viewport().update(self.view.note_rect().toAlignedRect())

    def _put_back(self, anchor: int, pos: int) -> None:
        view = self.view
        bars = (view.horizontalScrollBar().value(), view.verticalScrollBar().value())
        c = view.textCursor()
        c.setPosition(anchor)
        c.setPosition(pos, QTextCursor.MoveMode.KeepAnchor)
        view.setTextCursor(c)
        view.horizontalScrollBar().setValue(bars[0])
        view.verticalScrollBar().setValue(bars[1])

    def _check(self) -> None:
        """The document holds exactly the positions of the text laid in so far."""
        want, got = self.map.to_qt(self.cp), self.view.document().characterCount() - 1
        if got != want:
            self._timer.stop()
            raise OffsetMismatch(f"the document holds {got} positions after laying in {self.cp} "
                                 f"code points, the offset map expects {want}")
