#!/usr/bin/env python
"""Benchmark "label every occurrence" (issue 11) on 100,000 documents in which one name
occurs 20,000 times: the time to the first preview rows and to the full preview
(``models.occurrences.scan`` on its own connection, as the dialog's worker runs it), to build
the edit (``build_edit``: the touched documents read again and checked) and commit it
(``History.do`` → ``Store.commit``: one transaction, one journal entry), and to undo it
(``History.undo``) — beside a raw scan of the same texts in the same run (plain sqlite3
``SELECT text FROM texts`` and ``str.find`` over every row: the first match, and all of them).

Generates its own project in a temporary directory (deterministic seed) through the store's
bulk add (``Store.add_documents``): N documents (default 100,000) of ~600 characters; the name
stands 20,000 times in 15,000 of them (some already labelled by a model or a person, some
documents done), and "Acme Corps" (no match on token boundaries: a candidate SQLite keeps and
Python refuses) in 2,000 more.

    .venv/bin/python bench/bench_occurrences.py [--docs N] [--matches M]
"""
from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models import occurrences as O  # noqa: E402
from models.history import History  # noqa: E402
from models.spans import Span  # noqa: E402
from models.store import Store  # noqa: E402

WORDS = ("officials said the talks in Seoul would resume on Monday after a week of meetings "
         "between delegations from both sides of the border while markets 😀 watched 𠮷野家 "
         "closely and analysts expected").split()
NAME = "Acme Corp"


def make_project(path: Path, n: int, matches: int) -> int:
    """The project; returns the id of the document the edit is made in (the first that
    holds the name)."""
    rnd = random.Random(11)
    k = min(n, matches * 3 // 4)                         # 1 or 2 occurrences each
    chosen = rnd.sample(range(n), min(n, k + 2000))      # spread over the corpus
    order = {d: j for j, d in enumerate(chosen[:k])}     # i -> its rank among them
    twice = set(rnd.sample(chosen[:k], matches - k))
    decoys = set(chosen[k:])
    docs = []
    for i in range(n):
        rank = order.get(i, -1)
        words = [rnd.choice(WORDS) for _ in range(85)]
        if rank >= 0:
            words.insert(rnd.randrange(5, 40), NAME + rnd.choice(("", "'s", ",", "")))
            if i in twice:
                words.insert(rnd.randrange(45, 80), NAME)
        elif i in decoys:
            words.insert(rnd.randrange(5, 80), NAME + "s")
        text = f"Report {i}: " + " ".join(words) + "."
        spans = []
        if rank >= 0 and rank % 4 == 1:                 # a model's suggestion on the first
            a = text.index(NAME)
            spans = [Span(a, a + len(NAME), "ORG", "en_core_web_sm-3.8.0")]
        elif rank >= 0 and rank % 50 == 3:              # a person's other label
            a = text.index(NAME)
            spans = [Span(a, a + len(NAME), "PERSON")]
        status = "done" if i % 20 == 7 and not spans else "new"
        docs.append({"text": text, "title": f"Report {i}", "status": status, "spans": spans})
    store = Store(path)
    for k in range(0, n, 20000):
        store.add_documents(docs[k:k + 20000])
    first = store.db.execute("SELECT min(id) FROM documents").fetchone()[0]
    store.close()
    return first + min(order)


def ours(path: Path, origin: int) -> dict:
    from models.ner import blank_tokenizer
    blank_tokenizer()          # loaded when the window starts (ModelService.warm_tokenizer)
    store = Store(path)
    q = O.Query(NAME, "ORG", scope=O.ALL, open_doc=origin)
    out = {}
    t0 = time.perf_counter()
    rows, first, corpus = [], None, None
    for _done, _total, batch in O.scan(store, q):
        now = time.perf_counter() - t0
        if batch and first is None:
            first = now
        if batch and corpus is None and any(r.doc_id != origin for r in batch):
            corpus = now
        rows += batch
    out["first rows"], out["full preview"] = first, time.perf_counter() - t0
    out["first corpus rows"] = corpus
    ticked = [r for r in rows if r.ticked]
    history = History(store)
    history.load(origin)
    t0 = time.perf_counter()
    edit = O.build_edit(store, q, ticked)
    out["build edit"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    done = history.do(edit)
    out["commit"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    back = history.undo()
    out["undo"] = time.perf_counter() - t0
    assert back.entry == done.entry
    out["rows"], out["ticked"] = len(rows), len(ticked)
    out["docs"] = len({r.doc_id for r in rows})
    out["kinds"] = dict(O.counts(rows))
    out["summary"] = O.summary(edit)
    store.close()
    return out


def window(path: Path, origin: int) -> dict:
    """Through the real window (offscreen, no model): the selection's Ctrl+Shift+A action,
    until the dialog shows its first rows and the whole preview; Apply until the dialog has
    closed (edit built in the worker, pushed on the UI thread); the longest the UI thread
    went without running its event loop meanwhile (a 5 ms timer's largest gap)."""
    import os
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from gui.main_window import MainWindow
    from models.ner import blank_tokenizer
    blank_tokenizer()
    store = Store(path)
    w = MainWindow(store)
    w._load_timer.stop()               # no pipeline: nothing but this feature runs
    w._load_timer = None
    w.show()
    w.start(open_doc=origin)
    app.processEvents()
    a = w.session.doc.text.index(NAME)
    w.view.select_range(a, a + len(NAME))
    gaps, last = [], [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now
    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(5)
    out = {}
    t0 = time.perf_counter()
    w.label_every_action.trigger()
    d = w.occurrence_dialog
    out["dialog"] = time.perf_counter() - t0
    d.label.setCurrentIndex(d.label.findData("ORG"))
    while not d._done:
        app.processEvents()
    d.scope_buttons["all"].click()          # every document (rescans)
    gaps.clear()
    last[0] = t0 = time.perf_counter()
    while not any(r.doc_id != origin for r in d.model.rows):
        app.processEvents()
    out["first rows"] = time.perf_counter() - t0
    while not d._done:
        app.processEvents()
    out["full preview"] = time.perf_counter() - t0
    out["stall preview"] = max(gaps + [time.perf_counter() - last[0]])
    out["rows"] = d.model.rowCount()
    gaps.clear()
    last[0] = t1 = time.perf_counter()
    d.apply()
    while d.isVisible():
        app.processEvents()
    out["apply"] = time.perf_counter() - t1
    out["stall apply"] = max(gaps + [time.perf_counter() - last[0]])
    gaps.clear()
    last[0] = t1 = time.perf_counter()
    w.undo_action.trigger()
    app.processEvents()
    out["undo"] = time.perf_counter() - t1
    out["message"] = w.statusBar().currentMessage()
    timer.stop()
    w.close()
    store.close()
    return out


def raw(path: Path) -> dict:
    conn = sqlite3.connect(path)
    t0 = time.perf_counter()
    first, n = None, 0
    for (text,) in conn.execute("SELECT text FROM texts"):
        at = text.find(NAME)
        while at >= 0:
            if first is None:
                first = time.perf_counter() - t0
            n += 1
            at = text.find(NAME, at + len(NAME))
    total = time.perf_counter() - t0
    conn.close()
    return {"first": first, "full": total, "found": n}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--docs", type=int, default=100_000)
    p.add_argument("--matches", type=int, default=20_000)
    p.add_argument("--no-window", action="store_true", help="skip the real window's figures")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.annotator"
        t0 = time.perf_counter()
        origin = make_project(path, args.docs, args.matches)
        made = time.perf_counter() - t0
        Path(path).read_bytes()                          # its pages in the OS cache
        r1 = raw(path)
        o = ours(path, origin)
        r2 = raw(path)
        rawf = min(r1["first"], r2["first"]) * 1000
        rawt = min(r1["full"], r2["full"]) * 1000
        print(f"label every occurrence: {args.docs:,} documents, “{NAME}” {o['rows']:,} times on "
              f"token boundaries in {o['docs']:,} documents ({r1['found']:,} raw substrings); "
              f"made in {made:.0f} s")
        print(f"rows: {o['kinds']}; ticked {o['ticked']:,}")
        print(f"{'measure':<44}{'ours ms':>10}{'raw ms':>10}")
        print(f"{'first preview rows (the open document)':<44}{o['first rows'] * 1000:>10.1f}{rawf:>10.1f}")
        print(f"{'first rows of other documents':<44}{o['first corpus rows'] * 1000:>10.1f}{rawf:>10.1f}")
        print(f"{'full preview (every row)':<44}{o['full preview'] * 1000:>10.1f}{rawt:>10.1f}")
        print(f"{'build the edit (documents read again)':<44}{o['build edit'] * 1000:>10.1f}")
        print(f"{'commit (History.do: one transaction)':<44}{o['commit'] * 1000:>10.1f}")
        print(f"{'undo (History.undo: one step)':<44}{o['undo'] * 1000:>10.1f}")
        print(o["summary"])
        if not args.no_window:
            shutil.copy(path, Path(tmp) / "window.annotator")
            v = window(Path(tmp) / "window.annotator", origin)
            print(f"real window (offscreen), every document, {v['rows']:,} rows:")
            print(f"{'  Ctrl+Shift+A → the dialog (first time)':<52}{v['dialog'] * 1000:>8.1f} ms")
            print(f"{'  every document → first rows of other documents':<52}{v['first rows'] * 1000:>8.1f} ms")
            print(f"{'  → the whole preview':<52}{v['full preview'] * 1000:>8.1f} ms")
            print(f"{'  longest UI stall while it fills':<52}{v['stall preview'] * 1000:>8.1f} ms")
            print(f"{'  Apply → dialog closed (built in the worker, pushed)':<52}{v['apply'] * 1000:>8.1f} ms")
            print(f"{'  longest UI stall meanwhile (the push: Store.commit)':<52}{v['stall apply'] * 1000:>8.1f} ms")
            print(f"{'  one Ctrl+Z (the Undo action), shown':<52}{v['undo'] * 1000:>8.1f} ms")
            print(f"  {v['message']}")
        print("raw = sqlite3 SELECT text FROM texts + str.find over every row (no token "
              "boundaries, no spans), best of two runs around ours")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
