"""The entity table, the document list, imports from the window, and the app's start-up."""
from __future__ import annotations

from PySide6.QtCore import Qt

from gui import app as appmod
from gui import dialogs
from gui.main_window import MainWindow
from models.store import Store
from tests.gui.viewprobe import colour_at

TEXT = "Apple opened a store in Seoul on Monday. Kim Jong Un was not there."


def test_entity_table_follows_the_view_and_edits_through_it(make_window, stand_in_model, qtbot, db_rows):
    w, store, ids = make_window([TEXT])
    qtbot.waitUntil(lambda: w.span_table.model_.rowCount() == 4, timeout=5000)
    table = w.span_table
    assert [table.model_.index(r, 0).data() for r in range(4)] == ["Apple", "Seoul", "Monday", "Kim Jong Un"]
    # Table -> view: choosing a row selects (and outlines) that span.
    table.selectRow(1)
    assert w.view.selected is not None and TEXT[w.view.selected.start:w.view.selected.end] == "Seoul"
    # View -> table: Tab in the view moves the table's row.
    qtbot.keyClick(w.view, Qt.Key.Key_Tab)
    assert table.current_span().label == "DATE"
    # Relabel from the table's Label column.
    assert table.model_.setData(table.model_.index(0, 1), "PERSON")
    assert (ids[0], 0, 5, "PERSON", "manual") in db_rows(store.path, ids[0])
    assert colour_at(w.view, 0) == store.labels().get("PERSON").color
    # Delete from the table.
    table.setFocus()
    table.selectRow(3)
    qtbot.keyClick(table, Qt.Key.Key_Delete)
    assert [r[3] for r in db_rows(store.path, ids[0])] == ["PERSON", "GPE", "DATE"]
    assert table.model_.rowCount() == 3
    assert "3 entities (2 unreviewed)" == w.count_label.text()


def test_document_list_progress_and_navigation(make_window, stand_in_model, qtbot):
    w, store, ids = make_window(["One about Seoul.", "Two about Tokyo.", "Three."])
    assert w.progress_label.text().startswith("0 of 3 done")
    w.skip_action.trigger()
    assert store.document_status(ids[0]) == "skipped" and w.session.doc.id == ids[1]
    w.done_action.trigger()
    assert w.session.doc.id == ids[2]
    assert w.progress_label.text().startswith("1 of 3 done · 1 skipped")
    assert w.docs_model.index(1, 2).data() == "done"
    w.prev_action.trigger()
    assert w.session.doc.id == ids[1]
    w.doc_table.selectRow(0)
    assert w.session.doc.id == ids[0]
    w.undo_action.trigger()                  # undo the skip of this document
    assert store.document_status(ids[0]) == "new"
    w.model.runner.wait(5000)


def test_reopening_returns_to_document_and_place(make_window, stand_in_model, qtbot, tmp_path):
    long_text = "\n\n".join(f"Paragraph {i} mentions Seoul and Tokyo." for i in range(400))
    w, store, ids = make_window(["First.", long_text])
    w.doc_table.selectRow(1)
    target = long_text.index("Paragraph 250")
    w.view.restore_position(target, target)
    w.save_position()
    top = w.view.top_cp()
    assert top > 0
    w.close()
    w2 = MainWindow(Store(store.path))
    qtbot.addWidget(w2)
    w2.resize(w.size())
    w2.show()
    w2.start()
    assert w2.session.doc.id == ids[1]
    assert w2.view.cursor_cp() == target
    assert abs(w2.view.top_cp() - top) < 200
    w2.model.runner.wait(5000)


def test_import_from_the_window_reports_problems_and_keeps_the_rest(make_window, stand_in_model, qtbot,
                                                                  monkeypatch, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("Fresh article from Tokyo.\r\nSecond line.", encoding="utf-8", newline="")
    bad = tmp_path / "bad.txt"
    bad.write_bytes("caf\xe9".encode("latin-1"))
    lines = tmp_path / "lines.jsonl"
    lines.write_text('{"text": "From JSONL about Apple."}\n{broken\n', encoding="utf-8")
    shown = []
    monkeypatch.setattr(dialogs, "show_problems", lambda parent, title, summary, problems: shown.append(problems))
    w, store, ids = make_window(["Existing."])
    w.import_files([str(good), str(bad), str(lines)])
    qtbot.waitUntil(lambda: len(store.document_rows()) == 3, timeout=5000)
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    messages = [str(p) for p in shown[0]]
    assert any("bad.txt" in m and "not UTF-8" in m for m in messages)
    assert any("lines.jsonl:2" in m and "not valid JSON" in m for m in messages)
    assert w.docs_model.rowCount() == 3
    new_doc = store.document(w.session.doc.id)
    assert new_doc.text == "Fresh article from Tokyo.\r\nSecond line."      # CRLF kept
    monkeypatch.setattr(dialogs.PasteDialog, "ask", classmethod(lambda cls, parent: ("Pasted", "Pasted\u00a0text.")))
    w.paste_article()
    assert w.session.doc.text == "Pasted\u00a0text." and w.session.doc.title == "Pasted"
    w.model.runner.wait(5000)


def test_command_line_files_in_another_encoding_get_the_windows_question(qtbot, stand_in_model, tmp_path,
                                                                       monkeypatch):
    """Files named on the app's command line are imported as File > Import does: a cp1252 file
    gets the question (the app has no --encoding), and is imported in it when accepted."""
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Café in Zürich".encode("cp1252"))
    plain = tmp_path / "plain.txt"
    plain.write_text("Talks in Seoul", encoding="utf-8")
    asked = []

    def ask(cls, parent, files, encoding, preview, answer):
        asked.append((files, encoding, preview))
        answer(True)
    monkeypatch.setattr(dialogs.EncodingQuestion, "ask", classmethod(ask))
    monkeypatch.setattr(dialogs, "show_problems", lambda *a: None)
    main = appmod.App(None)
    assert main.open(tmp_path / "p.annotator", [str(plain), str(latin)])
    qtbot.addWidget(main.window)
    store = main.window.store
    qtbot.waitUntil(lambda: store.document_count() == 2, timeout=10000)
    assert asked == [([str(latin)], "cp1252", "Café in Zürich")]
    texts = sorted(store.document(d).text for d, *_ in store.document_rows())
    assert texts == ["Café in Zürich", "Talks in Seoul"]
    main.window.model.runner.wait(5000)
    main.window.io.wait(5000)


def test_app_opens_default_project_with_the_sample(qtbot, stand_in_model, monkeypatch):
    main = appmod.App(None)
    assert main.open(appmod.default_project())
    qtbot.addWidget(main.window)
    doc = main.window.session.doc
    assert doc is not None and doc.text == appmod.sample_article().read_text("utf-8")
    assert str(appmod.default_project()).endswith("article-annotator/default.annotator")
    main.window.model.runner.wait(5000)


def test_app_refuses_a_file_that_is_not_a_project(qtbot, tmp_path, monkeypatch):
    errors = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, msg: errors.append(msg))
    junk = tmp_path / "junk.annotator"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    assert not appmod.App(None).open(junk)
    assert errors and "junk.annotator" in errors[0]


def test_model_choice_is_a_project_setting_and_reloads(make_window, qtbot, monkeypatch):
    from models import ner
    loaded = []

    class Fake:
        labels = ["GPE"]

        def __init__(self, name):
            self.name, self.source = name, f"{name}-9.9"

        def predict(self, texts, batch_size=32):
            for _ in texts:
                yield []
    monkeypatch.setattr(ner, "load", lambda name=None: loaded.append(name) or Fake(name or "best"))
    w, store, ids = make_window(["Nothing here."], model="first_model")
    qtbot.waitUntil(lambda: "first_model-9.9" in w.model_label.text(), timeout=5000)
    monkeypatch.setattr(dialogs.ModelDialog, "ask", classmethod(lambda cls, parent, current: "/models/mine"))
    next(a for a in w.menuBar().actions() if a.text() == "&Model").menu().actions()[0].trigger()
    qtbot.waitUntil(lambda: "/models/mine-9.9" in w.model_label.text(), timeout=5000)
    assert store.setting("model") == "/models/mine" and loaded == ["first_model", "/models/mine"]


def test_command_line_project_and_files(qtbot, stand_in_model, tmp_path):
    art = tmp_path / "art.txt"
    art.write_text("Talks in Seoul\r\nBody about Tokyo.", encoding="utf-8", newline="")
    args = appmod.parse([str(tmp_path / "mine.annotator"), str(art), "--model", "x"])
    assert args.model == "x" and args.paths == [str(tmp_path / "mine.annotator"), str(art)]
    main = appmod.App(args.model)
    assert main.open(args.paths[0], args.paths[1:])
    qtbot.addWidget(main.window)
    # Imported in the background, as File > Import does; then opened.
    qtbot.waitUntil(lambda: main.window.session.doc is not None and
                    main.window.session.doc.title == "Talks in Seoul", timeout=5000)
    assert main.window.session.doc.text == "Talks in Seoul\r\nBody about Tokyo."
    # File > Open another project replaces the window; the first one is in Recent projects.
    other = tmp_path / "other.annotator"
    main.window.project_requested.emit(str(other))
    qtbot.addWidget(main.window)
    assert main.window.store.path == other
    from PySide6.QtCore import QSettings
    assert QSettings().value("recent_projects", [], list)[:2] == [str(other), str(tmp_path / "mine.annotator")]
    main.window.model.runner.wait(5000)


def test_paste_dialog_tab_moves_on_and_ctrl_enter_adds(qtbot):
    d = dialogs.PasteDialog()
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    d.text.setFocus()
    d.text.insertPlainText("Kim\tin Seoul")              # a pasted tab is kept
    qtbot.keyClick(d.text, Qt.Key.Key_Tab)
    assert d.text.toPlainText() == "Kim\tin Seoul" and not d.text.hasFocus()
    d.text.setFocus()
    with qtbot.waitSignal(d.accepted, timeout=2000):
        qtbot.keyClick(d.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert d.result() == d.DialogCode.Accepted


def test_paste_dialog_opens_in_the_text(qtbot):
    d = dialogs.PasteDialog()
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    assert d.focusWidget() is d.text
