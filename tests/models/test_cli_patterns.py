"""``preannotate --patterns FILE [--patterns-only] [--model-wins]``: exit codes, the bad lines
on stderr (file, line, reason), the rows in the real file."""
from __future__ import annotations

import pytest

from models import cli, ner
from models.store import Store

from .helpers import MODEL, MODEL_SOURCE, query, span_rows

ARTICLE = ("North Korea's foreign minister Choe Son Hui met Russian President Vladimir Putin in "
           "Moscow on Monday, the state news agency KCNA said.")
LINES = ['{"label": "GPE", "pattern": "North Korea", "id": "Q423"}',
         "not json",
         '{"label": "PERSON", "pattern": [{"LOWER": "choe"}, {"LOWER": "son"}, {"LOWER": "hui"}]}',
         '{"label": "ORG", "pattern": [{"LOWR": "kcna"}]}',
         '{"label": "ORG", "pattern": [{"TEXT": {"REGEX": "KCN("}}]}']


def at(words, label, source="patterns:names.jsonl"):
    i = ARTICLE.index(words)
    return (i, i + len(words), label, source)


@pytest.fixture
def files(tmp_path, project):
    s = Store(project)
    ids, _ = s.add_documents([{"text": ARTICLE}, {"text": "Seoul is quiet.", "status": "done"}])
    s.close()
    path = tmp_path / "names.jsonl"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    return project, path, ids


def run(capsys, *argv):
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def bad_lines(path):
    return [f"warning: {path}, line 2: not JSON: Expecting value: line 1 column 1 (char 0)",
            f"warning: {path}, line 4: token 1: unknown token attribute LOWR",
            f"warning: {path}, line 5: token 1: invalid regular expression: missing ), unterminated "
            "subpattern at position 3"]


def test_patterns_only_reports_bad_lines_and_uses_the_rest(capsys, files, monkeypatch):
    project, path, (doc, done) = files
    monkeypatch.setattr(ner, "load", lambda name=None: pytest.fail("no model with --patterns-only"))
    rc, out, err = run(capsys, "preannotate", project, "--patterns", path, "--patterns-only")
    assert rc == 0
    assert err.splitlines() == bad_lines(path)
    assert out == "1 documents pre-annotated with patterns:names.jsonl (patterns alone): 2 spans\n"
    assert span_rows(project, doc) == [at("North Korea", "GPE"), at("Choe Son Hui", "PERSON")]
    assert span_rows(project, done) == []
    assert query(project, "SELECT id, name, kb_id FROM entities") == [(1, "North Korea", "Q423")]
    assert query(project, "SELECT entity FROM spans WHERE doc_id = ? ORDER BY start", [doc]) == [(1,), (None,)]
    # Again: nothing left to do, nothing changes.
    before = query(project, "SELECT * FROM spans ORDER BY id")
    rc, out, _ = run(capsys, "preannotate", project, "--patterns", path, "--patterns-only")
    assert rc == 0 and out.startswith("0 documents") and query(project, "SELECT * FROM spans ORDER BY id") == before


@pytest.mark.parametrize("flags,mine,models", [
    ((), [at("North Korea", "GPE"), at("Choe Son Hui", "PERSON")], []),
    (("--model-wins",), [], [at("North Korea's", "GPE", MODEL_SOURCE), at("Choe Son", "PERSON", MODEL_SOURCE)]),
])
def test_with_the_model_patterns_win_by_default_or_the_model_wins(capsys, loaded, files, flags, mine, models):
    project, path, (doc, _) = files
    rc, out, err = run(capsys, "preannotate", project, "--patterns", path, "--model", MODEL, *flags)
    how = "the model wins over patterns" if flags else "patterns win over the model"
    assert rc == 0 and loaded == [MODEL] and err.splitlines() == bad_lines(path)
    assert out.startswith(f"1 documents pre-annotated with patterns:names.jsonl ({how}, {MODEL_SOURCE}): ")
    rows = span_rows(project, doc)
    assert all(r in rows for r in mine + models) and at("Moscow", "GPE", MODEL_SOURCE) in rows
    assert {r[3] for r in rows} == ({"patterns:names.jsonl", MODEL_SOURCE} if mine else {MODEL_SOURCE})
    assert query(project, "SELECT preannotated FROM documents WHERE id = ?", [doc])[0][0].startswith(
        f"{MODEL_SOURCE}\npatterns:names.jsonl#")


def test_a_file_with_no_valid_pattern_is_an_error_and_nothing_is_written(capsys, files, tmp_path):
    project, _, (doc, _) = files
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"label": "ORG"}\n[]\n', encoding="utf-8")
    with pytest.raises(SystemExit) as e:
        cli.main(["preannotate", str(project), "--patterns", str(bad), "--patterns-only"])
    assert str(e.value) == "error: bad.jsonl: no valid pattern (2 bad lines)"
    assert capsys.readouterr().err.splitlines() == [
        f"warning: {bad}, line 1: no pattern",
        f'warning: {bad}, line 2: not a JSON object but list: a pattern is {{"label": "ORG", "pattern": "Acme Corp"}}']
    with pytest.raises(SystemExit) as e:
        cli.main(["preannotate", str(project), "--patterns", str(tmp_path / "none.jsonl"), "--patterns-only"])
    assert str(e.value).startswith("error: none.jsonl: cannot be read")
    assert span_rows(project, doc) == [] and query(project, "SELECT count(*) FROM journal") == [(0,)]


@pytest.mark.parametrize("argv,message", [
    (["--patterns-only"], "error: --patterns-only and --model-wins go with --patterns FILE"),
    (["--patterns", "x.jsonl", "--patterns-only", "--model-wins"], "error: --patterns-only runs no model"),
    (["--patterns", "x.jsonl", "--force"], "error: --force re-runs the model alone"),
])
def test_flags_that_do_not_go_together_are_refused(project, argv, message):
    Store(project).close()
    with pytest.raises(SystemExit) as e:
        cli.main(["preannotate", str(project), *argv])
    assert str(e.value).startswith(message)


def test_the_installed_script_says_the_bad_lines_and_exits_0(files):
    import subprocess
    import sys
    from pathlib import Path
    project, path, (doc, _) = files
    script = Path(sys.executable).parent / "article-annotator"
    r = subprocess.run([str(script), "preannotate", str(project), "--patterns", str(path), "--patterns-only"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines() == bad_lines(path)
    assert span_rows(project, doc) == [at("North Korea", "GPE"), at("Choe Son Hui", "PERSON")]


def test_ctrl_c_stops_after_the_batch_and_a_second_run_resumes(capsys, files, monkeypatch):
    import signal
    from models import ruler
    project, path, (doc, _) = files
    s = Store(project)
    more, _ = s.add_documents([{"text": f"{i}. {ARTICLE}"} for i in range(3)])
    s.close()
    real, calls = ruler.RulerRun.predict, []

    def predict(self, texts, batch_size=32):
        calls.append(len(texts))
        if len(calls) == 1:
            signal.raise_signal(signal.SIGINT)       # pressed while the first batch runs
        return real(self, texts, batch_size)
    monkeypatch.setattr(ruler.RulerRun, "predict", predict)
    rc, out, err = run(capsys, "preannotate", project, "--patterns", path, "--patterns-only",
                       "--batch-size", "2")
    assert rc == 130 and calls == [2] and "stopping after the current batch" in err
    assert out == ("2 documents pre-annotated with patterns:names.jsonl (patterns alone): 4 spans "
                   "(stopped: 2 left; run again to resume)\n")
    assert span_rows(project, more[0]) and not span_rows(project, more[1])
    rc, out, _ = run(capsys, "preannotate", project, "--patterns", path, "--patterns-only")
    assert rc == 0 and out.startswith("2 documents pre-annotated") and calls == [2, 2]
    assert all(len(span_rows(project, d)) == 2 for d in [doc, *more])
