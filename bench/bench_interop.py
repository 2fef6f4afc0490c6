#!/usr/bin/env python
"""Benchmark the interop readers and writers (issue 12) beside raw baselines, same run.

Generates its own data (deterministic): N documents (default 10,000) of ~2,000 characters with
~8 entities each. Measures, each once:

* Label Studio export (``export(..., "labelstudio")``) vs raw: the same rows read with sqlite3
  and ``json.dumps`` of a minimal task per document.
* Label Studio import read (``iter_labelstudio`` over that file) vs raw ``json.load``.
* CoNLL import read (``iter_conll``) of a generated 200,000-token IOB2 file vs a raw split of
  every line into columns.
* doccano export (UTF-16 offsets, the default) vs code points.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_interop.py [--docs N]
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from models.exporter import export  # noqa: E402
from models.formats.conll_read import iter_conll  # noqa: E402
from models.formats.labelstudio import iter_labelstudio  # noqa: E402
from models.spans import Span  # noqa: E402
from models.store import Store  # noqa: E402

WORDS = ("the a of in on to and for with that said officials would after talks government "
         "market report week statement meeting minister economy 😀 prices border trade").split()
NAMES = [("Kim Jong Un", "PERSON"), ("Seoul", "GPE"), ("Bank of Korea", "ORG"), ("北京", "GPE")]


def make_docs(n: int, rng: random.Random) -> list[dict]:
    docs = []
    for k in range(n):
        parts, spans, at = [], [], 0
        while at < 2000:
            if rng.random() < 0.05:
                name, label = rng.choice(NAMES)
                spans.append(Span(at, at + len(name), label))
                piece = name
            else:
                piece = rng.choice(WORDS)
            parts.append(piece)
            at += len(piece) + 1
        docs.append({"text": " ".join(parts) + f" #{k}", "spans": spans, "status": "done"})
    return docs


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--tokens", type=int, default=200_000)
    args = ap.parse_args()
    rng = random.Random(12)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        store = Store(tmp / "p.annot")
        store.add_documents(make_docs(args.docs, rng))
        store.close()
        out = tmp / "ls.json"
        ours, _ = timed(lambda: export(tmp / "p.annot", out, "labelstudio"))

        def raw_export():
            con = sqlite3.connect(tmp / "p.annot")
            spans: dict[int, list] = {}
            for d, s, e, lab in con.execute("SELECT doc_id, start, end, label FROM spans"):
                spans.setdefault(d, []).append((s, e, lab))
            with open(tmp / "raw.json", "w", encoding="utf-8") as f:
                f.write("[")
                for i, (d, text) in enumerate(con.execute(
                        "SELECT d.id, t.text FROM documents d JOIN texts t ON t.doc_id = d.id ORDER BY d.id")):
                    task = {"data": {"text": text}, "annotations": [{"result": [
                        {"value": {"start": s, "end": e, "labels": [lab]}} for s, e, lab in spans.get(d, [])]}]}
                    f.write(("," if i else "") + json.dumps(task, ensure_ascii=False) + "\n")
                f.write("]")
                f.flush()
                os.fsync(f.fileno())
            con.close()
        try:
            raw, _ = timed(raw_export)
        except sqlite3.Error as e:
            raw = float("nan")
            print(f"(raw export baseline skipped: {e})")
        print(f"labelstudio export, {args.docs:,} docs: ours {ours:.2f} s, raw {raw:.2f} s "
              f"({ours / raw:.2f}x)")
        data = out.read_bytes()
        ours, got = timed(lambda: [x for x in iter_labelstudio(io.BytesIO(data), "ls.json") if isinstance(x, dict)])
        raw, _ = timed(lambda: json.loads(data))
        print(f"labelstudio read, {len(got):,} tasks ({len(data) / 1e6:.1f} MB): ours {ours:.2f} s, "
              f"raw json.loads {raw:.2f} s ({ours / raw:.1f}x)")
        lines, sent = [], 0
        for i in range(args.tokens):
            if rng.random() < 0.05:
                lines.append("")
                sent += 1
                if sent % 30 == 0:
                    lines.append("-DOCSTART- -X- O O\n")
                continue
            r = rng.random()
            lines.append(f"Tok{i % 97} NN B-NP " + ("B-PER" if r < 0.08 else "I-PER" if r < 0.1 else "O"))
        conll = ("\n".join(lines) + "\n").encode()
        ours, got = timed(lambda: [x for x in iter_conll(io.BytesIO(conll), "c.conll") if isinstance(x, dict)])
        raw, _ = timed(lambda: [ln.split() for ln in conll.decode().split("\n")])
        print(f"conll read, {args.tokens:,} tokens, {len(got):,} docs: ours {ours:.2f} s, raw split "
              f"{raw:.2f} s ({ours / raw:.1f}x)")
        u16, _ = timed(lambda: export(tmp / "p.annot", tmp / "u.jsonl", "doccano"))
        cp, _ = timed(lambda: export(tmp / "p.annot", tmp / "c.jsonl", "doccano", offsets="codepoints"))
        print(f"doccano export: UTF-16 offsets {u16:.2f} s, code points {cp:.2f} s")


if __name__ == "__main__":
    main()
