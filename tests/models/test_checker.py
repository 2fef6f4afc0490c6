"""The consistency checker (issue 11) on a small corpus of real sentences: each kind found,
nothing found when consistent, the ranking, each fix applied (rows in the SQLite file), one
undo restoring it, dismissals kept across a reopen, and the re-check after an edit equal to a
full check."""
from __future__ import annotations

import pytest

from models import edits as E
from models.check_fix import NeedsChoice, fix
from models.check_text import Matcher, core, initials_match, name_forms
from models.checker import Cancelled, Checker, check
from models.edits import Dismiss, ReplaceSpans
from models.history import History
from models.spans import Span
from models.store import StaleEdit, Store

from .helpers import query

TEXTS = [
    "North Korea’s leader Kim Jong Un met Moon Jae-in in Seoul.",
    "North Korea said Kim Jong-un would visit Seoul with Apple.",
    "Apple and the Lee Kuan Yew School studied North Korea.",
    "Lee Kuan Yew School scholars met Moon Jae-in in Seoul.",
    "Seoul and Apple shares fell; Samsung rose and the Koreas talked.",
    "Seoul National University opened a lab.",
    "Samsung said it would hire.",
]
LABELLED = [
    [("North Korea’s", "GPE"), ("Kim Jong Un", "PERSON"), ("Moon Jae-in", "PERSON"), ("Seoul", "GPE")],
    [("North Korea", "GPE"), ("Kim Jong-un", "PERSON"), ("Seoul", "GPE"), ("Apple", "ORG")],
    [("Apple", "PERSON", "en_core_web_sm"), ("the Lee Kuan Yew School", "ORG"), ("North Korea", "GPE")],
    [("Lee Kuan Yew School", "ORG"), ("Moon Jae-in", "PERSON")],
    [],
    [("Seoul National University", "ORG")],
    [],
]


def at(i: int, s: str, label: str, source: str = "manual", entity: int = 0) -> Span:
    a = TEXTS[i].index(s)
    return Span(a, a + len(s), label, source, entity)


@pytest.fixture
def ids(store):
    ids, _ = store.add_documents([{"text": t, "title": f"T{i}"} for i, t in enumerate(TEXTS)])
    for i, spans in enumerate(LABELLED):
        if spans:
            store.apply(ReplaceSpans(ids[i], (), tuple(at(i, *x) for x in spans)))
    return ids


def summary(findings):
    return [(f.kind, f.key, f.n_spans, f.target) for f in findings]


def spans_rows(path):
    return query(path, "SELECT doc_id, start, end, label, source, ifnull(entity, 0) FROM spans "
                 "ORDER BY doc_id, start")


EXPECTED = [
    ("bounds", '["GPE", "North Korea"]', 3, "North Korea"),
    ("labels", "Apple", 2, "ORG"),
    ("missed", "Seoul", 2, "GPE"),
    ("bounds", '["ORG", "Lee Kuan Yew School"]', 2, "Lee Kuan Yew School"),
    ("variants", '["PERSON", "Kim Jong Un", "Kim Jong-un"]', 2, ""),
    ("missed", "Apple", 1, "ORG"),
]


def test_each_kind_is_found_and_ranked_by_the_spans_it_touches(store, ids):
    found = check(store)
    assert summary(found) == EXPECTED
    by = {(f.kind, f.key): f for f in found}
    seoul = by[("missed", "Seoul")]
    assert [(it.doc_id, it.start, it.end, it.label) for it in seoul.items] == [
        (ids[3], 48, 53, "GPE"), (ids[4], 0, 5, "GPE")]
    assert seoul.per_doc() == [(ids[3], 1), (ids[4], 1)]
    assert "stands unlabelled 2 times in 2 documents" in seoul.description
    assert TEXTS[3][48:53] == "Seoul"
    apple = by[("labels", "Apple")]
    assert [(it.doc_id, it.label, it.source) for it in apple.items] == [
        (ids[1], "ORG", "manual"), (ids[2], "PERSON", "en_core_web_sm")]
    assert apple.choices == ("ORG", "PERSON")       # a tie of 1 to 1: the person's label wins
    kim = by[("variants", '["PERSON", "Kim Jong Un", "Kim Jong-un"]')]
    assert [it.text for it in kim.items] == ["Kim Jong Un", "Kim Jong-un"]
    assert "one new entity “Kim Jong Un”" in kim.description
    assert [f.line() for f in found][0] == ("bounds: 3 spans: GPE “North Korea” has 2 bounds: "
                                            "“North Korea” ×2, “North Korea’s” ×1 → unify to “North Korea”")


def test_a_consistent_project_has_no_findings(store):
    texts = ["Seoul hosted the talks.", "Officials in Seoul met Kim Jong Un.", "Kim Jong Un left."]
    ids, _ = store.add_documents([{"text": t} for t in texts])
    for d, t in zip(ids, texts):
        spans = [Span(t.index(s), t.index(s) + len(s), lab) for s, lab in
                 (("Seoul", "GPE"), ("Kim Jong Un", "PERSON")) if s in t]
        store.apply(ReplaceSpans(d, (), tuple(spans)))
    assert check(store) == []
    # "one" a CARDINAL in one place is no missed string where it stands as a word
    more, _ = store.add_documents([{"text": "He is one of one hundred."}, {"text": "No one came."}])
    store.apply(ReplaceSpans(more[0], (), (Span(6, 9, "CARDINAL"),)))
    assert check(store) == []
    # "Korea" labelled: not found inside "Koreas" nor "Korean" (token boundaries)
    more, _ = store.add_documents([{"text": "Korea and the Koreas; a Korean firm."}])
    store.apply(ReplaceSpans(more[0], (), (Span(0, 5, "GPE"),)))
    assert check(store) == []


def test_token_boundaries_case_and_the_longest_string_first():
    m = Matcher(["North Korea", "Korea", "Kim"])
    text = "North Korean Kim met Korea’s envoy in China-North Korea; korea. Kimchi, Koreas"
    assert list(m.find(text)) == [(13, 16, "Kim"), (21, 26, "Korea"), (44, 55, "North Korea")]
    assert list(m.find(text, [(44, 49)])) == [(13, 16, "Kim"), (21, 26, "Korea"), (50, 55, "Korea")]


def test_cores_and_name_forms():
    assert core("North Korea’s") == ("North Korea", 0)
    assert core("the Lee Kuan Yew School") == ("Lee Kuan Yew School", 4)
    assert core("President Moon Jae-in") == ("Moon Jae-in", 10)
    assert core("Mr. Kim’s") == ("Kim", 4)
    assert core("U.S.") == ("U.S.", 0) and core("(Reuters)") == ("Reuters", 1)
    assert name_forms("Kim Jong-un")[:2] == name_forms("Kim Jong Un")[:2] == ("kim jong un", "kimjongun")
    assert name_forms("Kim Jongun")[1] == "kimjongun"
    assert name_forms("Jong Un Kim")[2] == "kimjongun"          # family name last
    assert name_forms("김정은")[0] == "gim jeong eun"              # transliterated by syllable
    assert name_forms("Jōng-ün")[0] == "jong un"
    assert initials_match(["j", "smith"], ["john", "smith"])
    assert not initials_match(["kim", "jong", "il"], ["kim", "jong", "un"])


def test_variants_are_scored_not_guessed(store):
    texts = ["Kim Jong Un spoke.", "Jong Un Kim spoke.", "Kim Jongun spoke.", "Kim Jong Il spoke.",
             "J. Smith wrote.", "John Smith wrote.", "José Ramos-Horta won.", "Jose Ramos Horta won.",
             "March 2019 came.", "March 2018 came."]
    ids, _ = store.add_documents([{"text": t} for t in texts])
    for d, t in zip(ids, texts):
        name = t.rsplit(" ", 1)[0]
        store.apply(ReplaceSpans(d, (), (Span(0, len(name), "DATE" if "March" in name else "PERSON"),)))
    found = [f for f in check(store) if f.kind == "variants"]
    assert [f.key for f in found] == [
        '["PERSON", "Jong Un Kim", "Kim Jong Un", "Kim Jongun"]',
        '["PERSON", "J. Smith", "John Smith"]',
        '["PERSON", "Jose Ramos Horta", "José Ramos-Horta"]']


def commit_undo(store, origin, edit):
    h = History(store)
    h.load(origin)
    before = spans_rows(store.path), query(store.path, "SELECT id, name FROM entities")
    out = h.do(edit)
    after = spans_rows(store.path), query(store.path, "SELECT id, name FROM entities")
    h.undo()
    assert (spans_rows(store.path), query(store.path, "SELECT id, name FROM entities")) == before
    h.redo()
    assert (spans_rows(store.path), query(store.path, "SELECT id, name FROM entities")) == after
    return out, before[0], after


def finding(store, kind, key):
    return next(f for f in check(store) if (f.kind, f.key) == (kind, key))


def test_the_labels_fix_applies_the_majority_label_in_one_undo_step(store, ids):
    out, before, (rows, _) = commit_undo(store, ids[0], fix(finding(store, "labels", "Apple"), store, ids[0]))
    a = TEXTS[2].index("Apple")
    assert (ids[2], a, a + 5, "PERSON", "en_core_web_sm", 0) in before
    assert sorted(set(rows) - set(before)) == [(ids[2], a, a + 5, "ORG", "manual", 0)]
    assert out.entry and query(store.path, "SELECT doc_id FROM journal WHERE id = ?", [out.entry]) == [(ids[0],)]
    assert ("labels", "Apple") not in {(f.kind, f.key) for f in check(store)}


def test_a_tie_of_labels_asks_for_a_choice(store):
    texts = ["Jordan scored.", "Jordan wept."]
    ids, _ = store.add_documents([{"text": t} for t in texts])
    store.apply(ReplaceSpans(ids[0], (), (Span(0, 6, "PERSON"),)))
    store.apply(ReplaceSpans(ids[1], (), (Span(0, 6, "GPE"),)))
    f = next(f for f in check(store) if f.kind == "labels")
    assert f.needs_choice and f.choices == ("GPE", "PERSON") and "a tie: choose the label" in f.description
    with pytest.raises(NeedsChoice):
        fix(f, store)
    store.commit(fix(f, store, ids[0], "PERSON"))
    assert spans_rows(store.path) == [(ids[0], 0, 6, "PERSON", "manual", 0), (ids[1], 0, 6, "PERSON", "manual", 0)]


def test_the_missed_fix_labels_only_where_nothing_stands(store, ids):
    f = finding(store, "missed", "Seoul")
    _out, before, (rows, _) = commit_undo(store, ids[0], fix(f, store, ids[0]))
    assert sorted(set(rows) - set(before)) == [(ids[3], 48, 53, "GPE", "manual", 0),
                                               (ids[4], 0, 5, "GPE", "manual", 0)]
    assert set(before) - set(rows) == set()         # nothing removed: Seoul National University kept
    assert (ids[5], 0, 25, "ORG", "manual", 0) in rows


def test_the_missed_fix_carries_the_entity_of_the_string(store, ids):
    ent = E.ChangeEntities(ids[0], (), (E.Entity(1, "Seoul", "Q8684"),))
    store.commit(E.Batch(ids[0], (ent, E.link(ids[0], at(0, "Seoul", "GPE"), 1),
                                  E.link(ids[1], at(1, "Seoul", "GPE"), 1))))
    store.commit(fix(finding(store, "missed", "Seoul"), store, ids[0]))
    assert query(store.path, "SELECT doc_id, start, entity FROM spans WHERE doc_id = ? AND label = 'GPE'",
                 [ids[3]]) == [(ids[3], 48, 1)]
    assert query(store.path, "SELECT doc_id, start, entity FROM spans WHERE start = 0 AND end = 5 "
                 "AND doc_id = ?", [ids[4]]) == [(ids[4], 0, 1)]


def test_the_bounds_fix_unifies_to_the_majority_and_stripped_form(store, ids):
    _out, before, (rows, _) = commit_undo(store, ids[0], fix(finding(store, "bounds", '["GPE", "North Korea"]'),
                                                             store, ids[0]))
    assert set(before) - set(rows) == {(ids[0], 0, 13, "GPE", "manual", 0)}
    assert set(rows) - set(before) == {(ids[0], 0, 11, "GPE", "manual", 0)}
    f = finding(store, "bounds", '["ORG", "Lee Kuan Yew School"]')
    store.commit(fix(f, store, ids[0]))
    a = TEXTS[2].index("Lee")
    assert query(store.path, "SELECT start, end, label FROM spans WHERE doc_id = ? AND label = 'ORG'",
                 [ids[2]]) == [(a, a + 19, "ORG")]


def test_the_variants_fix_makes_one_entity_or_links_to_the_one_there(store, ids):
    key = '["PERSON", "Kim Jong Un", "Kim Jong-un"]'
    _out, before, (rows, ents) = commit_undo(store, ids[0], fix(finding(store, "variants", key), store, ids[0]))
    assert ents == [(1, "Kim Jong Un")]
    assert sorted(set(rows) - set(before)) == [(ids[0], 21, 32, "PERSON", "manual", 1),
                                               (ids[1], 17, 28, "PERSON", "manual", 1)]
    assert "variants" not in {f.kind for f in check(store)}
    # linked to one entity already: the others join it, no entity is made
    store.commit(E.Batch(ids[0], (E.link(ids[1], at(1, "Kim Jong-un", "PERSON", entity=1), 0),)))
    f = finding(store, "variants", key)
    assert f.target == "1" and "link them to the entity “Kim Jong Un”" in f.description
    store.commit(fix(f, store, ids[0]))
    assert query(store.path, "SELECT count(*) FROM entities") == [(1,)]
    assert query(store.path, "SELECT entity FROM spans WHERE label = 'PERSON' AND doc_id IN (?, ?) "
                 "AND start IN (17, 21)", [ids[0], ids[1]]) == [(1,), (1,)]


def test_dismissals_are_left_out_kept_across_reopen_and_shown_on_request(store, ids, project):
    store.commit(Dismiss(ids[0], "labels", "Apple"))
    store.commit(Dismiss(ids[0], "missed", "Seoul"))
    assert summary(check(store)) == [x for x in EXPECTED if x[:2] not in {("labels", "Apple"), ("missed", "Seoul")}]
    store.close()
    again = Store(project)
    try:
        assert query(project, "SELECT kind, key FROM dismissed ORDER BY kind") == [("labels", "Apple"), ("missed", "Seoul")]
        shown = check(again, show_dismissed=True)
        assert summary(shown) == EXPECTED
        assert [f.dismissed for f in shown] == [False, True, True, False, False, False]
    finally:
        again.close()
    store.__init__(project)         # the fixture closes it


def test_the_recheck_after_each_edit_equals_a_full_check(store, ids):
    checker = Checker(store).run()
    h = History(store)
    h.load(ids[0])

    def step(edit):
        out = h.do(edit)
        checker.update(out)
        assert checker.findings() == Checker(store).run().findings()
    step(fix(finding(store, "labels", "Apple"), store, ids[0]))
    step(ReplaceSpans(ids[6], (), (at(6, "Samsung", "ORG"),)))              # a new string: missed in doc 4
    assert ("missed", "Samsung") in {(f.kind, f.key) for f in checker.findings()}
    step(fix(finding(store, "variants", '["PERSON", "Kim Jong Un", "Kim Jong-un"]'), store, ids[0]))
    step(fix(finding(store, "bounds", '["GPE", "North Korea"]'), store, ids[0]))
    step(ReplaceSpans(ids[6], (at(6, "Samsung", "ORG"),), ()))              # the string gone again
    step(E.relabel(ids[3], at(3, "Moon Jae-in", "PERSON"), "ORG"))
    step(fix(finding(store, "missed", "Seoul"), store, ids[0]))
    out = h.undo()
    checker.update(out)
    assert checker.findings() == Checker(store).run().findings()
    # many new strings at once: every text searched again
    names = [f"Name{c}" for c in "ABCDEFGHIJKLMNOPQRSTUVWXY"]
    new, _ = store.add_documents([{"text": " and ".join(names) + "."}, {"text": f"{names[3]} met {names[20]}."}])
    checker.update_docs(new)
    text = " and ".join(names) + "."
    step(ReplaceSpans(new[0], (), tuple(Span(text.index(n), text.index(n) + len(n), "ORG") for n in names)))
    assert [(it.doc_id, it.start) for f in checker.findings() if f.kind == "missed" and f.key in names
            for it in f.items] == [(new[1], 0), (new[1], 10)]


def test_progress_reaches_the_end_and_cancel_stops(store, ids):
    seen = []
    Checker(store).run(progress=lambda d, t: seen.append((d, t)))
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1] == 2 * len(TEXTS) + 1
    with pytest.raises(Cancelled):
        Checker(store).run(cancelled=lambda: True)


def test_texts_past_the_memory_budget_are_read_again_with_the_same_result(store, ids, monkeypatch):
    from models import checker as module
    whole = summary(check(store))
    monkeypatch.setattr(module, "TEXT_BUDGET", len(TEXTS[0]) + len(TEXTS[1]))
    reads = []
    real = store.check_rows
    monkeypatch.setattr(store, "check_rows", lambda *a, **k: reads.append(k.get("after")) or real(*a, **k))
    assert summary(check(store)) == whole == EXPECTED
    assert reads == [None, ids[1]]          # the first pass whole, the search from the third text


def test_variant_groups_form_around_a_centre_never_chained():
    from models.check_kinds import _groups
    weights = {"Kim Jong Un": 5, "Kim Jong Ung": 1, "Kim Jong Ungil": 2, "Moon Jae-in": 1, "Moon Jaein": 1}
    pairs = {("Kim Jong Un", "Kim Jong Ung"), ("Kim Jong Ung", "Kim Jong Ungil"), ("Moon Jae-in", "Moon Jaein")}
    assert _groups(pairs, weights.__getitem__) == [["Kim Jong Un", "Kim Jong Ung"], ["Moon Jae-in", "Moon Jaein"]]


def test_the_recheck_follows_random_edits_exactly(store, ids):
    """40 seeded edits (label a word or a name, delete, relabel, link, undo): after each, the
    re-checked findings equal a full check's."""
    import random
    import re
    rnd = random.Random(5)
    checker = Checker(store).run()
    h = History(store)
    h.load(ids[0])
    words = {d: [(m.start(), m.end()) for m in re.finditer(r"[A-Z][\w’'-]*(?: [A-Z][\w-]*)*|\w+", t)]
             for d, t in zip(ids, TEXTS)}
    for step in range(40):
        d = rnd.choice(ids)
        spans = store.spans(d)
        r = rnd.random()
        if r < 0.1 and h.can_undo():
            try:
                out = h.undo()
            except StaleEdit:           # a later edit elsewhere changed what it undoes: refused
                h.load(ids[0])
                continue
        elif r < 0.5 or not spans:
            a, b = rnd.choice(words[d])
            clash = tuple(s for s in spans if s.overlaps(a, b))
            out = h.do(ReplaceSpans(d, clash, (Span(a, b, rnd.choice(["ORG", "GPE", "PERSON"])),)))
        elif r < 0.65:
            out = h.do(ReplaceSpans(d, (rnd.choice(spans),), ()))
        elif r < 0.8:
            out = h.do(E.relabel(d, rnd.choice(spans), rnd.choice(["ORG", "GPE", "PERSON"])))
        else:
            found = [f for f in checker.findings() if not f.needs_choice]
            if not found:
                continue
            edit = fix(rnd.choice(found), store, ids[0])
            if edit is None:
                continue
            out = h.do(edit)
        checker.update(out)
        assert checker.findings() == Checker(store).run().findings(), f"step {step}"


def test_forms_that_differ_only_in_case_have_the_same_bounds(store):
    """'The Bank of Korea' at a sentence start and 'the Bank of Korea' inside one are one form:
    no bounds finding; beside 'Bank of Korea' they are one form of two spans, and the fix
    widens 'Bank of Korea' over the 'the' as the text spells it."""
    texts = ["The Bank of Korea met.", "Later the Bank of Korea spoke.", "Officials of THE Bank of Korea left."]
    ids_, _ = store.add_documents([{"text": t} for t in texts])

    def span(i, s):
        a = texts[i].index(s)
        return Span(a, a + len(s), "ORG")
    store.apply(ReplaceSpans(ids_[0], (), (span(0, "The Bank of Korea"),)))
    store.apply(ReplaceSpans(ids_[1], (), (span(1, "the Bank of Korea"),)))
    assert not [f for f in Checker(store).run().findings() if f.kind == "bounds"]
    store.apply(ReplaceSpans(ids_[2], (), (span(2, "Bank of Korea"),)))
    f = finding(store, "bounds", '["ORG", "Bank of Korea"]')
    assert f.description == ('ORG “Bank of Korea” has 2 bounds: “The Bank of Korea” ×2, '
                             '“Bank of Korea” ×1 → unify to “The Bank of Korea”')
    edit = fix(f, store, ids_[0])
    a = texts[2].index("THE")
    assert [(e.doc_id, e.remove, e.add) for e in edit.edits if e.remove or e.add] == [
        (ids_[2], (span(2, "Bank of Korea"),), (Span(a, a + len("THE Bank of Korea"), "ORG"),))]
    store.commit(edit)
    assert not [f for f in Checker(store).run().findings() if f.kind == "bounds"]
