"""`preannotate --dask`: the model on a real Dask cluster (a LocalCluster of processes, started
once for the module), results committed by the one writer as batches complete."""
from __future__ import annotations

import logging
import signal
import socket
import time

import pytest

from models import annotate, dask_pipe
from models.cli import main
from models.store import Store

from .helpers import MODEL, MODEL_SOURCE, query

distributed = pytest.importorskip("distributed")

TEXTS = [f"Story {i}: Kim Jong Un met Moon Jae-in in Seoul on Monday; Samsung shares rose {i} percent "
         f"in Tokyo, the Bank of Korea said." for i in range(24)]


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes, one thread each; their scheduler's address."""
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                                  dashboard_address=":0", silence_logs=logging.ERROR) as c:
        yield c.scheduler_address


def _project(path, texts=TEXTS):
    s = Store(path)
    s.add_documents([{"text": t, "title": f"s{i}"} for i, t in enumerate(texts)])
    s.close()
    return path


def written(path) -> dict:
    """Per document: its spans and its journaled edits, as sets (the commit order may differ)."""
    docs = {}
    for (doc_id,) in query(path, "SELECT id FROM documents"):
        spans = set(query(path, "SELECT start, end, label, source FROM spans WHERE doc_id = ?", [doc_id]))
        edits = set(query(path, "SELECT edit, undone FROM journal WHERE doc_id = ?", [doc_id]))
        mark = query(path, "SELECT preannotated FROM documents WHERE id = ?", [doc_id])[0][0]
        docs[doc_id] = (spans, edits, mark)
    return docs


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """What one process writes (the model in this process: fewer than 200 documents)."""
    path = _project(tmp_path_factory.mktemp("one") / "one.annotator")
    assert main(["preannotate", str(path), "--model", MODEL, "--batch-size", "5"]) == 0
    return written(path)


def test_the_cluster_writes_what_one_process_writes(cluster, reference, tmp_path, capsys):
    path = _project(tmp_path / "dask.annotator")
    assert main(["preannotate", str(path), "--model", MODEL, "--dask", cluster, "--batch-size", "5"]) == 0
    assert capsys.readouterr().out.startswith(f"24 documents pre-annotated with {MODEL_SOURCE}: ")
    got = written(path)
    assert got == reference
    assert sum(len(spans) for spans, _, _ in got.values()) > 24 * 3
    assert all(mark == MODEL_SOURCE and len(edits) == 1 for _, edits, mark in got.values())


def test_ctrl_c_after_the_first_batch_keeps_whole_batches_and_a_rerun_completes(
        cluster, reference, tmp_path, capsys, monkeypatch):
    path = _project(tmp_path / "stop.annotator")
    real, commits = annotate._commit, []

    def commit(store, pipe, run, docs, results, links, force, *shared):
        added = real(store, pipe, run, docs, results, links, force, *shared)
        commits.append([d.id for d in docs])
        if len(commits) == 1:
            signal.raise_signal(signal.SIGINT)      # Ctrl+C once: stop after this batch
        return added
    monkeypatch.setattr(annotate, "_commit", commit)
    rc = main(["preannotate", str(path), "--model", MODEL, "--dask", cluster, "--batch-size", "5"])
    out, err = capsys.readouterr()
    assert rc == 130 and len(commits) == 1 and len(commits[0]) == 5
    assert out.endswith("(stopped: 19 left; run again to resume)\n") and "stopping after" in err
    got = written(path)
    for doc_id, (spans, edits, mark) in got.items():       # each document whole or untouched
        assert (spans, edits, mark) == (reference[doc_id] if doc_id in commits[0] else (set(), set(), None))
    with distributed.Client(cluster, set_as_default=False) as client:       # nothing left running
        deadline = time.monotonic() + 10
        while any(client.processing().values()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(client.processing().values())

    monkeypatch.setattr(annotate, "_commit", real)        # the rerun: on a cluster of its own
    rc = main(["preannotate", str(path), "--model", MODEL, "--dask", "local", "--workers", "1",
               "--batch-size", "5"])
    assert rc == 0 and capsys.readouterr().out.startswith("19 documents pre-annotated")
    assert written(path) == reference


def test_a_stop_from_progress_cancels_the_batches_still_out(cluster, reference, tmp_path):
    path = _project(tmp_path / "cancel.annotator")
    pipe = dask_pipe.DaskPipeline(cluster, MODEL)
    s = Store(path)
    try:
        seen = []
        annotate.preannotate(s, pipe, annotate.pending(s), 3, lambda done, total: seen.append(done) or False)
        assert seen == [3]
        assert _drained(pipe.client)            # the batches still out were cancelled
    finally:
        s.close()
        pipe.close()
    got = written(path)
    assert sum(mark is not None for _, _, mark in got.values()) == 3
    assert all(v == reference[d] for d, v in got.items() if v[2] is not None)


def _drained(client) -> bool:
    deadline = time.monotonic() + 10
    while any(client.processing().values()):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_a_model_the_workers_cannot_load_is_refused_naming_it_and_nothing_is_written(
        cluster, tmp_path):
    path = _project(tmp_path / "p.annotator")
    here = tmp_path / "model-dir"           # a directory here, but no pipeline in it for the workers
    here.mkdir()
    for model in (str(tmp_path / "no-such-model"), str(here)):
        with pytest.raises(SystemExit) as stop:
            main(["preannotate", str(path), "--model", model, "--dask", cluster])
        message = str(stop.value)
        assert message.startswith("error: the Dask worker tcp://")
        assert f"cannot load spaCy pipeline '{model}'" in message
    assert query(path, "SELECT count(*) FROM spans") == [(0,)]
    assert query(path, "SELECT count(*) FROM journal") == [(0,)]
    assert query(path, "SELECT count(*) FROM documents WHERE preannotated IS NOT NULL") == [(0,)]


def test_an_unreachable_scheduler_is_said_within_seconds(tmp_path, monkeypatch):
    path = _project(tmp_path / "p.annotator")
    with socket.socket() as sock:           # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setattr(dask_pipe, "CONNECT_TIMEOUT", 2.0)
    t = time.monotonic()
    with pytest.raises(SystemExit) as stop:
        main(["preannotate", str(path), "--model", MODEL, "--dask", f"tcp://127.0.0.1:{port}"])
    assert time.monotonic() - t < 8
    assert f"error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port} within 2 s" in str(stop.value)
    assert query(path, "SELECT count(*) FROM journal") == [(0,)]


def test_patterns_and_workers_with_a_scheduler_are_refused_with_a_reason(tmp_path):
    path = _project(tmp_path / "p.annotator")
    patterns = tmp_path / "p.jsonl"
    patterns.write_text('{"label": "GPE", "pattern": "Seoul"}\n')
    for extra, why in ((["--patterns", str(patterns)], "--patterns runs on this machine"),
                       (["--workers", "2"], "--workers goes with --dask local")):
        with pytest.raises(SystemExit) as stop:
            main(["preannotate", str(path), "--dask", "tcp://127.0.0.1:8786"] + extra)
        assert why in str(stop.value)
    assert query(path, "SELECT count(*) FROM journal") == [(0,)]


def test_importing_the_module_does_not_import_distributed():
    import subprocess
    import sys
    code = "import sys, models.dask_pipe, models.preannotate_cli; print('distributed' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
