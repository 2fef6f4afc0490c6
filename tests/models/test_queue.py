"""The document queue's queries (models/queue.py) and the entity count the store keeps for it."""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from models import edits
from models.edits import Batch, ReplaceSpans, SetStatus
from models.queue import (QueueQuery, connect_reader, fetch_rows, local_time, search_terms,
                          select_ids)
from models.spans import Span

MODEL = "model:test-1.0"         # any source other than "manual" is a model suggestion
from models.store import Store

from .helpers import query


def counts(path) -> dict[int, tuple[int, int]]:
    """doc id -> (stored n_spans, real number of spans), read independently."""
    return {r[0]: (r[1], r[2]) for r in query(
        path, "SELECT id, n_spans, (SELECT count(*) FROM spans s WHERE s.doc_id = d.id) FROM documents d")}


def assert_counts_true(path):
    for doc_id, (kept, real) in counts(path).items():
        assert kept == real, f"document {doc_id}: n_spans {kept}, {real} spans"


# -- the entity count ----------------------------------------------------------------------------

def test_entity_count_follows_every_edit_undo_and_import(store, project):
    (a, b), _ = store.add_documents([
        {"text": "Kim met Putin in Moscow on Monday.", "title": "A"},
        {"text": "Seoul and Tokyo.", "title": "B", "spans": [Span(0, 5, "GPE", MODEL), Span(10, 15, "GPE", MODEL)]},
    ])
    assert counts(project) == {a: (0, 0), b: (2, 2)}
    kim = Span(0, 3, "PERSON")
    store.apply(edits.add_span(a, kim, []))
    putin = Span(8, 13, "PERSON")
    store.apply(edits.add_span(a, putin, [kim]))
    assert counts(project)[a] == (2, 2)
    entry = store.apply(edits.relabel(a, kim, "ORG"))               # remove + add: still 2
    assert counts(project)[a] == (2, 2)
    store.apply(edits.relabel(a, kim, "ORG").inverse(), mode="undo", entry=entry)
    store.apply(edits.remove_span(a, putin))
    assert counts(project)[a] == (1, 1)
    pending = store.spans(b)
    store.apply(edits.finish(b, pending, "new", "done", "Done"))      # a batch: accept both
    assert counts(project)[b] == (2, 2)
    store.apply(ReplaceSpans(b, tuple(store.spans(b)), ()))
    assert counts(project)[b] == (0, 0)
    with pytest.raises(Exception):             # a refused edit changes no count
        store.apply(Batch(a, (ReplaceSpans(a, (), (Span(20, 25, "GPE"),)), SetStatus(a, "done", "new"))))
    assert counts(project)[a] == (1, 1)
    assert store.document_rows() == [(a, "A", "in progress", 1), (b, "B", "done", 0)]
    assert store.document_row(a) == (a, "A", "in progress", 1)


def test_entity_count_is_kept_whoever_writes_the_spans(store, project):
    (a,), _ = store.add_documents([{"text": "Seoul and Tokyo and Osaka."}])
    con = sqlite3.connect(project)          # another program, raw SQL, no Store
    con.execute("INSERT INTO spans(doc_id, start, end, label, source) VALUES (?, 0, 5, 'GPE', 'manual')", [a])
    con.execute("INSERT INTO spans(doc_id, start, end, label, source) VALUES (?, 10, 15, 'GPE', 'manual')", [a])
    con.commit()
    assert counts(project)[a] == (2, 2)
    con.execute("DELETE FROM spans WHERE start = 10")
    con.commit()
    con.close()
    assert counts(project)[a] == (1, 1)
    # INSERT OR REPLACE deletes the row it replaces: counted right on a Store's connection.
    store.db.execute("INSERT OR REPLACE INTO spans(doc_id, start, end, label, source) "
                     "VALUES (?, 0, 5, 'LOC', 'manual')", [a])
    assert counts(project)[a] == (1, 1)


def test_a_project_from_before_the_count_is_upgraded_on_open(project):
    s = Store(project)
    (a, b), _ = s.add_documents([{"text": "One Seoul.", "title": "one"}, {"text": "Two.", "title": "two"}])
    s.close()
    con = sqlite3.connect(project)          # make it look like a file written before n_spans
    for name in ("documents_spans_added", "documents_spans_removed", "documents_spans_moved"):
        con.execute(f"DROP TRIGGER {name}")
    for name in ("documents_title_nocase", "documents_n_spans", "documents_updated"):
        con.execute(f"DROP INDEX {name}")
    con.execute("ALTER TABLE documents DROP COLUMN n_spans")
    con.execute("ALTER TABLE documents DROP COLUMN annotator")     # schema 6's
    con.execute("UPDATE settings SET value = '1' WHERE key = 'schema_version'")
    con.execute("INSERT INTO spans(doc_id, start, end, label, source) VALUES (?, 4, 9, 'GPE', 'manual')", [a])
    con.commit()
    con.close()
    s = Store(project)
    try:
        assert counts(project) == {a: (1, 1), b: (0, 0)}
        names = {r[0] for r in query(project, "SELECT name FROM sqlite_master")}
        assert {"documents_spans_added", "documents_n_spans", "documents_title_nocase"} <= names
        s.apply(edits.add_span(b, Span(0, 3, "CARDINAL"), []))
        assert counts(project)[b] == (1, 1)
    finally:
        s.close()
    # Opening again changes nothing more.
    before = query(project, "SELECT sql FROM sqlite_master ORDER BY name")
    Store(project).close()
    assert query(project, "SELECT sql FROM sqlite_master ORDER BY name") == before


# -- which documents, in what order ------------------------------------------------------------

STATUSES = ["new", "in progress", "done", "skipped"]


@pytest.fixture
def corpus(store):
    """12 documents: titles in mixed case, some untitled, statuses in turn, 0-3 spans."""
    docs = []
    for i in range(12):
        text = f"Report {i}: talks in {'Seoul' if i % 3 == 0 else 'Tokyo'} about 100% of the_trade."
        title = "" if i % 4 == 3 else ["beta", "Alpha", "gamma"][i % 3] + f" {i:02d}"
        docs.append({"text": text, "title": title})
    ids, _ = store.add_documents(docs)
    for i, doc_id in enumerate(ids):
        if i % 4:
            store.apply(ReplaceSpans(doc_id, (), tuple(Span(k * 3, k * 3 + 2, "GPE", MODEL) for k in range(i % 4))))
        status = STATUSES[i % 4]
        if status != "new":
            current = store.document_status(doc_id)
            store.apply(SetStatus(doc_id, current, status))
        time.sleep(0.002)                   # distinct 'updated' times, in id order
    return ids


def ids_of(store, **kw) -> list[int]:
    return list(select_ids(store.db.conn, QueueQuery(**kw)))


def test_document_count(store, corpus):
    assert store.document_count() == len(corpus) == len(store.document_rows())


def test_status_filters(store, corpus):
    rows = {r[0]: r[2] for r in store.document_rows()}
    assert ids_of(store) == corpus
    for status in STATUSES:
        assert ids_of(store, status=status) == [d for d in corpus if rows[d] == status]
    assert ids_of(store, status="not done") == [d for d in corpus if rows[d] in ("new", "in progress")]
    with pytest.raises(ValueError):
        QueueQuery(status="finished")


@pytest.mark.parametrize("sort", ["id", "title", "status", "entities", "updated"])
@pytest.mark.parametrize("descending", [False, True])
def test_sorts_by_every_column_with_ties_broken_by_id(store, corpus, sort, descending):
    rows = {r[0]: r for r in query(store.path, "SELECT id, title, status, n_spans, updated FROM documents")}
    key = {"id": lambda d: (d,), "title": lambda d: (rows[d][1].lower(), d), "status": lambda d: (rows[d][2], d),
           "entities": lambda d: (rows[d][3], d), "updated": lambda d: (rows[d][4], d)}[sort]
    assert ids_of(store, sort=sort, descending=descending) == sorted(corpus, key=key, reverse=descending)


@pytest.mark.parametrize("sort", ["title", "status", "entities", "updated"])
def test_sorting_walks_an_index(store, corpus, sort):
    sql, args = QueueQuery(sort=sort).sql()
    plan = " ".join(r[3] for r in store.db.execute("EXPLAIN QUERY PLAN " + sql, args))
    assert "INDEX" in plan and "TEMP B-TREE" not in plan, plan


def test_search_title_and_text_every_word_case_insensitive(store, corpus):
    texts = {d: store.document(d) for d in corpus}

    def expect(pred):
        return [d for d in corpus if pred(texts[d].title.lower() + " " + texts[d].text.lower())]
    assert ids_of(store, search="seoul") == expect(lambda s: "seoul" in s)
    assert ids_of(store, search="ALPHA") == expect(lambda s: "alpha" in s)
    assert ids_of(store, search="seoul alpha") == expect(lambda s: "seoul" in s and "alpha" in s)
    assert ids_of(store, search='"in Seoul about"') == expect(lambda s: "in seoul about" in s)
    assert ids_of(store, search="Report 1:") == expect(lambda s: "report" in s and "1:" in s)
    # % and _ are plain characters, not wildcards.
    assert ids_of(store, search="100%") == corpus
    assert ids_of(store, search="the_trade") == corpus
    assert ids_of(store, search="e%t") == [] and ids_of(store, search="the_t_ade") == []
    assert ids_of(store, search="seoul", status="skipped", sort="title", descending=True) == sorted(
        [d for d in expect(lambda s: "seoul" in s) if store.document_status(d) == "skipped"],
        key=lambda d: (texts[d].title.lower(), d), reverse=True)
    assert ids_of(store, search="nowhere") == []
    assert ids_of(store, search="   ") == corpus


def test_search_terms():
    assert search_terms('  kim "North Korea" kim  ') == ["kim", "North Korea"]
    assert search_terms('""') == ['""'] and search_terms("") == []


def test_rows_with_titles_or_the_texts_first_words(store, corpus):
    rows = fetch_rows(store.db.conn, list(reversed(corpus)) + [999999])
    assert set(rows) == set(corpus)                       # a missing id is left out
    titled, untitled = rows[corpus[0]], rows[corpus[3]]
    assert (titled.title, titled.untitled, titled.status, titled.n_spans) == ("beta 00", False, "new", 0)
    assert untitled.untitled and untitled.title == "Report 3: talks in Seoul about 100% of"     # 8 words
    assert (untitled.status, untitled.n_spans) == ("skipped", 3)
    assert untitled.updated.endswith("Z")


def test_untitled_long_text_shows_its_first_words(store):
    (d,), _ = store.add_documents([{"text": "word " * 400_000}])      # 2 MB
    assert fetch_rows(store.db.conn, [d])[d].title == " ".join(["word"] * 8)


def test_local_time():
    assert local_time("") == "" and local_time("not a time") == "not a time"
    assert local_time("2024-05-01T09:30:00.123Z") in ("2024-05-01", "2024-04-30", "2024-05-02")
    from datetime import datetime, timezone
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert len(local_time(now)) == 5 and local_time(now)[2] == ":"        # today: HH:MM


def test_reader_is_read_only_and_can_be_interrupted(store, corpus):
    con = connect_reader(store.path)
    try:
        with pytest.raises(sqlite3.OperationalError):
            con.execute("DELETE FROM documents")
        # A long query on another thread is cut short by interrupt().
        con.create_function("slow", 1, lambda x: time.sleep(0.01) or x)
        errors = []

        def run():
            try:
                con.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) "
                            "SELECT sum(slow(i)) FROM n").fetchall()
            except sqlite3.OperationalError as e:
                errors.append(str(e))
        t = threading.Thread(target=run)
        t.start()
        time.sleep(0.1)
        con.interrupt()
        t.join(5)
        assert not t.is_alive() and errors and "interrupt" in errors[0]
        assert list(select_ids(con, QueueQuery())) == corpus        # usable afterwards
    finally:
        con.close()


def test_row_by_row_fallback_gives_the_same_ids(store, corpus, monkeypatch):
    from models import queue
    assert queue.concat_keeps_order(store.db.conn)         # true of every SQLite we know
    for kw in ({}, {"sort": "title", "descending": True}, {"status": "not done", "sort": "entities"},
               {"search": "seoul", "sort": "updated"}):
        monkeypatch.setattr(queue, "_ORDER_OK", True)
        fast = select_ids(store.db.conn, QueueQuery(**kw))
        monkeypatch.setattr(queue, "_ORDER_OK", False)
        assert select_ids(store.db.conn, QueueQuery(**kw)) == fast, kw


def test_reading_the_list_is_not_slowed_by_a_busy_python_thread(store):
    """One result row per query: a thread running Python (spaCy loading or pre-annotating)
    cannot make the list wait for the GIL once per row (row by row: ~0.2 ms a row then)."""
    con = store.db.conn
    con.execute("BEGIN")
    con.executemany("INSERT INTO documents(id, title, length, status, text_hash) VALUES (?, ?, 1, 'new', ?)",
                    ((i, f"t{i}", f"h{i}") for i in range(1, 50_001)))
    con.execute("COMMIT")
    stop = threading.Event()

    def busy():
        x = 0
        while not stop.is_set():
            x += 1
    thread = threading.Thread(target=busy)
    thread.start()
    try:
        t0 = time.perf_counter()
        ids = select_ids(con, QueueQuery(sort="title", descending=True))
        rows = fetch_rows(con, ids[:500])
        took = time.perf_counter() - t0
    finally:
        stop.set()
        thread.join()
    assert len(ids) == 50_000 and len(rows) == 500
    assert took < 2.0, f"{took:.2f} s"          # row by row: ~10 s here; one row: ~0.05 s
