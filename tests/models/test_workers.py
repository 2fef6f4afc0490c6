"""`preannotate --workers N`: the model in N processes, one writer — the same rows as one."""
from __future__ import annotations

from models.cli import main
from models.store import Store

from .helpers import MODEL, query

TEXTS = [f"Story {i}: Kim Jong Un met Moon Jae-in in Seoul on Monday; Samsung shares rose {i} percent "
         f"in Tokyo, the Bank of Korea said." for i in range(24)]


def _project(path):
    s = Store(path)
    s.add_documents([{"text": t, "title": f"s{i}"} for i, t in enumerate(TEXTS)])
    s.close()


def test_two_workers_write_exactly_what_one_process_writes(tmp_path, capsys):
    one, two = tmp_path / "one.annotator", tmp_path / "two.annotator"
    _project(one)
    _project(two)
    assert main(["preannotate", str(one), "--model", MODEL, "--workers", "1", "--batch-size", "5"]) == 0
    assert main(["preannotate", str(two), "--model", MODEL, "--workers", "2", "--batch-size", "5"]) == 0
    assert "24 documents pre-annotated" in capsys.readouterr().out
    rows = "SELECT doc_id, start, end, label, source FROM spans ORDER BY doc_id, start"
    assert query(two, rows) == query(one, rows) and len(query(one, rows)) > 24 * 3
    journal = "SELECT doc_id, edit FROM journal ORDER BY id"
    assert query(two, journal) == query(one, journal)            # the same edits, in order
    assert query(two, "SELECT count(*) FROM documents WHERE preannotated IS NULL") == [(0,)]


def test_a_pipeline_the_workers_cannot_load_is_said_and_nothing_is_written(tmp_path, capsys):
    path = tmp_path / "p.annotator"
    _project(path)
    import pytest
    with pytest.raises(SystemExit) as stop:
        main(["preannotate", str(path), "--model", str(tmp_path / "no-such-model"), "--workers", "2"])
    assert "cannot load spaCy pipeline" in str(stop.value)
    assert query(path, "SELECT count(*) FROM spans") == [(0,)]
