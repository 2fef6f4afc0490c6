"""`preannotate --workers N`: the model in N processes, one writer — the same rows as one."""
from __future__ import annotations

import ctypes
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from models import ner, parallel
from models.cli import main
from models.store import Store

from .helpers import MODEL, query

ROOT = Path(__file__).resolve().parents[2]
TEXTS = [f"Story {i}: Kim Jong Un met Moon Jae-in in Seoul on Monday; Samsung shares rose {i} percent "
         f"in Tokyo, the Bank of Korea said." for i in range(24)]
ROWS = "SELECT doc_id, start, end, label, source FROM spans ORDER BY doc_id, start"
JOURNAL = "SELECT doc_id, edit FROM journal ORDER BY id"


def _project(path):
    s = Store(path)
    s.add_documents([{"text": t, "title": f"s{i}"} for i, t in enumerate(TEXTS)])
    s.close()


def test_forked_workers_write_exactly_what_one_process_writes(tmp_path, capsys):
    one, w1, w2 = tmp_path / "one.annotator", tmp_path / "w1.annotator", tmp_path / "w2.annotator"
    for p in (one, w1, w2):
        _project(p)
    # The model in this process (fewer than 200 documents, no --workers) ...
    assert main(["preannotate", str(one), "--model", MODEL, "--batch-size", "5"]) == 0
    # ... one model process beside the writer ...
    assert main(["preannotate", str(w1), "--model", MODEL, "--workers", "1", "--batch-size", "5"]) == 0
    assert "24 documents pre-annotated" in capsys.readouterr().out
    # ... and two, forked by the command as a user runs it (a process of its own: no thread).
    r = subprocess.run([sys.executable, "-m", "models.cli", "preannotate", str(w2), "--model", MODEL,
                        "--workers", "2", "--batch-size", "5"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("24 documents pre-annotated")
    assert query(w1, ROWS) == query(one, ROWS) and len(query(one, ROWS)) > 24 * 3
    assert query(w2, ROWS) == query(one, ROWS)
    assert query(w1, JOURNAL) == query(one, JOURNAL) == query(w2, JOURNAL)    # the same edits, in order
    assert query(w2, "SELECT count(*) FROM documents WHERE preannotated IS NULL") == [(0,)]


def test_fork_only_in_a_process_without_other_threads():
    with pytest.raises(ValueError):
        parallel.start_method("forkserver")
    assert parallel.start_method("spawn") == "spawn"
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert parallel.start_method("fork") == "spawn"     # a thread running: never forked
    finally:
        stop.set()
        other.join()
    if threading.active_count() == 1:                       # (a test before may leave threads)
        assert parallel.start_method("fork") == "fork"


def test_forked_workers_use_the_loaded_pipeline_and_give_its_results(pipeline):
    texts = TEXTS[:7]
    pipe = parallel.ParallelPipeline(MODEL, 2, start="fork", pipeline=pipeline)
    try:
        assert (pipe.name, pipe.source, pipe.labels) == (pipeline.name, pipeline.source, pipeline.labels)
        assert pipe.collect(pipe.submit(texts, 3)) == list(pipeline.predict(texts))
    finally:
        pipe.close()


class _MallInfo2(ctypes.Structure):
    _fields_ = [(f, ctypes.c_size_t) for f in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                                               "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def _heap_probe(pause: float = 0.0) -> tuple[int, bool, bool]:
    """(pid, the worker's flag, whether a 48 MB block was mmapped): glibc's default threshold
    never rises above 32 MB, so only a steady heap (64 MB) serves it from the heap. Read off
    glibc itself (``mallinfo2``), not the flag."""
    time.sleep(pause)                   # (the other worker takes the next task meanwhile)
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.argtypes, libc.malloc.restype = [ctypes.c_size_t], ctypes.c_void_p
    libc.free.argtypes, libc.mallinfo2.restype = [ctypes.c_void_p], _MallInfo2
    before = libc.mallinfo2().hblkhd
    block = libc.malloc(48 << 20)
    try:
        mapped = libc.mallinfo2().hblkhd - before >= 48 << 20
    finally:
        libc.free(block)
    return os.getpid(), parallel._STEADY, mapped


glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")


@glibc
def test_each_forked_worker_keeps_a_steady_heap_and_gives_the_same_results(pipeline):
    """``steady_heap`` is applied in every worker (glibc says so, not only the flag), not in
    this process (the raw spaCy baseline runs unchanged here), and the entities are the same."""
    assert _heap_probe()[1:] == (False, True)           # this process: glibc's defaults
    pipe = parallel.ParallelPipeline(MODEL, 2, start="fork", pipeline=pipeline)
    try:
        assert pipe.steady is True
        reports: dict[int, tuple] = {}          # pid -> what it said; until both have answered
        for _ in range(20):                     # (one may take both probes on a loaded machine)
            for f in [pipe.pool.submit(_heap_probe, 0.3) for _ in range(2)]:
                pid, *said = f.result()
                reports[pid] = tuple(said)
            if len(reports) == 2:
                break
        assert len(reports) == 2                                        # both workers
        assert list(reports.values()) == [(True, False)] * 2
        assert pipe.collect(pipe.submit(TEXTS, 5)) == list(pipeline.predict(TEXTS))
    finally:
        pipe.close()
    assert _heap_probe()[1:] == (False, True)           # still: only the workers changed


def test_steady_heap_is_a_no_op_without_glibc(monkeypatch):
    def no_libc(name, *a, **k):
        raise OSError(f"{name}: cannot open shared object file")
    monkeypatch.setattr(parallel.ctypes, "CDLL", no_libc)
    assert parallel.steady_heap() is False


def _by_doc_text(pipeline, texts, batch_size):
    """Entities read the plain way: each doc's own ``doc.text`` and offsets, piece by piece."""
    out = []
    for text in texts:
        bounds, found = ner.cut_points(text), []
        for a, b in zip(bounds, bounds[1:]):
            doc = pipeline.nlp(text[a:b])
            found += [(s + a, e + a, ent.label_) for ent in doc.ents
                      for s, e in [ner.trimmed(doc.text, ent.start_char, ent.end_char)] if s < e]
        out.append(found)
    return out


def test_predict_reads_each_piece_once_and_gives_what_doc_text_gives(pipeline, monkeypatch):
    """``Pipeline.predict`` (each piece's text kept, not ``doc.text`` joined per entity) against
    spaCy's docs read one by one: empty and blank texts, entities at line breaks, emoji, texts
    cut into pieces; the workers' ``entities`` is the same."""
    texts = ["", "   ", "Moon Jae-in flew to Tokyo.\r\n\r\nKim Jong Un stayed in Pyongyang.\n",
             "👩‍👩‍👧 Samsung 🇰🇷 rose; the Bank of Korea said on Monday.", *TEXTS[:3]]
    expected = _by_doc_text(pipeline, texts, 4)
    assert list(pipeline.predict(texts, 4)) == expected and sum(map(len, expected)) > 10
    assert parallel.entities(pipeline, texts, 4) == expected
    monkeypatch.setattr(ner, "MAX_PIECE", 40)           # long texts go in pieces
    long = [" ".join(TEXTS[:4]), "\n\n".join(TEXTS[4:7])]
    assert len(ner.cut_points(long[0])) > 3
    assert list(pipeline.predict(long, 2)) == _by_doc_text(pipeline, long, 2)


def test_spawned_workers_as_the_window_uses_them(pipeline):
    """The default start ("spawn": safe with threads) and the worker functions stay as they were."""
    pipe = parallel.ParallelPipeline(MODEL, 1)
    try:
        assert pipe.start == "spawn" and pipe.source == pipeline.source
        assert pipe.steady is (platform.libc_ver()[0] == "glibc")      # steady_heap() in _start
        assert list(pipe.predict(TEXTS[:3])) == list(pipeline.predict(TEXTS[:3]))
    finally:
        pipe.close()


def test_a_pipeline_the_workers_cannot_load_is_said_and_nothing_is_written(tmp_path, capsys):
    path = tmp_path / "p.annotator"
    _project(path)
    with pytest.raises(SystemExit) as stop:
        main(["preannotate", str(path), "--model", str(tmp_path / "no-such-model"), "--workers", "2"])
    assert "cannot load spaCy pipeline" in str(stop.value)
    assert query(path, "SELECT count(*) FROM spans") == [(0,)]
