"""`article-annotator check PROJECT [--json]`: exit 0 when clean, 1 when something is found, 2
for usage errors; one finding a line, or one JSON object a line (exact objects)."""
from __future__ import annotations

import json

import pytest

from models import cli
from models.edits import Dismiss, ReplaceSpans
from models.spans import Span

TEXTS = ["Apple hired staff in Seoul.", "Apple said Seoul was calm.", "Seoul rose."]


def run(capsys, *args):
    code = cli.main(["check", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


@pytest.fixture
def ids(store):
    ids, _ = store.add_documents([{"text": t, "title": f"T{i}"} for i, t in enumerate(TEXTS)])
    store.apply(ReplaceSpans(ids[0], (), (Span(0, 5, "ORG"), Span(21, 26, "GPE"))))
    store.apply(ReplaceSpans(ids[1], (), (Span(0, 5, "PERSON", "en_core_web_sm"), Span(11, 16, "GPE"))))
    return ids


def test_a_clean_project_exits_0(store, capsys, project):
    ids, _ = store.add_documents([{"text": "Seoul is calm."}])
    store.apply(ReplaceSpans(ids[0], (), (Span(0, 5, "GPE"),)))
    assert run(capsys, project) == (0, [], "consistent: nothing found\n")
    assert run(capsys, project, "--json")[:2] == (0, [])


def test_findings_exit_1_one_a_line_ranked(store, ids, capsys, project):
    code, lines, err = run(capsys, project)
    assert code == 1 and err.endswith("2 findings\n")
    assert lines == [
        "labels: 2 spans: “Apple” has 2 labels: ORG ×1, PERSON ×1 → apply ORG to all",
        "missed: 1 span: “Seoul” (GPE) stands unlabelled once in 1 document (doc 3 ×1) → label them GPE"]


def test_json_lines_parse_to_the_exact_objects(store, ids, capsys, project):
    code, lines, _ = run(capsys, project, "--json")
    assert code == 1
    assert [json.loads(x) for x in lines] == [
        {"kind": "labels", "key": "Apple", "spans": 2,
         "description": "“Apple” has 2 labels: ORG ×1, PERSON ×1 → apply ORG to all",
         "target": "ORG", "choices": ["ORG", "PERSON"],
         "items": [{"doc_id": ids[0], "start": 0, "end": 5, "text": "Apple", "label": "ORG", "source": "manual"},
                   {"doc_id": ids[1], "start": 0, "end": 5, "text": "Apple", "label": "PERSON",
                    "source": "en_core_web_sm"}]},
        {"kind": "missed", "key": "Seoul", "spans": 1,
         "description": "“Seoul” (GPE) stands unlabelled once in 1 document (doc 3 ×1) → label them GPE",
         "target": "GPE", "choices": [], "per_doc": [[ids[2], 1]],
         "items": [{"doc_id": ids[2], "start": 0, "end": 5, "text": "Seoul", "label": "GPE", "source": "manual"}]}]
    code, lines, _ = run(capsys, project, "--json", "--kind", "missed")
    assert code == 1 and [json.loads(x)["kind"] for x in lines] == ["missed"]


def test_dismissed_findings_are_left_out_unless_asked(store, ids, capsys, project):
    store.commit(Dismiss(None, "labels", "Apple"))
    store.commit(Dismiss(None, "missed", "Seoul"))
    assert run(capsys, project)[:2] == (0, [])
    code, lines, err = run(capsys, project, "--dismissed")
    assert err == "consistent: nothing found (2 dismissed findings listed too)\n"
    assert code == 0 and lines == [
        "labels: 2 spans: “Apple” has 2 labels: ORG ×1, PERSON ×1 → apply ORG to all (dismissed)",
        "missed: 1 span: “Seoul” (GPE) stands unlabelled once in 1 document (doc 3 ×1) → label them GPE (dismissed)"]
    code, lines, _ = run(capsys, project, "--json", "--dismissed")
    assert [json.loads(x).get("dismissed") for x in lines] == [True, True]


def test_usage_errors_and_a_missing_project_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["check"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        cli.main(["check", str(tmp_path / "p.annotator"), "--kind", "nonsense"])
    assert e.value.code == 2
    code, lines, err = run(capsys, tmp_path / "missing.annotator")
    assert code == 2 and lines == [] and "no project file" in err
    assert not (tmp_path / "missing.annotator").exists()


def test_control_and_bidi_characters_are_shown_as_escapes(store, capsys, project):
    texts = ["Evil\u202eCorp\x1b[2J rose.", "Evil\u202eCorp\x1b[2J fell."]
    ids, _ = store.add_documents([{"text": t} for t in texts])
    store.apply(ReplaceSpans(ids[0], (), (Span(0, 13, "ORG"),)))
    store.apply(ReplaceSpans(ids[1], (), (Span(0, 13, "PERSON"),)))
    code, lines, _ = run(capsys, project)
    assert code == 1 and lines == ["labels: 2 spans: “Evil\\u202eCorp\\x1b[2J” has 2 labels: ORG ×1, "
                                   "PERSON ×1 → a tie: choose the label"]
    code, lines, _ = run(capsys, project, "--json")
    assert "\x1b" not in lines[0] and "\u202e" not in lines[0]
    assert json.loads(lines[0])["key"] == "Evil\u202eCorp\x1b[2J"
