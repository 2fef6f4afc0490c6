"""Files written as a whole or not at all: each to ``<name>.part`` beside its target, renamed
into place when every file of the set is complete (an export's files) — and never over what is
not a regular file.

What an export may replace is decided by what is at the target (``os.lstat``, then ``os.stat``
through a link), once, before anything is written:

- nothing, or a regular file: written to ``<name>.part`` beside it, renamed over it at the end
  (the previous file stays whole until then);
- a symbolic link to a regular file (or to nothing yet, in a folder that exists): written
  *through* the link, as a shell's ``>`` or any editor does — the ``.part`` goes beside the
  file the link points to and is renamed over that file, so the link stays a link and the file
  it names gets the export (a dangling link is how "the latest export" links are often made);
- a pipe (FIFO), a terminal, ``/dev/null``, ``/dev/zero`` or ``/dev/full``, or an open
  descriptor named through ``/proc`` or ``/dev/fd`` (``/dev/stdout``): written straight into
  it — there is no file to replace, and renaming over it would destroy the device or pipe;
- any other character device (``/dev/kmsg``, ``/dev/watchdog``, ``/dev/mem``: opening or
  writing one does something), a block device (a disk), a socket, a folder (where a file is
  wanted), a link that loops or whose folder does not exist: refused (``TargetRefused``),
  nothing written.

A ``.part`` is always a new file of its own (``O_EXCL``; one left by a killed export is removed
first): a link planted under that name is removed, never written through.

``describe`` turns an ``OSError`` met while writing (disk full, read-only, permission, quota,
I/O error, a reader that closed the pipe) into the one line a person reads; ``discard`` never
raises, so a cleanup that fails too (a folder that became read-only) never hides that error.
"""
from __future__ import annotations

import errno
import os
import re
import stat
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

from models.display import path_shown, shown
from models.formats.files import kind_of
from models.project_file import sync_folder

_MAX_LINKS = 40                 # as the kernel's own limit (ELOOP)
# Character devices an export may write into (Linux numbers): /dev/null, /dev/zero, /dev/full
# (memory devices 1:3, 1:5, 1:7), and terminals — virtual consoles and serial lines (major 4),
# /dev/tty and /dev/console (5:0, 5:1), pseudo-terminals (136-143).
_WRITABLE_DEVICES = {(1, 3), (1, 5), (1, 7), (5, 0), (5, 1)}
_TERMINAL_MAJORS = {4, *range(136, 144)}


class TargetRefused(Exception):
    """What is at the target is not something an export may write; nothing was written."""


@dataclass(frozen=True)
class Target:
    path: Path                  # what was asked for
    at: Path                    # where it is written: the path, or the file a link points to
    direct: bool                # written straight into (a pipe, a device): no .part, no rename
    kind: str                   # "file", "new file", "pipe", "character device", ...
    existed: bool               # a regular file was there: the previous export

    @property
    def part(self) -> Path:
        return self.at.with_name(self.at.name + ".part")


_FD_FOLDER = re.compile(r"^/proc/[^/]+(/task/[^/]+)?/fd$")


def _through_proc(path: Path) -> bool:
    """Whether following ``path``'s links passes through a process's descriptor table
    (``/dev/stdout``, ``/dev/fd/N``, ``/proc/self/fd/N``): an open descriptor, which the
    kernel resolves itself — not a name a file can be renamed over."""
    p = str(path)
    for _ in range(_MAX_LINKS):
        if _FD_FOLDER.match(os.path.realpath(os.path.dirname(os.path.abspath(p)))):
            return True
        if not os.path.islink(p):
            return False
        p = os.path.join(os.path.dirname(p), os.readlink(p))
    return False


def target(path: str | os.PathLike) -> Target:
    """What an export to ``path`` (one file) writes and replaces; ``TargetRefused`` if it must
    not (see the module doc)."""
    path = Path(path)
    name = path_shown(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return Target(path, path, False, "new file", False)
    except OSError as e:
        raise TargetRefused(f"{name} cannot be looked at: {cause(e)}") from None
    at = path
    if stat.S_ISLNK(st.st_mode):
        try:
            st = os.stat(path)
        except FileNotFoundError:
            at = Path(os.path.realpath(path))
            if not at.parent.is_dir():
                raise TargetRefused(f"{name} is a symbolic link to {path_shown(os.readlink(path))}, "
                                    "whose folder does not exist") from None
            return Target(path, at, False, "new file", False)
        except OSError as e:
            raise TargetRefused(f"{name} is a symbolic link that cannot be followed: "
                                f"{cause(e)}") from None
        if _through_proc(path) and stat.S_ISREG(st.st_mode):     # /dev/stdout > file
            return Target(path, path, True, "open descriptor", False)
        at = Path(os.path.realpath(path))
    kind = kind_of(st.st_mode)
    if stat.S_ISREG(st.st_mode):
        return Target(path, at, False, "file", True)
    if stat.S_ISFIFO(st.st_mode) or (stat.S_ISCHR(st.st_mode) and _writable_device(st.st_rdev)):
        return Target(path, path, True, kind, False)
    if stat.S_ISCHR(st.st_mode):
        raise TargetRefused(f"{name} is a character device ({os.major(st.st_rdev)}:"
                            f"{os.minor(st.st_rdev)}) that is neither a terminal nor /dev/null; "
                            "an export writes a file, a pipe, a terminal, /dev/null or /dev/full")
    if stat.S_ISDIR(st.st_mode):
        raise TargetRefused(f"{name} is a folder")
    if stat.S_ISBLK(st.st_mode):
        raise TargetRefused(f"{name} is a block device (a disk); an export never writes over one")
    raise TargetRefused(f"{name} is a {kind}; an export writes a file, a pipe or a device "
                        "such as /dev/null")


def _writable_device(rdev: int) -> bool:
    return (os.major(rdev), os.minor(rdev)) in _WRITABLE_DEVICES or os.major(rdev) in _TERMINAL_MAJORS


def _new_file(part: Path, mode: str, like: Path | None) -> IO:
    """``part`` created afresh (never through a link or over a file someone else holds open),
    with the permissions of ``like`` (the file it will replace) if given."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(part, flags, 0o666)
    except FileExistsError:             # left by an export that was killed: a new one
        os.unlink(part)
        fd = os.open(part, flags, 0o666)
    try:
        if like is not None:
            os.fchmod(fd, stat.S_IMODE(os.stat(like).st_mode))
        if "b" in mode:
            return open(fd, "wb", closefd=True)
        return open(fd, "w", encoding="utf-8", newline="", closefd=True)
    except BaseException:
        os.close(fd)
        raise


def folder_problem(path: str | os.PathLike) -> str | None:
    """Why ``path`` cannot be the folder of an export (``spacy``, ``brat``), if it cannot: it
    must be a folder, a link to one, or nothing yet (it is created)."""
    path = Path(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as e:
        return f"{path_shown(path)} cannot be looked at: {cause(e)}"
    if stat.S_ISLNK(st.st_mode):
        try:
            st = os.stat(path)
        except OSError as e:
            what = "which does not exist" if e.errno == errno.ENOENT else f"({cause(e)})"
            return (f"{path_shown(path)} is a symbolic link to "
                    f"{path_shown(os.readlink(path))}, {what}")
    if stat.S_ISDIR(st.st_mode):
        return None
    return f"{path_shown(path)} is a {kind_of(st.st_mode)}"


def cause(error: BaseException) -> str:
    """``No space left on device (ENOSPC)``: an OS error as a person reads it."""
    if isinstance(error, OSError) and error.errno in errno.errorcode:
        return f"{error.strerror or os.strerror(error.errno)} ({errno.errorcode[error.errno]})"
    return shown(error) or type(error).__name__


def _open_direct(t: Target, mode: str) -> IO:
    """Open a pipe or a device to write straight into. A pipe nobody reads from is an error at
    once (ENXIO), not a wait for ever: opened non-blocking, then made blocking for writing."""
    fd = os.open(t.at, os.O_WRONLY | (os.O_NONBLOCK if t.kind == "pipe" else 0))
    try:
        if t.kind == "pipe":
            os.set_blocking(fd, True)
        return os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""}))
    except BaseException:
        os.close(fd)
        raise


class Parts:
    """Files of one export: each written to ``<name>.part`` beside its target (or straight into
    a pipe or device, see ``target``) and synced to disk; all renamed into place by
    ``commit()`` only once every one is complete; ``discard()`` removes the parts.

    ``many`` (brat: two files per document): no fsync per file — one ``os.sync()`` before the
    renames flushes them all at once (20,000 fsyncs took 5 s; one sync, a few ms)."""

    def __init__(self, many: bool = False):
        self.parts: list[tuple[Path, Target]] = []
        self.many = many
        self.made: list[Path] = []          # folders made for the export (removed if it fails)
        self.current: Target | None = None          # the file being written or renamed
        self.replaced: list[Target] = []            # renamed into place by commit()

    def _sync(self, f, t: Target) -> None:
        f.flush()
        if not self.many and not t.direct:
            os.fsync(f.fileno())

    def folder(self, path: Path) -> None:
        """Make the export's folder (and any missing above it), remembering what was made."""
        missing = [p for p in (path, *path.parents) if not os.path.lexists(p)]
        path.mkdir(parents=True, exist_ok=True)
        self.made += reversed(missing)

    def _open(self, path: Path, mode: str) -> tuple[Target, IO]:
        t = self.current = target(path)
        if t.direct:
            return t, _open_direct(t, mode)
        self.parts.append((t.part, t))
        return t, _new_file(t.part, mode, t.at if t.existed else None)

    @contextmanager
    def text(self, path: Path) -> Iterator[IO[str]]:
        t, f = self._open(path, "w")
        with f:
            yield f
            self._sync(f, t)

    @contextmanager
    def binary(self, path: Path) -> Iterator[IO[bytes]]:
        t, f = self._open(path, "wb")
        with f:
            yield f
            self._sync(f, t)

    def data(self, path: Path, data: bytes | str) -> None:
        t, f = self._open(path, "wb")
        with f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            self._sync(f, t)

    def commit(self) -> list[Path]:
        """Rename every part over its target; the targets, as asked for (the direct ones too)."""
        if self.many and self.parts:
            os.sync()
        folders = []
        for tmp, t in self.parts:
            self.current = t
            tmp.replace(t.at)
            self.replaced.append(t)
            if t.at.parent not in folders:
                folders.append(t.at.parent)
        self.current = None
        done = [t.path for _, t in self.parts]
        self.parts = []
        for folder in folders:
            sync_folder(folder)
        return done

    def discard(self) -> list[str]:
        """Remove the parts not renamed yet, and the folders made for the export if nothing
        is left in them. Never raises: what could not be removed is returned, said in words
        (for the message of the error that stopped the export)."""
        left = []
        for tmp, t in self.parts:
            if t in self.replaced:
                continue
            try:
                tmp.unlink(missing_ok=True)
            except OSError as e:
                left.append(f"the unfinished {path_shown(tmp)} could not be removed ({cause(e)})")
        self.parts = []
        if not self.replaced:
            for folder in reversed(self.made):
                try:
                    folder.rmdir()
                except OSError:
                    break               # not empty (or not ours to remove): left as it is
        self.made = []
        return left

    def describe(self, error: OSError, out: Path, folder: bool = False,
                 leftovers: list[str] = ()) -> str:
        """The one line for ``error`` met while writing the export to ``out`` (``folder``: a
        set of files in that folder): what could not be written, why, and what became of the
        previous files."""
        t = self.current
        if t is None and not folder:        # failed before its file was opened
            try:
                t = target(out)
            except TargetRefused:
                t = None
        if t is not None and t.direct:
            kind = "" if t.kind == "open descriptor" else f" (a {t.kind})"
            if isinstance(error, BrokenPipeError):
                text = f"the reader of {path_shown(t.path)}{kind} closed it before the end (broken pipe)"
            elif t.kind == "pipe" and error.errno == errno.ENXIO:
                text = f"nothing is reading from {path_shown(t.path)}{kind}: start its reader first"
            else:
                text = f"could not write {path_shown(t.path)}{kind}: {cause(error)}"
        else:
            name = path_shown(t.path if t is not None else out)
            text = f"could not write {name}: {cause(error)}"
            if self.replaced:
                names = ", ".join(path_shown(r.path.name) for r in self.replaced)
                text += (f"; {names} {'was' if len(self.replaced) == 1 else 'were'} already "
                         "replaced, the other files are as they were")
            elif folder:
                text += f"; the files in {path_shown(out)} are as they were"
            elif t is not None and t.existed:
                text += f"; the previous {path_shown(t.path)} is intact"
            else:
                text += "; nothing was written"
        return "; ".join([text, *leftovers])


__all__ = ["Parts", "Target", "TargetRefused", "target", "folder_problem", "cause", "kind_of"]
