"""Several annotators (schema 6): who did what, and the versions of a merged project.

- ``journal.annotator``: who made each entry (the store's ``annotator`` when it committed).
- ``spans.annotator``: who made or last confirmed a person's span (NULL for a model's).
- ``documents.annotator``: who last changed the document by hand (its spans or its status);
  the exports' ``_annotator_id`` (JSONL), ``created_username`` (Label Studio) and so on.
- ``versions``: in a project made by ``merge`` (``models/team_merge.py``), each annotator's
  version of a document — status and spans as that annotator's file held them — side by side;
  the document's own spans are the gold the adjudicator builds (``models/adjudicate.py``).
- ``decisions``: the disagreements settled in adjudication (document, the group's range, whose
  version was chosen, who chose), written by ``Decide`` edits in the same transaction as the
  gold spans, so undo takes both back.

A project's annotator is the setting ``annotator``; a file without one is the system user's
(``default_annotator``).
"""
from __future__ import annotations

import getpass
import json
import os
import re
import sqlite3

from models.display import shown

ANNOTATOR_KEY = "annotator"
MODEL = "model"                     # the model's version in a merged project (no person's name)
_NAME = re.compile(r"^[^\x00-\x1f\x7f-\x9f,]{1,64}$")


def create(conn: sqlite3.Connection) -> None:
    """Schema 6: the annotator columns and the tables of merged projects."""
    have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    for table in ("journal", "spans", "documents"):
        cols = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        if "annotator" not in cols:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN annotator TEXT")
    if "versions" not in have:
        conn.execute("CREATE TABLE versions (doc_id INTEGER NOT NULL REFERENCES documents(id), "
                     "annotator TEXT NOT NULL, status TEXT NOT NULL, spans TEXT NOT NULL, "
                     "source_file TEXT, PRIMARY KEY (doc_id, annotator)) WITHOUT ROWID")
    if "decisions" not in have:
        conn.execute("CREATE TABLE decisions (doc_id INTEGER NOT NULL REFERENCES documents(id), "
                     "start INTEGER NOT NULL, end INTEGER NOT NULL, chosen TEXT NOT NULL, "
                     "annotator TEXT, created TEXT, PRIMARY KEY (doc_id, start, end)) WITHOUT ROWID")


def default_annotator() -> str:
    """The system user's name (the default annotator), or "annotator" when there is none."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = os.environ.get("USER") or ""
    return name if name_problem(name) is None else "annotator"


def name_problem(name) -> str | None:
    """Why ``name`` cannot be an annotator's name, if so (empty, too long, a comma or a
    control character: names are listed with commas and shown in the window)."""
    if not isinstance(name, str) or not name.strip():
        return "an annotator's name cannot be empty"
    if name != name.strip():
        return f"the name {shown(repr(name))[:70]} starts or ends with a space"
    if not _NAME.match(name):
        return (f"the name {shown(repr(name))[:70]} has a comma or a control character, or is "
                "longer than 64 characters")
    if name == MODEL:
        return f"“{MODEL}” stands for the model's version; choose another name"
    return None


def file_annotator(store, path) -> tuple[str, str | None]:
    """Whose file ``path`` is (a project from someone else): (the name, a note when it is not
    the file's own). Its ``annotator`` setting when usable, else the file's name, said in the
    note; a file whose name cannot stand for a person either is refused (StoreError)."""
    from pathlib import Path

    from models.contents import DamagedContent
    from models.project_file import StoreError
    stem = Path(path).stem
    try:
        name = store.setting(ANNOTATOR_KEY)
    except DamagedContent as e:
        name, why = None, str(e)
    else:
        why = None if name is None else name_problem(name)
    if name is not None and why is None:
        return name, None
    stem_why = name_problem(stem)
    if stem_why:
        raise StoreError(f"{path}: it names no usable annotator ({why or 'none set'}) and its file "
                         f"name cannot stand for one ({stem_why}); set one with "
                         "`article-annotator annotator FILE NAME`")
    if name is None and why is None:
        return stem, None
    return stem, (f"{path}: its annotator name {shown(repr(name))[:70]} cannot be used ({why}); "
                  f"it is {stem!r}'s here, by its file name")


def spans_json(spans) -> str:
    return json.dumps([[s.start, s.end, s.label, s.source, s.entity or None] for s in spans],
                      ensure_ascii=False)


def spans_from_json(data) -> list[tuple]:
    """A version's spans as rows (start, end, label, source, entity) for ``contents.spans``
    to check; raises ValueError when the JSON is not a list of such rows."""
    rows = json.loads(data) if isinstance(data, str) else None
    if not isinstance(rows, list) or not all(isinstance(r, list) and len(r) == 5 for r in rows):
        raise ValueError("its spans are not a list of [start, end, label, source, entity]")
    return sorted((tuple(r) for r in rows), key=lambda r: (r[0] if isinstance(r[0], int) else -1))


__all__ = ["create", "default_annotator", "name_problem", "ANNOTATOR_KEY", "MODEL", "spans_json",
           "spans_from_json"]
