from __future__ import annotations

import pytest

from models.labels import KEY_ORDER, PALETTE, Label, LabelError, LabelSet, check_label, default_labels


def test_default_labels():
    labels = default_labels()
    assert labels.names()[:4] == ["PERSON", "ORG", "GPE", "LOC"]
    assert len(labels) == 18
    assert [lab.order for lab in labels] == list(range(18))
    assert labels.by_key("1").name == "PERSON" and labels.by_key("q").name == "FAC"
    keys = [lab.key for lab in labels]
    assert len(set(keys)) == 18 and all(k in KEY_ORDER for k in keys)
    assert labels.get("GPE").color == "#feca74"


def test_new_label_takes_the_next_free_key_and_a_colour():
    labels = default_labels()
    lab = labels.new_label("WEAPON")
    assert lab.key == "p"                    # 1-9 and q..o are taken by the defaults
    from models.labels import _distance
    def nearest(c):
        return min(_distance(c, x.color) for x in labels)
    assert lab.color in PALETTE and nearest(lab.color) == max(nearest(c) for c in PALETTE)
    assert lab.order == 18
    check_label(lab, labels)


def test_free_key_runs_out():
    labels = LabelSet([Label(f"L{i}", "#000000", k) for i, k in enumerate(KEY_ORDER)])
    assert labels.free_key() == ""
    check_label(labels.new_label("MORE"), labels)   # a label without a key is fine


@pytest.mark.parametrize("label,message", [
    (Label("PERSON", "#000000"), "already exists"),
    (Label("TWO WORDS", "#000000"), "without spaces"),
    (Label("", "#000000"), "without spaces"),
    (Label(" X", "#000000"), "without spaces"),
    (Label("A" * 101, "#000000"), "without spaces"),
    (Label("NEW", "red"), "colour"),
    (Label("NEW", "#12345"), "colour"),
    (Label("NEW", "#000000", "1"), "already used by PERSON"),
    (Label("NEW", "#000000", "!"), "must be one of"),
    (Label("NEW", "#000000", "ab"), "must be one of"),
])
def test_check_label_refuses(label, message):
    with pytest.raises(LabelError, match=message):
        check_label(label, default_labels())


def test_label_dict_round_trip():
    lab = Label("X", "#abcdef", "z", "desc", 4)
    assert Label.from_dict(lab.to_dict()) == lab
    assert Label.from_dict({"name": "Y", "color": "#000000", "key": None}) == Label("Y", "#000000")
