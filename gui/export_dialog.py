"""Export and training dialogs: choose a format or a base model; ``ask()`` returns the choice."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDoubleSpinBox,
                               QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QSpinBox, QVBoxLayout)

from gui.dialogs import ask_yes_no, ok_cancel
from models import ner, parts
from models.exporter import DIRECTORY_FORMATS, FORMATS
from models.project_file import project_in_the_way

DESCRIPTIONS = {
    "jsonl": "Prodigy-style JSONL (text, tokens, spans, answer)",
    "spacy": "spaCy DocBin: train.spacy + dev.spacy for spacy train",
    "conll": "CoNLL-2003, IOB2 tags, one token per line",
    "doccano": "doccano sequence labelling JSONL",
    "labelstudio": "Label Studio JSON tasks + labelling config (.label_config.xml)",
    "brat": "brat standoff: .txt + .ann per document",
    "labels": "the label set (JSON)",
    "patterns": "EntityRuler patterns from the labelled strings",
    "entities": "the entities and their names (a knowledge base for spaCy's InMemoryLookupKB)",
}


def replaced(fmt: str, out: Path) -> str | None:
    """What an export to ``out`` would replace (a file, or files of a folder export), if any:
    only a regular file is replaced (a pipe, a device or a link's target is written into, or the
    export refuses it with its reason: no question asked). Not a project either: refused."""
    if fmt not in DIRECTORY_FORMATS and project_in_the_way(out):
        return None
    names = ("train.spacy", "dev.spacy") if fmt == "spacy" else ("annotation.conf",)
    found = [str(p) for p in ([out / n for n in names] if fmt in DIRECTORY_FORMATS else [out])
             if _existed(p)]
    return found[0] + (" and more" if len(found) > 1 else "") if found else None


def _existed(path: Path) -> bool:
    try:
        return parts.target(path).existed
    except parts.TargetRefused:
        return False


class ExportDialog(QDialog):
    def __init__(self, project: Path, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Export annotations")
        self.project = project
        self.format = QComboBox()
        for fmt in FORMATS:
            self.format.addItem(f"{fmt} — {DESCRIPTIONS[fmt]}", fmt)
        self.out = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        out_row = QHBoxLayout()
        out_row.addWidget(self.out)
        out_row.addWidget(browse)
        self.all_docs = QCheckBox("every document, not only those marked done")
        self.rejected = QCheckBox("add rejected model suggestions as \"reject\" tasks")
        self.tokens = QCheckBox("with tokens (Prodigy's manual views need them; "
                                "without: character offsets only, a tenth of the size)")
        self.tokens.setChecked(True)
        self.dev = QDoubleSpinBox(minimum=0.0, maximum=0.9, singleStep=0.05, value=0.2)
        self.snap = QComboBox()
        self.snap.addItem("stop and list spans that do not line up with tokens", None)
        self.snap.addItem("expand them to whole tokens", "expand")
        self.snap.addItem("contract them to whole tokens", "contract")
        self.codepoints = QCheckBox("offsets in code points (not doccano's own UTF-16 units)")
        form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("Save to", out_row)
        form.addRow("", self.all_docs)
        form.addRow("", self.rejected)
        form.addRow("", self.tokens)
        self.dev_label, self.snap_label = QLabel("Dev fraction"), QLabel("Misaligned spans")
        form.addRow(self.dev_label, self.dev)
        form.addRow(self.snap_label, self.snap)
        form.addRow("", self.codepoints)
        box = ok_cancel(self)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(box)
        self.format.currentIndexChanged.connect(self._format_changed)
        self._restore()
        self._format_changed()
        self.accepted.connect(self._remember)

    # The last choices come back next time (not the file: it follows the project and format).
    _REMEMBERED = ("all_docs", "rejected", "tokens", "codepoints")

    def _restore(self) -> None:
        s = QSettings()
        i = self.format.findData(s.value("export/format", "jsonl"))
        self.format.setCurrentIndex(max(i, 0))
        for name in self._REMEMBERED:
            box = getattr(self, name)
            box.setChecked(s.value(f"export/{name}", box.isChecked(), bool))
        self.dev.setValue(s.value("export/dev_fraction", self.dev.value(), float))
        self.snap.setCurrentIndex(max(self.snap.findData(s.value("export/snap")), 0))

    def _remember(self) -> None:
        s = QSettings()
        s.setValue("export/format", self.format.currentData())
        for name in self._REMEMBERED:
            s.setValue(f"export/{name}", getattr(self, name).isChecked())
        s.setValue("export/dev_fraction", self.dev.value())
        s.setValue("export/snap", self.snap.currentData())

    def _format_changed(self) -> None:
        fmt = self.format.currentData()
        self.rejected.setVisible(fmt == "jsonl")
        self.tokens.setVisible(fmt == "jsonl")
        for w in (self.dev, self.dev_label, self.snap, self.snap_label):
            w.setVisible(fmt == "spacy")
        self.codepoints.setVisible(fmt == "doccano")
        self.all_docs.setVisible(fmt != "labels")
        base = self.project.with_suffix("")
        suffix = {"spacy": "-spacy", "brat": "-brat", "conll": ".conll", "labels": "-labels.json",
                  "patterns": "-patterns.jsonl", "labelstudio": "-labelstudio.json"}.get(fmt, f"-{fmt}.jsonl" if fmt != "jsonl" else ".jsonl")
        self.out.setText(str(base) + suffix)

    def _browse(self) -> None:
        fmt = self.format.currentData()
        path = (QFileDialog.getExistingDirectory(self, "Export to folder", self.out.text())
                if fmt in DIRECTORY_FORMATS else
                QFileDialog.getSaveFileName(self, "Export to", self.out.text())[0])
        if path:
            self.out.setText(path)

    def choice(self) -> tuple[str, str, dict]:
        fmt = self.format.currentData()
        options: dict = {}
        if fmt != "labels" and self.all_docs.isChecked():
            options["all_documents"] = True
        if fmt == "jsonl" and self.rejected.isChecked():
            options["include_rejected"] = True
        if fmt == "jsonl" and not self.tokens.isChecked():
            options["no_tokens"] = True
        if fmt == "spacy":
            options["dev_fraction"] = self.dev.value()
            if self.snap.currentData():
                options["snap"] = self.snap.currentData()
        if fmt == "doccano" and self.codepoints.isChecked():
            options["offsets"] = "codepoints"
        return fmt, self.out.text(), options

    @classmethod
    def ask(cls, parent, project: Path) -> tuple[str, str, dict] | None:
        d = cls(project, parent)
        while d.exec() == QDialog.DialogCode.Accepted and d.out.text():
            choice = d.choice()
            there = replaced(choice[0], Path(choice[1]))
            if not there or ask_yes_no(parent, "Replace the earlier export?",
                                       f"{there} already exists. Replace it with this export?"):
                return choice
            # No: back to the dialog, to choose another name
        return None


class TrainDialog(QDialog):
    def __init__(self, project: Path, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Train a model from the done documents")
        self.base = QComboBox()
        self.base.addItem("(from scratch)", None)
        for name in ner.installed_pipelines():
            self.base.addItem(name, name)
        self.base.setCurrentIndex(min(1, self.base.count() - 1))
        self.steps = QSpinBox(minimum=10, maximum=100_000, value=2000, singleStep=500)
        self.out = QLineEdit(str(project.with_suffix("")) + "-model")
        note = QLabel("Trains in the background; you can keep labelling. Dev precision, recall "
                      "and F1 per label are shown at the end.")
        note.setWordWrap(True)
        note.setTextFormat(Qt.TextFormat.PlainText)
        form = QFormLayout()
        form.addRow("Start from", self.base)
        form.addRow("Steps", self.steps)
        form.addRow("Save to", self.out)
        box = ok_cancel(self)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(box)

    @classmethod
    def ask(cls, parent, project: Path) -> tuple[str | None, int, str] | None:
        d = cls(project, parent)
        if d.exec() != QDialog.DialogCode.Accepted:
            return None
        return d.base.currentData(), d.steps.value(), d.out.text()
