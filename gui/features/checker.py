"""The Consistency panel (issue 11): the checker's findings (``models/checker.py``), ranked by
the spans they touch, filled in the background with progress.

Keys in its list: Enter applies the finding's fix (one edit through ``w.session.push``: one
Ctrl+Z undoes all of it), Delete dismisses it (kept in the project; on a dismissed one shown,
brings it back), Space opens the document of its first item (again: the next item), a double
click opens the first item and goes to the article. Ctrl+Shift+C shows the panel and puts the
focus in it; View ▸ Consistency shows or hides it.

The checker's index lives in a worker (one thread; each task opens its own read-only
``Store``): the first check when the panel is first shown (or Check again) reads everything;
after each write of this window (``w.session.changed``) a re-check reads only the documents the
write touched (``Checker.update_docs``). Writes made meanwhile wait, gathered, for the task
running. A write of another window or the command line is seen on Check again.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QHBoxLayout, QHeaderView,
                               QInputDialog, QLabel, QProgressBar, QSizePolicy, QTableView, QToolBar,
                               QVBoxLayout, QWidget)

from gui import dialogs
from gui.features.checker_model import KIND, SPANS, TEXT, FindingsModel
from gui.features.docking import CloseWatch, panel_keys, right_dock
from gui.plain import one_line
from gui.workers import Runner
from models.check_fix import NeedsChoice, fix
from models.check_kinds import doc_count
from models.checker import Cancelled, Checker
from models.edits import Dismiss
from models.findings import KIND_NAMES, Finding, quoted
from models.store import Store, StoreError

TITLE = "Consistency"
READ_ONLY = "Read-only: findings cannot be fixed or dismissed in this window"


def ask_choice(parent, finding: Finding, names: list[str]) -> int | None:
    """Which of ``names`` (the finding's choices, as a person reads them) to apply; None:
    cancelled. Tests replace it."""
    name, ok = QInputDialog.getItem(parent, "Choose the fix", one_line(finding.description, 200),
                                    names, 0, False)
    return names.index(name) if ok and name in names else None


class FindingsTable(QTableView):
    refused = None          # set by the panel: what a key refused in a read-only window says

    def keyPressEvent(self, e) -> None:
        if e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Delete) and self.refused:
            self.refused()           # the editing actions are off (read-only): say why
            return
        super().keyPressEvent(e)


class ConsistencyPanel(QWidget):
    def __init__(self, w):
        super().__init__(w)
        self.w = w
        self.model = FindingsModel(self)
        self.table = FindingsTable()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(TEXT, QHeaderView.ResizeMode.Stretch)
        fm = self.table.fontMetrics()
        self.table.setColumnWidth(KIND, fm.horizontalAdvance("Bounds") + 16)
        self.table.setColumnWidth(SPANS, fm.horizontalAdvance("Spans 0") + 16)
        self.table.verticalHeader().setDefaultSectionSize(fm.height() + 6)
        self.table.doubleClicked.connect(lambda _i: self.open_item(focus_article=True))
        self.detail = QLabel()          # the selected finding in full (the list cuts it short)
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._detail())
        self.status = QLabel("Not checked yet")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.bar = QProgressBar()
        self.bar.setMaximumHeight(14)
        self.bar.hide()
        self.show_dismissed = QCheckBox("Show dismissed")
        self.show_dismissed.toggled.connect(lambda _on: self.refilter())
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.buttons = QToolBar()       # a narrow dock folds its buttons behind the » button
        self.buttons.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(self.show_dismissed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        layout.addWidget(self.buttons)
        self.runner = Runner(1, self)
        self.fixer = Runner(1, self)            # makes the fixes (reads only)
        self.fixing = False
        self.checker: Checker | None = None     # touched by the worker's tasks only
        self.task = None
        self.task_full = False
        self.want_full = False
        self.pending: set[int] = set()
        self.pending_other = False              # entities or dismissals changed: list again
        self.pending_entities = False           # entities changed: their findings made again
        self.item_at: tuple[str, str, int] | None = None     # (kind, key, item) Space opened
        self.checked_once = False

    # -- the background work ----------------------------------------------------------------------
    def check_again(self) -> None:
        if self.task is not None:
            if not self.task_full:
                self.want_full = True
            return
        self.checked_once = True
        path, show = str(self.w.store.path), self.show_dismissed.isChecked()

        def work(task):
            store = Store(path, readonly=True)
            try:
                checker = Checker(store).run(task.report, lambda: task.cancelled)
                return checker, checker.findings(store.dismissed(), show)
            except Cancelled:
                return None
            finally:
                store.close()
        self.pending.clear()
        self.pending_other = self.pending_entities = False
        self._start(work, True, "Checking…")

    def _start(self, work, full: bool, text: str) -> None:
        self.task_full = full
        self.status.setText(text)
        if full:
            self.bar.setValue(0)
            self.bar.show()
        self.task = self.runner.start(work, self._done, self._failed, self._progress)

    def _progress(self, done: int, total: int) -> None:
        self.bar.setMaximum(max(total, 1))
        self.bar.setValue(done)
        self.status.setText(f"Checking… {100 * done // max(total, 1)}%")

    def _done(self, result) -> None:
        self.task = None
        self.bar.hide()
        if result is None:
            self.status.setText("Check stopped")
            return
        self.checker, findings = result
        self._show(findings)
        self._next()

    def _failed(self, message: str) -> None:
        self.task, self.checker = None, None
        self.bar.hide()
        self.status.setText("The check failed: " + one_line(message, 200))

    def follow(self, out, _focus=None) -> None:
        """A write of this window's: re-check what it touched."""
        if not self.checked_once:
            return
        self.pending |= set(out.docs)
        self.pending_other = self.pending_other or bool(out.entities or out.dismissed)
        self.pending_entities = self.pending_entities or bool(out.entities)
        self._next()

    def refilter(self) -> None:
        if self.checked_once:
            self.pending_other = True
            self._next()

    def _next(self) -> None:
        if self.task is not None:
            return
        if self.want_full or (self.checker is None and self.checked_once):
            self.want_full = False
            self.check_again()
            return
        if self.checker is None or not (self.pending or self.pending_other):
            return
        docs, checker = set(self.pending), self.checker
        entities = self.pending_entities
        self.pending.clear()
        self.pending_other = self.pending_entities = False
        path, show = str(self.w.store.path), self.show_dismissed.isChecked()

        def work(task):
            store = Store(path, readonly=True)
            try:
                checker.store = store
                checker.update_docs(docs, cancelled=lambda: task.cancelled, entities=entities)
                return checker, checker.findings(store.dismissed(), show)
            except Cancelled:
                return None
            finally:
                checker.store = None
                store.close()
        self._start(work, False, "Checking again…")

    def _show(self, findings: list[Finding]) -> None:
        current = self.current()
        row = self.table.currentIndex().row()
        self.model.set_findings(findings)
        if current is not None and self.model.row_of(current.kind, current.key) >= 0:
            row = self.model.row_of(current.kind, current.key)
        if findings:
            self.table.selectRow(min(max(row, 0), len(findings) - 1))
        live = sum(not f.dismissed for f in findings)
        gone = len(findings) - live
        self.status.setText(f"{live} findings" + (f" · {gone} dismissed" if gone else "")
                            if findings else "Consistent: nothing found")
        self._detail()

    def _detail(self) -> None:
        f = self.current()
        if f is None:
            self.detail.setText("")
            return
        docs = doc_count(f)         # a missed name's million occurrences: not made into items
        where = f"{docs} document{'s' if docs != 1 else ''}"
        self.detail.setText(f"{KIND_NAMES.get(f.kind, f.kind)} · {f.n_spans} spans in {where}"
                            + (" · dismissed" if f.dismissed else "") + "\n"
                            + one_line(f.description, 2000) + "\n"
                            + ("Enter: fix · " if not f.dismissed else "")
                            + ("Delete: dismiss" if not f.dismissed else "Delete: bring back")
                            + " · Space: open the next item")

    # -- what the keys do -------------------------------------------------------------------------
    def current(self) -> Finding | None:
        row = self.table.currentIndex().row()
        return self.model.findings[row] if 0 <= row < len(self.model.findings) else None

    def _origin(self) -> int | None:
        return self.w.session.doc.id if self.w.session.doc else None

    def fix_current(self) -> None:
        f = self.current()
        if f is None:
            return
        if f.dismissed:
            self._say("This finding is dismissed: Delete brings it back first")
            return
        choice = None
        if f.needs_choice:              # a tie: the person says which
            i = ask_choice(self, f, self._choice_names(f))
            if i is None:
                return
            choice = f.choices[i]
        if self.fixing:
            self._say("The fix before is still being made")
            return
        # Made off the UI thread (a "bounds" fix reads the texts of every document it
        # touches), on a connection of its own; pushed here, through the one write path.
        path, origin = str(self.w.store.path), self._origin()

        def work(_task):
            store = Store(path, readonly=True)
            try:
                return fix(f, store, origin, choice), None
            except (NeedsChoice, StoreError) as e:
                return None, str(e)
            finally:
                store.close()
        self.fixing = True
        self._say("Making the fix…")
        self.fixer.start(work, lambda result: self._fixed(f, *result), self._fix_failed)

    def _fixed(self, f: Finding, edit, error: str | None) -> None:
        self.fixing = False
        if error is not None:
            dialogs.show_error(self, "Not fixed", error)
            return
        if edit is None:
            self._say("Nothing is left to change for this finding")
            self.pending |= {it.doc_id for it in f.items}
            self._next()
            return
        if self.w.session.push(edit, None):
            self._say(f"Fixed: {one_line(edit.text, 80)} (Ctrl+Z undoes it)")

    def _fix_failed(self, message: str) -> None:
        self.fixing = False
        dialogs.show_error(self, "Not fixed", message)

    def _choice_names(self, f: Finding) -> list[str]:
        if f.kind != "variants":
            return list(f.choices)
        names = []
        for c in f.choices:
            ent = self.w.store.entity(int(c)) if c else None
            names.append(f"{ent.name} (entity {c})" if ent else f"entity {c}")
        return names

    def dismiss_current(self) -> None:
        f = self.current()
        if f is None:
            return
        on = not f.dismissed
        what = "Dismiss" if on else "Bring back"
        edit = Dismiss(self._origin(), f.kind, f.key, on, f"{what} finding {quoted(f.strings[0] if f.strings else f.key, 30)}")
        if self.w.session.push(edit, None):
            self._say(("Dismissed" if on else "Brought back") + " (Ctrl+Z undoes it)")

    def open_item(self, focus_article: bool = False, step: bool = False) -> None:
        f = self.current()
        if f is None or not f.items:
            return
        i = 0
        if step and self.item_at and self.item_at[:2] == (f.kind, f.key):
            i = (self.item_at[2] + 1) % len(f.items)
        self.item_at = (f.kind, f.key, i)
        it = f.items[i]
        if not self.w.open_document(it.doc_id):
            return
        span = it.span
        if f.kind != "missed" and span in self.w.session.spans:
            self.w.annotator.select(span)
        else:
            self.w.view.select_range(it.start, it.end)
        self._say(f"Item {i + 1} of {len(f.items)}: {one_line(it.text, 60)} in document {it.doc_id}")
        if focus_article:
            self.w.view.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def _say(self, message: str) -> None:
        self.w.statusBar().showMessage(message, 8000)

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()


def install(w) -> None:
    panel = ConsistencyPanel(w)
    dock = right_dock(w, TITLE, panel)
    w.consistency, w.consistency_dock = panel, dock
    reg, table = w.registry, panel.table

    def first_check() -> None:
        if not panel.checked_once:
            panel.check_again()
    panel_keys(w, dock, "consistency", "Consistency findings", "Ctrl+Shift+C",
               "Show the consistency checker's findings and put the focus in them", table,
               on_shown=first_check)
    again = reg.add("check_again", "Check again", panel.check_again,
                    tip="Check the whole project again (in the background)", edits=False)
    fix_ = reg.add("check_fix", "Fix", panel.fix_current, ["Return", "Enter"],
                   "Apply the fix of the selected finding to every span it names (one undo step)",
                   edits=True)
    dismiss = reg.add("check_dismiss", "Dismiss", panel.dismiss_current, "Delete",
                      "Dismiss the selected finding (kept in the project); on a dismissed one: "
                      "bring it back", edits=True)
    open_ = reg.add("check_open", "Open", lambda: panel.open_item(step=True), "Space",
                    "Open the document of the finding's first item (again: the next item)",
                    edits=False)
    for act in (fix_, dismiss, open_):
        act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        table.addAction(act)
    table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
    for act in (fix_, dismiss, open_, again):
        panel.buttons.addAction(act)
    w.session.changed.connect(panel.follow)
    if w.store.readonly:
        table.refused = lambda: w.statusBar().showMessage(READ_ONLY, 6000)
    w.installEventFilter(CloseWatch(panel, panel.cancel))


__all__ = ["install", "ConsistencyPanel", "ask_choice"]
