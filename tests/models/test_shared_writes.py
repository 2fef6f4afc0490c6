"""A batch written beside a window (the model server's way, issue 15): short transactions the
window's commits get in between, its commits put on disk and checkpointed by the server before
a batch is reported, the window's own commits still durable (synchronous=FULL)."""
from __future__ import annotations

import json
import subprocess
import sys

from models import annotate, model_server, project_file, write_sharing
from models.edits import ReplaceSpans
from models.spans import Span
from models.store import Store

from .helpers import MODEL_SOURCE, journal_rows, query, span_rows

TEXTS = ["Samsung opened a factory in Texas in 2023.", "Apple hired engineers in California.",
         "Toyota recalled cars in Japan on Friday.", "Kim Jong Un met Moon Jae-in in Seoul.",
         "The Bank of Korea raised rates in Seoul.", "Hyundai sold cars in Tokyo on Monday."]


def traced(store: Store) -> list[str]:
    """The statements ``store``'s connection runs from now on."""
    seen: list[str] = []
    store.db.conn.set_trace_callback(seen.append)
    return seen


def main_file_only(path) -> dict:
    """What the project's main file holds without its -wal (SQLite's ``immutable``: the WAL is
    not read), read in another process (one here would close a descriptor of the open file)."""
    code = ("import json, sqlite3, sys; c = sqlite3.connect('file:' + sys.argv[1] + '?immutable=1', uri=True); "
            "print(json.dumps({'marked': [r[0] for r in c.execute('SELECT id FROM documents WHERE preannotated "
            "IS NOT NULL ORDER BY id')], 'spans': c.execute('SELECT count(*) FROM spans').fetchone()[0]}))")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_a_shared_batch_is_written_a_document_or_a_few_per_transaction_and_a_window_gets_in_between(
        store, project, pipeline, monkeypatch):
    ids, _ = store.add_documents([{"text": t} for t in TEXTS])
    annotate.ensure_labels(store, pipeline.labels)
    monkeypatch.setattr(annotate, "WRITE_MS", 0.0)          # every document its own transaction
    window = Store(project, timeout=0)          # a busy write lock fails its commit at once
    written = []

    def pause(seconds):         # between two transactions: the window writes with no wait
        assert seconds == annotate.PAUSE_MS / 1000
        n = len(written)
        window.apply(ReplaceSpans(ids[0], (), (Span(n * 2, n * 2 + 1, "ORG"),)))
        written.append(n)
    monkeypatch.setattr(annotate, "sleep", pause)
    statements = traced(store)
    try:
        pause(0.005)                # the window has just written: the batch pauses for it
        added = annotate.preannotate(store, pipeline, ids[1:], batch_size=64, shared=True)
    finally:
        window.close()
    assert statements.count("BEGIN IMMEDIATE") == statements.count("COMMIT") == 5
    assert len(written) == 1 + 4                            # a pause between each two, none after
    # Every document whole: its spans, its journal entry and its mark, from the one batch.
    assert added == sum(len(span_rows(project, d)) for d in ids[1:]) > 5
    for d in ids[1:]:
        assert [json.loads(r[2])["text"] for r in journal_rows(project, d)] == \
            [f"Model pre-annotation ({len(span_rows(project, d))} spans)"]
    assert query(project, "SELECT id FROM documents WHERE preannotated = ? ORDER BY id",
                 [MODEL_SOURCE]) == [(d,) for d in ids[1:]]
    assert [r[:3] for r in span_rows(project, ids[0])] == [(n * 2, n * 2 + 1, "ORG") for n in range(5)]


def test_a_shared_batch_pauses_only_while_the_other_writes(store, project, pipeline, monkeypatch):
    ids, _ = store.add_documents([{"text": t} for t in TEXTS])
    annotate.ensure_labels(store, pipeline.labels)
    monkeypatch.setattr(annotate, "WRITE_MS", 0.0)
    pauses = []
    monkeypatch.setattr(annotate, "sleep", pauses.append)
    statements = traced(store)
    annotate.preannotate(store, pipeline, ids[:3], batch_size=64, shared=True)
    assert statements.count("BEGIN IMMEDIATE") == 3 and pauses == []     # nobody else wrote
    window = Store(project)
    try:
        window.apply(ReplaceSpans(ids[5], (), (Span(0, 7, "ORG"),)))
        annotate.preannotate(store, pipeline, ids[3:5], batch_size=64, shared=True)
        assert pauses == [annotate.PAUSE_MS / 1000]      # between its two transactions
        monkeypatch.setattr(write_sharing, "ACTIVE_S", 0.0)     # ... and once that write is old, none
        annotate.preannotate(store, pipeline, ids, batch_size=64, force=True, shared=True)
        assert len(pauses) == 1
    finally:
        window.close()
    assert len(query(project, "SELECT id FROM documents WHERE preannotated IS NOT NULL")) == 5


def test_a_batch_not_shared_is_one_transaction_with_no_pause(store, project, pipeline, monkeypatch):
    ids, _ = store.add_documents([{"text": t} for t in TEXTS])
    annotate.ensure_labels(store, pipeline.labels)
    monkeypatch.setattr(annotate, "WRITE_MS", 0.0)
    monkeypatch.setattr(annotate, "sleep", lambda s: (_ for _ in ()).throw(AssertionError(s)))
    statements = traced(store)
    annotate.preannotate(store, pipeline, ids, batch_size=3)
    assert statements.count("BEGIN IMMEDIATE") == 2             # one per batch, as the CLI's
    assert len(query(project, "SELECT id FROM documents WHERE preannotated IS NOT NULL")) == 6


def test_settle_puts_a_deferred_writers_commits_in_the_main_file(project):
    server, window = Store(project), Store(project)
    try:
        project_file.defer_sync(server.db.conn)
        assert server.db.execute("PRAGMA synchronous").fetchone()[0] == 1      # NORMAL
        assert window.db.execute("PRAGMA synchronous").fetchone()[0] == 2      # FULL, as ever
        ids, _ = server.add_documents([{"text": t} for t in TEXTS[:2]])
        project_file.settle(server.db.conn, server.path)
        assert main_file_only(project)["marked"] == []
        server.mark_preannotated(ids[0], "m")
        assert main_file_only(project)["marked"] == []          # in the -wal only
        project_file.settle(server.db.conn, server.path)
        assert main_file_only(project)["marked"] == [ids[0]]
        # The checkpoint is passive: a window reading meanwhile is not waited for.
        window.db.conn.execute("BEGIN")
        window.db.execute("SELECT count(*) FROM documents").fetchone()
        server.mark_preannotated(ids[1], "m")
        project_file.settle(server.db.conn, server.path)
        window.db.conn.execute("COMMIT")
        assert main_file_only(project)["marked"] == [ids[0]]
        project_file.settle(server.db.conn, server.path)
        assert main_file_only(project)["marked"] == ids
    finally:
        server.close(), window.close()


class Pipe:
    """The server's end of its pipe: records what the server says, and at each progress
    message (the server waits meanwhile) what the main file holds."""

    def __init__(self, project):
        self.project, self.sent, self.on_disk = project, [], []

    def send(self, message):
        self.sent.append(message)
        if message[1] == "progress":
            self.on_disk.append(main_file_only(self.project)["marked"])

    def poll(self):
        return False


def test_the_server_puts_each_batch_on_disk_and_in_the_main_file_once_reported(store, project, pipeline):
    ids, _ = store.add_documents([{"text": t} for t in TEXTS])
    store.close()
    pipe = Pipe(project)
    ran, processed, added = model_server._preannotate(pipe, 7, pipeline, str(project), ids, ids[0],
                                                      False, 2)
    assert (ran, processed) == (ids[1:], 6) and added > 5
    assert [m for _, status, m in pipe.sent] == [3, 5, 6]        # the skipped one counts as done
    # At each report the batches before it were in the main file, not only in the -wal (the
    # report itself goes first: a kill right after a batch's commit still counts it).
    assert pipe.on_disk == [[], ids[1:3], ids[1:5]]
    assert query(project, "SELECT count(*) FROM spans")[0][0] == added
