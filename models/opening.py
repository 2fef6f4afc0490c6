"""Opening a project file's schema: refuse what is foreign, create a new project, upgrade an
older one (a copy first), refuse a newer one. ``self`` is the ``Store`` being opened."""
from __future__ import annotations

import sqlite3

from models import contents, migrations, project_file, schema_check
from models.labels import default_labels
from models.project_file import StoreError

SCHEMA_VERSION = migrations.LATEST


def ensure_schema(self) -> None:
    """Refuse, create or upgrade (see the module doc), then check the rows every window reads
    at once — the settings and the label set — so a damaged one is refused here, naming it."""
    _schema(self)
    contents.settings(self.db.execute("SELECT key, value FROM settings"), self.path.name)
    self.labels()


def _schema(self) -> None:
    # Reads first, and only the schema: a file whose objects are not this app's is refused
    # before any row is read or written (models/schema_check.py). A current file needs no
    # write lock to open (another process may be in the middle of a long write); creating
    # or upgrading takes it and looks again.
    version = verified_version(self)
    if self.readonly:
        if version is None:
            raise StoreError(f"{self.path}: not a project file (an empty database)")
        check_version(self, version)
        return
    project_file.use_wal(self.db.conn)
    if version == SCHEMA_VERSION:
        return
    db = self.db
    with self.write():
        version = verified_version(self)
        if version is None:
            migrations.create_base(db, [self._label_row(lab) for lab in default_labels()])
            migrations.run_steps(db.conn, 1)
            self._set("schema_version", SCHEMA_VERSION)
            return
        if version < SCHEMA_VERSION:
            upgrade(self, version)


def verified_version(self) -> int | None:
    """The file's schema once it is known to hold only this app's objects; None for an
    empty file (a new project). Raises StoreError saying what is foreign."""
    conn, name = self.db.conn, self.path
    found = schema_check.objects(conn)
    if not found:
        return None
    ours = schema_check.looks_like_a_project(found)
    if ours is False:
        raise StoreError(f"{name} is an SQLite database but not an article-annotator "
                         "project; nothing was changed")
    if ours is None:                # our tables, but settings or documents altered: its
        _refuse(name, schema_check.foreign(conn, SCHEMA_VERSION))   # version cannot be trusted
    try:
        version = schema_check.version_of(conn)
    except schema_check.UntrustedProject as e:
        raise schema_check.ForeignProject(f"{name} cannot be opened: {e}; nothing was run "
                                          "or changed") from None
    check_version(self, version)
    _refuse(name, schema_check.foreign(conn, version))
    return version


def _refuse(name, foreign: list[str]) -> None:
    """Refuse the file if anything in its schema is foreign (``schema_check.foreign``)."""
    if foreign:
        more = f", and {len(foreign) - 6} more" if len(foreign) > 6 else ""
        raise schema_check.ForeignProject(
            f"{name} cannot be opened: it holds what article-annotator never makes — "
            f"{'; '.join(foreign[:6])}{more}. A project file is data, never code: it was "
            "altered, or is another program's database. Nothing was run or changed")


def check_version(self, version: int) -> None:
    if version > SCHEMA_VERSION:
        raise StoreError(f"{self.path} was made by a newer article-annotator (schema "
                         f"{version}; this one knows {SCHEMA_VERSION}): update the app to "
                         "open it; nothing was changed")
    if version < SCHEMA_VERSION and self.readonly:
        raise StoreError(f"{self.path} has an older schema ({version}) that must be upgraded "
                         "once, which needs write access: open it where it can be written")


def upgrade(self, version: int) -> None:
    """Inside the open BEGIN IMMEDIATE: copy the file, run the steps, bump the version."""
    try:
        backup = migrations.make_backup(self.path, version)
    except (OSError, sqlite3.Error) as e:
        raise StoreError(f"{self.path} has schema {version} and must be upgraded, but the copy "
                         f"kept before upgrading could not be made ({e}); nothing was "
                         "changed") from e
    try:
        migrations.run_steps(self.db.conn, version)
        self._set("schema_version", SCHEMA_VERSION)
    except (migrations.MigrationFailed, sqlite3.Error) as e:
        raise StoreError(f"{self.path}: upgrading from schema {version} to {SCHEMA_VERSION} "
                         f"failed ({e}); the file was not changed, and a copy of it made "
                         f"before the upgrade is {backup}") from e
    self.upgraded = (version, backup)


__all__ = ["ensure_schema", "verified_version", "check_version", "upgrade", "SCHEMA_VERSION"]
