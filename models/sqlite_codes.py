"""SQLite failures told apart by SQLite's result codes (``sqlite_errorcode``, Python 3.11),
never by the words of a message (they change between SQLite versions and are not meant for
matching). ``models.project_file.open_error`` does the same for opening a file."""
from __future__ import annotations

# Primary result codes (``sqlite_errorcode & 0xFF``; extended codes keep them in the low byte).
PERM, BUSY, LOCKED, INTERRUPT, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, NOTADB = \
    3, 5, 6, 9, 8, 10, 11, 13, 14, 26

# What a write that failed with these codes means to the person who made it.
WRITE_REASONS = {
    FULL: "the disk is full (or the file reached its size limit): free some space",
    READONLY: "the project file cannot be written (read-only): make it writable",
    BUSY: "another program is writing to the project file (it is locked): close it or wait",
    LOCKED: "another program is writing to the project file (it is locked): close it or wait",
}


def primary_code(e: BaseException | None) -> int | None:
    """SQLite's primary result code of ``e`` — or of the SQLite error it was raised from
    (``raise ... from e``) — None if neither came from SQLite."""
    while e is not None:
        code = getattr(e, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF
        e = e.__cause__
    return None


def write_reason(e: BaseException) -> str | None:
    """A failed write's cause in words, from its result code (None: no reason to add)."""
    return WRITE_REASONS.get(primary_code(e))


__all__ = ["primary_code", "write_reason", "WRITE_REASONS", "PERM", "BUSY", "LOCKED",
           "INTERRUPT", "READONLY", "IOERR", "CORRUPT", "FULL", "CANTOPEN", "NOTADB"]
