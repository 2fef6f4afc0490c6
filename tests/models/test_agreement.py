"""Inter-annotator agreement (``models/agreement.py``, ``article-annotator agree``): hand-computed
figures, kappa and alpha against sklearn, nltk and krippendorff, which documents count, the
disagreement groups adjudication uses, and untrusted project files."""
from __future__ import annotations

import argparse
import json
import random
import sqlite3
from itertools import combinations

import pytest

from models import agree_cli, cli
from models.agreement import (OUTSIDE, AgreementError, Unit, agreed, agreement, disagreements,
                              from_projects, kappa, text, tokens)
from models.spans import Span
from models.store import Store

S = Span
DOC1 = "Alice Smith met Bob in Paris."       # tokens at 0 6 12 16 20 23 28
DOC2 = "Google hired Carol on Monday."       # tokens at 0 7 13 19 22 28


def make(path, docs, annotator=None):
    """A project file of ``docs``: (text, title, status, [(start, end, label)])."""
    store = Store(path)
    try:
        store.add_documents([{"text": t, "title": title, "status": status,
                              "spans": [S(*s) for s in spans]}
                             for t, title, status, spans in docs])
        if annotator is not None:
            store.set_setting("annotator", annotator)
    finally:
        store.close()
    return path


def run_agree(argv: list[str]) -> int:
    """``article-annotator agree ...`` through models.cli once it is registered there; until
    then through a parser made the way cli.py makes the plugins' (add_parser, then run)."""
    if "agree" in cli.PLUGINS:
        return cli.main(["agree", *argv])
    parser = argparse.ArgumentParser(prog="article-annotator")
    agree_cli.add_parser(parser.add_subparsers(dest="command", required=True))
    return agree_cli.run(parser.parse_args(["agree", *argv]))


@pytest.fixture
def two(tmp_path):
    """alice's and bob's files of DOC1 and DOC2, both done."""
    a = make(tmp_path / "a.annotator", [
        (DOC1, "one", "done", [(0, 11, "PERSON"), (16, 19, "PERSON"), (23, 28, "GPE")]),
        (DOC2, "two", "done", [(0, 6, "ORG"), (22, 28, "DATE")])], "alice")
    b = make(tmp_path / "b.annotator", [
        (DOC2, "two", "done", [(0, 6, "ORG"), (13, 18, "PERSON")]),
        (DOC1, "one", "done", [(0, 5, "PERSON"), (16, 19, "ORG"), (23, 28, "GPE")])], "bob")
    return a, b


def test_a_small_case_computed_by_hand(two):
    names, units = from_projects(two)
    assert names == ["alice", "bob"] and len(units) == 2
    r = agreement(names, units)
    assert r["documents"] == 2 and r["annotators"] == ["alice", "bob"]
    (p,) = r["pairs"]
    assert (p["a"], p["b"]) == ("alice", "bob")
    # Exact: GPE 23-28 (doc 1) and ORG 0-6 (doc 2) match: tp 2 of 5 and 5 spans.
    # F1 = 2·2 / (5 + 5) = 0.4; precision = 2/5 (bob's), recall = 2/5 (alice's).
    assert p["exact"] == {"f1": 0.4, "precision": 0.4, "recall": 0.4, "tp": 2,
                          "a_spans": 5, "b_spans": 5}
    # Overlap adds PERSON 0-11 ~ PERSON 0-5: tp 3, F1 = 6/10; Bob (PERSON ~ ORG) never matches.
    assert p["overlap"]["tp"] == 3 and p["overlap"]["f1"] == pytest.approx(0.6)
    assert p["per_label"] == {
        "PERSON": {"exact_f1": 0.0, "overlap_f1": 0.5, "a_spans": 2, "b_spans": 2},  # 2·1/4
        "ORG": {"exact_f1": pytest.approx(2 / 3), "overlap_f1": pytest.approx(2 / 3),
                "a_spans": 1, "b_spans": 2},                                        # 2·1/3
        "GPE": {"exact_f1": 1.0, "overlap_f1": 1.0, "a_spans": 1, "b_spans": 1},
        "DATE": {"exact_f1": 0.0, "overlap_f1": 0.0, "a_spans": 1, "b_spans": 0}}
    # Tokens (13):  doc 1  alice PERSON PERSON O PERSON O GPE O
    #                      bob   PERSON O      O ORG    O GPE O    -> 5 agree
    #               doc 2  alice ORG O O      O DATE O
    #                      bob   ORG O PERSON O O    O             -> 4 agree
    # p_o = 9/13. Marginals alice: O 7, PERSON 3, GPE 1, ORG 1, DATE 1; bob: O 8, PERSON 2,
    # ORG 2, GPE 1. p_e = (7·8 + 3·2 + 1·1 + 1·2 + 1·0) / 13² = 65/169.
    # kappa = (9/13 - 65/169) / (1 - 65/169) = (117 - 65) / (169 - 65) = 52/104 = 0.5
    assert p["kappa"] == pytest.approx(0.5)
    assert r["labels"]["PERSON"] == {"exact_f1": 0.0, "overlap_f1": 0.5, "pairs": 1,
                                     "spans": {"alice": 2, "bob": 2}}
    # Doc 1: exact F1 = 2·1/6 = 1/3, disagreements: 0-11 (bounds), 16-19 (label).
    # Doc 2: exact F1 = 2·1/4 = 1/2, disagreements: 13-18 and 22-28 (missing).
    assert [(x["title"], x["disagreements"]) for x in r["ranked"]] == [("one", 2), ("two", 2)]
    assert r["ranked"][0]["exact_f1"] == pytest.approx(1 / 3)
    assert json.loads(json.dumps(r, allow_nan=False)) == r


def test_nothing_marked_is_full_agreement_and_alpha_undefined(tmp_path):
    a = make(tmp_path / "a.annotator", [(DOC1, "one", "done", [])])
    b = make(tmp_path / "b.annotator", [(DOC1, "one", "done", [])])
    names, units = from_projects([a, b])
    assert names == ["a", "b"]                  # no annotator setting: the file's stem
    r = agreement(names, units)
    (p,) = r["pairs"]
    assert p["exact"]["f1"] == p["exact"]["precision"] == p["overlap"]["recall"] == 1.0
    assert p["kappa"] == 1.0                    # p_e = 1 (every token O on both sides)
    assert r["alpha"] is None                   # one value only: alpha is undefined
    assert r["ranked"][0]["exact_f1"] == 1.0 and r["ranked"][0]["disagreements"] == 0
    assert kappa([], []) is None and kappa(["X"] * 3, ["X"] * 3) == 1.0
    assert kappa(["A", "B"], ["B", "A"]) == -1.0


# -- against sklearn, nltk and krippendorff ----------------------------------------------------

WORDS = "the minister of Korea met Kim Jong Un in Seoul on Tuesday , said Reuters".split()
LABELS = ["PERSON", "ORG", "GPE", "DATE"]


def _random_versions(rng: random.Random, text: str, names: list[str]) -> dict:
    """Each annotator's spans over whole words: a shared 'truth', followed 70% of the time."""
    bounds, pos = [], 0
    for w in text.split(" "):
        bounds.append((pos, pos + len(w)))
        pos += len(w) + 1

    def pick(r):
        out, i = [], 0
        while i < len(bounds):
            if r.random() < 0.3:
                j = min(i + r.randint(0, 2), len(bounds) - 1)
                out.append(S(bounds[i][0], bounds[j][1], r.choice(LABELS)))
                i = j + 1
            i += 1
        return out
    truth = pick(rng)
    return {n: tuple(truth) if rng.random() < 0.7 else tuple(pick(rng)) for n in names}


def _labels_by_hand(tokenizer, text: str, spans) -> list[str]:
    """The token labels, found again here: a token's label is that of the span holding its
    first character (whitespace tokens left out)."""
    out = []
    for t in tokenizer(text):
        if not t.text.isspace():
            out.append(next((s.label for s in spans if s.start <= t.idx < s.end), OUTSIDE))
    return out


def test_kappa_and_alpha_are_sklearn_nltk_and_krippendorff(tmp_path):
    import krippendorff
    import spacy
    from nltk.metrics.agreement import AnnotationTask
    from sklearn.metrics import cohen_kappa_score
    rng = random.Random(14)
    names = ["alice", "bob", "carol"]
    units = []
    for i in range(10):
        words = [rng.choice(WORDS) for _ in range(rng.randint(8, 30))]
        t = " ".join(words) + f" {i}."
        units.append(Unit(str(i), f"doc {i}", t, {n: ("done", v) for n, v in
                                                  _random_versions(rng, t, names).items()}))
    tokenizer = spacy.blank("en").tokenizer
    seqs = {n: [x for u in units for x in _labels_by_hand(tokenizer, u.text, u.versions[n][1])]
            for n in names}
    assert [x for u in units for x in tokens(u.text)] and len(set(seqs["alice"])) > 2
    r = agreement(names, units)
    data = [(n, i, x) for n in names for i, x in enumerate(seqs[n])]
    task = AnnotationTask(data)
    for p, (a, b) in zip(r["pairs"], combinations(names, 2)):
        assert (p["a"], p["b"]) == (a, b)
        assert p["kappa"] == pytest.approx(cohen_kappa_score(seqs[a], seqs[b]), abs=1e-9)
        assert p["kappa"] == pytest.approx(task.kappa_pairwise(a, b), abs=1e-9)
        two = AnnotationTask([d for d in data if d[0] in (a, b)])
        assert p["kappa"] == pytest.approx(two.kappa(), abs=1e-9)
        pair = agreement([a, b], units)
        # Krippendorff's alpha of two (nominal) is nltk's too: the same observed and expected
        # disagreement over the pairable values (every token has both).
        assert pair["alpha"] == pytest.approx(two.alpha(), abs=1e-9)
        assert pair["pairs"][0]["kappa"] == p["kappa"]
    values = sorted(set().union(*seqs.values()))
    coded = [[values.index(x) for x in seqs[n]] for n in names]
    expected = krippendorff.alpha(reliability_data=coded, level_of_measurement="nominal")
    assert r["alpha"] == pytest.approx(expected, abs=1e-9)
    assert r["alpha"] == pytest.approx(task.alpha(), abs=1e-9)
    assert 0 < r["alpha"] < 1


# -- which documents count --------------------------------------------------------------------------

def test_only_documents_every_annotator_marked_done_count(tmp_path):
    spans = [(0, 5, "PERSON")]
    extra = "Only alice has this one."
    a = make(tmp_path / "a.annotator", [(DOC1, "one", "done", spans),
                                        (DOC2, "two", "done", spans), (extra, "x", "done", [])])
    b = make(tmp_path / "b.annotator", [(DOC1, "one", "done", spans),
                                        (DOC2, "two", "new", [(0, 6, "ORG")])])
    names, units = from_projects([a, b])
    assert len(units) == 3 and {u.title for u in units} == {"one", "two", "x"}
    r = agreement(names, units)
    assert r["documents"] == 1 and [x["title"] for x in r["ranked"]] == ["one"]
    assert r["pairs"][0]["exact"]["f1"] == 1.0 and r["pairs"][0]["exact"]["tp"] == 1
    c = make(tmp_path / "c.annotator", [(DOC2, "two", "done", spans)])
    names, units = from_projects([a, b, c])
    assert agreement(names, units)["documents"] == 0        # DOC1 is not in c's file
    with pytest.raises(AgreementError):
        agreement(["a"], units)


# -- disagreement groups ----------------------------------------------------------------------------

def test_disagreement_kinds_and_what_is_agreed():
    same = S(40, 45, "GPE")
    versions = {
        "a": [S(0, 5, "PERSON"), S(10, 15, "ORG"), S(20, 30, "GPE"), same, S(50, 55, "DATE")],
        "b": [S(0, 5, "PERSON"), S(10, 15, "GPE"), S(20, 24, "GPE"), S(25, 30, "GPE"),
              same.with_(source="model", entity=7)],
    }
    groups = disagreements(versions)
    assert [(g.start, g.end, g.kind) for g in groups] == [
        (10, 15, "label"), (20, 30, "bounds"), (50, 55, "missing")]
    assert groups[1].spans == {"a": (S(20, 30, "GPE"),), "b": (S(20, 24, "GPE"), S(25, 30, "GPE"))}
    assert groups[2].spans == {"a": (S(50, 55, "DATE"),), "b": ()}
    # identical in every version (source and entity aside): agreed, not a disagreement
    assert agreed(versions) == [S(0, 5, "PERSON"), S(40, 45, "GPE")]
    assert disagreements({"a": [], "b": []}) == [] and agreed({"a": [], "b": []}) == []


def test_disagreements_of_three_annotators():
    versions = {
        "a": [S(0, 5, "PERSON"), S(10, 20, "ORG"), S(30, 35, "GPE"), S(40, 45, "LOC")],
        "b": [S(0, 5, "PERSON"), S(10, 14, "ORG"), S(30, 35, "GPE"), S(40, 45, "GPE")],
        "c": [S(0, 5, "PERSON"), S(12, 25, "ORG"), S(40, 45, "LOC")],
    }
    groups = disagreements(versions)
    assert [(g.start, g.end, g.kind) for g in groups] == [
        (10, 25, "bounds"), (30, 35, "missing"), (40, 45, "label")]
    # 10-20 (a), 10-14 (b) and 12-25 (c) are linked: one group, to 25
    assert groups[0].spans == {"a": (S(10, 20, "ORG"),), "b": (S(10, 14, "ORG"),),
                               "c": (S(12, 25, "ORG"),)}
    assert groups[1].spans["c"] == ()
    assert agreed(versions) == [S(0, 5, "PERSON")]
    # a chain: a's 0-10 overlaps b's 8-20, which overlaps c's 18-30; two of three agree on 40-45
    chain = {"a": [S(0, 10, "ORG"), S(40, 45, "DATE")], "b": [S(8, 20, "ORG"), S(40, 45, "DATE")],
             "c": [S(18, 30, "ORG"), S(40, 45, "DATE")]}
    assert [(g.start, g.end, g.kind) for g in disagreements(chain)] == [(0, 30, "bounds")]
    assert agreed(chain) == [S(40, 45, "DATE")]
    # touching spans do not overlap: two groups
    touching = {"a": [S(0, 5, "ORG"), S(5, 9, "ORG")], "b": [S(0, 5, "ORG"), S(5, 9, "GPE")]}
    assert [(g.start, g.kind) for g in disagreements(touching)] == [(5, "label")]


def test_documents_are_ranked_by_disagreement():
    def unit(title, a, b):
        return Unit(title, title, "x" * 100, {"a": ("done", tuple(a)), "b": ("done", tuple(b))})
    p, q = S(0, 5, "PERSON"), S(10, 15, "ORG")
    units = [
        unit("agreed", [p, q], [p, q]),                                    # F1 1
        unit("half", [p, q], [p, q.with_(label="GPE")]),                   # F1 1/2, 1
        unit("half, two", [p, q, S(20, 25, "GPE"), S(30, 35, "GPE")],
             [p, q, S(20, 24, "GPE"), S(30, 35, "LOC")]),                  # F1 1/2, 2
        unit("b half", [p, q], [p, S(10, 16, "ORG")]),                     # F1 1/2, 1
        unit("none", [p], [q]),                                            # F1 0, 2
    ]
    r = agreement(["a", "b"], units)
    assert [(x["title"], x["disagreements"]) for x in r["ranked"]] == [
        ("none", 2), ("half, two", 2), ("b half", 1), ("half", 1), ("agreed", 0)]
    assert [x["exact_f1"] for x in r["ranked"]] == [0.0, 0.5, 0.5, 0.5, 1.0]


# -- untrusted files and the command line -------------------------------------------------------------

def test_unreadable_projects_name_the_file(tmp_path, two, capsys):
    garbage = tmp_path / "garbage.annotator"
    garbage.write_bytes(bytes(range(256)) * 20)
    missing = tmp_path / "missing.annotator"
    twin = make(tmp_path / "twin.annotator", [(DOC1, "one", "done", [])], "alice")
    damaged = make(tmp_path / "damaged.annotator", [(DOC1, "one", "done", [])])
    conn = sqlite3.connect(damaged)
    conn.execute("INSERT OR REPLACE INTO settings(key, value) VALUES ('annotator', '{')")
    conn.commit()
    conn.close()
    for bad, why in ((garbage, "not an SQLite database"), (missing, "no such project"),
                     (twin, "the annotator 'alice' is also the one of"),
                     (damaged, "not JSON"), (tmp_path, "is a folder")):
        with pytest.raises(AgreementError) as e:
            from_projects([two[0], bad])
        assert str(e.value).startswith(str(bad)) and why in str(e.value)
        assert e.value.path == bad
        assert run_agree([str(two[0]), str(bad)]) == 2
        out = capsys.readouterr()
        assert out.err.startswith(f"article-annotator: {bad}") and why in out.err
        assert "Traceback" not in out.err and not out.out
    assert str(two[0]) in str(pytest.raises(AgreementError, from_projects, [two[0], twin]).value)
    assert str(pytest.raises(AgreementError, from_projects, [two[0], two[0]]).value) == (
        f"{two[0]}: given twice")
    store = Store(two[0])       # every file read was closed again: it opens for writing
    store.set_setting("annotator", "alice")
    store.close()


def test_the_command_line_json_and_text(two, capsys):
    assert run_agree([str(two[0]), str(two[1]), "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out) == agreement(*from_projects(two)) and out.count("\n") == 1
    assert run_agree([str(p) for p in two]) == 0
    shown = capsys.readouterr().out
    assert "kappa" in shown and "Krippendorff's alpha" in shown
    row = next(line for line in shown.splitlines() if line.startswith("alice  bob"))
    assert row.split() == ["alice", "bob", "0.400", "0.400", "0.400", "0.600", "0.500", "5", "5"]
    assert "2 annotators (alice, bob); 2 documents done by every one" in shown


def test_usage_errors_interrupts_and_hostile_titles(tmp_path, two, capsys, monkeypatch):
    assert run_agree([str(two[0])]) == 2
    assert "at least two project files" in capsys.readouterr().err
    hostile = "\x1b[2J\u202eevil\nline"
    a = make(tmp_path / "h1.annotator", [(DOC1, hostile, "done", [(0, 5, "PERSON")])], "x\x1by")
    b = make(tmp_path / "h2.annotator", [(DOC1, hostile, "done", [])])
    assert run_agree([str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out and "\\x1b[2J\\u202eevil\\x0aline" in out
    assert run_agree([str(a), str(b), "--json"]) == 0
    raw = capsys.readouterr().out
    assert "\x1b" not in raw and json.loads(raw)["ranked"][0]["title"] == hostile

    def interrupted(paths):
        raise KeyboardInterrupt
    monkeypatch.setattr("models.agreement.from_projects", interrupted)
    assert run_agree([str(p) for p in two]) == 130
    assert "interrupted" in capsys.readouterr().err


def test_a_report_has_a_text_for_no_documents(tmp_path):
    r = agreement(["a", "b"], [])
    assert r["documents"] == 0 and r["pairs"][0]["kappa"] is None and r["alpha"] is None
    assert "0 documents done by every one" in text(r) and "undefined" in text(r)


def test_no_document_done_by_all_gives_no_figure_not_a_perfect_one(tmp_path):
    paths = []
    for name, status in (("alice", "done"), ("bob", "new")):
        s = Store(tmp_path / f"{name}.annotator")
        s.set_setting("annotator", name)
        s.add_documents([{"text": "Kim met Moon.", "title": "t", "status": status}])
        s.close()
        paths.append(tmp_path / f"{name}.annotator")
    r = agreement(*from_projects(paths))
    assert r["documents"] == 0
    assert [r["pairs"][0][k]["f1"] for k in ("exact", "overlap")] == [None, None]
    assert r["pairs"][0]["kappa"] is None and r["alpha"] is None
