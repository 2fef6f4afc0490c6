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


# -- names a person can read: one rule for imports, the new-label dialog and the project file ----

VISIBLE_NAMES = ["<b>bold</b>", '"quoted"', "R&D", "🦄", "👨\u200d👩\u200d👧", "🏳\ufe0f\u200d🌈",
                 "1\ufe0f\u20e3", "🇰🇷", "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
                 "👍🏽", "Café", "Cafe\u0301", "東京", "می\u200cخواهم", "ÆØÅ", "\ufffd", "A\ue000",
                 "👩🏽\u200d💻", "क्\u200dष", "❤\ufe0f", "葛\U000e0100", "A\u0f0cB"]


@pytest.mark.parametrize("name", VISIBLE_NAMES)
def test_visible_names_are_kept(name):
    from models.labels import label_name_problem
    assert label_name_problem(name) is None
    check_label(Label(name, "#123456"), default_labels())


@pytest.mark.parametrize("name,why", [
    ("A\x00B", "has a control character (U+0000) at character 2"),
    ("A\tB", "has a control character (U+0009) at character 2"),
    ("A\nB", "has a control character (U+000A) at character 2"),
    ("A\rB", "has a control character (U+000D) at character 2"),
    ("\x1b[31mRED", "has a control character (U+001B) at character 1"),
    ("DEL\x7f", "has a control character (U+007F) at character 4"),
    ("C1\x85", "has a control character (U+0085) at character 3"),
    ("C1\x9b", "has a control character (U+009B) at character 3"),
    ("\u202eNOSREP", "has a bidirectional control (U+202E RIGHT-TO-LEFT OVERRIDE) at character 1"),
    ("A\u202aB", "has a bidirectional control (U+202A LEFT-TO-RIGHT EMBEDDING) at character 2"),
    ("A\u2067B", "has a bidirectional control (U+2067 RIGHT-TO-LEFT ISOLATE) at character 2"),
    ("ORG\u200f", "has a bidirectional control (U+200F RIGHT-TO-LEFT MARK) at character 4"),
    ("ORG\u061c", "has a bidirectional control (U+061C ARABIC LETTER MARK) at character 4"),
    ("X\ud800", "has a lone surrogate (U+D800) at character 2"),
    ("X\udce9", "has a lone surrogate (U+DCE9) at character 2"),
    ("A\u2028B", "has a line separator (U+2028 LINE SEPARATOR) at character 2"),
    ("A\u2029B", "has a paragraph separator (U+2029 PARAGRAPH SEPARATOR) at character 2"),
    ("A\uffffB", "has a noncharacter (U+FFFF) at character 2"),
    ("\u200b", "has an invisible character (U+200B ZERO WIDTH SPACE) at character 1"),
    ("PER\u200bSON", "has an invisible character (U+200B ZERO WIDTH SPACE) at character 4"),
    ("\ufeffORG", "has an invisible character (U+FEFF ZERO WIDTH NO-BREAK SPACE) at character 1"),
    ("OR\u00adG", "has an invisible character (U+00AD SOFT HYPHEN) at character 3"),
    ("A\u2060", "has an invisible character (U+2060 WORD JOINER) at character 2"),
    ("\u3164", "has an invisible character (U+3164 HANGUL FILLER) at character 1"),
    ("\u2800", "has an invisible character (U+2800 BRAILLE PATTERN BLANK) at character 1"),
    ("\u0301", "has nothing visible (only U+0301 COMBINING ACUTE ACCENT)"),
    ("\u0301\u0302\u0303\u0304", "has nothing visible (only U+0301 COMBINING ACUTE ACCENT, "
     "U+0302 COMBINING CIRCUMFLEX ACCENT, U+0303 COMBINING TILDE, …)"),
    ("\ufe0f\ufe0e", "has an invisible character (U+FE0F VARIATION SELECTOR-16) at character 1"),
    ("\u200d", "has an invisible character (U+200D ZERO WIDTH JOINER) at character 1"),
    ("\U000e0067", "has an invisible character (U+E0067 TAG LATIN SMALL LETTER G) at character 1"),
    ("\ue000\uf8ff", "has nothing visible (only U+E000, U+F8FF)"),
    ("\u0378", "has nothing visible (only U+0378)"),
    ("\u0301ORG", "begins with U+0301 COMBINING ACUTE ACCENT, which belongs to a character before it"),
    ("\u200dORG", "has an invisible character (U+200D ZERO WIDTH JOINER) at character 1"),
    ("ORG\u200d", "has an invisible character (U+200D ZERO WIDTH JOINER) at character 4"),
    # attached characters out of their place (an attack test): each looks like another name
    ("PER\u200dSON", "has an invisible character (U+200D ZERO WIDTH JOINER) at character 4"),
    ("PER\u200cSON", "has an invisible character (U+200C ZERO WIDTH NON-JOINER) at character 4"),
    ("PERSON\ufe0f", "has an invisible character (U+FE0F VARIATION SELECTOR-16) at character 7"),
    ("PERSON\ufe00", "has an invisible character (U+FE00 VARIATION SELECTOR-1) at character 7"),
    ("PERSON\U000e0041", "has an invisible character (U+E0041 TAG LATIN CAPITAL LETTER A) at character 7"),
    ("A\ufff9B", "has an invisible character (U+FFF9 INTERLINEAR ANNOTATION ANCHOR) at character 2"),
    ("A\u0600B", "has an invisible character (U+0600 ARABIC NUMBER SIGN) at character 2"),
    ("A\U00013430B", "has an invisible character (U+13430 EGYPTIAN HIEROGLYPH VERTICAL JOINER) at character 2"),
    ("\u0645\u200c", "has an invisible character (U+200C ZERO WIDTH NON-JOINER) at character 2"),
])
def test_names_nobody_can_read_are_refused_with_the_name_escaped(name, why):
    from models.labels import label_name_problem
    message = label_name_problem(name)
    assert message == f"label {name!r} {why}: a label name is visible characters without spaces"
    with pytest.raises(LabelError) as e:
        check_label(Label(name, "#123456"), default_labels())
    assert str(e.value) == message.replace("label ", "label name ", 1)
    # the message itself is one printable line: nothing in it can move a cursor or reorder text
    assert message.isprintable()


def test_a_refused_name_is_refused_by_every_reader(tmp_path):
    """The import of annotated data uses the same rule: the span is reported, the rest kept."""
    import json

    from models.importer import import_paths
    from models.store import Store
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"text": "Kim met Putin.", "spans": [
        {"start": 0, "end": 3, "label": "PER\u200bSON"}, {"start": 8, "end": 13, "label": "\u202eX"},
        {"start": 4, "end": 7, "label": "👨\u200d👩\u200d👧"}]}) + "\n", encoding="utf-8")
    store = Store(tmp_path / "p.annot")
    try:
        report = import_paths(store, [path])
        assert [p.message for p in report.problems] == [
            "span 1 skipped: label 'PER\\u200bSON' has an invisible character "
            "(U+200B ZERO WIDTH SPACE) at character 4: a label name is visible characters without spaces",
            "span 2 skipped: label '\\u202eX' has a bidirectional control "
            "(U+202E RIGHT-TO-LEFT OVERRIDE) at character 1: a label name is visible characters "
            "without spaces"]
        assert [(s.start, s.end, s.label) for s in store.spans(1)] == [(4, 7, "👨\u200d👩\u200d👧")]
    finally:
        store.close()


def test_the_label_already_there_is_named_safely():
    labels = LabelSet([Label("\x1b[2JX", "#000000", "1")])       # from a damaged project file
    with pytest.raises(LabelError) as e:
        check_label(Label("NEW", "#000000", "1"), labels)
    assert str(e.value) == "key '1' is already used by \\x1b[2JX"


def test_a_name_that_is_not_text_is_named_without_failing():
    from models.labels import label_name_problem
    assert label_name_problem(10 ** 5000) == \
        "label (an integer of more than 4300 digits) must be 1-100 characters without spaces"
    assert label_name_problem(["a\nb"]) == "label ['a\\nb'] must be 1-100 characters without spaces"
