"""Every QAction of the window in one place, with its shortcut and whether it edits (the
registry is ``gui.registry``; a read-only window turns off the ones that edit)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QIcon, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import QFileDialog, QToolBar

from gui import dialogs
from gui.plain import one_line, plain_tooltip
from gui.registry import READ_ONLY_TIP, ActionRegistry, read_only
from models.display import shown
from models.document import DONE, SKIPPED
from models.labels import KEY_ORDER, LabelSet


def swatch(color: str, size: int = 14) -> QIcon:
    pm = QPixmap(size, size)
    pm.fill(QColor(color))
    return QIcon(pm)


def label_actions(registry: ActionRegistry, labels: LabelSet, apply) -> list[QAction]:
    """One action per label (group "label", they edit): its key as shortcut; triggering applies
    the label (a key typed as part of a word does not: ``gui.typing_guard`` filters them)."""
    out = []
    for lab in labels:
        name = shown(lab.name).replace("&", "&&")      # shown literally, not as a mnemonic
        a = registry.add(f"label:{lab.name}", f"{lab.key or ' '}   {name}",
                         lambda _=False, n=lab.name: apply(n), lab.key or None,
                         lab.description or lab.name, edits=True, group="label")
        a.setIcon(swatch(lab.color))
        a.setIconText(f"{lab.key or '·'}   {name}")
        out.append(a)
    return out


def _name_action(act: QAction, text: str) -> None:
    act.setText(text.replace("&", "&&"))
    act.setToolTip(plain_tooltip(text))


def _step(w, step, done: str) -> None:
    """Undo or Redo, and the status bar says what it did, and where (a key pressed by mistake
    is never unseen: an edit across documents names how many it changed)."""
    h = w.session.history
    name = h.undo_text() if done == "Undone" else h.redo_text()
    out = step()
    if out is None:
        return
    where = f" in {len(out.docs):,} documents" if len(out.docs) > 1 else ""
    back = " (the previous document is open again)" if out.went_back is not None else ""
    w.statusBar().showMessage(f"{done}: {one_line(name)}{where}{back}", 5000)


def focus_search(w) -> None:
    """Ctrl+Shift+F: the document list's search box (its dock shown if it was closed)."""
    w.docs_dock.show()
    w.docs_dock.raise_()
    w.doc_panel.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
    w.doc_panel.search.selectAll()


def ask_save_copy(w) -> None:
    here = w.store.path
    path, _ = QFileDialog.getSaveFileName(w, "Save a copy of the project",
                                          str(here.with_name(here.stem + "-copy.annotator")),
                                          "Annotation projects (*.annotator)")
    if not path:
        return
    from models.migrations import copy_refused
    why = copy_refused(here, Path(path))      # said now, not after a job (save_copy checks too)
    if why:
        dialogs.show_error(w, "Copy not saved", f"Not saved: {why}. Choose another name.")
    else:
        w.jobs.save_copy(path)


def build_actions(w) -> ActionRegistry:
    """The window's actions, menus and toolbars (``w`` is the MainWindow), all in one registry;
    each says when it is made whether it edits the project (``edits``)."""
    a, s, an = w, w.session, w.annotator
    reg = ActionRegistry(a)
    add = reg.add
    w.undo_action = add("undo", "Undo", lambda: _step(w, s.undo, "Undone"), "Ctrl+Z", edits=True)
    w.redo_action = add("redo", "Redo", lambda: _step(w, s.redo, "Redone"), ["Ctrl+Shift+Z", "Ctrl+Y"],
                        edits=True)
    # What Undo and Redo would do is the journal's (models.history): shown after every step.
    # The text names labels ("Undo Label “<b>”"): the toolbar's tooltip is plain text too.
    def show_history() -> None:
        h = s.history
        reg.set_enabled("undo", h.can_undo())
        reg.set_enabled("redo", h.can_redo())
        _name_action(w.undo_action, f"Undo {h.undo_text()}".strip())
        _name_action(w.redo_action, f"Redo {h.redo_text()}".strip())
    s.history_changed.connect(show_history)
    show_history()
    # The menu says what would be undone; the toolbar button keeps one word, so the buttons
    # after it never move under the mouse (the full text is its tooltip).
    w.undo_action.setIconText("Undo")
    w.redo_action.setIconText("Redo")
    w.delete_action = add("delete", "Delete span", an.delete, ["Delete", "Backspace"], edits=True)
    w.confirm_action = add("confirm", "Confirm model span", an.confirm, ["Return", "Enter"], edits=True)
    # Return and Delete act on the article's selected span only while the article has the
    # focus: in the search box Return searches, in the document list Delete deletes nothing.
    for act in (w.delete_action, w.confirm_action):
        act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        w.view.addAction(act)
    w.exact_action = add("exact", "Exact selection (no snapping)", w._toggle_exact, "Ctrl+E",
                         checkable=True, edits=False)
    w.done_action = add("done", "Done, next document", lambda: w.finish(DONE),
                        ["Ctrl+Return", "Ctrl+Enter"], "Mark done and open the next", edits=True)
    w.skip_action = add("skip", "Skip, next document", lambda: w.finish(SKIPPED),
                        ["Ctrl+Shift+Return", "Ctrl+Shift+Enter"], edits=True)
    w.next_action = add("next", "Next document", lambda: w.step_document(1), "Ctrl+PgDown", edits=False)
    w.prev_action = add("previous", "Previous document", lambda: w.step_document(-1), "Ctrl+PgUp",
                        edits=False)
    w.new_label_action = add("new_label", "New label…", w.new_label, "Ctrl+L", edits=True)
    fb = w.find_bar
    w.find_action = add("find", "Find in the article…", fb.open_bar, "Ctrl+F",
                        "Incremental: F3 next, Shift+F3 previous, Enter selects the match (whole tokens) for a "
                        "label key, Esc back",
                        edits=False)
    w.find_next_action = add("find_next", "Find next", lambda: fb.step(1), "F3", edits=False)
    w.find_prev_action = add("find_previous", "Find previous", lambda: fb.step(-1), "Shift+F3",
                             edits=False)
    w.search_docs_action = add("search_documents", "Search the documents…", lambda: focus_search(w),
                               "Ctrl+Shift+F", "The document list's search box (titles and texts)",
                               edits=False)
    file_menu = w.menuBar().addMenu("&File")
    file_menu.addAction(add("new_project", "New project…", w.new_project, "Ctrl+Shift+N", edits=False))
    file_menu.addAction(add("open_project", "Open project…", w.open_project, "Ctrl+O", edits=False))
    w.recent_menu = file_menu.addMenu("Recent projects")       # entries: group "recent"
    w.recent_menu.aboutToShow.connect(w._fill_recent)
    file_menu.addSeparator()
    file_menu.addAction(add("import", "Import files…", w.import_files, "Ctrl+I", edits=True))
    file_menu.addAction(add("paste", "Paste article…", w.paste_article, "Ctrl+Shift+V", edits=True))
    file_menu.addAction(add("export", "Export…", w.export, "Ctrl+Shift+E",
                            "JSONL, spaCy, CoNLL, doccano, brat, labels, patterns", edits=False))
    file_menu.addAction(add("save_copy", "Save a copy…", lambda: ask_save_copy(w), tip=(
        "The project as one file with every change, e.g. for a backup (copying the .annotator "
        "file while the app runs can miss the latest changes, which are in its -wal file)"),
        edits=False))
    file_menu.addSeparator()
    # It says every change is saved: off where nothing can be changed.
    file_menu.addAction(add("save", "Save (every change is already saved)",
                            lambda: w.save_label.setText("All changes saved"), "Ctrl+S", edits=True))
    file_menu.addAction(add("quit", "Quit", w.close, "Ctrl+Q", edits=False))
    edit = w.menuBar().addMenu("&Edit")
    for act in (w.undo_action, w.redo_action, None, w.delete_action, w.confirm_action,
                w.exact_action, None, w.find_action, w.find_next_action, w.find_prev_action,
                w.search_docs_action, None, w.new_label_action):
        edit.addSeparator() if act is None else edit.addAction(act)
    doc = w.menuBar().addMenu("&Document")
    for act in (w.done_action, w.skip_action, w.next_action, w.prev_action):
        doc.addAction(act)
    model = w.menuBar().addMenu("&Model")
    # The model writes its suggestions and the chosen model is a setting of the project.
    model.addAction(add("choose_model", "Choose model…", w.choose_model, edits=True))
    model.addAction(add("run_model", "Run model on this document", w.rerun_model, "Ctrl+R", edits=True))
    model.addAction(add("preannotate_all", "Pre-annotate all documents", w.jobs.preannotate_all,
                        "Ctrl+Shift+R", "Every document with no spans, not done or skipped", edits=True))
    model.addAction(add("rerun_all", "Re-run model on all (keeps your spans)",
                        lambda: w.jobs.preannotate_all(force=True), edits=True))
    model.addSeparator()
    model.addAction(add("train", "Train a model from the done documents…", w.train, "Ctrl+Shift+T",
                        edits=True))
    view = w.menuBar().addMenu("&View")
    view.addAction(reg.adopt("show_documents", w.docs_dock.toggleViewAction(), edits=False))
    view.addAction(reg.adopt("show_entities", w.spans_dock.toggleViewAction(), edits=False))
    help_menu = w.menuBar().addMenu("&Help")
    help_menu.addAction(
        add("shortcuts", "Keyboard shortcuts", lambda: dialogs.show_shortcuts(w), "F1", edits=False))
    # The menus by name, for the features that add their actions (``gui.features``).
    w.menus = {"file": file_menu, "edit": edit, "document": doc, "model": model, "view": view,
               "help": help_menu}
    w.label_bar = QToolBar("Labels")
    w.label_bar.setObjectName("labels")
    w.label_bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    w.addToolBar(Qt.ToolBarArea.LeftToolBarArea, w.label_bar)
    tools = QToolBar("Tools")
    tools.setObjectName("tools")
    for act in (w.undo_action, w.redo_action, w.exact_action, w.done_action, w.skip_action):
        tools.addAction(act)
    w.addToolBar(Qt.ToolBarArea.TopToolBarArea, tools)
    return reg


REFUSED = "Read-only: this window cannot change the project (it is open for writing elsewhere)"


def set_read_only(w) -> None:
    """A read-only window (``w.store.readonly``): every editing action of ``w.registry`` off,
    the model not loaded, "read-only" in the status bar; a refused change is a status message,
    not a box."""
    s = w.session
    read_only(w.registry, True)
    w.setAcceptDrops(False)                   # dropped files would be imported
    w._load_timer.stop()
    w._load_timer = None                      # no model: it would write its suggestions
    w.model_label.setText("Model: off (read-only)")
    s.error.disconnect()
    s.saved.disconnect()
    s.error.connect(lambda _m: w.statusBar().showMessage(
        "Read-only: nothing was changed (the project is open for writing elsewhere)", 6000))
    # The keys of the actions that are off say why, instead of doing nothing (a disabled
    # action's shortcut is not Qt's any more, so these never clash with one).
    keys = {seq.toString() for act in w.registry.qactions(edits=True) for seq in act.shortcuts()}
    keys |= set(KEY_ORDER)                  # label keys, also of labels added meanwhile
    w.refusing_keys = [QShortcut(QKeySequence(k), w.view, context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
                                 activated=lambda: w.statusBar().showMessage(REFUSED, 6000))
                       for k in sorted(keys) if k]
    w.save_label.setText("READ-ONLY")
    w.save_label.setStyleSheet("background: #ffd6d6; color: #7a0000; font-weight: bold; border-radius: 3px;")
    w.save_label.setToolTip(READ_ONLY_TIP)
