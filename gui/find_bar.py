"""Find in the article (Ctrl+F): an incremental find bar under the text.

The search runs on the document's Python text (code points), never on the QTextDocument: a
match is a code-point range, selected through the view's ``OffsetMap`` (``gui.offsets``,
the one place that knows UTF-16) exactly like a selection made with the keyboard, so Esc and
a label key label it. Typing searches from where the search began; F3 goes to the next match,
Shift+Enter / Shift+F3 to the previous one, wrapping around (the status bar says so). Enter
takes the match: selected as a label key would label it (whole tokens unless in exact mode),
the focus back in the article, where a label key labels it and F3 goes on. "3 of 17" counts the matches. While the focus is in the field, every key types into it: a
label key never labels anything from there.

Case-insensitive unless "Aa" is on. A no-break space matches a space and curly quotes match
straight ones ("Korea's" finds "Korea’s"); each of these is one code point for one, so
offsets never move. Measured on a 1 MB article: the folded text is made once per document
(~10 ms), then a keystroke costs a ``str.find`` and a ``str.count`` (1–3 ms together);
``QTextDocument.find`` takes ~7 ms for one match and 13–120 ms to count them (and counts
UTF-16 positions).
"""
from __future__ import annotations

import re
from typing import Callable

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

# One code point for one: the match's offsets are the text's offsets. (str.replace per pair:
# str.translate takes ~160 ms on 1 MB, the replaces ~5 ms.)
_SAME = (("\u00a0", " "), ("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"'))


def _same(text: str) -> str:
    for a, b in _SAME:
        if a in text:
            text = text.replace(a, b)
    return text


class Finder:
    """Matches of a query in a text, as code-point ranges (non-overlapping, from the start)."""

    def __init__(self) -> None:
        self._text: str | None = None       # the text folded (kept: its id is never reused)
        self._case = False
        self._hay: str | None = None

    def _haystack(self, text: str, case: bool) -> str | None:
        """The text folded for searching, cached per text; None if folding would move
        offsets (``"İ".lower()`` is two code points): then a regular expression searches."""
        if self._text is not text or self._case != case:
            hay = _same(text)
            if not case:
                low = hay.lower()
                hay = low if len(low) == len(hay) else None
            self._text, self._case, self._hay = text, case, hay
        return self._hay

    def _fold(self, query: str, case: bool) -> str:
        query = _same(query)
        return query if case else query.lower()

    def _regex(self, query: str) -> re.Pattern:
        return re.compile(re.escape(_same(query)), re.IGNORECASE)

    def find(self, text: str, query: str, pos: int, backward: bool = False,
             case: bool = False) -> tuple[int, int, bool] | None:
        """The next match at or after ``pos`` (backward: the last one ending at or before it),
        wrapping around: (start, end, wrapped), or None when there is none."""
        if not query:
            return None
        hay = self._haystack(text, case)
        if hay is None:
            matches = [m.span() for m in self._regex(query).finditer(_same(text))]
            if not matches:
                return None
            if backward:
                before = [m for m in matches if m[1] <= pos]
                return (*before[-1], False) if before else (*matches[-1], True)
            after = [m for m in matches if m[0] >= pos]
            return (*after[0], False) if after else (*matches[0], True)
        q = self._fold(query, case)
        i = hay.rfind(q, 0, pos) if backward else hay.find(q, pos)
        wrapped = i < 0
        if wrapped:
            i = hay.rfind(q) if backward else hay.find(q)
            if i < 0:
                return None
        return i, i + len(q), wrapped

    def count(self, text: str, query: str, start: int | None = None,
              case: bool = False) -> tuple[int, int]:
        """(matches in the text, 1-based number of the match at ``start``)."""
        if not query:
            return 0, 0
        hay = self._haystack(text, case)
        if hay is None:
            spans = [m.start() for m in self._regex(query).finditer(_same(text))]
            return len(spans), (sum(1 for s in spans if s < start) + 1 if start is not None else 0)
        q = self._fold(query, case)
        return hay.count(q), (hay.count(q, 0, start) + 1 if start is not None else 0)


class FindBar(QWidget):
    """The find bar. ``view`` is the ArticleView; ``before_select`` clears the selected span
    before a match is selected; ``say`` shows a status message."""

    def __init__(self, view, before_select: Callable[[], None], say: Callable[[str], None],
                 parent=None):
        super().__init__(parent)
        self.setObjectName("find_bar")
        self.view, self.before_select, self.say = view, before_select, say
        self.finder = Finder()
        self.match: tuple[int, int] | None = None       # the selected match (code points)
        self.anchor = 0                                 # typing searches from here
        self.field = QLineEdit()
        self.field.setObjectName("find_field")
        self.field.setPlaceholderText("Find in the article")
        self.field.setClearButtonEnabled(True)
        self.field.installEventFilter(self)
        # (start, end) -> the range a label key would label (the window sets it: snapped to
        # tokens unless in exact mode); Enter selects that and goes back to the article.
        self.snap: Callable[[int, int], tuple[int, int]] = lambda start, end: (start, end)
        self.field.textChanged.connect(self._typed)
        self.count = QLabel()
        self.count.setTextFormat(Qt.TextFormat.PlainText)
        self.count.setMinimumWidth(self.count.fontMetrics().horizontalAdvance("00000 of 00000"))
        self.case = self._button("Aa", "Match case", lambda: self._typed(self.field.text()))
        self.case.setCheckable(True)
        prev = self._button("↑", "Previous match (Shift+Enter, Shift+F3)", lambda: self.step(-1))
        nxt = self._button("↓", "Next match (F3)", lambda: self.step(1))
        close = self._button("✕", "Close (Esc): back to the article, the match selected", self.close_bar)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 3, 8, 3)
        layout.addWidget(QLabel("Find:"))
        layout.addWidget(self.field, 1)
        for w in (self.count, self.case, prev, nxt, close):
            layout.addWidget(w)
        self.hide()

    def _button(self, text: str, tip: str, slot) -> QToolButton:
        b = QToolButton()
        b.setText(text)
        b.setToolTip(tip)
        b.setAutoRaise(True)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)        # the focus stays in the field
        b.clicked.connect(slot)
        return b

    @property
    def text(self) -> str:
        return self.view.map.text

    # -- opening and closing -------------------------------------------------------------------
    def open_bar(self) -> None:
        """Ctrl+F: show the bar, the field focused and its text selected (type to replace it)."""
        rng = self.view.selected_range()
        self.anchor = rng[0] if rng else self.view.cursor_cp()
        self.show()
        self.field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.field.selectAll()
        self._show_count()

    def close_bar(self) -> None:
        """Esc: back to the article, the match still selected (a label key labels it). After a
        search that found nothing, nothing stays selected: a label key then acts on nothing,
        not on a span chosen before the search and out of sight."""
        self.hide()
        if self.field.text() and self.match is None:
            self.view.escape.emit()             # as Esc in the article: the selection cleared
            self.say(f"Find: no match for {self.field.text()!r}; nothing is selected")
        self.view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def take(self) -> None:
        """Enter: the match selected as a label key would label it (whole tokens unless in
        exact mode), the focus back in the article, the bar left open (F3 goes on). With no
        match yet (nothing typed, or after No matches), Enter searches again."""
        if self.match is None:
            self.step(1)
            if self.match is None:
                return
        start, end = self.snap(*self.match)
        self.before_select()
        self.view.select_range(start, end)
        self.view.setFocus(Qt.FocusReason.ShortcutFocusReason)
        words = self.text[start:end]
        self.say(f"Find: “{words if len(words) <= 40 else words[:39] + '…'}” selected — a label "
                 "key labels it, F3 finds the next")

    def refresh(self) -> None:
        """Another document is open: count again, select nothing."""
        self.match, self.anchor = None, 0
        if self.isVisible():
            self._show_count()

    # -- searching -------------------------------------------------------------------------------
    def _typed(self, query: str) -> None:
        self._go(self.anchor, backward=False)

    def step(self, direction: int) -> None:
        """The next (1) or previous (-1) match: Enter / Shift+Enter, F3 / Shift+F3."""
        if not self.field.text():
            self.open_bar()
            return
        if not self.isVisible():
            self.show()
        if self.match is None:
            rng = self.view.selected_range()
            pos = self.view.cursor_cp() if rng is None else (rng[1] if direction > 0 else rng[0])
        else:
            pos = self.match[1] if direction > 0 else self.match[0]
        self._go(pos, backward=direction < 0)

    def _go(self, pos: int, backward: bool) -> None:
        query = self.field.text()
        found = self.finder.find(self.text, query, pos, backward, self.case.isChecked())
        if found is None:
            self.match = None
            if query:
                self.view.select_range(self.anchor, self.anchor)    # nothing stale stays selected
            self._show_count()
            return
        start, end, wrapped = found
        self.match = (start, end)
        self.anchor = start
        self.before_select()
        self.view.show_range(start, end)
        self._show_count()
        if wrapped:
            self.say("Find: passed the top, continued from the end" if backward else
                     "Find: passed the end, continued from the top")

    def _show_count(self) -> None:
        query = self.field.text()
        total, number = self.finder.count(self.text, query, self.match[0] if self.match else None,
                                          self.case.isChecked())
        if not query:
            self.count.setText("")
        elif not total:
            self.count.setText("No matches")
        else:
            self.count.setText(f"{number:,} of {total:,}" if self.match else f"{total:,} matches")
        self.field.setStyleSheet("background: #ffd6d6;" if query and not total else "")

    # -- keys in the field -----------------------------------------------------------------------
    def eventFilter(self, obj, e) -> bool:
        if obj is self.field and e.type() == QEvent.Type.KeyPress:
            if e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
                    e.modifiers() & Qt.KeyboardModifier.ControlModifier):
                if e.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                    self.step(-1)
                else:
                    self.take()
                return True
            if e.key() == Qt.Key.Key_Escape:
                self.close_bar()
                return True
        return super().eventFilter(obj, e)


__all__ = ["FindBar", "Finder"]
