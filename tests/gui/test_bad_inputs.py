"""The bad-input catalogue, import side, in the window (issue 5): the question for a file that
is not UTF-8, a 50 MB import that never freezes the UI, odd label names shown literally
everywhere they are drawn, and an HTML page shown as text."""
from __future__ import annotations

import json
import sqlite3
import time

import pytest
from PySide6.QtCore import QEvent, QPoint, QTimer
from PySide6.QtGui import QAccessible, QHelpEvent, QTextDocument
from PySide6.QtWidgets import QApplication, QMessageBox, QToolTip

from gui import dialogs
from models.spans import Span

CP1252_TEXT = "Headline from Zurich\nCafé — “quoted” naïve résumé for €5 in München\n"
ODD_LABELS = ["<b>bold</b>", "\"quoted\"_'single'", "R&D", "🦄", "L" * 100]


def texts(path) -> list[str]:
    con = sqlite3.connect(path)
    try:
        return [t for (t,) in con.execute("SELECT text FROM texts ORDER BY doc_id")]
    finally:
        con.close()


@pytest.fixture
def shown(monkeypatch):
    """The problems the window shows after an import (the box replaced by a list)."""
    got: list[list[str]] = []
    monkeypatch.setattr(dialogs, "show_problems",
                        lambda parent, title, summary, problems: got.append([str(p) for p in problems]))
    return got


@pytest.fixture
def questions(monkeypatch):
    """The encoding questions asked; each answered with ``questions.answer`` (default yes)."""
    class Asked(list):
        answer = True
    asked = Asked()

    def ask(cls, parent, files, encoding, preview, answer):
        asked.append((files, encoding, preview, cls.text(files, encoding, preview)))
        answer(asked.answer)
    monkeypatch.setattr(dialogs.EncodingQuestion, "ask", classmethod(ask))
    return asked


# -- not UTF-8: a question, then the file in the encoding the user accepted ----------------------

def test_cp1252_file_asks_then_imports_the_decoded_text(make_window, qtbot, tmp_path, shown, questions):
    path = tmp_path / "zurich.txt"
    path.write_bytes(CP1252_TEXT.encode("cp1252"))
    w, store, _ = make_window(["Existing."])
    w.import_files([str(path)])
    qtbot.waitUntil(lambda: len(texts(store.path)) == 2, timeout=10000)
    assert texts(store.path)[1] == CP1252_TEXT                  # exactly the decoded text
    [(files, encoding, preview, (question, button))] = questions
    assert (files, encoding, preview) == ([str(path)], "cp1252", "Headline from Zurich")
    assert question == ('zurich.txt is not UTF-8. It looks like Windows-1252 (Western European):'
                        '\n\n"Headline from Zurich"')
    assert button == "Import as Windows-1252"
    # The first report named the file and line, and what comes next (not a command line).
    offset = CP1252_TEXT.encode("cp1252").index(b"\xe9")
    assert shown == [[f"{path}:2: not UTF-8 (byte 0xe9 at line 2, offset {offset}); it looks like "
                      "Windows-1252 (Western European): asked whether to import it as Windows-1252 "
                      "(Western European)"]]
    qtbot.waitUntil(lambda: w.session.doc is not None and w.session.doc.text == CP1252_TEXT, timeout=5000)


def test_a_jsonl_with_a_cp1252_line_asks_and_imports_that_line_only_once(make_window, qtbot, tmp_path,
                                                                          shown, questions):
    """JSONL: the first line that is not UTF-8 gets the question too (not the command line's
    advice); read again in cp1252, the UTF-8 lines are the same texts (skipped as duplicates)
    and the other line comes in, its span on the right characters."""
    import json
    path = tmp_path / "mixed.jsonl"
    good = {"text": "Café Müller opened in São Paulo.", "spans": [{"start": 22, "end": 31, "label": "GPE"}]}
    bad = {"text": "Zoë Brontë in Zürich today.", "spans": [{"start": 14, "end": 20, "label": "GPE"}]}
    path.write_bytes(json.dumps(good, ensure_ascii=False).encode("utf-8") + b"\n"
                     + json.dumps(bad, ensure_ascii=False).encode("cp1252") + b"\n")
    w, store, _ = make_window(["Existing."])
    w.import_files([str(path)])
    qtbot.waitUntil(lambda: len(texts(store.path)) == 3, timeout=10000)
    qtbot.wait(100)
    assert sorted(texts(store.path)) == sorted(["Existing.", good["text"], bad["text"]])
    assert [q[1] for q in questions] in (["cp1252"], ["cp1250"]) and "--encoding" not in str(shown)
    doc = next(d for d, *_ in store.document_rows() if store.document(d).text == bad["text"])
    assert [bad["text"][s.start:s.end] for s in store.spans(doc)] == ["Zürich"]


def test_skip_imports_nothing_and_the_rest_is_kept(make_window, qtbot, tmp_path, shown, questions):
    bad, good = tmp_path / "zurich.txt", tmp_path / "good.txt"
    bad.write_bytes(CP1252_TEXT.encode("cp1252"))
    good.write_text("A good UTF-8 article about Seoul.", encoding="utf-8")
    questions.answer = False
    w, store, _ = make_window()
    w.import_files([str(bad), str(good)])
    qtbot.waitUntil(lambda: bool(questions), timeout=10000)
    qtbot.wait(200)
    assert texts(store.path) == ["A good UTF-8 article about Seoul."]
    assert len(shown) == 1 and "zurich.txt:2: not UTF-8" in shown[0][0]
    assert not w.jobs.busy


def test_utf16_with_bom_asks_too(make_window, qtbot, tmp_path, shown, questions):
    text = "Seoul 🦄\r\nsecond line"
    path = tmp_path / "u16.txt"
    path.write_bytes(text.encode("utf-16"))
    w, store, _ = make_window()
    w.import_files([str(path)])
    qtbot.waitUntil(lambda: len(texts(store.path)) == 1, timeout=10000)
    assert texts(store.path) == [text]
    [(_, encoding, preview, (question, button))] = questions
    assert encoding == "utf-16" and button == "Import as UTF-16"
    assert question == 'u16.txt is UTF-16. It begins:\n\n"Seoul 🦄"'
    assert shown == [[f"{path}: file is UTF-16 (it starts with a UTF-16 byte-order mark); asked "
                      "whether to import it as UTF-16"]]


def test_several_files_one_question_per_encoding(tmp_path):
    files = [str(tmp_path / f"f{i}.txt") for i in range(7)]
    question, button = dialogs.EncodingQuestion.text(files, "cp1251", "Привет")
    assert question == ("7 files are not UTF-8 (f0.txt, f1.txt, f2.txt, f3.txt, f4.txt and 2 more). "
                        "They look like Windows-1251 (Cyrillic). The first begins:\n\n\"Привет\"")
    assert button == "Import as Windows-1251"


REAL_QUESTION = dialogs.EncodingQuestion.__dict__["ask"]      # before conftest replaces it


def test_the_real_question_box(qtbot, tmp_path, monkeypatch):
    """The box itself (not replaced): plain text, the two buttons, the answer given."""
    monkeypatch.setattr(dialogs.EncodingQuestion, "ask", REAL_QUESTION)
    answers = []
    parent = QMessageBox()          # any widget to sit on
    qtbot.addWidget(parent)
    dialogs.EncodingQuestion.ask(parent, [str(tmp_path / "<b>x<b>.txt")], "cp1252", "Caf&eacute;", answers.append)
    box = next(b for b in QApplication.topLevelWidgets()
               if isinstance(b, QMessageBox) and b.windowTitle() == "Import: not UTF-8" and b.isVisible())
    assert box.text().startswith("<b>x<b>.txt is not UTF-8.") and '"Caf&eacute;"' in box.text()
    assert box.textFormat() == box.textFormat().PlainText
    buttons = {b.text(): b for b in box.buttons()}
    assert set(buttons) == {"Import as Windows-1252", "Skip"}
    buttons["Import as Windows-1252"].click()
    qtbot.waitUntil(lambda: answers == [True], timeout=2000)


# -- a 50 MB text file ---------------------------------------------------------------------------

def test_50_mb_import_never_freezes_the_ui(make_window, qtbot, tmp_path, monkeypatch, stand_in_model):
    line = "Kim Jong Un met Putin in Seoul on Monday to talk about the border and trade. " * 2 + "\n"
    path = tmp_path / "huge.txt"
    with path.open("w", encoding="utf-8") as f:
        f.write("A very long article\n")
        f.write(line * (50_000_000 // len(line)))
    size = path.stat().st_size
    assert size >= 49_000_000
    w, store, _ = make_window(["Existing."])
    opened = []
    real_open = w.open_document
    monkeypatch.setattr(w, "open_document", lambda doc_id: opened.append(doc_id) or True)
    ticks = [time.perf_counter()]
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    reports = []
    w.jobs.imported.connect(reports.append)
    timer.start()
    # Measure on a quiet UI thread: earlier tests' background threads (a real model loading)
    # may still hold the GIL for a moment; wait (at most ~3 s) for 300 ms of steady ticks.
    for _ in range(10):
        del ticks[:]
        qtbot.wait(300)
        if max((b - a for a, b in zip(ticks, ticks[1:])), default=1) < 0.06:
            break
    ticks[:] = [time.perf_counter()]
    started = time.perf_counter()
    w.import_files([str(path)])
    qtbot.waitUntil(lambda: bool(reports), timeout=120000)
    ticks.append(time.perf_counter())           # the slot that took the report counts too
    took = time.perf_counter() - started
    qtbot.wait(50)
    timer.stop()
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    print(f"\n50 MB import ({size / 1e6:.1f} MB): {took:.2f} s, {len(ticks)} ticks, "
          f"longest gap between 10 ms ticks {max(gaps) * 1000:.0f} ms")
    assert reports[0].problems == [] and len(reports[0].added) == 1
    # Unloaded: 60-120 ms (the worker's single C calls over the whole text — joining the decoded
    # megabytes, hashing's encode, SQLite's bind — hold the GIL 25-90 ms each; the surrogate
    # check, one regex call of ~150 ms over the whole text once, now goes a megabyte at a time).
    # On 2 cores shared with other test runs (load 4) up to ~370 ms was seen; the import itself
    # on the UI thread would be ~1 s.
    assert max(gaps) < 0.5
    doc_id = reports[0].added[0]
    assert opened[-1] == doc_id
    assert store.document(doc_id).text == path.read_text(encoding="utf-8")
    # What the user meets next: opening it (measured, reported; not bounded here). The model is
    # kept out: a real one refuses 50 M characters (spaCy's max_length), the stand-in's
    # hundreds of thousands of suggestions would take minutes — neither is what is measured.
    monkeypatch.setattr(w.model, "predict", lambda doc_id, text: None)
    painted = []
    w.view.viewport().installEventFilter(filt := PaintSpy(painted))
    t0 = time.perf_counter()
    assert real_open(doc_id) is False           # read in the background: the window goes on
    opened_at = time.perf_counter()
    assert w.session.doc.id != doc_id and w.statusBar().currentMessage().startswith("Opening “A very long article”: reading its 4")
    qtbot.waitUntil(lambda: w.session.doc.id == doc_id, timeout=120000)
    print(f"  read in the background for {time.perf_counter() - t0:.2f} s")
    painted.clear()
    qtbot.waitUntil(lambda: bool(painted), timeout=120000)
    print(f"opening it: open_document {opened_at - t0:.2f} s, first paint after "
          f"{painted[0] - t0:.2f} s")
    # the first screen is drawn at once, the rest laid in behind it (gui/article_view/feed.py)
    qtbot.waitUntil(lambda: not w.view.feeder.active, timeout=120000)
    print(f"  all of it laid in after {time.perf_counter() - t0:.2f} s")
    assert w.session.doc.id == doc_id and w.view.document().characterCount() >= size
    w.view.viewport().removeEventFilter(filt)


class PaintSpy(QTimer):
    """Notes the time of each paint of the widget it filters."""

    def __init__(self, out: list):
        super().__init__()
        self.out = out

    def eventFilter(self, obj, e) -> bool:
        if e.type() == QEvent.Type.Paint:
            self.out.append(time.perf_counter())
        return False


# -- odd label names: literal everywhere -----------------------------------------------------------

def plain(tooltip: str) -> str:
    doc = QTextDocument()
    if tooltip.lstrip().startswith("<"):
        doc.setHtml(tooltip)
    else:
        doc.setPlainText(tooltip)
    return doc.toPlainText()


def test_odd_label_names_are_shown_literally(make_window, qtbot, tmp_path, shown):
    words = " ".join(["word"] * len(ODD_LABELS))
    spans = [{"start": 5 * i, "end": 5 * i + 4, "label": name} for i, name in enumerate(ODD_LABELS)]
    path = tmp_path / "labels.jsonl"
    path.write_text(json.dumps({"text": words, "spans": spans}, ensure_ascii=False) + "\n", encoding="utf-8")
    w, store, _ = make_window()
    w.import_files([str(path)])
    qtbot.waitUntil(lambda: w.session.doc is not None and len(w.session.spans) == len(ODD_LABELS), timeout=10000)
    assert shown == []
    con = sqlite3.connect(store.path)
    stored = [n for (n,) in con.execute("SELECT label FROM spans ORDER BY start")]
    names = {n for (n,) in con.execute("SELECT name FROM labels")}
    con.close()
    assert stored == ODD_LABELS and set(ODD_LABELS) <= names          # byte-exact in SQLite
    # The label bar: each button shows the name (R&D, not a mnemonic "RD"), tooltip literal.
    by_name = {}
    for act in w.registry.group("label"):
        button = w.label_bar.widgetForAction(act)
        shown_text = QAccessible.queryAccessibleInterface(button).text(QAccessible.Text.Name)
        by_name[shown_text.split("   ", 1)[1]] = (act, button)
    for name in ODD_LABELS:
        act, button = by_name[name]
        assert plain(button.toolTip()) == name and plain(act.toolTip()) == name
    # The entity table: the Label column and the relabel combo.
    model = w.span_table.model_
    assert [model.index(r, 1).data() for r in range(model.rowCount())] == ODD_LABELS
    editor = w.span_table.itemDelegateForColumn(1).createEditor(w.span_table, None, model.index(0, 1))
    assert set(ODD_LABELS) <= {editor.itemText(i) for i in range(editor.count())}
    # The view: the tags painted (label text, tag width measured for the name) and the tooltip.
    hl = w.view.highlighter
    assert [s.label for s in hl.spans_between(0, len(words))] == ODD_LABELS
    assert all(hl.tag_widths[name] > 0 for name in ODD_LABELS)
    for name, span in zip(ODD_LABELS, spans):
        rect = w.view.cursorRect(cursor_at(w.view, span["start"] + 1))
        QApplication.sendEvent(w.view, QHelpEvent(QEvent.Type.ToolTip, rect.center(),
                                                  w.view.mapToGlobal(rect.center())))
        assert plain(QToolTip.text()) == f"{name} · yours"
    QToolTip.hideText()


def cursor_at(view, pos: int):
    c = view.textCursor()
    c.setPosition(pos)
    return c


def new_label(make_window, qtbot, typed: str):
    """A window and its New label dialog, with ``typed`` as the name and OK pressed."""
    w, store, _ = make_window(["Kim met Putin."])
    d = dialogs.NewLabelDialog(w.session.labels, w)
    qtbot.addWidget(d)
    d.name.setText(typed)
    d.accept()
    return w, store, d


@pytest.mark.parametrize("typed,stored", [("<b>bold</b>", "<B>BOLD</B>"), ("r&d", "R&D"), ("🦄", "🦄"),
                                          ("\"quoted\"_'single'", "\"QUOTED\"_'SINGLE'")])
def test_new_label_dialog_keeps_odd_names(make_window, qtbot, typed, stored):
    w, store, d = new_label(make_window, qtbot, typed)
    assert d.result() == d.DialogCode.Accepted and d.error.text() == ""
    assert w.session.add_label(d.label())
    assert stored in store.labels()
    con = sqlite3.connect(store.path)
    assert con.execute("SELECT name FROM labels WHERE name = ?", [stored]).fetchone() == (stored,)
    con.close()
    act = next(a for a in w.registry.group("label") if plain(a.toolTip()) == stored)
    button = w.label_bar.widgetForAction(act)
    assert QAccessible.queryAccessibleInterface(button).text(QAccessible.Text.Name).endswith("   " + stored)


@pytest.mark.parametrize("typed,message", [
    ("L" * 200, "label name '" + "L" * 39 + "…' must be 1-100 characters without spaces (200 characters)"),
    ("\"quoted\" 'single'", "label name '\"QUOTED\" \\'SINGLE\\'' must be 1-100 characters without spaces"),
])
def test_new_label_dialog_refuses_clearly(make_window, qtbot, typed, message):
    w, store, d = new_label(make_window, qtbot, typed)
    assert d.result() != d.DialogCode.Accepted and d.error.text() == message


# -- an HTML page --------------------------------------------------------------------------------

PAGE = ('<html><head><script>alert("pwned")</script></head><body><p>Kim met <b>Putin</b>.</p>'
        '<img src=x onerror="alert(1)"></body></html>\n')


def test_html_page_imported_as_txt_is_shown_as_text(make_window, qtbot, tmp_path, shown):
    path = tmp_path / "page.txt"
    path.write_text(PAGE, encoding="utf-8")
    w, store, _ = make_window()
    w.import_files([str(path)])
    qtbot.waitUntil(lambda: w.session.doc is not None, timeout=10000)
    assert w.session.doc.text == PAGE and texts(store.path) == [PAGE]
    assert w.view.document().toRawText() == PAGE.replace("\n", "\u2029")   # every character, as text
    assert shown == []


def test_span_on_html_text_keeps_its_label(make_window, qtbot):
    w, store, ids = make_window([PAGE])
    w.session.add_label(w.session.labels.new_label("<script>"))
    assert w.session.labels.get("<script>") is not None
    start = PAGE.index("Putin")
    assert w.session.add_span(start, start + 5, "<script>")
    assert store.spans(ids[0]) == [Span(start, start + 5, "<script>")]
    assert w.span_table.model_.index(0, 1).data() == "<script>"


def test_the_question_comes_before_the_report_that_says_it_was_asked(make_window, qtbot, tmp_path, monkeypatch):
    order = []
    monkeypatch.setattr(dialogs, "show_problems", lambda *a: order.append("report"))
    monkeypatch.setattr(dialogs.EncodingQuestion, "ask", classmethod(
        lambda cls, parent, files, enc, preview, answer: (order.append("question"), answer(True))))
    path = tmp_path / "zurich.txt"
    path.write_bytes(CP1252_TEXT.encode("cp1252"))
    w, store, _ = make_window(["Existing."])
    w.import_files([str(path)])
    qtbot.waitUntil(lambda: len(texts(store.path)) == 2, timeout=10000)
    assert order == ["question", "report"]
