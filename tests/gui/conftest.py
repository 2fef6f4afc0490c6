"""GUI fixtures: a window on a real project file, with a fast stand-in or the real model."""
from __future__ import annotations

import re
import sqlite3

import pytest

from models import ner
from models.store import Store

ENTITY = re.compile(r"\b(Seoul|Tokyo|Korea|Apple|Monday|Kim Jong Un)\b")
LABELS = {"Seoul": "GPE", "Tokyo": "GPE", "Korea": "GPE", "Apple": "ORG", "Monday": "DATE",
          "Kim Jong Un": "PERSON"}


class StandInPipeline:
    """Behaves like ner.Pipeline for the GUI: regex 'entities', instantly."""
    name = "stand-in"
    source = "stand_in-1.0"
    labels = ["GPE", "ORG", "DATE", "PERSON"]

    def predict(self, texts, batch_size=32):
        for text in texts:
            yield [(m.start(), m.end(), LABELS[m.group()]) for m in ENTITY.finditer(text)]


@pytest.fixture(autouse=True)
def private_settings(tmp_path):
    """Each test has its own QSettings file (recent projects, window state)."""
    from PySide6.QtCore import QSettings
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch):
    """A modal error box would hang the suite: an unexpected one fails the test instead."""
    from gui import dialogs

    def unexpected(parent, title, message, *rest):
        raise AssertionError(f"unexpected dialog {title!r}: {message}")
    monkeypatch.setattr(dialogs, "show_error", unexpected)
    monkeypatch.setattr(dialogs, "show_problems", unexpected)
    # An encoding question nobody answers would stay open: "Skip" unless a test answers it.
    monkeypatch.setattr(dialogs.EncodingQuestion, "ask", classmethod(
        lambda cls, parent, files, enc, preview, answer: answer(False)))


@pytest.fixture(autouse=True)
def model_in_process(monkeypatch):
    """The window's model on its thread in this process, where the tests' stand-in pipelines
    (and monkeypatched ``ner.load``) live; tests/gui/test_model_server.py runs the server."""
    from gui import model_service
    monkeypatch.setattr(model_service, "SERVER", False)


@pytest.fixture
def stand_in_model(monkeypatch):
    monkeypatch.setattr(ner, "load", lambda name=None: StandInPipeline())


@pytest.fixture
def db_rows(tmp_path):
    """Read spans straight from the project file with a second connection."""
    def rows(path, doc_id=None):
        con = sqlite3.connect(path)
        try:
            q = "SELECT doc_id, start, end, label, source FROM spans"
            args = []
            if doc_id is not None:
                q += " WHERE doc_id = ?"
                args = [doc_id]
            return con.execute(q + " ORDER BY doc_id, start", args).fetchall()
        finally:
            con.close()
    return rows


@pytest.fixture
def make_window(qtbot, tmp_path):
    """Open a MainWindow on a project holding ``texts``; returns (window, store, doc ids)."""
    from gui.main_window import MainWindow
    windows = []

    def make(texts=None, path=None, model=None, start=True):
        path = path or tmp_path / "project.annotator"
        store = Store(path)
        ids = store.add_documents([{"text": t, "title": f"doc {i}"} for i, t in enumerate(texts or [])])[0]
        w = MainWindow(store, model)
        qtbot.addWidget(w)
        w.show()
        w.activateWindow()
        qtbot.waitExposed(w)
        if start:
            w.start()
        windows.append(w)
        return w, store, ids

    yield make
    for w in windows:
        w.model.runner.wait(10000)
        w.io.wait(10000)
