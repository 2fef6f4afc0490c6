"""The main window's projects, imports, exports and training (a mixin of ``MainWindow``): what
the File and Model menus open and what their jobs report back."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog

from gui import dialogs
from gui.export_dialog import ExportDialog, TrainDialog
from models.display import path_shown
from models.importer import FORMATS, import_text
from models.store import StoreError


def import_filter() -> str:
    """The file dialog's filters: every ending an import reads, then each kind's own."""
    every = " ".join(f"*{e}" for _, endings in FORMATS.values() for e in endings)
    return (f"Articles and annotated data ({every});;Label Studio JSON (*.json);;"
            f"CoNLL / IOB ({' '.join('*' + e for e in FORMATS['conll'][1])});;All files (*)")


class WindowIO:
    def _place(self) -> tuple[dict, int | None]:
        """Where the project was left (last_pos, last_doc), or nowhere if the file holds
        something else there (it is only a convenience)."""
        try:
            pos, last = self.store.setting("last_pos"), self.store.setting("last_doc")
        except StoreError:
            return {}, None
        if not isinstance(pos, dict) or not all(type(pos.get(k, 0)) is int for k in ("doc", "cursor", "top")):
            pos = {}
        return pos, last if type(last) is int else None

    def new_project(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "New project", str(self.store.path.parent / "project.annotator"),
                                              "Annotation projects (*.annotator *.db)")
        if path:
            self.project_requested.emit(path)

    def open_project(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open project", str(self.store.path.parent),
                                              "Annotation projects (*.annotator *.db);;All files (*)")
        if path:
            self.project_requested.emit(path)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for act in self.registry.remove_group("recent"):
            act.deleteLater()                 # the menu no longer shows it
        for i, path in enumerate(QSettings().value("recent_projects", [], list) or []):
            self.recent_menu.addAction(self.registry.add(
                f"recent:{i}", path_shown(path).replace("&", "&&"),    # literally
                lambda _=False, p=path: self.project_requested.emit(p), edits=False, group="recent"))

    def import_files(self, paths: list[str] | None = None) -> None:
        """Import files (asked for when not given): their format is told by their ending."""
        if not paths:
            paths, _ = QFileDialog.getOpenFileNames(self, "Import articles", str(Path.home()),
                                                    import_filter())
        if paths and not self.jobs.import_files(paths):
            self.statusBar().showMessage("Another job is running; import when it is done.", 8000)

    def _preannotated(self, doc_ids: list[int]) -> None:
        self.docs_model.refresh_rows(doc_ids)         # in place: no reload, the view stays put
        self._refresh_progress()
        self.session.refresh(set(doc_ids))

    def dragEnterEvent(self, e) -> None:
        if e.mimeData().hasUrls() and all(u.isLocalFile() for u in e.mimeData().urls()):
            e.acceptProposedAction()

    def dropEvent(self, e) -> None:
        """Files and folders dropped on the window are imported."""
        self.import_files([u.toLocalFile() for u in e.mimeData().urls()])
        e.acceptProposedAction()

    def paste_article(self) -> None:
        got = dialogs.PasteDialog.ask(self)
        report = got and self._written("Not imported", import_text, self.store, got[1], got[0])
        if report:
            self._imported(report)

    def _imported(self, report) -> None:
        self.docs_model.reload()
        self._refresh_progress()
        self.session.follow_labels()            # an import may bring labels
        self.statusBar().showMessage(f"Import: {report.summary()}", 8000)
        if report.problems:
            dialogs.show_problems(self, "Import", f"Import: {report.summary()}", report.problems)
        if report.added:
            self.open_document(report.added[0])

    def export(self) -> None:
        choice = ExportDialog.ask(self, self.store.path)
        if choice is not None:
            self.jobs.export(*choice)

    def _exported(self, report) -> None:
        where = f" to {report.out}" if report.out and not report.cancelled else ""
        self.statusBar().showMessage(f"Export: {report.summary()}{where}", 30000)

    def train(self) -> None:
        choice = TrainDialog.ask(self, self.store.path)
        if choice is not None:
            self.jobs.train(*choice)

    def _trained(self, result) -> None:
        from models.train import format_scores, use_model
        if result.model_path is None:
            self.statusBar().showMessage("Training stopped before it began.", 8000)
            return
        text = (f"{result.n_train} training and {result.n_dev} dev documents, {result.steps} steps.\n\n"
                f"{format_scores(result.scores)}\n\nUse {result.model_path} to pre-annotate this project?")
        if dialogs.ask_yes_no(self, "Model trained", text) and \
                self._written("Model not changed", use_model, self.store, result.model_path):
            self.model.load(str(result.model_path))

