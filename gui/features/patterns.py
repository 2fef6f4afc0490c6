"""Dictionaries and patterns in the window (``models/ruler.py``): Model ▸ Load patterns… reads
a spaCy ``EntityRuler`` patterns file (off the UI thread), shows its bad lines with line and
reason, asks how to run it (alone, patterns win, the model wins) and pre-annotates the corpus in
the background as "Pre-annotate all documents" does (``CorpusJobs.preannotate_patterns``).
Model ▸ Pre-annotate from this project's labels does the same with the strings people labelled.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QFileDialog, QLabel, QPlainTextEdit, QRadioButton,
                               QVBoxLayout)

from gui import dialogs
from models.display import path_shown


def install(w) -> None:
    reg, menu = w.registry, w.menus["model"]
    menu.addSeparator()
    menu.addAction(reg.add("load_patterns", "Load patterns…", lambda: load_patterns(w), tip=(
        "Pre-annotate every document not done with spaCy EntityRuler patterns (JSONL), alone or "
        "with the model; a pattern's id links its spans to an entity"), edits=True))
    menu.addAction(reg.add("project_patterns", "Pre-annotate from this project's labels",
                           lambda: from_project(w), tip=(
        "The strings people labelled, as patterns, suggested everywhere else in the documents "
        "not done (a person's span is never touched)"), edits=True))


def choose_file(w) -> str:
    """The patterns file the person picks ('' for none); tests replace it."""
    path, _ = QFileDialog.getOpenFileName(w, "Load patterns", "",
                                          "spaCy patterns (*.jsonl *.json);;All files (*)")
    return path


def load_patterns(w) -> None:
    path = choose_file(w)
    if not path:
        return
    if w.jobs.busy:
        w.statusBar().showMessage("Another job is running; load the patterns when it is done.", 8000)
        return

    def read(_task):
        from models import ruler
        try:
            return ruler.read_patterns(path, trained=True)
        except ruler.PatternsError as e:
            return str(e)
    w.statusBar().showMessage(f"Reading {path_shown(path)}…")
    w.jobs.io.start(read, lambda got: _read(w, got), lambda m: dialogs.show_error(w, "Patterns", m))


def _read(w, got) -> None:
    w.statusBar().clearMessage()
    if isinstance(got, str):
        dialogs.show_error(w, "Patterns not loaded", got)
        return
    if not got.patterns:
        dialogs.show_error(w, "Patterns not loaded", "\n".join(
            [f"{got.name}: no valid pattern."] + [str(p) for p in got.problems[:50]]))
        return
    mode = PatternsDialog.ask(w, got, model_loaded=w.model.source is not None)
    if mode is None:
        return
    if mode == "alone":
        got = got.without_trained()
        if not got.patterns:
            dialogs.show_error(w, "Patterns not loaded", "\n".join(
                [f"{got.name}: every pattern needs a model."] + [str(p) for p in got.problems[:50]]))
            return
    w.jobs.preannotate_patterns(got, mode)


def from_project(w) -> None:
    w.jobs.preannotate_patterns(None, "alone")


class PatternsDialog(QDialog):
    """How to run the patterns just read; their bad lines listed (file, line, reason)."""

    CHOICES = (("alone", "Patterns alone (no model)"),
               ("patterns", "Patterns and the model: patterns win"),
               ("model", "Patterns and the model: the model wins"))

    def __init__(self, patterns, model_loaded: bool, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Pre-annotate with patterns")
        layout = QVBoxLayout(self)
        n, bad = len(patterns.patterns), len(patterns.problems)
        head = QLabel(f"{patterns.name}: {n:,} patterns" + (f", {bad:,} bad lines (left out):"
                                                            if bad else "."))
        head.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(head)
        if bad:
            lines = QPlainTextEdit("\n".join(str(p) for p in patterns.problems))
            lines.setReadOnly(True)
            lines.setObjectName("problems")
            layout.addWidget(lines)
        self.buttons = {}
        for mode, text in self.CHOICES:
            b = QRadioButton(text)
            b.setEnabled(model_loaded or mode == "alone")
            layout.addWidget(b)
            self.buttons[mode] = b
        self.buttons["patterns" if model_loaded else "alone"].setChecked(True)
        if not model_loaded:
            layout.addWidget(QLabel("No model is loaded: the patterns run alone."))
        layout.addWidget(dialogs.ok_cancel(self))

    def mode(self) -> str:
        return next(m for m, b in self.buttons.items() if b.isChecked())

    @classmethod
    def ask(cls, parent, patterns, model_loaded: bool) -> str | None:
        d = cls(patterns, model_loaded, parent)
        return d.mode() if d.exec() == QDialog.DialogCode.Accepted else None
