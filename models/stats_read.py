"""Reading a project's figures (``models/stats.py``) from its file, in full or again for the
documents an edit changed (``StatsState``), and the people's pace from the journal
(``Speed``). Everything here reads; a window runs it on a connection of its own, off its
thread.
"""
from __future__ import annotations

import gc
import json
import sqlite3
from array import array
from bisect import bisect_left, bisect_right
from operator import itemgetter
from typing import Callable, Iterable

from models.document import DONE
from models.stats import DocShare, Tally, summary
from models.stats_pace import IDLE, Speed, classify
from models.store_ruler import entries

BATCH = 500           # documents read per step of a full read: progress, cancel, and no long hold
                      # of the GIL (a C call over 5,000 spans takes ~3 ms; the window stays fluid)

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
            # what pre-annotated a document counts only once it is done
            self._meta[doc_id] = (status, at, tuple(entries(pre)) if status == DONE else ())
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
        if not done:
            return
        ids = json.dumps(sorted(done))
        mine: dict[int, list] = {}
        for d, s, e, lab in spans:
            if d in done:
                mine.setdefault(d, []).append((s, e, lab))
        for spans in mine.values():
            t.labels_done.update(lab for _, _, lab in spans)
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
                    at = _done_at(status, created, updated)
                    ran = tuple(entries(pre)) if status == DONE else ()
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


class StatsEngine:
    """A project's figures kept for a window: its own read-only connection, the whole project
    counted once (``build``), then the documents each edit touched (``refresh``). Used by one
    thread at a time (the window's statistics worker)."""

    def __init__(self, path):
        self.path = path
        self.conn = self.state = self.speed = None

    @property
    def built(self) -> bool:
        return self.state is not None

    def build(self, progress=None, cancelled=None) -> bool:
        """Count the whole project. Python's cycle collector is held off meanwhile and the
        tally is then frozen out of its later passes (``gc.freeze``; freed by reference counts
        as ever): a full pass over a million spans' objects holds the GIL 50–130 ms — a window
        that stutters once per count (measured: the UI thread's worst delay 47–88 ms, 5–7 ms so)."""
        from models.queue import connect_reader
        if self.conn is None:
            self.conn = connect_reader(self.path)
        state = StatsState(self.conn)
        was = gc.isenabled()
        gc.disable()
        try:
            ok = state.build(progress=progress, cancelled=cancelled)
        finally:
            gc.freeze()
            if was:
                gc.enable()
        if not ok:
            return False
        self.state, self.speed = state, Speed(self.conn)
        self.speed.update()
        return True

    def refresh(self, docs, flips) -> None:
        """``docs`` changed; ``flips``: (journal entry, undone) of this window's undos and
        redos — entry 0: another writer's, whose undos are not told: the journal is read again."""
        self.state.refresh(docs)
        if any(entry == 0 for entry, _ in flips):
            self.speed = Speed(self.conn)
        for entry, undone in flips:
            self.speed.undone(entry, undone)
        self.speed.update()

    def figures(self) -> dict:
        return self.state.figures(self.speed)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def figures(conn: sqlite3.Connection) -> dict:
    """The whole project's figures at once (the command line, the report)."""
    state, speed = StatsState(conn), Speed(conn)
    state.build()
    speed.update()
    return state.figures(speed)


__all__ = ["StatsState", "StatsEngine", "Speed", "classify", "figures", "IDLE"]
