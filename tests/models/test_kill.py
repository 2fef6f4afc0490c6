"""Crash safety: SIGKILL the edit path at random moments, over and over, on one project file.

``kill_driver.py`` edits a project through ``Store.apply`` and the importer and reports each
edit once it is committed. Each run is killed with SIGKILL at a random moment (during start-up
and WAL recovery, after a random delay, or right after a reported edit); then the file is
reopened and must hold exactly every reported edit plus, at most, the one in flight — whole
(its spans, status, labels and journal entry together) or not at all — pass
``PRAGMA integrity_check`` and ``foreign_key_check``, keep ``documents.n_spans`` equal to its
spans, and open with ``Store`` again and take a new edit. The next run continues on the same
file, so a WAL left by a killed process is recovered again and again.

``KILL_RUNS`` (default 30) sets the number of kills, ``KILL_SEED`` the seed;
``bench/kill_long.sh`` runs hundreds.
"""
from __future__ import annotations

import copy
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
from models.spans import Span
from models.store import Store
from tests.models.helpers import kill

ROOT = Path(__file__).resolve().parents[2]
RUNS = int(os.environ.get("KILL_RUNS", "30"))
SEED = int(os.environ.get("KILL_SEED", "20261129"))
TEXTS = ["North Korea’s Choe Son Hui 😀 met Antony Blinken in Seoul on Monday.\r\n"
         "Samsung 𠮷 shares rose 3% in Tokyo 🇰🇷 while Café\u0301 Nero closed.",
         "Angela Merkel visited Paris on Friday.",
         "Officials in Tokyo and Seoul met on Monday; Apple shares rose.",
         "Kim Jong Un " * 8]


class Refused(Exception):
    """The store would refuse this edit (and write nothing)."""


# -- the expected project: what the reported edits imply --------------------------------------
def canon(edit: dict) -> str:
    """An edit as compared with the journal (a label change by the names it adds/removes)."""
    if edit["type"] == "labels":
        edit = {"type": "labels", "doc_id": edit["doc_id"], "add": sorted(x["name"] for x in edit["add"]),
                "remove": sorted(x["name"] for x in edit["remove"])}
    return json.dumps(edit, sort_keys=True, ensure_ascii=False)


def _span(d: dict) -> tuple:
    return (d["start"], d["end"], d["label"], d.get("source", "manual"))


def apply_edit(st: dict, e: dict) -> None:
    """Apply an edit (JSON) to the expected state as Store.apply does, or raise Refused."""
    kind = e["type"]
    if kind == "batch":
        for sub in e["edits"]:
            apply_edit(st, sub)
        return
    if kind == "labels":
        for lab in e["remove"]:
            name = lab["name"]
            if name not in st["labels"] or any(s[2] == name for d in st["docs"].values() for s in d["spans"]):
                raise Refused(name)
            st["labels"].remove(name)
        for lab in e["add"]:
            if lab["name"] in st["labels"]:
                raise Refused(lab["name"])
            st["labels"].add(lab["name"])
        return
    doc = st["docs"].get(e["doc_id"])
    if doc is None:
        raise Refused(e["doc_id"])
    if kind == "status":
        if doc["status"] != e["old"]:
            raise Refused(e)
        doc["status"] = e["new"]
        return
    spans = doc["spans"]
    for s in map(_span, e["remove"]):
        if s not in spans:
            raise Refused(s)
        spans.remove(s)
    for s in sorted(map(_span, e["add"])):
        if not 0 <= s[0] < s[1] <= len(doc["text"]) or s[2] not in st["labels"] or \
                any(o[0] < s[1] and s[0] < o[1] for o in spans):
            raise Refused(s)
        spans.add(s)
    # A person's edit (a person's span, or any removal; not the model's own) starts a new document.
    machine = str(e.get("text", "")).startswith(("Model pre-annotation", "Pattern pre-annotation"))
    if doc["status"] == "new" and not machine and (
            e["remove"] or any(_span(x)[3] == "manual" for x in e["add"])):
        doc["status"] = "in progress"


def journal_add(st: dict, doc_id, edit: dict, entry=None) -> None:
    j = st["journal"]
    for k in [k for k, (d, _, undone) in j.items() if d == doc_id and undone]:
        del j[k]
    new = max(j, default=0) + 1                 # SQLite's rowid: one more than the largest
    assert entry in (None, new), f"journal entry {entry}, expected {new}"
    j[new] = (doc_id, canon(edit), 0)


def apply_event(st: dict, ev: dict, in_place: bool = False) -> dict:
    """The expected state after an edit event (a new dict unless ``in_place``)."""
    st = st if in_place else copy.deepcopy(st)
    mode, edit, entry = ev["mode"], ev["edit"], ev.get("entry")
    if mode == "do":
        apply_edit(st, edit)
        journal_add(st, edit["doc_id"], edit, entry)
        return st
    row = st["journal"].get(entry)
    if row is None or row[2] != (0 if mode == "undo" else 1):
        raise Refused(entry)
    apply_edit(st, edit)
    st["journal"][entry] = (row[0], row[1], 1 if mode == "undo" else 0)
    return st


def import_batch(st: dict, docs: list[dict], ids: list[int] | None = None, in_place: bool = False) -> dict:
    """The expected state after one committed import batch (``ids``: those it reported)."""
    st = st if in_place else copy.deepcopy(st)
    new = sorted({s["label"] for d in docs for s in d["spans"]} - st["labels"])
    if new:
        edit = {"type": "labels", "doc_id": None, "add": [{"name": n} for n in new], "remove": []}
        apply_edit(st, edit)
        journal_add(st, None, edit)
    for i, d in enumerate(docs):
        doc_id = max(st["docs"], default=0) + 1
        assert ids is None or ids[i] == doc_id, (ids, doc_id)
        st["docs"][doc_id] = {"text": d["text"], "status": "done" if d.get("answer") == "accept" else "new",
                              "spans": set(map(_span, d["spans"]))}
    return st


# -- the file as it is -----------------------------------------------------------------------------
def read_project(path: Path) -> dict:
    """The project's state read with a fresh connection, after the file-level checks."""
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        docs = {i: {"text": t, "status": st, "spans": set()} for i, t, st, _ in
                con.execute("SELECT d.id, t.text, d.status, d.n_spans FROM documents d "
                            "LEFT JOIN texts t ON t.doc_id = d.id")}
        counts = {i: n for i, _, _, n in con.execute("SELECT id, 0, 0, n_spans FROM documents")}
        for doc_id, *span in con.execute("SELECT doc_id, start, end, label, source FROM spans"):
            docs[doc_id]["spans"].add(tuple(span))
        assert {i: len(d["spans"]) for i, d in docs.items()} == counts, "documents.n_spans is off"
        assert all(d["text"] is not None for d in docs.values()), "a document without its text"
        journal = {i: (d, canon(json.loads(e)), u) for i, d, e, u in
                   con.execute("SELECT id, doc_id, edit, undone FROM journal")}
        labels = {n for (n,) in con.execute("SELECT name FROM labels")}
        return {"docs": docs, "labels": labels, "journal": journal}
    finally:
        con.close()


def difference(a: dict, b: dict) -> str:
    out = []
    for key in ("labels", "docs", "journal"):
        x, y = a[key], b[key]
        if key == "labels":
            if x != y:
                out.append(f"labels: file has {sorted(x - y)} more, {sorted(y - x)} fewer")
            continue
        for k in sorted(set(x) | set(y), key=str):
            if x.get(k) != y.get(k):
                out.append(f"{key}[{k}]: file {x.get(k)!r} != expected {y.get(k)!r}")
    return "\n".join(out[:12])


# -- one killed run --------------------------------------------------------------------------------
def run_and_kill(path: Path, seed: int, rng: random.Random) -> tuple[list[dict], str]:
    """Start the driver, SIGKILL it at a random moment; return its JSON lines and how it died."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.models.kill_driver", str(path), str(seed)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout] and None, daemon=True)
    reader.start()
    got: list[str] = []
    how = rng.random()
    if how < 0.2:                           # while it starts (opening, recovering the WAL)
        delay = rng.uniform(0, 0.15)
        when = f"{delay:.3f} s after start"
        time.sleep(delay)
    else:
        wanted = rng.randint(1, 40) if how < 0.6 else None
        delay = rng.uniform(0, 0.2)
        when = f"right after reported edit {wanted}" if wanted else f"{delay:.3f} s after ready"
        deadline, done = time.monotonic() + 10, 0
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                if proc.poll() is not None:
                    break
                continue
            got.append(line)
            if wanted is None and line.startswith('{"ready"'):
                time.sleep(delay)
                break
            done += line.startswith('{"done"')
            if done == wanted:
                break
    got += kill(proc, reader, lines)
    return [json.loads(x) for x in got], when


def expected_states(st: dict, lines: list[dict]) -> tuple[dict, dict | None]:
    """The state every reported edit implies, and that plus the edit in flight (if any)."""
    st = copy.deepcopy(st)
    pending = None                          # the last intent not yet answered
    imported: list[int] = []
    for line in lines:
        if "intent" in line:
            pending, imported = line["intent"], []
        elif "refused" in line:
            pending = None
        elif "done" in line:
            ev = line["done"]
            if ev["kind"] == "apply":
                st, pending = apply_event(st, ev, in_place=True), None
            else:
                added = ev["added"]
                import_batch(st, pending["docs"][len(imported):len(added)], added[len(imported):], in_place=True)
                imported = added
    after = None
    try:
        if pending and pending["kind"] == "apply":
            after = apply_event(st, pending)
        elif pending:
            rest = pending["docs"][len(imported):len(imported) + pending["batch"]]
            after = import_batch(st, rest) if rest else None
    except Refused:
        pass
    return st, after


def test_sigkill_at_random_moments_loses_no_reported_edit_and_half_applies_none(tmp_path):
    path = tmp_path / "kill.annotator"
    store = Store(path)
    store.add_documents([{"text": t, "title": f"doc {i}"} for i, t in enumerate(TEXTS)])
    store.close()
    model = read_project(path)
    rng = random.Random(SEED)
    started, reported, in_flight = time.monotonic(), 0, 0
    for run in range(RUNS):
        seed = rng.randrange(10 ** 9)
        lines, when = run_and_kill(path, seed, rng)
        before, after = expected_states(model, lines)
        found = read_project(path)
        where = f"run {run} (KILL_SEED={SEED}, driver seed {seed}), killed {when}"
        if found not in (before, after):
            pytest.fail(f"{where}: the file is not what was reported:\n" + difference(found, before) +
                        ("\n-- or, with the edit in flight:\n" + difference(found, after) if after else ""))
        reported += sum("done" in x for x in lines)
        in_flight += found == after and found != before
        model = found
        # The project opens again and takes a new edit.
        store = Store(path)
        doc_id = rng.choice(sorted(model["docs"]))
        length = len(model["docs"][doc_id]["text"])
        start = rng.randrange(length - 1)
        edit = E.add_span(doc_id, Span(start, start + 1, "GPE"), store.spans(doc_id))
        entry = store.apply(edit)
        store.close()
        model = apply_event(model, {"mode": "do", "edit": edit.to_json(), "entry": entry})
        if read_project(path) != model:
            pytest.fail(f"{where}: the edit after reopening:\n" + difference(read_project(path), model))
    took = time.monotonic() - started
    print(f"{RUNS} kills (KILL_SEED={SEED}), {reported} reported edits, {in_flight} in-flight edits "
          f"found applied, {took:.1f} s")
    assert reported > RUNS          # the runs did edit (a test that kills only idle processes proves little)
