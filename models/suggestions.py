"""The ``suggested`` table: every suggestion a model (or a patterns run) made on a document,
whatever a person did with it since — what the statistics compare with the people's final
spans (``models/stats.py``). Derived from the edits as the store applies them, as the
``rejected`` table is (``models/rejections.py``); both are indexes of the journal.

A suggestion is a span with a source other than "manual". It is recorded when an edit (or an
import) adds it, and stays when a person confirms, relabels, resizes or deletes it, or when a
``--force`` re-run replaces it: it was suggested. Only undo withdraws a suggestion: undoing
the edit that added it (a pre-annotation undone was never judged).
"""
from __future__ import annotations

import sqlite3

from models.edits import Batch, Edit, ReplaceSpans, edit_from_json


def create(conn: sqlite3.Connection) -> None:
    """The table (schema 5), filled from what the file already holds: the journal's edits in
    order, the model spans standing now (imported suggestions) and the rejected ones."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'suggested'").fetchone():
        return
    conn.execute("CREATE TABLE suggested (doc_id INTEGER NOT NULL REFERENCES documents(id), "
                 "start INTEGER NOT NULL, end INTEGER NOT NULL, label TEXT NOT NULL, "
                 "source TEXT NOT NULL, created TEXT, "
                 "PRIMARY KEY (doc_id, start, end, label, source)) WITHOUT ROWID")
    conn.execute("CREATE INDEX suggested_source ON suggested(source, doc_id)")
    for entry, undone, data, created in conn.execute(
            "SELECT id, undone, edit, created FROM journal ORDER BY id").fetchall():
        if undone:
            continue
        try:
            edit = edit_from_json(data)
        except (ValueError, KeyError, TypeError):
            continue                      # a damaged entry is refused when it is read back
        _record(conn, edit, "do", created)
    conn.execute("INSERT OR IGNORE INTO suggested SELECT doc_id, start, end, label, source, created "
                 "FROM spans WHERE source != 'manual'")
    conn.execute("INSERT OR IGNORE INTO suggested SELECT doc_id, start, end, label, source, created "
                 "FROM rejected")


def track(db, edit: Edit, mode: str, now: str) -> None:
    """Keep the table in step with an edit just applied (``db``: sqlite-utils)."""
    _record(db, edit, mode, now)


def _record(db, edit: Edit, mode: str, now: str) -> None:
    subs = edit.flat() if isinstance(edit, Batch) else [edit]
    for e in subs:
        if not isinstance(e, ReplaceSpans):
            continue
        for s in e.add:
            if not s.is_manual:
                db.execute("INSERT OR IGNORE INTO suggested(doc_id, start, end, label, source, "
                           "created) VALUES (?, ?, ?, ?, ?, ?)",
                           [e.doc_id, s.start, s.end, s.label, s.source, now])
        if mode == "undo":
            # The inverse of the edit that added them: withdrawn. (The inverse of a person's
            # deletion adds the suggestion back and removes nothing of a model's.)
            for s in e.remove:
                if not s.is_manual:
                    db.execute("DELETE FROM suggested WHERE doc_id = ? AND start = ? AND end = ? "
                               "AND label = ? AND source = ?",
                               [e.doc_id, s.start, s.end, s.label, s.source])


def imported(db, doc_id: int, spans, now: str) -> None:
    """Suggestions that came in with an imported document."""
    _record(db, ReplaceSpans(doc_id, (), tuple(spans)), "do", now)


__all__ = ["create", "track", "imported"]
