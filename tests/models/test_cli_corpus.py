"""Corpus commands: import with formats and a progress bar, Ctrl+C, preannotate --force/resume."""
from __future__ import annotations

import io
import json
import re
import signal
import sys

import pytest

from models import cli, cli_progress, importer, ner
from models.edits import ReplaceSpans
from models.spans import Span
from models.store import Store

from .helpers import MODEL, MODEL_SOURCE, query, span_rows

ARTICLES = [
    "North Korea's foreign minister Choe Son Hui met Russian President Vladimir Putin in Moscow on Monday.",
    "Samsung opened a factory in Texas in 2023.",
    "Apple hired engineers in California last year.",
    "Toyota recalled cars in Japan on Friday.",
]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def terminal(monkeypatch):
    """Make stderr an 80-column terminal on which the bar redraws on every update.

    Called from the test itself: pytest's capturing sets sys.stderr again when the test starts.
    """
    def install() -> Terminal:
        tty = Terminal()
        monkeypatch.setattr(sys, "stderr", tty)
        monkeypatch.setenv("COLUMNS", "80")
        monkeypatch.setattr(cli_progress, "TTY_INTERVAL", 0.0)
        return tty
    return install


@pytest.fixture
def loaded(monkeypatch, pipeline):
    """models.ner.load returning the session's pipeline (spaCy loads once)."""
    monkeypatch.setattr(ner, "load", lambda name=None: pipeline)
    return pipeline


def jsonl(path, n: int) -> None:
    path.write_text("".join(json.dumps({"text": f"{i}. {ARTICLES[i % 4]}"}) + "\n" for i in range(n)),
                    encoding="utf-8")


def doc_count(project) -> int:
    return query(project, "SELECT count(*) FROM documents")[0][0]


# -- import --------------------------------------------------------------------------------------

def test_import_csv_with_a_text_column_and_a_page_with_a_format(capsys, tmp_path, project):
    table = tmp_path / "wire.csv"
    table.write_text('id,body\n1,"Kim met Putin.\nIn Moscow."\n2,\n', encoding="utf-8", newline="")
    page = tmp_path / "page.saved"
    page.write_text("<html><head><title>Talks</title></head><body><article><p>" + ARTICLES[0] * 2
                    + "</p></article><footer>FOOTER</footer></body></html>", encoding="utf-8")
    rc = cli.main(["import", str(project), str(table), "--text-column", "body"])
    out, err = capsys.readouterr()
    assert rc == 0 and out == "1 added, 1 rejected\n"
    assert f"warning: {table}:4: column 'body' is empty" in err
    rc = cli.main(["import", str(project), str(page), "--format", "html"])
    out, _ = capsys.readouterr()
    assert rc == 0 and out == "1 added\n"
    texts = [r[0] for r in query(project, "SELECT text FROM texts ORDER BY doc_id")]
    assert texts == ["Kim met Putin.\nIn Moscow.", ARTICLES[0] * 2]
    with pytest.raises(SystemExit) as e:
        cli.main(["import", str(project), str(page), "--format", "docx"])
    assert e.value.code == 2


def test_import_a_folder_and_again_only_duplicates(capsys, tmp_path, project):
    root = tmp_path / "corpus"
    (root / "2024" / "06").mkdir(parents=True)
    (root / "2024" / "06" / "b.txt").write_text(ARTICLES[1], encoding="utf-8")
    (root / "a.md").write_text(ARTICLES[0], encoding="utf-8")
    assert cli.main(["import", str(project), str(root)]) == 0
    assert capsys.readouterr().out == "2 added\n"
    assert cli.main(["import", str(project), str(root)]) == 0
    assert capsys.readouterr().out == "0 added, 2 skipped as duplicates\n"
    sources = [json.loads(r[0])["source"] for r in query(project, "SELECT meta FROM documents ORDER BY id")]
    assert sources == ["2024/06/b.txt", "a.md"]


def test_import_progress_bar_on_a_terminal(capsys, terminal, tmp_path, project):
    tty = terminal()
    path = tmp_path / "many.jsonl"
    jsonl(path, 9)
    assert cli.main(["import", str(project), str(path), "--batch-size", "2"]) == 0
    assert capsys.readouterr().out == "9 added\n"
    err = tty.getvalue()
    assert err.startswith(f"creating project {project}\n\r[") and err.endswith("\n")
    frames = err.split("\n")[1].split("\r")[1:]
    assert len(frames) == 5                                  # 4 full batches and the last
    assert all(len(f) == 79 for f in frames)                 # never wraps an 80-column terminal
    assert re.fullmatch(r"\[#{5,}-+\]\s+\d+%  0:\d\d left  many\.jsonl: 2 added *", frames[0])
    assert frames[-1].startswith("[" + "#" * 24 + "] 100%  9 added")
    percents = [int(re.search(r"(\d+)%", f).group(1)) for f in frames]
    assert percents == sorted(percents)


def test_import_progress_as_plain_lines_when_not_a_terminal(capsys, tmp_path, project, monkeypatch):
    monkeypatch.setattr(cli_progress, "PLAIN_INTERVAL", 0.0)
    path = tmp_path / "many.jsonl"
    jsonl(path, 5)
    cli.main(["import", str(project), str(path), "--batch-size", "2"])
    err = capsys.readouterr().err
    assert "\r" not in err
    lines = err.splitlines()[1:]
    assert len(lines) == 3 and re.fullmatch(r"\s*\d+%  0:\d\d left  many\.jsonl: 2 added", lines[0])
    assert lines[-1] == "100%  5 added"


def test_a_short_import_prints_no_progress_lines_into_a_log(capsys, tmp_path, project):
    path = tmp_path / "few.jsonl"
    jsonl(path, 5)
    cli.main(["import", str(project), str(path), "--batch-size", "2"])
    assert capsys.readouterr().err == f"creating project {project}\n"


def test_ctrl_c_stops_an_import_after_the_current_batch(capsys, tmp_path, project, monkeypatch):
    path = tmp_path / "many.jsonl"
    jsonl(path, 20)
    real, batches = importer.import_docs, []

    def import_docs(store, docs, report):
        real(store, docs, report)
        batches.append(len(docs))
        if len(batches) == 2:
            signal.raise_signal(signal.SIGINT)          # the user presses Ctrl+C once

    monkeypatch.setattr(importer, "import_docs", import_docs)
    before = signal.getsignal(signal.SIGINT)
    rc = cli.main(["import", str(project), str(path), "--batch-size", "3"])
    out, err = capsys.readouterr()
    assert rc == cli.INTERRUPTED == 130
    assert out == "6 added (cancelled: the rest was not imported)\n"
    assert "stopping after the current batch" in err
    assert batches == [3, 3] and doc_count(project) == 6
    assert signal.getsignal(signal.SIGINT) is before           # the handler is put back


def test_ctrl_c_twice_rolls_back_the_batch_being_written(capsys, tmp_path, project, monkeypatch):
    path = tmp_path / "many.jsonl"
    jsonl(path, 20)
    real, calls = Store.add_documents, []

    def add_documents(self, docs):
        result = real(self, docs)                        # inside the batch's transaction
        calls.append(len(docs))
        if len(calls) == 2:
            signal.raise_signal(signal.SIGINT)
            signal.raise_signal(signal.SIGINT)           # impatient: stop at once
        return result

    monkeypatch.setattr(Store, "add_documents", add_documents)
    rc = cli.main(["import", str(project), str(path), "--batch-size", "4"])
    out, err = capsys.readouterr()
    assert rc == 130 and out == ""
    assert "interrupted: every batch committed before is kept" in err
    assert calls == [4, 4] and doc_count(project) == 4        # the second batch was rolled back
    assert query(project, "SELECT count(*) FROM texts") == [(4,)]


# -- preannotate ---------------------------------------------------------------------------------

def test_preannotate_progress_shows_rate_and_time_left(capsys, terminal, loaded, project):
    tty = terminal()
    s = Store(project)
    s.add_documents([{"text": t} for t in ARTICLES[:3]])
    s.close()
    rc = cli.main(["preannotate", str(project), "--model", MODEL, "--batch-size", "1"])
    assert rc == 0 and capsys.readouterr().out.startswith(f"3 documents pre-annotated with {MODEL_SOURCE}: ")
    frames = tty.getvalue().rstrip("\n").split("\r")[1:]
    assert len(frames) == 3
    assert re.match(r"\[#{8}-{16}\]\s+33%  0:\d\d left  1/3 documents  [\d.]+ docs/s", frames[0])
    assert frames[-1].startswith("[" + "#" * 24 + "] 100%  3/3 documents")


def test_ctrl_c_stops_preannotation_after_the_batch_and_a_rerun_resumes(capsys, loaded, project, monkeypatch):
    s = Store(project)
    ids, _ = s.add_documents([{"text": t} for t in ARTICLES])
    s.close()
    real, calls = loaded.predict, []

    def predict(texts, batch_size=32):
        calls.append(len(texts))
        if len(calls) == 1:
            signal.raise_signal(signal.SIGINT)      # pressed while the model runs on batch 1
        return real(texts, batch_size=batch_size)

    monkeypatch.setattr(loaded, "predict", predict)
    rc = cli.main(["preannotate", str(project), "--batch-size", "2"])
    out, err = capsys.readouterr()
    assert rc == 130 and calls == [2]
    assert re.fullmatch(rf"2 documents pre-annotated with {MODEL_SOURCE}: \d+ spans "
                        r"\(stopped: 2 left; run again to resume\)\n", out)
    assert "stopping after the current batch" in err
    marks = query(project, "SELECT preannotated FROM documents ORDER BY id")
    assert marks == [(MODEL_SOURCE,), (MODEL_SOURCE,), (None,), (None,)]
    assert span_rows(project, ids[1]) and not span_rows(project, ids[2])   # batch 1 whole

    rc = cli.main(["preannotate", str(project), "--batch-size", "2"])
    out, _ = capsys.readouterr()
    assert rc == 0 and out.startswith(f"2 documents pre-annotated with {MODEL_SOURCE}: ")
    assert calls == [2, 2]
    assert query(project, "SELECT count(*) FROM documents WHERE preannotated IS NULL") == [(0,)]


def test_preannotate_force_keeps_a_persons_span_and_replaces_the_models(capsys, loaded, project):
    s = Store(project)
    (first, second), _ = s.add_documents([{"text": ARTICLES[0]}, {"text": ARTICLES[1]}])
    old = (Span(0, 5, "ORG", "old-model"), Span(6, 11, "ORG", "old-model"))
    s.apply(ReplaceSpans(first, (), old))
    s.apply(ReplaceSpans(second, (), (Span(0, 7, "PERSON"), Span(28, 33, "ORG", "old-model"))))
    s.close()
    expected = [(a, b, label, MODEL_SOURCE) for a, b, label in next(loaded.predict([ARTICLES[0]]))]

    rc = cli.main(["preannotate", str(project)])                # without --force: nothing to do
    assert rc == 0 and capsys.readouterr().out.startswith("0 documents")
    rc = cli.main(["preannotate", str(project), "--force"])
    out, _ = capsys.readouterr()
    assert rc == 0 and out == f"1 documents pre-annotated with {MODEL_SOURCE}: {len(expected)} spans\n"
    assert span_rows(project, first) == expected
    assert span_rows(project, second) == [(0, 7, "PERSON", "manual"), (28, 33, "ORG", "old-model")]


def test_batch_size_must_be_positive(capsys, project):
    with pytest.raises(SystemExit) as e:
        cli.main(["preannotate", str(project), "--batch-size", "0"])
    assert e.value.code == 2 and "must be at least 1" in capsys.readouterr().err


def test_the_bar_is_cut_to_the_terminals_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "30")
    tty = Terminal()
    bar = cli.ProgressBar(tty)
    bar.update(1, 4, "a very long message that would wrap the line")
    bar.update(4, 4, "done")
    bar.close()
    first, last = tty.getvalue().split("\r")[1:]
    assert first == "[######------------------]  2" and len(first) == 29
    assert last == "[########################] 10\n"
