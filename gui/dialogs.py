"""Dialogs, each with an ``ask()`` classmethod that tests can replace."""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QColorDialog, QComboBox, QDialog, QDialogButtonBox, QFormLayout,
                               QLabel, QLineEdit, QMessageBox, QPlainTextEdit, QPushButton,
                               QVBoxLayout, QFileDialog, QTableWidget,
                               QTableWidgetItem)

from models import ner
from models.labels import Label, LabelError, LabelSet, check_label


def ok_cancel(dialog: QDialog) -> QDialogButtonBox:
    """OK / Cancel wired to the dialog's accept / reject."""
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


class NewLabelDialog(QDialog):
    def __init__(self, labels: LabelSet, parent=None):
        super().__init__(parent)
        self.setWindowTitle("New label")
        self.labels = labels
        proposal = labels.new_label("")
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. WEAPON")
        self.key = QLineEdit(proposal.key)
        self.key.setMaxLength(1)
        self.color = QColor(proposal.color)
        self.color_button = QPushButton()
        self.color_button.clicked.connect(self._pick)
        self._show_color()
        self.error = QLabel()
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setStyleSheet("color: #b00020")
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Key", self.key)
        form.addRow("Colour", self.color_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(ok_cancel(self))

    def _pick(self) -> None:
        c = QColorDialog.getColor(self.color, self, "Label colour")
        if c.isValid():
            self.color = c
            self._show_color()

    def _show_color(self) -> None:
        self.color_button.setText(self.color.name())
        self.color_button.setStyleSheet(f"background: {self.color.name()}; color: #111")

    def label(self) -> Label:
        base = self.labels.new_label(self.name.text().strip().upper(), self.color.name(),
                                     self.key.text().strip().lower())
        return base

    def accept(self) -> None:
        try:
            check_label(self.label(), self.labels)
        except LabelError as e:
            self.error.setText(str(e))
            return
        super().accept()

    @classmethod
    def ask(cls, parent, labels: LabelSet) -> Label | None:
        d = cls(labels, parent)
        return d.label() if d.exec() == QDialog.DialogCode.Accepted else None


class PasteDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Paste an article")
        self.resize(640, 480)
        self.title = QLineEdit()
        self.title.setPlaceholderText("Title (optional)")
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("Paste the article text here (Ctrl+Enter adds it)")
        self.text.setTabChangesFocus(True)      # a tab pasted is kept; Tab typed moves on
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        box = ok_cancel(self)
        layout.addWidget(box)
        self.text.installEventFilter(self)
        self.text.setFocus()                    # Ctrl+V pastes the article, not into the title

    def eventFilter(self, obj, e) -> bool:
        """Ctrl+Enter in the text adds the article (the editor would take it as a new line)."""
        if (obj is self.text and e.type() == QEvent.Type.KeyPress
                and e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and e.modifiers() & Qt.KeyboardModifier.ControlModifier):
            self.accept()
            return True
        return super().eventFilter(obj, e)

    @classmethod
    def ask(cls, parent) -> tuple[str, str] | None:
        d = cls(parent)
        if d.exec() != QDialog.DialogCode.Accepted:
            return None
        # toPlainText would turn NBSP into spaces; toRawText keeps every character.
        return d.title.text(), d.text.document().toRawText().replace("\u2029", "\n")


class ModelDialog(QDialog):
    """Choose the spaCy pipeline: an installed package or a model directory."""

    def __init__(self, current: str | None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Pre-annotation model")
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.addItem("(best installed)", "")
        for name in ner.installed_pipelines():
            self.combo.addItem(name, name)
        if current:
            i = self.combo.findData(current)
            if i < 0:
                self.combo.addItem(current, current)
                i = self.combo.count() - 1
            self.combo.setCurrentIndex(i)
        browse = QPushButton("Model directory…")
        browse.clicked.connect(self._browse)
        form = QFormLayout()
        form.addRow("spaCy pipeline", self.combo)
        form.addRow("", browse)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(ok_cancel(self))

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "spaCy model directory")
        if path:
            self.combo.addItem(path, path)
            self.combo.setCurrentIndex(self.combo.count() - 1)

    def choice(self) -> str:
        data = self.combo.currentData()
        text = self.combo.currentText()
        return data if data is not None and self.combo.itemText(self.combo.currentIndex()) == text else text

    @classmethod
    def ask(cls, parent, current: str | None) -> str | None:
        d = cls(current, parent)
        return d.choice() if d.exec() == QDialog.DialogCode.Accepted else None


def show_problems(parent, title: str, summary: str, problems: list) -> None:
    """Import problems, one per line, shown literally (never as rich text)."""
    box = QMessageBox(QMessageBox.Icon.Warning if problems else QMessageBox.Icon.Information,
                      title, summary, parent=parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    if problems:
        box.setInformativeText(f"{len(problems)} problem(s); see details.")
        box.setDetailedText("\n".join(str(p) for p in problems))
    box.exec()


class EncodingQuestion:
    """Files that are not UTF-8 but look like one encoding: import them as such, or skip them.

    ``ask`` opens the question without blocking (tests replace it) and calls ``answer(True)``
    for "Import as …", ``answer(False)`` for Skip or a closed box.
    """

    @staticmethod
    def text(files: list[str], encoding: str, preview: str) -> tuple[str, str]:
        """(the question, the Import button's text)."""
        from pathlib import Path
        from models.display import path_shown, shown
        from models.formats.errors import describe
        name = describe(encoding)
        short = name.split(" (")[0]
        names = [path_shown(Path(f).name) for f in files]        # raw bytes as \xe9, not dropped
        wide = encoding.replace("_", "-").lower().startswith("utf-16")
        if len(names) == 1:
            what = f"{names[0]} is UTF-16." if wide else f"{names[0]} is not UTF-8. It looks like {name}"
        else:
            listed = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            what = (f"{len(names)} files are UTF-16 ({listed})." if wide else
                    f"{len(names)} files are not UTF-8 ({listed}). They look like {name}")
        sample = f'"{shown(preview)}"' if preview else "(no text at its start)"
        if len(names) > 1:
            what += ("" if wide else ".") + " The first begins"
        elif wide:
            what += " It begins"
        return f"{what}:\n\n{sample}", f"Import as {short}"

    @classmethod
    def ask(cls, parent, files: list[str], encoding: str, preview: str, answer) -> None:
        text, button = cls.text(files, encoding, preview)
        box = QMessageBox(QMessageBox.Icon.Question, "Import: not UTF-8", text, parent=parent)
        box.setTextFormat(Qt.TextFormat.PlainText)          # file names and text, literally
        yes = box.addButton(button, QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Skip", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(yes)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _r: answer(box.clickedButton() is yes))
        box.open()


def ask_yes_no(parent, title: str, text: str) -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, title, text,
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setStyleSheet("QLabel { font-family: monospace; }")
    return box.exec() == QMessageBox.StandardButton.Yes


def show_error(parent, title: str, message: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Critical, title, message, parent=parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.exec()


SHORTCUTS = [
    ("select text, then a label's key (1–9, q…)", "label the selection (snaps to whole tokens)"),
    ("mouse drag / Shift+arrows / Ctrl+Shift+arrows", "select text"),
    ("Alt+drag, or Ctrl+E (toggle)", "exact characters, no snapping"),
    ("click a span, Tab / Shift+Tab", "select a span (outlined)"),
    ("label key on a selected span", "relabel it"),
    ("Enter", "confirm the suggestion (it becomes yours), go on to the next"),
    ("Delete / Backspace", "remove the selected span"),
    ("Shift+Left / Shift+Right", "move the span's end by a token"),
    ("Ctrl+Shift+Left / Ctrl+Shift+Right", "move the span's start by a token"),
    ("Esc", "clear the selection"),
    ("Ctrl+F", "find in the article; Esc: back to it, the match selected"),
    ("F3, Shift+Enter / Shift+F3", "next / previous match"),
    ("Enter in Find", "select the match (whole tokens), back to the article for a label key"),
    ("Ctrl+K", "link the selected span to an entity (new or existing: its other names)"),
    ("Ctrl+Shift+K", "the Linked entities panel: entities, their names, their mentions"),
    ("Ctrl+Shift+F", "search the document list (titles and texts)"),
    ("label keys typed as a word", "ignored: a key within 0.3 s of another is typing"),
    ("Ctrl+Z / Ctrl+Shift+Z", "undo / redo — every edit, the model's too"),
    ("Ctrl+Enter", "done (accepts the suggestions left), open the next"),
    ("Ctrl+Shift+Enter", "skip, open the next"),
    ("Ctrl+PgDown / Ctrl+PgUp", "next / previous document"),
    ("Ctrl+L", "new label (name, colour, key)"),
    ("Entities table", "click a row to jump; double-click Label to relabel; Delete removes"),
    ("Ctrl+R", "run the model again on this document"),
    ("Ctrl+I / Ctrl+Shift+V / Ctrl+Shift+E", "import files / paste an article / export JSONL"),
    ("Ctrl+Shift+A", "label every occurrence of the selection (preview first)"),
    ("Ctrl+Shift+C", "the Consistency panel: the checker's findings, Enter fixes one"),
    ("Ctrl+Shift+I", "the Statistics panel"),
]


class ShortcutsDialog(QDialog):
    """F1: every key, the whole list at once (sized to it, within the screen)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard")
        # A feature of the window may say other keys (``w.shortcut_rows``: (keys, what) pairs;
        # one with the keys of a row here takes its place).
        extra = list(getattr(parent, "shortcut_rows", []) or [])
        given = {k for k, _ in extra}
        rows = [r for r in SHORTCUTS if r[0] not in given] + extra
        self.table = table = QTableWidget(len(rows), 2)
        table.setHorizontalHeaderLabels(["Keys", "What they do"])
        for row, (keys, what) in enumerate(rows):
            table.setItem(row, 0, QTableWidgetItem(keys))
            table.setItem(row, 1, QTableWidgetItem(what))
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        table.resizeColumnsToContents()
        table.resizeRowsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        note = QLabel("Every change is saved the moment you make it: there is nothing to save.")
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(note)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(self.reject)
        layout.addWidget(box)
        # As large as the table (every row, no scrolling), but never beyond the screen.
        frame = 2 * table.frameWidth() + 8          # and a little air
        width = sum(table.columnWidth(c) for c in range(2)) + frame
        height = table.horizontalHeader().sizeHint().height() + table.verticalHeader().length() + frame
        screen = (parent.screen() if parent is not None else self.screen()).availableGeometry()
        table.setMinimumSize(min(width, screen.width() - 80), min(height, screen.height() - 160))
        self.adjustSize()


def show_shortcuts(parent) -> None:
    ShortcutsDialog(parent).exec()
