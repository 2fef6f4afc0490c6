"""A project file is data, never code (issue 9): a file with objects this app did not make, or
a tampered schema version, is refused before anything in it runs, and nothing is changed."""
from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from models import cli, edits
from models.schema_check import ForeignProject
from models.spans import Span
from models.store import SCHEMA_VERSION, Store, StoreError

from .helpers import query

TEXT = "Kim Jong Un met Moon Jae-in in Seoul on Monday."


@pytest.fixture
def project(tmp_path) -> Path:
    path = tmp_path / "shared.annotator"
    s = Store(path)
    s.add_documents([{"text": TEXT, "title": "summit"}])
    s.apply(edits.add_span(1, Span(31, 36, "GPE"), []))
    s.close()
    return path


def tamper(path: Path, *sql: str) -> bytes:
    """Run ``sql`` on the file as an attacker would (plain sqlite3, no app code); return the
    file's bytes afterwards (one self-contained file: the WAL checkpointed into it)."""
    conn = sqlite3.connect(path)
    try:
        for statement in sql:
            conn.execute(statement)
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return path.read_bytes()


PLANTED = {
    "trigger on import": ("CREATE TABLE loot(x)", "CREATE TRIGGER steal AFTER INSERT ON documents "
                          "BEGIN INSERT INTO loot SELECT name FROM labels; END",
                          "trigger steal (on documents) that this app does not make"),
    "trigger on settings": ("CREATE TABLE loot(x)", "CREATE TRIGGER s2 BEFORE UPDATE ON settings "
                            "BEGIN INSERT INTO loot VALUES (1); END", "trigger s2 (on settings)"),
    "trigger on spans": ("CREATE TABLE loot(x)", "CREATE TRIGGER s3 AFTER DELETE ON spans "
                         "BEGIN DELETE FROM texts; END", "trigger s3 (on spans)"),
    "view": ("SELECT 1", "CREATE VIEW everything AS SELECT * FROM texts",
             "view everything that this app does not make"),
    "extra table": ("SELECT 1", "CREATE TABLE notes(x TEXT)", "table notes that this app does not make"),
    "extra unique index": ("SELECT 1", "CREATE UNIQUE INDEX one_label ON spans(label)",
                           "index one_label (on spans) that this app does not make"),
    "expression index": ("SELECT 1", "CREATE INDEX odd ON documents(length * 2)", "index odd (on documents)"),
    "index redefined": ("DROP INDEX documents_n_spans",
                        "CREATE INDEX documents_n_spans ON documents(n_spans) WHERE n_spans > 5",
                        "index documents_n_spans (on documents) defined differently"),
    "own trigger redefined": ("DROP TRIGGER documents_spans_added",
                              "CREATE TRIGGER documents_spans_added AFTER INSERT ON spans BEGIN "
                              "DELETE FROM journal; END", "trigger documents_spans_added (on spans) defined differently"),
    "own trigger missing": ("SELECT 1", "DROP TRIGGER documents_spans_removed", "no trigger documents_spans_removed"),
    # In code a double-quoted word is a string where no column has that name: never folded
    "own trigger with a quoted string": (
        "DROP TRIGGER documents_spans_added",
        'CREATE TRIGGER documents_spans_added AFTER INSERT ON spans BEGIN UPDATE documents SET '
        'n_spans = n_spans + 1 WHERE id = "NEW.doc_id"; END',
        "trigger documents_spans_added (on spans) defined differently"),
    "own trigger with quoted names": (
        "DROP TRIGGER documents_spans_removed",
        'CREATE TRIGGER documents_spans_removed AFTER DELETE ON spans BEGIN UPDATE "documents" SET '
        '"n_spans" = "n_spans - 1 WHERE id = OLD.doc_id"; END',
        "trigger documents_spans_removed (on spans) defined differently"),
    "settings altered": ("DROP TABLE settings", "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT, "
                         "CHECK (length(value) < 9))", "table settings defined differently"),
    "documents altered": ("SELECT 1", "ALTER TABLE documents ADD COLUMN x TEXT DEFAULT 'evil'",
                          "table documents defined differently"),
    "table missing": ("SELECT 1", "DROP TABLE journal", "no table journal"),
}


@pytest.mark.parametrize("case", PLANTED)
def test_a_file_with_objects_this_app_does_not_make_is_refused_and_runs_nothing(project, case):
    first, second, expected = PLANTED[case]
    before = tamper(project, first, second)
    for readonly in (False, True):
        with pytest.raises(ForeignProject) as e:
            Store(project, readonly=readonly)
        message = str(e.value)
        assert expected in message, message
        assert "never makes" in message and "Nothing was run or changed" in message
    assert project.read_bytes() == before
    wal = Path(f"{project}-wal")
    assert not wal.exists() or wal.stat().st_size == 0        # nothing written to it either


def test_a_planted_trigger_does_not_run_on_import_from_the_command_line(project, tmp_path, capsys):
    before = tamper(project, "CREATE TABLE loot(x)",
                    "CREATE TRIGGER steal AFTER INSERT ON documents BEGIN "
                    "INSERT INTO loot SELECT name FROM labels; UPDATE labels SET color = '#000000'; END")
    source = tmp_path / "a.txt"
    source.write_text("Apple opened a store in Tokyo.", encoding="utf-8")
    with pytest.raises(SystemExit) as e:
        cli.main(["import", str(project), str(source)])
    assert "trigger steal (on documents) that this app does not make" in str(e.value.code)
    assert project.read_bytes() == before
    assert query(project, "SELECT count(*) FROM loot") == [(0,)]
    assert query(project, "SELECT count(*) FROM documents") == [(1,)]
    assert query(project, "SELECT count(*) FROM labels WHERE color = '#000000'") == [(0,)]


def test_a_planted_trigger_does_not_run_on_export_either(project, tmp_path):
    before = tamper(project, "CREATE TABLE loot(x)",
                    "CREATE TRIGGER t AFTER UPDATE ON documents BEGIN INSERT INTO loot VALUES (1); END")
    out = tmp_path / "out.jsonl"
    with pytest.raises(SystemExit) as e:
        cli.main(["export", str(project), str(out), "--all"])
    assert "trigger t (on documents)" in str(e.value.code)
    assert not out.exists() and project.read_bytes() == before


@pytest.mark.parametrize("value", ["'abc'", "''", "'-1'", "'0'", "'2.5'", "'true'", "'null'",
                                   "'\"2\"'", "'[2]'", "'1e400'", "x'32'", "NULL", "-2", "2.0",
                                   "' 2'", "'2 '", "'\n2'", "'02'", "'2e0'", "'+2'"])
def test_a_tampered_schema_version_is_refused_with_its_value(project, value):
    before = tamper(project, f"UPDATE settings SET value = {value} WHERE key = 'schema_version'")
    for readonly in (False, True):
        with pytest.raises(StoreError) as e:
            Store(project, readonly=readonly)
        assert "schema_version is" in str(e.value) and "no article-annotator writes" in str(e.value)
    assert project.read_bytes() == before


def test_a_schema_version_from_the_future_is_refused_as_newer_not_checked(project):
    before = tamper(project, "UPDATE settings SET value = '99' WHERE key = 'schema_version'",
                    "CREATE TABLE from_the_future(x)")
    with pytest.raises(StoreError, match="made by a newer article-annotator .schema 99"):
        Store(project)
    assert project.read_bytes() == before


@pytest.mark.parametrize("schema", [
    ["CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT)",
     "CREATE TABLE documents (id INTEGER PRIMARY KEY, body TEXT, owner TEXT)"],
    ["CREATE TABLE settings (name TEXT, value BLOB)", "CREATE TABLE documents (id, title)"],
    ["CREATE TABLE documents (id INTEGER PRIMARY KEY, title TEXT)"],
])
def test_another_programs_database_is_refused_and_left_as_it_was(tmp_path, schema):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    for sql in schema:
        conn.execute(sql)
    conn.execute("INSERT INTO documents(id) VALUES (7)")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    with pytest.raises(StoreError, match="not an article-annotator project; nothing was changed"):
        Store(other)
    assert other.read_bytes() == before            # not even switched to WAL
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("other")) == ["other.db"]


def test_a_project_written_with_bracket_quoting_and_analyzed_still_opens(project, tmp_path):
    """sqlite-utils 3 quoted names as [name]; ANALYZE adds SQLite's own statistics table."""
    rows = query(project, "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
                 "ORDER BY type = 'table' DESC, rowid")
    older = tmp_path / "older.annotator"
    conn = sqlite3.connect(older)
    import re
    for _, _, sql in rows:
        conn.execute(re.sub(r'"([^"]+)"', r"[\1]", sql))
    conn.execute("INSERT INTO settings VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
    conn.commit()
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()
    s = Store(older)
    try:
        assert s.document_count() == 0
        assert s.db.execute("PRAGMA trusted_schema").fetchone() == (0,)
    finally:
        s.close()


def test_the_apps_own_files_pass_and_their_connections_distrust_the_schema(project, tmp_path):
    for readonly in (False, True):
        s = Store(project, readonly=readonly)
        try:
            assert s.db.execute("PRAGMA trusted_schema").fetchone() == (0,)
            assert s.spans(1) == [Span(31, 36, "GPE")]
        finally:
            s.close()
    old = tmp_path / "schema1.annotator"
    shutil.copy(Path(__file__).parents[1] / "data" / "schema1.annotator", old)
    s = Store(old)                            # upgraded: its objects were checked as schema 1
    assert s.upgraded and s.upgraded[0] == 1
    s.close()
    s = Store(old)                            # and as schema 2 from now on
    s.close()


# -- contents that do not match the schema -----------------------------------------------------------

DAMAGE = {
    "text as a BLOB": ("UPDATE texts SET text = CAST(text AS BLOB)", "its text is binary data (a BLOB), not text"),
    "text not UTF-8": ("UPDATE texts SET text = CAST(x'ff41' AS TEXT)", "not UTF-8"),
    "title as a BLOB": ("UPDATE documents SET title = x'00ff'", "its title is binary data"),
    "meta not JSON": ("UPDATE documents SET meta = '{oops'", "its meta is not JSON"),
    "meta a list": ("UPDATE documents SET meta = '[1, 2]'", "its meta is a JSON list, not an object"),
    "meta deep": ("UPDATE documents SET meta = '" + "[" * 100000 + "'", "its meta is not JSON"),
    "unknown status": ("UPDATE documents SET status = 'accepted'", "its status 'accepted' is none of"),
    "length wrong": ("UPDATE documents SET length = 1000", "its recorded length 1000 is not its text's (47 characters)"),
    "span past the end": ("UPDATE spans SET end = 80", "span 31-80 is empty, inverted or past the end of its text (47 characters)"),
    "span inverted": ("UPDATE spans SET end = 20", "span 31-20 is empty, inverted"),
    "span negative": ("UPDATE spans SET start = -3", "span -3-36 is empty"),
    "offsets text": ("UPDATE spans SET start = 'x'", "offsets 'x'-36, not whole numbers"),
    "offsets real": ("UPDATE spans SET end = 35.5", "not whole numbers"),
    "label not text": ("UPDATE spans SET label = x'41'", "has the label b'A', which is not a label name"),
    "label empty": ("UPDATE spans SET label = ''", "has the label '', which is not a label name"),
    "meta surrogate": ("""UPDATE documents SET meta = '{"x": "\\ud800"}'""", "its meta.x holds a lone surrogate"),
    "meta surrogate key": ("""UPDATE documents SET meta = '{"\\udc00": 1}'""", "holding a lone surrogate"),
    "meta NaN": ("""UPDATE documents SET meta = '{"x": NaN}'""", "its meta.x is nan, which is not a JSON number"),
    "meta Infinity": ("""UPDATE documents SET meta = '{"y": [Infinity]}'""", "is inf, which is not a JSON number"),
    "no text row": ("DELETE FROM texts", "it has no text (its row in the texts table is missing)"),
    "empty text": ("UPDATE texts SET text = ''", "its text is empty"),
    "overlap": ("INSERT INTO spans(doc_id, start, end, label, source) VALUES (1, 33, 40, 'GPE', 'manual')",
                "span 33-40 overlaps span 31-36"),
}


@pytest.mark.parametrize("case", DAMAGE)
def test_damaged_contents_name_the_document_and_stop_every_reader(project, tmp_path, case):
    sql, expected = DAMAGE[case]
    tamper(project, sql)
    s = Store(project)                       # the schema is sound: the file opens
    try:
        with pytest.raises(StoreError) as e:
            s.document(1)
            s.spans(1)
        assert "document 1" in str(e.value) and "damaged" in str(e.value), str(e.value)
        assert expected in str(e.value), str(e.value)
        with pytest.raises(StoreError, match="damaged"):
            list(s.iter_documents(None))
    finally:
        s.close()


@pytest.mark.parametrize("case", ["span past the end", "meta not JSON", "text as a BLOB", "overlap",
                                  "meta surrogate", "meta NaN", "no text row", "empty text"])
def test_an_export_of_damaged_contents_writes_nothing_and_says_which_document(project, tmp_path, capsys, case):
    sql, expected = DAMAGE[case]
    tamper(project, "UPDATE documents SET status = 'done'", sql)
    out = tmp_path / "out.jsonl"
    out.write_text("previous export\n")
    code = cli.main(["export", str(project), str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert "document 1" in err and expected in err and "Traceback" not in err
    assert out.read_text() == "previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("out")) == ["out.jsonl"]


@pytest.mark.parametrize("sql, expected", [
    ("UPDATE labels SET color = 'red' WHERE name = 'GPE'", "its colour 'red' is not of the form #rrggbb"),
    ("UPDATE labels SET key = 'ab' WHERE name = 'GPE'", "its key 'ab' is not one of"),
    ("UPDATE labels SET ord = 'first' WHERE name = 'GPE'", "its order 'first' is not a whole number"),
    ("UPDATE labels SET description = x'00' WHERE name = 'GPE'", "its description is binary data"),
    ("UPDATE labels SET key = '1' WHERE name = 'ORG'", "the key '1' is used by both 'PERSON' and 'ORG'"),
    ("UPDATE labels SET name = 'GPE\x1b[2J' WHERE name = 'GPE'", "GPE\\x1b[2J"),
])
def test_a_damaged_label_is_refused_when_the_project_opens_naming_it(project, sql, expected):
    before = tamper(project, sql)
    for readonly in (False, True):
        with pytest.raises(StoreError) as e:
            Store(project, readonly=readonly)
        assert "in the project file is damaged" in str(e.value) and expected in str(e.value)
        assert "\x1b" not in str(e.value)
    assert project.read_bytes() == before


@pytest.mark.parametrize("edit", ["'not json'", "'{\"type\": \"spans\"}'", "'{\"type\": \"rm -rf\"}'", "x'00'",
                                  "'" + json.dumps({"type": "status", "doc_id": 2, "old": "new", "new": "done"}) + "'"])
def test_a_damaged_undo_entry_is_named(project, edit):
    tamper(project, f"UPDATE journal SET edit = {edit} WHERE doc_id = 1")
    s = Store(project)
    try:
        with pytest.raises(StoreError, match="the undo history of document 1 in the project file is damaged: entry 1 is not an edit"):
            s.history(1)
    finally:
        s.close()


@pytest.mark.parametrize("value, expected", [
    ("'{not json'", "the setting 'model' in shared.annotator is not JSON"),
    ("x'00'", "the setting 'model' in shared.annotator is not JSON"),
    ("'[\"rm\", \"-rf\"]'", "the setting 'model' in shared.annotator is ['rm', '-rf'], not what article-annotator writes"),
])
def test_a_damaged_setting_is_refused_when_the_project_opens_naming_it(project, value, expected):
    tamper(project, f"INSERT INTO settings VALUES ('model', {value})")
    with pytest.raises(StoreError) as e:
        Store(project)
    assert expected in str(e.value)


def test_a_rejected_suggestion_past_the_end_is_named(project):
    tamper(project, "INSERT INTO rejected(doc_id, start, end, label, source) VALUES (1, 40, 99, 'GPE', 'm')")
    s = Store(project)
    try:
        with pytest.raises(StoreError, match="rejected suggestion 40-99 is empty, inverted or past the end"):
            s.rejected(1)
    finally:
        s.close()


@pytest.mark.parametrize("code, message, kind, says", [
    (8, "attempt to write a readonly database", "ReadOnlyLocation", "It can be opened read-only"),
    (14, "unable to open database file", "ReadOnlyLocation", "It can be opened read-only"),
    (5, "database is locked", "StoreError", "is busy: another program is writing it"),
    (261, "database is locked", "StoreError", "is busy"),                    # SQLITE_BUSY_RECOVERY
    (26, "file is not a database", "StoreError", "not a project file, or a damaged one"),
    # the code decides, not the words: a text that mentions "readonly" in a damaged file
    (11, "database disk image is malformed (readonly index)", "StoreError", "a damaged one"),
    (1, "no such table: readonly", "StoreError", "cannot open project"),
])
def test_open_errors_are_told_by_sqlites_result_code(tmp_path, code, message, kind, says):
    from models.project_file import open_error
    e = sqlite3.OperationalError(message)
    e.sqlite_errorcode = code
    told = open_error(tmp_path / "p.annotator", e)
    assert type(told).__name__ == kind and says in str(told)
