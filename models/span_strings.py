"""The ``span_strings`` table: how many spans each (label, text) has across the project, kept in
step with the spans by the store's one write path (``Store._replace_spans``) — what the
statistics read for distinct and top strings per label and spans per label, instead of
cutting a million spans out of their texts each time (``models/stats_read.py``).

An edit that only confirms, links or accepts spans (same characters, same label) changes no
count and reads no text; one that does reads its document's text once.
"""
from __future__ import annotations

from collections import Counter

_UPSERT = ("INSERT INTO span_strings(label, text, n) VALUES (?, ?, ?) "
           "ON CONFLICT(label, text) DO UPDATE SET n = n + excluded.n")


def create(conn) -> None:
    """The table (schema 5), counted from the spans the file holds."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'span_strings'").fetchone():
        return
    conn.execute("CREATE TABLE span_strings (label TEXT NOT NULL, text TEXT NOT NULL, "
                 "n INTEGER NOT NULL, PRIMARY KEY (label, text)) WITHOUT ROWID")
    conn.execute("CREATE INDEX span_strings_rank ON span_strings(label, n DESC, text)")   # the top ones
    counts: Counter = Counter()
    last = 0
    while True:
        docs = [r[0] for r in conn.execute("SELECT DISTINCT doc_id FROM spans WHERE doc_id > ? "
                                           "ORDER BY doc_id LIMIT 500", [last])]
        if not docs:
            break
        for doc in docs:
            row = conn.execute("SELECT text FROM texts WHERE doc_id = ?", [doc]).fetchone()
            text = row[0] if row and isinstance(row[0], str) else ""
            for s, e, label in conn.execute("SELECT start, end, label FROM spans WHERE doc_id = ?", [doc]):
                if isinstance(s, int) and isinstance(e, int) and isinstance(label, str):
                    counts[label, text[s:e]] += 1
        last = docs[-1]
    conn.executemany("INSERT INTO span_strings(label, text, n) VALUES (?, ?, ?)",
                     [(lab, t, n) for (lab, t), n in counts.items()])


def track(db, doc_id: int, removed, added) -> None:
    """Count the spans an edit of one document removed and added (``db``: sqlite-utils)."""
    net = Counter((s.start, s.end, s.label) for s in added)
    net.subtract((s.start, s.end, s.label) for s in removed)
    net = {k: n for k, n in net.items() if n}
    if not net:
        return
    row = db.execute("SELECT text FROM texts WHERE doc_id = ?", [doc_id]).fetchone()
    text = row[0] if row and isinstance(row[0], str) else ""
    by: Counter = Counter()
    for (s, e, label), n in net.items():
        by[label, text[s:e]] += n
    db.conn.executemany(_UPSERT, [(lab, t, n) for (lab, t), n in by.items() if n])
    if any(n < 0 for n in by.values()):
        db.execute("DELETE FROM span_strings WHERE n <= 0 AND label IN (SELECT value FROM json_each(?))",
                   [_json([lab for (lab, _t), n in by.items() if n < 0])])


def _json(values) -> str:
    import json
    return json.dumps(sorted(set(values)))


__all__ = ["create", "track"]
