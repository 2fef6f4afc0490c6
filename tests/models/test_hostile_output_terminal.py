"""What the command line prints cannot be forged by the data it prints: titles, span texts,
file names and paths with line breaks, escape sequences or bidi overrides come out escaped,
one line each; a reader that closes standard output early ends the command with one line on
stderr, no traceback and no "Exception ignored"; a damaged project is one line too."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from models import cli
from models.display import has_unsafe
from models.exporter import ExportError, export
from models.formats.prodigy import InvalidTask, write_jsonl
from models.spans import Span
from models.store import Store

ROOT = Path(__file__).parents[2]
SCRIPT = Path(sys.executable).parent / "article-annotator"
EVIL = "evil\x1b[2J\nwarning: forged"
TEXT = "Kim Jong Un met Putin in Moscow on Monday."


def run(capsys, *argv) -> tuple[int, str, str]:
    rc = cli.main([os.fsdecode(a) if isinstance(a, bytes) else str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def safe_lines(text: str) -> list[str]:
    """The lines of ``text``, each checked to hold no raw control, bidi or surrogate."""
    lines = text.split("\n")
    assert lines[-1] == ""
    for line in lines[:-1]:
        assert not has_unsafe(line), line
    return lines[:-1]


@pytest.fixture
def big(tmp_path) -> Path:
    """A project whose export is far more than a pipe holds (64 KiB)."""
    path = tmp_path / "big.annotator"
    store = Store(path)
    store.add_documents([{"text": f"{TEXT} " * 20 + str(i), "title": f"T{i}", "status": "done",
                          "spans": [Span(0, 11, "PERSON")]} for i in range(200)])
    store.close()
    return path


# -- a closed standard output --------------------------------------------------------------------

BROKEN = b"error: not exported: the reader of standard output closed it before the end (broken pipe)\n"


@pytest.mark.parametrize("command", [[sys.executable, "-m", "models.cli"], [str(SCRIPT)]])
def test_export_into_a_pipe_closed_early_is_one_line(big, command):
    """``article-annotator export P - | head -c 100``, as a real pipeline."""
    shell = subprocess.run(["bash", "-c", 'set -o pipefail; "$@" export "$P" - | head -c 100 '
                            '>/dev/null', "sh", *command], env={**os.environ, "P": str(big)},
                           cwd=ROOT, capture_output=True, stdin=subprocess.DEVNULL)
    assert shell.stderr == BROKEN and shell.returncode == 1     # the exporter's code (pipefail)


def test_dev_stdout_into_a_pipe_closed_early_is_one_line(big):
    shell = subprocess.run(["bash", "-c", f'set -o pipefail; "{sys.executable}" -m models.cli '
                            f'export "$P" /dev/stdout | head -c 100 >/dev/null'],
                           env={**os.environ, "P": str(big)}, cwd=ROOT, capture_output=True)
    assert shell.returncode == 1 and shell.stderr == (
        b"error: not exported: the reader of /dev/stdout (a pipe) closed it before the end "
        b"(broken pipe)\n")


def test_export_into_a_pipe_read_then_closed(big):
    p = subprocess.Popen([sys.executable, "-m", "models.cli", "export", str(big), "-"], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = p.stdout.read(100)
    p.stdout.close()
    err = p.stderr.read()
    assert p.wait(60) == 1
    assert first.startswith(b'{"text": "Kim Jong Un') and err == BROKEN
    assert b"Traceback" not in err and b"Exception ignored" not in err


def test_a_summary_into_a_closed_pipe_is_one_line_and_the_import_is_kept(tmp_path):
    source = tmp_path / "a.txt"
    source.write_text(TEXT, encoding="utf-8")
    project = tmp_path / "p.annotator"
    p = subprocess.Popen([sys.executable, "-m", "models.cli", "import", str(project), str(source)],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()                    # closed before the command writes its summary
    err = p.stderr.read()
    assert p.wait(60) == 1
    assert err == (f"creating project {project}\n".encode() +
                   b"error: the reader of standard output closed it before the end (broken pipe)\n")
    con = sqlite3.connect(project)
    assert con.execute("SELECT text FROM texts").fetchall() == [(TEXT,)]
    con.close()


def test_standard_output_is_utf8_whatever_the_locale(big, tmp_path):
    """The same bytes as a file export, even where the locale's encoding cannot hold them."""
    store = Store(big)
    store.add_documents([{"text": "Seoul 😀 \u202e talks", "status": "done"}])
    store.close()
    file = tmp_path / "file.jsonl"
    export(big, file)
    done = subprocess.run([sys.executable, "-m", "models.cli", "export", str(big), "-"], cwd=ROOT,
                          capture_output=True, env={**os.environ, "PYTHONIOENCODING": "latin-1"})
    assert done.returncode == 0 and done.stdout == file.read_bytes()


# -- data in the lines printed ---------------------------------------------------------------------

def test_a_hostile_title_and_span_text_print_as_one_escaped_line(capsys, tmp_path):
    project = tmp_path / "p.annotator"
    store = Store(project)
    store.add_documents([{"text": "Kim met \x1b[31m\u202ePutin in Moscow.", "title": EVIL,
                          "status": "done", "spans": [Span(4, 6, "PERSON")]}])
    store.close()
    rc, out, err = run(capsys, "export", project, tmp_path / "out", "--format", "spacy")
    assert (rc, out) == (1, "")
    assert safe_lines(err) == [
        "  document 1 ('evil\\x1b[2J\\nwarning: forged'): 4-6 PERSON 'me': does not line up with "
        "spaCy's tokens",
        "error: 1 span does not line up with spaCy's tokens; nothing was written. Correct them, "
        "or export with --snap expand|contract"]
    rc, out, err = run(capsys, "export", project, tmp_path / "out", "--format", "spacy", "--snap",
                       "expand")
    assert rc == 0 and safe_lines(err) == [
        "changed: document 1 ('evil\\x1b[2J\\nwarning: forged'): 4-6 PERSON 'me': does not line "
        "up with spaCy's tokens; --snap expand: now 4-7 'met'",
        "1 document exported (1 train, 0 dev, 1 entities; 1 spans changed (see the list))"]


def test_hostile_file_names_print_escaped(capsys, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a\nwarning: forged\x1b[2J.txt", "b\r\x1b[1A\x1b[K.txt", "c\u202etxt.exe.txt",
                 "d\u2028e.txt"):
        (folder / name).write_bytes(b"")
    os.close(os.open(os.fsencode(folder) + b"/e\xe9\x9b.txt", os.O_CREAT | os.O_WRONLY))
    line = {"text": TEXT, "title": EVIL, "spans": [{"start": 0, "end": 11, "label": "WEAPON"}]}
    jsonl = tmp_path / "x\x1b]0;title\x07.jsonl"
    jsonl.write_text(json.dumps(line) + "\n", encoding="utf-8")
    project = tmp_path / "p.annotator"
    rc, out, err = run(capsys, "import", project, folder, jsonl)
    assert rc == 0 and safe_lines(out) == ["1 added, 5 rejected, new labels: WEAPON"]
    assert safe_lines(err) == [
        f"creating project {project}",
        f"warning: {folder}/a\\x0awarning: forged\\x1b[2J.txt: file is empty",
        f"warning: {folder}/b\\x0d\\x1b[1A\\x1b[K.txt: file is empty",
        f"warning: {folder}/c\\u202etxt.exe.txt: file is empty",
        f"warning: {folder}/d\\u2028e.txt: file is empty",
        f"warning: {folder}/e\\xe9\\x9b.txt: file is empty",
        f"note: label WEAPON added to the label set (first: {tmp_path}/x\\x1b]0;title\\x07.jsonl:1, "
        "span 0-11 'Kim Jong Un')"]


@pytest.mark.parametrize("argv,expected", [
    (["export", "{t}/no\x1b[2J\nproject.annotator", "{t}/o.jsonl"],
     "error: no project file {t}/no\\x1b[2J\\x0aproject.annotator"),
    (["export", "{t}/p.annotator", "{t}/no\u202e\nfolder/o.jsonl"],
     "error: not exported: the folder {t}/no\\u202e\\x0afolder does not exist"),
    (["export", "{t}/p.annotator", "{t}/p.annotator", "--format", "labels"],
     "error: not exported: {t}/p.annotator is the project file p.annotator, which is open; "
     "choose another name"),
])
def test_paths_in_error_messages_print_escaped(capsys, tmp_path, argv, expected):
    Store(tmp_path / "p.annotator").close()
    argv = [a.format(t=tmp_path) for a in argv]
    try:
        rc, out, err = run(capsys, *argv)
    except SystemExit as e:             # refused before anything runs: Python prints it
        rc, err = 1, f"{e.code}\n"
    assert rc == 1 and safe_lines(err) == [expected.format(t=tmp_path)]


def test_an_argument_in_a_usage_error_prints_escaped(capsys, tmp_path):
    with pytest.raises(SystemExit) as e:
        cli.main(["export", str(tmp_path / "p"), "o", "--format", "x\x1b[2J\nforged"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert safe_lines(err)[-1] == ("article-annotator export: error: argument --format: invalid "
                                   "choice: 'x\\x1b[2J\\nforged' (choose from 'jsonl', 'spacy', "
                                   "'conll', 'doccano', 'labelstudio', 'brat', 'labels', "
                                   "'patterns', 'entities')")


def test_the_train_score_table_prints_label_names_escaped():
    from models.train_cli import _score_lines
    lines = _score_lines({"per_label": {"A\x1b[2J\nB": {"p": 1.0, "r": 0.5, "f": 0.667, "n": 3}},
                          "overall": {"p": 1.0, "r": 0.5, "f": 0.667, "n": 3}})
    assert len(lines) == 3 and lines[1].startswith("A\\x1b[2J\\x0aB  ") and not any(map(has_unsafe, lines))


# -- a damaged project, and a span past its text ---------------------------------------------------

def damaged(tmp_path, sql: str, args=()) -> Path:
    project = tmp_path / "p.annotator"
    store = Store(project)
    store.add_documents([{"text": TEXT, "title": EVIL, "status": "done",
                          "spans": [Span(0, 11, "PERSON")]}])
    store.close()
    con = sqlite3.connect(project)
    con.execute(sql, args)
    con.commit()
    con.close()
    return project


@pytest.mark.parametrize("sql,args,what", [
    ("UPDATE spans SET end = 99", (), "span 0-99 is empty, inverted or past the end of its text"),
    ("UPDATE documents SET meta = '{not json'", (), "its meta is not JSON"),
    ("UPDATE texts SET text = ?", (TEXT.encode(),), "its text is binary data (a BLOB)"),
])
@pytest.mark.parametrize("fmt", ["jsonl", "doccano", "brat", "conll"])
def test_a_damaged_project_stops_the_export_with_one_line(capsys, tmp_path, sql, args, what, fmt):
    project = damaged(tmp_path, sql, args)
    out = tmp_path / "out"
    if fmt == "brat":
        out.mkdir()
        (out / "doc-000001.txt").write_bytes(b"previous")
    else:
        out.write_bytes(b"previous")
    before = {p.name: p.read_bytes() for p in ([out] if out.is_file() else out.iterdir())}
    rc, stdout, err = run(capsys, "export", project, out, "--format", fmt)
    assert (rc, stdout) == (1, "")
    lines = safe_lines(err)
    assert len(lines) == 1 and lines[0].startswith(
        "error: document 1 (evil\\x1b[2J\\x0awarning: forged) in the project file is damaged: ")
    assert what in lines[0]
    assert {p.name: p.read_bytes() for p in ([out] if out.is_file() else out.iterdir())} == before
    assert not list(tmp_path.rglob("*.part"))


def test_the_jsonl_writer_refuses_a_span_past_its_text():
    from models.document import Document
    doc = Document(7, TEXT, EVIL, {}, "done", "h")
    for tokens in (True, False):
        for span in (Span(0, 99, "PERSON"), Span(-1, 3, "PERSON"), Span(5, 5, "PERSON")):
            with pytest.raises(InvalidTask) as e:
                write_jsonl([(doc, [span])], __import__("io").StringIO(), tokens=tokens)
            assert str(e.value) == (f"document 7 ('evil\\x1b[2J\\nwarning: forged'): span "
                                    f"{span.start}-{span.end} PERSON is empty, inverted or outside "
                                    f"its text ({len(TEXT)} characters)")


def test_an_export_refuses_a_span_past_its_text_even_unchecked(tmp_path, monkeypatch):
    """Belt and braces: were a span past the end to reach the writer, nothing is written."""
    from models import exporter
    from models.document import Document
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"previous")
    store = Store(tmp_path / "p.annotator")
    monkeypatch.setattr(exporter, "documents", lambda s, a=False: iter(
        [(Document(1, TEXT, "T", {}, "done", "h"), [Span(0, 11, "PERSON")]),
         (Document(2, TEXT, "T", {}, "done", "h"), [Span(30, 99, "GPE")])]))
    with pytest.raises(ExportError) as e:
        export(store, out, "jsonl")
    store.close()
    assert str(e.value) == (f"not exported: document 2 ('T'): span 30-99 GPE is empty, inverted or "
                            f"outside its text ({len(TEXT)} characters)")
    assert out.read_bytes() == b"previous" and not list(tmp_path.glob("*.part"))


def test_a_closed_stderr_ends_the_command_with_1_not_120(tmp_path):
    """``import P … 2>&1 >file | head -c 0``: the reader of the messages left before the first
    one; the command stops with 1 (a failed flush at exit would make it 120), writing nothing
    on standard output."""
    good = tmp_path / "a.txt"
    good.write_text(TEXT, encoding="utf-8")
    out = tmp_path / "stdout"
    with open(out, "wb") as f:
        p = subprocess.Popen([sys.executable, "-m", "models.cli", "import",
                              str(tmp_path / "p.annotator"), str(good)], cwd=ROOT, stdout=f,
                             stderr=subprocess.PIPE)
        p.stderr.close()
        assert p.wait(60) == 1
    assert out.read_bytes() == b""
