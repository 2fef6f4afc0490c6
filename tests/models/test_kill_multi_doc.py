"""Crash safety of edits across documents: SIGKILL a corpus-wide edit, its undo and its redo
at random moments, on one project of 3,000 documents.

``kill_multi_driver.py`` labels every "Acme Corp" in 1,000-1,300 documents as one journal
entry (sometimes adding a label in the same step), undoes it, redoes it (in its own history or
in that of a document it touched), or cuts it with a new one-document edit while it is undone —
all through ``models.history.History`` — and reports each write before and after. Each run is
SIGKILLed: while a multi-document write is in flight (0-30 ms after its intent; anywhere in the
time such a write took before; or 0-12 ms after its COMMIT began to write the -wal file, seen by
polling it — the moment a write split in two transactions would be caught between them), right
after a reported write, or while it starts. Every ten runs use each way. Then the
file, read with a fresh connection, must hold every reported write and the one in flight
whole or not at all: every document it changes has its new spans or none does, the label it
adds exists iff its spans do, the entry's undone flag agrees with the spans, its
``journal_docs`` rows are there iff it is; ``journal_docs`` lists exactly each entry's
documents besides its origin (no rows of cut entries), ``n_spans`` is right, integrity and
foreign keys check, and the file opens with ``Store`` and takes an edit through ``History``
(the next run continues on it).

``KILL_MULTI_RUNS`` (default 10) sets the number of kills, ``KILL_MULTI_SEED`` the seed.
"""
from __future__ import annotations

import json
import os
import queue
import random
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from models import edits as E
from models.history import History
from models.spans import Span
from models.store import Store
from tests.models.helpers import kill
from tests.models.kill_multi_driver import CITY, NAME, occurrences

ROOT = Path(__file__).resolve().parents[2]
RUNS = int(os.environ.get("KILL_MULTI_RUNS", "10"))
SEED = int(os.environ.get("KILL_MULTI_SEED", "20261207"))
N_DOCS = 3000
FILLER = ("Shares rose 3% on Monday.", "Officials met for talks.", "😀 The deal closed late.",
          "Café\u0301 owners complained.", "𠮷 Analysts were surprised.", "Markets fell in Tokyo.\r\n")


# -- the project as a value: {"docs": {id: (status, spans)}, "labels", "journal"} ---------------
# journal: {entry: (origin, undone, edit JSON, the other documents it changed)}

def texts(rng: random.Random) -> list[dict]:
    docs = []
    for i in range(N_DOCS):
        parts = [f"Report {i}:"] + rng.sample(FILLER, 2)
        for _ in range(rng.randint(1, 3)):
            parts.insert(rng.randint(1, len(parts)), f"{NAME} {rng.choice(('said', 'grew', 'rose'))}.")
        parts.insert(rng.randint(1, len(parts)), f"It met in {CITY}.")
        text = " ".join(parts)
        doc = {"text": text, "title": f"report {i}"}
        if rng.random() < 0.2:      # some start with one occurrence labelled
            p = text.index(NAME)
            doc["spans"] = [Span(p, p + len(NAME), "ORG")]
        docs.append(doc)
    return docs


def inverse(e: dict) -> dict:
    if e["type"] == "batch":
        return {**e, "edits": [inverse(x) for x in reversed(e["edits"])]}
    if e["type"] in ("spans", "labels"):
        return {**e, "add": e["remove"], "remove": e["add"]}
    assert e["type"] == "status"
    return {**e, "old": e["new"], "new": e["old"]}


def _span(d: dict) -> tuple:
    return d["start"], d["end"], d["label"], d.get("source", "manual")


def apply_edit(docs: dict, labels: set, e: dict, touched: set) -> None:
    """Apply an edit (JSON) to ``docs`` / ``labels`` (changed in place) as ``Store.commit``
    does; every document it changes goes into ``touched``."""
    kind = e["type"]
    if kind == "batch":
        for sub in e["edits"]:
            apply_edit(docs, labels, sub, touched)
    elif kind == "labels":
        for lab in e["remove"]:
            assert lab["name"] in labels and not any(s[2] == lab["name"] for _, sp in docs.values()
                                                     for s in sp), f"model: cannot remove {lab}"
            labels.remove(lab["name"])
        for lab in e["add"]:
            assert lab["name"] not in labels, f"model: {lab} exists"
            labels.add(lab["name"])
    else:
        assert kind == "spans", kind
        status, spans = docs[e["doc_id"]]
        spans = set(spans)
        for s in map(_span, e["remove"]):
            assert s in spans, f"model: {s} is not in document {e['doc_id']}"
            spans.remove(s)
        for s in map(_span, e["add"]):
            assert s[2] in labels and not any(o[0] < s[1] and s[0] < o[1] for o in spans), s
            spans.add(s)
        machine = str(e.get("text", "")).startswith(("Model pre-annotation", "Pattern pre-annotation"))
        if status == "new" and not machine and (e["remove"] or any(_span(x)[3] == "manual" for x in e["add"])):
            status = "in progress"          # a person's edit (as models/store.py tells it)
        docs[e["doc_id"]] = (status, frozenset(spans))
        touched.add(e["doc_id"])


def places(row: tuple) -> set:
    return {row[0]} | set(row[3])


def offered(st: dict, place: int, mode: str) -> int | None:
    """The entry Undo (Redo) offers in the history of ``place`` (as ``History`` does)."""
    steps = sorted(k for k, row in st["journal"].items() if place in places(row))
    live = [i for i, k in enumerate(steps) if not st["journal"][k][1]]
    if mode == "undo":
        return steps[live[-1]] if live else None
    i = live[-1] + 1 if live else 0
    return steps[i] if i < len(steps) else None


def step(st: dict, ev: dict) -> tuple[dict, int]:
    """The project after a write (``ev``: an intent line's event); and its entry."""
    docs, labels, journal = dict(st["docs"]), set(st["labels"]), dict(st["journal"])
    mode, touched = ev["mode"], set()
    if mode == "do":
        edit = ev["edit"]
        apply_edit(docs, labels, edit, touched)
        origin = edit["doc_id"]
        for k in [k for k, row in journal.items() if row[1] and places(row) & (touched | {origin})]:
            del journal[k]              # a new edit cuts the undone entries of every place it touches
        entry = max(journal, default=0) + 1     # SQLite's rowid: one more than the largest
        journal[entry] = (origin, 0, edit, frozenset(touched - {origin}))
    else:
        entry = offered(st, ev["place"], mode)
        assert entry is not None and entry == ev["entry"], \
            f"{mode} in document {ev['place']}: the driver read entry {ev['entry']}, the journal's rules give {entry}"
        origin, undone, edit, others = journal[entry]
        assert undone == (mode == "redo"), (mode, entry)
        apply_edit(docs, labels, inverse(edit) if mode == "undo" else edit, touched)
        journal[entry] = (origin, int(mode == "undo"), edit, others)
    return {"docs": docs, "labels": labels, "journal": journal}, entry


# -- the file as it is --------------------------------------------------------------------------
def read_project(path: Path) -> dict:
    """The project read with a fresh connection, after the file-level checks."""
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)], "integrity_check"
        assert con.execute("PRAGMA foreign_key_check").fetchall() == [], "foreign_key_check"
        spans: dict[int, set] = {}
        for doc_id, *span in con.execute("SELECT doc_id, start, end, label, source FROM spans"):
            spans.setdefault(doc_id, set()).add(tuple(span))
        docs, wrong = {}, []
        for i, status, n in con.execute("SELECT id, status, n_spans FROM documents"):
            docs[i] = (status, frozenset(spans.get(i, ())))
            if n != len(docs[i][1]):
                wrong.append((i, n, len(docs[i][1])))
        assert not wrong, f"documents.n_spans is not the span count (id, n_spans, spans): {wrong[:5]}"
        others: dict[int, set] = {}
        for entry, doc_id in con.execute("SELECT entry, doc_id FROM journal_docs"):
            others.setdefault(entry, set()).add(doc_id)
        journal = {i: (d, u, json.loads(e), frozenset(others.get(i, ())))
                   for i, d, e, u in con.execute("SELECT id, doc_id, edit, undone FROM journal")}
        gone = sorted(set(others) - set(journal))
        assert not gone, f"journal_docs keeps rows of entries no longer in the journal: {gone[:10]}"
        mine = [k for k, row in journal.items() if row[0] in row[3]]
        assert not mine, f"journal_docs lists an entry's own origin: {mine[:10]}"
        labels = {n for (n,) in con.execute("SELECT name FROM labels")}
        return {"docs": docs, "labels": labels, "journal": journal}
    finally:
        con.close()


def difference(found: dict, want: dict) -> str:
    out = []
    if found["labels"] != want["labels"]:
        out.append(f"labels: file has {sorted(found['labels'] - want['labels'])} more, "
                   f"{sorted(want['labels'] - found['labels'])} fewer")
    for key in ("docs", "journal"):
        x, y = found[key], want[key]
        bad = [k for k in sorted(set(x) | set(y)) if x.get(k) != y.get(k)]
        for k in bad[:4]:
            a, b = x.get(k), y.get(k)
            if key == "journal" and a and b:
                a, b = (a[0], a[1], a[2]["text"], sorted(a[3])[:5]), (b[0], b[1], b[2]["text"], sorted(b[3])[:5])
            out.append(f"{key}[{k}]: file {a!r:.300} != expected {b!r:.300}")
        if len(bad) > 4:
            out.append(f"... {len(bad)} {key} differ in all")
    return "\n".join(out)


def check_in_flight(found: dict, before: dict, after: dict, ev: dict, entry: int) -> bool:
    """The write in flight is in the file whole or not at all; return whether it is there."""
    changed = [d for d in after["docs"] if after["docs"][d] != before["docs"][d]]
    assert changed, f"the write {ev['mode']} changes no document"
    new = sum(found["docs"][d] == after["docs"][d] for d in changed)
    old = sum(found["docs"][d] == before["docs"][d] for d in changed)
    assert new + old == len(changed), \
        f"{len(changed) - new - old} of the {len(changed)} documents of the {ev['mode']} in flight are in neither state"
    assert new in (0, len(changed)), \
        f"the {ev['mode']} in flight is half-written: {new} of its {len(changed)} documents have its spans"
    there = new > 0
    for lab in after["labels"] ^ before["labels"]:
        assert (lab in found["labels"]) == (lab in (after if there else before)["labels"]), \
            f"label {lab}: {'in' if lab in found['labels'] else 'not in'} the file, its spans {'are' if there else 'are not'}"
    row, want = found["journal"].get(entry), (after if there else before)["journal"].get(entry)
    if ev["mode"] == "do":
        if there and row is not None:
            assert row[3] == want[3], f"journal_docs of entry {entry}, the edit in flight: " \
                f"{len(row[3])} rows, its spans are there in {len(want[3])} documents besides its origin"
        assert row == want, \
            f"journal entry {entry} of the edit in flight: {row and row[:2]}, its spans {'are' if there else 'are not'} there"
    else:
        assert row is not None and row[1] == want[1], \
            f"entry {entry}: undone={row and row[1]} but the {ev['mode']}'s spans {'are' if there else 'are not'} there"
    return there


# -- one killed run -------------------------------------------------------------------------------
def _wal(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path.with_name(path.name + "-wal"))
    except FileNotFoundError:
        return None
    return st.st_size, st.st_mtime_ns


def wal_written(path: Path, was, deadline: float) -> None:
    """Wait (polling) until the -wal file changes: the write in flight reaches the file (its
    COMMIT, or pages spilled before it)."""
    while _wal(path) == was and time.monotonic() < deadline:
        time.sleep(0.0002)


def run_and_kill(path: Path, seed: int, how: str, rng: random.Random, took: list[float]) -> tuple[list[dict], str]:
    """Start the driver, SIGKILL it as ``how`` says; return its JSON lines and when it died."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.models.kill_multi_driver", str(path), str(seed)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    lines: queue.Queue = queue.Queue()

    def read():
        for x in proc.stdout:
            lines.put((time.monotonic(), x))
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    got: list[str] = []
    intent_at, done, nth = None, 0, rng.randint(1, 3)
    chosen = 0
    if how == "start":                  # while it starts (imports, opening, recovering the WAL)
        delay = rng.uniform(0.0, 0.9)
        when = f"{delay:.3f} s after start"
        time.sleep(delay)
    else:
        if how == "intent":
            delay = rng.uniform(0.0, 0.030)
            when = f"{delay * 1000:.1f} ms after the intent of multi-document write {nth}"
        elif how == "late":             # anywhere in the time such a write took, and a little after
            delay = rng.uniform(0.0, 1.2 * max(took[-3:], default=0.2))
            when = f"{delay * 1000:.1f} ms after the intent of multi-document write {nth}"
        elif how == "commit":           # while its COMMIT writes the WAL and syncs it (~5 + 5 ms)
            delay, mode = rng.uniform(0.0, 0.012), rng.choice(("do", "do", "undo", "redo"))
            nth = min(nth, 2)
            when = f"{delay * 1000:.1f} ms after multi-document {mode} {nth} began to write the WAL"
        else:
            when = f"right after reported write {nth}"
        multi, deadline = 0, time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                at, line = lines.get(timeout=0.5)
            except queue.Empty:
                if proc.poll() is not None:
                    break
                continue
            got.append(line)
            if line.startswith('{"intent": {"multi": true'):
                multi, intent_at = multi + 1, at
                if how in ("intent", "late") and multi == nth:
                    time.sleep(max(0.0, delay - (time.monotonic() - at)))
                    break
                if how == "commit" and line.startswith(f'{{"intent": {{"multi": true, "mode": "{mode}"'):
                    chosen += 1
                if how == "commit" and chosen == nth:     # it writes ~70-150 ms after its intent
                    wal_written(path, _wal(path), time.monotonic() + 2)
                    time.sleep(delay)
                    break
            elif line.startswith('{"done"'):
                done += 1
                if intent_at is not None:
                    took.append(at - intent_at)
                intent_at = None
                if how == "done" and done == nth:
                    break
    got += [x for _, x in kill(proc, reader, lines)]
    if got and not got[-1].endswith("\n"):
        got.pop()                       # killed while printing an intent: nothing written yet
    return [json.loads(x) for x in got], when


def replay(st: dict, lines: list[dict]) -> tuple[dict, tuple | None, int]:
    """The project every reported write implies; (the project after the write in flight, its
    event, its entry) or None; how many writes were reported."""
    pending, n = None, 0
    for line in lines:
        if "intent" in line:
            pending = line["intent"]
        elif "done" in line:
            done = line["done"]
            st, entry = step(st, pending)
            assert done["entry"] == entry, f"{done['mode']} reported entry {done['entry']}, expected {entry}"
            want = places(st["journal"][entry]) - {None}
            assert done["docs"] == len(want), f"the outcome names {done['docs']} documents, the edit changed {len(want)}"
            pending, n = None, n + 1
    if pending is None:
        return st, None, n
    after, entry = step(st, pending)
    return st, (after, pending, entry), n


def test_sigkill_in_a_multi_document_edit_leaves_all_or_nothing(tmp_path):
    started = time.monotonic()
    rng = random.Random(SEED)
    path = tmp_path / "corpus.annotator"
    store = Store(path)
    ids, _ = store.add_documents(texts(rng))
    store.close()
    assert len(ids) == N_DOCS
    model = read_project(path)
    kinds: list[str] = []               # how each run is killed: every kind in every ten runs
    while len(kinds) < RUNS:
        kinds += rng.sample(["intent"] * 3 + ["commit"] * 3 + ["late"] * 2 + ["done", "start"], 10)
    took: list[float] = []
    reported, in_flight, applied = 0, 0, 0
    for run, how in enumerate(kinds[:RUNS]):
        seed = rng.randrange(10 ** 9)
        lines, when = run_and_kill(path, seed, how, rng, took)
        where = f"run {run} (KILL_MULTI_SEED={SEED}, driver seed {seed}), killed {when}"
        try:
            before, flight, n = replay(model, lines)
            found = read_project(path)
            if flight is None:
                assert found == before, "the file is not what was reported:\n" + difference(found, before)
            else:
                after, ev, entry = flight
                there = check_in_flight(found, before, after, ev, entry)
                want = after if there else before
                assert found == want, f"the file is not what was reported (the {ev['mode']} in flight " \
                    f"{'applied' if there else 'not applied'}):\n" + difference(found, want)
                in_flight += ev["multi"]
                applied += there and ev["multi"]
        except AssertionError as e:
            pytest.fail(f"{where}: {e}")
        reported += n
        print(f"{where}: {n} writes reported, in flight: "
              f"{'nothing' if flight is None else flight[1]['mode'] + (' (applied)' if found == flight[0] else '')}")
        model = found
        # The file opens again and takes an edit (sometimes one that cuts an undone corpus-wide edit).
        store = Store(path)
        undone = [k for k, row in model["journal"].items() if row[1] and row[3]]
        doc_id = rng.choice(sorted(model["journal"][max(undone)][3]) if undone and rng.random() < 0.7
                            else sorted(model["docs"]))
        p = occurrences(store.document(doc_id).text, CITY)[0]
        span, spans = Span(p, p + len(CITY), "GPE"), store.spans(doc_id)
        edit = E.remove_span(doc_id, span) if span in spans else E.add_span(doc_id, span, spans)
        history = History(store)
        history.load(doc_id)
        out = history.do(edit)
        store.close()
        model, entry = step(model, {"mode": "do", "edit": edit.to_json()})
        assert out.entry == entry, f"{where}: the edit after reopening got entry {out.entry}, expected {entry}"
        found = read_project(path)
        assert found == model, f"{where}: the edit after reopening:\n" + difference(found, model)
    took_all = time.monotonic() - started
    print(f"{RUNS} kills (KILL_MULTI_SEED={SEED}), {reported} reported writes, {in_flight} killed "
          f"while a multi-document write was in flight ({applied} found applied), {took_all:.1f} s")
    assert reported >= RUNS and in_flight >= RUNS // 3   # it did write, and was killed mid-write
