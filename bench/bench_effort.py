#!/usr/bin/env python
"""Key presses from a model's pre-annotation to the gold, without and with issue 11's
features (Find, Label every occurrence, entities, the Consistency panel, patterns from the
project), both driven through the real window.

It generates (seed 11) N news-like documents (default 150) in which a few dozen names repeat,
people are spelled in two ways ("Kim Jong Un" / "Kim Jong-un", "Shinzo Abe" / "Abe Shinzo"…),
with possessives ("North Korea’s") and determiners ("the Bank of Korea"); the gold is exact
spans plus one entity per person with variant spellings (``bench/effort_corpus.py``). A
stand-in model (a dictionary, injected as ``tests/gui/conftest.py`` injects its stand-in)
pre-annotates every document with the usual errors. Then, each on its own copy of the
project, a ``gui.main_window.MainWindow`` (offscreen) is driven by a scripted annotator
(``bench/effort_user.py``) that computes the shortest sensible keys for each correction from
the gold and what the window shows, sends them with ``QTest`` where the focus is, and counts
them; every document is walked and marked done (Ctrl+Enter), none only computed.

At the end the SQLite file must hold exactly the gold: every document done, the same
(start, end, label) spans, and the same entity grouping (one entity per gold person, no
entity elsewhere). Exit status 1 if either path differs from the gold; the ratio with/without
is reported (target ≤ 0.5), not asserted.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_effort.py [--docs N] [--seed S] [--no-patterns]
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from effort_corpus import POSS, StandIn, make_corpus  # noqa: E402

KINDS = ("wrong bounds", "wrong label", "wrong bounds and label", "misses", "spurious spans",
         "entity links", "mark done", "moving between panels", "patterns")


def make_project(path: Path, docs) -> list[int]:
    from models import annotate
    from models.store import Store
    store = Store(path)
    try:
        ids, _ = store.add_documents([{"text": d.text, "title": d.title} for d in docs])
        annotate.preannotate(store, StandIn(), ids)
    finally:
        store.close()
    return ids


def errors(docs, model) -> Counter:
    """The model's errors against the gold, by kind."""
    c = Counter()
    for d in docs:
        pred = model.entities(d.text)
        for g in d.gold:
            over = [p for p in pred if p[0] < g.end and g.start < p[1]]
            if not over:
                c["misses"] += 1
                continue
            a, b, label = over[0]
            if (a, b) != (g.start, g.end):
                how = ("possessive" if d.text[g.end:b] == POSS else "leading “the”"
                       if d.text[a:g.start].lower() == "the " else "truncated")
                c["wrong bounds and label" if label != g.label else "wrong bounds"] += 1
                c[f"  bounds: {how}"] += 1
            elif label != g.label:
                c["wrong label"] += 1
            else:
                c["right"] += 1
        c["spurious spans"] += sum(1 for p in pred if not any(g.start < p[1] and p[0] < g.end for g in d.gold))
        c["entity links"] += sum(1 for g in d.gold if g.entity)
    c["mark done"] = len(docs)
    return c


def compare(path: Path, ids, docs) -> list[str]:
    """How the project file differs from the gold ([] when it is the gold exactly)."""
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT doc_id, start, end, label, source, entity FROM spans").fetchall()
        status = dict(con.execute("SELECT id, status FROM documents").fetchall())
    finally:
        con.close()
    out, by_doc = [], {}
    for r in rows:
        by_doc.setdefault(r[0], {})[(r[1], r[2], r[3])] = (r[4], r[5] or 0)
    groups: dict[str, set[int]] = {}
    for doc_id, d in zip(ids, docs):
        if status.get(doc_id) != "done":
            out.append(f"doc {doc_id}: {status.get(doc_id)}, not done")
        have = by_doc.get(doc_id, {})
        want = {(g.start, g.end, g.label): g.entity for g in d.gold}
        for k in sorted(set(have) - set(want)):
            out.append(f"doc {doc_id}: extra span {k} {d.text[k[0]:k[1]]!r}")
        for k in sorted(set(want) - set(have)):
            out.append(f"doc {doc_id}: missing span {k} {d.text[k[0]:k[1]]!r}")
        for k in set(have) & set(want):
            source, entity = have[k]
            if source != "manual":
                out.append(f"doc {doc_id}: span {k} still a suggestion ({source})")
            if want[k]:
                groups.setdefault(want[k], set()).add(entity)
            elif entity:
                out.append(f"doc {doc_id}: span {k} linked to entity {entity}, the gold has none")
    seen: dict[int, str] = {}
    for key, ents in sorted(groups.items()):
        if len(ents) != 1 or 0 in ents:
            out.append(f"gold entity {key}: its spans name entities {sorted(ents)}")
        for e in ents:
            if e and e in seen:
                out.append(f"entity {e} names both {seen[e]} and {key}")
            seen[e] = key
    return out


def drive(path: Path, ids, docs, features: bool, patterns: bool):
    from PySide6.QtWidgets import QApplication
    from effort_user import User, wait
    from gui.main_window import MainWindow
    from models.store import Store
    store = Store(path)
    w = MainWindow(store)
    w.show()
    w.activateWindow()
    w.start(ids[0])
    wait(lambda: QApplication.activeWindow() is w, 5)
    w.view.setFocus()
    QApplication.processEvents()
    user = User(w, {i: d.gold for i, d in zip(ids, docs)}, features)
    t0 = time.perf_counter()
    if features:
        user.checker_pass()
        if patterns:
            user.project_patterns()
        user.in_article()
    user.walk(len(ids))
    if features:
        panel = w.consistency
        wait(lambda: panel.task is None and not panel.pending, 30)
    seconds = time.perf_counter() - t0
    w.model.runner.wait(10000)
    w.io.wait(10000)
    w.close()
    QApplication.processEvents()
    store.close()
    return user, seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=150)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--no-patterns", action="store_true", help="leave out patterns from the project")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_effort_"))
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp / "settings"))
    app = QApplication.instance() or QApplication([])      # noqa: F841
    from gui import dialogs
    from models import ner
    boxes = []
    dialogs.show_error = lambda parent, title, message, *rest: boxes.append(f"{title}: {message}")
    dialogs.show_problems = lambda parent, title, message, *rest: boxes.append(f"{title}: {message}")
    ner.load = lambda name=None: StandIn()
    import gui.model_service
    gui.model_service.SERVER = False     # the stand-in lives in this process only
    docs = make_corpus(args.docs, args.seed)
    errs = errors(docs, StandIn())
    results = {}
    for features in (False, True):
        path = tmp / f"{'with' if features else 'without'}.annotator"
        ids = make_project(path, docs)
        user, seconds = drive(path, ids, docs, features, not args.no_patterns)
        results[features] = (user, seconds, compare(path, ids, docs))
    report(args, docs, errs, results, boxes)
    return 0 if all(not r[2] for r in results.values()) else 1


def report(args, docs, errs, results, boxes) -> None:
    n_gold = sum(len(d.gold) for d in docs)
    print(f"{len(docs)} documents (seed {args.seed}), {n_gold} gold spans, "
          f"{len({g.entity for d in docs for g in d.gold if g.entity})} gold entities with variant names; "
          f"the stand-in model got {errs['right']} spans right")
    print("Every document of both paths was driven through the real window (offscreen, QTest keys "
          "to the focus widget); no sequence is only computed.\n")
    (wo, t_wo, d_wo), (wi, t_wi, d_wi) = results[False], results[True]
    print(f"| correction | errors | keys without | keys with |\n|---|---:|---:|---:|")
    for kind in KINDS:
        print(f"| {kind} | {errs.get(kind, '') or ''} | {wo.keys[kind]} | {wi.keys[kind]} |")
        if kind == "wrong bounds":
            for k in sorted(k for k in errs if k.startswith("  bounds")):
                print(f"| {k.strip()} | {errs[k]} | | |")
    other = set(wo.keys) | set(wi.keys) - set(KINDS)
    for kind in sorted(other - set(KINDS)):
        print(f"| {kind} | | {wo.keys[kind]} | {wi.keys[kind]} |")
    total_wo, total_wi = sum(wo.keys.values()), sum(wi.keys.values())
    print(f"| **total** | | **{total_wo}** | **{total_wi}** |")
    ratio = total_wi / total_wo if total_wo else float("nan")
    print(f"\nratio with/without: {ratio:.2f} (target ≤ 0.5: {'PASS' if ratio <= 0.5 else 'MISS'})")
    print("with the features, used: " + ", ".join(f"{k} ×{v}" for k, v in sorted(wi.uses.items())))
    print(f"without, used: " + ", ".join(f"{k} ×{v}" for k, v in sorted(wo.uses.items())))
    for name, diff, user, sec in (("without", d_wo, wo, t_wo), ("with", d_wi, wi, t_wi)):
        print(f"{name}: {sec:.1f} s driven; result {'equals the gold exactly' if not diff else 'DIFFERS from the gold'}"
              + (f" ({len(diff)} differences)" if diff else ""))
        for line in diff[:15]:
            print("   ", line)
        for line in user.problems[:15]:
            print("    not as expected:", line)
    for b in boxes[:10]:
        print("error box:", b)


if __name__ == "__main__":
    sys.exit(main())
