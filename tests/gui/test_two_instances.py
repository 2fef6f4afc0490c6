"""Two instances on one project: two windows, the window and the CLI, and bad project files."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from gui import app as appmod
from gui import dialogs, project_lock
from models import edits, project_file
from models.spans import Span
from models.store import Store

TEXTS = ["Talks in Seoul on Monday.", "Apple opened in Tokyo.", "Nothing to see."]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path) -> Path:
    path = tmp_path / "news.annotator"
    s = Store(path)
    s.add_documents([{"text": t, "title": f"doc {i}"} for i, t in enumerate(TEXTS)])
    s.apply(edits.add_span(1, Span(9, 14, "GPE"), []))
    s.close()
    return path


@pytest.fixture
def asked(monkeypatch):
    """Answers to 'Open read-only?' (True: read-only), and the questions asked."""
    questions, answers = [], []

    def ask(parent, title, message):
        questions.append(message)
        return answers.pop(0)
    monkeypatch.setattr(project_lock, "ask_read_only", ask)
    return questions, answers


@pytest.fixture
def errors(monkeypatch):
    shown = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, msg: shown.append(msg))
    return shown


@pytest.fixture
def opened(qtbot):
    apps = []

    def open_app(path, **kw):
        main = appmod.App(None)
        ok = main.open(path, **kw)
        if ok:
            qtbot.addWidget(main.window)
        apps.append(main)
        return main if ok else None
    yield open_app
    for main in apps:
        if main.window is not None:
            main.window.model.runner.wait(10000)
            main.window.io.wait(10000)
        if main.lock is not None:
            main.lock.release()


def rows(path, sql="SELECT doc_id, start, end, label, source FROM spans ORDER BY doc_id, start"):
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_a_second_window_is_offered_read_only_and_follows_the_first(project, opened, asked, qtbot):
    questions, answers = asked
    first = opened(project)
    a = first.window
    assert not a.store.readonly and "read-only" not in a.windowTitle()
    assert a.store.db.execute("PRAGMA busy_timeout").fetchone() == (1000,)    # not the CLI's 5 s
    assert a.store.wait == 1.0                   # and a write waits that long for another writer
    answers.append(True)
    b = opened(project).window
    assert len(questions) == 1 and questions[0].startswith(
        f"news.annotator is open in another article-annotator window (pid {os.getpid()}, host ")
    assert "Open it read-only?" in questions[0]
    assert b.store.readonly and "(read-only)" in b.windowTitle() and b.save_label.text() == "READ-ONLY"
    off = {a.text() for a in b.registry.qactions(edits=True)}
    assert {"Import files…", "Paste article…", "Pre-annotate all documents"} <= off
    for act in (b.undo_action, b.delete_action, b.done_action, b.new_label_action, *b.registry.group("label"),
                *b.registry.qactions(edits=True)):
        assert not act.isEnabled()
    # The writer edits and finishes a document; the reader follows within its poll.
    a.open_document(2)
    b.open_document(2)
    assert a.session.add_span(0, 5, "ORG")
    a.finish("done")
    qtbot.waitUntil(lambda: b.session.spans == [Span(0, 5, "ORG")], timeout=3000)
    assert b.session.doc.status == "done"
    assert b.docs_model.data(b.docs_model.index(b.docs_model.row_of(2), 2)) == "done"
    assert b.view.toPlainText() == TEXTS[1]
    assert a.session.add_label(a.session.labels.new_label("WEAPON"))      # labels follow too
    qtbot.waitUntil(lambda: "WEAPON" in [lab.name for lab in b.session.labels], timeout=3000)
    assert any("WEAPON" in act.text() for act in b.registry.group("label"))
    assert not any(act.isEnabled() for act in b.registry.group("label"))
    # The reader cannot write: a key is off, and even the session's own path changes nothing.
    before = rows(project)
    b.annotator.select(b.session.spans[0])
    b.delete_action.trigger()
    assert not b.session.delete(b.session.spans[0])
    assert "Read-only: nothing was changed" in b.statusBar().currentMessage()
    assert rows(project) == before and b.session.spans == [Span(0, 5, "ORG")]
    # A key of an action that is off says why, instead of doing nothing.
    b.activateWindow()
    qtbot.waitActive(b)
    for key, mod in ((Qt.Key.Key_Delete, Qt.KeyboardModifier.NoModifier), (Qt.Key.Key_1, Qt.KeyboardModifier.NoModifier),
                     (Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)):
        b.statusBar().clearMessage()
        qtbot.keyClick(b.view, key, mod)
        assert b.statusBar().currentMessage().startswith("Read-only: this window cannot change"), key
    assert rows(project) == before


def test_cancel_opens_nothing_and_the_lock_stays_with_the_writer(project, opened, asked):
    questions, answers = asked
    first = opened(project)
    answers.append(False)
    assert opened(project) is None and len(questions) == 1
    assert first.lock.path.exists()


def test_a_dead_instances_lock_is_taken_over(project, opened, asked):
    code = ("import os, sys; from PySide6.QtCore import QLockFile; l = QLockFile(sys.argv[1]); "
            "assert l.tryLock(0); os._exit(0)")          # dies holding it: the file stays
    subprocess.run([sys.executable, "-c", code, f"{project}.lock"], check=True, timeout=60)
    assert Path(f"{project}.lock").exists() and project_lock.ProjectLock(project).free()
    main = opened(project)
    assert main is not None and not main.window.store.readonly and asked[0] == []


def test_the_window_follows_the_cli_and_nothing_is_lost(project, opened, qtbot, tmp_path):
    w = opened(project).window
    art = tmp_path / "late.txt"
    art.write_text("A late article about Seoul.", encoding="utf-8")
    cli = subprocess.Popen([sys.executable, "-m", "gui.launcher", "import", str(project), str(art)],
                           cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert w.session.add_span(0, 5, "EVENT")           # meanwhile, in the window (doc 1)
    out, err = cli.communicate(timeout=60)
    assert cli.returncode == 0, err
    qtbot.waitUntil(lambda: w.docs_model.rowCount() == 4, timeout=3000)
    assert w.doc_panel.label.text() and rows(project, "SELECT count(*) FROM documents") == [(4,)]
    assert rows(project)[:2] == [(1, 0, 5, "EVENT", "manual"), (1, 9, 14, "GPE", "manual")]
    assert w.session.spans == [Span(0, 5, "EVENT"), Span(9, 14, "GPE")]


def test_an_edit_on_what_another_instance_changed_is_refused_and_the_truth_shown(project, opened, errors):
    w = opened(project).window
    w.follower.timer.stop()                              # the other edit lands between two polls
    assert w.session.doc.id == 1 and w.session.spans == [Span(9, 14, "GPE")]
    other = Store(project)                               # the CLI, another window
    other.apply(edits.relabel(1, Span(9, 14, "GPE"), "LOC"))
    other.close()
    assert not w.session.delete(Span(9, 14, "GPE"))
    assert len(errors) == 1 and "not saved" in errors[0] and "changed elsewhere" in errors[0]
    assert rows(project) == [(1, 9, 14, "LOC", "manual")]          # not lost, not deleted
    assert w.session.spans == [Span(9, 14, "LOC")]                 # the window shows the file
    assert w.span_table.model_.rowCount() == 1


# -- project files that cannot be opened as asked --------------------------------------------------

def test_a_truncated_project_is_a_message_and_the_open_window_stays(project, opened, errors, tmp_path):
    main = opened(project)
    window = main.window
    cut = tmp_path / "cut.annotator"
    cut.write_bytes(project.read_bytes()[:1000])
    assert not main.open(cut)
    assert len(errors) == 1 and "cut.annotator is damaged" in errors[0] and "truncated" in errors[0]
    assert main.window is window and window.isVisible() and window.store.document_count() == 3
    assert main.lock.path == Path(f"{project}.lock")
    assert cut.read_bytes() == project.read_bytes()[:1000]


def test_at_start_a_bad_project_offers_another(project, errors, monkeypatch, tmp_path, qtbot):
    notes = tmp_path / "notes.annotator"
    notes.write_text("not a database " * 100)
    offered = []
    monkeypatch.setattr(appmod, "ask_other_project", lambda reason: offered.append(reason) or str(project))
    monkeypatch.setattr(QApplication, "exec", lambda self: 0)
    made = []
    real = appmod.App.open
    monkeypatch.setattr(appmod.App, "open", lambda self, *a, **k: made.append(self) or real(self, *a, **k))
    assert appmod.run([str(notes)]) == 0
    main = made[-1]
    qtbot.addWidget(main.window)
    assert "not an SQLite database" in errors[0] and offered == ["notes.annotator"]
    assert main.window.store.path == project
    main.window.model.runner.wait(10000)
    main.lock.release()


def test_a_project_in_a_folder_that_cannot_be_written_is_offered_read_only(project, opened, asked, monkeypatch):
    """The permission check is simulated (root may write anywhere); the read-only open is real."""
    questions, answers = asked
    real_access = os.access
    monkeypatch.setattr(project_file.os, "access",
                        lambda p, mode: False if Path(p) == project.parent and mode & os.W_OK else real_access(p, mode))
    answers.append(True)
    w = opened(project).window
    assert "its folder is not writable" in questions[0] and "opened read-only" in questions[0]
    assert w.store.readonly and w.session.spans == [Span(9, 14, "GPE")]


def test_a_new_project_in_a_folder_that_cannot_be_written_is_a_message(tmp_path, opened, errors, monkeypatch):
    folder = tmp_path / "locked"
    folder.mkdir()
    real_access = os.access
    monkeypatch.setattr(project_file.os, "access",
                        lambda p, mode: False if Path(p) == folder else real_access(p, mode))
    assert opened(folder / "new.annotator") is None
    assert errors == [f"cannot create {folder / 'new.annotator'}: the folder {folder} is not writable "
                      "(choose another folder); nothing was created"]
    assert not any(folder.iterdir())                   # not even the lock file is left


def test_an_old_project_is_upgraded_on_open_and_the_copy_named(opened, tmp_path, qtbot):
    old = tmp_path / "old.annotator"
    shutil.copyfile(REPO / "tests" / "data" / "schema1.annotator", old)
    w = opened(old).window
    assert w.store.upgraded == (1, tmp_path / "old.schema1-backup.annotator")
    assert "old.schema1-backup.annotator" in w.statusBar().currentMessage()
    assert w.docs_model.rowCount() == 4 and w.session.doc.id == 2      # its last document
    assert w.session.history.count() == 4 and w.session.history.can_redo()


# -- another process: the real app in a subprocess ---------------------------------------------------

CHILD = r'''
import sys
from PySide6.QtCore import QSocketNotifier
from PySide6.QtWidgets import QApplication
from models import ner
def no_model(name=None):
    raise ner.ModelError("test: no model")
ner.load = no_model
from gui.model_service import ModelService
ModelService.warm_tokenizer = lambda self: None
import gui.model_service
gui.model_service.SERVER = False     # the stand-in above lives in this process only
from gui import app as appmod
qapp = QApplication([])
main = appmod.App(None)
assert main.open(sys.argv[1])
w = main.window
print("ready", flush=True)
def command():
    line = sys.stdin.readline().split()
    if line and line[0] == "label":
        ok = w.session.add_span(int(line[1]), int(line[2]), line[3])
        print("labelled" if ok else "refused", flush=True)
notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
notifier.activated.connect(command)
qapp.exec()
'''


def test_another_process_holding_the_project(project, opened, asked, qtbot, tmp_path):
    questions, answers = asked
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path / "home"),
           "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"), "XDG_DATA_HOME": str(tmp_path / "xdg-data")}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(project)], cwd=REPO, env=env, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        answers.append(True)
        reader = opened(project).window
        assert f"(pid {child.pid}, host " in questions[0] and reader.store.readonly
        child.stdin.write("label 18 24 DATE\n")              # "Monday" in the other process
        child.stdin.flush()
        assert child.stdout.readline().strip() == "labelled"
        qtbot.waitUntil(lambda: Span(18, 24, "DATE") in reader.session.spans, timeout=3000)
        assert reader.docs_model.data(reader.docs_model.index(0, 3)) in (2, "2")
    finally:
        child.kill()                                          # dies holding the lock
        child.wait(10)
    writer = opened(project)                                  # its lock is taken over
    assert len(questions) == 1 and not writer.window.store.readonly
    assert writer.window.session.add_span(0, 5, "EVENT")
    assert rows(project)[:3] == [(1, 0, 5, "EVENT", "manual"), (1, 9, 14, "GPE", "manual"),
                                 (1, 18, 24, "DATE", "manual")]


def test_a_read_only_window_offers_editing_once_the_writer_has_gone(project, opened, asked, qtbot):
    questions, answers = asked
    first = opened(project)
    answers.append(True)
    second = opened(project)
    b = second.window
    assert b.store.readonly and not b.follower.offer_editing()        # the writer is still there
    assert first.lock.path.exists() and not project_lock.ProjectLock(project).free()
    first.window.close()
    first.lock.release()
    first.lock = None
    assert project_lock.ProjectLock(project).free()                  # looked at, not taken:
    assert b.follower.offer_editing() and b.follower.edit_button.isVisible()
    assert not (project.parent / f"{project.name}.lock").exists()
    assert "Edit here" in b.statusBar().currentMessage()
    b.follower.edit_button.click()
    qtbot.waitUntil(lambda: second.window is not b, timeout=5000)
    w = second.window
    qtbot.addWidget(w)
    assert not w.store.readonly and second.lock is not None and "(read-only)" not in w.windowTitle()
    assert w.session.add_span(0, 5, "ORG")                              # it edits now
