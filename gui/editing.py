"""What keys and clicks mean: turn a selection plus a label into an edit, move through spans.

Selections snap to token boundaries (spaCy's rule tokenizer, run on a small window around
the selection) unless exact mode is on or Alt was held while selecting.
"""
from __future__ import annotations

import time
from bisect import bisect_left, bisect_right

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QTextCursor

from gui.article_view import ArticleView
from gui.plain import one_line
from gui.session import Session
from gui.typing_guard import TypingGuard
from models.ner import snap, tokens_near
from models.graphemes import is_boundary, strip, widen
from models.spans import MANUAL, Span, TokenBounds, overlapping


class Annotator(QObject):
    message = Signal(str)            # a hint for the status bar
    warning = Signal(str)            # one that must not go unseen (shown longer)
    span_selected = Signal(object)   # Span or None

    def __init__(self, session: Session, view: ArticleView, parent=None):
        super().__init__(parent)
        self.session, self.view = session, view
        self.exact = False
        self._exact_range: tuple[int, int] | None = None
        view.selection_finished.connect(self._selection_finished)
        view.span_clicked.connect(self.select)
        view.step_span.connect(self.step)
        view.resize_span.connect(self.resize)
        view.escape.connect(lambda: self.select(None))
        self._caret = (0, 0)             # the cursor's last Qt position and anchor
        view.cursorPositionChanged.connect(self._keep_caret_on_clusters)
        self.last_change = ""            # what the last label key changed (said again on a burst)
        self._change_at = 0.0            # when (time.monotonic)
        self.guard = TypingGuard(parent, self)      # label keys typed as a word are ignored
        self.guard.ignored.connect(self._typing)

    def _bounds(self, start: int, end: int) -> TokenBounds:
        return TokenBounds(tokens_near(self.session.doc.text, start, end))

    def snapped(self, start: int, end: int) -> tuple[int, int]:
        return snap(self.session.doc.text, start, end)

    def _selection_finished(self, alt: bool) -> None:
        rng = self.view.selected_range()
        if rng is None or self.session.doc is None:
            return
        self.select(None, clear_text=False)
        text = self.session.doc.text
        if alt or self.exact:
            # Qt lets a drag end inside a flag after an emoji (its own grapheme rules differ);
            # spaces and line breaks at the edges are not labelled (see apply_label)
            start, end = strip(text, *widen(text, *rng))
            self._exact_range = (start, end) if start < end else rng
        else:
            start, end = self.snapped(*rng)     # spaCy splits 👍🏽 and flags: whole clusters
            start, end = widen(text, start, end) if start < end else (start, end)
        c = self.view.textCursor()
        shown = (c.selectionStart(), c.selectionEnd())      # Qt units: it may end mid-pair
        if start < end and self.view.map.span_to_qt(start, end) != shown:
            self.view.select_range(start, end)

    def _keep_caret_on_clusters(self) -> None:
        """Qt's own grapheme rules pair the regional indicators after an emoji wrongly, so
        Shift+Right (or a click, a drag) can stop inside a flag ("😀🇰|🇷"): move the caret on
        to the cluster's edge — away from the anchor for a new selection, else the way the
        caret was going. The anchor stays (a label key widens the span anyway)."""
        view, doc = self.view, self.session.doc
        c = view.textCursor()
        pos, anchor = c.position(), c.anchor()
        last, last_anchor = self._caret
        self._caret = (pos, anchor)
        m = view.map
        if doc is None or m.text is not doc.text or not 0 <= pos <= m.qt_length:
            return
        cp = m.to_cp(pos)
        if m.to_qt(cp) == pos and is_boundary(doc.text, cp):
            return
        start, end = widen(doc.text, cp, cp + (m.to_qt(cp) != pos))
        forward = pos > anchor if anchor != last_anchor and c.hasSelection() else pos >= last
        mode = QTextCursor.MoveMode
        c.setPosition(m.to_qt(end if forward else start),
                      mode.KeepAnchor if c.hasSelection() else mode.MoveAnchor)
        self._caret = (c.position(), c.anchor())
        view.setTextCursor(c)

    # -- labelling ---------------------------------------------------------------------------
    def apply_label(self, label: str) -> None:
        """The label key: label the text selection, else relabel the selected span. The status
        bar says what changed (a key pressed by mistake is never unseen)."""
        if self.session.doc is None:
            return
        rng = self.view.selected_range()
        text = self.session.doc.text
        if rng is not None:
            start, end = rng
            if not (self.exact or rng == self._exact_range):
                start, end = self.snapped(start, end)
            # never half an emoji; never a space or line break at an edge (a line break
            # cannot be coloured, and spaCy refuses such a span)
            start, end = strip(text, *widen(text, start, end))
            if start >= end:
                self.message.emit("The selection holds no token to label (only whitespace).")
                return
            replaced = overlapping(self.session.spans, start, end)
            if self.session.add_span(start, end, label):      # the new span is selected
                self._exact_range = None
                same = len(replaced) == 1 and (replaced[0].start, replaced[0].end) == (start, end)
                gone = ", ".join(f"{one_line(r.label, 40)} {_quoted(text[r.start:r.end])}" for r in replaced[:3])
                more = f" and {len(replaced) - 3} more" if len(replaced) > 3 else ""
                what = (f"Confirmed {label}" if replaced[0].label == label else
                        f"{replaced[0].label} → {label}") if same else label
                self._changed(what, text[start:end],
                              f" (replaced {gone}{more})" if replaced and not same else "")
            return
        if self.view.selected is not None:
            self.relabel(self.view.selected, label)
            return
        self.message.emit("Select some text (mouse or Shift+arrows) or a span (Tab) first.")

    def relabel(self, span: Span, label: str) -> bool:
        """A new label for a span (a label key, or the entity table's Label column)."""
        words = self.session.doc.text[span.start:span.end]
        if span.label == label and span.is_manual:
            self.message.emit(f"{_quoted(words)} is already {one_line(label, 40)}: nothing changed.")
            return False
        if not self.session.relabel(span, label):         # the relabelled span is selected
            return False
        self._changed(f"Confirmed {label}" if span.label == label else f"{span.label} → {label}", words)
        return True

    def _changed(self, what: str, words: str, more: str = "") -> None:
        self.last_change = f"{one_line(what, 90)} on {_quoted(words)}{more}"
        self._change_at = time.monotonic()
        self.message.emit(self.last_change + self._reopened())

    def _reopened(self) -> str:
        """The note for an edit that put a document marked done back in progress."""
        return (" — this document was marked done: it is in progress again (Ctrl+Z undoes both)"
                if self.session.reopened else "")

    def _typing(self, key: str) -> None:
        n = self.guard.ignored_count
        key = key.lower() if len(key) == 1 else key          # as the toolbar shows it
        keys = f"{n} label keys" if n > 1 else f"label key “{one_line(key, 10)}”"
        if self.last_change and self._change_at >= self.guard.chain_start:
            said = f"only the first acted: {self.last_change} (Ctrl+Z undoes it)"
        else:
            said = "nothing changed"
        # short: the status bar's right side (counts, model, saved) leaves ~100 characters
        self.warning.emit(f"Typing? {keys} ignored, {said}.")

    def delete(self) -> None:
        span = self.view.selected
        if span is None:
            self.message.emit("Select a span (click it or press Tab) to delete it.")
            return
        following = self._neighbour(span, +1)
        if self.session.delete(span, focus=following):
            self.message.emit(f"Deleted {one_line(span.label, 40)} on "
                              f"{_quoted(self.session.doc.text[span.start:span.end])}{self._reopened()}")

    def confirm(self) -> None:
        """Confirm the selected suggestion and go on to the next one not reviewed (Enter, Enter…
        reviews a document; Delete rejects and goes on too)."""
        span = self.view.selected
        if span is None or span.is_manual:
            return
        spans = [s for s in self.session.spans if s != span]
        following = next((s for s in spans if s.start >= span.end and not s.is_manual),
                         next((s for s in spans if not s.is_manual), None))   # from the top
        if self.session.confirm(span, focus=following or span.with_(source=MANUAL)):
            if self.session.reopened:
                self.message.emit(f"Confirmed {one_line(span.label, 40)}{self._reopened()}")
            if following is None:
                self.message.emit("Every suggestion is reviewed: Ctrl+Enter marks the document done.")

    def resize(self, side: str, step: int) -> None:
        span = self.view.selected
        if span is None:
            return
        b, text = self._bounds(span.start, span.end), self.session.doc.text
        start, end = span.start, span.end
        for _ in range(8):      # a token inside a grapheme (half a flag) is stepped over
            if side == "end":
                new = b.next_end(end) if step > 0 else b.prev_end(end, start)
                end = new if new is not None else end
            else:
                new = b.prev_start(start) if step > 0 else b.next_start(start, end)
                start = new if new is not None else start
            if new is None or widen(text, start, end) != (span.start, span.end):
                break
        start, end = widen(text, start, end)
        if (start, end) == (span.start, span.end) or start >= end:
            self.message.emit("The span cannot move further that way.")
            return
        blocking = [s for s in overlapping(self.session.spans, start, end) if s != span]
        if blocking:
            other = blocking[0]
            self.message.emit(f"“{self.session.doc.text[other.start:other.end]}” ({other.label}) is "
                              "in the way: delete or shrink it first.")
            return
        if self.session.resize(span, start, end):         # the new bounds are selected
            if self.session.reopened:
                self.message.emit(f"Resized {one_line(span.label, 40)}{self._reopened()}")

    # -- moving between spans --------------------------------------------------------------
    def select(self, span: Span | None, clear_text: bool = True) -> None:
        if span is None and not clear_text:
            self.view.selected = None
            self.view.viewport().update()
        else:
            self.view.select_span(span)
        self.span_selected.emit(span)

    def step(self, direction: int) -> None:
        spans = self.session.spans
        if not spans:
            self.message.emit("This document has no spans yet.")
            return
        current = self.view.selected
        if current is not None:
            nxt = self._neighbour(current, direction)
        else:
            pos = self.view.cursor_cp()
            # From the caret: the first span starting at or after it, or the last before it.
            i = bisect_left([s.start for s in spans], pos)
            nxt = spans[i] if direction > 0 and i < len(spans) else (spans[i - 1] if direction < 0 and i > 0 else None)
        if nxt is None:   # wrap around
            nxt = spans[0] if direction > 0 else spans[-1]
        self.select(nxt)

    def _neighbour(self, span: Span, direction: int) -> Span | None:
        spans = self.session.spans
        i = bisect_right([s.start for s in spans], span.start) - 1 + direction
        return spans[i] if 0 <= i < len(spans) else None


def _quoted(words: str) -> str:
    return f"“{one_line(' '.join(words.split()), 40)}”"
