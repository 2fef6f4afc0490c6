"""Schema versions: a file of the first schema is copied, then upgraded; newer files refused."""
from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from models import edits, migrations
from models.spans import Span
from models.store import SCHEMA_VERSION, Store, StoreError

SCHEMA1 = Path(__file__).resolve().parents[1] / "data" / "schema1.annotator"
# Every table of schema 1 with the columns it had (n_spans came with schema 2).
TABLES = {
    "settings": "key, value",
    "documents": "id, title, length, meta, status, text_hash, preannotated, created, updated",
    "texts": "doc_id, text",
    "spans": "id, doc_id, start, end, label, source, created, updated",
    "labels": "name, color, key, description, ord",
    "journal": "id, doc_id, edit, undone, created",
}


# What schema 5 derives from the schema-1 file: the model's spans of journal entries 2 and 14.
SUGGESTED_SCHEMA1 = [(1, 0, 11, "PERSON", "en_core_web_sm-3.8.0"), (1, 16, 27, "PERSON", "en_core_web_sm-3.8.0"),
                     (1, 31, 36, "GPE", "en_core_web_sm-3.8.0"), (1, 40, 46, "DATE", "en_core_web_sm-3.8.0"),
                     (4, 34, 43, "GPE", "en_core_web_sm-3.8.0")]


def rows(path: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        return {t: con.execute(f"SELECT {cols} FROM {t} ORDER BY 1").fetchall() for t, cols in TABLES.items()}
    finally:
        con.close()


def one(path: Path, sql: str, args=()):
    con = sqlite3.connect(path)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def columns(path: Path, table: str) -> list[str]:
    return [r[1] for r in one(path, f"PRAGMA table_info({table})")]


@pytest.fixture
def old(tmp_path) -> Path:
    path = tmp_path / "news.annotator"
    shutil.copyfile(SCHEMA1, path)
    return path


def test_the_test_file_is_the_first_schema(old):
    data = rows(old)           # a copy: even a read leaves -wal and -shm files beside it
    assert ("schema_version", "1") in data["settings"]
    assert "n_spans" not in columns(old, "documents")
    assert len(data["documents"]) == 4 and len(data["spans"]) == 11 and len(data["journal"]) == 14
    assert [d[4] for d in data["documents"]] == ["done", "in progress", "skipped", "new"]


def test_a_first_schema_file_is_copied_then_upgraded_and_every_row_survives(old):
    before = rows(old)
    store = Store(old)
    try:
        backup = old.with_name("news.schema1-backup.annotator")
        assert store.upgraded == (1, backup)
        assert store.setting("schema_version") == SCHEMA_VERSION == 7
        after = rows(old)
        # Schema 5: every suggestion made, from the journal and the model spans standing.
        assert one(old, "SELECT doc_id, start, end, label, source FROM suggested ORDER BY 1, 2") \
            == SUGGESTED_SCHEMA1
        # and the spans per label and text, counted from the spans the file held
        texts = dict(one(old, "SELECT doc_id, text FROM texts"))
        want = {}
        for doc, s, e, lab in one(old, "SELECT doc_id, start, end, label FROM spans"):
            want[lab, texts[doc][s:e]] = want.get((lab, texts[doc][s:e]), 0) + 1
        assert dict(((lab, t), n) for lab, t, n in one(old, "SELECT label, text, n FROM span_strings")) == want
        assert len(want) >= 8
        settings = dict(after.pop("settings"))
        assert settings.pop("schema_version") == str(SCHEMA_VERSION)
        assert settings == {k: v for k, v in before["settings"] if k != "schema_version"}
        assert after == {t: r for t, r in before.items() if t != "settings"}
        # n_spans counted, and kept by the triggers from now on.
        counts = dict(one(old, "SELECT id, n_spans FROM documents"))
        assert counts == {1: 5, 2: 3, 3: 2, 4: 1}
        assert [tuple(r) for r in store.document_rows()] == [
            (1, "Summit", "done", 5), (2, "Markets", "in progress", 3), (3, "Weather", "skipped", 2),
            (4, "Unchecked", "new", 1)]
        assert store.spans(4) == [Span(34, 43, "GPE", "en_core_web_sm-3.8.0")]
        assert store.document(2).text == "Apple shares rose 3% in New York.\r\nSamsung fell in Seoul."
        assert store.labels().get("WEAPON").color == "#aa3377"
        # The journal is still the undo history: the undone entry can be redone, the rest undone.
        history = store.history(2)
        assert [undone for _, _, undone in history] == [False, False, False, True]
        entry, edit, _ = history[-1]
        store.apply(edit, mode="redo", entry=entry)
        assert store.spans(2)[-1] == Span(51, 56, "LOC")
        assert one(old, "SELECT n_spans FROM documents WHERE id = 2") == [(4,)]
        entry, edit, _ = store.history(1)[-1]           # Done (accepting two suggestions)
        store.apply(edit.inverse(), mode="undo", entry=entry)
        assert store.document_status(1) == "in progress"
        assert [s.source for s in store.spans(1)][:2] == ["manual", "en_core_web_sm-3.8.0"]
        store.apply(edits.remove_span(4, store.spans(4)[0]))     # a rejection: schema 2's table
        assert store.rejected(4) == [Span(34, 43, "GPE", "en_core_web_sm-3.8.0")]
    finally:
        store.close()
    # The copy is the file as it was: schema 1, the same rows.
    assert rows(backup) == before
    assert "n_spans" not in columns(backup, "documents")
    # A second open neither upgrades nor copies again.
    listing = sorted(p.name for p in old.parent.iterdir())
    store = Store(old)
    assert store.upgraded is None
    store.close()
    assert sorted(p.name for p in old.parent.iterdir()) == listing


def test_an_upgraded_file_has_the_schema_of_a_new_one(old, tmp_path):
    Store(old).close()
    Store(tmp_path / "new.annotator").close()

    def shape(path):
        names = {r[0]: r[1] for r in one(path, "SELECT name, type FROM sqlite_master")}
        return names, {t: columns(path, t) for t, kind in names.items() if kind == "table"}
    assert shape(old) == shape(tmp_path / "new.annotator")
    assert SCHEMA_VERSION == migrations.LATEST


def test_an_existing_backup_is_never_overwritten(old):
    documents = rows(old)["documents"]
    first = old.with_name("news.schema1-backup.annotator")
    first.write_bytes(b"an older copy")
    Store(old).close()
    assert first.read_bytes() == b"an older copy"
    second = old.with_name("news.schema1-backup-2.annotator")
    assert rows(second)["documents"] == documents


def test_the_copy_includes_what_is_still_in_the_wal(old):
    con = sqlite3.connect(old, isolation_level=None)       # another app, still running
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("INSERT INTO documents(id, title, length, meta, status, text_hash) "
                "VALUES (5, 'Late', 4, '{}', 'new', 'h5')")
    con.execute("INSERT INTO texts(doc_id, text) VALUES (5, 'Late')")
    assert old.with_name(old.name + "-wal").stat().st_size > 0
    try:
        store = Store(old)
        store.close()
    finally:
        con.close()
    backup = store.upgraded[1]
    assert [r[:2] for r in rows(backup)["documents"]][-1] == (5, "Late")


def test_a_failing_step_leaves_the_file_as_it_was_and_names_the_copy(old, monkeypatch):
    data = old.read_bytes()
    before = rows(old)

    def boom(conn):
        raise sqlite3.OperationalError("disk on fire")
    monkeypatch.setattr(migrations, "STEPS", migrations.STEPS + [migrations.Step(2, "the last", boom)])
    with pytest.raises(StoreError) as e:
        Store(old)
    backup = old.with_name("news.schema1-backup.annotator")
    message = str(e.value)
    assert "the last" in message and "disk on fire" in message and "not changed" in message
    assert str(backup) in message
    assert old.read_bytes() == data and rows(old) == before
    assert "n_spans" not in columns(old, "documents")
    assert rows(backup) == before
    monkeypatch.undo()
    store = Store(old)                    # fixed: it upgrades, with a copy of its own
    assert store.upgraded == (1, old.with_name("news.schema1-backup-2.annotator"))
    store.close()


def test_a_newer_schema_is_refused_read_write_and_read_only(old):
    con = sqlite3.connect(old)
    con.execute("UPDATE settings SET value = ? WHERE key = 'schema_version'", [json.dumps(SCHEMA_VERSION + 1)])
    con.commit()
    con.close()
    data = old.read_bytes()
    for readonly in (False, True):
        with pytest.raises(StoreError, match=rf"newer article-annotator \(schema {SCHEMA_VERSION + 1}; this one knows {SCHEMA_VERSION}\)"):
            Store(old, readonly=readonly)
    assert old.read_bytes() == data
    assert not list(old.parent.glob("*backup*"))


def test_an_old_file_opened_read_only_is_not_upgraded(old):
    data = old.read_bytes()
    with pytest.raises(StoreError, match="older schema .1. that must be upgraded once"):
        Store(old, readonly=True)
    assert old.read_bytes() == data
    assert not list(old.parent.glob("*backup*"))


def test_schema_7_finds_a_places_undone_entries_in_their_own_index(old):
    """Upgraded (from the first schema) or new, a project finds the redo branch a new edit
    cuts without reading the document's whole history; undo and redo keep the index."""
    store = Store(old)
    try:
        plan = " ".join(r[3] for r in store.db.conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM journal WHERE doc_id IS 2 AND undone = 1"))
        assert "journal_undone" in plan
        assert one(old, "SELECT id FROM journal WHERE doc_id = 2 AND undone = 1") == \
            one(old, "SELECT id FROM journal INDEXED BY journal_undone WHERE doc_id = 2 AND undone = 1") != []
        store.apply(edits.add_span(2, Span(0, 5, "ORG"), store.spans(2)))   # cuts the redo branch
        assert one(old, "SELECT count(*) FROM journal WHERE doc_id = 2 AND undone = 1") == [(0,)]
        entry, edit, _ = store.history(2)[-1]
        store.apply(edit.inverse(), mode="undo", entry=entry)
        assert one(old, "SELECT id FROM journal INDEXED BY journal_undone WHERE doc_id = 2 "
                        "AND undone = 1") == [(entry,)]
    finally:
        store.close()
