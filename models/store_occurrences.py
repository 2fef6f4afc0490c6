"""The store's reads for "label every occurrence" (a mixin of ``models.store.Store``; see
``models/occurrences.py``).

The corpus is read in ranges of document ids, each in one read snapshot: SQLite's ``instr``
keeps only the documents whose text holds the string (in C, without handing 100,000 texts to
Python), and the spans of those few documents come in one more statement. A caller gets the
candidates of each range as soon as it is read (the first preview rows do not wait for the
whole scan) and can stop between two ranges.
"""
from __future__ import annotations

import json
from typing import Iterator, Sequence

from models import contents
from models.spans import Span

STEP = 4096       # document ids per range (one statement and one snapshot each)
BATCH = 256       # candidate documents handed on at a time (a range with many gives several)


class StoreOccurrences:
    """Reads on ``self.db`` (the store's sqlite_utils database) and ``self.snapshot()``."""

    db: object

    def occurrence_candidates(self, needle: str, *, folded: bool = False,
                              statuses: Sequence[str] | None = None,
                              ids: Sequence[int] | None = None, skip: int | None = None,
                              step: int | None = None) -> Iterator[tuple[int, int, list[tuple]]]:
        """The documents that may hold ``needle``, by ranges of ids: (ids read so far, ids in
        all, [(doc_id, title, status, text, spans)]) per range, ``spans`` checked and sorted.

        ``folded``: ``needle`` is lower case and compared with SQLite's ``lower(text)`` (ASCII
        letters only: the caller checks the matches itself). An empty ``needle`` keeps every
        document. ``statuses``: only documents with one of them (None: any); ``ids``: only
        these documents; ``skip``: not this one (read first by the caller)."""
        where, args = [], []
        if needle:
            where.append("instr(lower(t.text), ?) > 0" if folded else "instr(t.text, ?) > 0")
            args.append(needle)
        if statuses is not None:
            where.append(f"d.status IN ({','.join('?' * len(statuses))})")
            args.extend(statuses)
        if ids is not None:
            where.append("d.id IN (SELECT value FROM json_each(?))")
            args.append(json.dumps(sorted(set(ids))))
        if skip is not None:
            where.append("d.id != ?")
            args.append(skip)
        sql = ("SELECT d.id, d.title, d.status, t.text, d.length FROM documents d JOIN texts t "
               "ON t.doc_id = d.id WHERE d.id >= ? AND d.id < ?" +
               "".join(" AND " + w for w in where) + " ORDER BY d.id")
        if ids is not None:
            lo, hi = (min(ids), max(ids) + 1) if ids else (0, 0)
        else:
            lo, hi = self.db.execute("SELECT coalesce(min(id), 0), coalesce(max(id), -1) + 1 "
                                     "FROM documents").fetchone()
        total, step = max(hi - lo, 0), step or STEP
        for a in range(lo, hi, step):
            b = min(a + step, hi)
            with self.snapshot(), contents.decoding(None):
                cur = self.db.execute(sql, [a, b, *args])
                while True:
                    rows = cur.fetchmany(BATCH)
                    found = self._spans_of([r[0] for r in rows], {r[0]: r for r in rows})
                    docs = [(r[0], r[1] or "", r[2], _text(r), found.get(r[0], [])) for r in rows]
                    if len(rows) < BATCH:
                        yield b - lo, total, docs
                        break
                    yield rows[-1][0] - lo, total, docs
        if total == 0:
            yield 0, 0, []

    def occurrence_state(self, doc_ids: Sequence[int]) -> dict[int, tuple[str, list[Span]]]:
        """doc_id -> (status, spans) of these documents now (missing ones left out), read in
        one snapshot: what an edit built from a preview is checked against."""
        if not doc_ids:
            return {}
        with self.snapshot():
            rows = self.db.execute(
                "SELECT d.id, d.title, d.status, NULL, d.length FROM documents d WHERE d.id IN "
                "(SELECT value FROM json_each(?))", [json.dumps(sorted(set(doc_ids)))]).fetchall()
            found = self._spans_of([r[0] for r in rows], {r[0]: r for r in rows})
        return {r[0]: (r[2], found.get(r[0], [])) for r in rows}

    def _spans_of(self, doc_ids: list[int], docs: dict[int, tuple]) -> dict[int, list[Span]]:
        """The spans of these documents (one statement), checked against each one's length."""
        if not doc_ids:
            return {}
        raw: dict[int, list] = {}
        for row in self.db.execute(
                "SELECT doc_id, start, end, label, source, entity FROM spans WHERE doc_id IN "
                "(SELECT value FROM json_each(?)) ORDER BY doc_id, start", [json.dumps(doc_ids)]):
            raw.setdefault(row[0], []).append(row[1:])
        out = {}
        for doc_id, rows in raw.items():
            d = docs[doc_id]
            out[doc_id] = contents.spans(doc_id, d[1], d[4], rows)
        return out


def _text(row) -> str:
    text = row[3]
    if type(text) is not str or len(text) != row[4]:
        raise contents.DamagedContent(f"document {row[0]} in the project file is damaged: its "
                                      "text is missing or not of its stored length", row[0])
    return text


__all__ = ["StoreOccurrences", "STEP"]
