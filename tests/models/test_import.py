from __future__ import annotations

import codecs
import json

import pytest

from models.formats.txt import read_txt
from models.importer import import_paths, import_text, read_source

from .helpers import journal_rows, query, span_rows

ARTICLE = "Seoul, Monday.\r\nNorth Korea\u2019s Choe Son Hui met Putin.\r\n\r\n  Indented\tline 😀\n"


def docs_in(project):
    return query(project, "SELECT id, title, text, meta, status FROM documents JOIN texts ON doc_id = id ORDER BY id")


def test_txt_keeps_the_exact_text_crlf_included(store, project, tmp_path):
    path = tmp_path / "seoul-talks.txt"
    path.write_bytes(ARTICLE.encode("utf-8"))
    report = import_paths(store, [path])
    assert report.problems == [] and report.duplicates == 0 and len(report.added) == 1
    [(doc_id, title, text, meta, status)] = docs_in(project)
    assert text == ARTICLE and "\r\n" in text
    assert (title, json.loads(meta), status) == ("Seoul, Monday.", {"source": "seoul-talks.txt"}, "new")
    assert report.added == [doc_id]
    assert report.summary() == "1 added"


def test_utf8_bom_is_not_part_of_the_text(store, project, tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(codecs.BOM_UTF8 + "Moscow \ufeffmid-text BOM kept".encode("utf-8"))
    import_paths(store, [path])
    assert docs_in(project)[0][2] == "Moscow \ufeffmid-text BOM kept"


@pytest.mark.parametrize("name,content,message,line", [
    ("empty.txt", b"", "file is empty", None),
    ("blank.txt", b" \r\n\t\n", "file is empty", None),
    ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary", None),
    ("latin1.txt", "Line one\nCaf\u00e9 in M\u00fcnchen".encode("latin-1"), "not UTF-8 (byte 0xe9", 2),
    ("utf16.txt", "Caf\u00e9 in Seoul".encode("utf-16"), "UTF-16", None),
    ("utf16be.txt", codecs.BOM_UTF16_BE + "Seoul".encode("utf-16-be"), "UTF-16", None),
    ("win.jsonl", "Caf\u00e9".encode("utf-16"), "UTF-16", None),
])
def test_unreadable_files_are_clear_problems_naming_the_file(store, project, tmp_path, name, content, message, line):
    path = tmp_path / name
    path.write_bytes(content)
    report = import_paths(store, [path])
    assert report.added == []
    assert len(report.problems) == 1
    problem = report.problems[0]
    assert problem.file == str(path) and problem.line == line and message in problem.message
    assert str(path) in str(problem)
    assert docs_in(project) == []


def test_unknown_extension_and_missing_file(store, tmp_path):
    docx = tmp_path / "article.docx"
    docx.write_bytes(b"PK\x03\x04")
    report = import_paths(store, [docx, tmp_path / "nope.txt"])
    assert [(p.file, p.line) for p in report.problems] == [(str(docx), None), (str(tmp_path / "nope.txt"), None)]
    assert "unknown file type '.docx'" in report.problems[0].message
    assert ".jsonl" in report.problems[0].message and ".txt" in report.problems[0].message
    assert report.problems[1].message == "no such file"


def test_extension_is_case_insensitive(tmp_path):
    path = tmp_path / "A.TXT"
    path.write_text("Upper case name", encoding="utf-8")
    docs, problems = read_source(path)
    assert problems == [] and docs[0]["text"] == "Upper case name" and docs[0]["title"] == "Upper case name"


def test_a_bad_file_does_not_stop_the_good_ones(store, project, tmp_path):
    bad, good = tmp_path / "bad.txt", tmp_path / "good.txt"
    bad.write_bytes(b"\xff\xfe\x00")
    good.write_text("Kim met Putin.", encoding="utf-8")
    report = import_paths(store, [bad, good])
    assert len(report.added) == 1 and len(report.problems) == 1
    assert [r[2] for r in docs_in(project)] == ["Kim met Putin."]
    assert report.summary() == "1 added, 1 rejected"


def test_duplicates_are_skipped_by_exact_text(store, project, tmp_path):
    a, b, c = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt"
    a.write_text("Same article.", encoding="utf-8")
    b.write_text("Same article.", encoding="utf-8")
    c.write_bytes(b"Same article.\r\n")
    report = import_paths(store, [a, b, c])
    assert len(report.added) == 2 and report.duplicates == 1
    again = import_paths(store, [a])
    assert again.added == [] and again.duplicates == 1
    assert again.summary() == "0 added, 1 skipped as duplicates"
    assert len(docs_in(project)) == 2


def test_jsonl_import_with_spans_status_and_new_labels(store, project, tmp_path):
    path = tmp_path / "tasks.jsonl"
    t1 = "Kim met Putin with a Kalashnikov."
    t2 = "Seoul 😀 talks."
    lines = [
        json.dumps({"text": t1, "answer": "accept", "meta": {"url": "http://x"},
                    "spans": [{"start": 8, "end": 13, "label": "PERSON"},
                              {"start": 21, "end": 32, "label": "WEAPON"}]}, ensure_ascii=False),
        json.dumps({"text": t2, "spans": [{"start": 0, "end": 5, "label": "CITY"},
                                          {"start": 8, "end": 13, "label": "WEAPON"}]}, ensure_ascii=False),
        "not json",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_paths(store, [path])

    assert report.new_labels == ["CITY", "WEAPON"]
    assert [(p.file, p.line) for p in report.problems] == [(str(path), 3)]
    assert report.summary() == "2 added, 1 rejected, new labels: CITY, WEAPON"
    labels = query(project, "SELECT name, key, color, ord FROM labels WHERE name IN ('CITY', 'WEAPON') ORDER BY ord")
    assert [(r[0], r[1], r[3]) for r in labels] == [("CITY", "p", 18), ("WEAPON", "a", 19)]
    assert all(r[2].startswith("#") and len(r[2]) == 7 for r in labels)

    d1, d2 = report.added
    rows1 = span_rows(project, d1)
    assert [(t1[s:e], lab, src) for s, e, lab, src in rows1] == [("Putin", "PERSON", "manual"),
                                                                 ("Kalashnikov", "WEAPON", "manual")]
    assert [(t2[s:e], lab) for s, e, lab, _ in span_rows(project, d2)] == [("Seoul", "CITY"), ("talks", "WEAPON")]
    statuses = query(project, "SELECT id, status, meta FROM documents ORDER BY id")
    assert [(r[0], r[1]) for r in statuses] == [(d1, "done"), (d2, "new")]
    assert json.loads(statuses[0][2]) == {"url": "http://x"}
    # The label change is journaled (undoable); the documents themselves are not edits.
    [(_, doc_id, edit, undone)] = journal_rows(project)
    assert doc_id is None and json.loads(edit)["type"] == "labels" and undone == 0


def test_no_new_labels_when_all_are_known(store, project, tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"text": "Putin", "spans": [{"start": 0, "end": 5, "label": "PERSON"}]}),
                    encoding="utf-8")
    report = import_paths(store, [path])
    assert report.new_labels == [] and journal_rows(project) == []
    assert query(project, "SELECT count(*) FROM labels") == [(18,)]


def test_import_text(store, project):
    report = import_text(store, "Pasted\r\narticle 😀", "Mine")
    assert report.problems == [] and len(report.added) == 1
    [(_, title, text, meta, _)] = docs_in(project)
    assert (title, text, json.loads(meta)) == ("Mine", "Pasted\r\narticle 😀", {"source": "pasted"})
    empty = import_text(store, " \n\t ")
    assert empty.added == [] and [p.message for p in empty.problems] == ["text is empty"]
    assert len(docs_in(project)) == 1


def test_read_txt_title_and_meta(tmp_path):
    path = tmp_path / "Moscow summit.md"
    path.write_text("# Moscow\n", encoding="utf-8")
    assert read_txt(path) == ([{"text": "# Moscow\n", "title": "Moscow",
                                "meta": {"source": "Moscow summit.md"}}], [])


def test_title_is_the_headline_unless_too_long(tmp_path):
    short = tmp_path / "a.txt"
    short.write_text("\n  Seoul talks end  \r\nBody.", encoding="utf-8")
    long = tmp_path / "long-file.txt"
    long.write_text("word " * 100 + "\nBody.", encoding="utf-8")
    assert read_txt(short)[0][0]["title"] == "Seoul talks end"
    assert read_txt(long)[0][0]["title"] == "long-file"
