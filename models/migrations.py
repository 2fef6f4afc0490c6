"""Schema versions of the project file, and the steps from each version to the next.

A project records its schema in ``settings.schema_version``. Schema 1 is the first release's
tables (``create_base``). Every later change is one ``Step`` in ``STEPS``: a new
project is made by creating schema 1 and running every step, an older file by running the
steps it lacks — so both end with the same tables, and the next change is one more step.

Opening an older file (``upgrade``): first a consistent copy beside it (SQLite's backup API,
so what is still in the -wal file is included), then every missing step and the version
bump in the caller's one transaction: if a step fails, everything rolls back, the file is as
it was, and the copy stays.
"""
from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from models import span_strings, suggestions, team
from models.project_file import project_in_the_way, sync_folder


@dataclass(frozen=True)
class Step:
    version: int                              # the schema a file has once this step ran
    name: str
    run: Callable[[sqlite3.Connection], None]


class MigrationFailed(Exception):
    def __init__(self, step: Step, error: Exception):
        super().__init__(f"step '{step.name}' (to schema {step.version}) failed: {error}")
        self.step, self.error = step, error


# -- schema 1: the first release's tables --------------------------------------------------------

def create_base(db, labels: list[dict]) -> None:
    """Schema 1 in an empty database (``db``: sqlite_utils), with the default label rows."""
    db["settings"].create({"key": str, "value": str}, pk="key")
    db["documents"].create({
        "id": int, "title": str, "length": int, "meta": str, "status": str,
        "text_hash": str, "preannotated": str, "created": str, "updated": str,
    }, pk="id", not_null={"length", "status", "text_hash"})
    # The text lives in a table of its own: an edit updates a document's status row, and
    # SQLite rewrites whole rows — a 1 MB text must not ride along.
    db["texts"].create({"doc_id": int, "text": str}, pk="doc_id",
                       foreign_keys=[("doc_id", "documents", "id")], not_null={"text"})
    db["documents"].create_index(["text_hash"], unique=True)
    db["documents"].create_index(["status", "id"])
    db["spans"].create({
        "id": int, "doc_id": int, "start": int, "end": int, "label": str,
        "source": str, "created": str, "updated": str,
    }, pk="id", foreign_keys=[("doc_id", "documents", "id")],
        not_null={"doc_id", "start", "end", "label", "source"})
    # NER spans never overlap, so (doc_id, start) identifies a span.
    db["spans"].create_index(["doc_id", "start"], unique=True)
    db["labels"].create({"name": str, "color": str, "key": str,
                         "description": str, "ord": int}, pk="name")
    db["journal"].create({"id": int, "doc_id": int, "edit": str, "undone": int,
                          "created": str}, pk="id")
    db["journal"].create_index(["doc_id", "id"])
    db["labels"].insert_all(labels)


# -- schema 2 (issues 3 and 4; until then applied to schema-1 files in place) -----------------------

_COUNT_TRIGGERS = {
    "documents_spans_added": "CREATE TRIGGER documents_spans_added AFTER INSERT ON spans "
        "BEGIN UPDATE documents SET n_spans = n_spans + 1 WHERE id = NEW.doc_id; END",
    "documents_spans_removed": "CREATE TRIGGER documents_spans_removed AFTER DELETE ON spans "
        "BEGIN UPDATE documents SET n_spans = n_spans - 1 WHERE id = OLD.doc_id; END",
    "documents_spans_moved": "CREATE TRIGGER documents_spans_moved AFTER UPDATE OF doc_id ON spans "
        "WHEN OLD.doc_id IS NOT NEW.doc_id BEGIN "
        "UPDATE documents SET n_spans = n_spans - 1 WHERE id = OLD.doc_id; "
        "UPDATE documents SET n_spans = n_spans + 1 WHERE id = NEW.doc_id; END",
}
# Sorting the document list by any column walks an index instead of sorting.
_LIST_INDEXES = {
    "documents_title_nocase": "CREATE INDEX documents_title_nocase ON documents(title COLLATE NOCASE)",
    "documents_n_spans": "CREATE INDEX documents_n_spans ON documents(n_spans)",
    "documents_updated": "CREATE INDEX documents_updated ON documents(updated)",
}


def _existing(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}


# Files written between issue 3 and this module have schema 1 with some of schema 2 already
# added in place: each step of schema 2 adds only what is missing.

def _span_counts(conn: sqlite3.Connection) -> None:
    """documents.n_spans, kept by triggers whoever writes the spans, counted once now."""
    if "n_spans" not in {r[1] for r in conn.execute("PRAGMA table_info(documents)")}:
        conn.execute("ALTER TABLE documents ADD COLUMN n_spans INTEGER NOT NULL DEFAULT 0")
    have = _existing(conn)
    for name, sql in _COUNT_TRIGGERS.items():
        if name not in have:
            conn.execute(sql)
    conn.execute("UPDATE documents SET n_spans = (SELECT count(*) FROM spans s "
                 "WHERE s.doc_id = documents.id)")


def _list_indexes(conn: sqlite3.Connection) -> None:
    have = _existing(conn)
    for name, sql in _LIST_INDEXES.items():
        if name not in have:
            conn.execute(sql)


def _rejected_table(conn: sqlite3.Connection) -> None:
    """Model suggestions a person removed (kept in step by ``Store.apply``)."""
    if "rejected" in _existing(conn):
        return
    conn.execute("CREATE TABLE rejected (id INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL "
                 "REFERENCES documents(id), start INTEGER NOT NULL, end INTEGER NOT NULL, "
                 "label TEXT NOT NULL, source TEXT NOT NULL, created TEXT)")
    conn.execute("CREATE UNIQUE INDEX rejected_span ON rejected(doc_id, start, end, label, source)")


# -- schema 3 (issue 10): edits across documents ----------------------------------------------------

def _journal_docs(conn: sqlite3.Connection) -> None:
    """The documents an edit changed besides the one where it was made (``models/journal.py``):
    each shows the entry in its own history."""
    if "journal_docs" in _existing(conn):
        return
    conn.execute("CREATE TABLE journal_docs (entry INTEGER NOT NULL REFERENCES journal(id), "
                 "doc_id INTEGER NOT NULL, PRIMARY KEY (doc_id, entry)) WITHOUT ROWID")
    conn.execute("CREATE INDEX journal_docs_entry ON journal_docs(entry)")


# -- schema 4 (issue 11): entities, and the checker's dismissals -----------------------------------

def _entities(conn: sqlite3.Connection) -> None:
    """One identity for many names: a span may name an entity (``spans.entity``, NULL: none)
    with a canonical name, an optional knowledge-base id (a Wikidata QID) and a note."""
    if "entities" in _existing(conn):
        return
    conn.execute("CREATE TABLE entities (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                 "kb_id TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT '', created TEXT)")
    conn.execute("ALTER TABLE spans ADD COLUMN entity INTEGER REFERENCES entities(id)")
    conn.execute("CREATE INDEX spans_entity ON spans(entity) WHERE entity IS NOT NULL")


def _dismissed(conn: sqlite3.Connection) -> None:
    """Findings of the consistency checker a person dismissed (kind, key): kept in the project."""
    if "dismissed" in _existing(conn):
        return
    conn.execute("CREATE TABLE dismissed (kind TEXT NOT NULL, key TEXT NOT NULL, created TEXT, "
                 "PRIMARY KEY (kind, key)) WITHOUT ROWID")


# -- schema 7 (issue 15): a key press does not grow with its document's history ---------------------

def _journal_undone(conn: sqlite3.Connection) -> None:
    """The undone entries of a place, which every new edit there deletes (its redo branch),
    found in a small index of them alone: through ``(doc_id, id)`` each of the document's
    entries was read to look at ``undone`` (0.06 ms a key press at 1,000 edits, 0.3 at 5,000)."""
    conn.execute("CREATE INDEX IF NOT EXISTS journal_undone ON journal(doc_id) WHERE undone = 1")


STEPS: list[Step] = [
    Step(2, "span count per document", _span_counts),
    Step(2, "document list indexes", _list_indexes),
    Step(2, "rejected suggestions", _rejected_table),
    Step(3, "documents an edit changed besides its own", _journal_docs),
    Step(4, "entities", _entities),
    Step(4, "dismissed findings", _dismissed),
    Step(5, "every suggestion made, for the statistics", suggestions.create),
    Step(5, "spans per label and text, for the statistics", span_strings.create),
    Step(6, "annotators, versions and adjudication decisions", team.create),
    Step(7, "the undone journal entries, found at once", _journal_undone),
]
LATEST = max(s.version for s in STEPS)


def run_steps(conn: sqlite3.Connection, from_version: int) -> list[Step]:
    """Run every step a file of ``from_version`` lacks, in order, on ``conn`` (inside the
    caller's transaction). Raises ``MigrationFailed`` naming the step."""
    done = []
    for step in STEPS:
        if step.version > from_version:
            try:
                step.run(conn)
            except Exception as e:
                raise MigrationFailed(step, e) from e
            done.append(step)
    return done


# -- the copy made before an upgrade ---------------------------------------------------------------

def backup_path(path: Path, version: int) -> Path:
    """``NAME.schema1-backup.annotator`` beside ``NAME.annotator``; never an existing file:
    ``NAME.schema1-backup-2.annotator`` and so on."""
    stem, suffix = path.stem, path.suffix
    candidate = path.with_name(f"{stem}.schema{version}-backup{suffix}")
    n = 2
    while candidate.exists() or _sidecar(candidate).exists():
        candidate = path.with_name(f"{stem}.schema{version}-backup-{n}{suffix}")
        n += 1
    return candidate


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def make_backup(path: Path, version: int) -> Path:
    """A consistent copy of the project at ``path`` beside it; returns the copy's path.

    Read through a connection of its own: the caller may hold the write lock (BEGIN
    IMMEDIATE, nothing written yet), which keeps every other writer out while readers read.
    """
    target = backup_path(path, version)
    with open(target, "x"):          # fails rather than overwrite a file made since we looked
        pass
    try:
        copy_consistent(path, target)
    except BaseException:
        for made in (target, _sidecar(target), target.with_name(target.name + "-shm")):
            made.unlink(missing_ok=True)
        raise
    return target


def copy_consistent(path: Path, target: Path) -> None:
    """Copy the project at ``path`` (with what its WAL holds) into ``target`` with SQLite's
    backup API, from a read-only connection of its own, and put it on disk (file and name)."""
    src = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")    # one self-contained file, no -wal
        finally:
            dst.close()
        with open(target, "rb+") as f:
            os.fsync(f.fileno())
        sync_folder(target.parent)
    finally:
        src.close()


def copy_refused(path: Path, target: Path) -> str | None:
    """Why a copy of the project at ``path`` may not be written at ``target``, if so."""
    if Path(target).resolve() == Path(path).resolve():
        return "it is the project itself"
    return project_in_the_way(Path(target), copy=True)


def save_copy(path: Path, target: Path) -> Path:
    """File ▸ Save a copy: a consistent copy of the open project at ``target``, written beside
    it as ``.part`` and renamed when complete (an existing file there is replaced only then)."""
    target = Path(target)
    why = copy_refused(path, target)
    if why:
        raise ValueError(f"not saved: {why}; choose another name")
    part = target.with_name(target.name + ".part")
    part.unlink(missing_ok=True)
    try:
        copy_consistent(path, part)
        part.replace(target)
        sync_folder(target.parent)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return target


__all__ = ["create_base", "Step", "STEPS", "LATEST", "MigrationFailed", "run_steps", "backup_path", "make_backup",
           "copy_consistent", "copy_refused", "save_copy"]
