"""The headless commands, run in-process through models.cli.main and once as the real script."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from models import cli
from models.edits import ReplaceSpans, SetStatus
from models.spans import Span
from models.store import Store
from models.team import default_annotator

from .helpers import MODEL, MODEL_SOURCE, journal_rows, query, span_rows

SCRIPT = Path(sys.executable).parent / "article-annotator"

A_TEXT = "Kim met Putin in Moscow."
B_LINE = {"text": "Seoul 😀 talks.", "answer": "accept", "title": "Talks",
          "spans": [{"start": 0, "end": 5, "label": "GPE"}]}

EXPECTED_A = {
    "text": "Kim met Putin in Moscow.",
    "meta": {"source": "a.txt", "doc_id": 1, "title": "Kim met Putin in Moscow.", "status": "new"},
    "_input_hash": -1411209316,
    "tokens": [
        {"text": "Kim", "start": 0, "end": 3, "id": 0, "ws": True},
        {"text": "met", "start": 4, "end": 7, "id": 1, "ws": True},
        {"text": "Putin", "start": 8, "end": 13, "id": 2, "ws": True},
        {"text": "in", "start": 14, "end": 16, "id": 3, "ws": True},
        {"text": "Moscow", "start": 17, "end": 23, "id": 4, "ws": False},
        {"text": ".", "start": 23, "end": 24, "id": 5, "ws": False},
    ],
    "spans": [],
    "answer": "ignore",          # not done: never taken for a finished annotation
    "_task_hash": 142946427,
}
EXPECTED_B = {
    "text": "Seoul 😀 talks.",
    "meta": {"doc_id": 2, "title": "Talks", "status": "done"},
    "_input_hash": -1877290982,
    "tokens": [
        {"text": "Seoul", "start": 0, "end": 5, "id": 0, "ws": True},
        {"text": "😀", "start": 6, "end": 7, "id": 1, "ws": True},
        {"text": "talks", "start": 8, "end": 13, "id": 2, "ws": False},
        {"text": ".", "start": 13, "end": 14, "id": 3, "ws": False},
    ],
    "spans": [{"start": 0, "end": 5, "label": "GPE", "token_start": 0, "token_end": 0}],
    "answer": "accept",
    "_task_hash": 1130821259,
}

ARTICLE = ("North Korea's foreign minister Choe Son Hui met Russian President Vladimir Putin in "
           "Moscow on Monday, the state news agency KCNA said.")
DONE_TEXT = "Samsung opened a factory in Texas in 2023."
BUSY_TEXT = "Apple hired engineers in California last year."
SKIP_TEXT = "Toyota recalled cars in Japan on Friday."


@pytest.fixture
def sources(tmp_path):
    a = tmp_path / "a.txt"
    a.write_text(A_TEXT, encoding="utf-8")
    b = tmp_path / "b.jsonl"
    b.write_text(json.dumps(B_LINE, ensure_ascii=False) + "\n", encoding="utf-8")
    return a, b


def run(capsys, *argv) -> tuple[int, str, str]:
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def read_lines(path: Path) -> list[dict]:
    data = path.read_bytes()
    assert b"\r" not in data and data.endswith(b"\n")
    return [json.loads(line) for line in data.decode("utf-8").split("\n")[:-1]]


# -- import / export ----------------------------------------------------------------------------

def test_import_then_export_all_gives_exact_lines(capsys, tmp_path, sources, project):
    rc, out, err = run(capsys, "import", project, *sources)
    assert rc == 0 and out == "2 added\n"
    assert "creating project" in err
    assert query(project, "SELECT id, text, status FROM documents JOIN texts ON doc_id = id ORDER BY id") == [
        (1, A_TEXT, "new"), (2, B_LINE["text"], "done")]

    out_path = tmp_path / "export" / "all.jsonl"
    out_path.parent.mkdir()
    rc, out, err = run(capsys, "export", project, out_path, "--all")
    assert rc == 0 and err == "2 documents exported\n"
    assert read_lines(out_path) == [EXPECTED_A, EXPECTED_B]
    assert "😀".encode("utf-8") in out_path.read_bytes()            # raw UTF-8, not \ud83d escapes
    assert sorted(p.name for p in out_path.parent.iterdir()) == ["all.jsonl"]   # no .part left


def test_export_without_all_writes_only_done_documents(capsys, tmp_path, sources, project):
    run(capsys, "import", project, *sources)
    out_path = tmp_path / "done.jsonl"
    rc, _, err = run(capsys, "export", project, out_path)
    assert rc == 0 and err == "1 document exported\n"
    assert read_lines(out_path) == [EXPECTED_B]
    s = Store(project)
    s.apply(SetStatus(1, "new", "done"))
    s.close()
    run(capsys, "export", project, out_path)
    who = default_annotator()           # a person marked it done: who, as Prodigy says it
    done_a = {**EXPECTED_A, "meta": {**EXPECTED_A["meta"], "status": "done", "annotator": who},
              "answer": "accept", "_annotator_id": f"{project.stem}-{who}",
              "_session_id": f"{project.stem}-{who}"}
    assert read_lines(out_path) == [done_a, EXPECTED_B]


def test_export_to_standard_output(capsys, sources, project):
    run(capsys, "import", project, *sources)
    rc, out, err = run(capsys, "export", project, "-")
    assert rc == 0 and [json.loads(x) for x in out.splitlines()] == [EXPECTED_B]


def test_a_failed_export_keeps_the_old_file_and_leaves_no_part(capsys, tmp_path, sources, project, monkeypatch):
    run(capsys, "import", project, *sources)
    out_path = tmp_path / "out.jsonl"
    out_path.write_text("previous export\n", encoding="utf-8")
    from models.formats import prodigy as jsonl
    real, calls = jsonl._task_and_text, []

    def failing(doc, spans, *rest):
        calls.append(doc.id)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return real(doc, spans, *rest)

    monkeypatch.setattr(jsonl, "_task_and_text", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        cli.main(["export", str(project), str(out_path), "--all"])
    assert calls == [1, 2]
    assert out_path.read_text("utf-8") == "previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("out")) == ["out.jsonl"]


def test_import_with_only_problems_fails_and_names_the_files(capsys, tmp_path, project):
    bad = tmp_path / "latin.txt"
    bad.write_bytes("Caf\u00e9".encode("latin-1"))
    rc, out, err = run(capsys, "import", project, bad, tmp_path / "missing.txt")
    assert rc == 1
    assert out == "0 added, 2 rejected\n"
    assert f"warning: {bad}:1: not UTF-8" in err
    assert f"warning: {tmp_path / 'missing.txt'}: no such file" in err


def test_import_with_some_problems_succeeds(capsys, tmp_path, sources, project):
    bad = tmp_path / "x.docx"
    bad.write_bytes(b"PK")
    rc, out, err = run(capsys, "import", project, sources[0], bad)
    assert rc == 0 and out == "1 added, 1 rejected\n" and "unknown file type '.docx'" in err


def test_a_file_that_is_not_a_project_is_an_error(capsys, tmp_path):
    notes = tmp_path / "notes.annot"
    notes.write_bytes(b"just some notes " * 20)
    with pytest.raises(SystemExit) as e:
        cli.main(["export", str(notes), str(tmp_path / "o.jsonl")])
    assert str(e.value).startswith("error: ") and "not a project file" in str(e.value)
    assert not (tmp_path / "o.jsonl").exists()


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["frobnicate"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        cli.main(["import", "p.annot"])          # no sources
    assert e.value.code == 2


# -- preannotate with the real pipeline ---------------------------------------------------------

@pytest.fixture
def mixed_project(project):
    """A new article, a done one, one a person has started on, and a skipped one."""
    s = Store(project)
    (new, done, busy, skipped), _ = s.add_documents([
        {"text": ARTICLE}, {"text": DONE_TEXT, "status": "done"}, {"text": BUSY_TEXT},
        {"text": SKIP_TEXT, "status": "skipped"}])
    s.apply(ReplaceSpans(busy, (), (Span(0, 5, "PERSON"),)))          # a person's (wrong) label
    s.close()
    return project, new, done, busy, skipped


def test_preannotate_adds_model_spans_once_and_touches_nothing_else(capsys, loaded, pipeline, mixed_project):
    project, new, done, busy, skipped = mixed_project
    expected = [(s, e, label, MODEL_SOURCE) for s, e, label in next(pipeline.predict([ARTICLE]))]
    assert len(expected) >= 5

    rc, out, _ = run(capsys, "preannotate", project, "--model", MODEL)
    assert rc == 0 and loaded == [MODEL]
    assert out == f"1 documents pre-annotated with {MODEL_SOURCE}: {len(expected)} spans\n"
    rows = span_rows(project, new)
    assert rows == expected
    found = {(ARTICLE[s:e], label) for s, e, label, _ in rows}
    assert {("Vladimir Putin", "PERSON"), ("Moscow", "GPE"), ("Monday", "DATE")} <= found
    assert query(project, "SELECT id, status, preannotated FROM documents ORDER BY id") == [
        (new, "new", MODEL_SOURCE), (done, "done", None), (busy, "in progress", None),
        (skipped, "skipped", None)]
    assert span_rows(project, done) == [] and span_rows(project, skipped) == []
    assert span_rows(project, busy) == [(0, 5, "PERSON", "manual")]
    entries = journal_rows(project, new)
    assert len(entries) == 1 and json.loads(entries[0][2])["type"] == "spans"

    # Again: resumes, finds nothing to do, changes nothing.
    before = (query(project, "SELECT * FROM spans ORDER BY id"), journal_rows(project))
    rc, out, _ = run(capsys, "preannotate", project, "--model", MODEL)
    assert rc == 0 and out == f"0 documents pre-annotated with {MODEL_SOURCE}: 0 spans\n"
    assert (query(project, "SELECT * FROM spans ORDER BY id"), journal_rows(project)) == before


def test_preannotate_does_not_bring_back_what_a_person_deleted(capsys, loaded, mixed_project):
    project, new, *_ = mixed_project
    run(capsys, "preannotate", project, "--model", MODEL)
    s = Store(project)
    for span in s.spans(new):
        s.apply(ReplaceSpans(new, (span,), ()))
    s.close()
    run(capsys, "preannotate", project, "--model", MODEL)
    assert span_rows(project, new) == []


def test_preannotate_uses_the_projects_model_setting(capsys, loaded, project):
    s = Store(project)
    s.add_documents([{"text": ARTICLE}])
    s.set_setting("model", MODEL)
    s.close()
    rc, _, _ = run(capsys, "preannotate", project)
    assert rc == 0 and loaded == [MODEL]


def test_preannotate_with_a_missing_model_is_an_error(capsys, project):
    Store(project).close()
    with pytest.raises(SystemExit) as e:
        cli.main(["preannotate", str(project), "--model", "no_such_pipeline_xyz"])
    assert "error: cannot load spaCy pipeline 'no_such_pipeline_xyz'" in str(e.value)


# -- the installed console script, as a user runs it ---------------------------------------------

def test_console_script_import_preannotate_export(tmp_path, sources):
    assert SCRIPT.exists()
    project = tmp_path / "p.annot"
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    out_path = tmp_path / "out.jsonl"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}

    def script(*args):
        return subprocess.run([str(SCRIPT), *map(str, args)], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=120)

    r = script("import", project, *sources, article)
    assert (r.returncode, r.stdout) == (0, "3 added\n"), r.stderr
    r = script("preannotate", project)                       # default: the installed pipeline
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"2 documents pre-annotated with {MODEL_SOURCE}: ")
    r = script("export", project, out_path, "--all")
    assert (r.returncode, r.stderr) == (0, "3 documents exported\n")

    tasks = read_lines(out_path)
    assert [t["text"] for t in tasks] == [A_TEXT, B_LINE["text"], ARTICLE]
    assert tasks[1] == EXPECTED_B                              # done: the model left it alone
    model_rows = query(project, "SELECT doc_id, start, end, label FROM spans WHERE source = ? "
                                "ORDER BY doc_id, start", [MODEL_SOURCE])
    assert {r[0] for r in model_rows} <= {1, 3} and any(r[0] == 3 for r in model_rows)
    for task in (tasks[0], tasks[2]):
        doc_id = task["meta"]["doc_id"]
        assert [(s["start"], s["end"], s["label"]) for s in task["spans"]] == [
            r[1:] for r in model_rows if r[0] == doc_id]
        for s in task["spans"]:
            toks = task["tokens"]
            assert toks[s["token_start"]]["start"] == s["start"] and toks[s["token_end"]]["end"] == s["end"]
    assert not list(tmp_path.glob("*.part"))


def test_export_and_preannotate_refuse_a_missing_project(tmp_path):
    missing = tmp_path / "typo.annotator"
    for argv in (["export", str(missing), str(tmp_path / "o.jsonl")], ["preannotate", str(missing)]):
        with pytest.raises(SystemExit) as e:
            cli.main(argv)
        assert f"no project file {missing}" in str(e.value)
    assert not missing.exists()


def test_export_without_tokens_from_the_command_line(capsys, tmp_path, sources, project):
    run(capsys, "import", project, *sources)
    out = tmp_path / "bare.jsonl"
    rc, _, err = run(capsys, "export", project, str(out), "--all", "--no-tokens")
    tasks = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert rc == 0 and tasks and all("tokens" not in t for t in tasks)
    with pytest.raises(SystemExit):
        cli.main(["export", str(project), str(tmp_path / "s"), "--format", "spacy", "--no-tokens"])
    assert "--no-tokens applies to --format jsonl, not spacy" in capsys.readouterr().err


def test_export_reads_a_project_it_cannot_write_and_says_so(capsys, tmp_path, sources, project, monkeypatch):
    run(capsys, "import", project, *sources)
    from models import store as store_module
    real = store_module.Store

    def nowhere_to_write(path, *, readonly=False, **kw):
        if not readonly:
            raise store_module.ReadOnlyLocation(f"{path} cannot be written where it is")
        return real(path, readonly=True, **kw)
    monkeypatch.setattr(store_module, "Store", nowhere_to_write)
    before = Path(project).read_bytes()
    rc, _, err = run(capsys, "export", project, str(tmp_path / "o.jsonl"), "--all")
    assert rc == 0 and "reading it read-only" in err and (tmp_path / "o.jsonl").exists()
    assert Path(project).read_bytes() == before
    with pytest.raises(SystemExit, match="cannot be written where it is"):
        cli.main(["preannotate", str(project)])          # a command that writes is refused


def test_an_old_project_is_upgraded_with_a_note_naming_the_copy(capsys, tmp_path):
    import shutil
    old = tmp_path / "old.annotator"
    shutil.copy(Path(__file__).parents[1] / "data" / "schema1.annotator", old)
    rc, _, err = run(capsys, "export", str(old), str(tmp_path / "o.jsonl"), "--all")
    assert rc == 0 and f"note: upgraded {old} from schema 1; the file as it was is kept as " in err
    assert (tmp_path / "old.schema1-backup.annotator").exists()
