"""What a source path is, and reading it without being made to wait or fill memory.

An import reads *regular files* only. A FIFO (named pipe) would block the import until some
other process writes to it; a character device such as ``/dev/zero`` or ``/dev/urandom`` never
ends; a socket cannot be opened; a block device is a whole disk. Each is refused, named for
what it is — never "no such file", which would send the user looking for a typo. A symbolic
link to a regular file is read through (a data folder linked into place is normal); one to
anything else is refused naming both, and a link to nothing says so.

``file_problem`` classifies a path by ``os.stat``/``os.lstat`` (used by ``expand`` and the
folder walk); ``open_regular`` opens without blocking (``O_NONBLOCK``) and checks the open file
again with ``fstat``, so a path swapped for a FIFO between the two cannot hang the import.

Whole-file readers (text, HTML, brat, ``.spacy``) read at most ``MAX_FILE_BYTES``: SQLite holds
no text longer than 1,000,000,000 bytes (``SQLITE_MAX_LENGTH``), so a larger file could never be
stored, and reading it whole would only fill memory first.
"""
from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

from models.display import path_shown

# SQLite's default (and compiled-in) SQLITE_MAX_LENGTH: no string or BLOB may be longer.
MAX_TEXT_BYTES = 1_000_000_000
MAX_FILE_BYTES = MAX_TEXT_BYTES

_KINDS = ((stat.S_ISREG, "file"), (stat.S_ISDIR, "folder"), (stat.S_ISLNK, "symbolic link"),
          (stat.S_ISFIFO, "pipe"), (stat.S_ISCHR, "character device"),
          (stat.S_ISBLK, "block device"), (stat.S_ISSOCK, "socket"))


def kind_of(mode: int) -> str:
    """What a file mode is, in a word or two ("pipe", "character device", …): one table for
    the import (what a source is) and the export (what a target is)."""
    return next((name for test, name in _KINDS if test(mode)), "special file")


def _kind(mode: int) -> str:
    """The kind as an import's message says it: "a FIFO (named pipe)", "a socket"…"""
    kind = kind_of(mode)
    if kind == "special file":
        return "not a regular file"
    return "a FIFO (named pipe)" if kind == "pipe" else f"a {kind}"


def mode_problem(mode: int, path: str | os.PathLike) -> str | None:
    """Why a file of ``mode`` (``os.stat`` of ``path``, links followed) is not read, or None."""
    if stat.S_ISREG(mode):
        return None
    kind = _kind(mode)
    if os.path.islink(path):
        return (f"is a symbolic link to {kind} ({path_shown(os.path.realpath(path))}), "
                "not a regular file")
    return f"is {kind}, not a regular file"


def file_problem(path: str | os.PathLike) -> str | None:
    """None if ``path`` is a regular file (or a symbolic link to one), else why it is not read:
    ``no such file``, ``is a FIFO (named pipe), not a regular file``, ``is a symbolic link to a
    character device (/dev/zero), not a regular file``, ``is a symbolic link to x, which does
    not exist``…"""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        try:
            target = os.readlink(path)
        except OSError:
            return "no such file"
        return f"is a symbolic link to {path_shown(target)}, which does not exist"
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "is a symbolic link that leads back to itself (too many levels of links)"
        if e.errno == errno.ENOTDIR:
            return "no such file (a part of the path is a file, not a folder)"
        return f"cannot read file: {e.strerror or e}"
    except ValueError:                  # "embedded null byte": no file can have this name
        return "is not a file name (it holds a NUL character)"
    return mode_problem(st.st_mode, path)


def open_regular(path: str | os.PathLike) -> tuple[BinaryIO | None, str | None]:
    """(the open binary file, None), or (None, why it was not opened). Never blocks: a FIFO is
    refused before it is opened, and the file opened is checked again (``fstat``)."""
    why = file_problem(path)
    if why:
        return None, why
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        return None, f"cannot read file: {e.strerror or e}"
    try:
        why = mode_problem(os.fstat(fd).st_mode, path)
        if why:
            os.close(fd)
            return None, why
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb"), None
    except OSError as e:
        os.close(fd)
        return None, f"cannot read file: {e.strerror or e}"


def too_large(limit: int) -> str:
    return (f"file is larger than {limit:,} bytes, more than a project can hold as one text; "
            "split it")


def read_whole(f: BinaryIO, limit: int | None = None) -> tuple[bytes, str | None]:
    """(the file's bytes, None), or (b"", why not): an OSError, or more than ``limit`` bytes
    (default ``MAX_FILE_BYTES``; never more than that many bytes are read)."""
    limit = MAX_FILE_BYTES if limit is None else limit
    try:
        data = f.read(limit + 1)
    except OSError as e:
        return b"", f"cannot read file: {e.strerror or e}"
    if len(data) > limit:
        return b"", too_large(limit)
    return data, None


__all__ = ["MAX_TEXT_BYTES", "MAX_FILE_BYTES", "file_problem", "mode_problem", "open_regular",
           "read_whole", "too_large"]
