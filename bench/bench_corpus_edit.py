#!/usr/bin/env python
"""Benchmark a corpus-wide edit (issue 10): 10,000 spans over 5,000 documents added in one
transaction through the history (``History.do``: one ``Batch`` of per-document
``ReplaceSpans``, journalled as one entry with its 4,999 other documents in ``journal_docs``),
then undone in one step (``History.undo``), and the same through the real window (push and
one Ctrl+Z, until the window has followed) — beside a raw
``executemany`` of the same span rows (and a raw ``DELETE`` of them) in one transaction, on a
copy of the same project, in the same run.

Generates its own project in a temporary directory (deterministic seed): N documents
(default 5,000) of ~600 characters, each with two places where "Acme Corp" occurs.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_corpus_edit.py [--docs N] [--repeats R]
"""
from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.edits import Batch, ReplaceSpans  # noqa: E402
from models.history import History  # noqa: E402
from models.spans import Span  # noqa: E402
from models.store import Store  # noqa: E402

WORDS = ("officials said the talks in Seoul would resume on Monday after a week of "
         "meetings between delegations from both sides of the border").split()
NAME = "Acme Corp"


def make_project(path: Path, n: int) -> list[tuple[int, list[Span]]]:
    """The project, and per document the two spans a corpus-wide 'label every occurrence'
    of NAME would add."""
    rnd = random.Random(7)
    docs = []
    for i in range(n):
        words = [rnd.choice(WORDS) for _ in range(90)]
        words.insert(rnd.randrange(10, 40), NAME)
        words.insert(rnd.randrange(50, 80), NAME)
        docs.append({"text": f"Report {i}: " + " ".join(words) + ".", "title": f"Report {i}"})
    store = Store(path)
    ids = store.add_documents(docs)[0]
    store.close()
    plan = []
    for doc_id, d in zip(ids, docs):
        text, at, spans = d["text"], 0, []
        while (at := text.find(NAME, at)) >= 0:
            spans.append(Span(at, at + len(NAME), "ORG"))
            at += len(NAME)
        plan.append((doc_id, spans))
    return plan


def corpus_edit(plan) -> Batch:
    return Batch(plan[0][0], tuple(ReplaceSpans(d, (), tuple(s)) for d, s in plan),
                 f"Label every “{NAME}” ORG")


def ours(path: Path, plan) -> tuple[float, float, int]:
    """Through the domain's history (``History.do``, ``History.undo``: what a key press runs)."""
    store = Store(path)
    history = History(store)
    history.load(plan[0][0])
    edit = corpus_edit(plan)
    t0 = time.perf_counter()
    out = history.do(edit)
    t1 = time.perf_counter()
    back = history.undo()
    t2 = time.perf_counter()
    assert back.entry == out.entry and len(back.docs) == len(plan)
    left = store.db.execute("SELECT count(*) FROM spans").fetchone()[0]
    store.close()
    return t1 - t0, t2 - t1, left


def window(path: Path, plan) -> tuple[float, float, int]:
    """Through the real window open on the document where the edit is made: ``Session.push``
    and the Undo action (one Ctrl+Z), each until the window has followed the outcome (the
    article, the entity table, the 5,000 list rows, the counts)."""
    import os
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from gui.main_window import MainWindow
    store = Store(path)
    w = MainWindow(store)
    w._load_timer.stop()               # no pipeline: nothing but the edit runs
    w._load_timer = None
    w.show()
    w.start(open_doc=plan[0][0])
    app.processEvents()
    t0 = time.perf_counter()
    assert w.session.push(corpus_edit(plan))
    app.processEvents()
    t1 = time.perf_counter()
    w.undo_action.trigger()
    app.processEvents()
    t2 = time.perf_counter()
    left = store.db.execute("SELECT count(*) FROM spans").fetchone()[0]
    w.close()
    store.close()
    return t1 - t0, t2 - t1, left


def raw(path: Path, plan) -> tuple[float, float]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    rows = [(d, s.start, s.end, s.label, s.source) for d, spans in plan for s in spans]
    t0 = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO spans(doc_id, start, end, label, source) VALUES (?, ?, ?, ?, ?)", rows)
    conn.execute("COMMIT")
    t1 = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("DELETE FROM spans WHERE doc_id = ? AND start = ? AND end = ? AND label = ? "
                     "AND source = ?", rows)
    conn.execute("COMMIT")
    t2 = time.perf_counter()
    conn.close()
    return t1 - t0, t2 - t1


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--docs", type=int, default=5000)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base.annotator"
        plan = make_project(base, args.docs)
        n_spans = sum(len(s) for _, s in plan)
        results = {"ours apply": [], "ours undo": [], "raw insert": [], "raw delete": [],
                   "window apply": [], "window undo": []}
        for r in range(args.repeats):
            for name in ("ours", "raw", "window") if r % 2 == 0 else ("window", "raw", "ours"):
                copy = Path(tmp) / f"{name}-{r}.annotator"
                shutil.copy(base, copy)
                if name in ("ours", "window"):
                    apply_s, undo_s, left = (ours if name == "ours" else window)(copy, plan)
                    assert left == 0, left
                    results[f"{name} apply"].append(apply_s)
                    results[f"{name} undo"].append(undo_s)
                else:
                    ins, dele = raw(copy, plan)
                    results["raw insert"].append(ins)
                    results["raw delete"].append(dele)
        med = {k: statistics.median(v) * 1000 for k, v in results.items()}
        print(f"corpus-wide edit: {n_spans:,} spans over {len(plan):,} documents, one transaction "
              f"(median of {args.repeats})")
        print(f"{'measure':<34}{'ours ms':>10}{'raw ms':>10}{'ratio':>8}")
        print(f"{'apply (commit) vs executemany':<34}{med['ours apply']:>10.1f}{med['raw insert']:>10.1f}"
              f"{med['ours apply'] / med['raw insert']:>7.1f}×")
        print(f"{'undo (commit) vs executemany':<34}{med['ours undo']:>10.1f}{med['raw delete']:>10.1f}"
              f"{med['ours undo'] / med['raw delete']:>7.1f}×")
        print(f"{'window: push, shown':<34}{med['window apply']:>10.1f}{med['raw insert']:>10.1f}"
              f"{med['window apply'] / med['raw insert']:>7.1f}×")
        print(f"{'window: one Ctrl+Z, shown':<34}{med['window undo']:>10.1f}{med['raw delete']:>10.1f}"
              f"{med['window undo'] / med['raw delete']:>7.1f}×")
        print("ours = History.do / History.undo (Store.commit, the journal entry and its "
              "journal_docs rows); window = the real MainWindow open on the edit's document")
        print("raw = sqlite3 executemany of the same span rows (INSERT, then DELETE), one "
              "BEGIN IMMEDIATE … COMMIT each, WAL, synchronous=FULL, on a copy of the same project")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
