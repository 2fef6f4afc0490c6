"""Each kind of source, from real files the tests write: HTML pages, CSV, folders, --format."""
from __future__ import annotations

import json

import pytest

from models.importer import expand, import_paths, read_source

from .helpers import query

PARAGRAPHS = [
    "North Korea's foreign minister Choe Son Hui met Russian President Vladimir Putin in Moscow "
    "on Monday, the state news agency KCNA said, in the latest sign of warming ties.",
    "The meeting lasted more than an hour and covered trade, energy and what KCNA called "
    "\u201cthe strategic partnership\u201d between Pyongyang and Moscow.",
    "Analysts in Seoul said the visit was carefully choreographed and that both governments "
    "wanted to send a message to Washington before the summit.",
]

MESSY_PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Kim and Putin meet in Moscow | The Daily Example</title>
<meta property="og:title" content="Kim and Putin meet in Moscow">
<meta property="og:url" content="https://news.example.com/2024/06/12/kim-putin-moscow">
<link rel="canonical" href="https://news.example.com/2024/06/12/kim-putin-moscow">
<meta property="article:published_time" content="2024-06-12T08:30:00Z">
<script>window.tracker = function () {{ console.log("SCRIPTHEAD tracking"); }};</script>
<style>body {{ font-family: sans-serif; }} .STYLERULE {{ color: red; }}</style>
</head>
<body>
<header><nav class="menu"><ul>
  <li><a href="/">Home NAVHOME</a></li><li><a href="/world">World NAVWORLD</a></li>
  <li><a href="/sport">Sport NAVSPORT</a></li></ul></nav></header>
<div class="cookie-banner">We use cookies COOKIEBANNER. <button>Accept</button></div>
<!-- HTMLCOMMENT: an editor's note left in the markup -->
<main>
<article>
<h1>Kim and Putin meet in Moscow</h1>
<p>{PARAGRAPHS[0]}</p>
<p>{PARAGRAPHS[1]}</p>
<script>document.write("SCRIPTBODY inline");</script>
<p>{PARAGRAPHS[2]}</p>
</article>
<section class="comments" id="comments"><h3>Comments</h3>
  <div class="comment"><p>READERCOMMENT This is outrageous, says user123.</p></div>
  <div class="comment"><p>READERCOMMENT Great article, thanks!</p></div>
</section>
<aside class="related"><h3>Related</h3><ul><li><a href="/a">RELATEDLINK Another story</a></li></ul></aside>
</main>
<footer><p>FOOTERTEXT &copy; 2024 The Daily Example. All rights reserved.</p>
  <a href="/privacy">Privacy FOOTERLINK</a></footer>
<script>var SCRIPTFOOT = 1;</script>
</body>
</html>
"""

NOISE = ["NAVHOME", "NAVWORLD", "NAVSPORT", "COOKIEBANNER", "HTMLCOMMENT", "SCRIPTHEAD",
         "STYLERULE", "SCRIPTBODY", "READERCOMMENT", "RELATEDLINK", "FOOTERTEXT", "FOOTERLINK",
         "SCRIPTFOOT", "The Daily Example", "<p>", "console.log"]


def stored(project):
    rows = query(project, "SELECT d.id, title, meta, status, text FROM documents d "
                          "JOIN texts t ON t.doc_id = d.id ORDER BY d.id")
    return [{"id": r[0], "title": r[1], "meta": json.loads(r[2]), "status": r[3], "text": r[4]}
            for r in rows]


# -- HTML ------------------------------------------------------------------------------------------

def test_messy_html_page_keeps_the_article_and_drops_the_rest(store, project, tmp_path):
    page = tmp_path / "kim-putin.html"
    page.write_text(MESSY_PAGE, encoding="utf-8")
    report = import_paths(store, [page])
    assert report.problems == [] and len(report.added) == 1
    [doc] = stored(project)
    for paragraph in PARAGRAPHS:
        assert paragraph in doc["text"]
    for noise in NOISE:
        assert noise not in doc["text"], noise
    assert doc["text"].index(PARAGRAPHS[0]) < doc["text"].index(PARAGRAPHS[1]) < doc["text"].index(PARAGRAPHS[2])
    assert doc["text"] == doc["text"].strip()
    assert doc["title"] == "Kim and Putin meet in Moscow"
    assert doc["meta"] == {"source": "kim-putin.html", "title": "Kim and Putin meet in Moscow",
                           "date": "2024-06-12",
                           "url": "https://news.example.com/2024/06/12/kim-putin-moscow"}
    assert doc["status"] == "new"


def test_html_in_its_declared_encoding_and_htm_ending(store, project, tmp_path):
    page = tmp_path / "cafe.HTM"
    body = ("<html><head><meta charset='windows-1252'><title>Caf\u00e9</title></head><body><article>"
            "<p>The caf\u00e9 in M\u00fcnchen opened on Monday, and the mayor called it \u201cthe best "
            "in Bavaria\u201d in a speech to the crowd outside.</p></article></body></html>")
    page.write_bytes(body.encode("cp1252"))
    report = import_paths(store, [page])
    assert report.problems == []
    [doc] = stored(project)
    assert "caf\u00e9 in M\u00fcnchen" in doc["text"] and "\u201cthe best in Bavaria\u201d" in doc["text"]
    assert doc["meta"]["source"] == "cafe.HTM" and "url" not in doc["meta"] and "date" not in doc["meta"]


@pytest.mark.parametrize("content,message", [
    (b"", "file is empty"),
    (b"<html><head><title>T</title><script>var a = 1;</script></head><body><div></div></body></html>",
     "no article text found"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
])
def test_html_without_an_article_is_rejected(store, project, tmp_path, content, message):
    page = tmp_path / "page.html"
    page.write_bytes(content)
    report = import_paths(store, [page])
    assert report.added == []
    [problem] = report.problems
    assert (problem.file, problem.line, problem.rejected) == (str(page), None, True)
    assert message in problem.message
    assert stored(project) == []


# -- CSV -------------------------------------------------------------------------------------------

CSV_TEXT = "Line one of the story.\r\nA \"quoted\" word, a comma\n\nand a blank line above. \U0001F600"


def csv_bytes(rows: list[str]) -> bytes:
    return ("\r\n".join(rows) + "\r\n").encode("utf-8")


def test_csv_with_quoted_newlines_keeps_the_text_exactly(store, project, tmp_path):
    path = tmp_path / "articles.csv"
    quoted = '"' + CSV_TEXT.replace('"', '""') + '"'
    path.write_bytes(b"\xef\xbb\xbf" + csv_bytes([
        "id,title,body,author",
        f"1,First story,{quoted},Kim",
        '2,,"Second story: a single line.",Lee',
        "3,Third,,Park",                                           # empty text
        '4,Fourth,"Too many",fields,here',                         # 5 fields for 4 columns
        '5,"Fifth, with comma","Seoul\r\nTokyo",Choe',
    ]))
    report = import_paths(store, [path], text_column="body")
    docs = stored(project)
    assert [d["text"] for d in docs] == [CSV_TEXT, "Second story: a single line.", "Seoul\r\nTokyo"]
    assert "\r\n" in docs[0]["text"] and "\n\n" in docs[0]["text"]
    assert [d["title"] for d in docs] == ["First story", "Second story: a single line.", "Fifth, with comma"]
    assert docs[0]["meta"] == {"source": "articles.csv", "id": "1", "author": "Kim"}
    assert docs[2]["meta"] == {"source": "articles.csv", "id": "5", "author": "Choe"}
    # The first record spans lines 2-5; the rejected ones are named by the line they start on.
    assert [(p.file, p.line) for p in report.problems] == [(str(path), 7), (str(path), 8)]
    assert "column 'body' is empty" in report.problems[0].message
    assert "5 fields" in report.problems[1].message and "4" in report.problems[1].message
    assert report.summary() == "3 added, 2 rejected"


def test_csv_text_column_defaults_to_text_and_must_exist(store, project, tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(csv_bytes(["Text,Title", '"Kim met Putin.",Summit']))
    report = import_paths(store, [path])            # "Text" matches "text", case aside
    assert report.problems == [] and stored(project)[0]["text"] == "Kim met Putin."
    assert stored(project)[0]["title"] == "Summit" and stored(project)[0]["meta"] == {"source": "a.csv"}

    other = tmp_path / "b.csv"
    other.write_bytes(csv_bytes(["headline,content", "A,B"]))
    report = import_paths(store, [other])
    [problem] = report.problems
    assert (problem.file, problem.line) == (str(other), 1)
    assert "no column 'text'" in problem.message and "'headline', 'content'" in problem.message
    assert "--text-column" in problem.message
    report = import_paths(store, [other], text_column="nope")
    assert "no column 'nope'" in report.problems[0].message


def test_csv_bad_bytes_reject_only_their_record(store, project, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"text\r\n\"good one\"\r\ncaf\xe9 latin-1\r\n\"good two\nspans lines\"\r\n")
    report = import_paths(store, [path])
    assert [d["text"] for d in stored(project)] == ["good one", "good two\nspans lines"]
    [problem] = report.problems
    assert problem.line == 3 and "not UTF-8" in problem.message


def test_csv_article_longer_than_the_csv_modules_default_limit(store, project, tmp_path):
    long_text = "word " * 60_000                      # 300,000 characters > 131,072
    path = tmp_path / "long.csv"
    path.write_text(f'text\n"{long_text}"\n', encoding="utf-8")
    report = import_paths(store, [path])
    assert report.problems == [] and stored(project)[0]["text"] == long_text


# -- folders ---------------------------------------------------------------------------------------

def make_tree(root):
    files = {
        "zeta.txt": "Zeta story about Tokyo.",
        "Alpha.md": "# Alpha heading\n\nAlpha body.",
        "b/inner.txt": "Inner story from Seoul.",
        "b/deeper/page.html": MESSY_PAGE,
        "b/deeper/notes.htm": "<html><body><article><p>" + PARAGRAPHS[2] + "</p></article></body></html>",
        "a/one.txt": "One about Moscow.",
        "a b/two.TXT": "Two, with a space in the folder name.",
        "b/data.jsonl": json.dumps({"text": "JSONL in a folder is not picked by auto."}),
        "b/table.csv": "text\nCSV in a folder is not picked by auto.\n",
        "b/image.png": "not an article",
        ".git/config.txt": "hidden folder",
        "a/.draft.txt": "hidden file",
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


FOLDER_ORDER = ["Alpha.md", "a/one.txt", "a b/two.TXT", "b/deeper/notes.htm", "b/deeper/page.html",
                "b/inner.txt", "zeta.txt"]


def test_a_folder_brings_its_articles_recursively_in_a_stable_order(store, project, tmp_path):
    root = tmp_path / "corpus"
    make_tree(root)
    report = import_paths(store, [root])
    assert report.problems == [] and report.files == 7
    docs = stored(project)
    assert [d["meta"]["source"] for d in docs] == FOLDER_ORDER
    assert docs[0]["title"] == "Alpha heading"
    assert PARAGRAPHS[0] in docs[4]["text"] and "NAVHOME" not in docs[4]["text"]
    assert all("hidden" not in d["text"] and "not picked" not in d["text"] for d in docs)
    # The same order whatever order the files were created in, and a second import adds nothing.
    again = import_paths(store, [root])
    assert again.added == [] and again.duplicates == 7
    assert again.summary() == "0 added, 7 skipped as duplicates"
    sources, problems = expand([root])
    assert [s.name for s in sources] == FOLDER_ORDER and problems == []


def test_a_folder_with_a_format_picks_those_files(store, project, tmp_path):
    root = tmp_path / "corpus"
    make_tree(root)
    report = import_paths(store, [root], fmt="jsonl")
    assert report.problems == [] and [d["text"] for d in stored(project)] == [
        "JSONL in a folder is not picked by auto."]
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    (empty / "sub" / "x.docx").write_bytes(b"PK")
    report = import_paths(store, [empty])
    [problem] = report.problems
    assert problem.file == str(empty) and problem.message.startswith("folder has no .txt")


# -- --format --------------------------------------------------------------------------------------

def test_format_overrides_the_file_ending(store, project, tmp_path):
    page = tmp_path / "saved-page.txt"
    page.write_text(MESSY_PAGE, encoding="utf-8")
    table = tmp_path / "export.dat"
    table.write_text("text,source\n\"From a .dat file\",wire\n", encoding="utf-8")
    assert import_paths(store, [page], fmt="html").problems == []
    assert import_paths(store, [table], fmt="csv").problems == []
    assert import_paths(store, [tmp_path / "saved-page.txt"], fmt="txt").added   # raw markup as text
    docs = stored(project)
    assert "NAVHOME" not in docs[0]["text"] and PARAGRAPHS[1] in docs[0]["text"]
    assert docs[1]["text"] == "From a .dat file" and docs[1]["meta"] == {"source": "wire"}
    assert docs[2]["text"] == MESSY_PAGE
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        import_paths(store, [page], fmt="xml")


def test_read_source_lists_a_files_documents(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("text,title\nKim,K\nLee,L\n", encoding="utf-8")
    docs, problems = read_source(path)
    assert problems == [] and [(d["text"], d["title"], d["line"]) for d in docs] == [("Kim", "K", 2), ("Lee", "L", 3)]
