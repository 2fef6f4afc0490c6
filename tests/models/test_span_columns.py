"""Store.spans reads a document's spans as columns (one aggregate query, checked a column at
a time) and row by row only when those do not all pass: whatever a file holds, it answers
exactly what the row by row reading answers — the same spans, or the same error."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from models import contents, edits
from models.spans import Span
from models.store import Store

from .test_untrusted_project import tamper

TEXT = "Kim Jong Un met Moon Jae-in in Seoul on Monday, said the Foreign Ministry."


@pytest.fixture
def project(tmp_path) -> Path:
    path = tmp_path / "columns.annotator"
    s = Store(path)
    s.add_documents([{"text": TEXT, "title": "summit"}, {"text": "Another one.", "title": "b"}])
    s.apply(edits.ReplaceSpans(1, (), (Span(0, 11, "PERSON"), Span(16, 27, "PERSON", "model-x"),
                                       Span(31, 36, "GPE"), Span(40, 46, "DATE", "model-x")), "t"))
    s.close()
    return path


def row_by_row(path: Path, doc_id: int):
    """What the spans' rows give, read and checked one by one (the careful reading)."""
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT title, length FROM documents WHERE id = ?", [doc_id]).fetchone()
        title, length = row if row else (None, 0)
        rows = conn.execute("SELECT start, end, label, source, entity FROM spans WHERE doc_id = ? "
                            "ORDER BY start", [doc_id]).fetchall()
        return contents.spans(doc_id, title, length, rows) if rows else []
    except Exception as e:          # noqa: BLE001 (the same, whatever it is)
        return type(e), str(e)
    finally:
        conn.close()


def read(path: Path, doc_id: int):
    s = Store(path)
    try:
        return s.spans(doc_id)
    except Exception as e:          # noqa: BLE001 (the same, whatever it is)
        return type(e), str(e)
    finally:
        s.close()


FIRST = "UPDATE spans SET {} WHERE start = 0"
CASES = {
    "as written": [],
    "entities": ["UPDATE spans SET entity = 7 WHERE start = 16", "UPDATE spans SET entity = 3 WHERE start = 40"],
    "every span an entity": ["UPDATE spans SET entity = id"],
    "entity 0": [FIRST.format("entity = 0")],
    "entity negative": [FIRST.format("entity = -2")],
    "entity text": [FIRST.format("entity = 'x'")],
    "entity real": [FIRST.format("entity = 2.5")],
    "entity BLOB": [FIRST.format("entity = x'01'")],
    "start text digits": [FIRST.format("start = '0'")],          # INTEGER affinity: stored as 0
    "start BLOB of digits": [FIRST.format("start = x'30'")],
    "end BLOB of digits": [FIRST.format("end = x'3131'")],
    "end real": [FIRST.format("end = 10.5")],
    "end huge": [FIRST.format("end = 9223372036854775807")],
    "sums past 64 bits": ["UPDATE spans SET end = 9223372036854775807 WHERE start >= 31"],
    "start negative": [FIRST.format("start = -1")],
    "empty span": [FIRST.format("end = 0")],
    "past the end": ["UPDATE spans SET end = 200 WHERE start = 40"],
    "overlap": ["UPDATE spans SET end = 20 WHERE start = 0"],
    "touching": ["UPDATE spans SET end = 16 WHERE start = 0"],
    "label BLOB": [FIRST.format("label = x'475045'")],
    "label number": [FIRST.format("label = 5")],
    "label empty": [FIRST.format("label = ''")],
    "label with the separator": [FIRST.format(f"label = 'A{contents.SEP}B'")],
    "label with a comma": [FIRST.format("label = 'A,B'")],
    "label with a space": [FIRST.format("label = 'A B'")],
    "label not UTF-8": [FIRST.format("label = CAST(x'ff41' AS TEXT)")],
    "source empty": [FIRST.format("source = ''")],
    "source BLOB": [FIRST.format("source = x'6d'")],
    "source number": [FIRST.format("source = 3")],
    "source with the separator": [FIRST.format(f"source = 'm{contents.SEP}x'")],
    "source with a comma": [FIRST.format("source = 'm,x'")],
    "length text": ["UPDATE documents SET length = 'long' WHERE id = 1"],
    "length short": ["UPDATE documents SET length = 40 WHERE id = 1"],
    "length real": ["UPDATE documents SET length = 74.5 WHERE id = 1"],
    "no document": ["DELETE FROM texts WHERE doc_id = 1", "DELETE FROM documents WHERE id = 1"],
    "no spans": ["DELETE FROM spans"],
    "one span": ["DELETE FROM spans WHERE start > 0"],
}


# Sound documents: read as columns alone
COLUMNS_ENOUGH = {"as written", "entities", "every span an entity", "start text digits", "touching",
                  "label with a comma", "source with a comma", "one span", "no spans",
                  "label number", "source number"}       # TEXT affinity: stored as text


@pytest.mark.parametrize("case", CASES)
def test_the_columns_answer_what_the_rows_answer(project, case, monkeypatch):
    if CASES[case]:
        tamper(project, "PRAGMA foreign_keys = OFF", *CASES[case])
    expected = row_by_row(project, 1)
    careful, rows_read = contents.spans, []
    monkeypatch.setattr(contents, "spans", lambda *a: rows_read.append(a) or careful(*a))
    assert read(project, 1) == expected
    # (a text that is not UTF-8 stops the rows' reading too, before any check)
    assert (not rows_read) == (case in COLUMNS_ENOUGH or case == "label not UTF-8")
    if case == "as written":
        assert [s.start for s in expected] == [0, 16, 31, 40]


def test_the_columns_give_spans(project):
    s = Store(project)
    try:
        got = s.spans(1)
        assert got == [Span(0, 11, "PERSON"), Span(16, 27, "PERSON", "model-x"),
                       Span(31, 36, "GPE"), Span(40, 46, "DATE", "model-x")]
        assert all(type(x) is Span and type(x.start) is int and type(x.end) is int for x in got)
        assert s.spans(2) == [] and s.spans(99) == []
    finally:
        s.close()
