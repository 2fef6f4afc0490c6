"""The store's read queries for the document list, the follower, the exporter and the
pre-annotation (a mixin of ``models.store.Store``, which keeps the write path).

Every statement the GUI, ``models.exporter`` or ``models.annotate`` needs is a named method
here, so nothing outside the store touches its connection (``gui/`` may not import
``sqlite3`` or ``sqlite_utils`` at all: an import-linter contract and
``tests/gui/test_no_sql_in_gui.py``). The document list's own statements are in
``models.queue`` (one result row per query, see there); these methods run them on the store's
connection.
"""
from __future__ import annotations

from array import array
from contextlib import contextmanager
from typing import Iterator, Sequence

from models import queue
from models.document import IN_PROGRESS, NEW, STATUSES
from models.spans import MANUAL


def _where(statuses: tuple[str, ...] | None) -> tuple[str, list]:
    if not statuses:
        return "", []
    return f" WHERE d.status IN ({','.join('?' * len(statuses))})", list(statuses)


class StoreQueries:
    """Reads on ``self.db`` (the store's sqlite_utils database)."""

    db: object

    # -- one read snapshot ---------------------------------------------------------------------
    @property
    def in_transaction(self) -> bool:
        """A transaction of this connection is open (a write, or a ``snapshot``)."""
        return self.db.conn.in_transaction

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction: every read inside sees the file as of one moment, even while
        another connection keeps committing (nested in an open transaction: that one)."""
        conn = self.db.conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")

    # -- documents -------------------------------------------------------------------------------
    _ROW = "SELECT d.id, d.title, d.status, d.n_spans FROM documents d"     # n_spans: kept by triggers

    def document_rows(self) -> list[tuple]:
        """(id, title, status, number of spans) for every document, in id order."""
        return self.db.execute(self._ROW + " ORDER BY d.id").fetchall()

    def document_row(self, doc_id: int) -> tuple | None:
        """(id, title, status, number of spans) of one document, or None."""
        return self.db.execute(self._ROW + " WHERE d.id = ?", [doc_id]).fetchone()

    def size(self, doc_id: int) -> tuple[str | None, int]:
        """(title, length in code points) of a document as recorded, without reading its text;
        (None, 0) if there is none (what to expect before reading a huge one)."""
        row = self.db.execute("SELECT title, length FROM documents WHERE id = ?", [doc_id]).fetchone()
        return (row[0], row[1] if type(row[1]) is int else 0) if row else (None, 0)

    def document_count(self) -> int:
        """How many documents the project holds (cheap: no rows are read)."""
        return self.db.execute("SELECT count(*) FROM documents").fetchone()[0]

    def status_counts(self) -> dict[str, int]:
        """How many documents have each status (every status present, 0 if none)."""
        counts = dict.fromkeys(STATUSES, 0)
        counts.update(self.db.execute("SELECT status, count(*) FROM documents GROUP BY status"))
        return counts

    # -- the document list (models.queue) ------------------------------------------------------
    def list_ids(self, query: queue.QueueQuery) -> array:
        """The ids the document list shows for ``query``, in display order (``queue.select_ids``)."""
        return queue.select_ids(self.db.conn, query)

    def list_rows(self, ids: Sequence[int]) -> dict[int, queue.QueueRow]:
        """The document list's rows of ``ids`` by id, missing ids left out (``queue.fetch_rows``)."""
        return queue.fetch_rows(self.db.conn, ids)

    def last_id(self) -> int:
        """The highest document id, or 0 (one lookup: the rowid's end)."""
        return self.db.execute("SELECT coalesce(max(id), 0) FROM documents").fetchone()[0]

    def list_extent(self) -> tuple[int, int]:
        """(number of documents, highest document id or 0): one aggregate, no rows read."""
        return tuple(self.db.execute("SELECT count(*), coalesce(max(id), 0) FROM documents").fetchone())

    # -- following another connection's commits ------------------------------------------------
    def watermark(self) -> tuple[str, int]:
        """(latest ``updated`` of any document or '', highest document id or 0). One aggregate
        per statement: each is then one lookup in an index."""
        updated = self.db.execute("SELECT max(updated) FROM documents").fetchone()[0]
        return updated or "", self.db.execute("SELECT max(id) FROM documents").fetchone()[0] or 0

    def changed_since(self, mark: tuple[str, int]) -> tuple[set[int], tuple[str, int]]:
        """The ids of the documents updated at or after ``mark`` (a ``watermark``) or added
        after it, and the new watermark — read in one snapshot, so a commit between the two
        reads is never skipped. The list's index on ``updated`` makes it a short range scan."""
        updated, max_id = mark
        with self.snapshot():
            new = self.watermark()
            ids = {r[0] for r in self.db.execute(
                "SELECT id FROM documents WHERE updated >= ? OR id > ?", [updated, max_id])}
        return ids, new

    # -- export ---------------------------------------------------------------------------------
    def count_documents(self, statuses: tuple[str, ...] | None = None) -> int:
        """How many documents have a status in ``statuses`` (every document for None)."""
        where, args = _where(statuses)
        return self.db.execute("SELECT count(*) FROM documents d" + where, args).fetchone()[0]

    def id_hashes(self, statuses: tuple[str, ...] | None = None) -> list[tuple[int, str]]:
        """(id, text hash) of the documents with a status in ``statuses`` (all for None), in
        the order SQLite reads them (what the .spacy export's dev split has always been given)."""
        where, args = _where(statuses)
        return self.db.execute("SELECT d.id, d.text_hash FROM documents d" + where, args).fetchall()

    # -- pre-annotation (models.annotate) -------------------------------------------------------
    def unannotated_ids(self) -> list[int]:
        """Documents new or in progress, with no span, never pre-annotated; in id order."""
        return [r[0] for r in self.db.execute(
            "SELECT id FROM documents d WHERE status IN (?, ?) AND preannotated IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM spans s WHERE s.doc_id = d.id) ORDER BY id",
            [NEW, IN_PROGRESS])]

    def model_only_ids(self) -> list[int]:
        """Documents new or in progress with no span a person made or confirmed (all their
        spans, if any, came from a model); in id order."""
        return [r[0] for r in self.db.execute(
            "SELECT id FROM documents d WHERE status IN (?, ?) AND NOT EXISTS "
            "(SELECT 1 FROM spans s WHERE s.doc_id = d.id AND s.source = ?) ORDER BY id",
            [NEW, IN_PROGRESS, MANUAL])]


__all__ = ["StoreQueries"]
