"""The ``span_strings`` table: how many spans each (label, text) has across the project, kept in
step with the spans by the store's one write path (``Store._replace_spans``) — what the
statistics read for distinct and top strings per label and spans per label, instead of
cutting a million spans out of their texts each time (``models/stats_read.py``).

An edit that only confirms, links or accepts spans (same characters, same label) changes no
count and reads no text; one that does reads its document's text once.
"""
from __future__ import annotations

from collections import Counter, OrderedDict

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


class TextCache:
    """The texts of the last few documents read (a document's text never changes): an edit of
    the open document counts its spans' texts without reading its text again (a 1 MiB text
    read per edit was 7 ms of each commit)."""

    SIZE = 2

    def __init__(self):
        self._texts: OrderedDict[int, str] = OrderedDict()

    def put(self, doc_id: int, text: str) -> None:
        self._texts[doc_id] = text
        self._texts.move_to_end(doc_id)
        while len(self._texts) > self.SIZE:
            self._texts.popitem(last=False)

    def get(self, db, doc_id: int) -> str:
        text = self._texts.get(doc_id)
        if text is None:
            row = db.execute("SELECT text FROM texts WHERE doc_id = ?", [doc_id]).fetchone()
            text = row[0] if row and isinstance(row[0], str) else ""
            self.put(doc_id, text)
        else:
            self._texts.move_to_end(doc_id)
        return text


def track(db, doc_id: int, removed, added, texts: TextCache | None = None) -> None:
    """Count the spans an edit of one document removed and added (``db``: sqlite-utils)."""
    net = Counter((s.start, s.end, s.label) for s in added)
    net.subtract((s.start, s.end, s.label) for s in removed)
    net = {k: n for k, n in net.items() if n}
    if not net:
        return
    text = (texts or TextCache()).get(db, doc_id)
    by: Counter = Counter()
    for (s, e, label), n in net.items():
        by[label, text[s:e]] += n
    db.conn.executemany(_UPSERT, [(lab, t, n) for (lab, t), n in by.items() if n])
    gone = [(lab, t) for (lab, t), n in by.items() if n < 0]
    if gone:        # by key (an IN over the labels scanned the whole table: 1 ms on a big article)
        db.conn.executemany("DELETE FROM span_strings WHERE label = ? AND text = ? AND n <= 0", gone)


__all__ = ["create", "track", "TextCache"]
