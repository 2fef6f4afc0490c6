"""OS errors while an export writes — disk full, quota, I/O error, file too large, read-only,
no permission — at write, sync, rename or open, and a cleanup that fails too: one line through
the real command line, naming the cause and what became of the previous file, which is intact."""
from __future__ import annotations

import errno
import io
import os
from pathlib import Path

import pytest

from models.exporter import ExportWriteFailed, export

from .test_hostile_outputs import OLD, make_project, mine, no_parts, run


@pytest.fixture
def project(tmp_path) -> Path:
    return make_project(tmp_path)


class Failing(io.RawIOBase):
    """A file that takes ``limit`` bytes, then fails with ``code`` (as a full disk does)."""

    def __init__(self, fd: int, limit: int, code: int):
        self.real = io.FileIO(fd, "w", closefd=True)
        self.limit, self.code, self.written = limit, code, 0

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        if self.written + len(b) > self.limit:
            raise OSError(self.code, os.strerror(self.code))
        self.written += len(b)
        return self.real.write(b)

    def fileno(self) -> int:
        return self.real.fileno()

    def close(self) -> None:
        self.real.close()
        super().close()


def fail_parts(monkeypatch, code: int, limit: int = 1000):
    """Every ``.part`` opened from now on fails with ``code`` after ``limit`` bytes (the
    ``.part`` is made by ``os.open`` then wrapped by ``open(fd)`` in models.parts)."""
    from models import parts

    def opening(file, mode="r", *args, encoding=None, newline=None, **kw):
        if not isinstance(file, int):
            return open(file, mode, *args, encoding=encoding, newline=newline, **kw)
        raw = io.BufferedWriter(Failing(file, limit, code))
        return raw if "b" in mode else io.TextIOWrapper(raw, encoding=encoding, newline=newline)
    monkeypatch.setattr(parts, "open", opening, raising=False)


@pytest.mark.parametrize("code,name", [(errno.ENOSPC, "No space left on device (ENOSPC)"),
                                       (errno.EDQUOT, "Disk quota exceeded (EDQUOT)"),
                                       (errno.EIO, "Input/output error (EIO)"),
                                       (errno.EFBIG, "File too large (EFBIG)")])
@pytest.mark.parametrize("fmt", ["jsonl", "doccano", "conll", "patterns", "labels"])
def test_a_write_that_fails_keeps_the_previous_file(capsys, project, tmp_path, monkeypatch,
                                                     code, name, fmt):
    out = tmp_path / "out"
    out.write_bytes(OLD)
    fail_parts(monkeypatch, code, limit=10)
    rc, stdout, err = run(capsys, "export", project, out, "--format", fmt)
    assert (rc, stdout) == (1, "")
    assert err == f"error: not exported: could not write {out}: {name}; the previous {out} is intact\n"
    assert out.read_bytes() == OLD and no_parts(tmp_path)


def test_a_new_file_that_fails_says_nothing_was_written(capsys, project, tmp_path, monkeypatch):
    fail_parts(monkeypatch, errno.ENOSPC)
    rc, _, err = run(capsys, "export", project, tmp_path / "new.jsonl")
    assert rc == 1 and err == (f"error: not exported: could not write {tmp_path}/new.jsonl: "
                               "No space left on device (ENOSPC); nothing was written\n")
    assert mine(tmp_path) == []


@pytest.mark.parametrize("fmt", ["brat", "spacy"])
def test_a_folder_export_that_fails_keeps_the_previous_files(capsys, project, tmp_path,
                                                              monkeypatch, fmt):
    out = tmp_path / "out"
    assert run(capsys, "export", project, out, "--format", fmt)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    fail_parts(monkeypatch, errno.ENOSPC, limit=20)
    rc, _, err = run(capsys, "export", project, out, "--format", fmt, "--all")
    first = "doc-000001.txt" if fmt == "brat" else "train.spacy"
    assert rc == 1 and err == (f"error: not exported: could not write {out}/{first}: No space left "
                               f"on device (ENOSPC); the files in {out} are as they were\n")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before and no_parts(tmp_path)


@pytest.mark.parametrize("call,code,name", [
    ("fsync", errno.EIO, "Input/output error (EIO)"),
    ("fsync", errno.EDQUOT, "Disk quota exceeded (EDQUOT)"),
    ("replace", errno.EROFS, "Read-only file system (EROFS)"),
    ("replace", errno.EACCES, "Permission denied (EACCES)"),
    ("open", errno.EROFS, "Read-only file system (EROFS)"),
    ("open", errno.EACCES, "Permission denied (EACCES)"),
])
def test_errors_at_sync_rename_or_open_keep_the_previous_file(capsys, project, tmp_path,
                                                              monkeypatch, call, code, name):
    out = tmp_path / "out.jsonl"
    out.write_bytes(OLD)
    error = OSError(code, os.strerror(code))
    if call == "fsync":
        def fsync(fd):
            raise error
        monkeypatch.setattr(os, "fsync", fsync)
    elif call == "replace":
        def replace(self, target):
            raise OSError(code, os.strerror(code), str(self), None, str(target))
        monkeypatch.setattr(Path, "replace", replace)
    else:
        real_open = os.open

        def opening(path, *a, **kw):
            if os.fsdecode(path).endswith(".part"):
                raise OSError(code, os.strerror(code), os.fsdecode(path))
            return real_open(path, *a, **kw)
        monkeypatch.setattr(os, "open", opening)
    rc, _, err = run(capsys, "export", project, out)
    assert rc == 1
    assert err == f"error: not exported: could not write {out}: {name}; the previous {out} is intact\n"
    assert out.read_bytes() == OLD and no_parts(tmp_path)


def test_a_real_permission_error(capsys, project, tmp_path):
    """sysfs refuses new files even to root: a real EACCES."""
    if os.access("/sys", os.W_OK) and not os.path.exists("/sys/kernel"):
        pytest.skip("no sysfs")
    rc, _, err = run(capsys, "export", project, "/sys/out.jsonl")
    if "EACCES" not in err and "EROFS" not in err:
        pytest.skip(f"sysfs here allows it: {err}")
    assert rc == 1 and err.count("\n") == 1 and err.startswith(
        "error: not exported: could not write /sys/out.jsonl: ")
    assert err.endswith("; nothing was written\n") and not os.path.exists("/sys/out.jsonl")


def test_a_cleanup_that_fails_too_never_hides_the_first_error(capsys, project, tmp_path, monkeypatch):
    out = tmp_path / "out.jsonl"
    out.write_bytes(OLD)
    fail_parts(monkeypatch, errno.ENOSPC)
    real_unlink = Path.unlink

    def unlink(self, missing_ok=False):
        if self.name.endswith(".part"):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        return real_unlink(self, missing_ok=missing_ok)
    monkeypatch.setattr(Path, "unlink", unlink)
    rc, _, err = run(capsys, "export", project, out)
    assert rc == 1
    assert err == (f"error: not exported: could not write {out}: No space left on device (ENOSPC); "
                   f"the previous {out} is intact; the unfinished {out}.part could not be removed "
                   "(Read-only file system (EROFS))\n")
    assert out.read_bytes() == OLD


def test_the_window_gets_the_same_line(project, tmp_path, monkeypatch):
    """The GUI's worker calls export(path, ...): one exception type, its message the line."""
    out = tmp_path / "out.jsonl"
    out.write_bytes(OLD)
    fail_parts(monkeypatch, errno.ENOSPC)
    with pytest.raises(ExportWriteFailed) as e:
        export(str(project), str(out), "jsonl")
    assert str(e.value) == (f"not exported: could not write {out}: No space left on device "
                            f"(ENOSPC); the previous {out} is intact")
    assert isinstance(e.value.__cause__, OSError) and out.read_bytes() == OLD
