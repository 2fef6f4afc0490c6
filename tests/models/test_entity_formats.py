"""Entities out and in (issue 11): JSONL spans carry ``kb_id``, ``.spacy`` ents ``kb_id_``, the
``entities`` export builds spaCy's InMemoryLookupKB, and every one is imported back exactly."""
from __future__ import annotations

import json

import pytest

from models import edits as E
from models.cli import main
from models.edits import Batch, ChangeEntities
from models.entities import Entity
from models.exporter import export
from models.importer import import_paths
from models.spans import Span
from models.store import Store

from .helpers import query

TEXTS = ["Kim Jong Un met Moon Jae-in in Seoul.",
         "Kim Jong-un spoke; Kim Jong Un left. 👍🏽 Moon"]
KIM = Entity(1, "Kim Jong Un", "", "leader of North Korea")
MOON = Entity(2, "Moon Jae-in", "Q21001", "")
ROWS = "SELECT d.id, s.start, s.end, s.label, s.source, e.name, e.kb_id, e.note FROM spans s " \
       "JOIN documents d ON d.id = s.doc_id LEFT JOIN entities e ON e.id = s.entity ORDER BY 1, 2"


@pytest.fixture
def linked(store):
    ids, _ = store.add_documents([{"text": t, "title": f"T{i}"} for i, t in enumerate(TEXTS)])
    store.commit(E.ReplaceSpans(ids[0], (), (Span(0, 11, "PERSON"), Span(16, 27, "PERSON"),
                                             Span(31, 36, "GPE"))))
    store.commit(E.ReplaceSpans(ids[1], (), (Span(0, 11, "PERSON"), Span(19, 30, "PERSON"),
                                             Span(40, 44, "PERSON"))))
    store.commit(Batch(ids[0], (ChangeEntities(None, (), (KIM, MOON)),
                                E.link(ids[0], Span(0, 11, "PERSON"), 1), E.link(ids[0], Span(16, 27, "PERSON"), 2),
                                E.link(ids[1], Span(0, 11, "PERSON"), 1), E.link(ids[1], Span(19, 30, "PERSON"), 1),
                                E.link(ids[1], Span(40, 44, "PERSON"), 2))))
    for doc in ids:
        store.commit(E.SetStatus(doc, "in progress", "done"))
    return store


def test_jsonl_spans_carry_kb_id(linked, tmp_path):
    export(linked, tmp_path / "out.jsonl", "jsonl", no_tokens=True)
    tasks = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text("utf-8").splitlines()]
    assert [t["spans"] for t in tasks] == [
        [{"start": 0, "end": 11, "label": "PERSON", "kb_id": "annotator:E1"},
         {"start": 16, "end": 27, "label": "PERSON", "kb_id": "Q21001"},
         {"start": 31, "end": 36, "label": "GPE"}],
        [{"start": 0, "end": 11, "label": "PERSON", "kb_id": "annotator:E1"},
         {"start": 19, "end": 30, "label": "PERSON", "kb_id": "annotator:E1"},
         {"start": 40, "end": 44, "label": "PERSON", "kb_id": "Q21001"}]]


def test_spacy_ents_carry_kb_id(linked, tmp_path):
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab
    export(linked, tmp_path / "sp", "spacy", dev_fraction=0)
    docs = list(DocBin().from_disk(tmp_path / "sp" / "train.spacy").get_docs(Vocab()))
    got = sorted((d.text[:3], e.start_char, e.text, e.kb_id_) for d in docs for e in d.ents)
    assert got == [("Kim", 0, "Kim Jong Un", "annotator:E1"), ("Kim", 0, "Kim Jong-un", "annotator:E1"),
                   ("Kim", 16, "Moon Jae-in", "Q21001"), ("Kim", 19, "Kim Jong Un", "annotator:E1"),
                   ("Kim", 31, "Seoul", ""), ("Kim", 40, "Moon", "Q21001")]


def test_the_entities_export_builds_an_in_memory_lookup_kb(linked, tmp_path):
    from spacy.vocab import Vocab
    from models.formats.entities import build_kb
    assert main(["export", str(linked.path), str(tmp_path / "ents.jsonl"), "--format", "entities"]) == 0
    lines = [json.loads(x) for x in (tmp_path / "ents.jsonl").read_text("utf-8").splitlines()]
    assert lines == [
        {"id": "annotator:E1", "name": "Kim Jong Un", "kb_id": "", "note": "leader of North Korea",
         "label": "PERSON", "frequency": 3,
         "aliases": [{"alias": "Kim Jong Un", "count": 2, "prior": 1.0},
                     {"alias": "Kim Jong-un", "count": 1, "prior": 1.0}]},
        {"id": "Q21001", "name": "Moon Jae-in", "kb_id": "Q21001", "note": "", "label": "PERSON",
         "frequency": 2, "aliases": [{"alias": "Moon", "count": 1, "prior": 1.0},
                                     {"alias": "Moon Jae-in", "count": 1, "prior": 1.0}]}]
    kb = build_kb(Vocab(), lines, vector_length=3)
    assert kb.get_size_entities() == 2 and kb.get_size_aliases() == 4
    [cand] = kb.get_alias_candidates("Kim Jong-un")
    assert cand.entity_ == "annotator:E1" and cand.prior_prob == pytest.approx(1.0)
    assert [c.entity_ for c in kb.get_alias_candidates("Moon")] == ["Q21001"]


def test_a_shared_alias_splits_its_prior(store, tmp_path):
    ids, _ = store.add_documents([{"text": "Lee said Lee and Lee went."}])
    store.commit(Batch(ids[0], (ChangeEntities(None, (), (Entity(1, "Lee Kuan Yew"), Entity(2, "Lee Hsien Loong"))),
                                E.ReplaceSpans(ids[0], (), (Span(0, 3, "PERSON", entity=1), Span(9, 12, "PERSON", entity=1),
                                                            Span(17, 20, "PERSON", entity=2))))))
    export(store, tmp_path / "e.jsonl", "entities", all_documents=True)
    lines = [json.loads(x) for x in (tmp_path / "e.jsonl").read_text("utf-8").splitlines()]
    priors = {(d["id"], a["alias"]): a["prior"] for d in lines for a in d["aliases"]}
    assert priors[("annotator:E1", "Lee")] == pytest.approx(2 / 3)
    assert priors[("annotator:E2", "Lee")] == pytest.approx(1 / 3)
    from spacy.vocab import Vocab
    from models.formats.entities import build_kb
    kb = build_kb(Vocab(), lines)
    assert sorted((c.entity_, round(c.prior_prob, 3)) for c in kb.get_alias_candidates("Lee")) == [
        ("annotator:E1", 0.667), ("annotator:E2", 0.333)]


@pytest.mark.parametrize("fmt", ["jsonl", "spacy"])
def test_exported_then_imported_into_a_new_project_is_the_same(linked, tmp_path, fmt):
    out = tmp_path / ("sp" if fmt == "spacy" else "out.jsonl")
    export(linked, out, fmt, **({"dev_fraction": 0} if fmt == "spacy" else {}))
    export(linked, tmp_path / "ents.jsonl", "entities")
    other = Store(tmp_path / "other.annot")
    try:
        data = out / "train.spacy" if fmt == "spacy" else out
        report = import_paths(other, [tmp_path / "ents.jsonl", data])
        assert not report.problems and "entities: 2 new" in report.summary()
        assert query(other.path, ROWS) == query(linked.path, ROWS)
        assert other.entities() == [KIM, MOON]
        # undone as one step: the entities were one edit of the import
        assert query(other.path, "SELECT count(*) FROM journal WHERE edit LIKE '%Entities from import%'") == [(1,)]
    finally:
        other.close()


def test_entity_lines_update_what_the_spans_created_and_kb_ids_join_existing_entities(linked, tmp_path):
    export(linked, tmp_path / "out.jsonl", "jsonl")
    other = Store(tmp_path / "other.annot")
    try:
        other.commit(ChangeEntities(None, (), (Entity(7, "President Moon", "Q21001"),)))
        report = import_paths(other, [tmp_path / "out.jsonl"])         # no entities file
        assert not report.problems
        assert other.entities() == [Entity(1, "Kim Jong Un"), Entity(7, "President Moon", "Q21001")]
        assert query(other.path, "SELECT doc_id, start, entity FROM spans WHERE entity IS NOT NULL "
                     "ORDER BY 1, 2") == [(1, 0, 1), (1, 16, 7), (2, 0, 1), (2, 19, 1), (2, 40, 7)]
        export(linked, tmp_path / "ents.jsonl", "entities")
        report = import_paths(other, [tmp_path / "ents.jsonl"])
        assert "entities: 0 new, 2 changed" in report.summary()
        assert other.entities() == [KIM, Entity(7, "Moon Jae-in", "Q21001")]
    finally:
        other.close()


def test_bad_kb_ids_and_entity_lines_are_reported_and_the_rest_kept(store, tmp_path):
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps({"text": "Acme and Bolt.", "spans": [
        {"start": 0, "end": 4, "label": "ORG", "kb_id": 42},
        {"start": 9, "end": 13, "label": "ORG", "kb_id": "Q9 "}]}) + "\n" +
        json.dumps({"text": "Acme again.", "spans": [{"start": 0, "end": 4, "label": "ORG",
                                                      "kb_id": "Q1"}]}) + "\n", "utf-8")
    ents = tmp_path / "ents.jsonl"
    ents.write_text("\n".join([
        json.dumps({"id": "Q1", "name": "Acme Corp", "kb_id": "Q1", "note": "", "aliases": []}),
        "{not json",
        json.dumps({"id": "Q2", "name": "  ", "aliases": []}),
        json.dumps({"id": "Q3", "name": "Bolt", "kb_id": "Q4", "aliases": []}),
        json.dumps({"id": "annotator:E5", "name": "Zed", "note": "kept", "aliases": []})]) + "\n", "utf-8")
    report = import_paths(store, [tasks])
    messages = [(p.line, p.message) for p in report.problems]
    assert messages == [(1, "span 0-4: 'kb_id' must be text, found 42; imported with no entity"),
                        (1, "span 9-13: 'kb_id' 'Q9 ' has spaces or line breaks at its edges or "
                            "inside; imported with no entity")]
    assert query(store.path, "SELECT doc_id, start, entity FROM spans ORDER BY 1, 2") == [
        (1, 0, None), (1, 9, None), (2, 0, 1)]
    report = import_paths(store, [ents], fmt="entities")
    assert [(p.line, p.message.split(":")[0]) for p in report.problems] == [
        (2, "not valid JSON (Expecting property name enclosed in double quotes at column 2); skipped"),
        (3, "entity skipped"), (4, "entity skipped")]
    assert "has no name" in report.problems[1].message and "differ" in report.problems[2].message
    assert store.entities() == [Entity(1, "Acme Corp", "Q1"), Entity(5, "Zed", "", "kept")]


def test_patterns_carry_the_entity_id(linked, tmp_path):
    export(linked, tmp_path / "p.jsonl", "patterns")
    assert [json.loads(x) for x in (tmp_path / "p.jsonl").read_text("utf-8").splitlines()] == [
        {"label": "PERSON", "pattern": "Kim Jong Un", "id": "annotator:E1"},
        {"label": "PERSON", "pattern": "Kim Jong-un", "id": "annotator:E1"},
        {"label": "PERSON", "pattern": "Moon", "id": "Q21001"},
        {"label": "PERSON", "pattern": "Moon Jae-in", "id": "Q21001"},
        {"label": "GPE", "pattern": "Seoul"}]
