"""Opening a project file: the checks SQLite would misreport, and its connections.

Before SQLite touches a file: a folder that cannot hold a new project, a file that is not
SQLite, a file cut short (an interrupted copy, a full disk), and a project that cannot be
written where it is (read-only file or folder: WAL needs ``-wal`` and ``-shm`` files beside
it) — each refused with a message that says what is wrong, and nothing created or changed.
"""
from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

from models.sqlite_codes import BUSY, CANTOPEN, CORRUPT, LOCKED, NOTADB, PERM, READONLY, primary_code

MAGIC = b"SQLite format 3\0"


class StoreError(Exception):
    """A project file that cannot be opened or written as asked."""

class WriteFailed(StoreError, sqlite3.OperationalError):
    """SQLite could not write (disk full, read-only, locked, I/O error); nothing was written.
    Still an ``sqlite3.OperationalError`` for callers that catch that."""


# SQLite's primary result codes that mean "the file cannot be written now", not a bug:
# PERM, BUSY, LOCKED, READONLY, IOERR, FULL, CANTOPEN.
CANNOT_WRITE = {3, 5, 6, 8, 10, 13, 14}



class ReadOnlyLocation(StoreError):
    """The project exists but cannot be written where it is: it can be opened read-only."""


def _cut_short(path: Path, header: bytes) -> tuple[int, int] | None:
    """(bytes present, bytes the header describes) if an SQLite file is shorter than its
    header says; None if not (or the header does not say)."""
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages, counter, valid_for = (int.from_bytes(header[i:i + 4], "big") for i in (28, 24, 92))
    if not pages or counter != valid_for:       # the header's size is not kept: cannot tell
        return None
    for _ in range(3):       # a checkpoint of another process may be growing it just now
        size = path.stat().st_size
        if size >= pages * page_size:
            return None
        time.sleep(0.05)
    return size, pages * page_size


def sync_folder(folder: Path) -> None:
    """Put a folder's entries (new names, renames) on disk, where the platform lets it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def project_in_the_way(target: Path, copy: bool = False) -> str | None:
    """Why writing a file (an export, or with ``copy`` a copy of a project) at ``target`` would
    destroy a project, if it would: a project file open in this process, its -wal/-shm/lock, a
    file with a -wal, -shm or lock beside it (a project maybe open elsewhere: its WAL would be
    laid over what is written), or — for an export — any SQLite file."""
    target = Path(target)
    for base, suffix in ((target, ""), *((target.with_name(target.name[:-len(x)]), x)
                                         for x in ("-wal", "-shm", ".lock")
                                         if target.name.endswith(x))):
        if file_key(base) in _OPEN:
            return (f"{target} is {'the project file' if not suffix else f'the {suffix} of the project'} "
                    f"{base.name}, which is open")
    if any(os.path.lexists(f"{target}{x}") for x in ("-wal", "-shm", ".lock")):
        return f"{target} is a project, maybe open elsewhere (its -wal, -shm or lock is beside it)"
    if not copy and target.is_file():
        with open(target, "rb") as f:
            if f.read(16) == MAGIC[:16]:
                return f"{target} is an SQLite database (a project?)"
    return None


def _pages_in_wal(path: Path, size: int, expected: int, header: bytes) -> bool:
    """Whether every page the file lacks (its bytes from ``size`` to ``expected``) is in the
    WAL beside it: reads the 24-byte frame headers only (the WAL is not open in this process:
    see ``_OPEN``)."""
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    missing = set(range(size // page_size + 1, expected // page_size + 1))
    try:
        with open(f"{path}-wal", "rb") as f:
            wal = f.read(32)
            if len(wal) < 32 or int.from_bytes(wal[8:12], "big") != page_size:
                return False
            frame = 24 + page_size
            offset = 32
            while missing:
                f.seek(offset)
                head = f.read(24)
                if len(head) < 24:
                    break
                missing.discard(int.from_bytes(head[:4], "big"))
                offset += frame
    except OSError:
        return False
    return not missing


def _has_wal(path: Path) -> bool:
    """Whether a WAL beside the file holds frames (more than its 32-byte header)."""
    try:
        return os.stat(f"{path}-wal").st_size > 32
    except OSError:
        return False


def damaged(path: Path, what: str) -> StoreError:
    return StoreError(f"{path} is damaged: {what} — an interrupted copy or a full disk? "
                      "Nothing was changed; open a backup of it instead")


# Project files this process has open: (device, inode) -> how many stores. Closing ANY file
# descriptor of a file drops every POSIX lock the process holds on it — its SQLite connections'
# too. Another process then takes itself for the file's last user, checkpoints and deletes the
# WAL under the still-open connection, whose later commits go to a deleted file: lost. (Seen: an
# export in the window, which opens a second store, then any command-line write.) So a file
# already open here is never opened with open() again; it was checked when it was first opened.
_OPEN: dict[tuple[int, int], int] = {}
_OPEN_LOCK = threading.Lock()


def file_key(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def hold(key: tuple[int, int] | None) -> None:
    if key is not None:
        with _OPEN_LOCK:
            _OPEN[key] = _OPEN.get(key, 0) + 1


def release(key: tuple[int, int] | None) -> None:
    with _OPEN_LOCK:
        if key in _OPEN:
            _OPEN[key] -= 1
            if not _OPEN[key]:
                del _OPEN[key]


def check(path: Path, readonly: bool) -> bool:
    """Refuse what SQLite would misreport, before touching anything; True: a new file."""
    if not path.exists():
        if readonly:
            raise StoreError(f"{path}: no such project")
        folder = path.parent
        if not folder.is_dir():
            raise StoreError(f"cannot create {path}: the folder {folder} does not exist")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise StoreError(f"cannot create {path}: the folder {folder} is not writable "
                             "(choose another folder); nothing was created")
        # Made here, exclusively: only the process that made the file may remove it when its
        # set-up fails (another that merely found it missing a moment before must not delete
        # what the first has begun to fill).
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:
            if path.is_symlink() and not path.exists():
                raise StoreError(f"{path} is a link to {os.readlink(path)}, which does not "
                                 "exist; nothing was created") from None
            return check(path, readonly)            # made by another process meanwhile
        return True
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a project file")
    if file_key(path) not in _OPEN:         # see _OPEN: never open() a file in use here
        with open(path, "rb") as f:
            header = f.read(100)
        if header and not MAGIC.startswith(header[:16]):
            raise StoreError(f"{path}: not a project file (it is not an SQLite database); "
                             "nothing was changed")
        if 0 < len(header) < 100:
            raise damaged(path, f"cut short to {len(header)} bytes, not even a whole SQLite header")
        short = header and _cut_short(path, header)
        if short and _pages_in_wal(path, short[0], short[1], header):
            # Another process is checkpointing: page 1 (which holds the new size) is written
            # before the file has grown; every page missing is in the WAL.
            short = None
        if short:
            raise damaged(path, f"truncated, {short[0]:,} of the {short[1]:,} bytes it should have")
    if not readonly:
        why = None
        if not os.access(path, os.W_OK):
            why = "the file is read-only"
        elif not os.access(path.parent, os.W_OK | os.X_OK):
            why = (f"its folder is not writable (SQLite needs to create {path.name}-wal and "
                   f"{path.name}-shm beside it)")
        if why:
            raise ReadOnlyLocation(f"{path} cannot be changed: {why}. It can be opened read-only.")
    return False


def connect(path: Path, timeout: float) -> sqlite3.Connection:
    """A read-write connection: foreign keys, recursive triggers, an untrusted schema. Nothing
    is written yet: ``use_wal`` once the file is known to be a project (models/schema_check)."""
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=timeout,
                           check_same_thread=False)
    try:
        distrust(conn)
        conn.execute("PRAGMA foreign_keys=ON")
        # The span-count triggers must also see rows an INSERT OR REPLACE deletes.
        conn.execute("PRAGMA recursive_triggers=ON")
    except BaseException:
        conn.close()
        raise
    return conn


def distrust(conn: sqlite3.Connection) -> None:
    """A file's schema may come from anyone: SQLite then refuses functions with side effects
    and virtual tables used inside it (triggers, views, defaults, indexes)."""
    conn.execute("PRAGMA trusted_schema=OFF")


def use_wal(conn: sqlite3.Connection) -> None:
    """WAL, synchronous=FULL: a commit is on disk before apply() returns, even across power
    loss. Changes the file's header: only for a file known to be a project (or a new one)."""
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")


def defer_sync(conn: sqlite3.Connection) -> None:
    """synchronous=NORMAL, for a connection writing beside a window (the model server's): its
    commits no longer wait for the disk while they hold the write lock (a window's commit
    would wait behind that fsync); ``settle`` puts them on disk after, holding no lock.
    The window's own commits stay FULL: each is on disk before its commit returns, and so is
    every frame of the WAL before it (an fsync flushes the whole file). Until ``settle``, a
    power cut may lose such commits (never a process kill): WAL checksums keep the file whole."""
    conn.execute("PRAGMA synchronous=NORMAL")


def begin(conn: sqlite3.Connection, wait: float, busy_ms: int) -> None:
    """BEGIN IMMEDIATE, waiting up to ``wait`` s for another writer's transaction, tried again
    every 0.1 ms for the first 2 ms: SQLite's own busy handler sleeps 1, 2, 5, 10… ms, so a key
    press that met one of the model server's 3 ms transactions waited 1, 3 or 8 ms
    (bench_model_server). The connection's busy timeout (``busy_ms``) stays for the rest."""
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        deadline, tries = time.perf_counter() + wait, 0
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as e:
                if primary_code(e) not in (BUSY, LOCKED) or time.perf_counter() >= deadline:
                    raise
            tries += 1
            time.sleep(0.0001 if tries < 20 else 0.001 if tries < 40 else 0.01)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {busy_ms}")


def settle(conn: sqlite3.Connection, path: Path) -> None:
    """Every commit made to the project at ``path`` so far on disk (an fsync of its -wal, no
    lock held; SQLite takes no lock on that file, so opening and closing it here is safe: see
    ``_OPEN``), then a passive checkpoint: what readers allow of the WAL copied into the file
    without waiting for anyone. The writer that does it after its commits keeps the WAL short,
    so a window's commit never finds it over the auto-checkpoint size (1,000 pages) and
    copies it into the file itself, in its key press."""
    try:
        fd = os.open(f"{path}-wal", os.O_RDONLY)
    except FileNotFoundError:           # nothing committed in WAL mode
        fd = None
    if fd is not None:
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except sqlite3.OperationalError as e:       # another connection checkpoints just now
        if primary_code(e) not in (BUSY, LOCKED):
            raise


def connect_readonly(path: Path, timeout: float) -> tuple[sqlite3.Connection, bool]:
    """A connection that cannot write (SQLite ``mode=ro``), and whether it is ``immutable``."""
    uri = path.resolve().as_uri() + "?mode=ro"
    for immutable in (False, True):
        conn = sqlite3.connect(uri + ("&immutable=1" if immutable else ""), uri=True,
                               isolation_level=None, timeout=timeout, check_same_thread=False)
        try:
            distrust(conn)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn, immutable
        except sqlite3.OperationalError:
            conn.close()
            # WAL needs the -shm file: in a folder where it cannot be made, no other process
            # can be writing either, so reading the file as it is is safe — unless its WAL
            # holds commits, which "immutable" would not see (an export would lose them).
            if immutable or os.access(path.parent, os.W_OK):
                raise
            if _has_wal(path):
                raise StoreError(f"{path} cannot be read here: its latest changes are in "
                                 f"{path.name}-wal, which SQLite can read only where it may "
                                 "write. Open it once in a folder you can write to (copy the "
                                 "project and its -wal file together); nothing was changed")
    raise AssertionError("unreachable")


def open_error(path: Path, e: sqlite3.DatabaseError) -> StoreError:
    """What an SQLite error while opening means for the user, by SQLite's result code."""
    msg = str(e)
    code = primary_code(e)
    if code in (READONLY, CANTOPEN, PERM):
        return ReadOnlyLocation(f"{path} cannot be changed here ({msg}). It can be opened read-only.")
    if code in (BUSY, LOCKED):
        return StoreError(f"{path} is busy: another program is writing it ({msg}); try again "
                          "in a moment")
    if code in (CORRUPT, NOTADB):
        return StoreError(f"{path}: not a project file, or a damaged one ({msg}); nothing was "
                          "changed")
    return StoreError(f"{path}: cannot open project ({msg})")


__all__ = ["StoreError", "ReadOnlyLocation", "check", "project_in_the_way", "sync_folder", "connect", "distrust", "use_wal", "defer_sync", "begin", "settle", "connect_readonly", "open_error"]
