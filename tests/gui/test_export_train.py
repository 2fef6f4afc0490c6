"""File ▸ Export… and Model ▸ Train… from the window, in the background."""
from __future__ import annotations

import pytest
from spacy.tokens import DocBin

from gui import dialogs
from gui.export_dialog import ExportDialog, TrainDialog
from models.edits import SetStatus
from models.exporter import FORMATS

TEXTS = [f"Officials from Seoul met Apple in Tokyo on day {i}." for i in range(24)]


@pytest.fixture
def done_project(make_window, stand_in_model, qtbot):
    w, store, ids = make_window(TEXTS)
    from models import annotate
    from tests.gui.conftest import StandInPipeline
    annotate.preannotate(store, StandInPipeline(), ids, 8)
    for d in ids:
        store.apply(SetStatus(d, store.document_status(d), "done"))
    return w, store, ids


def test_export_dialog_options_follow_the_format(qtbot, tmp_path):
    d = ExportDialog(tmp_path / "p.annotator")
    qtbot.addWidget(d)
    assert [d.format.itemData(i) for i in range(d.format.count())] == list(FORMATS)
    d.format.setCurrentIndex(FORMATS.index("spacy"))
    d.snap.setCurrentIndex(1)
    assert d.choice() == ("spacy", str(tmp_path / "p-spacy"), {"dev_fraction": 0.2, "snap": "expand"})
    d.format.setCurrentIndex(FORMATS.index("doccano"))
    d.all_docs.setChecked(True)
    assert d.choice()[2] == {"all_documents": True}          # doccano's own UTF-16 units
    d.codepoints.setChecked(True)
    assert d.choice()[2] == {"all_documents": True, "offsets": "codepoints"}
    d.format.setCurrentIndex(FORMATS.index("labelstudio"))
    assert d.choice() == ("labelstudio", str(tmp_path / "p-labelstudio.json"), {"all_documents": True})
    d.format.setCurrentIndex(FORMATS.index("jsonl"))
    assert d.tokens.isChecked() and d.choice() == ("jsonl", str(tmp_path / "p.jsonl"),
                                                   {"all_documents": True})
    d.tokens.setChecked(False)
    assert d.choice()[2] == {"all_documents": True, "no_tokens": True}


def test_export_spacy_from_the_window(done_project, qtbot, tmp_path, monkeypatch):
    w, store, ids = done_project
    out = tmp_path / "out-spacy"
    monkeypatch.setattr(ExportDialog, "ask", classmethod(lambda cls, parent, project: ("spacy", str(out), {})))
    messages = []
    w.jobs.exported.connect(lambda report: messages.append(report.summary()))
    w.export()
    qtbot.waitUntil(lambda: bool(messages), timeout=20000)
    import spacy
    vocab = spacy.blank("en").vocab
    docs = [d for f in ("train.spacy", "dev.spacy") for d in DocBin().from_disk(out / f).get_docs(vocab)]
    assert len(docs) == len(TEXTS)
    assert all([(e.text, e.label_) for e in d.ents] == [("Seoul", "GPE"), ("Apple", "ORG"), ("Tokyo", "GPE")]
               for d in docs)


def test_train_from_the_window_and_use_the_model(done_project, qtbot, tmp_path, monkeypatch):
    w, store, ids = done_project
    out = tmp_path / "trained"
    monkeypatch.setattr(TrainDialog, "ask", classmethod(lambda cls, parent, project: (None, 20, str(out))))
    asked = []
    monkeypatch.setattr(dialogs, "ask_yes_no", lambda parent, title, text: asked.append(text) or True)
    w.train()
    qtbot.waitUntil(lambda: bool(asked), timeout=60000)
    assert "GPE" in asked[0] and "Use " in asked[0]
    assert store.setting("model").startswith(str(out))
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=5000)
    w.model.runner.wait(10000)


def test_an_export_over_an_earlier_one_asks_first(qtbot, tmp_path, monkeypatch):
    from gui import export_dialog
    from gui.export_dialog import replaced
    (tmp_path / "p.jsonl").write_text("earlier\n")
    assert replaced("jsonl", tmp_path / "p.jsonl") == str(tmp_path / "p.jsonl")
    assert replaced("jsonl", tmp_path / "new.jsonl") is None
    from models.store import Store
    Store(tmp_path / "proj.annotator").close()
    assert replaced("jsonl", tmp_path / "proj.annotator") is None         # refused by the export
    (tmp_path / "s").mkdir()
    assert replaced("spacy", tmp_path / "s") is None
    (tmp_path / "s" / "dev.spacy").write_bytes(b"x")
    assert replaced("spacy", tmp_path / "s") == f"{tmp_path / 's'}/dev.spacy"
    asked, shown = [], []
    Code = ExportDialog.DialogCode

    def exec_(self):                    # 1st: OK as it is; 2nd (after No): another name, OK
        shown.append(self.out.text())
        if len(shown) == 2:
            self.out.setText(str(tmp_path / "other.jsonl"))
        return Code.Accepted if len(shown) <= 2 else Code.Rejected
    monkeypatch.setattr(ExportDialog, "exec", exec_)
    monkeypatch.setattr(export_dialog, "ask_yes_no", lambda parent, title, text: asked.append(text) or False)
    got = ExportDialog.ask(None, tmp_path / "p.annotator")                    # No: back to the dialog
    assert asked == [f"{tmp_path / 'p.jsonl'} already exists. Replace it with this export?"]
    assert shown == [str(tmp_path / "p.jsonl")] * 2 and got[1] == str(tmp_path / "other.jsonl")
    shown.clear()
    monkeypatch.setattr(ExportDialog, "exec", lambda self: shown.append(1) or Code.Rejected)
    assert ExportDialog.ask(None, tmp_path / "p.annotator") is None           # Cancel
    monkeypatch.setattr(ExportDialog, "exec", lambda self: Code.Accepted)
    monkeypatch.setattr(export_dialog, "ask_yes_no", lambda *a: True)
    assert ExportDialog.ask(None, tmp_path / "p.annotator")[1] == str(tmp_path / "p.jsonl")


def test_save_a_copy_holds_every_change_even_those_still_in_the_wal(done_project, qtbot, tmp_path, monkeypatch):
    """File > Save a copy: one self-contained file with every change — copying the .annotator
    file while the app runs misses what is still in its -wal."""
    import sqlite3

    from PySide6.QtWidgets import QFileDialog
    from gui.actions import ask_save_copy
    w, store, ids = done_project
    assert w.session.add_span(0, 4, "ORG")                     # the latest change
    copy = tmp_path / "backup.annotator"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(copy), ""))
    ask_save_copy(w)
    qtbot.waitUntil(lambda: copy.exists() and not w.jobs.busy, timeout=10000)
    assert not (tmp_path / "backup.annotator-wal").exists() and not (tmp_path / "backup.annotator.part").exists()
    con = sqlite3.connect(copy)
    assert con.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert con.execute("SELECT doc_id, start, end, label FROM spans ORDER BY doc_id, start").fetchall() == \
        store.db.execute("SELECT doc_id, start, end, label FROM spans ORDER BY doc_id, start").fetchall()
    assert (ids[0], 0, 4, "ORG") in con.execute("SELECT doc_id, start, end, label FROM spans").fetchall()
    con.close()
    assert "saved as" in w.statusBar().currentMessage()


def test_the_export_dialog_comes_back_with_the_last_choices(qtbot, tmp_path):
    d = ExportDialog(tmp_path / "p.annotator")
    qtbot.addWidget(d)
    d.format.setCurrentIndex(FORMATS.index("jsonl"))
    d.tokens.setChecked(False)
    d.all_docs.setChecked(True)
    d.accept()
    again = ExportDialog(tmp_path / "p.annotator")
    qtbot.addWidget(again)
    assert again.choice() == ("jsonl", str(tmp_path / "p.jsonl"), {"all_documents": True, "no_tokens": True})
    again.format.setCurrentIndex(FORMATS.index("spacy"))
    again.dev.setValue(0.3)
    again.snap.setCurrentIndex(2)
    again.accept()
    third = ExportDialog(tmp_path / "q.annotator")
    qtbot.addWidget(third)
    assert third.choice() == ("spacy", str(tmp_path / "q-spacy"),
                              {"all_documents": True, "dev_fraction": 0.3, "snap": "contract"})


def test_save_a_copy_over_the_project_is_refused_before_any_job(done_project, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from gui import dialogs
    from gui.actions import ask_save_copy
    w, store, ids = done_project
    errors = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, msg: errors.append((title, msg)))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(store.path), ""))
    ask_save_copy(w)
    assert errors == [("Copy not saved", "Not saved: it is the project itself. Choose another name.")]
    assert not w.jobs.busy
