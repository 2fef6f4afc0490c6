"""The window's actions are one typed registry: every action in a menu or tool bar is in it and
says whether it edits; read-only turns off exactly the ones that edit; components get what they
use, not the window."""
from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QObject, QSettings
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QToolBar, QWidget

from gui.corpus import CorpusJobs
from gui.job_bar import JobBar
from gui.document_panel import DocumentPanel
from gui.registry import READ_ONLY_TIP, ActionRegistry, read_only
from gui.typing_guard import TypingGuard
from gui.workers import Runner
from models import edits
from models.display import path_shown
from models.spans import Span
from models.store import Store

TEXTS = ["Talks in Seoul on Monday.", "Apple opened in Tokyo."]

# What edits the project (the model writes suggestions, the chosen model is a setting; "Save"
# says everything is saved: off where nothing can be changed).
EDITING = {"undo", "redo", "delete", "confirm", "done", "skip", "new_label", "import", "paste",
           "save", "choose_model", "run_model", "preannotate_all", "rerun_all", "train",
           "label_every", "load_patterns", "project_patterns", "check_fix", "check_dismiss", "link_entity",
           "annotator_name"}
NOT_EDITING = {"exact", "next", "previous", "find", "find_next", "find_previous",
               "search_documents", "new_project", "open_project", "export", "save_copy", "quit",
               "show_documents", "show_entities", "shortcuts",
               "show_consistency", "consistency", "check_again", "check_open", "show_statistics", "statistics",
               "show_linked_entities", "focus_linked_entities", "split", "merge"}


def reachable(w) -> list[QAction]:
    """Every action a user can reach: the menus (submenus opened, so "Recent projects" fills),
    the tool bars, and the window's and the article's own (label keys, Delete, Return)."""
    found: list[QAction] = []

    def walk(menu: QMenu) -> None:
        menu.aboutToShow.emit()
        for act in menu.actions():
            if act.isSeparator():
                continue
            if act.menu() is not None:
                walk(act.menu())            # a submenu's own action only opens it
            else:
                found.append(act)
    for act in w.menuBar().actions():
        walk(act.menu())
    for bar in w.findChildren(QToolBar):
        found += [a for a in bar.actions() if not a.isSeparator()]
    found += w.actions() + w.view.actions()
    return found


@pytest.fixture
def recent(tmp_path):
    paths = [str(tmp_path / "a.annotator"), str(tmp_path / "b&c.annotator")]
    QSettings().setValue("recent_projects", paths)
    return paths


def by_name(w) -> dict[str, object]:
    return {a.name: a for a in w.registry}


def test_every_reachable_action_is_registered_and_declares_whether_it_edits(make_window, recent):
    w, store, _ids = make_window(TEXTS)
    acts = reachable(w)
    registered = {id(a.qaction) for a in w.registry}
    assert acts and all(id(a) in registered for a in acts), \
        [a.text() for a in acts if id(a) not in registered]
    entries = by_name(w)
    assert all(type(a.edits) is bool for a in entries.values())
    labels = {f"label:{lab.name}" for lab in w.session.labels}
    recents = {"recent:0", "recent:1"}
    assert set(entries) == EDITING | NOT_EDITING | labels | recents
    assert {n for n, a in entries.items() if a.edits} == EDITING | labels
    assert [a.text() for a in w.registry.group("recent")] == [path_shown(p).replace("&", "&&")
                                                             for p in recent]
    # each entry is what its QAction is
    assert entries["undo"].shortcuts == ("Ctrl+Z",) and entries["undo"].qaction is w.undo_action
    assert entries["done"].tip == "Mark done and open the next"
    assert w.registry["delete"] is w.delete_action
    # opening the menu again rebuilds the recent entries, not adds to them
    w.recent_menu.aboutToShow.emit()
    assert len(w.registry.group("recent")) == 2 and len(w.recent_menu.actions()) == 2


def test_a_new_label_is_a_registered_editing_action_and_the_old_ones_go(make_window):
    w, store, _ids = make_window(TEXTS)
    before = len(w.registry.group("label"))
    assert w.session.add_label(w.session.labels.new_label("WEAPON"))
    entries = by_name(w)
    assert entries["label:WEAPON"].edits and entries["label:WEAPON"].group == "label"
    assert len(w.registry.group("label")) == before + 1 == len(w.session.labels)
    label_bar = next(b for b in w.findChildren(QToolBar) if b.objectName() == "labels")
    on_bar = [a for a in label_bar.actions() if not a.isSeparator()]
    assert on_bar == w.registry.group("label") + [w.new_label_action]
    assert set(w.registry.group("label")) <= set(w.actions())


def test_read_only_turns_off_exactly_the_actions_that_edit(make_window, tmp_path, qtbot, recent):
    from gui.main_window import MainWindow
    w, store, _ids = make_window(TEXTS)
    writable = {a.name: a.qaction.isEnabled() for a in w.registry}
    ro = MainWindow(Store(store.path, readonly=True))
    qtbot.addWidget(ro)
    ro.start()
    for act in reachable(ro):                  # recent entries made after read-only: registered
        assert ro.registry.entry(act) is not None
    entries = by_name(ro)
    off = {n for n, a in entries.items() if not a.qaction.isEnabled()}
    assert off == {n for n, a in entries.items() if a.edits}
    assert {n for n, a in entries.items() if a.qaction.statusTip() == READ_ONLY_TIP} == off
    assert EDITING <= off
    # the others are as in a writable window (all on), their tips their own
    assert all(writable[n] for n in entries if n not in off and n in writable)
    assert entries["export"].qaction.statusTip() == "JSONL, spaCy, CoNLL, doccano, brat, labels, patterns"
    # a label that arrives while read-only (another writer added it) is off from the start
    assert w.session.add_label(w.session.labels.new_label("WEAPON"))
    ro.session.labels = ro.store.labels()
    ro._labels_changed()
    assert "label:WEAPON" in ro.registry
    assert all(not a.isEnabled() and a.statusTip() == READ_ONLY_TIP for a in ro.registry.group("label"))
    # Undo cannot come on while read-only, whatever the undo stack says
    ro.registry.set_enabled("undo", True)
    assert not ro.undo_action.isEnabled()
    ro.model.runner.wait(10000)
    ro.io.wait(10000)


def test_read_only_off_again_restores_state_and_tips(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    reg = ActionRegistry(parent)
    reg.add("undo", "Undo", shortcut="Ctrl+Z", tip="Take it back", edits=True)
    reg.add("quit", "Quit", tip="Bye", edits=False)
    reg.add("label:X", "1  X", shortcut="1", edits=True, group="label")
    reg.set_enabled("undo", False)
    read_only(reg, True)
    assert [(a.name, a.qaction.isEnabled(), a.qaction.statusTip()) for a in reg] == [
        ("undo", False, READ_ONLY_TIP), ("quit", True, "Bye"), ("label:X", False, READ_ONLY_TIP)]
    reg.set_enabled("undo", True)              # wanted on, kept off while read-only
    late = reg.add("label:Y", "2  Y", shortcut="2", tip="why", edits=True, group="label")
    assert not reg["undo"].isEnabled() and not late.isEnabled() and late.statusTip() == READ_ONLY_TIP
    read_only(reg, False)
    assert [(a.name, a.qaction.isEnabled(), a.qaction.statusTip()) for a in reg] == [
        ("undo", True, "Take it back"), ("quit", True, "Bye"), ("label:X", True, ""),
        ("label:Y", True, "why")]
    assert reg.remove_group("label") == [reg_q for reg_q in parent.findChildren(QAction)
                                         if reg_q.text() in ("1  X", "2  Y")]
    assert [a.name for a in reg] == ["undo", "quit"]


@pytest.mark.parametrize("edits", [None, 1, "yes", 0])
def test_an_action_must_say_whether_it_edits(qtbot, edits):
    reg = ActionRegistry(QObject())
    with pytest.raises(TypeError):
        reg.add("x", "X")                       # no default
    with pytest.raises(TypeError, match="edits must be True or False"):
        reg.add("x", "X", edits=edits)
    reg.add("x", "X", edits=False)
    with pytest.raises(ValueError, match="registered already"):
        reg.add("x", "Y", edits=True)


# -- components get what they use ----------------------------------------------------------------

def test_corpus_jobs_export_with_a_store_and_a_runner_no_window(tmp_path, qtbot):
    store = Store(tmp_path / "p.annotator")
    ids = store.add_documents([{"text": t, "title": f"doc {i}"} for i, t in enumerate(TEXTS)])[0]
    store.apply(edits.add_span(ids[0], Span(9, 14, "GPE"), []))
    holder = QWidget()
    qtbot.addWidget(holder)
    bar, io = JobBar(holder), Runner(1, holder)
    jobs = CorpusJobs(store, None, io, None, bar, holder)
    reports = []
    jobs.exported.connect(reports.append)
    out = tmp_path / "out.jsonl"
    assert jobs.export("jsonl", str(out), {"all_documents": True})
    qtbot.waitUntil(lambda: bool(reports) and not jobs.busy, timeout=10000)
    tasks = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [t["text"] for t in tasks] == TEXTS
    assert [(s["start"], s["end"], s["label"]) for s in tasks[0]["spans"]] == [(9, 14, "GPE")]
    io.wait(10000)
    store.close()


def test_document_panel_is_told_the_open_document(tmp_path, qtbot):
    store = Store(tmp_path / "p.annotator")
    ids = store.add_documents([{"text": t, "title": f"doc {i}"} for i, t in enumerate(TEXTS)])[0]
    panel = DocumentPanel(store, open_doc=lambda: ids[1])
    qtbot.addWidget(panel)
    panel.model.reload()
    panel._remember_place()
    assert panel._place[0] == ids[1]


def test_the_typing_guard_is_given_its_label_actions(qtbot):
    guard = TypingGuard(window=None)
    act = QAction("1  X")
    assert act not in guard._label_actions()
    guard.watch(lambda: [act])
    assert act in guard._label_actions()
    guard.remove()
