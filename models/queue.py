"""The document queue: which documents a list shows, in what order, and their rows (no Qt).

A list over 100,000 documents keeps only the ids of what it shows (``select_ids``: one
8-byte int each, in display order) and fetches the rows it draws a page at a time
(``fetch_rows``). Sorting walks an index (see ``Store._QUEUE_SCHEMA``); the entity count is
``documents.n_spans``, kept by triggers, so nothing here counts spans or reads whole texts.

Search is a case-insensitive (ASCII) substring match on the title and the text: every word
(or "quoted phrase") must occur. It scans the texts (≈0.3 s for 100,000 texts of 2,000
characters), so a UI runs it off its thread on a connection of its own (``connect_reader``)
and can cut it short with ``conn.interrupt()``.
"""
from __future__ import annotations

import json
import re
import sqlite3
from array import array
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np

from models import sqlite_codes
from models.document import DONE, IN_PROGRESS, NEW, SKIPPED, default_title
from models.span_filter import SpanFilter

ALL, NOT_DONE = "all", "not done"
# Filter name -> statuses shown (empty: every document).
STATUS_FILTERS: dict[str, tuple[str, ...]] = {
    ALL: (), NEW: (NEW,), IN_PROGRESS: (IN_PROGRESS,), DONE: (DONE,), SKIPPED: (SKIPPED,),
    NOT_DONE: (NEW, IN_PROGRESS),
}
# Sort name -> SQL key (ties are broken by id, in the same direction).
SORT_KEYS: dict[str, str] = {
    "id": "", "title": "d.title COLLATE NOCASE", "status": "d.status",
    "entities": "d.n_spans", "updated": "d.updated",
}
SNIPPET_CHARS = 200          # read of an untitled document's text, for its first words
_TERMS = re.compile(r'"([^"]+)"|(\S+)')


def search_terms(text: str) -> list[str]:
    """Words and "quoted phrases" of a search, in order, without duplicates."""
    terms = []
    for phrase, word in _TERMS.findall(text or ""):
        term = (phrase or word).strip()
        if term and term not in terms:
            terms.append(term)
    return terms


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass(frozen=True)
class QueueQuery:
    """What the list shows: a status filter, a search, and a sort."""
    status: str = ALL
    search: str = ""
    sort: str = "id"
    descending: bool = False
    spans: SpanFilter | None = None       # only documents holding such spans (the statistics)

    def __post_init__(self):
        if self.status not in STATUS_FILTERS:
            raise ValueError(f"unknown status filter {self.status!r}")
        if self.sort not in SORT_KEYS:
            raise ValueError(f"unknown sort {self.sort!r}")

    @property
    def searching(self) -> bool:
        """Does the list scan texts or spans (run in the background)?"""
        return bool(search_terms(self.search)) or self.spans is not None

    @property
    def everything(self) -> bool:
        """Does it show every document (no status filter, no search)?"""
        return not STATUS_FILTERS[self.status] and not self.searching

    def sql(self) -> tuple[str, list]:
        """The query for the ids shown, in display order."""
        where, args = [], []
        statuses = STATUS_FILTERS[self.status]
        if statuses:
            where.append(f"d.status IN ({','.join('?' * len(statuses))})")
            args += statuses
        if self.spans is not None:
            clause, more = self.spans.sql()
            where.append(clause)
            args += more
        join = ""
        for term in search_terms(self.search):
            join = " JOIN texts t ON t.doc_id = d.id"
            where.append("(d.title LIKE ? ESCAPE '\\' OR t.text LIKE ? ESCAPE '\\')")
            args += [_like(term)] * 2
        direction = " DESC" if self.descending else ""
        key = SORT_KEYS[self.sort]
        order = (f"{key}{direction}, " if key else "") + f"d.id{direction}"
        sql = f"SELECT d.id FROM documents d{join}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return sql + f" ORDER BY {order}", args


def concat_keeps_order(conn: sqlite3.Connection) -> bool:
    """Does this SQLite concatenate a subquery's rows in the subquery's ORDER BY order?

    Every SQLite we know does (an aggregate over a subquery with ORDER BY is never flattened
    and reads the subquery's rows in order), but before 3.44 the documentation calls the
    order arbitrary: checked once, and ``select_ids`` reads row by row if not.
    """
    probe = ("WITH t(x) AS (VALUES (2), (5), (1), (4), (3)) "
             "SELECT group_concat(x) FROM (SELECT x FROM t ORDER BY x % 3, x DESC)")
    return conn.execute(probe).fetchone()[0] == "3,4,1,5,2"


_ORDER_OK: bool | None = None


def select_ids(conn: sqlite3.Connection, query: QueueQuery) -> array:
    """The ids ``query`` shows, in display order, as a compact ``array('q')``.

    One result row (the ids joined by commas, parsed by numpy) instead of one row per id:
    Python's sqlite3 releases and retakes the GIL for every row, and while another thread
    runs Python (loading spaCy, pre-annotating) each retake waits — reading 100,000 ids row
    by row was measured at 19 s beside a busy thread, against 27 ms this way (11 ms idle).
    """
    global _ORDER_OK
    if _ORDER_OK is None:
        _ORDER_OK = concat_keeps_order(conn)
    sql, args = query.sql()
    if not _ORDER_OK:
        return array("q", map(itemgetter(0), conn.execute(sql, args).fetchall()))
    joined = conn.execute(f"SELECT group_concat(id) FROM ({sql})", args).fetchone()[0]
    ids = array("q")
    if joined:
        ids.frombytes(np.fromstring(joined, dtype=np.int64, sep=",").tobytes())
    return ids


class QueueRow(NamedTuple):
    id: int
    title: str          # the stored title, or the text's first words
    untitled: bool      # True when ``title`` is the text's first words
    status: str
    n_spans: int
    updated: str        # ISO 8601 UTC, as stored


# One result row per query (a JSON array of rows), for the same reason as in select_ids.
_ROWS = ("SELECT json_group_array(json_array(d.id, d.title, d.status, d.n_spans, d.updated, "
         f"CASE WHEN coalesce(d.title, '') = '' THEN (SELECT substr(t.text, 1, {SNIPPET_CHARS}) "
         "FROM texts t WHERE t.doc_id = d.id) END)) FROM documents d WHERE d.id IN ({marks})")
_CHUNK = 500                 # ids per query (well under SQLite's variable limit)


def fetch_rows(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, QueueRow]:
    """The rows of ``ids`` (missing ids are left out), by id."""
    rows: dict[int, QueueRow] = {}
    ids = list(ids)
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i:i + _CHUNK]
        found = conn.execute(_ROWS.format(marks=",".join("?" * len(chunk))), chunk).fetchone()[0]
        for doc_id, title, status, n_spans, updated, snippet in json.loads(found):
            if title:
                rows[doc_id] = QueueRow(doc_id, title, False, status, n_spans or 0, updated or "")
            else:
                rows[doc_id] = QueueRow(doc_id, default_title(snippet or ""), True, status,
                                        n_spans or 0, updated or "")
    return rows


def local_time(updated: str) -> str:
    """'2024-05-01T09:30:00.123Z' in local time, compact: '11:30' today, '01 May 11:30' this
    year, else '2024-05-01' ('' if empty)."""
    if not updated:
        return ""
    try:
        when = datetime.fromisoformat(updated.replace("Z", "+00:00"))
    except ValueError:
        return updated
    when, now = when.astimezone(), datetime.now().astimezone()
    if when.date() == now.date():
        return when.strftime("%H:%M")                  # today: the time is enough
    return when.strftime("%d %b %H:%M" if when.year == now.year else "%Y-%m-%d")


def connect_reader(path: str | Path) -> sqlite3.Connection:
    """A read-only connection of its own (for a search off the UI thread; WAL: never blocks)."""
    conn = sqlite3.connect(str(path), timeout=5.0, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA query_only=ON")
    conn.execute("PRAGMA trusted_schema=OFF")      # see project_file.distrust
    return conn


class Interrupted(Exception):
    """A ``SearchReader``'s query was cut short by ``interrupt()`` (told by SQLite's result
    code, not by the words of its message)."""


class SearchReader:
    """A read-only connection of its own for one search off the UI thread (``connect_reader``):
    ``ids(query)`` from that thread, ``interrupt()`` from any thread, then ``close()``."""

    def __init__(self, path: str | Path):
        self._conn = connect_reader(path)

    def ids(self, query: QueueQuery) -> array:
        """What ``select_ids`` gives; ``Interrupted`` if ``interrupt()`` stopped it."""
        try:
            return select_ids(self._conn, query)
        except sqlite3.OperationalError as e:
            if sqlite_codes.primary_code(e) == sqlite_codes.INTERRUPT:
                raise Interrupted(str(e)) from e
            raise

    def extent(self) -> tuple[int, int]:
        """(number of documents, highest id or 0), as ``Store.list_extent`` (a count(*) over a
        million documents is ~0.1 s: read here, not on the UI thread)."""
        return tuple(self._conn.execute("SELECT count(*), coalesce(max(id), 0) FROM documents").fetchone())

    def interrupt(self) -> None:
        self._conn.interrupt()

    def close(self) -> None:
        self._conn.close()


__all__ = ["ALL", "NOT_DONE", "STATUS_FILTERS", "SORT_KEYS", "QueueQuery", "QueueRow",
           "search_terms", "select_ids", "fetch_rows", "local_time", "connect_reader",
           "SearchReader", "Interrupted"]
