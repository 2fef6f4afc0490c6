"""The bad-input catalogue, import side (issue 5): every item gets a clear message naming the
file (and line, and span), the valid rest is kept, and the project file holds whole documents
only. Each test reads the project file through its own connection."""
from __future__ import annotations

import codecs
import json

import pytest

from models import cli
from models.formats.errors import describe, detect
from models.importer import import_paths
from models.labels import Label, LabelError, check_label, default_labels

from .helpers import query

CP1252_TEXT = ("Headline from Zurich\nSecond line\n"
               "Café — “quoted” naïve résumé for €5 in München\n")


def docs_in(project) -> list[tuple[int, str]]:
    return query(project, "SELECT d.id, t.text FROM documents d JOIN texts t ON t.doc_id = d.id "
                 "ORDER BY d.id")


def spans_in(project) -> list[tuple]:
    return query(project, "SELECT doc_id, start, end, label FROM spans ORDER BY doc_id, start")


def only_problem(report):
    assert len(report.problems) == 1, [str(p) for p in report.problems]
    return report.problems[0]


def write_jsonl(path, objects, encoding="utf-8", bom=b""):
    lines = [o if isinstance(o, str) else json.dumps(o, ensure_ascii=False) for o in objects]
    path.write_bytes(bom + ("\n".join(lines) + "\n").encode(encoding))


# -- whole files that cannot be read -------------------------------------------------------------

@pytest.mark.parametrize("name,content", [
    ("empty.txt", b""), ("blank.md", b" \n\r\n\t"), ("empty.jsonl", b""), ("empty.csv", b"\n"),
    ("bom-only.txt", codecs.BOM_UTF8), ("empty.html", b"  "),
])
def test_empty_file(store, project, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    problem = only_problem(import_paths(store, [path]))
    assert (problem.file, problem.line, problem.message) == (str(path), None, "file is empty")
    assert str(problem) == f"{path}: file is empty"
    assert docs_in(project) == []


@pytest.mark.parametrize("name", ["photo.txt", "photo.jsonl", "photo.csv", "photo.html"])
def test_binary_file(store, project, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    good = tmp_path / "good.txt"
    good.write_text("Kept: the valid rest.", encoding="utf-8")
    report = import_paths(store, [path, good])
    problem = only_problem(report)
    assert (problem.file, problem.message) == (str(path), "file is binary, not text")
    assert [t for _, t in docs_in(project)] == ["Kept: the valid rest."]


# -- encodings -----------------------------------------------------------------------------------

def test_cp1252_is_refused_naming_the_encoding_and_line_then_read_with_it(store, project, tmp_path):
    path = tmp_path / "zurich.txt"
    path.write_bytes(CP1252_TEXT.encode("cp1252"))
    problem = only_problem(import_paths(store, [path]))
    offset = CP1252_TEXT.encode("cp1252").index(b"\xe9")
    assert (problem.file, problem.line, problem.encoding) == (str(path), 3, "cp1252")
    assert problem.message == (f"not UTF-8 (byte 0xe9 at line 3, offset {offset}); it looks like "
                               "cp1252 — run again with --encoding cp1252")
    assert docs_in(project) == []                        # never imported by a guess
    report = import_paths(store, [path], encoding="cp1252")
    assert report.problems == [] and len(report.added) == 1
    assert [t for _, t in docs_in(project)] == [CP1252_TEXT]       # exactly the decoded text
    assert describe("cp1252") == "Windows-1252 (Western European)"


def test_latin1_is_offered_as_windows_1252(tmp_path):
    data = "Straße und Grüße aus München, schöne Grüße.\n".encode("latin-1")
    assert detect(data) == "cp1252"             # a superset: the same characters for this file


def test_cli_names_the_encoding_and_reads_with_encoding(tmp_path, capsys):
    path, project = tmp_path / "zurich.txt", tmp_path / "p.annotator"
    path.write_bytes(CP1252_TEXT.encode("cp1252"))
    assert cli.main(["import", str(project), str(path)]) == 1
    err = capsys.readouterr().err
    assert f"warning: {path}:3: not UTF-8 (byte 0xe9 at line 3" in err
    assert "it looks like cp1252 — run again with --encoding cp1252" in err
    assert docs_in(project) == []
    assert cli.main(["import", str(project), str(path), "--encoding", "cp1252"]) == 0
    assert capsys.readouterr().out == "1 added\n"
    assert [t for _, t in docs_in(project)] == [CP1252_TEXT]
    with pytest.raises(SystemExit):
        cli.main(["import", str(project), str(path), "--encoding", "klingon"])
    assert "unknown encoding 'klingon'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["import", str(project), str(path), "--format", "spacy", "--encoding", "cp1252"])
    assert "--encoding applies to --format txt / jsonl / csv / html / doccano / labelstudio / conll / brat, not spacy" in capsys.readouterr().err


def test_cp1252_jsonl_and_csv_with_encoding(store, project, tmp_path):
    lines = tmp_path / "tasks.jsonl"
    write_jsonl(lines, [{"text": "Café in Zürich", "spans": [{"start": 8, "end": 14, "label": "GPE"}]},
                        {"text": "plain ASCII line"}], encoding="cp1252")
    report = import_paths(store, [lines])
    problem = only_problem(report)            # the bad line only; the ASCII line is imported
    assert problem.line == 1 and "not UTF-8 (byte 0xe9" in problem.message
    assert "run again with --encoding" in problem.message
    table = tmp_path / "articles.csv"
    table.write_bytes("title,text\nZürich,Café — Zürich\n".encode("cp1252"))
    report = import_paths(store, [lines, table], encoding="cp1252")
    assert report.problems == [] and report.duplicates == 1
    texts = [t for _, t in docs_in(project)]
    assert texts == ["plain ASCII line", "Café in Zürich", "Café — Zürich"]
    assert spans_in(project) == [(2, 8, 14, "GPE")]
    assert "Café in Zürich"[8:14] == "Zürich"


def test_utf16_with_bom_is_refused_offering_utf16_then_read(store, project, tmp_path):
    text = "Café in Seoul 🦄\r\nsecond line"
    path = tmp_path / "seoul.txt"
    path.write_bytes(text.encode("utf-16"))                 # with its byte-order mark
    problem = only_problem(import_paths(store, [path]))
    assert problem.encoding == "utf-16" and problem.line is None
    assert problem.message == ("file is UTF-16 (it starts with a UTF-16 byte-order mark); run "
                               "again with --encoding utf-16, or save it as UTF-8")
    assert docs_in(project) == []
    assert import_paths(store, [path], encoding="utf-16").problems == []
    assert [t for _, t in docs_in(project)] == [text]       # no BOM, CRLF and the emoji kept
    tasks = tmp_path / "tasks.jsonl"
    write_jsonl(tasks, [{"text": "Kim 🦄 met Putin.", "spans": [{"start": 10, "end": 15, "label": "PERSON"}]}],
                encoding="utf-16-be", bom=codecs.BOM_UTF16_BE)
    assert "UTF-16" in only_problem(import_paths(store, [tasks])).message
    assert import_paths(store, [tasks], encoding="utf-16").problems == []
    doc_id, stored = docs_in(project)[-1]
    assert stored == "Kim 🦄 met Putin." and stored[10:15] == "Putin"
    assert spans_in(project) == [(doc_id, 10, 15, "PERSON")]


def test_utf8_bom_is_not_text_and_spans_still_land(store, project, tmp_path):
    txt = tmp_path / "bom.txt"
    txt.write_bytes(codecs.BOM_UTF8 + "Seoul, Monday.".encode("utf-8"))
    tasks = tmp_path / "bom.jsonl"
    write_jsonl(tasks, [{"text": "Kim met Putin in Seoul.", "spans": [{"start": 8, "end": 13, "label": "PERSON"},
                                                                       {"start": 17, "end": 22, "label": "GPE"}]}],
                bom=codecs.BOM_UTF8)
    report = import_paths(store, [txt, tasks])
    assert report.problems == []
    (a, first), (b, second) = docs_in(project)
    assert first == "Seoul, Monday." and not first.startswith("\ufeff")
    assert second == "Kim met Putin in Seoul."
    assert [(s, e, second[s:e]) for _, s, e, _ in spans_in(project)] == [(8, 13, "Putin"), (17, 22, "Seoul")]


# -- JSONL lines ---------------------------------------------------------------------------------

def test_jsonl_bad_lines_are_reported_by_line_and_the_rest_kept(store, project, tmp_path):
    path = tmp_path / "tasks.jsonl"
    write_jsonl(path, [{"text": "First good line."},
                       '{"text": "broken',
                       '["a", "list"]',
                       {"text": 42},
                       {"title": "no text"},
                       {"text": ["not", "a", "string"]},
                       {"text": "Last good line."}])
    report = import_paths(store, [path])
    got = [(p.line, p.message, p.rejected) for p in report.problems]
    assert got == [(2, "not valid JSON (invalid control character at column 17)", True),
                   (3, "expected a JSON object, found list", True),
                   (4, "'text' must be a non-empty string", True),
                   (5, "no 'text' field", True),
                   (6, "'text' must be a non-empty string", True)]
    assert str(report.problems[0]).startswith(f"{path}:2: not valid JSON")
    assert [t for _, t in docs_in(project)] == ["First good line.", "Last good line."]
    assert report.summary() == "2 added, 5 rejected"


# -- spans ---------------------------------------------------------------------------------------

TEXT = "Kim Jong Un met Putin in Seoul on Monday."      # length 41


@pytest.mark.parametrize("span,message", [
    ({"start": 30, "end": 99, "label": "GPE"}, "span 30-99 is empty, inverted or outside the text (length 41)"),
    ({"start": -1, "end": 3, "label": "PERSON"}, "span -1-3 is empty, inverted or outside the text (length 41)"),
    ({"start": 21, "end": 16, "label": "PERSON"}, "span 21-16 is empty, inverted or outside the text (length 41)"),
    ({"start": 16, "end": 16, "label": "PERSON"}, "span 16-16 is empty, inverted or outside the text (length 41)"),
    ({"start": 3.5, "end": 8, "label": "PERSON"}, "offsets must be integers, got 3.5, 8"),
    ({"start": "16", "end": 21, "label": "PERSON"}, "offsets must be integers, got '16', 21"),
    ({"start": True, "end": 21, "label": "PERSON"}, "offsets must be integers, got True, 21"),
    ({"start": 16, "end": False, "label": "PERSON"}, "offsets must be integers, got 16, False"),
    ({"start": None, "end": 21, "label": "PERSON"}, "offsets must be integers, got None, 21"),
    ({"start": 16, "end": 21}, "needs start, end and label"),
])
def test_a_bad_span_is_a_warning_with_file_line_and_span(store, project, tmp_path, span, message):
    path = tmp_path / "spans.jsonl"
    write_jsonl(path, [{"text": "Other document."},
                       {"text": TEXT, "spans": [{"start": 0, "end": 11, "label": "PERSON"}, span]}])
    report = import_paths(store, [path])
    problem = only_problem(report)
    assert (problem.file, problem.line, problem.rejected) == (str(path), 2, False)
    assert problem.message == f"span 2 skipped: {message}"
    assert str(problem) == f"{path}:2: span 2 skipped: {message}"
    (_, _), (doc_id, text) = docs_in(project)
    assert text == TEXT and spans_in(project) == [(doc_id, 0, 11, "PERSON")]    # the valid span kept


def test_overlapping_spans_are_all_left_out_and_named(store, project, tmp_path):
    path = tmp_path / "overlap.jsonl"
    write_jsonl(path, [{"text": TEXT, "spans": [{"start": 0, "end": 11, "label": "PERSON"},
                                                {"start": 4, "end": 15, "label": "ORG"},
                                                {"start": 25, "end": 30, "label": "GPE"}]}])
    problem = only_problem(import_paths(store, [path]))
    assert (problem.line, problem.message, problem.rejected) == (1, "spans dropped: spans 0-11 and 4-15 overlap", False)
    [(doc_id, _)] = docs_in(project)
    assert spans_in(project) == [(doc_id, 25, 30, "GPE")]


def test_doccano_bad_spans_name_the_span(store, project, tmp_path):
    path = tmp_path / "doccano.jsonl"
    write_jsonl(path, [{"text": TEXT, "label": [[0, 11, "PERSON"], [3.5, 8, "PERSON"], [25, 99, "GPE"],
                                                [16, 21, "TWO WORDS"]]}])
    report = import_paths(store, [path], fmt="doccano")
    assert [(p.line, p.message) for p in report.problems] == [
        (1, "span 2 skipped: offsets must be integers, got 3.5, 8"),
        (1, "span 3 (25-99 GPE) skipped: 25-99 is empty, inverted or outside the text (length 41)"),
        (1, "span 4 (16-21 TWO WORDS) skipped: label 'TWO WORDS' must be 1-100 characters without spaces")]
    [(doc_id, _)] = docs_in(project)
    assert spans_in(project) == [(doc_id, 0, 11, "PERSON")]


def test_a_label_the_project_lacks_is_added_and_said_where(store, project, tmp_path):
    path = tmp_path / "new.jsonl"
    write_jsonl(path, [{"text": TEXT, "spans": [{"start": 16, "end": 21, "label": "WEAPON"}]}])
    report = import_paths(store, [path])
    assert report.problems == [] and report.new_labels == ["WEAPON"]
    assert report.new_label_where == {"WEAPON": f"{path}:1, span 16-21 'Putin'"}
    assert query(project, "SELECT name FROM labels WHERE name = 'WEAPON'") == [("WEAPON",)]


# -- label names ---------------------------------------------------------------------------------

ODD_LABELS = ["<b>bold</b>", "\"quoted\"_'single'", "R&D", "🦄", "L" * 100]


def test_odd_label_names_are_stored_and_exported_byte_exact(store, project, tmp_path):
    from models.exporter import export
    words = ["w"] * len(ODD_LABELS)
    text = " ".join(words)
    path = tmp_path / "labels.jsonl"
    write_jsonl(path, [{"text": text, "answer": "accept",
                        "spans": [{"start": 2 * i, "end": 2 * i + 1, "label": name}
                                  for i, name in enumerate(ODD_LABELS)]}])
    report = import_paths(store, [path])
    assert report.problems == [] and sorted(report.new_labels) == sorted(ODD_LABELS)
    stored = {name for (name,) in query(project, "SELECT name FROM labels")}
    assert set(ODD_LABELS) <= stored
    assert [label for *_, label in spans_in(project)] == ODD_LABELS
    out = tmp_path / "out.jsonl"
    export(store, out, "jsonl")
    task = json.loads(out.read_text(encoding="utf-8"))
    assert [s["label"] for s in task["spans"]] == ODD_LABELS
    out_labels = tmp_path / "labels.json"
    export(store, out_labels, "labels")
    names = [lab["name"] for lab in json.loads(out_labels.read_text(encoding="utf-8"))["labels"]]
    assert set(ODD_LABELS) <= set(names)


@pytest.mark.parametrize("name,message", [
    ('"quoted" \'single\'', "label '\"quoted\" \\'single\\'' must be 1-100 characters without spaces"),
    ("L" * 200, "label '" + "L" * 39 + "…' must be 1-100 characters without spaces (200 characters)"),
    ("", "label '' must be 1-100 characters without spaces"),
])
def test_label_names_refused_say_why(store, project, tmp_path, name, message):
    path = tmp_path / "labels.jsonl"
    write_jsonl(path, [{"text": TEXT, "spans": [{"start": 16, "end": 21, "label": name}]}])
    problem = only_problem(import_paths(store, [path]))
    assert (problem.line, problem.message) == (1, f"span 1 skipped: {message}")
    assert spans_in(project) == [] and len(docs_in(project)) == 1
    with pytest.raises(LabelError) as e:
        check_label(Label(name, "#123456"), default_labels())
    assert str(e.value) == message.replace("label ", "label name ", 1)


def test_odd_label_names_pass_the_label_set_rule():
    for name in ODD_LABELS:
        check_label(Label(name, "#123456"), default_labels())


# -- HTML ----------------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html><html><head><title>Summit in Seoul</title>
<script>alert("pwned"); document.write("<b>injected</b>")</script></head>
<body><nav>Home | World</nav><article><h1>Summit in Seoul</h1>
<p>Kim Jong Un met Putin in Seoul on Monday to discuss the economy and the border.</p>
<p>The two leaders spoke for three hours, officials said after the meeting ended.</p>
<script>var tracker = "SECRET-TRACKER";</script></article></body></html>
"""


def test_html_page_as_txt_is_stored_literally(store, project, tmp_path):
    path = tmp_path / "page.txt"
    path.write_text(PAGE, encoding="utf-8")
    assert import_paths(store, [path]).problems == []
    assert [t for _, t in docs_in(project)] == [PAGE]


def test_html_page_as_html_keeps_the_body_text_without_scripts(store, project, tmp_path):
    path = tmp_path / "page.html"
    path.write_text(PAGE, encoding="utf-8")
    assert import_paths(store, [path]).problems == []
    [(_, text)] = docs_in(project)
    assert "Kim Jong Un met Putin in Seoul on Monday" in text
    for gone in ("alert", "pwned", "injected", "SECRET-TRACKER", "<script", "<p>", "Home | World"):
        assert gone not in text


def test_doccano_and_brat_read_another_encoding_when_told(store, project, tmp_path):
    """doccano lines are JSONL lines: the advice is the same and --encoding reads them. A brat
    pair's text gets no advice (the window could not read the pair again from its .txt) but
    --encoding reads the pair, its character offsets unchanged."""
    (tmp_path / "a.txt").write_bytes(CP1252_TEXT.encode("cp1252"))
    (tmp_path / "a.ann").write_text("T1\tGPE 14 20\tZurich\n", encoding="utf-8")
    problem = only_problem(import_paths(store, [tmp_path / "a.ann"], fmt="brat"))
    assert problem.encoding is None and "--encoding" not in problem.message
    assert problem.message.endswith("; save it as UTF-8 and import again")
    path = tmp_path / "d.jsonl"
    write_jsonl(path, [{"text": "Café Müller in Zürich", "label": [[15, 21, "GPE"]]}], encoding="cp1252")
    problem = only_problem(import_paths(store, [path], fmt="doccano"))
    assert "run again with --encoding" in problem.message and problem.encoding
    assert docs_in(project) == []
    assert import_paths(store, [path], fmt="doccano", encoding="cp1252").problems == []
    assert import_paths(store, [tmp_path / "a.ann"], fmt="brat", encoding="cp1252").problems == []
    texts = {t for _, t in docs_in(project)}
    assert texts == {"Café Müller in Zürich", CP1252_TEXT}
    spans = {store.document(d).text: [store.document(d).text[s.start:s.end] for s in store.spans(d)]
             for d, *_ in store.document_rows()}
    assert spans["Café Müller in Zürich"] == ["Zürich"] and spans[CP1252_TEXT] == [CP1252_TEXT[14:20]]


def test_cp1252_csv_records_say_what_to_do_once(store, project, tmp_path):
    path = tmp_path / "articles.csv"
    path.write_bytes("title,text\nA,Café — Zürich\nB,plain text\nC,naïve résumé\n".encode("cp1252"))
    report = import_paths(store, [path])
    assert [(p.line, p.message) for p in report.problems] == [
        (2, "not UTF-8 (byte 0xe9); record skipped; it looks like cp1252 — run again with --encoding cp1252"),
        (4, "not UTF-8 (byte 0xef); record skipped")]
    assert [t for _, t in docs_in(project)] == ["plain text"]


# -- --encoding never re-reads UTF-8 text (it is for the files and lines that are not) -------------

def test_encoding_applies_only_to_what_is_not_utf8(tmp_path):
    """Following the advice ("run again with --encoding cp1252") must not turn the UTF-8 files
    or lines of the same import into mojibake with spans on other characters."""
    from models.importer import import_paths
    from models.store import Store
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a-utf8.txt").write_text("Zoë Brontë left Zürich.", encoding="utf-8")
    (folder / "b-cp1252.txt").write_bytes("Café Müller in München.".encode("cp1252"))
    jl = tmp_path / "mixed.jsonl"
    good = {"text": "Café Müller opened in São Paulo.", "spans": [{"start": 22, "end": 31, "label": "GPE"}]}
    bad = {"text": "Zoë in Zürich.", "spans": [{"start": 7, "end": 13, "label": "GPE"}]}
    jl.write_bytes(json.dumps(good, ensure_ascii=False).encode("utf-8") + b"\n"
                   + json.dumps(bad, ensure_ascii=False).encode("cp1252") + b"\n")
    csv_path = tmp_path / "t.csv"
    csv_path.write_bytes("title,text\nT,Ärger in Köln\n".encode("utf-8")
                         + "U,Übel in Düren\n".encode("cp1252"))
    store = Store(tmp_path / "p.annotator")
    report = import_paths(store, [folder, jl, csv_path], encoding="cp1252")
    assert report.problems == [] and len(report.added) == 6
    texts = {store.document(d).text: store.spans(d) for d in report.added}
    assert set(texts) == {"Zoë Brontë left Zürich.", "Café Müller in München.",
                          "Café Müller opened in São Paulo.", "Zoë in Zürich.", "Ärger in Köln",
                          "Übel in Düren"}
    for text, spans in texts.items():
        assert [text[s.start:s.end] for s in spans] in ([], ["São Paulo"], ["Zürich"])
    store.close()


def test_a_csv_record_that_fails_in_the_given_encoding_names_it_and_offers_no_other(store, project, tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("title,text\nA,Zürich ok\n".encode("utf-8") + b"B,bad \x81 byte\n")
    report = import_paths(store, [path], encoding="cp1252")
    assert [(p.line, p.message, p.encoding) for p in report.problems] == [
        (3, "not cp1252 (byte 0x81); record skipped", None)]
    assert [t for _, t in docs_in(project)] == ["Zürich ok"]


def test_other_tools_pre_annotated_spans_with_a_source_stay_the_annotators(store, project, tmp_path):
    """Only this app's own export --all (the status in meta) marks unreviewed suggestions by
    their "source"; another tool's task with sources on its spans imports them as before."""
    path = tmp_path / "t.jsonl"
    write_jsonl(path, [{"text": "Kim met Putin.", "spans": [{"start": 0, "end": 3, "label": "PERSON",
                                                               "source": "some-ruler"}]}])
    assert import_paths(store, [path]).problems == []
    [(doc, _)] = docs_in(project)
    assert [(s.start, s.source) for s in store.spans(doc)] == [(0, "manual")]
