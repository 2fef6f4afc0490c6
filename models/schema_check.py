"""A project file is data, never code: its schema is checked before anything else touches it.

Project files are passed around, so one may come from anyone. SQLite keeps code in a
database: a trigger runs its statements whenever a row is written; a view, a column default, a
CHECK or an index expression runs whenever it is read or written. So before the app writes a
row, or upgrades, or reads anything but the schema and its version, ``foreign`` compares every
object in the file with the objects this app makes (built for each schema version by running
``migrations`` on an empty in-memory database, so the check can never drift from what is
created). Anything else — a trigger, a view, an extra table or index, a table defined
differently, a tampered ``schema_version`` — refuses the file, naming what is wrong; nothing is
run and nothing is changed.

Definitions are compared as SQL with quoting and white space folded (sqlite-utils 3 wrote
``[name]``, sqlite-utils 4 writes ``"name"``) and column by column (names, types, NOT NULL,
defaults, keys), so a file made by any release is recognised, and nothing can hide in an
identifier. ``connect`` also sets ``PRAGMA trusted_schema=OFF`` (SQLite then refuses functions
with side effects and virtual tables inside the schema) as a second wall.
"""
from __future__ import annotations

import json
import re
import sqlite3
from functools import lru_cache

from models.display import shown
from models.project_file import StoreError

# Tables SQLite itself makes and keeps: statistics for the query planner (ANALYZE, PRAGMA
# optimize). They hold numbers, never code.
SQLITE_OWN = {"sqlite_stat1", "sqlite_stat4"}
_FOLD = re.compile(r"\s+")


class UntrustedProject(Exception):
    """A ``schema_version`` no release writes."""


class ForeignProject(StoreError):
    """A file refused because its schema holds what this app does not make."""


# A quoted plain name: "name", [name] or `name` (how sqlite-utils 3 and 4 differ).
_QUOTED_NAME = re.compile(r'"([A-Za-z_][A-Za-z0-9_]*)"|\[([A-Za-z_][A-Za-z0-9_]*)\]|`([A-Za-z_][A-Za-z0-9_]*)`')


def _normal(kind: str, sql: str | None) -> str | None:
    """A definition's SQL for comparing: white space folded. For a table or an index, whose
    every quoted word is a name (sqlite-utils quotes them, differently by release), plain
    quoted names are unquoted and case folded too; a trigger's or a view's SQL is code, where
    a double-quoted word may be a string: only its white space is folded."""
    if sql is None:
        return None
    if kind in ("table", "index"):
        sql = _QUOTED_NAME.sub(lambda m: m.group(1) or m.group(2) or m.group(3), sql).lower()
    text = _FOLD.sub(" ", sql).strip()
    return re.sub(r" ?([(),;]) ?", r"\1", text)


def objects(conn: sqlite3.Connection) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(type, name) -> (table it belongs to, its SQL folded) for every schema object, but the
    indexes SQLite makes for a table's UNIQUE and PRIMARY KEY constraints (part of the table's
    own definition)."""
    found = {}
    for kind, name, table, sql in conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master"):
        if kind == "index" and sql is None and name.startswith("sqlite_autoindex_"):
            continue
        found[(kind, name)] = (table, _normal(kind, sql))
    return found


def columns(conn: sqlite3.Connection, table: str) -> tuple:
    """A table's columns as SQLite parsed them: (name, type, not null, default, key, hidden)."""
    return tuple(tuple(r[1:]) for r in conn.execute(f"PRAGMA table_xinfo({_quote(table)})"))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _snapshot(conn: sqlite3.Connection) -> dict[tuple[str, str], tuple]:
    """(type, name) -> (its table, its folded SQL, its columns if a table)."""
    return {key: (table, sql, columns(conn, key[1]) if key[0] == "table" else None)
            for key, (table, sql) in objects(conn).items()}


@lru_cache(maxsize=1)
def _snapshots() -> dict[int, dict]:
    """Each schema version's objects, built once per process by running this app's own
    migrations on an empty in-memory database: schema 1, then each step."""
    import sqlite_utils
    from models import migrations
    from models.labels import default_labels
    from models.store import Store

    conn = sqlite3.connect(":memory:")
    try:
        migrations.create_base(sqlite_utils.Database(conn),
                               [Store._label_row(lab) for lab in default_labels()])
        snapshots = {1: _snapshot(conn)}
        for step in migrations.STEPS:
            step.run(conn)
            snapshots[step.version] = _snapshot(conn)
    finally:
        conn.close()
    return snapshots


@lru_cache(maxsize=None)
def expected(version: int) -> tuple[frozenset, dict[tuple[str, str], tuple]]:
    """What a file of schema ``version`` holds: the objects it must have, and for each object
    it may have the definitions allowed.

    Schema 1 is the first release's tables; files written between issue 3 and the step
    machinery hold some of schema 2's objects already (each added in place, as its step
    would): a version-1 file may hold those too, each in its schema-2 form.
    """
    snapshots = _snapshots()
    if version not in snapshots:
        raise ValueError(f"no schema {version}")
    allowed: dict[tuple[str, str], tuple] = {}
    for v in ((1, max(snapshots)) if version == 1 else (version,)):
        for key, definition in snapshots[v].items():
            allowed[key] = allowed.get(key, ()) + (definition,)
    return frozenset(snapshots[version]), allowed


def _describe(kind: str, name: str, table: str) -> str:
    on = f" (on {shown(table)})" if kind in ("trigger", "index") and table != name else ""
    return f"{kind} {shown(name)}{on}"


def foreign(conn: sqlite3.Connection, version: int) -> list[str]:
    """What in the file is not what this app makes for schema ``version`` (empty: all is)."""
    required, allowed = expected(version)
    have = _snapshot(conn)
    problems = []
    for key, definition in sorted(have.items(), key=lambda kv: (kv[0][0] != "trigger", kv[0])):
        kind, name = key
        if kind == "table" and name in SQLITE_OWN:
            continue
        if key not in allowed:
            problems.append(f"{_describe(kind, name, definition[0])} that this app does not make")
        elif definition not in allowed[key]:
            problems.append(f"{_describe(kind, name, definition[0])} defined differently "
                            "from this app's")
    problems += [f"no {kind} {shown(name)}" for kind, name in sorted(required - set(have))]
    return problems


def looks_like_a_project(found: dict) -> bool | None:
    """Whether the file's ``settings`` and ``documents`` tables (from ``objects``) are defined
    as some release of this app defines them (True); None if they are not, but the file has
    this app's other tables too (a project with altered tables); False if it is another
    program's database."""
    _, allowed = expected(1)
    mine = [found.get(key) in {d[:2] for d in allowed[key]}
            for key in (("table", "settings"), ("table", "documents"))]
    if all(mine):
        return True
    ours = {("table", n) for n in ("settings", "documents", "texts", "spans", "labels", "journal")}
    return None if ours <= set(found) else False


def version_of(conn: sqlite3.Connection) -> int:
    """The schema version the file's ``settings`` record, strictly: a JSON integer from 1 up
    (1 when a first-release file has no such row). Raises UntrustedProject otherwise."""
    row = conn.execute("SELECT value, typeof(value) FROM settings WHERE key = 'schema_version'"
                       ).fetchone()
    if row is None:
        return 1
    value, kind = row
    try:
        number = value if kind == "integer" else json.loads(value) if kind == "text" else None
    except (ValueError, RecursionError):
        number = None
    if type(number) is not int or number < 1 or (kind == "text" and value != str(number)):
        shown_value = shown(repr(value))[:60]
        raise UntrustedProject(f"its schema_version is {shown_value}, which no article-annotator "
                               "writes (the file was altered, or is not a project)")
    return number


__all__ = ["UntrustedProject", "ForeignProject", "objects", "looks_like_a_project", "version_of", "foreign", "expected", "SQLITE_OWN"]
