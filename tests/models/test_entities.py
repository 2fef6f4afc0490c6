"""Entities (issue 11): a span names an entity; entities are created, linked, changed and
deleted through the one edit path, journalled and undone — checked on the real SQLite file."""
from __future__ import annotations

import pytest

from models import edits as E
from models.edits import Batch, ChangeEntities, Dismiss, edit_from_json
from models.entities import Entity, kb_key, own_id, problem
from models.history import History
from models.spans import Span
from models.store import StaleEdit, Store, StoreError

from .helpers import query

TEXTS = ["Kim Jong Un met Moon Jae-in in Seoul.", "Kim Jong-un spoke; Kim Jong Un left."]


@pytest.fixture
def corpus(store):
    ids, _ = store.add_documents([{"text": t, "title": f"T{i}"} for i, t in enumerate(TEXTS)])
    store.apply(E.ReplaceSpans(ids[0], (), (Span(0, 11, "PERSON"), Span(16, 27, "PERSON"))))
    store.apply(E.ReplaceSpans(ids[1], (), (Span(0, 11, "PERSON", "en_core_web_sm"),
                                            Span(19, 30, "PERSON"))))
    return ids


def link_new(store, doc, span, name, kb=""):
    ent = Entity(store.next_entity_id(), name, kb)
    return Batch(doc, (ChangeEntities(doc, (), (ent,)), E.link(doc, span, ent.id)), "Link to new entity"), ent


def test_link_to_a_new_entity_is_one_undoable_step(store, corpus):
    h = History(store)
    h.load(corpus[0])
    edit, ent = link_new(store, corpus[0], Span(0, 11, "PERSON"), "Kim Jong Un", "Q56226")
    out = h.do(edit)
    assert out.entities and out.docs == {corpus[0]}
    assert query(store.path, "SELECT id, name, kb_id, note FROM entities") == [(1, "Kim Jong Un", "Q56226", "")]
    assert query(store.path, "SELECT start, end, entity FROM spans WHERE doc_id = ? ORDER BY start",
                 [corpus[0]]) == [(0, 11, 1), (16, 27, None)]
    assert store.spans(corpus[0])[0] == Span(0, 11, "PERSON", "manual", 1)
    h.undo()
    assert query(store.path, "SELECT count(*) FROM entities") == [(0,)]
    assert query(store.path, "SELECT entity FROM spans WHERE doc_id = ?", [corpus[0]]) == [(None,), (None,)]
    h.redo()
    assert store.entity(1) == ent
    assert query(store.path, "SELECT entity FROM spans WHERE doc_id = ? AND start = 0", [corpus[0]]) == [(1,)]


def test_a_model_span_linked_becomes_a_persons_and_names_and_mentions_are_read(store, corpus):
    edit, ent = link_new(store, corpus[0], Span(0, 11, "PERSON"), "Kim Jong Un")
    store.commit(edit)
    store.commit(E.link(corpus[1], Span(0, 11, "PERSON", "en_core_web_sm"), ent.id))
    store.commit(E.link(corpus[1], Span(19, 30, "PERSON"), ent.id))
    assert store.spans(corpus[1])[0] == Span(0, 11, "PERSON", "manual", ent.id)
    assert store.entity_counts() == {ent.id: 3}
    assert store.entity_names(ent.id) == {"Kim Jong Un": 2, "Kim Jong-un": 1}
    assert [(d, s.start) for d, s in store.entity_mentions(ent.id)] == [
        (corpus[0], 0), (corpus[1], 0), (corpus[1], 19)]
    assert kb_key(ent) == f"annotator:E{ent.id}" and own_id(kb_key(ent)) == ent.id


def test_an_entity_named_by_spans_cannot_be_deleted_and_nothing_is_written(store, corpus):
    edit, ent = link_new(store, corpus[0], Span(0, 11, "PERSON"), "Kim Jong Un")
    store.commit(edit)
    before = query(store.path, "SELECT count(*) FROM journal")
    with pytest.raises(StoreError, match="named by 1 spans"):
        store.commit(ChangeEntities(None, (ent,), ()))
    assert store.entity(ent.id) == ent
    assert query(store.path, "SELECT count(*) FROM journal") == before


def test_a_stale_entity_edit_is_refused(store, corpus):
    edit, ent = link_new(store, corpus[0], Span(0, 11, "PERSON"), "Kim Jong Un")
    store.commit(edit)
    store.commit(ChangeEntities(None, (ent,), (ent.with_(note="leader"),)))
    with pytest.raises(StaleEdit):          # made on the old note: someone changed it since
        store.commit(ChangeEntities(None, (ent,), (ent.with_(kb_id="Q1"),)))
    with pytest.raises(StaleEdit):          # the id is taken meanwhile
        store.commit(ChangeEntities(None, (), (Entity(ent.id, "Other"),)))
    assert store.entity(ent.id).note == "leader" and store.entity(ent.id).kb_id == ""


@pytest.mark.parametrize("bad,why", [
    (Entity(1, "  "), "no name"), (Entity(0, "X"), "positive"), (Entity(1, "X", "Q1 "), "spaces"),
    (Entity(1, "X", "annotator:E4"), "project id")])
def test_bad_entities_are_refused(store, bad, why):
    assert why in problem(bad)
    with pytest.raises(StoreError, match=why):
        store.commit(ChangeEntities(None, (), (bad,)))
    assert query(store.path, "SELECT count(*) FROM entities") == [(0,)]


def test_dismissals_are_kept_undone_and_refused_twice(store, corpus):
    h = History(store)
    h.load(None)
    out = h.do(Dismiss(None, "labels", "Seoul"))
    assert out.dismissed and store.dismissed() == {("labels", "Seoul")}
    with pytest.raises(StaleEdit):
        store.commit(Dismiss(None, "labels", "Seoul"))
    h.undo()
    assert store.dismissed("labels") == set()
    reopened = Store(store.path)
    try:
        h2 = History(reopened)
        h2.load(None)
        assert h2.redo_text() == "Dismiss finding"
        h2.redo()
        assert reopened.dismissed() == {("labels", "Seoul")}
    finally:
        reopened.close()


def test_entity_edits_round_trip_through_the_journal_json(store, corpus):
    ent = Entity(3, "Moon Jae-in", "Q21001", "president")
    for edit in (ChangeEntities(None, (ent,), (ent.with_(name="Moon Jae In"),), "Rename"),
                 Dismiss(2, "variants", "a|b", False), E.link(1, Span(0, 3, "PERSON"), 3)):
        assert edit_from_json(edit.to_json()) == edit


def test_damaged_entity_rows_are_reported_not_crashed_on(store, corpus):
    import sqlite3
    conn = sqlite3.connect(store.path)
    conn.execute("INSERT INTO entities(id, name) VALUES (9, 'ok')")
    conn.execute("UPDATE spans SET entity = 'x' WHERE doc_id = ?", [corpus[0]])
    conn.commit()
    conn.close()
    from models.contents import DamagedContent
    with pytest.raises(DamagedContent, match="not an entity id"):
        store.spans(corpus[0])


def test_names_are_ranked_after_transliteration_and_folding():
    from models.entity_match import fold, rank
    es = [Entity(1, "Kim Jong Un"), Entity(2, "Moon Jae-in"), Entity(3, "Kim Yo Jong")]
    assert fold("Kim Jŏng-ŭn") == "kim jong un" and fold("金正恩") == "jinzhengen"
    ranked = rank("Kim Jong-un", es, {2: {"President Moon": 1}})
    assert [(e.id, round(s)) for e, s in ranked][:2] == [(1, 100), (3, 80)]
    assert rank("president moon", es, {2: {"President Moon": 1}})[0] == (es[1], 100.0)
    assert rank("Zzyzx", es, {}) == []


def test_labelling_the_same_characters_again_keeps_their_entity():
    linked = Span(0, 11, "PERSON", "en_core_web_sm", 4)
    edit = E.add_span(1, Span(0, 11, "ORG"), [linked, Span(16, 20, "GPE")])
    assert edit.remove == (linked,) and edit.add == (Span(0, 11, "ORG", "manual", 4),)
    wider = E.add_span(1, Span(0, 20, "ORG"), [linked])
    assert wider.add == (Span(0, 20, "ORG"),)           # other bounds: another mention
