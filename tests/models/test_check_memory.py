"""The consistency checker's memory (issue 15): its occurrences compact (``Found``), a missed
finding's items made when read (``Occurrences``) and equal to the tuple they stand for, the
re-check merging them exactly, the young garbage collections still running while it builds,
and what it holds a document on a generated corpus of 50,000 documents bounded."""
from __future__ import annotations

import gc
import random
import tracemalloc
import weakref

import pytest

from models.check_text import Found, Matcher, Occurrences
from models.checker import Checker
from models.edits import ReplaceSpans
from models.findings import Item
from models.spans import Span

BODY = "The minister met officials in Seoul on Monday to discuss trade with Tokyo and Apple. "


def corpus(store, n: int, body: str = BODY * 2):
    """``n`` documents of ``body`` (raw rows, as the benchmark's generator writes them; the
    first labelled through the store): Seoul, Tokyo (GPE) and Apple (ORG) stand unlabelled in
    every other document."""
    con = store.db.conn
    now = "2024-01-01T00:00:00.000Z"
    con.execute("BEGIN")
    con.executemany("INSERT INTO documents(id, title, length, meta, status, text_hash, created, updated) "
                    "VALUES (?, ?, ?, '{}', 'new', ?, ?, ?)",
                    ((i, f"T{i}", len(body) + 8, f"h{i}", now, now) for i in range(1, n + 1)))
    con.executemany("INSERT INTO texts(doc_id, text) VALUES (?, ?)",
                    ((i, f"{i:07d} {body}") for i in range(1, n + 1)))
    con.execute("COMMIT")
    text = f"{1:07d} {body}"
    spans = tuple(Span(text.index(s), text.index(s) + len(s), lab) for s, lab in
                  (("Seoul", "GPE"), ("Tokyo", "GPE"), ("Apple", "ORG")))
    store.apply(ReplaceSpans(1, (), tuple(sorted(spans))))
    return text


def reference_missed(store, checker) -> dict[str, list[tuple]]:
    """Every missed occurrence found the plain way (each text searched, spans masked, the
    rejected left out): string -> [(doc, start, end)]."""
    matcher = Matcher(checker.matcher.strings)
    rejected = {(d, a, b) for d, a, b, _lab in store.check_rejected()}
    out: dict[str, list[tuple]] = {}
    for doc_id, text, spans in store.check_rows():
        for a, b, s in matcher.find(text, [(x[0], x[1]) for x in spans]):
            if (doc_id, a, b) not in rejected:
                out.setdefault(s, []).append((doc_id, a, b))
    return out


def test_memory_a_document_is_bounded_on_50000_documents(store):
    corpus(store, 50_000)
    gc.collect()
    tracemalloc.start()
    try:
        checker = Checker(store).run()
        findings = checker.findings()
        held, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    missed = {f.key: f for f in findings if f.kind == "missed"}
    assert {k: f.n_spans for k, f in missed.items()} == {"Seoul": 99_999, "Tokyo": 99_999,
                                                        "Apple": 99_999}
    # 6 occurrences a document: ~40 bytes here (tuples of them held ~1,500 before)
    assert held / 50_000 < 150, f"{held / 50_000:.0f} bytes a document"


def test_texts_kept_are_let_go_as_they_are_searched():
    """The first pass keeps up to TEXT_BUDGET characters for the search; each is let go once
    searched, so the texts kept and the search's index do not add up."""
    from collections import deque

    from models.checker import _drained
    kept = deque([(1, "a", []), (2, "b", [])])
    seen = []
    for row in _drained(kept, iter([(3, "c", [])])):
        seen.append((row[0], len(kept)))
    assert seen == [(1, 1), (2, 0), (3, 0)]


def test_the_young_collections_run_while_the_index_is_built(store):
    """Cycles made meanwhile (by the window's thread, here the progress callback) are
    collected before the check ends: the collector is not switched off."""
    corpus(store, 3_000)
    made = []

    class Cycle:
        pass

    def progress(done, total):
        if not made:
            c = Cycle()
            c.me = c
            made.append(weakref.ref(c))
        elif done == total:             # the last report, still inside the check
            made.append(made[0]() is None and gc.isenabled())
    threshold = gc.get_threshold()
    Checker(store).run(progress)
    assert made[1:] == [True]
    assert gc.isenabled() and gc.get_threshold() == threshold


def test_missed_items_are_every_occurrence_rejected_ones_left_out(store):
    text = corpus(store, 300)
    seoul = text.index("Seoul")
    store.db.conn.executemany("INSERT INTO rejected(doc_id, start, end, label, source) VALUES (?, ?, ?, ?, 'x')",
                              [(7, seoul, seoul + 5, "GPE"), (9, seoul, seoul + 5, "ORG"),
                               (11, text.index("Apple"), text.index("Apple") + 5, "ORG")])
    store.db.conn.commit()
    checker = Checker(store).run()
    want = reference_missed(store, checker)
    want["Seoul"].insert(3, (9, seoul, seoul + 5))       # an ORG rejected: still a GPE to label
    want["Seoul"].sort()
    for f in checker.findings():
        if f.kind == "missed":
            label = {"Apple": "ORG"}.get(f.key, "GPE")
            items = tuple(Item(d, a, b, label, "manual", 0, f.key) for d, a, b in want[f.key])
            assert f.items == items and items == f.items and len(f.items) == f.n_spans == len(items)
            assert list(f.items) == list(items) and f.items[-1] == items[-1] and f.items[5] == items[5]
            assert f.items[2:9] == items[2:9] and f.per_doc() == f.items.per_doc()
            assert hash(f.items) == hash(items)
    assert {f.key for f in checker.findings() if f.kind == "missed"} == {"Seoul", "Tokyo", "Apple"}


def test_found_widens_and_merges_exactly():
    f = Found()
    for doc, start in [(3, 1), (3, 70_000), (5, 2), (1 << 33, 4)] + [(9, i) for i in range(70_000)]:
        f.add(doc, start) if doc != 9 else None
    assert f.starts.typecode == "I" and f.docs.typecode == "q"
    g = Found()
    for d in (2, 4, 6, 8):
        for a in range(d):
            g.add(d, a * 10)
    import numpy as np
    m = g.merged(np.array([4, 8]), {5: [1, 2], 8: [7], 1: [0]})
    assert list(m.docs) == [1, 2, 5, 6, 8] and list(m.counts) == [1, 2, 2, 6, 1]
    assert list(m.starts) == [0, 0, 10, 1, 2, 0, 10, 20, 30, 40, 50, 7]
    assert g.merged(np.array([2, 4, 6, 8]), {}) is None
    items = Occurrences(m, "ab", "ORG", 0, skip=[2, 11])
    assert len(items) == 10 and [it[:3] for it in items][:3] == [(1, 0, 2), (2, 0, 2), (5, 1, 3)]
    assert items[-1][:3] == (6, 50, 52) and items.n_docs == 4 and items.first_docs(9) == [
        (1, 1), (2, 1), (5, 2), (6, 6)]


@pytest.mark.parametrize("again_all", [0, 10_000])
def test_the_recheck_merges_occurrences_as_a_full_check_finds_them(store, monkeypatch, again_all):
    from models import checker as module
    monkeypatch.setattr(module, "AGAIN_ALL", again_all)
    text = corpus(store, 400)
    checker = Checker(store).run()
    rnd = random.Random(15)
    words = ["Seoul", "Tokyo", "Apple", "Monday", "minister"]
    for _step in range(12):
        d = rnd.randrange(1, 401)
        w = rnd.choice(words)
        a = text.index(w)
        old = tuple(store.spans(d))
        new = () if rnd.random() < 0.3 else (Span(a, a + len(w), rnd.choice(["GPE", "ORG"])),)
        store.apply(ReplaceSpans(d, old, new))
        checker.update_docs([d])
        full = Checker(store).run()
        assert checker.findings() == full.findings()
        assert {s: (list(f.docs), list(f.counts), list(f.starts)) for s, f in checker.occ.items()} == {
            s: (list(f.docs), list(f.counts), list(f.starts)) for s, f in full.occ.items()}
