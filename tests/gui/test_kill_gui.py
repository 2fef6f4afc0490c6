"""SIGKILL the real app while it labels and deletes through the window, a few times.

The app (a real MainWindow in a subprocess, no model, exact selections) labels and deletes words through the
annotator as fast as it can, printing a line once each edit is on screen. It is killed at a
random moment; the project file must hold every edit that was shown, plus at most the one in
flight, whole; then the next run goes on with the same file. (The store-level crash test with
hundreds of kills is tests/models/test_kill.py.)
"""
from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.gui.viewprobe import colour_at

ROOT = Path(__file__).resolve().parents[2]
RUNS = int(os.environ.get("KILL_GUI_RUNS", "3"))
TEXT = "North Korea’s Choe Son Hui 😀 met Antony Blinken in Seoul on Monday.\r\nSamsung 𠮷 shares rose."
WORDS = ["Korea", "Choe", "Blinken", "Seoul", "Monday", "Samsung", "shares"]
LABELS = ["PERSON", "ORG", "GPE"]

SCRIPT = textwrap.dedent("""
    import sys
    from PySide6.QtWidgets import QApplication
    from models import ner
    def no_model(name=None):
        raise ner.ModelError("test: no model")
    ner.load = no_model
    from gui.model_service import ModelService
    ModelService.warm_tokenizer = lambda self: None     # exact selections: spaCy never loads
    import gui.model_service
    gui.model_service.SERVER = False     # no model: no server process either
    from gui import dialogs
    def fail(parent, title, msg, *rest):
        print("error", msg.replace("\\n", " "), flush=True)
        raise SystemExit(3)
    dialogs.show_error = fail
    from gui.main_window import MainWindow
    from models.spans import span_at
    from models.store import Store
    app = QApplication([])
    w = MainWindow(Store(sys.argv[1]))
    w.show(); w.start(); app.processEvents()
    words, labels = sys.argv[3].split(","), sys.argv[4].split(",")
    text = w.session.doc.text
    w.annotator.exact = True         # Ctrl+E: the words are selected exactly
    print("ready", flush=True)
    n = int(sys.argv[2])
    while True:
        n += 1
        word = words[n % len(words)]
        s = text.index(word); e = s + len(word)
        span = span_at(w.session.spans, s)
        if span is not None and n % 3:
            print(f"try delete {s} {e} -", flush=True)
            w.annotator.select(span)
            w.annotator.delete()
            what = f"delete {s} {e} -"
        else:
            label = labels[n % len(labels)]
            print(f"try label {s} {e} {label}", flush=True)
            w.view.select_range(s, e)
            w.annotator.apply_label(label)
            what = f"label {s} {e} {label}"
        app.processEvents()
        print("shown", what, flush=True)
""")


def replay(spans: dict, op: str, s: int, e: int, label: str) -> dict:
    spans = dict(spans)
    if op == "delete":
        del spans[s]
    else:
        for k in [k for k, (end, _) in spans.items() if k < e and s < end]:
            del spans[k]
        spans[s] = (e, label)
    return spans


def file_spans(path) -> dict:
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        assert con.execute("SELECT n_spans FROM documents").fetchall() == \
            con.execute("SELECT count(*) FROM spans").fetchall()
        return {s: (e, lab) for s, e, lab in con.execute("SELECT start, end, label FROM spans")}
    finally:
        con.close()


def test_killing_the_app_while_it_labels_loses_nothing_it_showed(tmp_path, make_window):
    from models.store import Store
    path = tmp_path / "kill.annotator"
    Store(path).add_documents([{"text": TEXT, "title": "k"}])
    script = tmp_path / "app.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    rng = random.Random(int(os.environ.get("KILL_SEED", "5")))
    expected, shown_total = {}, 0
    err = open(tmp_path / "stderr.txt", "w")
    for run in range(RUNS):
        proc = subprocess.Popen([sys.executable, str(script), str(path), str(run * 1000), ",".join(WORDS),
                                 ",".join(LABELS)], stdout=subprocess.PIPE, stderr=err, text=True, env=env)
        lines = []
        for line in proc.stdout:            # killed while it works: after its first edit shown
            lines.append(line.split())      # (a slow start on a busy machine is not a kill)
            if line.startswith(("shown", "error")):
                break
        time.sleep(rng.uniform(0, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        lines += [line.split() for line in proc.stdout]
        proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL and not any(x[0] == "error" for x in lines), \
            (lines[-3:], (tmp_path / "stderr.txt").read_text())
        pending = None
        for x in lines:
            if x[0] == "try":
                pending = (x[1], int(x[2]), int(x[3]), x[4])
            elif x[0] == "shown":
                expected, pending = replay(expected, x[1], int(x[2]), int(x[3]), x[4]), None
                shown_total += 1
        found = file_spans(path)
        candidates = [expected] + ([replay(expected, *pending)] if pending else [])
        assert found in candidates, f"run {run}: file {found}, shown {expected}, in flight {pending}"
        expected = found
    err.close()
    assert shown_total >= RUNS          # the app was killed while it worked, not before
    # The last state opens in the window, coloured where the file says.
    w, store, _ = make_window(path=path)
    for s, (e, label) in expected.items():
        assert colour_at(w.view, s) == store.labels().get(label).color
    assert w.session.history.count() == len(store.history(1))
