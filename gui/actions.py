"""Every QAction of the window in one place, with its shortcut."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QIcon, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import QFileDialog, QToolBar

from gui import dialogs
from gui.plain import plain_tooltip
from models.display import shown
from models.document import DONE, SKIPPED
from models.labels import KEY_ORDER, LabelSet


def new_action(parent, text: str, slot=None, shortcut=None, tip: str = "", checkable=False) -> QAction:
    a = QAction(text, parent)
    if shortcut:
        keys = shortcut if isinstance(shortcut, (list, tuple)) else [shortcut]
        a.setShortcuts([QKeySequence(k) for k in keys])
        a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    if tip:
        a.setStatusTip(shown(tip))
        a.setToolTip(plain_tooltip(tip))     # a tooltip is never markup (gui.plain)
    a.setCheckable(checkable)
    if slot is not None:
        a.triggered.connect(slot)
    return a


def swatch(color: str, size: int = 14) -> QIcon:
    pm = QPixmap(size, size)
    pm.fill(QColor(color))
    return QIcon(pm)


def label_actions(parent, labels: LabelSet, apply) -> list[QAction]:
    """One action per label: its key as shortcut; triggering applies the label (a key typed
    as part of a word does not: ``gui.typing_guard`` filters the keys of ``_label_actions``)."""
    out = []
    for lab in labels:
        name = shown(lab.name).replace("&", "&&")      # shown literally, not as a mnemonic
        a = new_action(parent, f"{lab.key or ' '}   {name}", lambda _=False, n=lab.name: apply(n),
                       lab.key or None, lab.description or lab.name)
        a.setIcon(swatch(lab.color))
        a.setIconText(f"{lab.key or '·'}   {name}")
        out.append(a)
    return out


def _name_action(act: QAction, text: str) -> None:
    act.setText(text.replace("&", "&&"))
    act.setToolTip(plain_tooltip(text))


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


def build_actions(w) -> None:
    """The window's actions, menus and toolbars (``w`` is the MainWindow)."""
    a, s, an = w, w.session, w.annotator
    w.undo_action = new_action(a, "Undo", s.undo, "Ctrl+Z")
    w.redo_action = new_action(a, "Redo", s.redo, ["Ctrl+Shift+Z", "Ctrl+Y"])
    s.undo_stack.canUndoChanged.connect(w.undo_action.setEnabled)
    s.undo_stack.canRedoChanged.connect(w.redo_action.setEnabled)
    w.undo_action.setEnabled(s.undo_stack.canUndo())     # the signals say only what changes
    w.redo_action.setEnabled(s.undo_stack.canRedo())
    # The text names labels ("Undo Label “<b>”"): the toolbar's tooltip is plain text too.
    for act, word, signal in ((w.undo_action, "Undo", s.undo_stack.undoTextChanged),
                              (w.redo_action, "Redo", s.undo_stack.redoTextChanged)):
        signal.connect(lambda t, act=act, word=word: _name_action(act, f"{word} {t}".strip()))
    # The menu says what would be undone; the toolbar button keeps one word, so the buttons
    # after it never move under the mouse (the full text is its tooltip).
    w.undo_action.setIconText("Undo")
    w.redo_action.setIconText("Redo")
    w.delete_action = new_action(a, "Delete span", an.delete, ["Delete", "Backspace"])
    w.confirm_action = new_action(a, "Confirm model span", an.confirm, ["Return", "Enter"])
    # Return and Delete act on the article's selected span only while the article has the
    # focus: in the search box Return searches, in the document list Delete deletes nothing.
    for act in (w.delete_action, w.confirm_action):
        act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        w.view.addAction(act)
    w.exact_action = new_action(a, "Exact selection (no snapping)", w._toggle_exact,
                                   "Ctrl+E", checkable=True)
    w.done_action = new_action(a, "Done, next document", lambda: w.finish(DONE),
                                  ["Ctrl+Return", "Ctrl+Enter"], "Mark done and open the next")
    w.skip_action = new_action(a, "Skip, next document", lambda: w.finish(SKIPPED),
                                  ["Ctrl+Shift+Return", "Ctrl+Shift+Enter"])
    w.next_action = new_action(a, "Next document", lambda: w.step_document(1), "Ctrl+PgDown")
    w.prev_action = new_action(a, "Previous document", lambda: w.step_document(-1), "Ctrl+PgUp")
    w.new_label_action = new_action(a, "New label…", w.new_label, "Ctrl+L")
    fb = w.find_bar
    w.find_action = new_action(a, "Find in the article…", fb.open_bar, "Ctrl+F",
                               "Incremental: Enter / F3 next, Shift+Enter / Shift+F3 previous, Esc back")
    w.find_next_action = new_action(a, "Find next", lambda: fb.step(1), "F3")
    w.find_prev_action = new_action(a, "Find previous", lambda: fb.step(-1), "Shift+F3")
    w.search_docs_action = new_action(a, "Search the documents…", lambda: focus_search(w), "Ctrl+Shift+F",
                                      "The document list's search box (titles and texts)")
    file_menu = w.menuBar().addMenu("&File")
    file_menu.addAction(new_action(a, "New project…", w.new_project, "Ctrl+Shift+N"))
    file_menu.addAction(new_action(a, "Open project…", w.open_project, "Ctrl+O"))
    w.recent_menu = file_menu.addMenu("Recent projects")
    w.recent_menu.aboutToShow.connect(w._fill_recent)
    file_menu.addSeparator()
    file_menu.addAction(new_action(a, "Import files…", w.import_files, "Ctrl+I"))
    file_menu.addAction(new_action(a, "Paste article…", w.paste_article, "Ctrl+Shift+V"))
    file_menu.addAction(new_action(a, "Export…", w.export, "Ctrl+Shift+E",
                                   "JSONL, spaCy, CoNLL, doccano, brat, labels, patterns"))
    file_menu.addAction(new_action(a, "Save a copy…", lambda: ask_save_copy(w), tip=(
        "The project as one file with every change, e.g. for a backup (copying the .annotator "
        "file while the app runs can miss the latest changes, which are in its -wal file)")))
    file_menu.addSeparator()
    file_menu.addAction(new_action(a, "Save (every change is already saved)",
                                   lambda: w.save_label.setText("All changes saved"), "Ctrl+S"))
    file_menu.addAction(new_action(a, "Quit", w.close, "Ctrl+Q"))
    edit = w.menuBar().addMenu("&Edit")
    for act in (w.undo_action, w.redo_action, None, w.delete_action, w.confirm_action,
                w.exact_action, None, w.find_action, w.find_next_action, w.find_prev_action,
                w.search_docs_action, None, w.new_label_action):
        edit.addSeparator() if act is None else edit.addAction(act)
    doc = w.menuBar().addMenu("&Document")
    for act in (w.done_action, w.skip_action, w.next_action, w.prev_action):
        doc.addAction(act)
    model = w.menuBar().addMenu("&Model")
    model.addAction(new_action(a, "Choose model…", w.choose_model))
    model.addAction(new_action(a, "Run model on this document", w.rerun_model, "Ctrl+R"))
    model.addAction(new_action(a, "Pre-annotate all documents", w.jobs.preannotate_all,
                               "Ctrl+Shift+R", "Every document with no spans, not done or skipped"))
    model.addAction(new_action(a, "Re-run model on all (keeps your spans)",
                               lambda: w.jobs.preannotate_all(force=True)))
    model.addSeparator()
    model.addAction(new_action(a, "Train a model from the done documents…", w.train, "Ctrl+Shift+T"))
    view = w.menuBar().addMenu("&View")
    view.addAction(w.docs_dock.toggleViewAction())
    view.addAction(w.spans_dock.toggleViewAction())
    w.menuBar().addMenu("&Help").addAction(
        new_action(a, "Keyboard shortcuts", lambda: dialogs.show_shortcuts(w), "F1"))
    w.label_bar = QToolBar("Labels")
    w.label_bar.setObjectName("labels")
    w.label_bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    w.addToolBar(Qt.ToolBarArea.LeftToolBarArea, w.label_bar)
    tools = QToolBar("Tools")
    tools.setObjectName("tools")
    for act in (w.undo_action, w.redo_action, w.exact_action, w.done_action, w.skip_action):
        tools.addAction(act)
    w.addToolBar(Qt.ToolBarArea.TopToolBarArea, tools)


READ_ONLY_TIP = "Open read-only: nothing can be changed in this window"


def set_read_only(w) -> None:
    """A read-only window (``w.store.readonly``): every editing action off, the model not
    loaded, "read-only" in the status bar; a refused change is a status message, not a box."""
    s = w.session
    for signal, slot in ((s.undo_stack.canUndoChanged, w.undo_action.setEnabled),
                         (s.undo_stack.canRedoChanged, w.redo_action.setEnabled)):
        signal.disconnect(slot)
    for act in editing_actions(w):
        act.setEnabled(False)
        act.setStatusTip(READ_ONLY_TIP)
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
    refused = "Read-only: this window cannot change the project (it is open for writing elsewhere)"
    keys = {seq.toString() for act in editing_actions(w) for seq in act.shortcuts()}
    keys |= set(KEY_ORDER)                  # label keys, also of labels added meanwhile
    w._refusing = [QShortcut(QKeySequence(k), w.view, context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
                             activated=lambda: w.statusBar().showMessage(refused, 6000))
                   for k in sorted(keys) if k]
    w.save_label.setText("READ-ONLY")
    w.save_label.setStyleSheet("background: #ffd6d6; color: #7a0000; font-weight: bold; border-radius: 3px;")
    w.save_label.setToolTip(READ_ONLY_TIP)


def editing_actions(w) -> list[QAction]:
    """Every action that changes the project (off in a read-only window)."""
    by_text = {a.text().replace("&", ""): a for a in w.findChildren(QAction)}
    named = ["Import files…", "Paste article…", "Save (every change is already saved)", "Choose model…", "Run model on this document",
             "Pre-annotate all documents", "Re-run model on all (keeps your spans)",
             "Train a model from the done documents…"]
    return [w.undo_action, w.redo_action, w.delete_action, w.confirm_action, w.done_action,
            w.skip_action, w.new_label_action, *w._label_actions,
            *(by_text[n] for n in named if n in by_text)]
