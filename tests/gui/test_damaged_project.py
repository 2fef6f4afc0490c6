"""The window on a project file altered outside the app (issue 9): a damaged document is named
and not opened, a strange saved place is ignored, and a failed export says its one line."""
from __future__ import annotations

import sqlite3

import pytest

from gui import dialogs
from gui.export_dialog import ExportDialog, replaced

TEXTS = ["Officials from Seoul met Apple in Tokyo.", "Kim Jong Un visited Seoul on Monday."]


def tamper(path, sql: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute(sql)
    conn.commit()
    conn.close()


@pytest.fixture
def errors(monkeypatch):
    shown = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, message, *rest: shown.append((title, message)))
    return shown


@pytest.mark.parametrize("sql, why", [
    ("UPDATE documents SET meta = '{oops' WHERE id = 2", "its meta is not JSON"),
    ("UPDATE texts SET text = CAST(text AS BLOB) WHERE doc_id = 2", "its text is binary data"),
    ("INSERT INTO spans(doc_id, start, end, label, source) VALUES (2, 30, 99, 'GPE', 'manual')",
     "span 30-99 is empty, inverted or past the end of its text"),
    ("INSERT INTO journal(doc_id, edit, undone) VALUES (2, 'DROP TABLE x', 0)", "entry 1 is not an edit"),
])
def test_a_damaged_document_is_named_and_the_open_one_stays(make_window, stand_in_model, qtbot, errors, sql, why):
    w, store, ids = make_window(TEXTS)
    assert w.session.doc.id == ids[0]
    tamper(store.path, sql)
    assert w.open_document(ids[1]) is False
    assert len(errors) == 1 and errors[0][0] == "Cannot open this document"
    assert "document 2" in errors[0][1] and why in errors[0][1]
    assert w.session.doc.id == ids[0]
    assert w.view.toPlainText() == TEXTS[0]
    w.view.setFocus()


@pytest.mark.parametrize("pos, last", [("'[1, 2]'", "'\"two\"'"), ("'{\"doc\": \"x\"}'", "'{}'"),
                                       ("'{\"doc\": 1, \"cursor\": [0]}'", "'null'")])
def test_a_strange_saved_place_is_ignored(make_window, stand_in_model, qtbot, tmp_path, pos, last):
    path = tmp_path / "place.annotator"
    w, store, ids = make_window(TEXTS, path=path, start=False)
    tamper(path, f"INSERT OR REPLACE INTO settings VALUES ('last_pos', {pos})")
    tamper(path, f"INSERT OR REPLACE INTO settings VALUES ('last_doc', {last})")
    w.start()
    assert w.session.doc.id == ids[0]


def test_an_export_the_disk_refuses_says_its_one_line(make_window, stand_in_model, qtbot, errors, monkeypatch):
    w, store, ids = make_window(TEXTS)
    monkeypatch.setattr(ExportDialog, "ask", classmethod(lambda cls, parent, project: ("jsonl", "/dev/full", {"all_documents": True})))
    failed = []
    w.jobs.failed.connect(failed.append)
    w.export()
    qtbot.waitUntil(lambda: bool(failed) or bool(errors), timeout=20000)
    message = failed[0] if failed else errors[0][1]
    assert message == "not exported: could not write /dev/full (a character device): No space left on device (ENOSPC)"
    assert "ExportWriteFailed" not in message and "Traceback" not in message


def test_the_replace_question_is_asked_only_for_a_regular_file(tmp_path):
    out = tmp_path / "out.jsonl"
    assert replaced("jsonl", out) is None
    out.write_text("old")
    assert replaced("jsonl", out) == str(out)
    link = tmp_path / "link.jsonl"
    link.symlink_to(out)
    assert replaced("jsonl", link) == str(link)         # a link to a file: that file is replaced
    assert replaced("jsonl", tmp_path / "gone") is None
    import os
    os.mkfifo(tmp_path / "pipe")
    assert replaced("jsonl", tmp_path / "pipe") is None
    assert replaced("jsonl", "/dev/null") is None
    (tmp_path / "brat").mkdir()
    (tmp_path / "brat" / "annotation.conf").write_text("x")
    assert replaced("brat", tmp_path / "brat") == str(tmp_path / "brat" / "annotation.conf")


def test_the_encoding_question_names_a_file_whose_name_is_not_utf8():
    text, button = dialogs.EncodingQuestion.text(["/in/caf\udce9\x1b[2J.txt"], "cp1252", "Caf\u00e9\u202e")
    assert text.startswith("caf\\xe9\\x1b[2J.txt is not UTF-8. It looks like Windows-1252")
    assert '"Café\\u202e"' in text and button == "Import as Windows-1252"
