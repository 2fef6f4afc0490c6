"""The people's pace, from the journal (``Speed``): which entries are a person's work (not a
model's or a patterns run's), documents done and corrections per hour of work, read once
and then only what is new (a part of ``models/stats_read.py``'s figures)."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from models.edits import MODEL_PREANNOTATION, PATTERN_PREANNOTATION

IDLE = 300.0        # s: a longer pause between two of a person's edits is a break, not work
MIN_ACTIVE = 60.0   # s of work before a pace per hour is given
BIG = 4096          # bytes: a journal entry longer than this is classified by its head only


CORRECTION, DONE_EVENT, SKIP_EVENT, OTHER = "correction", "done", "skipped", "other"


def classify(head: str, body: str | None) -> str | None:
    """What a journal entry was: None for a model's or a patterns run's (not a person's work),
    else a correction (spans changed), done, skipped or other (labels, entities, findings)."""
    if f'"text": "{MODEL_PREANNOTATION}' in head or f'"text": "{PATTERN_PREANNOTATION}' in head:
        return None
    if body is None:        # a big entry (a corpus-wide edit): by its head
        return CORRECTION if '"type": "spans"' in head or '"type": "batch"' in head else OTHER
    try:
        edit = json.loads(body)
    except ValueError:
        return OTHER
    flat, todo = [], [edit]
    while todo:
        e = todo.pop()
        if isinstance(e, dict) and e.get("type") == "batch":
            todo.extend(e.get("edits") or [])
        elif isinstance(e, dict):
            flat.append(e)
    spans = [e for e in flat if e.get("type") == "spans"]
    if any(isinstance(s, dict) and s.get("source", "manual") != "manual"
           for e in spans for s in e.get("add") or []):
        return None         # adds a model's spans: a model's edit (or the undo of one)
    for e in flat:
        if e.get("type") == "status" and e.get("new") in (DONE_EVENT, SKIP_EVENT):
            return DONE_EVENT if e["new"] == DONE_EVENT else SKIP_EVENT
    return CORRECTION if spans else OTHER


def _epoch(stamp) -> float:
    """Seconds of an ISO UTC stamp as the store writes them ('2026-12-07T09:15:02.123Z')."""
    try:
        return datetime.fromisoformat(stamp).timestamp()
    except (TypeError, ValueError):
        return float("nan")


class Speed:
    """The people's entries of the journal (id -> [time, kind, undone]), read once and then
    only the new ones (``update``); undo and redo flip an entry (``undone``). The active time
    (pauses of at most ``IDLE`` between a person's edits) is summed as entries arrive in time
    order, and again over all of them after an undo or an entry out of order."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.entries: dict[int, list] = {}
        self.last = 0
        self._watch: set[int] = set()         # machine entries undone here: read them again
        self._undone: set[int] = set()        # the people's entries known undone
        self._sum: dict | None = None         # running totals; None: sum everything again
        self._at = float("-inf")              # the time of the last entry summed

    def update(self) -> None:
        """Read the entries new since the last update, and again the ones known undone: only
        they can have gone since (a new edit cuts the redo branch), and SQLite gives the next
        entry the id of a last one deleted."""
        again = sorted(self._undone | self._watch)
        self._watch = set()
        cols = ("SELECT id, created, undone, substr(edit, 1, 200), CASE WHEN length(edit) <= ?1 AND "
                "instr(substr(edit, 1, 200), ' pre-annotation') = 0 THEN edit END FROM journal")
        cur = self.conn.execute(        # two indexed reads (an OR would scan the journal)
            f"{cols} WHERE id > ?2 UNION ALL {cols} WHERE id IN (SELECT value FROM json_each(?3)) "
            "AND id <= ?2 ORDER BY 1", [BIG, self.last, json.dumps(again)])
        seen = set()
        # a few thousand rows at a time: one fetchall of a long journal holds the GIL ~0.1 s
        for entry, created, undone, head, body in (r for rows in iter(lambda: cur.fetchmany(2000), [])
                                                   for r in rows):
            seen.add(entry)
            kind = classify(head, body if isinstance(body, str) else None) \
                if isinstance(head, str) else OTHER
            old = self.entries.pop(entry, None)
            self._undone.discard(entry)
            if entry <= self.last:
                self._sum = None                  # an entry read before: sum everything again
            self.last = max(self.last, entry)
            if kind is None:
                if undone:
                    self._watch.add(entry)        # undone: it may be cut and its id given anew
                continue
            item = self.entries[entry] = [_epoch(created), kind, bool(undone)]
            if undone:
                self._undone.add(entry)
            if self._sum is not None and old is None:
                self._add(item)
        for entry in again:
            if entry not in seen:
                self.entries.pop(entry, None)     # cut with the redo branch (it was undone)
                self._undone.discard(entry)

    def undone(self, entry: int, undone: bool) -> None:
        """Entry ``entry`` was undone (or redone) here. A machine's entry is not kept, but it
        is read again at the next update: undone, it may be cut and its id given anew."""
        if entry not in self.entries:
            if undone:
                self._watch.add(entry)
        elif self.entries[entry][2] != undone:
            self.entries[entry][2] = undone
            (self._undone.add if undone else self._undone.discard)(entry)
            self._sum = None

    def _add(self, item: list) -> None:
        t, kind, undone = item
        if undone or t != t:
            return
        if t < self._at:
            self._sum = None            # out of order (a clock set back): sum again
            return
        if t - self._at <= IDLE:
            self._sum["active"] += t - self._at
        self._at = t
        if kind != OTHER:               # a label or entity change is work time, not a count
            self._sum[kind] += 1

    def figures(self) -> dict:
        if self._sum is None:
            self._sum = {"active": 0.0, CORRECTION: 0, DONE_EVENT: 0, SKIP_EVENT: 0}
            self._at = float("-inf")
            for item in sorted(self.entries.values()):
                self._add(item)
            if self._sum is None:         # cannot happen once sorted; keep the type checker calm
                return {}
        active = self._sum["active"]
        hours = active / 3600
        done, fixes = self._sum[DONE_EVENT], self._sum[CORRECTION]
        pace = active >= MIN_ACTIVE       # a few seconds of work make no rate per hour
        return {"active_hours": round(hours, 3), "done_events": done, "corrections": fixes,
                "skipped_events": self._sum[SKIP_EVENT],
                "documents_per_hour": round(done / hours, 1) if pace else None,
                "corrections_per_hour": round(fixes / hours, 1) if pace else None}



__all__ = ["Speed", "classify", "IDLE", "MIN_ACTIVE", "CORRECTION", "DONE_EVENT", "SKIP_EVENT", "OTHER"]
