"""The store's named queries (models/store_queries.py) on a real project file, and write
failures told apart by SQLite's result code (models/sqlite_codes.py), never by message text."""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from models import annotate, exporter, sqlite_codes
from models.document import DONE, IN_PROGRESS, NEW, SKIPPED
from models.edits import ReplaceSpans
from models.queue import Interrupted, QueueQuery, SearchReader, fetch_rows, select_ids
from models.spans import MANUAL, Span
from models.store import Store, StoreError, WriteFailed


def other(store: Store) -> sqlite3.Connection:
    """Another writer (another window, the CLI)."""
    return sqlite3.connect(store.path, isolation_level=None)


def add(store: Store, *texts: str, status: str = NEW) -> list[int]:
    ids, _ = store.add_documents({"text": t, "title": t[:10], "status": status} for t in texts)
    return ids


# -- reads ----------------------------------------------------------------------------------------

def test_counts_and_extent_per_status(store):
    assert store.list_extent() == (0, 0) and store.count_documents() == 0
    add(store, "one a", "two b")
    add(store, "three c", status=DONE)
    add(store, "four d", status=SKIPPED)
    assert store.list_extent() == (4, 4)
    assert store.count_documents() == 4
    assert store.count_documents((DONE,)) == 1 == exporter.count_documents(store)
    assert store.count_documents((NEW, SKIPPED)) == 3
    assert exporter.count_documents(store, all_documents=True) == 4
    assert store.status_counts() == {NEW: 2, IN_PROGRESS: 0, DONE: 1, SKIPPED: 1}
    assert store.document_rows() == [(1, "one a", NEW, 0), (2, "two b", NEW, 0),
                                     (3, "three c", DONE, 0), (4, "four d", SKIPPED, 0)]
    assert store.document_row(3) == (3, "three c", DONE, 0) and store.document_row(9) is None
    hashes = dict(store.id_hashes((DONE,)))
    assert list(hashes) == [3] and hashes[3] == store.document(3).text_hash
    assert sorted(i for i, _ in store.id_hashes()) == [1, 2, 3, 4]


def test_list_queries_are_the_queue_queries_on_the_stores_connection(store):
    ids = add(store, *(f"text {i} Seoul" if i % 2 else f"text {i}" for i in range(12)))
    store.apply(ReplaceSpans(ids[3], (), (Span(0, 4, "ORG", MANUAL),)))
    for q in (QueueQuery(), QueueQuery(sort="entities", descending=True), QueueQuery(search="seoul")):
        assert store.list_ids(q) == select_ids(store.db.conn, q)
    assert list(store.list_ids(QueueQuery(search="seoul"))) == ids[1::2]
    rows = store.list_rows([ids[3], 999])
    assert list(rows) == [ids[3]] and rows[ids[3]] == fetch_rows(store.db.conn, [ids[3]])[ids[3]]
    assert rows[ids[3]].n_spans == 1 and rows[ids[3]].status == IN_PROGRESS


def test_pending_documents_for_the_model(store):
    plain, spanned, person, done, seen = add(store, "a plain", "b model", "c person", "d done", "e seen")
    store.apply(ReplaceSpans(spanned, (), (Span(0, 1, "ORG", "model-1"),)))
    store.apply(ReplaceSpans(person, (), (Span(0, 1, "ORG", MANUAL),)))
    store.apply(ReplaceSpans(done, (), ()))
    store.db.execute("UPDATE documents SET status = ? WHERE id = ?", [DONE, done])
    store.mark_preannotated(seen, "model-1")
    assert store.unannotated_ids() == [plain] == annotate.pending(store)
    assert store.model_only_ids() == [plain, spanned, seen] == annotate.pending(store, force=True)


def test_changed_since_sees_another_writers_updates_and_new_documents(store):
    a, b, c = add(store, "first", "second", "third")
    con = other(store)
    con.execute("UPDATE documents SET updated = '2024-01-0' || id || 'T00:00:00.000Z'")
    store.data_version()
    mark = store.watermark()
    assert mark == ("2024-01-03T00:00:00.000Z", 3)
    assert store.changed_since(mark) == ({c}, mark)     # 'at or after': the newest again
    con.execute("UPDATE documents SET status = 'done', updated = '2999-01-01T00:00:00.000Z' "
                "WHERE id = ?", [b])
    con.execute("INSERT INTO documents(title, length, meta, status, text_hash, created, updated) "
                "VALUES ('new', 1, '{}', 'new', 'h', '2000-01-01', '2000-01-01')")   # old clock
    con.close()
    ids, new = store.changed_since(mark)
    assert ids == {b, c, 4} and new == ("2999-01-01T00:00:00.000Z", 4)   # c: at the mark
    assert store.changed_since(new) == ({b}, new)
    assert not store.in_transaction                      # the snapshot is closed


def test_a_snapshot_reads_one_moment_while_another_writer_commits(store):
    add(store, "first", "second")
    con = other(store)
    with store.snapshot():
        assert store.in_transaction and store.count_documents() == 2
        con.execute("INSERT INTO documents(title, length, meta, status, text_hash, created, updated) "
                    "VALUES ('x', 1, '{}', 'new', 'h', 'c', 'u')")
        assert store.count_documents() == 2 and store.list_extent() == (2, 2)
        with store.snapshot():                           # nested: the same one
            assert store.count_documents() == 2
    assert not store.in_transaction and store.count_documents() == 3
    con.close()


# -- the background search ---------------------------------------------------------------------

def test_a_search_reader_cut_short_raises_interrupted_and_other_errors_pass(store, monkeypatch):
    ids = add(store, "Seoul text", "Tokyo text")
    reader = SearchReader(store.path)
    try:
        assert list(reader.ids(QueueQuery(search="seoul"))) == ids[:1]
        import models.queue

        def slow(conn, query):           # a scan that takes far longer than the test waits
            conn.create_function("slow", 1, lambda x: time.sleep(0.01) or x)
            return conn.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                                "WHERE i < 100000) SELECT sum(slow(i)) FROM n").fetchall()
        monkeypatch.setattr(models.queue, "select_ids", slow)
        errors = []

        def run():
            try:
                reader.ids(QueueQuery(search="x"))
            except Exception as e:
                errors.append(e)
        t = threading.Thread(target=run)
        t.start()
        time.sleep(0.1)
        reader.interrupt()
        t.join(5)
        assert not t.is_alive() and len(errors) == 1 and isinstance(errors[0], Interrupted)
        assert isinstance(errors[0].__cause__, sqlite3.OperationalError)
        assert sqlite_codes.primary_code(errors[0]) == sqlite_codes.INTERRUPT

        def damaged(conn, query):
            raise sqlite3.OperationalError("interrupted")      # the word, without the code
        monkeypatch.setattr(models.queue, "select_ids", damaged)
        with pytest.raises(sqlite3.OperationalError) as caught:
            reader.ids(QueueQuery())
        assert not isinstance(caught.value, Interrupted)
    finally:
        reader.close()


# -- write failures by result code ---------------------------------------------------------------

def sqlite_error(message: str, code: int, cls=sqlite3.OperationalError) -> sqlite3.Error:
    e = cls(message)
    e.sqlite_errorcode, e.sqlite_errorname = code, f"CODE_{code}"
    return e


@pytest.mark.parametrize("message, code, reason", [
    ("something else entirely", 13, "the disk is full"),           # SQLITE_FULL
    ("x", 13 | (1 << 8), "the disk is full"),                       # an extended code of FULL
    ("attempt to write", 8, "read-only"),                           # SQLITE_READONLY
    ("x", 8 | (4 << 8), "read-only"),                               # READONLY_DBMOVED
    ("x", 5, "it is locked"), ("x", 6, "it is locked"),             # BUSY, LOCKED
    ("database is locked", 1, None),             # the words of one, the code of another (ERROR)
    ("database or disk is full; readonly", 10, None),              # IOERR: no reason added
])
def test_a_failed_write_is_one_write_failed_told_by_its_code(store, message, code, reason):
    add(store, "text")
    with pytest.raises(WriteFailed) as caught:
        with store.write():
            store.db.execute("UPDATE documents SET title = 'changed'")
            raise sqlite_error(message, code)
    e = caught.value
    assert isinstance(e, StoreError) and isinstance(e, sqlite3.OperationalError)
    assert e.sqlite_errorcode == code and sqlite_codes.primary_code(e) == code & 0xFF
    assert message in str(e) and "nothing of this change was written" in str(e)
    got = sqlite_codes.write_reason(e)
    assert (got is None) if reason is None else (reason in got)
    assert store.document_row(1)[1] == "text"            # rolled back


def test_other_sqlite_errors_of_a_write_are_write_failed_too(store):
    add(store, "text")
    with pytest.raises(WriteFailed) as caught:
        with store.write():
            store.db.execute("INSERT INTO texts(doc_id, text) VALUES (1, 'again')")   # PRIMARY KEY
    assert isinstance(caught.value.__cause__, sqlite3.IntegrityError)
    assert sqlite_codes.primary_code(caught.value) == 19                # SQLITE_CONSTRAINT
    assert store.document(1).text == "text"


def test_a_real_full_disk_is_told_by_its_code(store):
    add(store, "text")
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(WriteFailed) as caught:
        add(store, *(f"{i} " * 5000 for i in range(20)))
    assert sqlite_codes.primary_code(caught.value) == sqlite_codes.FULL
    assert "disk is full" in sqlite_codes.write_reason(caught.value)
    assert store.document_count() == 1 and not store.in_transaction


class FailingRollback:
    """The store's connection, with a ROLLBACK that fails as after SQLite rolled back itself."""

    def __init__(self, conn):
        self._conn = conn

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def execute(self, sql, *args):
        if sql == "ROLLBACK":
            self._conn.execute("ROLLBACK")
            raise sqlite_error("cannot rollback - no transaction is active", 1)
        return self._conn.execute(sql, *args)


def test_a_failed_rollback_never_hides_the_first_error(store):
    add(store, "text")
    real = store.db.conn
    store.db.conn = FailingRollback(real)
    try:
        with pytest.raises(WriteFailed) as caught:
            with store.write():
                raise sqlite_error("database or disk is full", 13)
    finally:
        store.db.conn = real
    assert sqlite_codes.primary_code(caught.value) == sqlite_codes.FULL
    assert "rollback" not in str(caught.value)
    assert not real.in_transaction and store.document_count() == 1


def test_the_label_names_read_once_per_write_never_go_stale(tmp_path):
    """A write reads the label set once (a corpus-wide edit read it per document); a label
    added in the same edit, or by another connection since, is seen."""
    import sqlite3 as raw

    from models.edits import Batch, ChangeLabels, ReplaceSpans
    from models.labels import Label
    from models.spans import Span
    from models.store import Store, StoreError
    path = tmp_path / "p.annotator"
    store = Store(path)
    ids = store.add_documents([{"text": f"Acme Corp hired Kim in Seoul, day {i}."} for i in range(3)])[0]
    both = Batch(ids[0], (ChangeLabels(ids[0], (Label("COMPANY", "#123456", "", "", 99),)),
                          *(ReplaceSpans(d, (), (Span(0, 9, "COMPANY"),)) for d in ids)))
    store.apply(both)
    other = raw.connect(path)
    other.execute("INSERT INTO labels(name, color, key, description, ord) VALUES ('CITY', '#654321', '', '', 100)")
    other.commit()
    other.close()
    store.apply(ReplaceSpans(ids[1], (), (Span(23, 28, "CITY"),)))
    with pytest.raises(StoreError, match="label 'TOWN' is not in the label set"):
        store.apply(ReplaceSpans(ids[2], (), (Span(23, 28, "TOWN"),)))
    assert [len(store.spans(d)) for d in ids] == [1, 2, 1]
    rows = store.db.execute("SELECT DISTINCT updated FROM spans WHERE label = 'COMPANY'").fetchall()
    assert len(rows) == 1               # one edit, one time on every row it wrote
    store.close()
