"""Convert between Python code-point offsets and Qt QTextDocument positions.

spaCy and the SQLite store count code points (Python ``str`` indices). A QTextDocument
counts UTF-16 units and rewrites line breaks. This module is the single place that maps
one onto the other, for a read-only QPlainTextEdit filled with ``OffsetMap.display_text``.

Facts measured with PySide6 6.11.3 (every BMP code point before/inside/after text, every
astral code point inside text; ``characterCount() - 1`` after ``setPlainText``):

* Astral code points (ord > 0xFFFF: emoji, skin-tone modifiers, regional-indicator flags,
  rare CJK such as 𠮷) are 2 positions (a surrogate pair); everything else is 1.
  ``setPosition`` inside a pair is accepted, so ``to_cp`` must round.
* ``"\\r\\n"`` becomes ONE block break (2 code points -> 1 position). A lone ``"\\r"``,
  ``"\\n"``, U+2029 and the noncharacters U+FDD0/U+FDD1 (Qt's frame markers) each become one
  block break (1 -> 1). ``selectedText()`` returns every block break as U+2029.
* U+2028 stays one position (a line break inside the paragraph). ``\\t``, ``\\x00``,
  ``\\x0b``, ``\\x0c``, NBSP, ZWJ, ZWSP, U+0085, and a U+FEFF *not* at index 0 stay one
  position and come back unchanged from ``selectedText()`` (``toPlainText`` turns NBSP into
  a space and U+2028 into ``\\n``; we never use it).
* PySide6's str -> QString conversion (any Qt call, not only setPlainText) treats a
  LEADING U+FEFF as a byte-order mark and drops it (one position lost), and a leading U+FFFE
  as a byte-swapped BOM: it is dropped and every following character is byte-swapped
  ("b" -> "戀"). ``display_text`` therefore never starts with either (see
  ``LEADING_SUBSTITUTES``).
* A lone surrogate in the str keeps its one position but does not survive the way back to
  Python; text decoded from UTF-8 never contains one, so it is not handled here.
"""
from __future__ import annotations

from bisect import bisect_right
from functools import cached_property
from itertools import chain

import numpy as np

__all__ = ["LEADING_SUBSTITUTES", "OffsetMap", "OffsetMismatch", "display_form"]

# First character of display_text -> one-position stand-in that Qt keeps (see module doc).
# U+2060 WORD JOINER is the modern spelling of U+FEFF's "zero-width no-break space".
LEADING_SUBSTITUTES = {"\ufeff": "\u2060", "\ufffe": "\ufffd"}

_CHUNK = 1 << 18     # code points scanned at a time (1 MB of UTF-32: bigger chunks page-fault)


def display_form(text: str) -> str:
    """``text`` with each CRLF and lone CR as one LF (what Qt would make of it anyway), the
    leading BOM substitution aside. A slice of the text cut just after a "\\n" converts to the
    matching slice of the whole's display form (no CRLF straddles such a cut)."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _drift_events(text: str):
    """Code-point indices of the astral characters and of the "\\r" of each CRLF (numpy
    int64 arrays): vectorised over the UTF-32 code units, a chunk at a time (a regex over a
    50 MB text took 2.5 s; this ~0.1 s)."""
    n, empty = len(text), np.empty(0, np.int64)
    crlf_possible = "\r\n" in text
    if text.isascii() and not crlf_possible:          # isascii is O(1) on a str
        return empty, empty
    astral, crlf = [empty], [empty]
    for off in range(0, n, _CHUNK):
        units = np.frombuffer(text[off:off + _CHUNK + 1].encode("utf-32-le"), np.uint32)
        own = units[:_CHUNK]
        astral.append(np.flatnonzero(own > 0xFFFF) + off)
        if crlf_possible:            # a "\r" among this chunk's own, its "\n" maybe the next's
            crlf.append(np.flatnonzero((units[:-1] == 13) & (units[1:] == 10)) + off)
    return np.concatenate(astral), np.concatenate(crlf)


class OffsetMismatch(ValueError):
    """The QTextDocument does not hold the number of positions the map expects."""


class OffsetMap:
    """Code point index <-> Qt position for one text, O(log n) per conversion.

    With A = astral characters before a code point and C = CRLF pairs whose "\\n" is at or
    before it, ``qt = cp + A - C``. The "\\r" of a CRLF has no position of its own: both the
    "\\r" index r and the "\\n" index r+1 map to the break's position q, and q maps back to r
    (a span ending at the end of a line never swallows the "\\r"; the span (r, r+2) is
    exactly the Qt range (q, q+1)).
    """

    def __init__(self, text: str):
        self.text = text
        # Change points where the drift (qt - cp) steps, and the drift from there on:
        #   code-point side: qt = cp + _drifts[bisect_right(_cp_keys, cp)]
        #   Qt side:         cp = pos - _drifts[bisect_right(_q_keys, pos)]   (left-rounded)
        # An astral char at cp a, Qt qa: +1 from cp a+1 and from Qt qa+1 (its low surrogate,
        # which thus rounds left to a). A CRLF at cp r (its break at Qt q): -1 from cp r+1
        # (the "\n" shares q) and from Qt q+1 (so q itself maps to r).
        # One bisect per conversion over one merged list; keys are distinct on each side.
        # Built with numpy over the events only, never a Python step per character.
        astral, crlf = _drift_events(text)
        events = np.concatenate([astral, crlf])
        steps = np.concatenate([np.ones(len(astral), np.int64), -np.ones(len(crlf), np.int64)])
        order = np.argsort(events, kind="stable")
        cp_keys = events[order] + 1
        # drifts[j] = drift after the first j change points (the same on both sides)
        drifts = np.concatenate([np.zeros(1, np.int64), np.cumsum(steps[order])])
        self._np_cp_keys, self._np_drifts = cp_keys, drifts
        self._cp_keys = cp_keys.tolist()
        self._drifts = drifts.tolist()
        self._q_keys = (cp_keys + drifts[:-1]).tolist()
        self._n = len(text)
        self.crlf_count = len(crlf)
        self.astral_count = len(astral)
        self.qt_length = len(text) - self.crlf_count + self.astral_count
        assert self.qt_length == len(text) + self._drifts[-1]

    @cached_property
    def display_text(self) -> str:
        """What the QTextDocument is filled with (``display_form``; a leading BOM replaced)."""
        display = display_form(self.text)
        if display[:1] in LEADING_SUBSTITUTES:
            display = LEADING_SUBSTITUTES[display[0]] + display[1:]
        return display

    # -- a long text laid into the document in slices (gui/article_view/feed.py) ----------
    def next_cut(self, start: int, size: int) -> int:
        """Where a slice of the text beginning at code point ``start`` and about ``size`` long
        may end: after a line break near ``start + size`` if there is one, never inside a CRLF,
        never just before a U+FEFF / U+FFFE (PySide would take it, leading the next slice, for
        a byte-order mark and drop it). ``len(text)`` at the end."""
        text, n = self.text, self._n
        cut = start + max(size, 1)
        if cut >= n:
            return n
        nl = text.find("\n", cut, cut + size)
        cut = nl + 1 if nl >= 0 else cut
        if text[cut - 1] == "\r" and cut < n and text[cut] == "\n":
            cut += 1
        while cut < n and text[cut] in LEADING_SUBSTITUTES:
            cut += 1
        return cut

    def display_slice(self, start: int, end: int) -> str:
        """The display form of text[start:end], ``start`` and ``end`` from ``next_cut`` (or 0):
        concatenated, the slices are ``display_text``."""
        part = display_form(self.text[start:end])
        if start == 0 and part[:1] in LEADING_SUBSTITUTES:
            part = LEADING_SUBSTITUTES[part[0]] + part[1:]
        return part

    def __repr__(self) -> str:
        return (f"OffsetMap(len={len(self.text)}, qt_length={self.qt_length}, "
                f"astral={self.astral_count}, crlf={self.crlf_count})")

    def to_qt(self, cp: int) -> int:
        """Code point index (0..len(text)) -> Qt position (0..qt_length)."""
        if not 0 <= cp <= self._n:
            raise ValueError(f"code point index {cp} outside 0..{self._n}")
        return cp + self._drifts[bisect_right(self._cp_keys, cp)]

    def to_qt_sorted(self, *columns: list[int]) -> list[int]:
        """``to_qt`` of many code points at once (vectorised, no bisect each): each column
        non-decreasing (only its first and last are checked); their Qt positions one column
        after another in one list (a span list's starts, ends and lasts in one conversion)."""
        for cps in columns:
            if cps and not 0 <= cps[0] <= cps[-1] <= self._n:
                raise ValueError(f"code points outside 0..{self._n}")
        cps = columns[0] if len(columns) == 1 else list(chain.from_iterable(columns))
        if not self._cp_keys:
            return list(cps)
        arr = np.fromiter(cps, np.int64, len(cps))
        return (arr + self._np_drifts[np.searchsorted(self._np_cp_keys, arr, "right")]).tolist()

    def to_cp(self, pos: int, *, side: str = "left") -> int:
        """Qt position (0..qt_length) -> code point index.

        Inside a surrogate pair, side="left" rounds down to the character's start and
        side="right" up past it. A CRLF's break position maps to the "\\r" index.
        """
        if side not in ("left", "right"):
            raise ValueError(f"side must be 'left' or 'right', got {side!r}")
        if not 0 <= pos <= self.qt_length:
            raise ValueError(f"Qt position {pos} outside 0..{self.qt_length}")
        j = bisect_right(self._q_keys, pos)
        cp = pos - self._drifts[j]
        # pos is a low surrogate iff the last change point is exactly pos and is an astral
        # char's (+1 step): the left-rounded cp is that char's index; right is one more.
        if side == "right" and j and self._q_keys[j - 1] == pos and \
                self._drifts[j] > self._drifts[j - 1]:
            cp += 1
        return cp

    def span_to_qt(self, start: int, end: int) -> tuple[int, int]:
        """Code-point span [start, end) -> Qt range [qstart, qend)."""
        if start > end:
            raise ValueError(f"span start {start} > end {end}")
        return self.to_qt(start), self.to_qt(end)

    def span_to_cp(self, qstart: int, qend: int) -> tuple[int, int]:
        """Qt range -> the smallest code-point span covering it (start left, end right)."""
        if qstart > qend:
            raise ValueError(f"Qt range start {qstart} > end {qend}")
        return self.to_cp(qstart, side="left"), self.to_cp(qend, side="right")

    def check(self, document) -> None:
        """Raise OffsetMismatch unless ``document`` (a QTextDocument, after
        ``setPlainText(self.display_text)``) has exactly ``qt_length`` positions.

        characterCount() includes the final block's terminating paragraph separator,
        hence the -1.
        """
        actual = document.characterCount() - 1
        if actual != self.qt_length:
            raise OffsetMismatch(
                f"QTextDocument holds {actual} positions but the offset map expects "
                f"{self.qt_length} (text of {len(self.text)} code points). Was the widget "
                "filled with OffsetMap.display_text, and is it unedited? Highlights would "
                "land on the wrong characters.")
