#!/usr/bin/env python
"""Benchmark the consistency checker (issue 11): the full check of each kind, and of all four,
on a generated corpus, beside a raw baseline in the same run — a plain sqlite3 read of every
span and text (two streaming queries walked side by side, each span's text sliced, as the
checker reads them) — and the re-check after one edit (``Checker.update``) beside the full one.

The corpus (deterministic seed): N documents (default 100,000) of ~200 characters, each naming
three of a few thousand names (people "Kim Jong Un"-like, organisations, places), labelled as
a person would, with the usual errors: a name left unlabelled (missed), another label, a
possessive or a "the" inside the span (bounds), a hyphenated or run-together spelling of a
person's name (variants). Spans are written with one raw ``executemany`` into a project made
by ``Store``.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_checker.py [--docs N] [--names N]
    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_checker.py --quick     # 20,000 documents
"""
from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.checker import KINDS, Checker  # noqa: E402
from models.edits import ReplaceSpans  # noqa: E402
from models.spans import Span  # noqa: E402
from models.store import Store  # noqa: E402

SYLLABLES = ("kim jong un moon jae park geun lee min ho choi seo yeon han song hyun jung woo sung "
             "tae yang bo ra").split()
STEMS = ("Acme Orion Delta Summit Harbor Pioneer Crescent Granite Beacon Meridian Atlas Vertex "
         "Sterling Cobalt Falcon Juniper Horizon Redwood Silver Union").split()
KINDS_ORG = ("Corp", "Bank", "Group", "Institute", "School", "Holdings")
PLACES = ("Seoul Busan Incheon Daegu Pyongyang Kaesong Tokyo Osaka Beijing Shanghai Hanoi Manila "
          "Jakarta Bangkok Taipei").split()
FILLER = ("officials said the talks would resume on Monday after a week of meetings between "
          "delegations from both sides while analysts expected little change in policy").split()


def names(rnd: random.Random, n: int) -> list[tuple[str, str]]:
    out: dict[str, str] = {}
    while len(out) < n:
        r = rnd.random()
        if r < 0.5:
            name = " ".join(rnd.choice(SYLLABLES).capitalize() for _ in range(3))
            out.setdefault(name, "PERSON")
        elif r < 0.85:
            out.setdefault(f"{rnd.choice(STEMS)} {rnd.choice(STEMS)} {rnd.choice(KINDS_ORG)}", "ORG")
        else:
            out.setdefault(f"{rnd.choice(PLACES)} {rnd.choice(['City', 'Province', 'Port', 'Bay'])}", "GPE")
    return sorted(out.items())


def make_project(path: Path, n_docs: int, n_names: int) -> None:
    rnd = random.Random(11)
    pool = names(rnd, n_names)
    docs, spans = [], []
    for i in range(n_docs):
        text, mine = f"Report {i}: ", []
        for _ in range(3):
            name, label = rnd.choice(pool)
            r = rnd.random()
            shown, start_off, end_off = name, 0, 0
            if label == "PERSON" and r < 0.02:
                first, rest = name.split(" ", 1)
                shown = first + " " + rest.replace(" ", "-", 1)       # "Kim Jong-un"
            elif label == "ORG" and r < 0.04:
                shown, start_off = "the " + name, 0                   # "the X School" labelled
            elif r < 0.07:
                shown = name + "’s"                                   # possessive inside
            words = [rnd.choice(FILLER) for _ in range(rnd.randint(6, 10))]
            text += " ".join(words) + " "
            at = len(text)
            text += shown + " "
            if r < 0.92 or r >= 0.95:
                lab = label if r < 0.97 else rnd.choice(["ORG", "PERSON", "GPE"])
                mine.append((at + start_off, at + len(shown) - end_off, lab))
            # 0.92 <= r < 0.95: left unlabelled (a missed occurrence)
        docs.append({"text": text.rstrip() + ".", "title": f"Report {i}"})
        spans.append(mine)
    store = Store(path)
    ids = store.add_documents(docs)[0]
    store.close()
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany("INSERT INTO spans(doc_id, start, end, label, source, entity, created, updated) "
                         "VALUES (?, ?, ?, ?, 'manual', NULL, '', '')",
                         [(d, a, b, lab) for d, mine in zip(ids, spans) for a, b, lab in mine])
    conn.close()


def raw_read(path: Path) -> int:
    """Every span's text, read as the checker reads it: texts and spans side by side."""
    conn = sqlite3.connect(path)
    try:
        texts = conn.execute("SELECT doc_id, text FROM texts ORDER BY doc_id")
        spans = conn.execute("SELECT doc_id, start, end, label, source, entity FROM spans "
                             "ORDER BY doc_id, start")
        n, pending = 0, spans.fetchone()
        for doc_id, text in texts:
            while pending is not None and pending[0] == doc_id:
                _s = text[pending[1]:pending[2]]
                n += 1
                pending = spans.fetchone()
        return n
    finally:
        conn.close()


def timed(fn, repeats: int) -> tuple[tuple[float, float], object]:
    """((median wall seconds, median CPU seconds of this process), the last result). The CPU
    time moves less with what else runs on a shared machine."""
    walls, cpus, result = [], [], None
    for _ in range(repeats):
        result = None
        t, c = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return (statistics.median(walls), statistics.median(cpus)), result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--names", type=int, default=3_000)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.docs = 20_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.annotator"
        t = time.perf_counter()
        make_project(path, args.docs, args.names)
        print(f"corpus: {args.docs:,} documents, {args.names:,} names, made in {time.perf_counter() - t:.1f} s")
        raw_read(path)                          # the file in the OS cache
        raw, n_spans = timed(lambda: raw_read(path), max(3, args.repeats))
        store = Store(path, readonly=True)
        print(f"{n_spans:,} spans; raw sqlite3 read of every span and text: {raw[0]:.2f} s "
              f"(CPU {raw[1]:.2f} s); load average {os.getloadavg()[0]:.1f}\n")
        print("| check | ours | raw read | ratio | ours CPU | raw CPU | ratio CPU | findings |\n"
              "|---|---|---|---|---|---|---|---|")
        checker = None
        for kinds in [(k,) for k in KINDS] + [KINDS]:
            checker = None                      # the last one freed before the next is built
            took, checker = timed(lambda: Checker(store, kinds).run(), args.repeats)
            name = "all four" if len(kinds) > 1 else kinds[0]
            print(f"| {name} | {took[0]:.2f} s | {raw[0]:.2f} s | {took[0] / raw[0]:.1f}× | {took[1]:.2f} s "
                  f"| {raw[1]:.2f} s | {took[1] / raw[1]:.1f}× | {len(checker.findings()):,} |")
        full = checker
        store.close()
        # the re-check after one edit, on the window's connection as the panel does
        store = Store(path)
        full.store = store
        doc = 1
        spans = store.spans(doc)
        edit = ReplaceSpans(doc, (spans[0],), (spans[0].with_(label="GPE" if spans[0].label != "GPE" else "ORG"),))
        out = store.commit(edit)
        took, _ = timed(lambda: full.update(out), 1)
        text = store.document(doc).text
        new = Span(0, 6, "ORG")             # "Report": a string labelled for the first time, everywhere
        out = store.commit(ReplaceSpans(doc, (), (new,)))
        took_new, _ = timed(lambda: full.update(out), 1)
        check = Checker(store).run()
        same = check.findings() == full.findings()
        print(f"\nre-check after a relabel in one document: {took[0] * 1000:.0f} ms; after labelling a "
              f"string found in every document ({text[:6]!r}): {took_new[0]:.2f} s; equal to a full "
              f"check: {same}; load average {os.getloadavg()[0]:.1f}")
        store.close()


if __name__ == "__main__":
    main()
