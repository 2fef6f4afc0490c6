"""The statistics (issue 13): every figure on small projects built by hand, the model against
the people equal to spaCy's own scorer, the refreshed tally equal to a fresh one."""
from __future__ import annotations

import random
import sqlite3

import pytest

from models import edits as E
from models.annotate import model_edit, rerun_edit
from models.queue import connect_reader
from models.spans import Span
from models.stats import boundary_kind
from models.stats_read import Speed, StatsState, classify, figures

from .helpers import query

TEXT = "Kim Jong Un met Moon Jae-in in Seoul on Friday, Pyongyang said."
M = "en_core_web_sm-3.8.0"


def figs(store):
    conn = connect_reader(store.path)
    try:
        return figures(conn)
    finally:
        conn.close()


def label_row(f, name):
    return next(r for r in f["labels"] if r["label"] == name)


def hand_built(store):
    """3 suggestions: 1 kept, 1 relabelled, 1 deleted; 2 spans added; done."""
    (d,), _ = store.add_documents([{"text": TEXT, "title": "Summit"}])
    store.apply(model_edit(store, d, [(0, 11, "PERSON"), (16, 27, "ORG"), (40, 46, "PERSON")], M))
    sp = store.spans(d)
    store.apply(E.relabel(d, sp[1], "PERSON"))
    store.apply(E.remove_span(d, store.spans(d)[2]))
    store.apply(E.add_span(d, Span(31, 36, "GPE"), store.spans(d)))
    store.apply(E.add_span(d, Span(48, 57, "GPE"), store.spans(d)))
    store.apply(E.finish(d, store.spans(d), "in progress", "done", "Mark done"))
    return d


def test_three_suggestions_one_kept_one_relabelled_one_deleted_two_added(store, project):
    d = hand_built(store)
    # every suggestion the model made stays recorded, whatever became of it
    assert query(project, "SELECT doc_id, start, end, label, source FROM suggested ORDER BY start") == [
        (d, 0, 11, "PERSON", M), (d, 16, 27, "ORG", M), (d, 40, 46, "PERSON", M)]
    f = figs(store)
    (m,) = f["models"]
    assert m["source"] == M and m["documents"] == 1
    assert (m["suggested"], m["final"], m["kept"]) == (3, 4, 1)
    assert m["precision"] == pytest.approx(1 / 3) and m["recall"] == pytest.approx(1 / 4)
    assert m["f1"] == pytest.approx(2 / 7)
    assert m["correction_rate"] == pytest.approx(2 / 3)
    assert m["fates"] == {"kept": 1, "relabelled": 1, "resized": 0, "resized and relabelled": 0, "deleted": 1}
    assert m["added"] == 2
    per = {r["label"]: r for r in m["per_label"]}
    assert (per["PERSON"]["suggested"], per["PERSON"]["final"], per["PERSON"]["kept"]) == (2, 2, 1)
    assert per["PERSON"]["precision"] == 0.5 and per["PERSON"]["recall"] == 0.5
    assert per["ORG"]["precision"] == 0.0 and per["ORG"]["recall"] is None and per["ORG"]["f1"] is None
    assert per["GPE"]["precision"] is None and per["GPE"]["recall"] == 0.0 and per["GPE"]["added"] == 2
    assert m["confusion"] == [{"model": "ORG", "person": "PERSON", "count": 1}]
    assert m["most_corrected"] == [{"text": "Friday", "label": "PERSON", "count": 1, "fates": {"deleted": 1}},
                                   {"text": "Moon Jae-in", "label": "ORG", "count": 1, "fates": {"relabelled": 1}}]
    assert m["boundary_errors"] == []
    assert f["status"] == {"new": 0, "in progress": 0, "done": 1, "skipped": 0} and f["documents"] == 1
    assert label_row(f, "PERSON") | {"color": None} == {
        "label": "PERSON", "color": None, "done": 2, "all": 2, "distinct": 2,
        "top": [["Kim Jong Un", 1], ["Moon Jae-in", 1]]}
    assert label_row(f, "GPE")["top"] == [["Pyongyang", 1], ["Seoul", 1]]
    assert label_row(f, "ORG")["all"] == 0


def test_only_done_documents_count_against_the_model_and_a_reopened_one_leaves(store):
    d = hand_built(store)
    (e,), _ = store.add_documents([{"text": "Samsung fell in Seoul.", "title": "Markets"}])
    store.apply(model_edit(store, e, [(0, 7, "ORG")], M))
    assert figs(store)["models"][0]["suggested"] == 3          # the new document is not done
    span = store.spans(d)[0]
    store.apply(E.reopen(E.remove_span(d, span), "done"))
    f = figs(store)
    assert f["models"] == [] and f["status"]["in progress"] == 1 and f["status"]["new"] == 1
    assert label_row(f, "PERSON")["done"] == 0 and label_row(f, "ORG")["all"] == 1


def test_resized_suggestions_name_what_the_bounds_got_wrong(store):
    text = "The United Nations met North Korea's envoy, Mr. Kim, in Geneva."
    (d,), _ = store.add_documents([{"text": text}])
    store.apply(model_edit(store, d, [(0, 18, "ORG"), (23, 36, "GPE"), (44, 51, "PERSON"), (56, 62, "GPE")], M))
    sp = store.spans(d)
    store.apply(E.resize(d, sp[0], 4, 18, store.spans(d)))
    store.apply(E.resize(d, store.spans(d)[1], 23, 34, store.spans(d)))
    store.apply(E.resize(d, store.spans(d)[2], 48, 51, store.spans(d)))
    store.apply(E.finish(d, store.spans(d), "in progress", "done", "Mark done"))
    (m,) = figs(store)["models"]
    assert m["fates"]["resized"] == 3 and m["fates"]["kept"] == 1
    assert {b["kind"]: b["count"] for b in m["boundary_errors"]} == {
        "determiner added at the start": 1, "possessive added at the end": 1, "title added at the start": 1}


def test_boundary_kinds():
    t = "the Kremlin's spokesman, Mr. Peskov"
    assert boundary_kind(t, (0, 11), (4, 11)) == ["determiner added at the start"]
    assert boundary_kind(t, (4, 11), (4, 13)) == ["possessive left out at the end"]
    assert boundary_kind(t, (25, 35), (29, 35)) == ["title added at the start"]
    assert boundary_kind(t, (4, 24), (4, 23)) == ["punctuation added at the end"]
    assert boundary_kind(t, (14, 23), (4, 23)) == ["other left out at the start"]


def test_undoing_a_pre_annotation_withdraws_its_suggestions_deleting_one_does_not(store, project):
    (d,), _ = store.add_documents([{"text": TEXT}])
    entry = store.apply(model_edit(store, d, [(0, 11, "PERSON")], M))
    assert query(project, "SELECT count(*) FROM suggested") == [(1,)]
    edit = store.journal_edit(entry)
    store.apply(edit.inverse(), mode="undo", entry=entry)
    assert query(project, "SELECT count(*) FROM suggested") == [(0,)]
    store.apply(edit, mode="redo", entry=entry)
    entry2 = store.apply(E.remove_span(d, store.spans(d)[0]))
    assert query(project, "SELECT count(*) FROM suggested") == [(1,)]
    store.apply(store.journal_edit(entry2).inverse(), mode="undo", entry=entry2)
    assert query(project, "SELECT label, source FROM suggested") == [("PERSON", M)]
    # a --force re-run by another model: both models' suggestions are kept
    store.apply(rerun_edit(store, d, [(0, 11, "ORG")], "trained-1"))
    assert query(project, "SELECT label, source FROM suggested ORDER BY source") == [
        ("PERSON", M), ("ORG", "trained-1")]
    # an import's suggestions are suggestions too
    (e,), _ = store.add_documents([{"text": "Samsung.", "spans": [Span(0, 7, "ORG", "other-model")]}])
    assert query(project, "SELECT doc_id, source FROM suggested WHERE doc_id = ?", [e]) == [(e, "other-model")]


# -- equal to spaCy's scorer -------------------------------------------------------------------------

WORDS = "Seoul Kim Samsung fell rose on Friday in the talks with Moon and Pyongyang said".split()
LABELS = ["PERSON", "ORG", "GPE", "DATE"]


def random_spans(rng, offsets, k):
    """Non-overlapping spans on whole tokens: (start, end, label)."""
    out, i = [], 0
    while i < len(offsets):
        if rng.random() < k:
            j = min(len(offsets), i + rng.choice([1, 1, 2, 3]))
            out.append((offsets[i][0], offsets[j - 1][1], rng.choice(LABELS)))
            i = j + 1
        else:
            i += 1
    return out


def test_precision_recall_f1_equal_spacys_scorer_per_model_and_label(store):
    spacy = pytest.importorskip("spacy")
    from spacy.scorer import Scorer
    from spacy.training import Example
    rng = random.Random(13)
    nlp = spacy.blank("en")
    examples = {"model-a": [], "model-b": []}
    for n in range(40):
        words = [rng.choice(WORDS) for _ in range(rng.randint(6, 25))]
        text = " ".join(words) + f" {n}."
        doc = nlp.make_doc(text)
        offsets = [(t.idx, t.idx + len(t)) for t in doc]
        (d,), _ = store.add_documents([{"text": text}])
        a = random_spans(rng, offsets, 0.3)
        final = random_spans(rng, offsets, 0.3) if rng.random() < 0.5 else \
            [(s, e, lab if rng.random() < 0.7 else rng.choice(LABELS)) for s, e, lab in a]
        store.apply(E.ReplaceSpans(d, (), tuple(Span(s, e, lab, "model-a") for s, e, lab in a)))
        preds = {"model-a": a}
        if n % 2:            # half the documents were pre-annotated again by a trained model
            b = [(s, e, lab) for s, e, lab in final if rng.random() < 0.8] or a
            edit = rerun_edit(store, d, b, "model-b")
            if edit:
                store.apply(edit)
            preds["model-b"] = b
        current = store.spans(d)
        store.apply(E.ReplaceSpans(d, tuple(current), tuple(Span(s, e, lab) for s, e, lab in final)))
        store.apply(E.finish(d, store.spans(d), "in progress", "done", "Mark done"))
        ref = nlp.make_doc(text)
        ref.ents = [ref.char_span(s, e, lab) for s, e, lab in final]
        for src, p in preds.items():
            pred = nlp.make_doc(text)
            pred.ents = [pred.char_span(s, e, lab) for s, e, lab in p]
            examples[src].append(Example(pred, ref))
    f = figs(store)
    assert [m["source"] for m in f["models"]] == ["model-a", "model-b"]
    for m in f["models"]:
        score = Scorer.score_spans(examples[m["source"]], "ents")
        assert m["documents"] == len(examples[m["source"]])
        assert m["precision"] == pytest.approx(score["ents_p"])
        assert m["recall"] == pytest.approx(score["ents_r"])
        assert m["f1"] == pytest.approx(score["ents_f"])
        for r in m["per_label"]:
            theirs = score["ents_per_type"].get(r["label"])
            if theirs is None:
                assert r["kept"] == 0
                continue
            for ours, key in (("precision", "p"), ("recall", "r"), ("f1", "f")):
                assert (r[ours] or 0.0) == pytest.approx(theirs[key]), (m["source"], r["label"], ours)


# -- refreshed after edits = read afresh ---------------------------------------------------------------

def test_the_refreshed_tally_equals_a_fresh_one_after_every_kind_of_edit(store):
    rng = random.Random(5)
    ids, _ = store.add_documents([{"text": " ".join(rng.choice(WORDS) for _ in range(30)) + f" {i}."}
                                  for i in range(8)])
    conn = connect_reader(store.path)
    state, speed = StatsState(conn), Speed(conn)
    state.build()
    speed.update()
    for step in range(120):
        d = rng.choice(ids)
        doc = store.document(d)
        spans = store.spans(d)
        status = store.document_status(d)
        words = [(i, i + len(w)) for i, w in _words(doc.text)]
        r = rng.random()
        if status in ("done", "skipped"):
            edit = E.SetStatus(d, status, "in progress", "Reopen")
        elif not spans or r < 0.2:
            s, e = rng.choice(words)
            edit = model_edit(store, d, [(s, e, rng.choice(LABELS))], rng.choice(["m1", "m2"]), doc.text)
        elif r < 0.4:
            edit = E.relabel(d, rng.choice(spans), rng.choice(LABELS))
        elif r < 0.55:
            edit = E.remove_span(d, rng.choice(spans))
        elif r < 0.7:
            s, e = rng.choice(words)
            edit = E.add_span(d, Span(s, e, rng.choice(LABELS)), spans)
        elif r < 0.8:
            sp = rng.choice(spans)
            edit = E.resize(d, sp, sp.start, sp.end - 1, spans) if sp.end - sp.start > 1 else E.confirm(d, sp)
        else:
            edit = E.finish(d, spans, status, "done", "Mark done")
        if edit is None:
            continue
        entry = store.apply(edit)
        touched = [d]
        if rng.random() < 0.15:           # undo it again, as Ctrl+Z does
            store.apply(store.journal_edit(entry).inverse(), mode="undo", entry=entry)
            speed.update()
            speed.undone(entry, True)
        state.refresh(touched)
        speed.update()
        if step % 10 == 9:
            fresh = StatsState(conn)
            fresh.build()
            fresh_speed = Speed(conn)
            fresh_speed.update()
            assert span_strings(store) == recount(store), step     # the store kept the table
            ours, theirs = state.figures(speed), fresh.figures(fresh_speed)
            assert speed.entries == fresh_speed.entries, step
            for key in theirs:
                assert ours[key] == theirs[key], (step, key)
    conn.close()


def span_strings(store) -> dict:
    return {(lab, t): n for lab, t, n in store.db.execute("SELECT label, text, n FROM span_strings")}


def recount(store) -> dict:
    from collections import Counter
    out = Counter()
    for doc, s, e, lab in store.db.execute("SELECT doc_id, start, end, label FROM spans").fetchall():
        out[lab, store.document(doc).text[s:e]] += 1
    return dict(out)


def _words(text):
    import re
    return [(m.start(), m.group()) for m in re.finditer(r"\w+", text)]


# -- progress and pace -------------------------------------------------------------------------------

def test_pace_from_the_journal_times_and_done_per_hour(store, monkeypatch):
    import models.store as S
    clock = {"t": "2026-12-01T09:00:00.000Z"}
    monkeypatch.setattr(S, "_now", lambda: clock["t"])
    ids, _ = store.add_documents([{"text": f"Kim met Moon in Seoul {i}."} for i in range(3)])

    def at(stamp, edit):
        clock["t"] = stamp
        store._stamp = None
        return store.apply(edit)
    # the model at 09:00 (not a person's work)
    for d in ids:
        at("2026-12-01T09:00:00.000Z", model_edit(store, d, [(0, 3, "PERSON")], M))
    at("2026-12-01T10:00:00.000Z", E.relabel(ids[0], store.spans(ids[0])[0], "ORG"))
    at("2026-12-01T10:01:00.000Z", E.add_span(ids[0], Span(8, 12, "PERSON"), store.spans(ids[0])))
    at("2026-12-01T10:02:00.000Z", E.finish(ids[0], store.spans(ids[0]), "in progress", "done", "Mark done"))
    at("2026-12-01T10:03:30.000Z", E.remove_span(ids[1], store.spans(ids[1])[0]))
    at("2026-12-01T10:04:00.000Z", E.finish(ids[1], [], store.document_status(ids[1]), "done", "Mark done"))
    # a break of an hour, then a skip
    at("2026-12-01T11:04:00.000Z", E.SetStatus(ids[2], "new", "skipped", "Skip"))
    at("2026-12-02T08:00:00.000Z", E.SetStatus(ids[2], "skipped", "new", "Reopen"))
    at("2026-12-02T08:01:00.000Z", E.finish(ids[2], store.spans(ids[2]), "new", "done", "Mark done"))
    p = figs(store)["progress"]
    # active: 10:00 → 10:04 (4 min) and 08:00 → 08:01 (1 min); the hour's break is not work
    assert p["active_hours"] == pytest.approx(5 / 60, abs=1e-3)
    assert (p["done_events"], p["corrections"], p["skipped_events"]) == (3, 3, 1)
    assert p["documents_per_hour"] == pytest.approx(3 / (5 / 60), rel=1e-3)
    assert p["corrections_per_hour"] == pytest.approx(3 / (5 / 60), rel=1e-3)
    assert p["unit"] == "day" and sum(n for _, n in p["done_per"]) == 3 and len(p["done_per"]) == 2
    assert p["done_at_import"] == 0


def test_documents_imported_done_are_counted_apart(store):
    store.add_documents([{"text": "Kim.", "status": "done", "spans": [Span(0, 3, "PERSON")]}])
    p = figs(store)["progress"]
    assert p["done_per"] == [] and p["done_at_import"] == 1
    assert p["documents_per_hour"] is None        # no work timed yet


def test_journal_entries_are_told_apart():
    assert classify('{"type": "spans", "doc_id": 1, "text": "Model pre-annotation (3 spans)"', None) is None
    assert classify('{"type": "spans", "doc_id": 1, "text": "Label every occurrence"', None) == "correction"
    body = '{"type": "batch", "doc_id": 1, "text": "Mark done", "edits": [{"type": "status", "doc_id": 1, "old": "new", "new": "done", "text": "x"}]}'
    assert classify(body[:200], body) == "done"
    undo_of_model = '{"type": "spans", "doc_id": 1, "text": "x", "remove": [], "add": [{"start": 0, "end": 1, "label": "X", "source": "m"}]}'
    assert classify(undo_of_model, undo_of_model) is None
    labels = '{"type": "labels", "doc_id": null, "text": "Add label X", "add": [], "remove": []}'
    assert classify(labels, labels) == "other"


def test_damaged_rows_are_left_out_not_a_crash(store, project):
    d = hand_built(store)
    con = sqlite3.connect(project)
    with con:
        con.execute("INSERT INTO suggested VALUES (?, 'x', 3, 'ORG', 'evil', NULL)", [d])
        con.execute("INSERT INTO suggested VALUES (?, 52, 50, 'ORG', 'evil', NULL)", [d])
        con.execute("INSERT INTO suggested VALUES (?, 50, 52, 'ORG', x'00', NULL)", [d])
    con.close()
    assert [m["source"] for m in figs(store)["models"]] == [M]


def test_the_document_list_s_span_filters_find_what_the_figures_count(store):
    """A click on a figure lists the documents it counts: every fate, relabelling and string."""
    from models.queue import QueueQuery
    from models.span_filter import FATE_SQL, SpanFilter
    rng = random.Random(11)
    nlp_words = WORDS
    for n in range(30):
        words = [rng.choice(nlp_words) for _ in range(12)]
        text = " ".join(words) + f" {n}."
        offsets, pos = [], 0
        for w_ in words:
            offsets.append((pos, pos + len(w_)))
            pos += len(w_) + 1
        (d,), _ = store.add_documents([{"text": text}])
        sugg = random_spans(rng, offsets, 0.4)
        store.apply(E.ReplaceSpans(d, (), tuple(Span(s, e, lab, M) for s, e, lab in sugg)))
        final = []
        for s, e, lab in sugg:
            r = rng.random()
            if r < 0.4:
                final.append((s, e, lab))
            elif r < 0.6:
                final.append((s, e, rng.choice([x for x in LABELS if x != lab])))
            elif r < 0.75 and e - s > 1:
                final.append((s, e - 1, lab if rng.random() < 0.5 else rng.choice(LABELS)))
        store.apply(E.ReplaceSpans(d, tuple(store.spans(d)), tuple(Span(s, e, lab) for s, e, lab in final)))
        store.apply(E.finish(d, store.spans(d), store.document_status(d), "done", "Mark done"))
    listed = lambda f: set(store.list_ids(QueueQuery(spans=f)))          # noqa: E731
    conn = connect_reader(store.path)
    state = StatsState(conn)
    state.build()
    per_doc = {}
    for d in state._meta:                          # each document's own figures, as the tally counts
        one = StatsState(conn)
        one.build()
        one.tally = type(one.tally)()
        one.tally.add(one._share(d, one._text(d)))
        per_doc[d] = one.figures()["models"]
    conn.close()
    checked = 0
    for lab in LABELS:
        for fate in FATE_SQL:
            want = set()
            for d, models_ in per_doc.items():
                for m in models_:
                    r = next((x for x in m["per_label"] if x["label"] == lab), None)
                    if r is None:
                        continue
                    n = r["suggested"] - r["kept"] if fate == "corrected" else r["fates"][fate]
                    if n:
                        want.add(d)
            assert listed(SpanFilter(label=lab, source=M, fate=fate)) == want, (lab, fate)
            checked += len(want)
    assert checked > 50
    f = figs(store)
    for c in f["models"][0]["confusion"]:
        got = listed(SpanFilter(label=c["model"], source=M, person=c["person"]))
        assert got and all(any(x["model"] == c["model"] and x["person"] == c["person"]
                               for m in per_doc[d] for x in m["confusion"]) for d in got)
    for r in f["labels"]:
        for text, n in r["top"]:
            got = listed(SpanFilter(label=r["label"], text=text))
            assert 1 <= len(got) <= n


def test_the_span_a_listed_document_opens_on():
    from models.span_filter import SpanFilter
    text = "Moon met Kim in Seoul; Kim left."
    spans = [Span(0, 4, "PERSON"), Span(9, 12, "ORG"), Span(16, 21, "GPE"), Span(23, 26, "PERSON")]
    assert SpanFilter(label="GPE").first(spans, text) == spans[2]
    assert SpanFilter(label="PERSON", text="Kim").first(spans, text) == spans[3]
    assert SpanFilter(label="ORG", source=M, person="PERSON").first(spans, text) == spans[0]
    # a corrected suggestion "Kim" as ORG: the span now on that text, whatever its label
    assert SpanFilter(label="GPE", text="Kim", source=M, fate="corrected").first(spans, text) == spans[1]
    assert SpanFilter(label="LOC").first(spans, text) is None
