"""Bad project files and places, read-only stores, and two connections on one project."""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import pytest

from models import edits, migrations
from models.spans import Span
from models.store import INTERACTIVE_TIMEOUT, StaleEdit, Store, StoreError

TEXT = "Kim Jong Un met Moon Jae-in in Seoul on Monday."
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path) -> Path:
    path = tmp_path / "news.annotator"
    s = Store(path)
    s.add_documents([{"text": f"{TEXT} Number {i}.", "title": f"t{i}"} for i in range(200)])
    s.apply(edits.add_span(1, Span(31, 36, "GPE"), []))
    s.close()
    return path


# -- files that are not projects ------------------------------------------------------------------

@pytest.mark.parametrize("cut", ["half", 1000, 60])
def test_a_truncated_project_is_refused_with_what_is_wrong(project, tmp_path, cut):
    data = project.read_bytes()
    assert len(data) > 8192
    bad = tmp_path / "cut.annotator"
    bad.write_bytes(data[:len(data) // 2 if cut == "half" else cut])
    before = bad.read_bytes()
    with pytest.raises(StoreError) as e:
        Store(bad)
    assert f"{bad} is damaged" in str(e.value) and "cut short" in str(e.value) or "truncated" in str(e.value)
    if cut != 60:
        assert f"{len(before):,} of the {len(data):,} bytes" in str(e.value)
    assert bad.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("cut")) == ["cut.annotator"]
    with pytest.raises(StoreError, match="damaged"):
        Store(bad, readonly=True)


def test_text_that_is_not_sqlite_is_refused_also_read_only(tmp_path):
    notes = tmp_path / "notes.annotator"
    notes.write_text("my notes\n" * 100)
    for readonly in (False, True):
        with pytest.raises(StoreError, match="not a project file .it is not an SQLite database"):
            Store(notes, readonly=readonly)
    assert notes.read_text() == "my notes\n" * 100


def test_another_sqlite_database_is_refused(tmp_path):
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t(x)")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="SQLite database but not an article-annotator project"):
        Store(other)


def test_a_new_project_in_a_missing_folder_is_refused_before_anything_is_made(tmp_path):
    with pytest.raises(StoreError, match="the folder .* does not exist"):
        Store(tmp_path / "nowhere" / "p.annotator")
    assert not (tmp_path / "nowhere").exists()


def test_a_new_project_that_fails_half_way_leaves_no_file(tmp_path, monkeypatch):
    def fail(db, labels):
        raise sqlite3.OperationalError("disk I/O error")
    monkeypatch.setattr(migrations, "create_base", fail)
    with pytest.raises(StoreError, match="disk I/O error"):
        Store(tmp_path / "p.annotator")
    assert not any(p.name.startswith("p.annotator") for p in tmp_path.iterdir())


# -- read-only files and folders (as a user without the right to write: root may write anyway) ----

def run_as_nobody(code: str, folder: Path) -> dict:
    """Run ``code`` (prints one JSON line) as an unprivileged user, or as this user if not root."""
    env = {"PYTHONPATH": os.pathsep.join([str(REPO), *[p for p in sys.path if "site-packages" in p]]),
           "PATH": os.environ.get("PATH", "")}
    cmd = [sys.executable, "-c", code, str(folder)]
    opened: list[tuple[Path, int]] = []
    if os.geteuid() == 0:
        python = f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
        setpriv = shutil.which("setpriv")
        if not (setpriv and os.path.exists(python)):
            pytest.skip("running as root, and no way to run as another user here")
        cmd = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", python, "-c", code, str(folder)]
        # A checkout in a private folder (mktemp -d is 0700): let that user pass through the
        # folders above the code and the venv for the run, then put them back as they were.
        # (The checkout itself is a path entry: it must be listable.)
        for top in {REPO, Path(sys.prefix)}:
            for d in [*reversed(top.parents), top]:
                mode = d.stat().st_mode
                need = stat.S_IXOTH | (stat.S_IROTH if d == top else 0)
                if mode & need != need:
                    opened.append((d, mode))
                    d.chmod(mode | need)
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    finally:
        for d, mode in reversed(opened):   # last changed first: each back to what it was
            d.chmod(mode)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture
def shared_dir():
    """A folder another user may enter (pytest's own are private to this user)."""
    d = Path(tempfile.mkdtemp(prefix="annotator-ro-"))
    d.chmod(0o755)
    yield d
    d.chmod(0o755)
    shutil.rmtree(d)


OPEN_NEW = r'''
import json, sys
from pathlib import Path
from models.store import Store, StoreError
folder = Path(sys.argv[1])
try:
    Store(folder / "new.annotator")
    print(json.dumps({"error": None}))
except StoreError as e:
    print(json.dumps({"error": str(e), "files": sorted(p.name for p in folder.iterdir())}))
'''

OPEN_EXISTING = r'''
import json, sys
from pathlib import Path
from models import edits, migrations
from models.spans import Span
from models.store import ReadOnlyLocation, Store, StoreError
path = Path(sys.argv[1]) / "news.annotator"
out = {}
try:
    Store(path)
except ReadOnlyLocation as e:
    out["writable"] = str(e)
s = Store(path, readonly=True)
out["immutable"] = s.immutable
out["rows"] = len(s.document_rows())
out["spans"] = [[x.start, x.end, x.label, x.source] for x in s.spans(1)]
s.set_setting("last_doc", 7)
out["last_doc"] = s.setting("last_doc")
try:
    s.apply(edits.add_span(2, Span(0, 3, "PERSON"), []))
except StoreError as e:
    out["apply"] = str(e)
s.close()
print(json.dumps(out))
'''


def test_a_new_project_in_a_read_only_folder_is_refused_before_any_file(shared_dir):
    shared_dir.chmod(0o555)
    got = run_as_nobody(OPEN_NEW, shared_dir)
    assert got["error"] == (f"cannot create {shared_dir / 'new.annotator'}: the folder {shared_dir} "
                            "is not writable (choose another folder); nothing was created")
    assert got["files"] == []


def test_an_existing_project_in_a_read_only_folder_opens_read_only(project, shared_dir):
    shutil.copyfile(project, shared_dir / "news.annotator")
    (shared_dir / "news.annotator").chmod(0o644)
    data = (shared_dir / "news.annotator").read_bytes()
    shared_dir.chmod(0o555)
    got = run_as_nobody(OPEN_EXISTING, shared_dir)
    assert "cannot be" in got["writable"] and "It can be opened read-only" in got["writable"]
    assert got["rows"] == 200 and got["spans"] == [[31, 36, "GPE", "manual"]]
    assert got["last_doc"] == 7                        # kept in memory, for this session only
    assert got["apply"] == "news.annotator is open read-only; nothing was changed"
    assert (shared_dir / "news.annotator").read_bytes() == data
    assert sorted(p.name for p in shared_dir.iterdir()) == ["news.annotator"]


def test_a_read_only_file_in_a_writable_folder_opens_read_only_and_can_follow(project, shared_dir):
    path = shared_dir / "news.annotator"
    shutil.copyfile(project, path)
    path.chmod(0o444)
    shared_dir.chmod(0o777)
    data = path.read_bytes()
    got = run_as_nobody(OPEN_EXISTING, shared_dir)
    assert "the file is read-only. It can be opened read-only." in got["writable"]
    assert got["immutable"] is False and got["rows"] == 200    # -shm can be made: it follows
    assert got["apply"] == "news.annotator is open read-only; nothing was changed"
    assert path.read_bytes() == data


def test_a_read_only_store_writes_nothing(project):
    data = project.read_bytes()
    s = Store(project, readonly=True)
    try:
        assert not s.immutable and len(s.document_rows()) == 200
        for write in (lambda: s.apply(edits.add_span(2, Span(0, 3, "PERSON"), [])),
                      lambda: s.add_documents([{"text": "new"}]),
                      lambda: s.mark_preannotated(2, "m")):
            with pytest.raises(StoreError, match="open read-only; nothing was changed"):
                write()
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            s.db.execute("DELETE FROM spans")        # even past the store: SQLite refuses
    finally:
        s.close()
    assert project.read_bytes() == data


# -- two connections on one project -----------------------------------------------------------------

def test_two_stores_no_lost_update_and_a_stale_edit_is_refused(project):
    a, b = Store(project), Store(project)
    try:
        seen = a.data_version()
        span = a.spans(1)[0]
        b.apply(edits.relabel(1, span, "LOC"))         # the other instance changed it
        assert a.data_version() != seen                # a poll notices
        with pytest.raises(StaleEdit, match="31-36 GPE is not in document 1"):
            a.apply(edits.remove_span(1, span))        # made on what it showed before
        assert a.spans(1) == [Span(31, 36, "LOC")]     # the other's edit stands
        a.apply(edits.add_span(2, Span(0, 3, "PERSON"), []))
        b.apply(edits.add_span(3, Span(0, 3, "PERSON"), []))
        assert b.spans(2) == a.spans(3) == [Span(0, 3, "PERSON")]
        seen = a.data_version()
        a.apply(edits.add_span(4, Span(0, 3, "PERSON"), []))
        assert a.data_version() == seen                # its own commits are not "another's"
    finally:
        a.close()
        b.close()


def test_a_window_store_waits_briefly_for_another_writer(project):
    other = sqlite3.connect(project, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")                   # e.g. the CLI in the middle of a batch
    s = Store(project, timeout=INTERACTIVE_TIMEOUT)    # opening needs no write lock
    try:
        t = time.perf_counter()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            s.apply(edits.add_span(2, Span(0, 3, "PERSON"), []))
        assert INTERACTIVE_TIMEOUT * 0.8 < time.perf_counter() - t < INTERACTIVE_TIMEOUT + 1.5
        other.execute("ROLLBACK")
        s.apply(edits.add_span(2, Span(0, 3, "PERSON"), []))     # and then it works
        assert s.spans(2) == [Span(0, 3, "PERSON")]
    finally:
        s.close()
        other.close()



def test_a_full_disk_is_a_write_failure_that_names_the_cause(tmp_path):
    """SQLite rolls back by itself on SQLITE_FULL: the error must still be the real cause, not
    'cannot rollback - no transaction is active', and nothing of the change is written."""
    from models.edits import ReplaceSpans
    from models.spans import Span
    from models.store import WriteFailed
    store = Store(tmp_path / "full.annotator")
    [doc], _ = store.add_documents([{"text": "Kim went to Seoul. " * 200, "title": "T"}])
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")
    spans = [Span(i * 19, i * 19 + 3, "PERSON") for i in range(200)]
    with pytest.raises(WriteFailed, match="could not be written .*full") as caught:
        store.apply(ReplaceSpans(doc, (), tuple(spans)))
    assert isinstance(caught.value, sqlite3.OperationalError)
    assert store.spans(doc) == [] and not store.db.conn.in_transaction
    store.db.execute(f"PRAGMA max_page_count = {pages * 100}")
    store.apply(ReplaceSpans(doc, (), tuple(spans)))           # the same edit, retried
    assert len(store.spans(doc)) == 200
    store.close()


EXPORT_FROM_READ_ONLY = r'''
import json, sys
from pathlib import Path
from models.exporter import export
folder = Path(sys.argv[1])
out = Path("/tmp") / f"ro-export-{folder.name}.jsonl"
report = export(folder / "news.annotator", str(out), "jsonl", all_documents=True)
print(json.dumps({"documents": report.documents}))
'''


def test_an_export_reads_a_project_in_a_read_only_folder(project, shared_dir):
    """The window's export job (and the command line) open the project by path: read-only,
    so a project that can only be read (a read-only folder) still exports."""
    shutil.copyfile(project, shared_dir / "news.annotator")
    (shared_dir / "news.annotator").chmod(0o644)
    data = (shared_dir / "news.annotator").read_bytes()
    shared_dir.chmod(0o555)
    out = Path("/tmp") / f"ro-export-{shared_dir.name}.jsonl"
    try:
        got = run_as_nobody(EXPORT_FROM_READ_ONLY, shared_dir)
        assert got == {"documents": 200}
        assert len(out.read_text("utf-8").splitlines()) == 200
    finally:
        out.unlink(missing_ok=True)
    assert (shared_dir / "news.annotator").read_bytes() == data


def test_a_second_store_in_the_process_never_drops_the_first_ones_locks(tmp_path):
    """Opening (and closing) a second store on the file — what the window's export and import
    jobs do — must not close a plain file descriptor of it: that drops every POSIX lock of the
    process, the window's connection's too; a command-line process closing next then deletes
    the WAL under the window, and the window's next commits are lost though it said saved."""
    from models.edits import ReplaceSpans
    from models.spans import Span
    path = tmp_path / "p.annotator"
    window = Store(path)
    [doc], _ = window.add_documents([{"text": "Kim went to Seoul and Tokyo.", "title": "T"}])
    window.apply(ReplaceSpans(doc, (), (Span(0, 3, "PERSON"),)))
    Store(path, readonly=True).close()          # the export job
    Store(path).close()                          # the import job
    cli = "import sys; from models.store import Store; Store(sys.argv[1]).close()"
    subprocess.run([sys.executable, "-c", cli, str(path)], cwd=REPO, check=True, timeout=60)
    assert (tmp_path / "p.annotator-wal").exists()
    window.apply(ReplaceSpans(doc, (), (Span(12, 17, "GPE"),)))       # after the command line
    other = sqlite3.connect(path)                                      # what another process sees
    assert other.execute("SELECT start, end, label FROM spans ORDER BY start").fetchall() == \
        [(0, 3, "PERSON"), (12, 17, "GPE")]
    other.close()
    window.close()
    subprocess.run([sys.executable, "-c", cli, str(path)], cwd=REPO, check=True, timeout=60)
    reopened = Store(path)
    assert [(s.start, s.label) for s in reopened.spans(doc)] == [(0, "PERSON"), (12, "GPE")]
    reopened.close()


def test_a_project_whose_wal_holds_commits_is_never_read_without_them(tmp_path, shared_dir):
    """In a folder SQLite cannot write, read-only falls back to "immutable", which ignores the
    WAL: with commits in the WAL that would be a stale project (and a stale export). Refused."""
    from models.edits import ReplaceSpans
    from models.spans import Span
    live = tmp_path / "live.annotator"
    s = Store(live)
    [doc], _ = s.add_documents([{"text": "Kim went to Seoul.", "title": "T"}])
    s.apply(ReplaceSpans(doc, (), (Span(0, 3, "PERSON"),)))
    assert os.path.getsize(f"{live}-wal") > 32
    for suffix in ("", "-wal"):                     # the file and its WAL, not the -shm
        shutil.copyfile(f"{live}{suffix}", shared_dir / f"news.annotator{suffix}")
        os.chmod(shared_dir / f"news.annotator{suffix}", 0o644)
    s.close()
    shared_dir.chmod(0o555)
    got = run_as_nobody(READ_ONLY_SPANS, shared_dir)
    assert "its latest changes are in news.annotator-wal" in got["error"]


READ_ONLY_SPANS = r'''
import json, sys
from pathlib import Path
from models.store import Store, StoreError
try:
    s = Store(Path(sys.argv[1]) / "news.annotator", readonly=True)
    print(json.dumps({"error": None, "spans": len(s.spans(1))}))
except StoreError as e:
    print(json.dumps({"error": str(e)}))
'''


def test_a_file_that_looks_short_while_its_wal_is_checkpointed_is_not_called_damaged(tmp_path):
    """A checkpoint writes page 1 (the new size) before the file has grown: a short file whose
    missing pages are all in the WAL is not taken for a truncated one — but one whose WAL lacks
    any of them still is (an interrupted copy of a running project)."""
    from models import project_file
    path = tmp_path / "p.annotator"
    s = Store(path)
    s.add_documents([{"text": f"Article {i} about Seoul. " * 40, "title": "T"} for i in range(50)])
    s.close()
    data = path.read_bytes()
    page = int.from_bytes(data[16:18], "big")
    pages = len(data) // page
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(StoreError, match="truncated"):
        project_file.check(path, False)

    def wal(numbers):          # a WAL header (page size at 8) and one frame per page number
        frames = b"".join(n.to_bytes(4, "big") + b"\0" * 20 + b"\0" * page for n in numbers)
        Path(f"{path}-wal").write_bytes(b"\x37\x7f\x06\x82" + b"\0" * 4 + page.to_bytes(4, "big")
                                        + b"\0" * 20 + frames)
    missing = list(range(len(data) // 2 // page + 1, pages + 1))
    wal([1, *missing])                                       # every missing page is there
    assert project_file.check(path, False) is False
    wal([1, *missing[:-1]])                                  # the last one is not
    with pytest.raises(StoreError, match="truncated"):
        project_file.check(path, False)


def test_a_store_that_only_found_the_file_missing_never_deletes_it(tmp_path, monkeypatch):
    """Two processes create the same new project: the one that looked a moment before the other
    made the file, and then fails (the other holds the write lock for its set-up), must not
    delete the file the other is filling."""
    path = tmp_path / "new.annotator"
    first = sqlite3.connect(path, isolation_level=None)      # the other process, setting up
    first.execute("PRAGMA journal_mode=WAL")
    first.execute("BEGIN IMMEDIATE")
    first.execute("CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT)")
    real = Path.exists
    looked = []

    def missing_once(self):
        if self == path and not looked:
            looked.append(1)
            return False                                      # it looked before the file was made
        return real(self)
    monkeypatch.setattr(Path, "exists", missing_once)
    with pytest.raises(StoreError):
        Store(path, timeout=0.1)
    assert looked and path.exists()
    first.execute("COMMIT")
    assert first.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall() == [("settings",)]
    first.close()


def test_a_dangling_link_as_project_is_a_message_not_a_loop(tmp_path):
    link = tmp_path / "link.annotator"
    link.symlink_to(tmp_path / "gone" / "p.annotator")
    with pytest.raises(StoreError, match="is a link to .*which does not exist"):
        Store(link)


def test_exports_and_copies_never_land_on_a_project(tmp_path):
    """An export over the open project (or its -wal), or over any SQLite file, is refused; a
    copy over a project that has a -wal, -shm or lock beside it (maybe open elsewhere: its WAL
    would be laid over the copy) is refused; over an earlier copy it is fine."""
    from models.exporter import ExportError, export
    from models.migrations import save_copy
    path = tmp_path / "p.annotator"
    store = Store(path)
    store.add_documents([{"text": "Kim went to Seoul.", "title": "T"}])
    other = tmp_path / "other.annotator"
    Store(other).close()
    busy = tmp_path / "busy.annotator"
    Store(busy).close()
    Path(f"{busy}-wal").write_bytes(b"x" * 64)              # left by a window that was killed
    before = path.read_bytes()
    for target, fmt in ((path, "jsonl"), (Path(f"{path}-wal"), "jsonl"), (other, "doccano"),
                        (busy, "jsonl")):
        with pytest.raises(ExportError, match="not exported: .*choose another name"):
            export(store, target, fmt, all_documents=True)
    assert path.read_bytes() == before and store.spans(1) == []
    for target in (path, busy):
        with pytest.raises(ValueError, match="not saved: "):
            save_copy(path, target)
    copy = tmp_path / "copy.annotator"
    save_copy(path, copy)
    save_copy(path, copy)                                     # an earlier copy is replaced
    con = sqlite3.connect(copy)
    assert con.execute("SELECT count(*) FROM documents").fetchone() == (1,)
    con.close()
    store.close()
