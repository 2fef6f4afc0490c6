"""The one owner of the open document's spans on the Qt side, and the entity table's model.

``SpanModel`` holds the document's text, its ``OffsetMap``, its spans sorted in code points
(``spans``) and, index for index, the same spans in Qt positions (``qt_spans``, with their
starts in ``qt_starts`` for bisecting) that the highlighter and the view's tag painter read,
plus the counts the window shows (``count``, ``unreviewed``: spans not yet made the
annotator's own). Nobody else keeps a copy: the article view, its highlighter and the entity
table all read this object, and none of them mutates ``spans``.

It is a ``QAbstractTableModel`` (columns Text, Label, Source; the Label cell is editable and
asks for a relabel through ``relabel_requested``). Changes, and what is signalled:

* ``open(text, spans, labels)`` — a new document: model reset, then ``opened``.
* ``reset_spans(spans)`` — same text, spans re-read from the store: model reset, then
  ``spans_reset(touched)``: the ``QtSpan`` ranges (old and new) not among both the old and the
  new spans, whose blocks need colouring again (an outside write changes a few of 20,000).
* ``apply(remove, add)`` — one committed edit, never a model reset: an added span that takes
  a removed one's place (relabel, confirm, most resizes, Done's accept-all) changes that row
  (``dataChanged``, one signal over the rows changed: a table repaints only what it shows of
  them); the others leave (``rowsRemoved``) and come in (``rowsInserted``) in runs of
  adjacent rows. Then ``applied(removed, added, touched)`` — the removed and added ``Span``
  lists and the ``QtSpan`` ranges (old and new) whose blocks need colouring again.
* ``set_labels(labels)`` — ``dataChanged`` over the Label column, then ``labels_changed``.

After each of the first three, ``counts_changed(count, unreviewed)``.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from itertools import islice, repeat
from operator import attrgetter, eq, itemgetter, lt, sub
from typing import NamedTuple, Sequence

import regex
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont

from gui.offsets import OffsetMap
from gui.plain import plain_tooltip
from models.display import shown
from models.graphemes import widen
from models.labels import LabelSet
from models.spans import MANUAL, Span, index_of
from models.spans import span_at as _span_at

TEXT, LABEL, SOURCE = range(3)
_RANGE, _SOURCE, _LABEL = attrgetter("start", "end"), attrgetter("source"), attrgetter("label")
_START, _END = attrgetter("start"), attrgetter("end")
_COMPLEX_TAIL = re.compile("[^\x00-\x09\x0b-\u02ff]")   # what last_cluster does not pass at once
_SIMPLE = r"[\p{Grapheme_Cluster_Break=Other}\p{Grapheme_Cluster_Break=LV}\p{Grapheme_Cluster_Break=LVT}]"
_SIMPLE_PAIR = regex.compile(_SIMPLE + _SIMPLE)              # a cluster boundary between the two
HEADERS = ("Text", "Label", "Source")
# Roles as plain ints: Qt calls ``data`` with an int, Python callers with the enum (an IntEnum).
_R = Qt.ItemDataRole
_DISPLAY, _EDIT, _BACKGROUND, _FOREGROUND, _FONT, _TOOLTIP = (int(r) for r in (
    _R.DisplayRole, _R.EditRole, _R.BackgroundRole, _R.ForegroundRole, _R.FontRole, _R.ToolTipRole))
_ROLES = frozenset((_DISPLAY, _EDIT, _BACKGROUND, _FOREGROUND, _FONT, _TOOLTIP))


class QtSpan(NamedTuple):
    start: int          # Qt positions, end exclusive
    end: int
    last: int           # Qt position of the span's last grapheme cluster (where its tag goes)
    label: str
    manual: bool


def last_cluster(text: str, s: Span) -> int:
    """Where the span's last grapheme cluster begins (a code point index): the tag's gap is
    letter spacing on that whole cluster — on its last code point alone, a format boundary
    inside a flag or a ZWJ emoji would split it, and Qt would draw 🇯🇵 as the letters J P."""
    ch = text[s.end - 1]
    if ord(ch) < 0x300 and ch != "\n":        # no combining mark, joiner, modifier, flag half
        return s.end - 1
    return max(s.start, widen(text, s.end - 1, s.end)[0])


def _runs(desc: list[int]):
    """Runs of adjacent rows in a descending list, as (low, high), highest first."""
    k = 0
    while k < len(desc):
        j = k
        while j + 1 < len(desc) and desc[j + 1] == desc[j] - 1:
            j += 1
        yield desc[j], desc[k]
        k = j + 1


class SpanModel(QAbstractTableModel):
    relabel_requested = Signal(object, str)        # Span, new label (from the Label cell)
    opened = Signal()                              # a new text and its spans
    spans_reset = Signal(object)                   # same text, all spans replaced; touched [QtSpan]
    applied = Signal(object, object, object)       # removed [Span], added [Span], touched [QtSpan]
    labels_changed = Signal()
    counts_changed = Signal(int, int)              # count, unreviewed

    def __init__(self, parent=None):
        super().__init__(parent)
        self.text = ""
        self.map = OffsetMap("")
        self.labels = LabelSet()
        self.spans: list[Span] = []
        self.qt_spans: list[QtSpan] = []
        self.qt_starts: list[int] = []
        self.unreviewed = 0
        self._colours: dict[str, QColor | None] = {}     # label -> its cell colour
        self._italic = QFont()
        self._italic.setItalic(True)
        self._dark = QColor("#111111")

    # -- the changes -------------------------------------------------------------------------
    def open(self, text: str, spans: Sequence[Span], labels: LabelSet,
             offsets: OffsetMap | None = None) -> None:
        """A new document: its text, spans and the label set (a model reset). ``offsets``: the
        text's map if it was built already (a huge text's: on the thread that read it)."""
        self.beginResetModel()
        offsets = offsets if offsets is not None and offsets.text is text else OffsetMap(text)
        self.text, self.map, self.labels = text, offsets, labels
        self._colours.clear()
        self._set_spans(spans)
        self.endResetModel()
        self.opened.emit()
        self._counts()

    def reset_spans(self, spans: Sequence[Span]) -> None:
        """Same text, spans re-read from the store (a model reset)."""
        old = self.qt_spans
        self.beginResetModel()
        self._set_spans(spans)
        self.endResetModel()
        self.spans_reset.emit(list(set(old).symmetric_difference(self.qt_spans)))
        self._counts()

    def apply(self, remove: Sequence[Span], add: Sequence[Span]) -> None:
        """One committed edit, row by row, never a reset. ValueError (and nothing changed)
        if a span to remove is not here, or one to add is outside the text.

        A removed span whose place an added one takes (a relabel, a confirm, most resizes)
        is changed in its row (``dataChanged``: the table repaints that row, if shown, not the
        whole table); the others leave (``rowsRemoved``) and come in (``rowsInserted``), in
        runs of adjacent rows."""
        spans = self.spans
        rows = [index_of(spans, s) for s in remove]
        missing = [s for s, i in zip(remove, rows) if i < 0]
        if missing or len(set(rows)) != len(rows):
            raise ValueError(f"{missing[0] if missing else list(remove)} is not among the spans")
        for s in add:
            self.map.to_qt(s.start), self.map.to_qt(s.end)      # ValueError if outside the text
        touched = [self.qt_spans[i] for i in rows]
        left, fresh = self._replace_in_place(dict(zip(remove, rows)), add, touched)
        for lo, hi in _runs(sorted(left, reverse=True)):
            self.beginRemoveRows(QModelIndex(), lo, hi)
            self.unreviewed -= sum(not s.is_manual for s in spans[lo:hi + 1])
            del spans[lo:hi + 1], self.qt_spans[lo:hi + 1], self.qt_starts[lo:hi + 1]
            self.endRemoveRows()
        fresh.sort()
        gaps = [bisect_left(spans, s) for s in fresh]       # against the list before inserting
        k = 0
        while k < len(fresh):
            j = k
            while j + 1 < len(fresh) and gaps[j + 1] == gaps[k]:
                j += 1
            i, run = gaps[k] + k, fresh[k:j + 1]            # earlier runs moved this one by k
            qs = [self.to_qt_span(s) for s in run]
            self.beginInsertRows(QModelIndex(), i, i + len(run) - 1)
            spans[i:i] = run
            self.qt_spans[i:i] = qs
            self.qt_starts[i:i] = [q.start for q in qs]
            self.unreviewed += sum(not s.is_manual for s in run)
            self.endInsertRows()
            touched += qs
            k = j + 1
        self.applied.emit(list(remove), list(add), touched)
        self._counts()

    def _replace_in_place(self, rows: dict[Span, int], add: Sequence[Span], touched: list):
        """Put each added span that takes a removed one's place into that row; return the
        rows still to remove and the spans still to insert."""
        spans, n = self.spans, len(self.spans)
        by_range = {(s.start, s.end): s for s in rows}
        changed, fresh = [], []
        for a in add:
            r = by_range.pop((a.start, a.end), None)
            if r is None and len(rows) <= 8:            # a resize: the one it overlaps
                r = next((s for s in rows if s.overlaps(a.start, a.end)
                          and (s.start, s.end) in by_range), None)
                if r is not None:
                    del by_range[(r.start, r.end)]
            i = rows.pop(r) if r is not None else -1
            if i < 0 or not ((i == 0 or spans[i - 1] < a) and (i + 1 == n or a < spans[i + 1])):
                if i >= 0:
                    rows[r] = i                          # does not fit there: out and in
                fresh.append(a)
                continue
            self.unreviewed += spans[i].is_manual - a.is_manual
            spans[i], q = a, self.to_qt_span(a)
            self.qt_spans[i], self.qt_starts[i] = q, q.start
            changed.append(i)
            touched.append(q)
        if changed:
            self.dataChanged.emit(self.index(min(changed), 0), self.index(max(changed), 2))
        return list(rows.values()), fresh

    def set_labels(self, labels: LabelSet) -> None:
        """The label set changed (colours, names): the Label column and the colours."""
        self.labels = labels
        self._colours.clear()
        if self.spans:
            self.dataChanged.emit(self.index(0, LABEL), self.index(len(self.spans) - 1, LABEL))
        self.labels_changed.emit()

    def reset(self, text: str, spans: Sequence[Span], labels: LabelSet) -> None:
        """The old ``SpanTableModel.reset``: ``open`` for another text, else the spans (and
        labels, if they changed) anew. Prefer the three above."""
        if text != self.text:
            self.open(text, spans, labels)
            return
        if labels is not self.labels:
            self.set_labels(labels)
        self.reset_spans(spans)

    def _set_spans(self, spans: Sequence[Span]) -> None:
        # The store gives them sorted by start (spans of one document never share one): that
        # is checked in C (~0.5 ms for 20,000), and they are sorted by (start, end) if not.
        starts = list(map(_START, spans))
        if all(map(lt, starts, islice(starts, 1, None))):
            self.spans = list(spans)
        else:
            self.spans = sorted(spans, key=_RANGE)
            starts = list(map(_START, self.spans))
        self.qt_spans, self.qt_starts, manual = self._qt_columns(self.spans, starts)
        self.unreviewed = manual.count(False)

    def _counts(self) -> None:
        self.counts_changed.emit(len(self.spans), self.unreviewed)

    # -- reading -----------------------------------------------------------------------------
    @property
    def count(self) -> int:
        return len(self.spans)

    def row_of(self, span: Span | None) -> int:
        return -1 if span is None else index_of(self.spans, span)

    def span_at(self, cp: int) -> Span | None:
        """The span containing code point ``cp``, or None."""
        return _span_at(self.spans, cp)

    def qt_between(self, start: int, end: int) -> list[QtSpan]:
        """Spans (in Qt positions) overlapping the Qt range [start, end)."""
        starts = self.qt_starts
        i = max(bisect_right(starts, start) - 1, 0)   # one back: it may reach in
        j = bisect_left(starts, end, lo=i)
        return [s for s in self.qt_spans[i:j] if s.end > start]

    def to_qt_span(self, s: Span) -> QtSpan:
        to_qt = self.map.to_qt
        return QtSpan(to_qt(s.start), to_qt(s.end), to_qt(last_cluster(self.text, s)), s.label,
                      s.is_manual)

    def to_qt_spans(self, spans: Sequence[Span]) -> list[QtSpan]:
        """Sorted, non-overlapping spans in Qt positions, each column converted at once."""
        return self._qt_columns(spans, list(map(_START, spans)))[0]

    def _qt_columns(self, spans: Sequence[Span], starts_cp: list[int]):
        """``to_qt_spans``, their Qt starts and whether each is manual (``starts_cp``: the
        spans' starts): the three code-point columns through the map in one conversion."""
        n = len(spans)
        ends_cp = list(map(_END, spans))
        lasts_cp = self._last_clusters(spans, ends_cp)
        # non-decreasing each (sorted, non-overlapping spans), and so the three one after another
        qt = self.map.to_qt_sorted(starts_cp, ends_cp, lasts_cp)
        starts = qt[:n]
        manual = list(map(eq, map(_SOURCE, spans), repeat(MANUAL)))
        # tuple.__new__ in C for each: QtSpan(...) is a Python call each (~10 ms per 20,000)
        return (list(map(tuple.__new__, repeat(QtSpan),
                         zip(starts, islice(qt, n, 2 * n), islice(qt, 2 * n, None),
                             map(_LABEL, spans), manual))),
                starts, manual)

    def _last_clusters(self, spans: Sequence[Span], ends: list[int]) -> list[int]:
        """``last_cluster`` of each span, its last code point for most: one regex over the
        last characters finds those that may not begin a cluster (a mark, a joiner, a flag
        half, CJK, Hangul…), and for those one pair of characters tells (UAX #29: two of Other
        / LV / LVT surely have a boundary between them) before ``last_cluster`` is asked."""
        text = self.text
        lasts = list(map(sub, ends, repeat(1)))
        if len(spans) < 2:
            return [last_cluster(text, s) for s in spans]
        tails = "".join(itemgetter(*lasts)(text))
        for mo in _COMPLEX_TAIL.finditer(tails):
            i = mo.start()
            s = spans[i]
            if not (s.end - 2 >= s.start and _SIMPLE_PAIR.match(text, s.end - 2)):
                lasts[i] = last_cluster(text, s)
        return lasts

    # -- the entity table --------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.spans)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else 3

    def headerData(self, section, orientation, role=_DISPLAY):
        if role == _DISPLAY and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return None

    def data(self, index: QModelIndex, role=_DISPLAY):
        # A table paints ~40 rows x 3 cells x 7 roles through here: roles it has nothing for
        # leave first, each attribute is read once (a repaint of the table costs ~2x less).
        if role not in _ROLES:
            return None
        row = index.row()                       # -1 for an invalid index
        if not 0 <= row < len(self.spans):
            return None
        s, col = self.spans[row], index.column()
        if role == _DISPLAY or role == _EDIT:
            if col == TEXT:
                t = self.text[s.start:s.end].replace("\n", " ").replace("\r", " ")
                return t if len(t) <= 60 else t[:59] + "…"
            if col == LABEL:          # the editor gets the name itself, the cell shows it safely
                return shown(s.label) if role == _DISPLAY else s.label
            return "yours" if s.is_manual else "model"
        if role == _BACKGROUND:
            if col != LABEL:
                return None
            if s.label not in self._colours:
                lab = self.labels.get(s.label)
                self._colours[s.label] = QColor(lab.color) if lab else None
            return self._colours[s.label]
        if role == _FOREGROUND:
            return self._dark if col == LABEL else None
        if role == _FONT:
            return self._italic if col == SOURCE and not s.is_manual else None
        # the tooltip; from files: never markup (gui.plain)
        if col == SOURCE:
            return None if s.is_manual else plain_tooltip(f"model: {s.source}")
        t = self.text[s.start:s.end]
        return plain_tooltip((t if len(t) <= 300 else t[:299] + "…") if col == TEXT else s.label)

    def flags(self, index: QModelIndex):
        f = super().flags(index)
        return f | Qt.ItemFlag.ItemIsEditable if index.column() == LABEL else f

    def setData(self, index: QModelIndex, value, role=_EDIT) -> bool:
        if role != _EDIT or index.column() != LABEL or value not in self.labels \
                or not 0 <= index.row() < len(self.spans):
            return False
        self.relabel_requested.emit(self.spans[index.row()], value)
        return True        # the rows change when the edit is committed (``apply``)


__all__ = ["HEADERS", "LABEL", "SOURCE", "TEXT", "QtSpan", "SpanModel", "last_cluster"]
