"""Several annotators in the window: who annotates here (asked once, File ▸ Annotator name…),
File ▸ Split for annotators… and File ▸ Merge annotators' files… (``models/split.py``,
``models/merge.py``), each written in a worker with the window's status bar saying so."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDoubleSpinBox, QFileDialog, QFormLayout, QInputDialog,
                               QLabel, QLineEdit, QMessageBox, QPushButton, QSpinBox)

from gui import dialogs
from gui.features.docking import CloseWatch
from gui.workers import Runner
from models import team
from models.display import path_shown, shown
from models.project_file import StoreError


def ask_annotator(w) -> QInputDialog:
    """Ask once who annotates (the system user's name offered); not waiting: the answer is
    kept when given, the system user's when the question is closed (it is not asked again)."""
    box = QInputDialog(w)
    box.setWindowTitle("Who annotates?")
    box.setLabelText("Your name, recorded with every edit and exported with the annotations\n"
                     "(File ▸ Annotator name… changes it):")
    box.setTextValue(w.store.annotator)
    box.setObjectName("ask_annotator")

    def done(result: int) -> None:
        name = box.textValue().strip() if result else ""
        set_name(w, name if name and team.name_problem(name) is None else team.default_annotator())
    box.finished.connect(done)
    box.open()
    return box


def set_name(w, name: str) -> bool:
    why = team.name_problem(name)
    if why:
        dialogs.show_error(w, "Name not changed", why)
        return False
    try:
        w.store.set_annotator(name)
    except StoreError as e:
        dialogs.show_error(w, "Name not changed", str(e))
        return False
    w.annotator_label.setText(f"Annotator: {name}")
    return True


def change_name(w) -> None:
    name, ok = QInputDialog.getText(w, "Annotator name", "Who annotates in this project:",
                                    QLineEdit.EchoMode.Normal, w.store.annotator)
    if ok and name.strip() and set_name(w, name.strip()):
        w.statusBar().showMessage(f"Annotator: {name.strip()}", 6000)


def _info(parent, title: str, text: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Information, title, text, parent=parent)
    box.setTextFormat(Qt.TextFormat.PlainText)          # names and paths, literally
    box.setObjectName("team_info")
    box.open()


class SplitDialog(QDialog):
    def __init__(self, w):
        super().__init__(w)
        self.setWindowTitle("Split for annotators")
        self.names = QLineEdit()
        self.names.setPlaceholderText("alice, bob, carol")
        self.overlap = QDoubleSpinBox(minimum=0, maximum=100, value=20, suffix=" %", decimals=0)
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1)
        self.folder = QLineEdit(str(Path(w.store.path).parent))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        form = QFormLayout(self)
        form.addRow("&Annotators (commas):", self.names)
        form.addRow("&Every one also gets:", self.overlap)
        form.addRow("&Sample (seed):", self.seed)
        form.addRow("&Folder:", self.folder)
        form.addRow("", browse)
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b91c1c")
        form.addRow(self.problem)
        form.addRow(dialogs.ok_cancel(self))
        self.project = w.store.path

    def accept(self) -> None:
        """OK: only what can be written closes the dialog; otherwise why, and what was typed stays."""
        from models.split import refusal
        names, overlap, _seed, folder = self.values()
        why = refusal(self.project, folder, names, overlap)
        if why:
            self.problem.setText(shown(why))
            return
        super().accept()

    def _browse(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Folder for the annotators' files", self.folder.text())
        if d:
            self.folder.setText(d)

    def values(self) -> tuple[list[str], float, int, str]:
        names = [n.strip() for n in self.names.text().split(",") if n.strip()]
        return names, self.overlap.value() / 100, self.seed.value(), self.folder.text()


class TeamJobs:
    """Split and merge in a worker (each opens the files itself, read-only)."""

    def __init__(self, w):
        self.w = w
        self.runner = Runner(1, w)
        self.busy = False

    def _start(self, what: str, fn, done) -> None:
        if self.busy:
            self.w.statusBar().showMessage("A split or merge is running; wait for it.", 6000)
            return
        self.busy = True
        self.w.statusBar().showMessage(f"{what}…")

        def finished(result) -> None:
            self.busy = False
            done(result)

        def failed(message: str) -> None:
            self.busy = False
            self.w.statusBar().clearMessage()
            dialogs.show_error(self.w, f"{what}: nothing written", message)
        self.runner.start(lambda task: fn(), finished, failed)

    def split(self) -> None:
        dlg = SplitDialog(self.w)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return
        names, overlap, seed, folder = dlg.values()
        from models.split import split
        path = self.w.store.path

        shared = round(overlap * self.w.store.document_count())

        def done(files) -> None:
            lines = [f"{shown(n)}: {k} documents — {path_shown(p)}" for n, (p, k) in files.items()]
            lines.append(f"Every one has the same {shared} documents (for agreement); the others "
                         "went to one each.")
            self.w.statusBar().showMessage(f"Split into {len(files)} files", 8000)
            _info(self.w, "Split for annotators", "\n".join([f"Written into {path_shown(folder)}:", *lines]))
        self._start("Split", lambda: split(path, folder, names, overlap, seed), done)

    def merge(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self.w, "Annotators' files to merge",
                                                str(Path(self.w.store.path).parent),
                                                "Annotation projects (*.annotator);;All files (*)")
        if len(files) < 2:
            if files:
                dialogs.show_error(self.w, "Merge", "Choose two files or more (one per annotator).")
            return
        out, _ = QFileDialog.getSaveFileName(self.w, "The merged project", str(Path(files[0]).parent / "merged.annotator"),
                                             "Annotation projects (*.annotator)")
        if not out:
            return
        from models.merge import merge, summary

        def done(report) -> None:
            text = "\n".join([summary(report), *report.notes])
            if report.problems:
                dialogs.show_problems(self.w, "Merge", text, report.problems)
            if dialogs.ask_yes_no(self.w, "Merged", f"{text}\n\nOpen it to adjudicate?"):
                self.w.project_requested.emit(str(report.path))
        who = self.w.store.annotator        # the one merging adjudicates, as a rule
        self._start("Merge", lambda: merge(out, files, annotator=who), done)


def install(w) -> None:
    reg, menu = w.registry, w.menus["file"]
    jobs = w.team_jobs = TeamJobs(w)
    w.installEventFilter(CloseWatch(w, lambda: jobs.runner.wait(60000)))   # a split or merge ends first
    w.annotator_label = QLabel(f"Annotator: {w.store.annotator}")
    w.annotator_label.setObjectName("annotator_label")
    w.statusBar().addPermanentWidget(w.annotator_label)
    menu.addSeparator()
    menu.addAction(reg.add("annotator_name", "Annotator name…", lambda: change_name(w),
                           tip="Who annotates here: recorded with every edit, exported", edits=True))
    menu.addAction(reg.add("split", "Split for annotators…", jobs.split,
                           tip="One project file per annotator, with a shared sample", edits=False))
    menu.addAction(reg.add("merge", "Merge annotators' files…", jobs.merge,
                           tip="Their versions side by side, for agreement and adjudication", edits=False))


__all__ = ["install", "ask_annotator", "set_name", "SplitDialog", "TeamJobs"]
