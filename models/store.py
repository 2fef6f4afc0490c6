"""The project file: one SQLite database (through sqlite-utils) per project.

``Store.commit(edit)`` (``models/journal.py``) is the one write path for edits: it checks the
edit against what is stored, applies it, and journals it — all in one ``BEGIN IMMEDIATE``
transaction, committed (WAL, synchronous=FULL) before it returns — and answers with an
``Outcome`` (what changed). Undo and redo go through the same method.
"""
from __future__ import annotations

import json
import sqlite3
import time
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Iterable, Iterator

import sqlite_utils

from models import contents, opening, project_file, span_strings, suggestions
from models.document import DONE, IN_PROGRESS, NEW, SKIPPED, STATUSES, Document, text_hash
from models.edits import (Batch, ChangeEntities, ChangeLabels, Decide, Dismiss, Edit, ReplaceSpans, SetStatus,
                          machine_made)
from models.project_file import ReadOnlyLocation, StoreError, WriteFailed
from models.spans import MANUAL, Span
from models.journal import HISTORY_LIMIT, StoreJournal
from models.outcome import Outcome
from models.sqlite_codes import BUSY, LOCKED, primary_code
from models.store_check import StoreCheck
from models.store_entities import StaleEntity, StoreEntities
from models.store_occurrences import StoreOccurrences
from models.store_queries import StoreQueries
from models.store_ruler import StoreRuler
from models.store_team import StaleDecision, StoreTeam
from models.rejections import StoreRejections
from models.store_labels import StoreLabels

SCHEMA_VERSION = opening.SCHEMA_VERSION        # see models/migrations.py
INTERACTIVE_TIMEOUT = 1.0   # s a window's connection waits for another writer (the CLI's: 5 s)


class StaleEdit(StoreError):
    """An edit that does not match what is stored (changed elsewhere); nothing was written."""


def _now() -> str:
    t = time.time()         # read the clock once
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


class Store(StoreJournal, StoreQueries, StoreEntities, StoreOccurrences, StoreRuler,
            StoreCheck, StoreTeam, StoreRejections, StoreLabels):
    """One project file. ``readonly``: opened with SQLite's ``mode=ro``, nothing can be
    written (``write()`` refuses; settings changed then live in memory only). ``timeout``: how
    long a write waits for another connection's transaction (a window uses a short one)."""

    def __init__(self, path: str | Path, *, readonly: bool = False, timeout: float = 5.0):
        self.path = Path(path)
        self.readonly = readonly
        self.wait = timeout             # s a write waits for another's (project_file.begin)
        self._busy_ms = int(timeout * 1000)     # the connection's own busy timeout (sqlite3's)
        self.immutable = False          # read-only in a folder SQLite cannot write: not followed
        self.upgraded: tuple[int, Path] | None = None   # (old schema, copy made before upgrading)
        self._memory: dict = {}         # settings set on a read-only store
        self._names, self._stamp = None, None   # within one write: see _label_names, _time
        self.texts = span_strings.TextCache()  # the texts of the documents opened last
        created = project_file.check(self.path, readonly)
        conn = None
        try:
            if readonly:
                conn, self.immutable = project_file.connect_readonly(self.path, timeout)
            else:
                conn = project_file.connect(self.path, timeout)
        except sqlite3.DatabaseError as e:
            if created:
                self.path.unlink(missing_ok=True)
            raise project_file.open_error(self.path, e) from e
        self.db = sqlite_utils.Database(conn)
        self._key = project_file.file_key(self.path)
        project_file.hold(self._key)        # never open()ed again while open here: see there
        try:
            self._ensure_schema()
        except BaseException as e:
            project_file.release(self._key)
            conn.close()        # a refused file is not left open (and locked)
            if created:         # nothing half-made is left behind
                for p in (self.path, self._beside("-wal"), self._beside("-shm")):
                    p.unlink(missing_ok=True)
            if isinstance(e, sqlite3.DatabaseError):
                raise project_file.open_error(self.path, e) from e
            raise

    def _beside(self, suffix: str) -> Path:
        return self.path.with_name(self.path.name + suffix)

    # -- schema (models/opening.py) ------------------------------------------------------------
    def _ensure_schema(self) -> None:
        opening.ensure_schema(self)

    def data_version(self) -> int:
        """Changes when another connection commits to the file (cheap: no file access)."""
        return self.db.execute("PRAGMA data_version").fetchone()[0]

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; BEGIN IMMEDIATE so a read-then-write never races."""
        if self.readonly:
            raise StoreError(f"{self.path.name} is open read-only; nothing was changed")
        conn = self.db.conn
        if conn.in_transaction:          # nested: part of the outer transaction
            yield conn
            return
        self._names = self._stamp = None    # read again in this transaction: see _label_names, _time
        try:
            project_file.begin(conn, self.wait, self._busy_ms)
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:     # SQLITE_FULL and I/O errors roll back by themselves
                    with suppress(sqlite3.Error):   # a failed ROLLBACK never hides the cause
                        conn.execute("ROLLBACK")
                raise
        except WriteFailed:
            raise
        except sqlite3.Error as e:      # one StoreError, SQLite's result code kept on it
            failed = WriteFailed(f"{self.path.name} could not be written ({e}); nothing of "
                                 "this change was written")
            failed.sqlite_errorcode = getattr(e, "sqlite_errorcode", None)
            failed.sqlite_errorname = getattr(e, "sqlite_errorname", None)
            raise failed from e

    def close(self) -> None:
        """Close the file. A writable one is checkpointed first (its -wal copied into it and
        emptied, when no other connection is reading): the .annotator file alone then holds
        every edit — what an annotator sends to the others (``split``, ``merge``)."""
        if not self.readonly:
            with suppress(sqlite3.Error):       # busy (another reader): the -wal keeps it, as ever
                self.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.conn.close()
        project_file.release(self._key)
        self._key = None

    # -- settings ----------------------------------------------------------------------------
    def setting(self, key: str, default=None):
        if key in self._memory:
            return self._memory[key]
        row = self.db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        if row is None:
            return default
        try:
            return json.loads(row[0])
        except (TypeError, ValueError, RecursionError):
            raise contents.DamagedContent(f"the setting {key!r} in {self.path.name} is not JSON "
                                          "(the file was altered outside article-annotator?)") from None

    def _set(self, key: str, value) -> None:
        self.db.execute("INSERT OR REPLACE INTO settings(key, value) VALUES (?, ?)",
                        [key, json.dumps(value)])

    def try_set_setting(self, key: str, value) -> bool:
        """``set_setting`` that never waits for another connection's write transaction (an
        import's batch): False, nothing written, while one holds the file."""
        waits, self.wait = self.wait, 0.0
        try:
            self.set_setting(key, value)
        except WriteFailed as e:
            if primary_code(e) in (BUSY, LOCKED):
                return False
            raise
        finally:
            self.wait = waits
        return True

    def set_setting(self, key: str, value) -> None:
        if self.readonly:          # e.g. the place in a document: kept for this session only
            self._memory[key] = value
            return
        with self.write():
            self._set(key, value)

    # -- the edits themselves (journaled by models/journal.py: ``commit``, ``apply``) -----------
    def _apply(self, edit: Edit, out: Outcome) -> None:
        """Apply ``edit`` (inside the caller's transaction), noting in ``out`` what changed."""
        if isinstance(edit, ReplaceSpans):
            was, out.statuses[edit.doc_id] = self._replace_spans(edit)
            out.was.setdefault(edit.doc_id, was)
            out.spans.append(edit)
        elif isinstance(edit, SetStatus):
            if edit.new not in STATUSES:
                raise StoreError(f"unknown status {edit.new!r}")
            cur = self.db.execute("UPDATE documents SET status = ?, updated = ?, annotator = ? "
                                  "WHERE id = ? AND status = ?",
                                  [edit.new, self._time(), self.annotator, edit.doc_id, edit.old])
            if cur.rowcount != 1:
                raise StaleEdit(f"document {edit.doc_id} is no longer '{edit.old}'")
            out.was.setdefault(edit.doc_id, edit.old)
            out.statuses[edit.doc_id] = edit.new
        elif isinstance(edit, ChangeLabels):
            self._change_labels(edit)
            out.labels = True
        elif isinstance(edit, (ChangeEntities, Dismiss)):
            entities = isinstance(edit, ChangeEntities)
            try:
                self._change_entities(edit) if entities else self._dismiss(edit)
            except StaleEntity as e:
                raise StaleEdit(str(e)) from None
            if entities:
                out.entities = True
            else:
                out.dismissed = True
        elif isinstance(edit, Decide):
            try:
                self._decide(edit)
            except StaleDecision as e:
                raise StaleEdit(str(e)) from None
            out.statuses.setdefault(edit.doc_id, self.document_status(edit.doc_id))
            out.decided = True
        elif isinstance(edit, Batch):
            for sub in edit.edits:
                self._apply(sub, out)
        else:
            raise TypeError(f"not an edit: {edit!r}")

    def _replace_spans(self, edit: ReplaceSpans, imported: bool = False) -> tuple[str, str]:
        """Replace the spans; return the document's status before and now. A person's span
        records who made it (``imported``: nobody here did)."""
        db, doc = self.db, edit.doc_id
        if edit.add and self._names is None:    # the label names in the same statement
            row = db.execute("SELECT length, status, (SELECT json_group_array(name) FROM labels) "
                             "FROM documents WHERE id = ?", [doc]).fetchone()
            if row is not None:
                self._names = set(json.loads(row[2]))
        else:
            row = db.execute("SELECT length, status FROM documents WHERE id = ?", [doc]).fetchone()
        if row is None:
            raise StaleEdit(f"document {doc} does not exist")
        length, status = row[:2]
        for s in edit.remove:
            cur = db.execute("DELETE FROM spans WHERE doc_id = ? AND start = ? AND end = ? AND "
                             "label = ? AND source = ? AND ifnull(entity, 0) = ?",
                             [doc, s.start, s.end, s.label, s.source, s.entity])
            if cur.rowcount != 1:
                raise StaleEdit(f"span {s.start}-{s.end} {s.label} is not in document {doc}")
        labels = self._label_names() if edit.add else ()
        now = self._time()
        # A person's edit: one with a person's span, or one deleting a suggestion — not the
        # model's or a patterns run's own (their names say so; an undo keeps the name).
        by_hand = not machine_made(edit.text) and (bool(edit.remove) or any(s.source == MANUAL for s in edit.add))
        who = self.annotator if by_hand and not imported else None
        for s in sorted(edit.add):
            if not (0 <= s.start < s.end <= length):
                raise StoreError(f"span {s.start}-{s.end} is outside document {doc} "
                                 f"(length {length})")
            if s.label not in labels:
                raise StoreError(f"label {s.label!r} is not in the label set")
            # Stored spans never overlap: only the last one starting before s.end can clash.
            clash = db.execute("SELECT start, end FROM spans WHERE doc_id = ? AND start < ? "
                               "ORDER BY start DESC LIMIT 1", [doc, s.end]).fetchone()
            if clash and clash[1] > s.start:
                raise StaleEdit(f"span {s.start}-{s.end} overlaps {clash[0]}-{clash[1]}")
            db.execute("INSERT INTO spans(doc_id, start, end, label, source, entity, created, updated, "
                       "annotator) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [doc, s.start, s.end, s.label, s.source, s.entity or None, now, now,
                        who if s.source == MANUAL else None])
        span_strings.track(db, doc, edit.remove, edit.add, self.texts)   # counts per (label, text)
        new_status = IN_PROGRESS if status == NEW and by_hand else status
        if who:
            db.execute("UPDATE documents SET updated = ?, status = ?, annotator = ? WHERE id = ?",
                       [now, new_status, who, doc])
        else:
            db.execute("UPDATE documents SET updated = ?, status = ? WHERE id = ?", [now, new_status, doc])
        return status, new_status

    def _time(self) -> str:
        """The time of the write under way, read from the clock once per transaction."""
        self._stamp = self._stamp or _now()
        return self._stamp

    # -- documents ---------------------------------------------------------------------------
    def add_documents(self, docs: Iterable[dict]) -> tuple[list[int], int]:
        """Insert documents (dicts with text, title, meta, status, spans) in one transaction.

        Returns (new ids, number skipped because the same text is already in the project).
        Spans given with a document must be valid (callers validate and report first).
        """
        added, dupes = [], 0
        with self.write():
            now = self._time()      # one time for the rows and the spans: updated == created
            for d in docs:
                text = d["text"]
                h = text_hash(text)
                if self.db.execute("SELECT 1 FROM documents WHERE text_hash = ?", [h]).fetchone():
                    dupes += 1
                    continue
                cur = self.db.execute(
                    "INSERT INTO documents(title, length, meta, status, text_hash, created, updated, "
                    "annotator) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [d.get("title") or "", len(text), json.dumps(d.get("meta") or {}, ensure_ascii=False),
                     d.get("status") or NEW, h, now, now, d.get("annotator") or None])
                doc_id = cur.lastrowid
                self.db.execute("INSERT INTO texts(doc_id, text) VALUES (?, ?)", [doc_id, text])
                spans = d.get("spans") or ()
                if spans:
                    self._replace_spans(ReplaceSpans(doc_id, (), tuple(spans)), imported=True)
                    suggestions.imported(self.db, doc_id, spans, now)
                    self.db.execute("UPDATE documents SET status = ? WHERE id = ?",
                                    [d.get("status") or NEW, doc_id])
                added.append(doc_id)
        return added, dupes

    _DOCUMENT = ("SELECT d.id, t.text, d.title, d.meta, d.status, d.text_hash, d.length, d.annotator "
                 "FROM documents d LEFT JOIN texts t ON t.doc_id = d.id")   # no text: damaged

    def document(self, doc_id: int) -> Document | None:
        """The document, checked (``contents.DamagedContent`` names what is wrong)."""
        with contents.decoding(doc_id):
            row = self.db.execute(self._DOCUMENT + " WHERE d.id = ?", [doc_id]).fetchone()
        doc = None if row is None else contents.document(row)
        if doc is not None:
            self.texts.put(doc_id, doc.text)        # its next edit counts its spans' texts
        return doc

    def find_text(self, text: str) -> int | None:
        """The id of the document whose text is exactly ``text``, if there is one."""
        row = self.db.execute("SELECT id FROM documents WHERE text_hash = ?", [text_hash(text)]).fetchone()
        return row[0] if row else None

    def document_status(self, doc_id: int) -> str | None:
        row = self.db.execute("SELECT status FROM documents WHERE id = ?", [doc_id]).fetchone()
        return row[0] if row else None

    def next_document(self, after: int | None, statuses=(NEW, IN_PROGRESS)) -> int | None:
        """The next document (by id, wrapping around) whose status is in ``statuses``."""
        marks = ",".join("?" * len(statuses))
        q = f"SELECT id FROM documents WHERE status IN ({marks}) AND id > ? ORDER BY id LIMIT 1"
        row = self.db.execute(q, [*statuses, after or 0]).fetchone()
        if row is None and after:
            row = self.db.execute(q, [*statuses, 0]).fetchone()
        return row[0] if row else None

    def mark_preannotated(self, doc_id: int, model: str) -> None:
        with self.write():
            self.db.execute("UPDATE documents SET preannotated = ? WHERE id = ?", [model, doc_id])

    def preannotated(self, doc_id: int) -> str | None:
        row = self.db.execute("SELECT preannotated FROM documents WHERE id = ?", [doc_id]).fetchone()
        return row[0] if row else None

    # -- spans, labels, history ------------------------------------------------------------------
    def _bounds(self, doc_id: int) -> tuple[str | None, int]:
        """(title, length) of a document, for checking its spans."""
        row = self.db.execute("SELECT title, length FROM documents WHERE id = ?", [doc_id]).fetchone()
        return (row[0], row[1]) if row else (None, 0)

    # The index on (doc_id, start) gives the rows in start order (column_spans checks it)
    _SPAN_COLUMNS = ("SELECT count(*), group_concat(start), group_concat(end), sum(start), sum(end), "
                     f"group_concat(label, '{contents.SEP}'), min(label), max(label), "
                     f"group_concat(source, '{contents.SEP}'), min(source), max(source), "
                     "count(entity), sum(entity), min(entity), group_concat(ifnull(entity, '')) "
                     "FROM spans WHERE doc_id = ?")

    def spans(self, doc_id: int) -> list[Span]:
        """The document's spans by start, checked against its length and each other: read as
        columns (``contents.column_spans``), and row by row only if they do not all pass (those
        checks then name what is wrong). 20,000 spans: ~12 ms, row by row ~35 ms."""
        title, length = self._bounds(doc_id)
        with suppress(sqlite3.Error):           # a text that is not UTF-8, a sum past 64 bits...
            columns = self.db.execute(self._SPAN_COLUMNS, [doc_id]).fetchone()
            found = contents.column_spans(length, columns) if columns[0] else []
            if found is not None:
                return found
        rows = self.db.execute("SELECT start, end, label, source, entity FROM spans WHERE doc_id = ? "
                               "ORDER BY start", [doc_id]).fetchall()
        if not rows:
            return []
        return contents.spans(doc_id, title, length, rows)

    def iter_documents(self, statuses: tuple[str, ...] | None = (DONE,)) -> Iterator[tuple[Document, list[Span]]]:
        """Documents (in id order) with their spans (sorted), each checked
        (``contents.DamagedContent`` names what is wrong): those whose status is in
        ``statuses`` (every document for None). Two streaming queries walked side by side, so
        100,000 documents cost two statements, not 200,000."""
        where, args = "", []
        if statuses:
            where, args = f" WHERE d.status IN ({','.join('?' * len(statuses))})", list(statuses)
        with contents.decoding(None):
            docs = self.db.execute(self._DOCUMENT + where + " ORDER BY d.id", args)
            spans = self.db.execute(
                "SELECT s.doc_id, s.start, s.end, s.label, s.source, s.entity FROM spans s JOIN documents d "
                "ON d.id = s.doc_id" + where + " ORDER BY s.doc_id, s.start", args)
            pending = spans.fetchone()
            for row in docs:
                doc = contents.document(row)
                mine = []
                while pending is not None and pending[0] < doc.id:
                    pending = spans.fetchone()
                while pending is not None and pending[0] == doc.id:
                    mine.append(pending[1:])
                    pending = spans.fetchone()
                yield doc, contents.spans(doc.id, doc.title, len(doc.text), mine) if mine else []


__all__ = ["Store", "StoreError", "StaleEdit", "ReadOnlyLocation", "SCHEMA_VERSION",
           "INTERACTIVE_TIMEOUT", "HISTORY_LIMIT", "Outcome", "DONE", "SKIPPED", "WriteFailed"]
