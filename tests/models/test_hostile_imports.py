"""Issue 9, "Inputs that crash an import": each hostile line, record or file is one problem
(file, line, why) and is skipped; the valid rest is imported; never a traceback. Every test
imports through ``import_paths`` into a real project file and reads the rows back through its
own connection (JSON nesting and numbers, lone surrogates, special and oddly named files are
here; .spacy bombs, --encoding and the rest in test_hostile_import_files.py)."""
from __future__ import annotations

import json
import os
import signal
import socket

import pytest

from models import cli
from models.display import SEARCH_CHUNK, first_surrogate
from models.importer import import_paths

from .helpers import query

DEEP = "[" * 100_000 + "]" * 100_000
BIG = "9" * 5000                      # past Python's 4,300-digit limit for int("...")


def docs_in(project) -> list[tuple]:
    return query(project, "SELECT t.text, d.title, d.meta, d.status FROM documents d "
                 "JOIN texts t ON t.doc_id = d.id ORDER BY d.id")


def texts_in(project) -> list[str]:
    return [row[0] for row in docs_in(project)]


def spans_in(project) -> list[tuple]:
    return query(project, "SELECT t.text, s.start, s.end, s.label FROM spans s "
                 "JOIN texts t ON t.doc_id = s.doc_id ORDER BY s.doc_id, s.start")


def problems_of(report) -> list[tuple]:
    return [(p.line, p.message) for p in report.problems]


def write(path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


@pytest.fixture(autouse=True)
def no_hang():
    """A test that would block (a FIFO opened for reading) fails instead of hanging the run."""
    def stop(*_):
        raise TimeoutError("the import blocked")
    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


# -- JSON nested deeper than Python reads, or than a project stores ---------------------------

NESTING = "not read: nested too deeply (more than 100 levels of [ and {)"


@pytest.mark.parametrize("fmt", ["jsonl", "doccano"])
@pytest.mark.parametrize("bad,message", [
    ('{"text": "x", "meta": %s}' % DEEP, NESTING),
    ('{"text": "x", "tokens": %s}' % DEEP, NESTING),
    (DEEP, NESTING),
    ('{"text": "x", "meta": {"a": %s}}' % ("[" * 150 + "]" * 150),
     "meta.a[0][0][0][0]…[0] is nested more than 100 levels deep; skipped"),
])
def test_nesting_rejects_the_line_only(store, project, tmp_path, fmt, bad, message):
    path = tmp_path / "deep.jsonl"
    write(path, ['{"text": "First kept."}', bad, '{"text": "Last kept."}'])
    report = import_paths(store, [path], fmt=fmt)
    assert problems_of(report) == [(2, message)]
    assert str(report.problems[0]) == f"{path}:2: {message}"
    assert len(report.added) == 2
    assert texts_in(project) == ["First kept.", "Last kept."]


def test_nesting_under_the_limit_in_a_field_not_stored_is_imported(store, project, tmp_path):
    path = tmp_path / "tokens.jsonl"
    write(path, ['{"text": "Nested tokens.", "tokens": %s}' % ("[" * 500 + "]" * 500)])
    report = import_paths(store, [path])
    assert report.problems == [] and len(report.added) == 1
    assert docs_in(project) == [("Nested tokens.", "", "{}", "new")]


# -- numbers past Python's digit limit; numbers too large to be offsets ----------------------

DIGITS = "not read: a number of more than 4,300 digits (Python's limit)"


@pytest.mark.parametrize("fmt", ["jsonl", "doccano"])
@pytest.mark.parametrize("bad", [
    '{"text": "abc", "spans": [{"start": %s, "end": 2, "label": "X"}]}' % BIG,
    '{"text": "abc", "label": [[%s, 2, "X"]]}' % BIG,
    '{"text": "abc", "meta": {"n": -%s}}' % BIG,
    '{"text": "abc", "_input_hash": %s}' % BIG,
    '{"text": %s}' % BIG,
])
def test_a_number_past_the_digit_limit_rejects_the_line(store, project, tmp_path, fmt, bad):
    path = tmp_path / "digits.jsonl"
    write(path, ['{"text": "First kept."}', bad, '{"text": "Last kept."}'])
    report = import_paths(store, [path], fmt=fmt)
    assert problems_of(report) == [(2, DIGITS)]
    assert texts_in(project) == ["First kept.", "Last kept."]


HUGE = 10 ** 100
SHOWN = "100000000000000000...0000000000000000000"


@pytest.mark.parametrize("fmt,line,message", [
    ("jsonl", {"text": "Kim met Putin.", "spans": [{"start": 0, "end": 3, "label": "PERSON"},
                                                    {"start": HUGE, "end": HUGE + 1, "label": "X"}]},
     f"span 2 skipped: span {SHOWN}-{SHOWN[:-1]}1 is empty, inverted or outside the text (length 14)"),
    ("jsonl", {"text": "Kim met Putin.", "spans": [{"start": 0, "end": 3, "label": "PERSON"},
                                                    {"start": -HUGE, "end": 3, "label": "X"}]},
     "span 2 skipped: span -10000000000000000...0000000000000000000-3 is empty, inverted or outside the text (length 14)"),
    ("doccano", {"text": "Kim met Putin.", "label": [[0, 3, "PERSON"], [HUGE, HUGE + 1, "X"]]},
     f"span 2 ({SHOWN}-{SHOWN[:-1]}1 X) skipped: {SHOWN}-{SHOWN[:-1]}1 is empty, inverted or "
     "outside the text (length 14)"),
])
def test_a_huge_offset_is_a_bad_span_not_an_overflow(store, project, tmp_path, fmt, line, message):
    path = tmp_path / "huge.jsonl"
    write(path, [json.dumps(line)])
    for offsets in (("codepoints", "utf16") if fmt == "doccano" else ("codepoints",)):
        report = import_paths(store, [path], fmt=fmt, offsets=offsets)
        assert [(p.line, p.message, p.rejected) for p in report.problems] == [(1, message, False)]
    assert spans_in(project) == [("Kim met Putin.", 0, 3, "PERSON")]


def test_brat_offsets_huge_long_or_not_ascii_digits(store, project, tmp_path):
    text = "Kim met Putin in Moscow."
    (tmp_path / "d.txt").write_text(text, encoding="utf-8")
    (tmp_path / "d.ann").write_text(
        f"T1\tPERSON 0 3\tKim\nT2\tGPE {HUGE} {HUGE + 1}\tMoscow\nT3\tGPE {BIG} 3\tx\n"
        "T4\tGPE \u0661 \u0663\tim\nT5\tGPE 1_0 2_0\tx\nT6\tPERSON 8 13\tPutin\n", encoding="utf-8")
    report = import_paths(store, [tmp_path / "d.ann"])
    ann = str(tmp_path / "d.ann")
    assert [(p.file, p.line, p.message) for p in report.problems] == [
        (ann, 3, "T3 skipped: offsets '99999999999999999...9999999999999999 3' are not 'start end' "
                 "or 'start end;start end'"),
        (ann, 4, "T4 skipped: offsets '\u0661 \u0663' are not 'start end' or 'start end;start end'"),
        (ann, 5, "T5 skipped: offsets '1_0 2_0' are not 'start end' or 'start end;start end'"),
        (ann, 2, f"T2 ({SHOWN}-{SHOWN[:-1]}1 GPE) skipped: {SHOWN}-{SHOWN[:-1]}1 is empty, "
                 "inverted or outside the text (length 24)")]
    assert spans_in(project) == [(text, 0, 3, "PERSON"), (text, 8, 13, "PERSON")]


# -- lone surrogates: never stored, wherever they are in a line ------------------------------

SURROGATE = "not a character, and UTF-8 cannot hold it"


@pytest.mark.parametrize("fmt", ["jsonl", "doccano"])
@pytest.mark.parametrize("bad,where", [
    (r'{"text": "a\ud800b"}', r"text holds a lone surrogate (\ud800 at character 1)"),
    (r'{"text": "x\udc00"}', r"text holds a lone surrogate (\udc00 at character 1)"),
    (r'{"text": "low first \ude00\ud83d"}',
     r"text holds a lone surrogate (\ude00 at character 10)"),
    (r'{"text": "t", "title": "\uDBFF"}', r"title holds a lone surrogate (\udbff at character 0)"),
    (r'{"text": "pair then lone \ud83d\ude00\ude00"}',
     r"text holds a lone surrogate (\ude00 at character 16)"),
    (r'{"text": "split \ud83d\\ude00"}', r"text holds a lone surrogate (\ud83d at character 6)"),
    (r'{"text": "\\\ud800 after an escaped backslash"}',
     r"text holds a lone surrogate (\ud800 at character 1)"),
    (r'{"text": "two highs \ud800\ud83d\ude00"}',
     r"text holds a lone surrogate (\ud800 at character 10)"),
    (r'{"text": "t", "meta": {"note": ["ok", {"deep": "x\ud800"}]}}',
     r"meta.note[1].deep holds a lone surrogate (\ud800 at character 1)"),
    (r'{"text": "t", "meta": {"\ud800key": 1}}',
     r"meta has a key ('\ud800key') holding a lone surrogate (\ud800)"),
    (r'{"text": "t", "spans": [{"start": 0, "end": 1, "label": "\ud800"}]}',
     r"spans[0].label holds a lone surrogate (\ud800 at character 0)"),
    (r'{"text": "t", "_session_id": "\udfff"}',
     r"_session_id holds a lone surrogate (\udfff at character 0)"),
])
def test_a_lone_surrogate_anywhere_rejects_the_line(store, project, tmp_path, fmt, bad, where):
    path = tmp_path / "surrogates.jsonl"
    write(path, ['{"text": "First kept."}', bad, '{"text": "Last kept."}'])
    report = import_paths(store, [path], fmt=fmt)
    assert problems_of(report) == [(2, f"not storable: {where}: {SURROGATE}")]
    assert len(report.added) == 2 and texts_in(project) == ["First kept.", "Last kept."]


def test_surrogate_pairs_and_escaped_backslashes_are_text(store, project, tmp_path):
    path = tmp_path / "pairs.jsonl"
    write(path, [r'{"text": "smile \ud83d\ude00 and \\ud800 as written", "title": "\uD83C\uDDF0"}'])
    report = import_paths(store, [path])
    assert report.problems == [] and len(report.added) == 1
    assert docs_in(project) == [("smile \U0001F600 and \\ud800 as written", "\U0001F1F0", "{}", "new")]


def test_a_doccano_label_with_a_surrogate_is_the_line_not_the_file(store, project, tmp_path):
    path = tmp_path / "d.jsonl"
    write(path, [r'{"text": "Kim met Putin.", "label": [[0, 3, "\ud800X"]]}',
                 '{"text": "Kim met Putin.", "label": [[0, 3, "PERSON"]]}'])
    report = import_paths(store, [path], fmt="doccano")
    assert problems_of(report) == [
        (1, rf"not storable: label[0][2] holds a lone surrogate (\ud800 at character 0): {SURROGATE}")]
    assert spans_in(project) == [("Kim met Putin.", 0, 3, "PERSON")]


@pytest.mark.parametrize("at", [0, SEARCH_CHUNK - 1, SEARCH_CHUNK, 3 * SEARCH_CHUNK + 17])
def test_a_lone_surrogate_deep_in_a_long_text_is_found(store, project, tmp_path, at):
    """The check reads a long text a megabyte of code points at a time (the UI thread runs
    between the calls): a surrogate on either side of a chunk's edge, or chunks in, is found."""
    n = 3 * SEARCH_CHUNK + 100
    text = "é" * at + "\ud800" + "é" * (n - at - 1)
    assert first_surrogate(text).start() == at and first_surrogate(text.replace("\ud800", "x")) is None
    path = tmp_path / "long.jsonl"
    write(path, ['{"text": "Kept."}', json.dumps({"text": text}), '{"text": "Also kept."}'])
    report = import_paths(store, [path])
    assert problems_of(report) == [
        (2, rf"not storable: text holds a lone surrogate (\ud800 at character {at}): {SURROGATE}")]
    assert texts_in(project) == ["Kept.", "Also kept."]


# -- file names that are not UTF-8, or that hold control characters -------------------------

def _raw_file(folder, name: bytes, data: bytes) -> None:
    fd = os.open(os.fsencode(folder) + b"/" + name, os.O_CREAT | os.O_WRONLY, 0o644)
    os.write(fd, data)
    os.close(fd)


def test_a_file_name_that_is_not_utf8_is_imported_with_its_name_escaped(store, project, tmp_path):
    folder = tmp_path / "news"
    folder.mkdir()
    long_first_line = "x" * 200            # no headline: the title comes from the file name
    _raw_file(folder, b"caf\xe9.txt", f"{long_first_line}\nCaf\u00e9 article.".encode())
    _raw_file(folder, b"r\xe9sum\xe9.md", b"# Resume\nA summary.")
    _raw_file(folder, b"p\xe9.txt", b"Kim met Putin.")
    _raw_file(folder, b"p\xe9.ann", b"T1\tPERSON 0 3\tKim\n")
    _raw_file(folder, b"empty\xff.txt", b"")
    messages = []
    report = import_paths(store, [folder], progress=lambda done, total, text: messages.append(text))
    assert [str(p) for p in report.problems] == [f"{folder}/empty\\xff.txt: file is empty"]
    assert docs_in(project) == [
        (f"{long_first_line}\nCaf\u00e9 article.", "caf\\xe9", '{"source": "caf\\\\xe9.txt"}', "new"),
        ("Kim met Putin.", "Kim met Putin.", '{"source": "p\\\\xe9.txt"}', "done"),
        ("# Resume\nA summary.", "Resume", '{"source": "r\\\\xe9sum\\\\xe9.md"}', "new")]
    assert spans_in(project) == [("Kim met Putin.", 0, 3, "PERSON")]
    assert messages == ["3 added, 1 rejected"]


def test_a_file_name_with_control_characters_cannot_forge_lines(store, project, tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "evil\n\x1b[31mname.txt").write_bytes(b"")
    _raw_file(folder, b"bad\xe9\n.txt", b"Text of a badly named file.")
    assert cli.main(["import", str(tmp_path / "p.annotator"), str(folder)]) == 0
    out, err = capsys.readouterr()
    assert out == "1 added, 1 rejected\n"
    assert f"warning: {folder}/evil\\x0a\\x1b[31mname.txt: file is empty\n" in err
    assert "\x1b" not in err and err.count("\n") == err.count("warning: ") + err.count("creating")
    assert docs_in(tmp_path / "p.annotator") == [
        ("Text of a badly named file.", "Text of a badly named file.",
         '{"source": "bad\\\\xe9\\n.txt"}', "new")]


def test_a_name_that_is_not_utf8_given_by_name(store, project, tmp_path):
    _raw_file(tmp_path, b"t\xe9st.jsonl", b'{"text": "One."}\n{"text": 5}\n')
    path = os.fsdecode(os.fsencode(tmp_path) + b"/t\xe9st.jsonl")
    report = import_paths(store, [path])
    assert [str(p) for p in report.problems] == [
        f"{tmp_path}/t\\xe9st.jsonl:2: 'text' must be a non-empty string"]
    assert texts_in(project) == ["One."]


# -- special files: named for what they are, never read, never waited on ---------------------

def test_special_files_are_named_for_what_they_are(store, project, tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")
    os.symlink("/dev/zero", tmp_path / "zero.txt")
    os.symlink(tmp_path / "gone.txt", tmp_path / "dangling.txt")
    os.symlink("loop.txt", tmp_path / "loop.txt")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock.jsonl"))
    (tmp_path / "real.txt").write_text("The real article.", encoding="utf-8")
    os.symlink(tmp_path / "real.txt", tmp_path / "link.txt")
    names = ["pipe.txt", "zero.txt", "dangling.txt", "loop.txt", "sock.jsonl", "missing.txt",
             "link.txt"]
    try:
        report = import_paths(store, [tmp_path / n for n in names] + ["/dev/null"])
    finally:
        sock.close()
    assert [str(p) for p in report.problems] == [
        f"{tmp_path}/pipe.txt: is a FIFO (named pipe), not a regular file",
        f"{tmp_path}/zero.txt: is a symbolic link to a character device (/dev/zero), not a regular file",
        f"{tmp_path}/dangling.txt: is a symbolic link to {tmp_path}/gone.txt, which does not exist",
        f"{tmp_path}/loop.txt: is a symbolic link that leads back to itself (too many levels of links)",
        f"{tmp_path}/sock.jsonl: is a socket, not a regular file",
        f"{tmp_path}/missing.txt: no such file",
        "/dev/null: is a character device, not a regular file"]
    # A link to a regular file is read through (meta.source: the link's own name).
    assert docs_in(project) == [("The real article.", "The real article.",
                                 '{"source": "link.txt"}', "new")]


def test_special_files_in_a_folder_and_beside_a_brat_file(store, project, tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text("Article A.", encoding="utf-8")
    os.mkfifo(folder / "b.txt")
    os.symlink("/dev/urandom", folder / "c.html")
    os.symlink("nowhere.md", folder / "d.md")
    os.mkfifo(folder / "skipped.bin")                        # not a name a folder import reads
    (folder / "e.ann").write_text("T1\tX 0 1\tx\n", encoding="utf-8")
    os.mkfifo(folder / "e.txt")                              # the text of a brat pair
    report = import_paths(store, [folder])
    assert [str(p) for p in report.problems] == [
        f"{folder}/b.txt: is a FIFO (named pipe), not a regular file; skipped",
        f"{folder}/c.html: is a symbolic link to a character device (/dev/urandom), not a "
        "regular file; skipped",
        f"{folder}/d.md: is a symbolic link to nowhere.md, which does not exist; skipped",
        f"{folder}/e.txt: cannot read the text of this brat document: is a FIFO (named pipe), "
        "not a regular file"]
    assert texts_in(project) == ["Article A."]


@pytest.mark.parametrize("fmt", ["txt", "jsonl", "csv", "html", "doccano", "spacy", "brat"])
def test_a_fifo_with_any_format_is_refused_at_once(store, project, tmp_path, fmt):
    os.mkfifo(tmp_path / "feed")
    report = import_paths(store, [tmp_path / "feed"], fmt=fmt)
    assert [str(p) for p in report.problems] == [
        f"{tmp_path}/feed: is a FIFO (named pipe), not a regular file"]
    assert docs_in(project) == []


def test_a_block_device_is_named(store, project):
    import stat
    devices = [os.path.join("/dev", n) for n in sorted(os.listdir("/dev"))]
    block = next((d for d in devices if stat.S_ISBLK(os.lstat(d).st_mode)), None)
    if block is None:
        pytest.skip("no block device in /dev here")
    report = import_paths(store, [block], fmt="txt")
    assert [str(p) for p in report.problems] == [f"{block}: is a block device, not a regular file"]


def test_cli_reports_special_files_and_imports_the_rest(tmp_path, capsys):
    os.mkfifo(tmp_path / "pipe.jsonl")
    os.symlink("/dev/zero", tmp_path / "zero.spacy")
    (tmp_path / "ok.jsonl").write_text('{"text": "Kept."}\n{"text": "x", "meta": %s}\n' % DEEP,
                                       encoding="utf-8")
    project = tmp_path / "p.annotator"
    rc = cli.main(["import", str(project), str(tmp_path / "pipe.jsonl"), str(tmp_path / "zero.spacy"),
                   str(tmp_path / "ok.jsonl")])
    out, err = capsys.readouterr()
    assert rc == 0 and out == "1 added, 3 rejected\n"
    assert err.splitlines()[1:] == [
        f"warning: {tmp_path}/pipe.jsonl: is a FIFO (named pipe), not a regular file",
        f"warning: {tmp_path}/zero.spacy: is a symbolic link to a character device (/dev/zero), "
        "not a regular file",
        f"warning: {tmp_path}/ok.jsonl:2: {NESTING}"]
    assert texts_in(project) == ["Kept."]


def test_cli_notes_and_summary_stay_one_line_each(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    _raw_file(folder, b"n\xe9w\x1b[2J.jsonl",
              b'{"text": "Kim met Putin.", "spans": [{"start": 0, "end": 3, "label": "WEAPONX"}]}\n')
    path = os.fsdecode(os.fsencode(folder) + b"/n\xe9w\x1b[2J.jsonl")
    project = tmp_path / "p.annotator"
    assert cli.main(["import", str(project), path]) == 0
    out, err = capsys.readouterr()
    assert out == "1 added, new labels: WEAPONX\n"
    assert err.splitlines()[1:] == [
        f"note: label WEAPONX added to the label set (first: {folder}/n\\xe9w\\x1b[2J.jsonl:1, "
        "span 0-3 'Kim')"]
    assert spans_in(project) == [("Kim met Putin.", 0, 3, "WEAPONX")]


def test_a_path_holding_nul_is_refused(store, project):
    report = import_paths(store, ["bad\x00name.txt"])
    assert [str(p) for p in report.problems] == [
        "bad\\x00name.txt: is not a file name (it holds a NUL character)"]


def test_pasted_text_follows_the_same_rule(store, project):
    from models.importer import import_text
    report = import_text(store, "half \ud83d a pair", "Pasted")
    assert [str(p) for p in report.problems] == [
        "pasted text: the text holds a lone surrogate (\\ud83d at character 5): not a character, "
        "and UTF-8 cannot hold it"]
    assert import_text(store, "A whole \U0001F600.", "Pasted").problems == []
    assert docs_in(project) == [("A whole \U0001F600.", "Pasted", '{"source": "pasted"}', "new")]


def test_a_meta_or_answer_of_the_wrong_kind_is_said_not_dropped_silently(tmp_path):
    from models.formats.errors import collect
    from models.formats.jsonl import iter_jsonl
    import io
    data = (b'{"text": "a b", "meta": "x"}\n{"text": "c d", "meta": [1], "answer": 5}\n'
            b'{"text": "e f", "answer": "accept", "meta": null}\n')
    docs, problems = collect(iter_jsonl(io.BytesIO(data), "f.jsonl"))
    assert [str(p) for p in problems] == [
        "f.jsonl:1: 'meta' must be an object, found str 'x'; meta left out",
        "f.jsonl:2: 'meta' must be an object, found list [1]; meta left out",
        "f.jsonl:2: 'answer' must be accept, reject or ignore, found 5; read as no answer"]
    assert [(d["text"], d["meta"], d["status"]) for d in docs] == [
        ("a b", {}, None), ("c d", {}, None), ("e f", {}, "done")]
    assert not any(p.rejected for p in problems)
