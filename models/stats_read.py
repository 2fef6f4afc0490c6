"""Reading a project's figures (``models/stats.py``) from its file, in full or again for the
documents an edit changed (``StatsState``), and the people's pace from the journal
(``Speed``). Everything here reads; a window runs it on a connection of its own, off its
thread.
"""
from __future__ import annotations

import json
import sqlite3
from array import array
from bisect import bisect_left, bisect_right
from datetime import datetime
from operator import itemgetter
from typing import Callable, Iterable

from models.document import DONE
from models.edits import MODEL_PREANNOTATION, PATTERN_PREANNOTATION
from models.stats import DocShare, Tally, summary
from models.store_ruler import entries

IDLE = 300.0        # s: a longer pause between two of a person's edits is a break, not work
MIN_ACTIVE = 60.0   # s of work before a pace per hour is given
BIG = 4096          # bytes: a journal entry longer than this is classified by its head only
BATCH = 2000        # documents read per step of a full read (progress, cancel)

# Rows a damaged or hostile file holds with the wrong types are left out of the figures (the
# store names them when the document is opened or exported).
_VALID = ("typeof(start) = 'integer' AND typeof(end) = 'integer' AND typeof(label) = 'text' "
          "AND start < end")
_SPANS = f"SELECT doc_id, start, end, label FROM spans WHERE {_VALID} AND"
_SUGGESTED = f"SELECT doc_id, start, end, label, source FROM suggested WHERE {_VALID} AND typeof(source) = 'text' AND"
_DOCS = "SELECT id, status, created, updated, preannotated FROM documents"


def _done_at(status: str, created: str, updated: str) -> str | None:
    # A done document's last change is its marking done (editing it reopens it); one that
    # came in done and was never touched has updated == created.
    return updated if status == DONE and updated and updated != created else None


class StatsState:
    """A project's tally and what each document brought to it, so that an edit's documents
    are taken out and read again (``refresh``) instead of the whole project.

    Kept: the spans as read, in four arrays (doc id, start, end, label: 18 bytes a span —
    the strings are cut again from the text, which never changes), each document's status,
    time done and sources, the done documents' suggestions, and the spans of documents read
    again since (``_now``)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.tally = Tally()
        self._names: list[str] = []
        self._index: dict[str, int] = {}
        self._docs = self._starts = self._ends = self._labels = None
        self._meta: dict[int, tuple] = {}        # id -> (status, done_at, ran)
        self._sugg: dict[int, dict] = {}         # done id -> suggestions
        self._now: dict[int, list] = {}          # id -> spans, for documents read again

    def _id(self, name: str) -> int:
        i = self._index.get(name)
        if i is None:
            i = self._index[name] = len(self._names)
            self._names.append(name)
        return i

    # -- the whole project -------------------------------------------------------------------------
    def build(self, progress: Callable[[int, int], None] | None = None,
              cancelled: Callable[[], bool] | None = None) -> bool:
        """Read every document (in steps of ``BATCH``, one read transaction: one state of
        the file); False if ``cancelled`` said stop."""
        self.tally = Tally()
        self._meta, self._sugg, self._now = {}, {}, {}
        docs, starts, ends, labels = array("q"), array("i"), array("i"), array("H")
        c = self.conn
        c.execute("BEGIN")
        try:
            total = c.execute("SELECT count(*) FROM documents").fetchone()[0]
            last, n = 0, 0
            while True:
                if cancelled and cancelled():
                    return False
                rows = c.execute(f"{_DOCS} WHERE id > ? ORDER BY id LIMIT ?", [last, BATCH]).fetchall()
                if not rows:
                    break
                hi = rows[-1][0]
                spans = c.execute(f"{_SPANS} doc_id > ? AND doc_id <= ? ORDER BY doc_id, start",
                                  [last, hi]).fetchall()
                texts = dict(c.execute("SELECT doc_id, text FROM texts WHERE doc_id > ? AND doc_id <= ?",
                                       [last, hi]))
                self._batch(rows, spans, texts)
                docs.extend(map(itemgetter(0), spans))
                starts.extend(map(itemgetter(1), spans))
                ends.extend(map(itemgetter(2), spans))
                for name in {r[3] for r in spans}:
                    self._id(name)
                labels.extend(map(self._index.__getitem__, map(itemgetter(3), spans)))
                last, n = hi, n + len(rows)
                if progress:
                    progress(n, total)
        finally:
            c.execute("COMMIT")
        self._docs, self._starts, self._ends, self._labels = docs, starts, ends, labels
        return True

    def _batch(self, rows: list, spans: list, texts: dict) -> None:
        """Add a batch of documents: the spans in bulk, the done documents one by one."""
        t = self.tally
        done = set()
        for doc_id, status, created, updated, pre in rows:
            at = _done_at(status, created, updated)
            self._meta[doc_id] = (status, at, tuple(entries(pre)))
            t.statuses[status] += 1
            if status == DONE:
                done.add(doc_id)
                if at:
                    t.done_at[at[:13]] += 1
                else:
                    t.done_at_import += 1
        try:
            strings = [texts[d][s:e] for d, s, e, _ in spans]
        except (KeyError, TypeError):       # a text missing or not text: damaged, counted as ""
            strings = [_cut(texts.get(d), s, e) for d, s, e, _ in spans]
        t.add_spans(list(map(itemgetter(3), spans)), strings)
        t.labels_done.update(lab for d, _, _, lab in spans if d in done)
        if not done:
            return
        ids = json.dumps(sorted(done))
        mine: dict[int, list] = {}
        for d, s, e, lab in spans:
            if d in done:
                mine.setdefault(d, []).append((s, e, lab))
        for d, s, e, lab, src in self.conn.execute(
                f"{_SUGGESTED} doc_id IN (SELECT value FROM json_each(?)) ORDER BY doc_id, start, end",
                [ids]):
            self._sugg.setdefault(d, {}).setdefault(src, []).append((s, e, lab))
        for d in sorted(done):
            status, at, ran = self._meta[d]
            t.compare_doc(self._sugg.get(d, {}), ran, mine.get(d, []), texts.get(d) or "")

    # -- one document again ------------------------------------------------------------------------
    def _spans_of(self, doc_id: int) -> list[tuple[int, int, str]]:
        if doc_id in self._now:
            return self._now[doc_id]
        if self._docs is None:
            return []
        i, j = bisect_left(self._docs, doc_id), bisect_right(self._docs, doc_id)
        n = self._names
        return [(self._starts[k], self._ends[k], n[self._labels[k]]) for k in range(i, j)]

    def _share(self, doc_id: int, text: str) -> DocShare | None:
        meta = self._meta.get(doc_id)
        if meta is None:
            return None
        spans = self._spans_of(doc_id)
        status, at, ran = meta
        return DocShare(doc_id, status, at, spans, self._sugg.get(doc_id, {}), ran, text,
                        [text[s:e] for s, e, _ in spans])

    def refresh(self, doc_ids: Iterable[int]) -> int:
        """Take the documents' old shares out and read them again (one read transaction);
        return how many."""
        c = self.conn
        n = 0
        c.execute("BEGIN")
        try:
            for doc_id in sorted(set(doc_ids)):
                text = self._text(doc_id)
                old = self._share(doc_id, text)
                if old is not None:
                    self.tally.take(old)
                    self._meta.pop(doc_id)
                    self._sugg.pop(doc_id, None)
                row = c.execute(f"{_DOCS} WHERE id = ?", [doc_id]).fetchone()
                if row is not None:
                    _, status, created, updated, pre = row
                    spans = [(s, e, lab) for _, s, e, lab in c.execute(
                        f"{_SPANS} doc_id = ? ORDER BY start", [doc_id])]
                    sugg: dict[str, list] = {}
                    if status == DONE:
                        for _, s, e, lab, src in c.execute(f"{_SUGGESTED} doc_id = ? "
                                                           "ORDER BY start, end", [doc_id]):
                            sugg.setdefault(src, []).append((s, e, lab))
                    at, ran = _done_at(status, created, updated), tuple(entries(pre))
                    self._meta[doc_id] = (status, at, ran)
                    if sugg:
                        self._sugg[doc_id] = sugg
                    self._now[doc_id] = spans
                    self.tally.add(DocShare(doc_id, status, at, spans, sugg, ran, text,
                                            [text[s:e] for s, e, _ in spans]))
                else:
                    self._now[doc_id] = []
                n += 1
        finally:
            c.execute("COMMIT")
        return n

    def _text(self, doc_id: int) -> str:
        row = self.conn.execute("SELECT text FROM texts WHERE doc_id = ?", [doc_id]).fetchone()
        return row[0] if row and isinstance(row[0], str) else ""

    def labels(self) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self.conn.execute("SELECT name, color FROM labels ORDER BY ord, name")]

    def figures(self, speed: "Speed | None" = None) -> dict:
        return summary(self.tally, self.labels(), speed.figures() if speed else None)

    def kept_bytes(self) -> int:
        """Bytes of the span arrays kept for refreshing."""
        arrays = (self._docs, self._starts, self._ends, self._labels)
        return sum(a.itemsize * len(a) for a in arrays if a is not None)


def _cut(text, s: int, e: int) -> str:
    return text[s:e] if isinstance(text, str) else ""      # offsets are integers (_VALID)


# -- the people's pace, from the journal --------------------------------------------------------------

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
        self._sum: dict | None = None         # running totals; None: sum everything again
        self._at = float("-inf")              # the time of the last entry summed

    def update(self) -> None:
        """Read the entries new since the last update, and again the ones known undone: only
        they can have gone since (a new edit cuts the redo branch), and SQLite gives the next
        entry the id of a last one deleted."""
        again = sorted({e for e, item in self.entries.items() if item[2]} | self._watch)
        self._watch = set()
        rows = self.conn.execute(
            "SELECT id, created, undone, substr(edit, 1, 200), CASE WHEN length(edit) <= ? AND "
            "instr(substr(edit, 1, 200), ' pre-annotation') = 0 THEN edit END FROM journal "
            "WHERE id > ? OR id IN (SELECT value FROM json_each(?)) ORDER BY id",
            [BIG, self.last, json.dumps(again)]).fetchall()
        seen = set()
        for entry, created, undone, head, body in rows:
            seen.add(entry)
            kind = classify(head, body if isinstance(body, str) else None) \
                if isinstance(head, str) else OTHER
            old = self.entries.pop(entry, None)
            if entry <= self.last:
                self._sum = None                  # an entry read before: sum everything again
            self.last = max(self.last, entry)
            if kind is None:
                if undone:
                    self._watch.add(entry)        # undone: it may be cut and its id given anew
                continue
            item = self.entries[entry] = [_epoch(created), kind, bool(undone)]
            if self._sum is not None and old is None:
                self._add(item)
        for entry in again:
            if entry not in seen:
                self.entries.pop(entry, None)     # cut with the redo branch (it was undone)

    def undone(self, entry: int, undone: bool) -> None:
        """Entry ``entry`` was undone (or redone) here. A machine's entry is not kept, but it
        is read again at the next update: undone, it may be cut and its id given anew."""
        if entry not in self.entries:
            if undone:
                self._watch.add(entry)
        elif self.entries[entry][2] != undone:
            self.entries[entry][2] = undone
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


def figures(conn: sqlite3.Connection) -> dict:
    """The whole project's figures at once (the command line, the report)."""
    state, speed = StatsState(conn), Speed(conn)
    state.build()
    speed.update()
    return state.figures(speed)


__all__ = ["StatsState", "Speed", "classify", "figures", "IDLE"]
