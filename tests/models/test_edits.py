from __future__ import annotations

import json

import pytest

from models import edits
from models.edits import ChangeLabels, ReplaceSpans, SetStatus, edit_from_json
from models.labels import Label
from models.spans import MANUAL, Span

TEXT = "Kim Jong Un met Putin in Moscow."
CURRENT = [Span(0, 3, "PERSON", "m"), Span(4, 11, "ORG", "m"), Span(16, 21, "PERSON"),
           Span(25, 31, "GPE", "m")]
LAB = Label("WEAPON", "#123abc", "z", "Arms", 18)

EXAMPLES = [
    ReplaceSpans(3, (Span(0, 3, "PERSON", "m"),), (Span(0, 11, "PERSON"), Span(25, 31, "GPE")), "Label “PERSON”"),
    ReplaceSpans(3),
    SetStatus(3, "new", "done"),
    SetStatus(3, "in progress", "skipped", "Skip"),
    ChangeLabels(3, (LAB,), ()),
    ChangeLabels(None, (), (LAB, Label("X", "#000000"))),
]


@pytest.mark.parametrize("edit", EXAMPLES, ids=lambda e: type(e).__name__)
def test_inverse_of_inverse_is_the_original(edit):
    assert edit.inverse().inverse() == edit
    assert edit.inverse() != edit or edit == ReplaceSpans(3)


def test_inverses_swap_what_they_should():
    r = EXAMPLES[0].inverse()
    assert r.remove == EXAMPLES[0].add and r.add == EXAMPLES[0].remove and r.text == EXAMPLES[0].text
    s = EXAMPLES[2].inverse()
    assert (s.old, s.new) == ("done", "new")
    c = EXAMPLES[4].inverse()
    assert c.add == () and c.remove == (LAB,) and c.doc_id == 3


@pytest.mark.parametrize("edit", EXAMPLES, ids=lambda e: type(e).__name__)
def test_json_round_trip(edit):
    data = edit.to_json()
    assert edit_from_json(data) == edit
    text = json.dumps(data, ensure_ascii=False)          # how the journal stores it
    assert edit_from_json(text) == edit
    assert edit_from_json(edit.inverse().to_json()) == edit.inverse()


def test_to_json_shapes():
    assert EXAMPLES[0].to_json() == {
        "type": "spans", "doc_id": 3, "text": "Label “PERSON”",
        "remove": [{"start": 0, "end": 3, "label": "PERSON", "source": "m"}],
        "add": [{"start": 0, "end": 11, "label": "PERSON", "source": "manual"},
                {"start": 25, "end": 31, "label": "GPE", "source": "manual"}]}
    assert EXAMPLES[2].to_json() == {"type": "status", "doc_id": 3, "old": "new", "new": "done",
                                     "text": "Set status"}
    assert EXAMPLES[4].to_json() == {
        "type": "labels", "doc_id": 3, "text": "Change labels", "remove": [],
        "add": [{"name": "WEAPON", "color": "#123abc", "key": "z", "description": "Arms",
                 "order": 18}]}


def test_unknown_edit_type():
    with pytest.raises(ValueError, match="unknown edit type"):
        edit_from_json({"type": "nope", "doc_id": 1})


def test_add_span_replaces_every_overlapped_span():
    e = edits.add_span(3, Span(0, 11, "PERSON"), CURRENT)
    assert e == ReplaceSpans(3, (CURRENT[0], CURRENT[1]), (Span(0, 11, "PERSON"),), e.text)
    assert TEXT[0:11] == "Kim Jong Un"
    assert "PERSON" in e.text


def test_add_span_in_a_gap_removes_nothing():
    e = edits.add_span(3, Span(12, 15, "X"), CURRENT)
    assert e.remove == () and e.add == (Span(12, 15, "X"),)


def test_add_span_touching_neighbours_keeps_them():
    e = edits.add_span(3, Span(11, 16, "X"), CURRENT)
    assert e.remove == ()


def test_add_span_long_label_is_shortened_in_menu_text_only():
    e = edits.add_span(3, Span(12, 15, "A" * 40), [])
    assert e.add[0].label == "A" * 40
    assert "A" * 19 + "…" in e.text and "A" * 20 not in e.text


def test_remove_relabel_confirm():
    s = CURRENT[3]
    assert edits.remove_span(3, s) == ReplaceSpans(3, (s,), (), "Delete GPE")
    r = edits.relabel(3, s, "LOC")
    assert r.remove == (s,) and r.add == (Span(25, 31, "LOC", MANUAL),)
    c = edits.confirm(3, s)
    assert c.remove == (s,) and c.add == (Span(25, 31, "GPE", MANUAL),)


def test_resize_grows_over_neighbours_and_becomes_manual():
    s = CURRENT[0]                                     # "Kim", from the model
    e = edits.resize(3, s, 0, 11, CURRENT)             # -> "Kim Jong Un"
    assert e.remove == (s, CURRENT[1])                 # the swallowed ORG goes too, once
    assert e.add == (Span(0, 11, "PERSON", MANUAL),)
    assert TEXT[e.add[0].start:e.add[0].end] == "Kim Jong Un"


def test_resize_shrink_removes_only_the_span():
    s = Span(16, 24, "PERSON")
    e = edits.resize(3, s, 16, 21, [s, CURRENT[3]])
    assert e.remove == (s,) and e.add == (Span(16, 21, "PERSON"),)


def test_resize_inverse_restores_the_old_spans():
    e = edits.resize(3, CURRENT[0], 0, 11, CURRENT)
    assert set(e.inverse().add) == {CURRENT[0], CURRENT[1]}
    assert e.inverse().remove == (Span(0, 11, "PERSON"),)


@pytest.mark.skipif(not hasattr(edits, "replaced"), reason="edits.replaced not present")
def test_replaced_matches_applying_the_edit():
    e = edits.add_span(3, Span(0, 11, "PERSON"), CURRENT)
    assert edits.replaced(CURRENT, e) == [Span(0, 11, "PERSON"), CURRENT[2], CURRENT[3]]
    assert edits.replaced(edits.replaced(CURRENT, e), e.inverse()) == CURRENT


def test_batch_round_trips_and_inverts_in_reverse_order():
    from models.edits import Batch, ReplaceSpans, SetStatus, edit_from_json, finish
    from models.spans import Span
    b = finish(4, [Span(0, 3, "ORG", "m-1"), Span(5, 8, "GPE")], "new", "done", "Mark done")
    assert isinstance(b, Batch) and len(b.edits) == 2
    accept, status = b.edits
    assert accept == ReplaceSpans(4, (Span(0, 3, "ORG", "m-1"),), (Span(0, 3, "ORG"),), "Accept 1 suggestions")
    assert status == SetStatus(4, "in progress", "done", "Mark done")
    assert edit_from_json(b.to_json()) == b
    inv = b.inverse()
    assert inv.edits == (status.inverse(), accept.inverse()) and inv.inverse() == b
    assert finish(4, [Span(5, 8, "GPE")], "new", "skipped", "Skip").edits == (SetStatus(4, "new", "skipped", "Skip"),)
