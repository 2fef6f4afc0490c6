"""Export targets that are not regular files, and OS errors while writing: run through the real
command line (models.cli.main) on real project files, with real special files where the machine
has them (a FIFO with a reader thread, /dev/null, /dev/full, symbolic links, a socket, a block
device) and injected errors (ENOSPC, EDQUOT, EIO, EROFS, EACCES) where it cannot make them."""
from __future__ import annotations

import os
import socket
import stat
import threading
from pathlib import Path

import pytest

from models import cli
from models.exporter import export
from models.spans import Span
from models.store import Store

TEXT = "Kim Jong Un met Putin in Moscow on Monday."
OLD = b"the previous export\n"


@pytest.fixture
def project(tmp_path) -> Path:
    return make_project(tmp_path)


def make_project(tmp_path) -> Path:
    """A real project of 40 done documents with two spans each."""
    path = tmp_path / "p.annotator"
    store = Store(path)
    store.add_documents([{"text": f"{TEXT} ({i})", "title": f"T{i}", "status": "done",
                          "spans": [Span(0, 11, "PERSON"), Span(25, 31, "GPE")]}
                         for i in range(40)])
    store.close()
    return path


def run(capsys, *argv) -> tuple[int, str, str]:
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def expected_jsonl(project, tmp_path, fmt="jsonl") -> bytes:
    ref = tmp_path / f"reference.{fmt}"
    export(project, ref, fmt)
    data = ref.read_bytes()
    ref.unlink()
    return data


def mine(folder: Path) -> list[str]:
    """The names in ``folder`` but the project's own files (and the tests' home)."""
    return sorted(n for n in os.listdir(folder) if not n.startswith("p.annotator") and n != "home")


def same(a: os.stat_result, b: os.stat_result) -> bool:
    """The same file, unchanged (reading a link's target updates its access time only)."""
    return (a.st_mode, a.st_ino, a.st_dev, a.st_rdev, a.st_size, a.st_mtime_ns) == \
        (b.st_mode, b.st_ino, b.st_dev, b.st_rdev, b.st_size, b.st_mtime_ns)


def no_parts(folder: Path) -> bool:
    return not list(folder.rglob("*.part"))


# -- what is at the target ----------------------------------------------------------------------

def test_dev_null_is_written_into_and_stays_the_device(capsys, project, tmp_path):
    before = os.lstat("/dev/null")
    for fmt in ("jsonl", "doccano", "conll", "labels", "patterns"):
        rc, out, err = run(capsys, "export", project, "/dev/null", "--format", fmt)
        assert (rc, out) == (0, "") and "exported" in err
    after = os.lstat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert not os.path.exists("/dev/null.part")


def test_dev_full_is_refused_with_one_line_and_stays_the_device(capsys, project):
    before = os.lstat("/dev/full")
    rc, out, err = run(capsys, "export", project, "/dev/full")
    assert (rc, out) == (1, "")
    assert err == ("error: not exported: could not write /dev/full (a character device): "
                   "No space left on device (ENOSPC)\n")
    after = os.lstat("/dev/full")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert not os.path.exists("/dev/full.part")


@pytest.mark.parametrize("fmt", ["jsonl", "doccano", "patterns"])
def test_a_fifo_is_written_into_for_its_reader(capsys, project, tmp_path, fmt):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    rc, _, err = run(capsys, "export", project, fifo, "--format", fmt)
    reader.join(10)
    assert rc == 0 and " exported" in err
    assert got == [expected_jsonl(project, tmp_path, fmt)]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and no_parts(tmp_path)


def test_a_fifo_whose_reader_leaves_is_one_line(capsys, project, tmp_path):
    store = Store(project)      # more than any pipe holds (up to 1 MB): the export must meet the
    store.add_documents([{"text": f"{TEXT} ({i}) " + "word " * 400, "title": f"B{i}"}   # closed end
                         for i in range(600)])
    store.close()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def read_a_little():
        with open(fifo, "rb") as f:
            f.read(10)
    reader = threading.Thread(target=read_a_little)
    reader.start()
    rc, _, err = run(capsys, "export", project, fifo)
    reader.join(10)
    assert rc == 1
    assert err == (f"error: not exported: the reader of {fifo} (a pipe) closed it before "
                   "the end (broken pipe)\n")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_link_is_written_through_and_stays_a_link(capsys, project, tmp_path):
    real = tmp_path / "exports" / "latest.jsonl"
    real.parent.mkdir()
    real.write_bytes(OLD)
    link = tmp_path / "out.jsonl"
    link.symlink_to(Path("exports") / "latest.jsonl")          # relative, as ln -s makes them
    rc, _, err = run(capsys, "export", project, link)
    assert (rc, err) == (0, "40 documents exported\n")
    assert os.path.islink(link) and os.readlink(link) == "exports/latest.jsonl"
    assert real.read_bytes() == expected_jsonl(project, tmp_path)
    assert mine(tmp_path) == ["exports", "out.jsonl"] and os.listdir(real.parent) == ["latest.jsonl"]
    assert no_parts(tmp_path)


def test_a_chain_of_links_is_written_through_to_the_file(capsys, project, tmp_path):
    real = tmp_path / "real.jsonl"
    real.write_bytes(OLD)
    (tmp_path / "b.jsonl").symlink_to(real)
    (tmp_path / "a.jsonl").symlink_to(tmp_path / "b.jsonl")
    assert run(capsys, "export", project, tmp_path / "a.jsonl")[0] == 0
    assert os.path.islink(tmp_path / "a.jsonl") and os.path.islink(tmp_path / "b.jsonl")
    assert real.read_bytes() == expected_jsonl(project, tmp_path)


def test_a_dangling_link_makes_the_file_it_names(capsys, project, tmp_path):
    link = tmp_path / "out.jsonl"
    link.symlink_to("made.jsonl")
    assert run(capsys, "export", project, link)[0] == 0
    assert os.path.islink(link) and (tmp_path / "made.jsonl").read_bytes() == \
        expected_jsonl(project, tmp_path)


@pytest.mark.parametrize("make,message", [
    (lambda t: (t / "out.jsonl").symlink_to(t / "gone" / "x.jsonl"),
     "{t}/out.jsonl is a symbolic link to {t}/gone/x.jsonl, whose folder does not exist"),
    (lambda t: (t / "out.jsonl").symlink_to("out.jsonl"),
     "{t}/out.jsonl is a symbolic link that cannot be followed: Too many levels of symbolic "
     "links (ELOOP)"),
    (lambda t: (t / "out.jsonl").symlink_to(t),
     "{t}/out.jsonl is a folder; the jsonl format writes one file"),
    (lambda t: (t / "out.jsonl").mkdir(), "{t}/out.jsonl is a folder; the jsonl format writes one file"),
    (lambda t: socket.socket(socket.AF_UNIX).bind(str(t / "out.jsonl")),
     "{t}/out.jsonl is a socket; an export writes a file, a pipe or a device such as /dev/null"),
])
def test_targets_that_cannot_be_written_are_refused_unchanged(capsys, project, tmp_path, make, message):
    make(tmp_path)
    target = tmp_path / "out.jsonl"
    before = os.lstat(target)
    rc, out, err = run(capsys, "export", project, target)
    assert (rc, out) == (1, "")
    assert err == f"error: not exported: {message.format(t=tmp_path)}\n"
    after = os.lstat(target)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    assert no_parts(tmp_path)


def test_a_block_device_is_refused(capsys, project, tmp_path):
    disks = [Path("/dev") / n for n in sorted(os.listdir("/dev"))
             if stat.S_ISBLK(os.lstat(Path("/dev") / n).st_mode)]
    if not disks:
        pytest.skip("no block device on this machine")
    disk = disks[0]
    before = os.lstat(disk)
    link = tmp_path / "disk.jsonl"
    link.symlink_to(disk)
    for target in (disk, link):
        rc, _, err = run(capsys, "export", project, target)
        assert rc == 1
        assert err == (f"error: not exported: {target} is a block device (a disk); an export "
                       "never writes over one\n")
    assert same(os.lstat(disk), before) and os.path.islink(link)


def test_dev_stdout_is_written_straight_into_standard_output(project, tmp_path):
    """/dev/stdout is a link through /proc to an open descriptor: written into, never renamed
    over (here standard output is a file the shell opened)."""
    import subprocess
    import sys
    out = tmp_path / "redirected.jsonl"
    with open(out, "wb") as f:
        done = subprocess.run([sys.executable, "-m", "models.cli", "export", str(project), "/dev/stdout"],
                              stdout=f, stderr=subprocess.PIPE, cwd=Path(__file__).parents[2])
    assert done.returncode == 0 and done.stderr == b"40 documents exported\n"
    assert out.read_bytes() == expected_jsonl(project, tmp_path)
    assert not os.path.exists("/dev/stdout.part") and no_parts(tmp_path)


# -- folder formats ------------------------------------------------------------------------------

def test_a_link_to_a_folder_is_the_folder(capsys, project, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "out").symlink_to(real)
    for fmt in ("brat", "spacy"):
        assert run(capsys, "export", project, tmp_path / "out", "--format", fmt)[0] == 0
    assert os.path.islink(tmp_path / "out")
    assert {"train.spacy", "dev.spacy", "annotation.conf", "doc-000001.txt"} <= set(os.listdir(real))


@pytest.mark.parametrize("make,message", [
    (lambda t: (t / "out").write_bytes(OLD), "{t}/out is a file; the brat format writes a folder"),
    (lambda t: (t / "out").symlink_to("/dev/null"),
     "{t}/out is a character device; the brat format writes a folder"),
    (lambda t: (t / "out").symlink_to(t / "gone"),
     "{t}/out is a symbolic link to {t}/gone, which does not exist; the brat format writes a folder"),
    (lambda t: os.mkfifo(t / "out"), "{t}/out is a pipe; the brat format writes a folder"),
])
def test_a_folder_export_refuses_what_is_not_a_folder(capsys, project, tmp_path, make, message):
    make(tmp_path)
    before = os.lstat(tmp_path / "out")
    rc, _, err = run(capsys, "export", project, tmp_path / "out", "--format", "brat")
    assert rc == 1 and err == f"error: not exported: {message.format(t=tmp_path)}\n"
    assert same(os.lstat(tmp_path / "out"), before) and no_parts(tmp_path)


def test_special_files_inside_a_folder_export_follow_the_same_rule(capsys, project, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "doc-000001.txt").symlink_to("/dev/null")           # a device: written into
    real = tmp_path / "keep.ann"
    real.write_bytes(OLD)
    (out / "doc-000001.ann").symlink_to(real)                   # a link: written through
    assert run(capsys, "export", project, out, "--format", "brat")[0] == 0
    assert os.readlink(out / "doc-000001.txt") == "/dev/null"
    assert os.path.islink(out / "doc-000001.ann")
    assert real.read_bytes() == b"T1\tPERSON 0 11\tKim Jong Un\nT2\tGPE 25 31\tMoscow\n"
    (out / "doc-000002.ann").unlink()
    (out / "doc-000002.ann").mkdir()                            # a folder: refused
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and not p.is_symlink()}
    rc, _, err = run(capsys, "export", project, out, "--format", "brat")
    assert rc == 1 and err == f"error: not exported: {out}/doc-000002.ann is a folder\n"
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and not p.is_symlink()} == before
    assert no_parts(tmp_path)


# -- devices that do something, terminals, and the .part itself ------------------------------------

@pytest.mark.parametrize("device", ["/dev/kmsg", "/dev/random", "/dev/cpu_dma_latency",
                                    "/dev/loop-control", "/dev/ptmx", "/dev/watchdog"])
def test_a_device_that_does_something_is_refused_unopened(capsys, project, tmp_path, device):
    if not os.path.exists(device):
        pytest.skip(f"no {device} here")
    st = os.lstat(device)
    link = tmp_path / "out.jsonl"
    link.symlink_to(device)
    for target in (device, link):
        rc, _, err = run(capsys, "export", project, target)
        assert rc == 1 and err == (
            f"error: not exported: {target} is a character device ({os.major(st.st_rdev)}:"
            f"{os.minor(st.st_rdev)}) that is neither a terminal nor /dev/null; an export writes "
            "a file, a pipe, a terminal, /dev/null or /dev/full\n")
    assert same(os.lstat(device), st) and os.path.islink(link)


def test_dev_zero_takes_it_like_dev_null(capsys, project):
    assert run(capsys, "export", project, "/dev/zero")[0] == 0
    assert stat.S_ISCHR(os.lstat("/dev/zero").st_mode)


def test_a_terminal_is_written_into(capsys, project, tmp_path):
    master, slave = os.openpty()
    name = os.ttyname(slave)
    if not os.path.exists(name):            # no /dev/pts mounted here: the same terminal by its
        name = f"/proc/self/fd/{slave}"     # open descriptor
    got = bytearray()

    def read():
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            got.extend(chunk)
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    rc, _, err = run(capsys, "export", project, name, "--format", "labels")
    assert stat.S_ISCHR(os.stat(name).st_mode) and os.isatty(slave)      # still the terminal
    os.close(slave)
    reader.join(5)
    os.close(master)
    assert rc == 0 and err == "18 labels exported\n"
    # the terminal turns each \n into \r\n on its way out
    assert bytes(got).replace(b"\r\n", b"\n") == expected_jsonl(project, tmp_path, "labels")


def test_a_link_planted_as_the_part_is_never_written_through(capsys, project, tmp_path):
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    out = tmp_path / "out.jsonl"
    (tmp_path / "out.jsonl.part").symlink_to(victim)
    assert run(capsys, "export", project, out)[0] == 0
    assert victim.read_bytes() == b"precious"
    assert not os.path.islink(out) and out.read_bytes() == expected_jsonl(project, tmp_path)
    assert no_parts(tmp_path)


def test_a_part_left_by_a_killed_export_is_replaced(capsys, project, tmp_path):
    out = tmp_path / "out.jsonl"
    (tmp_path / "out.jsonl.part").write_bytes(b"half an export from yesterday")
    assert run(capsys, "export", project, out)[0] == 0
    assert out.read_bytes() == expected_jsonl(project, tmp_path) and no_parts(tmp_path)


def test_the_replaced_file_keeps_its_permissions(capsys, project, tmp_path):
    out = tmp_path / "shared.jsonl"
    out.write_bytes(OLD)
    os.chmod(out, 0o640)
    assert run(capsys, "export", project, out)[0] == 0
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o640 and out.read_bytes() != OLD
