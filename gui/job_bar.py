"""The status bar's progress of a long job: a line of text, a bar and Cancel."""
from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget


class JobBar(QWidget):
    """A progress bar, a line of text and a Cancel button for the status bar."""
    cancel = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.text = QLabel()
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(180)
        self.bar.setMaximumHeight(14)
        self.button = QToolButton()
        self.button.setText("Cancel")
        self.button.clicked.connect(self.cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for w in (self.text, self.bar, self.button):
            layout.addWidget(w)
        self.hide()

    def show_progress(self, done: int, total: int, text: str) -> None:
        self.bar.setMaximum(max(total, 1))
        self.bar.setValue(done)
        self.text.setText(text)
        self.show()


def rate_text(what: str, done: int, total: int, started: float) -> str:
    elapsed = max(time.perf_counter() - started, 1e-6)
    rate = done / elapsed
    left = (total - done) / rate if rate > 0 else 0
    return f"{what} {done:,}/{total:,} · {rate:,.0f} docs/s · {left:,.0f} s left"
