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
from bisect import bisect_left
from typing import Callable, Iterable

from models.document import DONE
from models.stats import TOP, DocShare, Tally, summary
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
_COUNTED = "typeof(n) = 'integer' AND n > 0 AND typeof(label) = 'text' AND typeof(text) = 'text'"


def _done_at(status: str, created: str, updated: str) -> str | None:
    # A done document's last change is its marking done (editing it reopens it); one that
    # came in done and was never touched has updated == created.
    return updated if status == DONE and updated and updated != created else None


class Statuses:
    """Each document's status, compactly (9 bytes a document instead of ~240 in a dict of
    tuples: 240 MB at a million): the ids read at first in order (an array) beside a byte each,
    an index into the statuses seen (0: gone), and a dict for the documents added or given
    a status past the first 255 since."""

    def __init__(self):
        self.ids, self.codes = array("q"), bytearray()
        self.more: dict[int, object] = {}
        self.names: list = [None]
        self._code: dict = {}

    def _of(self, status) -> int | None:
        c = self._code.get(status)
        if c is None and len(self.names) < 256:
            c = self._code[status] = len(self.names)
            self.names.append(status)
        return c

    def _at(self, doc_id: int) -> int:
        i = bisect_left(self.ids, doc_id)
        return i if i < len(self.ids) and self.ids[i] == doc_id else -1

    def append(self, doc_id: int, status) -> None:
        """A document of the first read (in id order)."""
        c = self._of(status)
        if c is None or (self.ids and doc_id <= self.ids[-1]):
            self.more[doc_id] = status
        else:
            self.ids.append(doc_id)
            self.codes.append(c)

    def get(self, doc_id: int):
        """Its status; None: not held."""
        if doc_id in self.more:
            return self.more[doc_id]
        i = self._at(doc_id)
        return self.names[self.codes[i]] if i >= 0 else None

    def set(self, doc_id: int, status) -> None:
        """``status`` None: the document is gone."""
        self.more.pop(doc_id, None)
        i = self._at(doc_id)
        c = self._of(status) if status is not None else 0
        if i >= 0:
            self.codes[i] = c or 0
        if status is not None and (i < 0 or c is None):
            self.more[doc_id] = status


class StatsState:
    """A project's tally and what each document brought to it, so that an edit's documents
    are taken out and read again (``refresh``) instead of the whole project.

    Kept per document: its status, when it was done and what pre-annotated it; for the done
    ones also their spans and suggestions (what their share was made of). The spans per label
    and text across the project are read from the ``span_strings`` table (the store keeps it),
    for every label at first and then for the labels an edit touched."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.tally = Tally()
        self._status = Statuses()                # every document's status
        self._meta: dict[int, tuple] = {}        # done id -> (done_at, ran)
        self._spans: dict[int, list] = {}        # done id -> spans
        self._sugg: dict[int, dict] = {}         # done id -> suggestions

    # -- the whole project -------------------------------------------------------------------------
    def build(self, progress: Callable[[int, int], None] | None = None,
              cancelled: Callable[[], bool] | None = None) -> bool:
        """Read every document (in steps of ``BATCH``, one read transaction: one state of
        the file); False if ``cancelled`` said stop."""
        self.tally = Tally()
        self._status, self._meta, self._spans, self._sugg = Statuses(), {}, {}, {}
        c = self.conn
        c.execute("BEGIN")
        try:
            total = c.execute("SELECT count(*) FROM documents").fetchone()[0]
            last, n = 0, 0
            while True:
                if cancelled and cancelled():
                    return False
                rows = c.execute(f"{_DOCS} WHERE id > ? ORDER BY id LIMIT ?", [last, BATCH * 10]).fetchall()
                if not rows:
                    break
                self._batch(rows)
                last, n = rows[-1][0], n + len(rows)
                if progress:
                    progress(n, total)
            self.read_strings(None)
        finally:
            c.execute("COMMIT")
        return True

    def _batch(self, rows: list) -> None:
        """Add a batch of documents: statuses for all, the done ones one by one."""
        t = self.tally
        done = []
        for doc_id, status, created, updated, pre in rows:
            self._status.append(doc_id, status)
            if status == DONE:      # what pre-annotated a document counts only once it is done
                self._meta[doc_id] = (_done_at(status, created, updated), tuple(entries(pre)))
                done.append(doc_id)
            else:
                t.statuses[status] += 1
        for i in range(0, len(done), BATCH):
            for d in self._done_shares(done[i:i + BATCH]):
                t.add(d)

    def _done_shares(self, ids: list[int]) -> list[DocShare]:
        """The shares of done documents ``ids``: spans, suggestions, texts (kept for refreshing)."""
        c = self.conn
        arg = json.dumps(ids)
        spans: dict[int, list] = {d: [] for d in ids}
        for d, s, e, lab in c.execute(f"{_SPANS} doc_id IN (SELECT value FROM json_each(?)) "
                                      "ORDER BY doc_id, start", [arg]):
            spans[d].append((s, e, lab))
        sugg: dict[int, dict] = {}
        for d, s, e, lab, src in c.execute(f"{_SUGGESTED} doc_id IN (SELECT value FROM json_each(?)) "
                                           "ORDER BY doc_id, start, end", [arg]):
            sugg.setdefault(d, {}).setdefault(src, []).append((s, e, lab))
        texts = dict(c.execute("SELECT doc_id, text FROM texts WHERE doc_id IN (SELECT value FROM "
                               "json_each(?))", [arg])) if sugg else {}
        out = []
        for d in ids:
            at, ran = self._meta[d]
            self._spans[d] = spans[d]
            if d in sugg:
                self._sugg[d] = sugg[d]
            text = texts.get(d)
            out.append(DocShare(d, DONE, at, spans[d], sugg.get(d, {}), ran,
                                text if isinstance(text, str) else ""))
        return out

    def read_strings(self, labels: Iterable[str] | None) -> None:
        """Spans, distinct texts and the top texts of ``labels`` (None: every label) from
        ``span_strings``."""
        c, strings = self.conn, self.tally.strings
        if labels is None:
            strings.clear()
            rows = c.execute(f"SELECT label, sum(n), count(*) FROM span_strings WHERE {_COUNTED} "
                             "GROUP BY label").fetchall()
        else:
            rows = [(lab, *c.execute(f"SELECT sum(n), count(*) FROM span_strings WHERE label = ? AND "
                                     f"{_COUNTED}", [lab]).fetchone()) for lab in set(labels)]
        for label, n, distinct in rows:
            if not n:
                strings.pop(label, None)
                continue
            top = [[t, k] for t, k in c.execute(
                f"SELECT text, n FROM span_strings WHERE label = ? AND {_COUNTED} "
                "ORDER BY n DESC, text LIMIT ?", [label, TOP])]
            strings[label] = (n, distinct, top)

    # -- one document again ------------------------------------------------------------------------
    def _share(self, doc_id: int, text: str) -> DocShare | None:
        status = self._status.get(doc_id)
        if status is None:
            return None
        at, ran = self._meta.get(doc_id, (None, ()))
        return DocShare(doc_id, status, at, self._spans.get(doc_id, []), self._sugg.get(doc_id, {}),
                        ran, text)

    def refresh(self, doc_ids: Iterable[int], labels: Iterable[str] | None = None) -> int:
        """Take the documents' old shares out and read them again, and the counts of
        ``labels`` (the labels of the spans the edits removed or added; None: every label);
        one read transaction. Returns how many documents."""
        c = self.conn
        n = 0
        c.execute("BEGIN")
        try:
            for doc_id in sorted(set(doc_ids)):
                old = self._status.get(doc_id)
                text = self._text(doc_id) if (old == DONE and doc_id in self._sugg) else ""
                share = self._share(doc_id, text)
                if share is not None:
                    self.tally.take(share)
                    self._status.set(doc_id, None)
                    self._meta.pop(doc_id, None)
                    self._spans.pop(doc_id, None)
                    self._sugg.pop(doc_id, None)
                row = c.execute(f"{_DOCS} WHERE id = ?", [doc_id]).fetchone()
                if row is not None:
                    _, status, created, updated, pre = row
                    self._status.set(doc_id, status)
                    if status == DONE:
                        self._meta[doc_id] = (_done_at(status, created, updated), tuple(entries(pre)))
                        self.tally.add(self._done_shares([doc_id])[0])
                    else:
                        self.tally.statuses[status] += 1
                n += 1
            self.read_strings(labels)
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
        self.state = self.speed = None          # the old one let go first: never two held at once
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

    def refresh(self, docs, flips, labels=None) -> None:
        """``docs`` changed, and the spans of ``labels`` (None: maybe any); ``flips``: (journal
        entry, undone) of this window's undos and redos — entry 0: another writer's, whose
        undos are not told: the journal is read again."""
        self.state.refresh(docs, labels)
        if any(entry == 0 for entry, _ in flips):
            self.speed = Speed(self.conn)
        for entry, undone in flips:
            self.speed.undone(entry, undone)
        self.speed.update()

    def figures(self) -> dict:
        return self.state.figures(self.speed)

    def drop(self) -> None:
        """Let the state go (a row per document) and the connection (its page cache); the
        next ``build`` reads everything again. Not while the engine's thread uses it."""
        self.state = self.speed = None
        self.close()

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


__all__ = ["Statuses", "StatsState", "StatsEngine", "Speed", "classify", "figures", "IDLE"]
