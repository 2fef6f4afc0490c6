"""Export targets found by an attack test: a pipe nobody reads (alone or inside a folder export),
standard output closed, and the folders a failed export made."""
from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from models.parts import Parts

from .test_hostile_outputs import make_project, run

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path) -> Path:
    return make_project(tmp_path)


def test_a_pipe_nobody_reads_is_said_at_once_not_waited_on(capsys, project, tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    rc, out, err = run(capsys, "export", project, pipe)
    assert rc == 1 and out == ""
    assert err == f"error: not exported: nothing is reading from {pipe} (a pipe): start its reader first\n"
    assert Path(pipe).is_fifo()


@pytest.mark.parametrize("fmt, name", [("brat", "doc-000001.txt"), ("brat", "annotation.conf"),
                                       ("spacy", "train.spacy")])
def test_a_pipe_nobody_reads_inside_a_folder_export_is_said_at_once(capsys, project, tmp_path, fmt, name):
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / name)
    rc, _, err = run(capsys, "export", project, out, "--format", fmt)
    assert rc == 1
    assert err.startswith(f"error: not exported: nothing is reading from {out / name} (a pipe): start its reader first")
    assert os.listdir(out) == [name] and (out / name).is_fifo()


def test_export_with_standard_output_closed_is_one_line(project):
    done = subprocess.run(f'"{sys.executable}" -m models.cli export "{project}" - >&-', shell=True,
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr == "error: not exported: standard output is closed; name a file instead of -\n"


@pytest.mark.parametrize("fmt", ["brat", "spacy"])
def test_a_failed_folder_export_removes_the_folders_it_made(capsys, project, tmp_path, monkeypatch, fmt):
    real = Parts._open

    def full(self, path, mode):
        if path.name in ("doc-000003.ann", "dev.spacy"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, path, mode)
    monkeypatch.setattr(Parts, "_open", full)
    (tmp_path / "kept").mkdir()
    out = tmp_path / "kept" / "new" / "deeper"
    rc, _, err = run(capsys, "export", project, out, "--format", fmt)
    assert rc == 1 and "No space left on device (ENOSPC)" in err
    assert os.listdir(tmp_path / "kept") == []          # new/ and deeper/ are gone, kept/ stays
