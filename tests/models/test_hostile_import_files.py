"""Issue 9, "Inputs that crash an import", continued: .spacy files that decompress to gigabytes
or hold what JSON cannot, --encoding codecs that are no text encoding, lines and fields past
what a project can hold, values JSON has no room for, and defects nobody foresaw — each one
problem, the rest imported, through ``import_paths`` into a real project file."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest

from models import cli
from models.formats import docbin, files, jsonl
from models.importer import check_options, import_paths

from .test_hostile_imports import docs_in, problems_of, spans_in, texts_in, write

ROOT = Path(__file__).resolve().parents[2]


# -- .spacy: a zip bomb is refused with bounded memory; a bad document is that document -------

def good_docbin(texts: list[str], user_data: dict[int, bytes] | None = None) -> bytes:
    import spacy
    from spacy.tokens import DocBin
    nlp = spacy.blank("en")
    db = DocBin(store_user_data=True)
    for t in texts:
        doc = nlp(t)
        doc.ents = [doc.char_span(0, len(t.split()[0]), label="PERSON")]
        db.add(doc)
    for i, data in (user_data or {}).items():
        db.user_data[i] = data
    return db.to_bytes()


def test_a_zip_bomb_is_refused_and_the_next_file_imported(store, project, tmp_path, monkeypatch):
    monkeypatch.setattr(docbin, "MIN_INFLATED", 1 << 20)     # 1 MiB, instead of 64: a fast test
    bomb = zlib.compress(b"\0" * (8 << 20), 9)                 # 8 MiB of zeros in ~8 KB
    (tmp_path / "bomb.spacy").write_bytes(bomb)
    (tmp_path / "good.spacy").write_bytes(good_docbin(["Kim met Putin."]))
    report = import_paths(store, [tmp_path / "bomb.spacy", tmp_path / "good.spacy"])
    assert [str(p) for p in report.problems] == [
        f"{tmp_path}/bomb.spacy: refused: it decompresses to more than 1,048,576 bytes (over "
        f"{(1 << 20) // len(bomb):,} times its {len(bomb):,} bytes; a DocBin compresses about 10 "
        "times) — a zip bomb, or not a DocBin"]
    assert texts_in(project) == ["Kim met Putin."]
    assert spans_in(project) == [("Kim met Putin.", 0, 3, "PERSON")]


def test_the_cap_follows_the_file_size():
    assert docbin.inflate_limit(1_000) == docbin.MIN_INFLATED                  # 64 MiB floor
    assert docbin.inflate_limit(10 << 20) == 100 * (10 << 20)                  # 100x the file
    assert docbin.inflate_limit(900 << 20) == docbin.MAX_INFLATED              # 2 GiB at most


def test_a_zip_bomb_takes_bounded_memory(tmp_path):
    """300 MiB of zeros compressed to ~300 KB: spaCy's DocBin.from_bytes would hold all 300 MiB
    (and msgpack a copy); the import stops at the 64 MiB cap. Measured in a fresh process."""
    bomb = tmp_path / "bomb.spacy"
    z = zlib.compressobj(9)
    with bomb.open("wb") as f:
        block = b"\0" * (1 << 20)
        for _ in range(300):
            f.write(z.compress(block))
        f.write(z.flush())
    script = textwrap.dedent(f"""
        import resource, sys
        import spacy, srsly, numpy, thinc.api
        from models.importer import import_paths
        from models.store import Store
        store = Store({str(tmp_path / 'p.annotator')!r})
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        report = import_paths(store, [{str(bomb)!r}])
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((after - before) // 1024, report.problems[0].message.split(' bytes')[0])
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    grown, message = out.stdout.split(" ", 1)
    assert message.strip() == "refused: it decompresses to more than 67,108,864"
    assert int(grown) < 160, f"the import took {grown} MB more"            # not 300+ MB


@pytest.mark.parametrize("data,message", [
    (b"not zlib at all", "not a spaCy DocBin (.spacy) file (not zlib data: Error -3 while "
                         "decompressing data: incorrect header check)"),
    (zlib.compress(b"\x80" * 100)[:-10], "not a spaCy DocBin (.spacy) file (the compressed data ends early)"),
    # msgpack arrays and maps that claim billions of elements: refused before any is made
    (zlib.compress(b"\xdd\xff\xff\xff\xff"), "not a spaCy DocBin (.spacy) file (ValueError: "),
    (zlib.compress(b"\xdf\xff\xff\xff\xff"), "not a spaCy DocBin (.spacy) file (ValueError: "),
    (zlib.compress(b"\x91" * 5000 + b"\xc0"), "not a spaCy DocBin (.spacy) file ("),
])
def test_data_that_is_no_docbin(store, project, tmp_path, data, message):
    (tmp_path / "x.spacy").write_bytes(data)
    report = import_paths(store, [tmp_path / "x.spacy"])
    assert len(report.problems) == 1 and report.problems[0].line is None
    assert report.problems[0].message.startswith(message), report.problems[0].message
    assert docs_in(project) == []


def test_a_docbin_document_with_bad_user_data_is_that_document(store, project, tmp_path):
    import srsly
    own = {"title": "Mine", "status": "in progress", "meta": {"k": 1}}
    data = good_docbin(
        ["Kim one.", "Lee two.", "Park three.", "Choi four.", "Moon five.", "Yoon six."],
        {0: srsly.msgpack_dumps({"article_annotator": own}),
         1: b"\x91" * 3000 + b"\xc0",                                       # nested 3,000 deep
         2: srsly.msgpack_dumps({"article_annotator": {**own, "meta": {"x": float("nan")}}}),
         3: srsly.msgpack_dumps({"article_annotator": {**own, "meta": {"x": b"\x00"}}}),
         4: b"\xc1"})                                         # 0xc1: no msgpack type
    (tmp_path / "u.spacy").write_bytes(data)
    report = import_paths(store, [tmp_path / "u.spacy"])
    f = tmp_path / "u.spacy"
    assert [str(p) for p in report.problems] == [
        f"{f}: document 2: its user data is nested more than 100 levels deep; skipped",
        f"{f}: document 3: meta.x is nan, which is not a JSON number; skipped",
        f"{f}: document 4: meta.x is bytes b'\\x00', which JSON cannot hold; skipped",
        f"{f}: document 5: cannot be read (FormatError); skipped"]
    assert docs_in(project) == [("Kim one.", "Mine", '{"k": 1}', "in progress"),
                                ("Yoon six.", "Yoon six.", '{"source": "u.spacy"}', "done")]


# -- --encoding: text encodings only --------------------------------------------------------

@pytest.mark.parametrize("name,why", [
    ("rot13", "rot-13 is a transform (bytes to bytes or text to text, as base64, zlib or rot13), not a text encoding"),
    ("base64", "base64 is a transform"), ("hex", "hex is a transform"), ("zlib", "zlib is a transform"),
    ("bz2", "bz2 is a transform"), ("uu", "uu is a transform"), ("quopri", "quopri is a transform"),
    ("unicode_escape", "unicode-escape reads escapes, not the characters of a file as written "
                       "('\\\\x41\\\\u0041\\\\n' becomes 'AA\\n')"),
    ("raw_unicode_escape", "raw-unicode-escape does not read back the text it writes"),
    ("idna", "idna reads escapes, not the characters of a file as written ('xn--dma.abc' becomes "),
    ("punycode", "punycode does not encode text character by character"),
    ("undefined", "undefined cannot encode ordinary text (UnicodeError)"),
    ("utf-7", "utf-7 reads escapes, not the characters of a file as written ('+AEE-' becomes 'A')"),
])
def test_encodings_that_are_no_text_encoding_are_refused(name, why):
    with pytest.raises(ValueError) as e:
        check_options("auto", "codepoints", name)
    assert str(e.value).startswith(f"--encoding {name}: {why}")
    assert str(e.value).endswith("; name the character encoding the file is in (e.g. cp1252, "
                                 "latin-1, utf-16)")


@pytest.mark.parametrize("name", ["utf-8", "utf-8-sig", "UTF-16", "utf-16-le", "utf-32", "cp1252",
                                  "latin-1", "iso8859-15", "cp037", "shift_jis", "euc_jp", "gb18030",
                                  "big5", "koi8_r", "mac_roman", "hz", "iso2022_jp", "cp1251"])
def test_real_text_encodings_are_accepted(name):
    check_options("auto", "codepoints", name)


@pytest.mark.parametrize("name", ["rot13", "base64", "unicode_escape", "idna", "undefined"])
def test_cli_refuses_them_with_a_usage_error(tmp_path, capsys, name):
    (tmp_path / "a.txt").write_text("An article.", encoding="utf-8")
    with pytest.raises(SystemExit) as e:
        cli.main(["import", str(tmp_path / "p.annotator"), str(tmp_path / "a.txt"), "--encoding", name])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith(f"article-annotator import: error: --encoding {name}: ") \
        or err.splitlines()[-1].split(": error: ")[1].startswith(f"--encoding {name}: ")
    assert "Traceback" not in err and not (tmp_path / "p.annotator").exists()


def test_utf8_sig_reads_a_file(store, project, tmp_path):
    (tmp_path / "a.txt").write_bytes(b"\xef\xbb\xbfCaf\xc3\xa9 news.")
    report = import_paths(store, [tmp_path / "a.txt"], encoding="utf-8-sig")
    assert report.problems == [] and texts_in(project) == ["Caf\u00e9 news."]


# -- lines, fields and texts past what a project holds --------------------------------------

def test_a_line_too_long_is_skipped_without_being_held(store, project, tmp_path, monkeypatch):
    monkeypatch.setattr(jsonl, "MAX_LINE_BYTES", 1000)
    path = tmp_path / "long.jsonl"
    long_line = json.dumps({"text": "x" * 5000})
    path.write_text('{"text": "First."}\n' + long_line + '\n{"text": "Third."}\n' + "y" * 3000,
                    encoding="utf-8")
    report = import_paths(store, [path])
    assert problems_of(report) == [
        (2, f"line is {len(long_line) + 1:,} bytes long, more than a project can hold as one text "
            "(1,000 bytes); skipped"),
        (4, "line is 3,000 bytes long, more than a project can hold as one text (1,000 bytes); skipped")]
    assert texts_in(project) == ["First.", "Third."]


def test_a_line_too_long_in_utf16(store, project, tmp_path, monkeypatch):
    monkeypatch.setattr(jsonl, "MAX_LINE_BYTES", 4000)
    path = tmp_path / "long16.jsonl"
    path.write_bytes(('{"text": "First."}\n' + json.dumps({"text": "x" * 2000}) +
                      '\n{"text": "Third."}\n').encode("utf-16"))
    report = import_paths(store, [path], encoding="utf-16")
    assert problems_of(report) == [
        (2, f"line is {len(json.dumps({'text': 'x' * 2000})) + 1:,} characters long, more than a project can hold as one text "
            "(4,000 bytes); skipped")]
    assert texts_in(project) == ["First.", "Third."]


def test_a_file_or_text_past_sqlites_limit(store, project, tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 100)
    monkeypatch.setattr(files, "MAX_TEXT_BYTES", 100)
    (tmp_path / "big.txt").write_text("w" * 101, encoding="utf-8")
    (tmp_path / "ok.txt").write_text("w" * 100, encoding="utf-8")
    (tmp_path / "t.jsonl").write_text(json.dumps({"text": "\u00e9" * 51}) + "\n"
                                      + json.dumps({"text": "Short."}) + "\n", encoding="utf-8")
    report = import_paths(store, [tmp_path / "big.txt", tmp_path / "ok.txt", tmp_path / "t.jsonl"])
    assert [str(p) for p in report.problems] == [
        f"{tmp_path}/big.txt: file is larger than 100 bytes, more than a project can hold as one "
        "text; split it",
        f"{tmp_path}/t.jsonl:1: the text is 102 bytes; a project holds at most 100 bytes per text; "
        "skipped"]
    assert texts_in(project) == ["w" * 100, "Short."]


def test_a_csv_field_over_the_limit_is_that_record(store, project, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('text,title\nFirst article.,A\n"' + "z" * 500 + '",B\nThird article.,C\n',
                    encoding="utf-8")
    old = csv.field_size_limit(100)
    try:
        report = import_paths(store, [path])
    finally:
        csv.field_size_limit(old)
    assert problems_of(report) == [
        (3, "not valid CSV (field larger than field limit (100)); record skipped")]
    assert [(t, title) for t, title, _, _ in docs_in(project)] == [("First article.", "A"),
                                                                   ("Third article.", "C")]


# -- values JSON has no room for, lines that are no object, fields of the wrong type ---------

@pytest.mark.parametrize("fmt", ["jsonl", "doccano"])
def test_values_that_are_not_json(store, project, tmp_path, fmt):
    path = tmp_path / "v.jsonl"
    write(path, ['5', '[1, 2]', '"a string"', 'null', 'true', '{"text": NaN}',
                 '{"text": "n", "meta": {"x": NaN}}', '{"text": "i", "meta": {"x": -Infinity}}',
                 '{"text": "f", "meta": {"x": 1e400}}', '{"text": "Kept.", "meta": {"x": 1e300}}'])
    report = import_paths(store, [path], fmt=fmt)
    assert problems_of(report) == [
        (1, "expected a JSON object, found int"), (2, "expected a JSON object, found list"),
        (3, "expected a JSON object, found str"), (4, "expected a JSON object, found NoneType"),
        (5, "expected a JSON object, found bool"), (6, "not valid JSON (NaN is not a JSON number)"),
        (7, "not valid JSON (NaN is not a JSON number)"),
        (8, "not valid JSON (-Infinity is not a JSON number)"),
        (9, "meta.x is inf, which is not a JSON number; skipped")]
    assert [row[0] for row in docs_in(project)] == ["Kept."]
    assert json.loads(docs_in(project)[0][2]) == {"x": 1e300}


def test_a_title_that_is_not_a_string_is_a_warning(store, project, tmp_path):
    path = tmp_path / "t.jsonl"
    write(path, ['{"text": "One.", "title": 5}', '{"text": "Two.", "title": ["a", {"b": 1}]}',
                 '{"text": "Three.", "title": {"x": 1}}'])
    report = import_paths(store, [path])
    assert [(p.line, p.message, p.rejected) for p in report.problems] == [
        (1, "'title' must be a string, found int 5; title left out", False),
        (2, "'title' must be a string, found list ['a', {'b': 1}]; title left out", False),
        (3, "'title' must be a string, found dict {'x': 1}; title left out", False)]
    assert [(t, title) for t, title, _, _ in docs_in(project)] == [("One.", ""), ("Two.", ""),
                                                                   ("Three.", "")]


def test_nul_in_a_text_is_kept_exactly(store, project, tmp_path):
    """NUL is a character: kept (SQLite and Qt hold it; SQL LIKE stops at it, see the report)."""
    path = tmp_path / "nul.jsonl"
    write(path, ['{"text": "before\\u0000after", "spans": [{"start": 7, "end": 12, "label": "X"}]}'])
    report = import_paths(store, [path])
    assert report.problems == []
    assert spans_in(project) == [("before\x00after", 7, 12, "X")]


# -- a defect nobody foresaw: that line, record or file, named; never the import -------------

def test_an_unexpected_error_on_one_line_is_that_line(store, project, tmp_path, monkeypatch):
    real = jsonl.parse_line

    def flaky(line, file, lineno):
        if lineno == 2:
            raise RuntimeError("boom")
        return real(line, file, lineno)
    monkeypatch.setattr(jsonl, "parse_line", flaky)
    path = tmp_path / "f.jsonl"
    write(path, ['{"text": "One."}', '{"text": "Two."}', '{"text": "Three."}'])
    report = import_paths(store, [path])
    assert problems_of(report) == [
        (2, "this line could not be read: unexpected RuntimeError: boom (skipped; please report this)")]
    assert texts_in(project) == ["One.", "Three."]


def test_an_unexpected_error_in_a_reader_is_that_file(store, project, tmp_path, monkeypatch):
    from models.formats import html

    def broken(data):
        raise AttributeError("'NoneType' object has no attribute 'x'")
    monkeypatch.setattr(html, "extract", broken)
    (tmp_path / "a.html").write_text("<p>Page</p>", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Text kept.", encoding="utf-8")
    report = import_paths(store, [tmp_path / "a.html", tmp_path / "b.txt"])
    assert [str(p) for p in report.problems] == [
        f"{tmp_path}/a.html: cannot extract the article: AttributeError: 'NoneType' object has "
        "no attribute 'x'"]
    assert texts_in(project) == ["Text kept."]


def test_an_unexpected_error_escaping_a_reader_stops_that_file_only(store, project, tmp_path,
                                                                   monkeypatch):
    from models import import_sources

    def reader(f, file, source=None, **options):
        yield {"text": "Read before the defect.", "title": "", "meta": {}}
        raise KeyError("missing")
    monkeypatch.setitem(import_sources.FORMATS, "txt", (reader, (".txt",)))
    (tmp_path / "a.txt").write_text("ignored", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text('{"text": "Next file."}\n', encoding="utf-8")
    report = import_paths(store, [tmp_path / "a.txt", tmp_path / "b.jsonl"])
    assert [str(p) for p in report.problems] == [
        f"{tmp_path}/a.txt: the rest of this file could not be read: unexpected KeyError: "
        "'missing' (skipped; please report this)"]
    assert texts_in(project) == ["Read before the defect.", "Next file."]


def test_a_docbin_document_of_the_wrong_shape_is_that_document(store, project, tmp_path):
    import gc
    import spacy
    from spacy.tokens import DocBin
    nlp = spacy.blank("en")
    db = DocBin(store_user_data=True)
    for t in ["Kim one.", "Lee two.", "Park three."]:
        db.add(nlp(t))
    db.span_groups[0] = b"\xc1junk"           # srsly.msgpack_loads fails (and turned gc off)
    db.flags[1] = 5                           # not a map
    (tmp_path / "s.spacy").write_bytes(db.to_bytes())
    report = import_paths(store, [tmp_path / "s.spacy"])
    f = tmp_path / "s.spacy"
    assert [str(p) for p in report.problems] == [
        f"{f}: document 1: cannot be read (FormatError); skipped",
        f"{f}: document 2: cannot be read (AttributeError: 'int' object has no attribute 'get'); "
        "skipped"]
    assert texts_in(project) == ["Park three."]
    assert gc.isenabled()


def test_a_lone_surrogate_in_utf16_never_becomes_text(store, project, tmp_path):
    """--encoding utf-16 decodes strictly: half a surrogate pair is a file (or the rest of
    one) refused, never a lone surrogate in a text (UTF-7, which would make one, is refused)."""
    import codecs
    lone = b"\x00\xd8"                                     # U+D800 in UTF-16-LE, alone
    (tmp_path / "a.txt").write_bytes(codecs.BOM_UTF16_LE + "lone ".encode("utf-16-le") + lone)
    (tmp_path / "b.csv").write_bytes(codecs.BOM_UTF16_LE + "text\nlone ".encode("utf-16-le") + lone)
    (tmp_path / "c.jsonl").write_bytes(codecs.BOM_UTF16_LE + '{"text": "'.encode("utf-16-le") + lone
                                       + '"}\n'.encode("utf-16-le"))
    (tmp_path / "d.txt").write_bytes("Fine in UTF-16.".encode("utf-16"))
    report = import_paths(store, sorted(tmp_path.glob("[abcd].*")), encoding="utf-16")
    assert [str(p) for p in report.problems] == [
        f"{tmp_path}/a.txt:1: cannot be read as utf-16 (byte 0x00 at line 1, offset 12)",
        f"{tmp_path}/b.csv:2: cannot be read as utf-16 (byte 0x00 in or after this line); the rest "
        "of the file was not read",
        f"{tmp_path}/c.jsonl:1: cannot be read as utf-16 (byte 0x00 in or after this line); the rest "
        "of the file was not read"]
    assert texts_in(project) == ["Fine in UTF-16."]
