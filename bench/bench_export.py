#!/usr/bin/env python
"""Benchmark the export (issue 4, "Speed"): JSONL and ``.spacy`` beside raw baselines, same run.

Generates its own project (deterministic seed) in a temporary directory: N documents
(default 100,000) of ~1,900 characters with ~8 entities each, all marked done, written with
raw ``executemany`` into a project made by ``Store`` (documents, texts, spans; the span-count
triggers run as usual). Then measures, each once, in this order (the project file is read once
beforehand so every run finds it in the OS cache):

* raw A: read the rows with sqlite3 (documents+texts and spans, two streaming queries walked
  side by side, as the exporter does) and ``json.dumps`` a dict {text, spans, meta, answer} per
  document, one line each, fsync.
* raw B: the same Prodigy fields ours writes, tokens included: ``nlp.tokenizer.pipe`` (blank
  "en") over the texts, token dicts {text, start, end, id, ws}, spans with token_start /
  token_end, ``_input_hash`` / ``_task_hash`` (murmurhash of the sorted JSON), fsync.
* ours: ``export(path, out.jsonl, "jsonl")``.
* ours: ``export(path, outdir, "spacy")`` (train.spacy + dev.spacy, user data kept).
* raw: read rows + ``Doc`` from the blank tokenizer (``tokenizer.pipe``) + ``char_span``
  (strict) + ``doc.ents`` + the same user data + ``DocBin(attrs=ATTRS, store_user_data=True)
  .add`` (the attributes ours keeps: text, spaces, entity tags; DocBin's default of 13
  attributes needs ~13 GB for 100,000 articles) + ``to_disk`` (one file), fsync. Peak memory
  (ru_maxrss growth) of each export is printed too.

Target: ≤ 2× raw. Then a cProfile of the JSONL export on a 10,000-document project: the top
8 functions by own time, on one line.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_export.py [--quick] [--docs N]
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

T_RATIO = 2.0               # export ≤ 2× raw
PROFILE_DOCS = 10_000

FILLER = ("the a of in on to and for with that said officials would after before during "
          "talks government market report week statement meeting minister economy prices "
          "border trade agency sources people plans analysts told reporters added security "
          "growth percent rates leaders bank visit summit country region forces policy "
          "spokesman announced expected its their was were had has been also more than "
          "investors exports shares index inflation election parliament court ruling").split()
MENTIONS = {
    "PERSON": ["Kim Jong Un", "Anna Schmidt", "Maria Okafor", "John Park", "Ahmed Hassan",
               "Olga Ivanova", "Chen Wei", "Priya Natarajan", "Janet Yellen"],
    "ORG": ["United Nations", "Samsung Electronics", "Reuters", "Bank of Korea", "𠮷野家",
            "European Commission", "Hyundai Motor", "Federal Reserve", "Toyota", "IMF"],
    "GPE": ["Seoul", "Pyongyang", "Washington", "Beijing", "North Korea", "Tokyo", "Berlin"],
    "NORP": ["South Korean", "Chinese", "American", "Russian", "Japanese"],
    "DATE": ["Monday", "last week", "March 3", "2024", "Tuesday"],
}
EMOJI = ["😀", "🎉", "📈", "👍🏽"]


def _sentence(rnd: random.Random, n_ents: int) -> tuple[str, list[tuple[int, int, str]]]:
    """A sentence with ``n_ents`` whole-word mentions; (text, [(start, end, label)])."""
    words: list[tuple[str, str | None]] = [(rnd.choice(FILLER), None)
                                           for _ in range(rnd.randint(14, 22))]
    for slot in sorted(rnd.sample(range(1, len(words), 2), n_ents), reverse=True):
        label = rnd.choice(list(MENTIONS))
        words.insert(slot, (rnd.choice(MENTIONS[label]), label))
    text, ents = "", []
    for i, (w, label) in enumerate(words):
        if i:
            text += " "
        if i == 0:
            w = w[0].upper() + w[1:]
        if label:
            ents.append((len(text), len(text) + len(w), label))
        text += w
    text += "."
    if rnd.random() < 0.05:
        text += " " + rnd.choice(EMOJI)
    return text, ents


def generate(path: Path, n_docs: int, seed: int = 11, chars: int = 1900) -> dict:
    """A project of ``n_docs`` done documents with ~8 entities each, written with raw SQL."""
    from models.document import DONE, text_hash
    from models.store import Store
    Store(path).close()                     # schema, indexes, triggers, labels
    rnd = random.Random(seed)
    # ~125 characters a sentence, ~15 a document: about one entity in two sentences.
    pool = [_sentence(rnd, 1 if rnd.random() < 0.55 else 0) for _ in range(5000)]
    stamp = "2026-01-01T00:00:00.000Z"
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    stats = {"chars": 0, "spans": 0}
    docs, texts, spans = [], [], []

    def flush():
        conn.executemany("INSERT INTO documents(id, title, length, meta, status, text_hash, "
                         "created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", docs)
        conn.executemany("INSERT INTO texts(doc_id, text) VALUES (?, ?)", texts)
        conn.executemany("INSERT INTO spans(doc_id, start, end, label, source, created, updated) "
                         "VALUES (?, ?, ?, ?, 'manual', ?, ?)", spans)
        docs.clear(), texts.clear(), spans.clear()

    for i in range(1, n_docs + 1):
        text = f"SEOUL (Bench #{i}) — "
        target = chars + rnd.randrange(-200, 200)
        while len(text) < target:
            s, ents = pool[rnd.randrange(len(pool))]
            if len(text) > 30 and rnd.random() < 0.2:
                text += "\n\n"
            elif not text.endswith(" "):
                text += " "
            spans.extend((i, len(text) + a, len(text) + b, label, stamp, stamp)
                         for a, b, label in ents)
            stats["spans"] += len(ents)
            text += s
        docs.append((i, text[:60].rsplit(" ", 1)[0], len(text), json.dumps({"url": f"https://x.example/{i}"}),
                     DONE, text_hash(text), stamp, stamp))
        texts.append((i, text))
        stats["chars"] += len(text)
        if len(docs) >= 5000:
            flush()
    flush()
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return stats


# -- raw baselines ---------------------------------------------------------------------------

def raw_rows(conn: sqlite3.Connection, done_only: bool = True):
    """(id, text, title, meta, status, [(start, end, label)]) of every done document (or every
    one), id order: two streaming queries walked side by side."""
    where = "WHERE d.status = 'done'" if done_only else ""
    docs = conn.execute("SELECT d.id, t.text, d.title, d.meta, d.status FROM documents d "
                        f"JOIN texts t ON t.doc_id = d.id {where} ORDER BY d.id")
    sp = conn.cursor().execute("SELECT s.doc_id, s.start, s.end, s.label FROM spans s JOIN "
                               f"documents d ON d.id = s.doc_id {where} "
                               "ORDER BY s.doc_id, s.start")
    pending = sp.fetchone()
    for doc_id, text, title, meta, status in docs:
        mine = []
        while pending is not None and pending[0] < doc_id:
            pending = sp.fetchone()
        while pending is not None and pending[0] == doc_id:
            mine.append(pending[1:])
            pending = sp.fetchone()
        yield doc_id, text, title, meta, status, mine


def _batches(rows, n: int = 1000):
    batch = []
    for r in rows:
        batch.append(r)
        if len(batch) >= n:
            yield batch
            batch = []
    if batch:
        yield batch


def tokenized_rows(conn: sqlite3.Connection, tokenizer):
    """(row, spaCy Doc of its text) for every row of ``raw_rows``, tokenized a batch at a time."""
    for batch in _batches(raw_rows(conn)):
        yield from zip(batch, tokenizer.pipe(r[1] for r in batch))


def _meta(doc_id, title, meta, status) -> dict:
    return {**json.loads(meta or "{}"), "doc_id": doc_id, "title": title, "status": status}


def raw_jsonl_a(db: Path, out: Path) -> int:
    conn = sqlite3.connect(str(db))
    n = 0
    with out.open("w", encoding="utf-8") as f:
        for doc_id, text, title, meta, status, spans in raw_rows(conn):
            task = {"text": text, "meta": _meta(doc_id, title, meta, status),
                    "spans": [{"start": a, "end": b, "label": lab} for a, b, lab in spans],
                    "answer": "accept"}
            f.write(json.dumps(task, ensure_ascii=False) + "\n")
            n += 1
        f.flush()
        os.fsync(f.fileno())
    conn.close()
    return n


def raw_jsonl_b(db: Path, out: Path, tokenizer) -> int:
    import murmurhash

    def h(obj):
        return murmurhash.hash(json.dumps(obj, sort_keys=True, ensure_ascii=False))
    conn = sqlite3.connect(str(db))
    n = 0
    with out.open("w", encoding="utf-8") as f:
        for (doc_id, text, title, meta, status, spans), doc in tokenized_rows(conn, tokenizer):
            tokens = [{"text": t.text, "start": t.idx, "end": t.idx + len(t), "id": t.i,
                       "ws": bool(t.whitespace_)} for t in doc]
            starts = {t["start"]: t["id"] for t in tokens}
            ends = {t["end"]: t["id"] for t in tokens}
            out_spans = [{"start": a, "end": b, "label": lab, "token_start": starts.get(a),
                          "token_end": ends.get(b)} for a, b, lab in spans]
            task = {"text": text, "meta": _meta(doc_id, title, meta, status),
                    "_input_hash": h({"text": text}), "tokens": tokens, "spans": out_spans,
                    "answer": "accept"}
            task["_task_hash"] = h({"text": text, "spans": out_spans})
            f.write(json.dumps(task, ensure_ascii=False) + "\n")
            n += 1
        f.flush()
        os.fsync(f.fileno())
    conn.close()
    return n


def raw_spacy(db: Path, outdir: Path, tokenizer) -> tuple[int, int]:
    from spacy.tokens import DocBin

    from models.formats.docbin import ATTRS
    conn = sqlite3.connect(str(db))
    db_ = DocBin(attrs=ATTRS, store_user_data=True)     # the attributes ours writes
    n = n_ents = 0
    for (doc_id, text, title, meta, status, spans), doc in tokenized_rows(conn, tokenizer):
        ents = [doc.char_span(a, b, label=lab, alignment_mode="strict") for a, b, lab in spans]
        doc.ents = [e for e in ents if e is not None]
        doc.user_data["article_annotator"] = {"title": title, "status": status,
                                              "meta": json.loads(meta or "{}")}
        db_.add(doc)
        n += 1
        n_ents += len(doc.ents)
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / "train.spacy"
    db_.to_disk(path)
    with path.open("rb+") as f:
        os.fsync(f.fileno())
    conn.close()
    return n, n_ents


# -- helpers ---------------------------------------------------------------------------------

def peak_mb() -> float:
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn, *args, **kw):
    gc.collect()
    t = time.perf_counter()
    result = fn(*args, **kw)
    return time.perf_counter() - t, result


def warm(path: Path) -> None:
    for p in (path, Path(str(path) + "-wal")):
        if p.exists():
            with p.open("rb") as f:
                while f.read(1 << 24):
                    pass


def profile_line(path: Path, out: Path) -> str:
    from models.exporter import export
    prof = cProfile.Profile()
    prof.enable()
    export(path, out, "jsonl")
    prof.disable()
    st = pstats.Stats(prof)
    total = st.total_tt
    rows = sorted(st.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:8]
    parts = []
    for (file, line, name), (_, _, tt, _, _) in rows:
        where = name if file == "~" else f"{Path(file).name}:{name}"
        parts.append(f"{where} {tt:.2f}s ({100 * tt / total:.0f}%)")
    return f"total {total:.2f}s: " + "; ".join(parts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--quick", action="store_true", help="10,000 documents")
    args = ap.parse_args()
    n = 10_000 if args.quick else args.docs

    import spacy
    from models.exporter import export
    from models.ner import WarmTokenizer
    # The raw baselines use spaCy's tokenizer as it comes; "warm" ones the same tokenizer with
    # its cache kept filled, as ours does (models/ner.py WarmTokenizer): same tokens, so the
    # difference between the two is spaCy's cache, the rest is ours.
    tokenizer = spacy.blank("en").tokenizer
    warm_tokenizer = WarmTokenizer(spacy.blank("en").tokenizer)

    with tempfile.TemporaryDirectory(prefix="bench_export_") as tmp:
        tmp = Path(tmp)
        db = tmp / "project.db"
        secs, stats = timed(generate, db, n)
        print(f"project: {n:,} done documents, {stats['chars'] / n:,.0f} chars and "
              f"{stats['spans'] / n:.1f} entities each on average, "
              f"{db.stat().st_size / 2**20:,.0f} MB; generated in {secs:.1f} s; "
              f"load average {os.getloadavg()[0]:.2f}")
        warm(db)

        t_a, n_a = timed(raw_jsonl_a, db, tmp / "raw_a.jsonl")
        t_b, n_b = timed(raw_jsonl_b, db, tmp / "raw_b.jsonl", tokenizer)
        t_oj, rep_j = timed(export, db, tmp / "ours.jsonl", "jsonl")
        t_on, rep_n = timed(export, db, tmp / "ours_nt.jsonl", "jsonl", no_tokens=True)
        rss0 = peak_mb()
        t_os, rep_s = timed(export, db, tmp / "ours_spacy", "spacy")
        rss1 = peak_mb()
        t_rs, (n_rs, ents_rs) = timed(raw_spacy, db, tmp / "raw_spacy", tokenizer)
        rss2 = peak_mb()
        t_bw, _ = timed(raw_jsonl_b, db, tmp / "raw_bw.jsonl", warm_tokenizer)
        t_rsw, _ = timed(raw_spacy, db, tmp / "raw_spacy_w", warm_tokenizer)

        assert n_a == n_b == rep_j.documents == rep_n.documents == rep_s.documents == n_rs == n, \
            (n_a, n_b, rep_j.documents, rep_s.documents, n_rs)
        assert rep_s.spans == ents_rs == stats["spans"], (rep_s.spans, ents_rs, stats["spans"])

        def size(p: Path) -> str:
            b = sum(f.stat().st_size for f in p.iterdir()) if p.is_dir() else p.stat().st_size
            return f"{b / 2**20:,.0f} MB"
        print(f"output: ours.jsonl {size(tmp / 'ours.jsonl')}, --no-tokens "
              f"{size(tmp / 'ours_nt.jsonl')}, raw A {size(tmp / 'raw_a.jsonl')}, "
              f"raw B {size(tmp / 'raw_b.jsonl')}; ours .spacy {size(tmp / 'ours_spacy')} "
              f"({rep_s.train:,} train, {rep_s.dev:,} dev, {rep_s.spans:,} entities), "
              f"raw .spacy {size(tmp / 'raw_spacy')}")
        print(f"peak memory (ru_maxrss): {rss0:,.0f} MB before the .spacy exports, {rss1:,.0f} MB "
              f"after ours (+{rss1 - rss0:,.0f}), {rss2:,.0f} MB after raw's")
        print()
        rows = [
            ("JSONL --no-tokens vs raw A (read + json.dumps)", t_on, t_a),
            ("JSONL vs raw A (read + json.dumps, no tokens)", t_oj, t_a),
            ("JSONL vs raw B (same Prodigy fields, tokens)", t_oj, t_b),
            ("JSONL vs raw B, tokenizer cache kept warm", t_oj, t_bw),
            (".spacy vs raw (read + Doc + char_span + DocBin)", t_os, t_rs),
            (".spacy vs raw, tokenizer cache kept warm", t_os, t_rsw),
        ]
        w = max(len(r[0]) for r in rows)
        print(f"{'measure':<{w}}  {'ours':>8}  {'raw':>8}  {'ratio':>6}  {'target':>7}  verdict")
        for name, ours, raw in rows:
            ratio = ours / raw
            print(f"{name:<{w}}  {ours:>7.2f}s  {raw:>7.2f}s  {ratio:>5.2f}×  {'≤ 2.0×':>7}  "
                  f"{'PASS' if ratio <= T_RATIO else 'MISS'}")
        print(f"(per 1,000 documents: JSONL ours {1000 * t_oj / n:.2f} s, raw A "
              f"{1000 * t_a / n:.2f} s, raw B {1000 * t_b / n:.2f} s; .spacy ours "
              f"{1000 * t_os / n:.2f} s, raw {1000 * t_rs / n:.2f} s)")

        for p in (tmp / "raw_a.jsonl", tmp / "raw_b.jsonl", tmp / "raw_bw.jsonl", tmp / "ours.jsonl",
                  tmp / "ours_nt.jsonl"):
            p.unlink()
        if n <= PROFILE_DOCS:
            small = db
        else:
            small = tmp / "small.db"
            generate(small, PROFILE_DOCS)
            warm(small)
        print()
        print(f"cProfile, JSONL export of {PROFILE_DOCS:,} documents, top 8 by own time: "
              + profile_line(small, tmp / "profile.jsonl"))


if __name__ == "__main__":
    main()
