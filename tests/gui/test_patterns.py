"""Dictionaries and patterns through the real window: Model ▸ Load patterns… reads the file off
the UI thread, shows its bad lines (line and reason), asks how to run it, and pre-annotates the
corpus in the background (the open document last, undone there by Ctrl+Z); Model ▸ Pre-annotate
from this project's labels. Checked on the rows of the SQLite file."""
from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPlainTextEdit

from gui.features import patterns as feature
from models.edits import SetStatus

STAND_IN = "stand_in-1.0"
TEXTS = ["Apple met Acme Corp in Seoul on Monday.",         # the open one: the stand-in labels it
         "Acme Corp and north KOREA signed.",
         "Nothing to find here.",
         "Acme Corp again, in Tokyo.",
         "Acme Corp is done."]
LINES = ['{"label": "ORG", "pattern": "Acme Corp", "id": "Q1"}',
         '{"label": "GPE", "pattern": [{"LOWER": "north"}, {"LOWER": "korea"}]}',
         "not json",
         '{"label": "ORG", "pattern": [{"LOWR": "x"}]}',
         '{"label": "GPE", "pattern": "Seoul"}']
SRC = "patterns:names.jsonl"


def rows(path, doc_id):
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT start, end, label, source, entity FROM spans WHERE doc_id = ? "
                           "ORDER BY start", [doc_id]).fetchall()
    finally:
        con.close()


def at(text, words, label, source=SRC, entity=None):
    i = text.index(words)
    return (i, i + len(words), label, source, entity)


@pytest.fixture
def window(make_window, stand_in_model, qtbot, tmp_path):
    w, store, ids = make_window(TEXTS)
    qtbot.waitUntil(lambda: store.preannotated(ids[0]) == STAND_IN, timeout=5000)
    store.apply(SetStatus(ids[4], "new", "done"))
    path = tmp_path / "names.jsonl"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    return w, store, ids, path


@pytest.fixture
def answer(monkeypatch):
    """The choice dialog, made for real, answered with ``mode``; what it showed is kept."""
    seen = {}

    def ask(cls, parent, patterns, model_loaded):
        d = cls(patterns, model_loaded, parent)
        box = d.findChild(QPlainTextEdit, "problems")
        seen["problems"] = box.toPlainText() if box else ""
        seen["enabled"] = {m: b.isEnabled() for m, b in d.buttons.items()}
        seen["default"] = d.mode()
        d.buttons[seen["mode"]].setChecked(True)
        mode = d.mode()
        d.deleteLater()
        return mode
    monkeypatch.setattr(feature.PatternsDialog, "ask", classmethod(ask))
    return seen


def test_load_patterns_from_the_model_menu_runs_over_the_corpus_and_ctrl_z_undoes_the_open_one(
        window, answer, monkeypatch, qtbot):
    w, store, ids, path = window
    answer["mode"] = "alone"
    monkeypatch.setattr(feature, "choose_file", lambda _w: str(path))
    action = w.registry["load_patterns"]
    assert action in w.menus["model"].actions() and w.registry["project_patterns"] in w.menus["model"].actions()
    before_open = rows(store.path, ids[0])
    action.trigger()
    qtbot.waitUntil(lambda: "Pre-annotated:" in w.statusBar().currentMessage(), timeout=10000)
    assert not w.jobs.busy and not w.job_bar.isVisible()
    assert answer["problems"] == (f"{path}, line 3: not JSON: Expecting value: line 1 column 1 (char 0)\n"
                                  f"{path}, line 4: token 1: unknown token attribute LOWR")
    assert answer["enabled"] == {"alone": True, "patterns": True, "model": True}    # a model is loaded
    assert answer["default"] == "patterns"
    (ent,) = store.entities()
    assert (ent.name, ent.kb_id) == ("Acme Corp", "Q1")
    assert rows(store.path, ids[1]) == [at(TEXTS[1], "Acme Corp", "ORG", entity=ent.id),
                                        at(TEXTS[1], "north KOREA", "GPE")]
    assert rows(store.path, ids[2]) == []
    assert rows(store.path, ids[3]) == [at(TEXTS[3], "Acme Corp", "ORG", entity=ent.id)]
    assert rows(store.path, ids[4]) == []                   # done: left alone
    # The open document: the patterns' spans beside (and over) the stand-in's, on screen too.
    text = TEXTS[0]
    expected = [at(text, "Apple", "ORG", STAND_IN), at(text, "Acme Corp", "ORG", entity=ent.id),
                at(text, "Seoul", "GPE"), at(text, "Monday", "DATE", STAND_IN)]
    assert rows(store.path, ids[0]) == expected
    assert [(s.start, s.end, s.label, s.source) for s in w.session.spans] == [r[:4] for r in expected]
    w.view.setFocus()
    qtbot.keyClick(w.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert rows(store.path, ids[0]) == before_open          # one step: the stand-in's Seoul is back
    assert rows(store.path, ids[1])                         # the other documents keep theirs


def test_bad_files_are_said_in_a_message_and_nothing_runs(window, monkeypatch, qtbot, tmp_path):
    w, store, ids, _ = window
    shown = []
    monkeypatch.setattr(feature.dialogs, "show_error", lambda parent, title, message: shown.append((title, message)))
    monkeypatch.setattr(feature.PatternsDialog, "ask", classmethod(lambda *a: pytest.fail("no choice to make")))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"label": "ORG"}\n', encoding="utf-8")
    monkeypatch.setattr(feature, "choose_file", lambda _w: str(bad))
    w.registry["load_patterns"].trigger()
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert shown == [("Patterns not loaded", f"bad.jsonl: no valid pattern.\n{bad}, line 1: no pattern")]
    monkeypatch.setattr(feature, "choose_file", lambda _w: str(tmp_path / "missing.jsonl"))
    w.registry["load_patterns"].trigger()
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=5000)
    assert shown[1][0] == "Patterns not loaded" and shown[1][1].startswith("missing.jsonl: cannot be read")
    assert all(r[3] == STAND_IN for d in ids for r in rows(store.path, d))


def test_pre_annotate_from_this_projects_labels(window, qtbot):
    w, store, ids, _ = window
    text = TEXTS[0]
    s = text.index("Acme Corp")
    w.view.select_range(s, s + 9)
    w.view.setFocus()
    qtbot.keyClick(w.view, Qt.Key.Key_2)                    # ORG, a person's
    assert at(text, "Acme Corp", "ORG", "manual") in rows(store.path, ids[0])
    w.registry["project_patterns"].trigger()
    qtbot.waitUntil(lambda: "Pre-annotated:" in w.statusBar().currentMessage(), timeout=10000)
    src = "patterns:project"
    assert rows(store.path, ids[1]) == [at(TEXTS[1], "Acme Corp", "ORG", src)]
    assert rows(store.path, ids[3])[0] == at(TEXTS[3], "Acme Corp", "ORG", src)
    assert rows(store.path, ids[4]) == []                   # done
    assert at(text, "Acme Corp", "ORG", "manual") in rows(store.path, ids[0])   # never touched
    assert store.entities() == []


def test_with_the_real_model_patterns_win_and_the_models_pipeline_is_as_before_after(
        make_window, answer, monkeypatch, qtbot, tmp_path):
    from tests.models.helpers import MODEL, MODEL_SOURCE
    article = ("North Korea's foreign minister Choe Son Hui met Russian President Vladimir Putin "
               "in Moscow on Monday.")
    w, store, ids = make_window(["A first article, opened.", article], model=MODEL)
    qtbot.waitUntil(lambda: w.model.source == MODEL_SOURCE, timeout=20000)
    path = tmp_path / "names.jsonl"
    path.write_text('{"label": "GPE", "pattern": "North Korea"}\n'
                    '{"label": "PERSON", "pattern": [{"LOWER": "choe"}, {"LOWER": "son"}, {"LOWER": "hui"}]}\n',
                    encoding="utf-8")
    answer["mode"] = "patterns"
    monkeypatch.setattr(feature, "choose_file", lambda _w: str(path))
    w.registry["load_patterns"].trigger()
    qtbot.waitUntil(lambda: "Pre-annotated:" in w.statusBar().currentMessage(), timeout=20000)
    got = rows(store.path, ids[1])
    assert at(article, "North Korea", "GPE") in got and at(article, "Choe Son Hui", "PERSON") in got
    assert at(article, "Vladimir Putin", "PERSON", MODEL_SOURCE) in got
    assert not any(r[3] == MODEL_SOURCE and r[0] < article.index("met") for r in got)
    assert "patterns win over the model" in w.statusBar().currentMessage()
    # The model's own pipeline is back as it was: the next live prediction is the model's alone.
    done = []
    w.model.runner.start(lambda _t: w.model.pipeline.nlp.pipe_names, done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=5000)
    assert done == [["ner"]]


def test_cancel_stops_after_a_batch_and_loading_again_resumes(make_window, stand_in_model, answer,
                                                              monkeypatch, qtbot, tmp_path):
    import time
    from models import ruler
    texts = [f"Report {i}: Acme Corp said no." for i in range(300)]
    w, store, ids = make_window(texts)
    real = ruler.RulerRun.predict

    def slow(self, texts, batch_size=32):
        for found in real(self, texts, batch_size):
            time.sleep(0.002)
            yield found
    monkeypatch.setattr(ruler.RulerRun, "predict", slow)
    path = tmp_path / "names.jsonl"
    path.write_text('{"label": "ORG", "pattern": "Acme Corp"}\n', encoding="utf-8")
    monkeypatch.setattr(feature, "choose_file", lambda _w: str(path))
    answer["mode"] = "alone"
    w.registry["load_patterns"].trigger()
    qtbot.waitUntil(lambda: w.jobs.busy and w.job_bar.bar.value() > 0, timeout=10000)
    w.job_bar.button.click()                                  # Cancel
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=10000)
    assert w.statusBar().currentMessage().startswith("Cancelled: ")
    con = sqlite3.connect(store.path)
    marked = con.execute("SELECT count(*) FROM documents WHERE preannotated LIKE 'patterns:%'").fetchone()[0]
    spans = con.execute("SELECT count(*) FROM spans").fetchone()[0]
    con.close()
    assert 0 < marked < 300 and spans == marked
    assert rows(store.path, ids[0]) == []                     # the open one: never by the chunks
    w.registry["load_patterns"].trigger()                     # again: the rest, the open one last
    qtbot.waitUntil(lambda: "Pre-annotated:" in w.statusBar().currentMessage(), timeout=20000)
    assert [rows(store.path, d) for d in ids] == [[at(t, "Acme Corp", "ORG")] for t in texts]
