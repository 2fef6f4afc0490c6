"""The document queue: a lazy list of documents with status filter, search, sort and progress
(its panel, with the filter and search boxes, is ``gui.document_panel``).

``DocumentListModel`` holds only the ids it shows, in display order (an ``array('q')``: 8
bytes a document, ~0.8 MB for 100,000) and a small LRU cache of pages of rows fetched when
the view draws them; nothing else grows with the corpus. The queries are in
``models.queue``, run by the store (``Store.list_ids``, ``list_rows``; no SQL here). A search
scans the texts, so it runs off the UI thread on a connection of its own
(``models.queue.SearchReader``); so does any filter or sort of a corpus of over ``BIG``
documents (a million ids: ~0.4 s); a newer query interrupts an older one.

Rows change in place (``refresh``): a document whose status or entity count changes keeps its
place until the next ``reload`` or change of filter or sort, so the row under the cursor
never jumps away while someone works through the list.
"""
from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from gui.plain import plain_tooltip
from gui.workers import Runner
from models.display import shown
from models.document import DONE, IN_PROGRESS, SKIPPED
from models.queue import Interrupted, QueueQuery, SearchReader, local_time

STATUS_COLORS = {DONE: "#2e7d32", IN_PROGRESS: "#b26a00", SKIPPED: "#757575"}
UNTITLED_COLOR = "#757575"
_Display = Qt.ItemDataRole.DisplayRole
# The roles as plain ints and the answers made once: data() runs ~1,000 times a repaint, and
# building a Qt enum or a QColor per call was a third of a scroll step's time.
_DISPLAY, _ALIGN, _USER = int(_Display), int(Qt.ItemDataRole.TextAlignmentRole), int(Qt.ItemDataRole.UserRole)
_FOREGROUND, _TOOLTIP = int(Qt.ItemDataRole.ForegroundRole), int(Qt.ItemDataRole.ToolTipRole)
_ROLES = frozenset((_DISPLAY, _FOREGROUND, _TOOLTIP, _ALIGN, _USER))       # the roles answered
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class FirstRead:
    """The whole list's ids read on a thread of their own while the window is built (a big
    project: ~150 ms at a million documents, nearly all SQLite's, the GIL free meanwhile);
    ``take`` gives them to the list's first read, or None (not big, another query, failed)."""
    AT = 100_000            # documents (by the last id): fewer are read when wanted

    def __init__(self, store):
        self.query, self.ids, self._thread = QueueQuery(), None, None
        if store.last_id() >= self.AT:
            self._thread = threading.Thread(target=self._read, args=(str(store.path),), daemon=True)
            self._thread.start()

    def _read(self, path: str) -> None:
        try:
            reader = SearchReader(path)
            try:
                self.ids = reader.ids(self.query)
            finally:
                reader.close()
        except Exception:               # the first read reads it itself, and says why
            self.ids = None

    def take(self, query: QueueQuery) -> array | None:
        if self._thread is None or query != self.query:
            return None
        self._thread.join()
        return self.ids


class DocumentListModel(QAbstractTableModel):
    COLUMNS = ("#", "Title", "Status", "Entities", "Last edited")
    SORTS = ("id", "title", "status", "entities", "updated")        # the sort of each column
    PAGE = 200              # rows fetched at a time (one query, one result row)
    MAX_PAGES = 20          # rows kept: at most PAGE * MAX_PAGES, whatever the corpus
    BIG = 200_000           # documents: a filter or sort of more is read off the UI thread too

    loaded = Signal()               # new ids are shown (reload, filter, search or sort)
    searching = Signal(bool)        # a search started (True) / its result arrived or was dropped
    search_failed = Signal(str)

    def __init__(self, store, parent=None, first: FirstRead | None = None):
        super().__init__(parent)
        self._first = first             # the first reload's ids, being read (a big project)
        self._colours = {**{k: QColor(v) for k, v in STATUS_COLORS.items()}, None: QColor(UNTITLED_COLOR)}
        self.store = store
        self.query = QueueQuery()
        self._ids = array("q")          # shown ids, in display order
        self._order: tuple | None = None   # (ids sorted, their rows): row_of by binary search
        self._pages: OrderedDict[int, list] = OrderedDict()
        self._last: tuple[int, list] | None = None     # (n, page): the page drawn last
        self._max_id = 0                # the newest document when the list was loaded
        self.total = 0                  # documents in the project (shown or not) then
        self._loaded = False
        self._generation = 0            # bumped by every load: a late search result is dropped
        self._runner: Runner | None = None
        self._search: tuple | None = None       # (task, lock, [conn]) of the running search
        self.pending: QueueQuery | None = None  # ... and its query
        self.fetches = 0                # pages read from the store (for tests and benchmarks)

    # -- loading -------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the shown ids again (now, on this thread), with the current query."""
        self._cancel_search()
        self._generation += 1
        first, self._first = self._first, None
        ids = first.take(self.query) if first is not None else None
        self._show(self.query, ids if ids is not None else self.store.list_ids(self.query))

    def set_query(self, query: QueueQuery) -> None:
        """Show what ``query`` selects. With search words it runs in the background."""
        if query == self.query and self._loaded:      # already shown (a newer search is dropped)
            self._cancel_search()
            return
        self._cancel_search()
        self._generation += 1
        if not self._loaded:            # nothing shown yet: remember it for reload()
            self.query = query
            return
        if not query.searching and self.total < self.BIG:
            self._show(query, self.store.list_ids(query))
            return
        self.pending = query            # a search, or any list of a big corpus: in the background
        gen, path, lock, box = self._generation, str(self.store.path), threading.Lock(), []

        def run(task):
            with lock:
                if task.cancelled:
                    return None
                box.append(SearchReader(path))
            try:
                return gen, query, box[0].ids(query), box[0].extent()
            except Interrupted:
                if task.cancelled:      # interrupted by a newer query
                    return None
                raise
            finally:
                with lock:
                    box.pop().close()

        if self._runner is None:
            self._runner = Runner(1, self)
        generation = self._generation
        task = self._runner.start(run, self._search_done,
                                  lambda message: self._search_failed(message, generation))
        self._search = (task, lock, box)
        self.searching.emit(True)

    @property
    def latest(self) -> QueueQuery:
        """The query asked for last (shown, or being read): what the next one builds on."""
        return self.pending if self.pending is not None else self.query     # (reset with _search)

    def _search_done(self, result) -> None:
        if result is None or result[0] != self._generation:
            return
        self._search = self.pending = None
        _gen, query, ids, extent = result
        self._show(query, ids, extent)
        self.searching.emit(False)

    def _search_failed(self, message: str, generation: int) -> None:
        if self._search is None or generation != self._generation:
            return                      # an older search, already dropped
        self._search = self.pending = None
        self.searching.emit(False)
        self.search_failed.emit(message)

    def _cancel_search(self) -> None:
        if self._search is None:
            return
        task, lock, box = self._search
        self._search = self.pending = None
        task.cancel()
        with lock:
            if box:
                box[0].interrupt()
        self.searching.emit(False)

    def wait(self, msecs: int = 10000) -> bool:
        """Wait for a background search (tests, closing)."""
        return self._runner is None or self._runner.wait(msecs)

    def _show(self, query: QueueQuery, ids: array, extent: tuple[int, int] | None = None) -> None:
        if extent is None and query.everything:     # every document: no count(*) (~60 ms at 1M)
            extent = (len(ids), int(np.frombuffer(ids, np.int64).max()) if ids else 0)
        self.total, self._max_id = extent or self.store.list_extent()
        if self._loaded and query == self.query and ids == self._ids:
            # Same rows in the same order (e.g. after a batch job): repaint, keep the view as is.
            self._drop_pages()
            if ids:
                self.dataChanged.emit(self.index(0, 0), self.index(len(ids) - 1, len(self.COLUMNS) - 1))
        else:
            self.beginResetModel()
            self.query, self._ids, self._order = query, ids, None
            self._drop_pages()
            self._loaded = True
            self.endResetModel()
        self.loaded.emit()

    # -- one row changed -------------------------------------------------------------------------
    def refresh(self, doc_id: int) -> None:
        """Re-read one document's row (status, entity count, last edited) in place."""
        row = self.row_of(doc_id)
        if row < 0:
            if doc_id > self._max_id:       # a document added since the list was read
                self.reload()
            return
        page = self._pages.get(row // self.PAGE)
        if page is not None:
            page[row % self.PAGE] = self._cells(self.store.list_rows([doc_id]).get(doc_id))
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))

    def follow(self, out) -> None:
        """A write of this window's (its ``Outcome``): the rows it touched show the new status,
        entity count and time from the outcome itself — nothing is read again (a row not
        cached is read when it is drawn, as always)."""
        docs = sorted(out.docs)
        if not docs:
            return
        if docs[-1] > self._max_id:
            return self.reload()                # a document added since the list was read
        delta: dict[int, int] = {}
        for e in out.spans:
            delta[e.doc_id] = delta.get(e.doc_id, 0) + len(e.add) - len(e.remove)
        when = local_time(out.time) if out.time else None
        found = self.rows_of(docs)
        rows = [r for r in found if r >= 0]
        for doc_id, row in zip(docs, found):
            page = self._pages.get(row // self.PAGE) if row >= 0 else None
            if page is None:
                continue
            cells = page[row % self.PAGE]
            n = int(cells[3]) + delta.get(doc_id, 0) if cells[3].isdigit() else cells[3]
            page[row % self.PAGE] = (cells[0], cells[1], out.statuses.get(doc_id, cells[2]), str(n),
                                     when or cells[4], *cells[5:])
        if rows:
            self.dataChanged.emit(self.index(min(rows), 0), self.index(max(rows), len(self.COLUMNS) - 1))

    def refresh_rows(self, doc_ids) -> None:
        """Many documents changed (a batch job): re-read their rows in place, when drawn.

        Cheaper than ``reload`` (no query of the whole list, no reset, the view stays put).
        """
        doc_ids = list(doc_ids)
        if any(d > self._max_id for d in doc_ids):
            return self.reload()                # documents added since the list was read
        rows = [r for r in self.rows_of(doc_ids) if r >= 0]
        if not rows:
            return
        self._drop_pages({r // self.PAGE for r in rows})
        self.dataChanged.emit(self.index(min(rows), 0), self.index(max(rows), len(self.COLUMNS) - 1))

    # -- ids and rows ------------------------------------------------------------------------------
    def doc_id(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, doc_id: int) -> int:
        """The row showing ``doc_id`` or -1: a binary search (the index is built once per load)."""
        if doc_id is None or not self._ids:
            return -1
        return self.rows_of([doc_id])[0]

    def rows_of(self, doc_ids) -> list[int]:
        """The rows showing ``doc_ids`` (-1 where not shown), in one vectorised search."""
        if not self._ids:
            return [-1] * len(doc_ids)
        if self._order is None:
            ids = np.frombuffer(self._ids, dtype=np.int64)
            if self.query.sort == "id" and not self.query.descending:
                self._order = (ids, None)                       # already sorted
            else:
                rows = np.argsort(ids, kind="stable")
                self._order = (ids[rows], rows)
        ids, rows = self._order
        want = np.asarray(doc_ids, dtype=np.int64)
        i = np.minimum(np.searchsorted(ids, want), len(ids) - 1)
        found = ids[i] == want
        at = i if rows is None else rows[i]
        return np.where(found, at, -1).tolist()

    @property
    def cached_rows(self) -> int:
        return sum(len(p) for p in self._pages.values())

    def _drop_pages(self, pages=None) -> None:
        """Forget the cached pages ``pages`` (all by default): read again when drawn."""
        if pages is None:
            self._pages.clear()
        else:
            for n in pages:
                self._pages.pop(n, None)
        self._last = None

    def _row(self, row: int) -> tuple:
        n = row // self.PAGE
        last = self._last
        page = last[1] if last is not None and last[0] == n else self._page(n)
        return page[row % self.PAGE]

    def _page(self, n: int) -> list:
        page = self._pages.get(n)
        if page is not None:
            self._pages.move_to_end(n)
            self._last = (n, page)
            return page
        ids = self._ids[n * self.PAGE:(n + 1) * self.PAGE]
        rows = self.store.list_rows(ids)
        page = [self._cells(rows.get(i)) for i in ids]
        self.fetches += 1
        self._pages[n] = page
        while len(self._pages) > self.MAX_PAGES:
            self._pages.popitem(last=False)
        self._last = (n, page)
        return page

    @staticmethod
    def _cells(r) -> tuple:
        """What a row shows: (#, title, status, entities, last edited, untitled, full title)."""
        if r is None:
            return ("", "(missing)", "", "", "", True, "")
        # A title is data from a file: controls and bidi overrides shown as escapes
        return (str(r.id), shown(r.title) or "(untitled)", r.status, str(r.n_spans),
                local_time(r.updated), r.untitled, r.title)

    # -- Qt model ------------------------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section, orientation, role=_Display):
        if (role == _Display and orientation == Qt.Orientation.Horizontal
                and 0 <= section < len(self.COLUMNS)):
            return self.COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role=_DISPLAY):
        row, role = index.row(), int(role)
        if not 0 <= row < len(self._ids) or role not in _ROLES or not index.isValid():
            return None
        return self._answer(role, row, index.column())

    def multiData(self, index: QModelIndex, roles) -> None:
        """All the roles a cell is drawn with, in one call: Qt 6's delegate asks for seven at
        once (one call from C++ into Python a cell instead of seven). Answers as ``data``."""
        row = index.row()
        shown = 0 <= row < len(self._ids)
        col, cells = index.column(), None
        for i in range(len(roles)):
            slot = roles[i]             # the delegate's own, reused: each is set or cleared
            role = slot.role()
            answer = None
            if shown and role in _ROLES:
                if cells is None and role != _ALIGN and role != _USER:
                    cells = self._row(row)
                answer = self._answer(role, row, col, cells)
            if answer is None:
                slot.clearData()
            else:
                slot.setData(answer)

    def _answer(self, role: int, row: int, col: int, cells: tuple | None = None):
        if role == _ALIGN:
            return _RIGHT if col in (0, 3) else None
        if role == _USER:
            return self._ids[row]
        if cells is None:
            cells = self._row(row)
        if role == _DISPLAY:
            return cells[col]
        if role == _FOREGROUND:
            if col == 2:
                return self._colours.get(cells[2])
            if col == 1 and cells[5]:
                return self._colours[None]              # the text's first words, not a title
            return None
        if col == 1:                        # tooltip: plain text, never markup (gui.plain)
            title = cells[6] or cells[1]
            return plain_tooltip(title if not cells[5] else f"Untitled; begins: {title}")
        return None

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        if 0 <= column < len(self.SORTS):
            self.set_query(replace(self.latest, sort=self.SORTS[column],
                                   descending=order == Qt.SortOrder.DescendingOrder))
