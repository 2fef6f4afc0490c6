"""Label Studio JSON in and out, checked with Label Studio's own code (label-studio-sdk): its
label config parser and annotation checks, and its converter reading our export."""
from __future__ import annotations

import io
import json

import pytest

from models import cli
from models.document import Document
from models.exporter import export
from models.formats.errors import collect
from models.formats.labelstudio import iter_labelstudio, label_config, write_tasks
from models.importer import import_paths
from models.spans import Span
from models.store import Store

from .test_roundtrip import CORPUS, build, corpus_docs


def read(obj, **options):
    data = obj if isinstance(obj, (bytes, str)) else json.dumps(obj, ensure_ascii=False)
    data = data.encode("utf-8") if isinstance(data, str) else data
    return collect(iter_labelstudio(io.BytesIO(data), "ls.json", **options))


def region(start, end, label, text=None, **more):
    value = {"start": start, "end": end, "labels": [label]}
    if text is not None:
        value["text"] = text
    return {"from_name": "label", "to_name": "text", "type": "labels", "value": value, **more}


@pytest.fixture
def exported(tmp_path):
    store = build(tmp_path / "p.annot")
    out = tmp_path / "tasks.json"
    report = export(store, out, "labelstudio")
    store.close()
    return out, report


def test_the_export_is_what_label_studios_own_checks_accept(exported):
    from label_studio_sdk.label_interface import LabelInterface
    out, report = exported
    config = (out.parent / "tasks.label_config.xml").read_text("utf-8")
    assert report.config == out.parent / "tasks.label_config.xml"
    assert "labelling config in tasks.label_config.xml" in report.summary()
    li = LabelInterface(config)
    assert {"WEAPON", "PERSON", "GPE"} <= set(li.get_control("label").labels)
    tasks = json.loads(out.read_text("utf-8"))
    assert len(tasks) == len(CORPUS)
    for t in tasks:
        [annotation] = t["annotations"]
        assert li.validate_annotation(annotation)
        for r in annotation["result"]:
            assert t["data"]["text"][r["value"]["start"]:r["value"]["end"]] == r["value"]["text"]
    assert [[(r["value"]["text"], r["value"]["labels"][0]) for r in t["annotations"][0]["result"]]
            for t in tasks] == [ents for _, ents in CORPUS]


def test_label_studios_converter_reads_our_export(exported, tmp_path):
    from label_studio_sdk.converter import Converter
    out, _ = exported
    config = (out.parent / "tasks.label_config.xml").read_text("utf-8")
    conv = Converter(config, str(tmp_path), download_resources=False)
    conv.convert_to_json_min(str(out), str(tmp_path / "min"), is_dir=False)
    rows = json.loads((tmp_path / "min" / "result.json").read_text("utf-8"))
    assert [[(v["text"], v["labels"][0]) for v in r.get("label", [])] for r in rows] == \
           [ents for _, ents in CORPUS]
    # ... and its JSON_MIN comes back into a project as the same documents and spans.
    docs, problems = collect(iter_labelstudio(open(tmp_path / "min" / "result.json", "rb"), "min.json"))
    assert problems == []
    assert {d["text"]: d["spans"] for d in docs} == {d["text"]: d["spans"] for d in corpus_docs()}
    assert all(d["status"] == "done" for d in docs)


def test_predictions_carry_unreviewed_suggestions_and_come_back_as_suggestions(tmp_path):
    from label_studio_sdk.label_interface import LabelInterface
    store = Store(tmp_path / "p.annot")
    store.add_documents([{"text": "Kim Jong Un met Moon Jae-in in Seoul.", "spans": [
        Span(0, 11, "PERSON", "en_core_web_sm"), Span(16, 27, "PERSON"), Span(31, 36, "GPE", "patterns:x")]}])
    out = tmp_path / "t.json"
    export(store, out, "labelstudio", all_documents=True)
    [t] = json.loads(out.read_text("utf-8"))
    assert [r["value"]["text"] for r in t["annotations"][0]["result"]] == ["Moon Jae-in"]
    assert [(p["model_version"], [r["value"]["text"] for r in p["result"]]) for p in t["predictions"]] == \
           [("en_core_web_sm", ["Kim Jong Un"]), ("patterns:x", ["Seoul"])]
    li = LabelInterface((tmp_path / "t.label_config.xml").read_text("utf-8"))
    assert all(li.validate_prediction(p) for p in t["predictions"])
    other = Store(tmp_path / "o.annot")
    report = import_paths(other, [out])                      # .json: Label Studio by its ending
    assert report.problems == []
    [d] = report.added
    assert other.document(d).status == "new"
    assert other.spans(d) == store.spans(1)
    again = tmp_path / "again.json"
    export(other, again, "labelstudio", all_documents=True)
    assert again.read_bytes() == out.read_bytes()
    store.close()
    other.close()


def test_several_annotations_the_first_or_the_annotators_and_the_others_reported():
    text = "Kim met Moon in Seoul."
    obj = [{"id": 5, "data": {"text": text}, "annotations": [
        {"id": 7, "completed_by": 1, "was_cancelled": True, "result": [region(0, 3, "ORG")]},
        {"id": 8, "completed_by": {"id": 2, "email": "ann@x.org"}, "result": [region(0, 3, "PERSON", "Kim")]},
        {"id": 9, "completed_by": 3, "result": [region(8, 12, "PERSON", "Moon"), region(16, 21, "GPE")]}]}]
    docs, problems = read(obj)
    assert docs[0]["spans"] == [Span(0, 3, "PERSON")] and docs[0]["status"] == "done"
    [p] = problems
    assert (p.line, p.rejected) == (1, False)
    assert p.message == "task 1 has 3 annotations: used 8 (by 'ann@x.org'); not imported: 7 (by 1), 9 (by 3)"
    docs, _ = read(obj, annotator=3)
    assert docs[0]["spans"] == [Span(8, 12, "PERSON"), Span(16, 21, "GPE")]
    docs, _ = read(obj, annotator="ann@x.org")
    assert docs[0]["spans"] == [Span(0, 3, "PERSON")]
    docs, problems = read(obj, annotator=99)
    assert docs[0]["spans"] == [] and docs[0]["status"] == "new"
    assert problems[0].message == "task 1 has no annotation by 99: imported without one"
    docs, _ = read([{"data": {"text": text}, "annotations": [{"was_cancelled": True, "result": []}]}])
    assert docs[0]["status"] == "skipped"


def test_every_problem_names_the_tasks_line_and_the_valid_tasks_are_kept():
    text = ('[\n  {"data": {"text": "Kim met Moon."}, "annotations": [{"result": [\n'
            '    {"id": "a", "from_name": "label", "to_name": "text", "type": "labels", '
            '"value": {"start": 0, "end": 3, "text": "Kin", "labels": ["PERSON", "ORG"]}},\n'
            '    {"id": "b", "from_name": "sentiment", "to_name": "text", "type": "choices", '
            '"value": {"choices": ["Positive"]}}]}]},\n'
            '  "not a task",\n'
            '  {"data": {"title": "no text"}},\n'
            '  {"data": {"text": "Seoul"}, "predictions": [{"result": [\n'
            '    {"from_name": "label", "to_name": "text", "type": "labels", "value": {"start": 0, "end": 5, "labels": ["GPE"]}}]}]},\n'
            '  {"data": {"text": "broken"} "annotations": []}\n]\n')
    docs, problems = read(text)
    assert [(d["text"], d["spans"], d["line"]) for d in docs] == [
        ("Kim met Moon.", [Span(0, 3, "PERSON")], 2), ("Seoul", [Span(0, 5, "GPE", "labelstudio")], 7)]
    assert [(p.line, p.message) for p in problems] == [
        (2, "regions of type 'choices' are not read (only 'labels': named entities)"),
        (2, "region 'a' has 2 labels (['PERSON', 'ORG']): the first used"),
        (2, "region 'a': its text 'Kin' is not the text at 0-3 ('Kim'); the offsets are used"),
        (5, "task 2 is not an object but str; skipped"),
        (6, "task 3 has no text (data.text must be a non-empty string); skipped"),
        (9, "not JSON: Expecting ',' delimiter (line 9, column 31); the 4 tasks before it were read")]


def test_one_task_object_overlapping_regions_and_another_text_field():
    docs, problems = read({"data": {"article": "Kim Jong Un"}, "annotations": [{"result": [
        region(0, 3, "PERSON"), region(0, 11, "PERSON")]}]}, text_key="article")
    assert docs[0]["spans"] == [] and "overlap" in problems[0].message
    docs, problems = read("\ufeff" + json.dumps([]))
    assert docs == [] and problems == []
    docs, problems = read(b"{\"data\": 3")
    assert problems[0].message.startswith("not JSON")


def test_round_trip_with_every_status(tmp_path):
    docs = [Document(1, "Kim met Moon 😀 in Seoul.", "A", {"n": 1}, "done"),
            Document(2, "Putin 🇷🇺 in Moscow.", "", {}, "new"),
            Document(3, "Xi in 北京 and 𠮷野家.", "C", {}, "in progress"),
            Document(4, "Nothing here.", "D", {}, "skipped")]
    spans = [[Span(0, 3, "PERSON"), Span(8, 12, "PERSON", "m")],
             [Span(0, 5, "PERSON", "en_core_web_sm"), Span(11, 17, "GPE", "en_core_web_sm")],
             [Span(0, 2, "PERSON"), Span(6, 8, "GPE", "m"), Span(13, 16, "ORG", "m")], []]
    first = io.StringIO()
    list(write_tasks(zip(docs, spans), first))
    got, problems = read(first.getvalue())
    assert problems == []
    assert [(g["status"], g["title"], g["meta"], g["spans"]) for g in got] == [
        ("done", "A", {"n": 1}, [Span(0, 3, "PERSON"), Span(8, 12, "PERSON")]),
        ("new", "", {}, spans[1]), ("in progress", "C", {}, spans[2]), ("skipped", "D", {}, [])]
    second = io.StringIO()
    back = [Document(d.id, g["text"], g["title"], g["meta"], g["status"]) for d, g in zip(docs, got)]
    list(write_tasks(zip(back, [g["spans"] for g in got]), second))
    assert second.getvalue() == first.getvalue().replace(', "source": "m"', "")
    assert json.loads(first.getvalue())[0]["annotations"][0]["result"][1]["value"]["text"] == "Moon"


def test_the_config_escapes_label_names_and_names_its_tags():
    from label_studio_sdk.label_interface import LabelInterface
    config = label_config([("R&D", "#112233"), ('A"B', "#445566")], from_name="ner", to_name="article")
    li = LabelInterface(config)
    assert li.get_control("ner").labels == ["R&D", 'A"B']
    assert '<Text name="article" value="$text"/>' in config


def test_the_command_line_exports_and_imports_label_studio(tmp_path, capsys):
    store = build(tmp_path / "p.annot")
    store.close()
    out = tmp_path / "ls.json"
    assert cli.main(["export", str(tmp_path / "p.annot"), str(out), "--format", "labelstudio",
                     "--from-name", "ner"]) == 0
    assert "labelling config in ls.label_config.xml" in capsys.readouterr().err
    assert json.loads(out.read_text("utf-8"))[0]["annotations"][0]["result"][0]["from_name"] == "ner"
    assert cli.main(["import", str(tmp_path / "q.annot"), str(out), "--from-name", "ner",
                     "--annotator", "1"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"{len(CORPUS)} added")
    with pytest.raises(SystemExit):
        cli.main(["import", str(tmp_path / "r.annot"), str(out), "--format", "jsonl", "--annotator", "2"])
    assert "--annotator applies to --format labelstudio only" in capsys.readouterr().err


def test_json_min_rows_of_one_task_are_one_task_with_several_annotations():
    """JSON_MIN writes one row per annotation; --annotator picks among the rows of a task."""
    text = "Kim met Moon."
    rows = [{"id": 3, "text": text, "label": [{"start": 0, "end": 3, "text": "Kim", "labels": ["PERSON"]}],
             "annotator": 1, "annotation_id": 10, "created_at": "x", "updated_at": "x", "lead_time": 1.5},
            {"id": 3, "text": text, "label": [{"start": 8, "end": 12, "text": "Moon", "labels": ["PERSON"]}],
             "annotator": 2, "annotation_id": 11, "created_at": "x", "updated_at": "x", "lead_time": 2.0},
            {"id": 4, "text": "Seoul.", "label": [], "annotator": 1, "annotation_id": 12,
             "created_at": "x", "updated_at": "x", "lead_time": 0.5}]
    docs, problems = read(rows)
    assert [(d["text"], d["spans"]) for d in docs] == [(text, [Span(0, 3, "PERSON")]), ("Seoul.", [])]
    assert [p.message for p in problems] == ["task 1 has 2 annotations: used 10 (by 1); not imported: 11 (by 2)"]
    docs, _ = read(rows, annotator=2)
    assert docs[0]["spans"] == [Span(8, 12, "PERSON")] and docs[0]["meta"] == {}


def test_a_json_file_that_is_no_label_studio_export_says_so():
    docs, problems = read([{"name": "PERSON", "color": "#aa9cfc"}])
    assert docs == [] and problems[0].rejected and problems[0].message.startswith(
        "task 1 is neither a Label Studio task (no 'data') nor a JSON_MIN row (no 'text'; its keys:")
    docs, problems = read(b'"just a string"')
    assert problems[0].message.startswith("not a Label Studio export: expected a JSON array")
