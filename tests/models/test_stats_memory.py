"""The statistics engine's state per document is compact (issue 15: a dict of tuples was
~240 MB at a million documents), and stays right as documents change, come and go."""
from __future__ import annotations

import tracemalloc

from models import edits as E
from models.annotate import model_edit
from models.queue import connect_reader
from models.stats_read import Statuses, StatsEngine, StatsState

from .test_stats import figs

N = 20_000


def add_raw(store, n: int) -> None:
    """``n`` documents by raw executemany (every 10th done), as an import leaves them."""
    now = "2024-01-01T00:00:00.000Z"
    con = store.db.conn
    con.execute("BEGIN")
    con.executemany("INSERT INTO documents(id, title, length, meta, status, text_hash, created, updated) "
                    "VALUES (?, ?, 10, '{}', ?, ?, ?, ?)",
                    ((i, f"T{i}", "done" if i % 10 == 0 else "new", f"h{i}", now, now) for i in range(1, n + 1)))
    con.executemany("INSERT INTO texts(doc_id, text) VALUES (?, ?)", ((i, f"Text {i:05d}.") for i in range(1, n + 1)))
    con.execute("COMMIT")


def test_statuses_are_held_in_an_array_beside_a_byte_each():
    s = Statuses()
    for i, status in [(2, "new"), (5, "done"), (9, "new"), (7, "skipped")]:      # 7: out of order
        s.append(i, status)
    assert list(s.ids) == [2, 5, 9] and s.more == {7: "skipped"}
    assert [s.get(i) for i in (1, 2, 5, 7, 9, 10)] == [None, "new", "done", "skipped", "new", None]
    s.set(5, "in progress")                  # changed in place
    s.set(9, None)                           # gone
    s.set(12, "new")                         # added since
    s.set(7, "done")
    assert [s.get(i) for i in (2, 5, 7, 9, 12)] == ["new", "in progress", "done", None, "new"]
    assert list(s.ids) == [2, 5, 9] and s.more == {12: "new", 7: "done"}
    for k in range(300):                     # more statuses than a byte tells (a hostile file)
        s.set(2, f"s{k}")
    assert s.get(2) == "s299" and len(s.names) == 256
    s.set(2, "new")
    assert s.get(2) == "new" and 2 not in s.more


def test_a_built_state_holds_a_few_bytes_a_document(store):
    add_raw(store, N)
    conn = connect_reader(store.path)
    try:
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        state = StatsState(conn)
        state.build()
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        held = sum(d.size_diff for d in after.compare_to(before, "filename"))
        assert state.tally.statuses == {"new": N - N // 10, "done": N // 10}
        # a dict of a tuple per document: ~240 bytes each; now the done ones' (a tenth) and 9 a document
        assert held / N < 60, held / N
    finally:
        conn.close()


def test_refreshed_after_edits_new_and_removed_documents_equals_a_fresh_count(store):
    add_raw(store, 50)
    engine = StatsEngine(store.path)
    try:
        assert engine.build()
        ids, _ = store.add_documents([{"text": "Seoul and Tokyo."}, {"text": "Apple in Seoul."}])
        store.apply(model_edit(store, ids[0], [(0, 5, "GPE")], "m"))
        store.apply(E.finish(ids[0], store.spans(ids[0]), "in progress", "done", "Mark done"))
        store.apply(E.SetStatus(10, "done", "in progress", "Reopen"))
        store.apply(E.SetStatus(11, "new", "skipped", "Skip"))
        engine.refresh({ids[0], ids[1], 10, 11}, [(0, False)])
        assert engine.figures()["status"] == figs(store)["status"]
        assert {k: v for k, v in engine.figures().items() if k != "progress"} == \
            {k: v for k, v in figs(store).items() if k != "progress"}
        engine.drop()
        assert not engine.built and engine.conn is None
        assert engine.build() and engine.figures()["status"] == figs(store)["status"]
    finally:
        engine.close()
