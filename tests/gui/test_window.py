"""Drive the real main window on a real project file (stand-in model: fast and certain)."""
from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from gui import dialogs
from gui.main_window import MainWindow
from gui.typing_guard import BURST_MS
from models.labels import Label
from models.store import Store
from tests.gui.viewprobe import background_at, colour_at, coloured

TEXT = "Kim Jong Un 😀 met officials in Seoul on Monday.\r\nApple 𠮷 opened in Tokyo 🇰🇷 café\u0301 today."
COLORS = {"PERSON": "#aa9cfc", "ORG": "#7aecec", "GPE": "#feca74", "DATE": "#bfe1d9"}


def model_done(store, doc_id):
    return lambda: store.preannotated(doc_id) is not None


@pytest.fixture
def annotated(make_window, stand_in_model, qtbot):
    w, store, ids = make_window([TEXT, "Second article about Apple.", "Third one."])
    qtbot.waitUntil(model_done(store, ids[0]), timeout=5000)
    return w, store, ids


def key(qtbot, w, k, mods=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(w.view, k, mods)


def pause(qtbot):
    """A person's pause between two label keys (back-to-back ones are typing: gui.typing_guard)."""
    qtbot.wait(BURST_MS + 50)


def test_model_suggestions_highlight_the_right_characters(annotated, db_rows):
    w, store, ids = annotated
    rows = db_rows(store.path, ids[0])
    got = [(TEXT[s:e], label, src) for _, s, e, label, src in rows]
    assert got == [("Kim Jong Un", "PERSON", "stand_in-1.0"), ("Seoul", "GPE", "stand_in-1.0"),
                   ("Monday", "DATE", "stand_in-1.0"), ("Apple", "ORG", "stand_in-1.0"),
                   ("Tokyo", "GPE", "stand_in-1.0")]
    # Coloured runs sit exactly on those characters, after emoji, CRLF and 𠮷.
    runs = [(TEXT[s:e], label) for s, e, label in coloured(w.view, TEXT)]
    assert [r[0] for r in runs] == ["Kim Jong Un", "Seoul", "Monday", "Apple", "Tokyo"]
    # Model suggestions are pale (alpha), not the solid label colour.
    assert background_at(w.view, TEXT.index("Seoul")).alpha() < 255


def test_label_edit_relabel_delete_undo_redo_through_the_keyboard(annotated, qtbot, db_rows):
    w, store, ids = annotated
    path, doc = store.path, ids[0]
    start = TEXT.index("officials")
    # Select "fficia" (mid-word): the selection snaps to the token "officials".
    w.view.select_range(start + 1, start + 7)
    key(qtbot, w, Qt.Key.Key_2)                        # ORG
    assert (doc, start, start + 9, "ORG", "manual") in db_rows(path, doc)
    assert colour_at(w.view, start) == COLORS["ORG"] and colour_at(w.view, start + 8) == COLORS["ORG"]
    assert colour_at(w.view, start + 9) is None
    assert w.view.selected.label == "ORG"
    pause(qtbot)
    key(qtbot, w, Qt.Key.Key_1)                        # relabel the selected span: PERSON
    assert (doc, start, start + 9, "PERSON", "manual") in db_rows(path, doc)
    assert colour_at(w.view, start) == COLORS["PERSON"]
    key(qtbot, w, Qt.Key.Key_Delete)
    assert not [r for r in db_rows(path, doc) if r[1] == start]
    assert colour_at(w.view, start) is None
    key(qtbot, w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)       # undo delete
    assert (doc, start, start + 9, "PERSON", "manual") in db_rows(path, doc)
    assert colour_at(w.view, start) == COLORS["PERSON"]
    key(qtbot, w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)       # undo relabel
    assert (doc, start, start + 9, "ORG", "manual") in db_rows(path, doc)
    key(qtbot, w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert (doc, start, start + 9, "PERSON", "manual") in db_rows(path, doc)
    assert colour_at(w.view, start) == COLORS["PERSON"]


def test_new_span_replaces_overlapped_and_exact_mode_keeps_characters(annotated, qtbot, db_rows):
    w, store, ids = annotated
    doc = ids[0]
    s = TEXT.index("Jong")
    w.exact_action.trigger()                          # exact: no snapping
    w.view.select_range(s, s + 2)                     # "Jo" inside "Kim Jong Un"
    key(qtbot, w, Qt.Key.Key_3)
    rows = db_rows(store.path, doc)
    assert (doc, s, s + 2, "GPE", "manual") in rows
    assert not [r for r in rows if r[1] == 0]         # the model's PERSON span was replaced
    assert colour_at(w.view, s) == COLORS["GPE"] and colour_at(w.view, s + 2) is None


def test_tab_and_token_resize(annotated, qtbot, db_rows):
    w, store, ids = annotated
    doc = ids[0]
    w.view.setFocus()
    key(qtbot, w, Qt.Key.Key_Tab)
    key(qtbot, w, Qt.Key.Key_Tab)
    assert w.view.selected is not None and TEXT[w.view.selected.start:w.view.selected.end] == "Seoul"
    key(qtbot, w, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)     # end grows by a token
    s = TEXT.index("Seoul")
    assert (doc, s, s + len("Seoul on"), "GPE", "manual") in db_rows(store.path, doc)
    key(qtbot, w, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier)
    assert (doc, TEXT.index("in Seoul"), s + len("Seoul on"), "GPE", "manual") in db_rows(store.path, doc)
    key(qtbot, w, Qt.Key.Key_Return)                   # confirm (already manual: nothing)
    key(qtbot, w, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert TEXT[w.view.selected.start:w.view.selected.end] == "Kim Jong Un"
    key(qtbot, w, Qt.Key.Key_Return)                   # confirm the model's span
    assert (doc, 0, 11, "PERSON", "manual") in db_rows(store.path, doc)


def test_done_opens_next_and_export_is_exact(annotated, qtbot, tmp_path):
    w, store, ids = annotated
    key(qtbot, w, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert store.document_status(ids[0]) == "done"
    assert w.session.doc.id == ids[1]
    out = tmp_path / "out.jsonl"
    from models.exporter import export_jsonl
    assert export_jsonl(Store(store.path), out) == 1
    task = json.loads(out.read_text("utf-8"))
    assert task["text"] == TEXT
    assert [(TEXT[s["start"]:s["end"]], s["label"]) for s in task["spans"]] == [
        ("Kim Jong Un", "PERSON"), ("Seoul", "GPE"), ("Monday", "DATE"), ("Apple", "ORG"), ("Tokyo", "GPE")]
    who = store.annotator               # the person who did it (the system user: never named here)
    assert task["meta"] == {"doc_id": ids[0], "title": "doc 0", "status": "done", "annotator": who}
    assert task["_annotator_id"] == f"{store.path.stem}-{who}"


def test_undo_history_and_place_survive_a_restart(annotated, qtbot, make_window, db_rows):
    w, store, ids = annotated
    s = TEXT.index("officials")
    w.view.select_range(s, s + 9)
    key(qtbot, w, Qt.Key.Key_2)
    w.view.select_span(None)
    w.save_position()
    w.close()
    w2 = MainWindow(Store(store.path))
    qtbot.addWidget(w2)
    w2.show()
    w2.start()
    assert w2.session.doc.id == ids[0]
    assert w2.undo_action.isEnabled()
    assert (ids[0], s, s + 9, "ORG", "manual") in db_rows(store.path, ids[0])
    w2.undo_action.trigger()
    assert not [r for r in db_rows(store.path, ids[0]) if r[1] == s]
    w2.undo_action.trigger()                           # the model's pre-annotation, too
    assert db_rows(store.path, ids[0]) == []
    w2.redo_action.trigger()
    assert len(db_rows(store.path, ids[0])) == 5
    w2.model.runner.wait(5000)


def test_new_label_and_literal_markup(make_window, stand_in_model, qtbot, monkeypatch, db_rows):
    text = "<b>Bold</b> claims & <script>alert(1)</script> in Seoul."
    w, store, ids = make_window([text])
    qtbot.waitUntil(model_done(store, ids[0]), timeout=5000)
    assert w.view.toPlainText() == text                  # shown literally
    monkeypatch.setattr(dialogs.NewLabelDialog, "ask",
                        classmethod(lambda cls, parent, labels: Label("<b>TAG</b>", "#123456", "p", order=99)))
    w.new_label_action.trigger()
    assert "<b>TAG</b>" in store.labels()
    w.view.select_range(0, 3)
    key(qtbot, w, Qt.Key.Key_P)
    assert (ids[0], 0, 3, "<b>TAG</b>", "manual") in db_rows(store.path, ids[0])
    assert colour_at(w.view, 1) == "#123456"
    w.undo_action.trigger()
    w.undo_action.trigger()                              # the label itself is undoable
    assert "<b>TAG</b>" not in store.labels()


def test_no_model_still_allows_manual_labelling(make_window, qtbot, monkeypatch, db_rows):
    from models import ner

    def broken(name=None):
        raise ner.ModelError("no spaCy pipeline is installed")
    monkeypatch.setattr(ner, "load", broken)
    w, store, ids = make_window(["Nothing but Seoul here."])
    qtbot.waitUntil(lambda: "No model" in w.model_label.text(), timeout=5000)
    w.view.select_range(12, 17)
    key(qtbot, w, Qt.Key.Key_3)
    assert db_rows(store.path, ids[0]) == [(ids[0], 12, 17, "GPE", "manual")]


def test_a_failed_write_is_not_shown_as_saved(annotated, qtbot, monkeypatch, db_rows):
    from models.store import StoreError
    w, store, ids = annotated
    errors = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, msg: errors.append(msg))
    before = db_rows(store.path, ids[0])
    real_apply = store.commit

    def failing(edit, **kw):
        raise StoreError("disk I/O error")
    monkeypatch.setattr(store, "commit", failing)
    s = TEXT.index("officials")
    w.view.select_range(s, s + 9)
    key(qtbot, w, Qt.Key.Key_2)
    assert db_rows(store.path, ids[0]) == before
    assert colour_at(w.view, s) is None                 # the screen did not pretend
    assert w.save_label.text() == "NOT SAVED" and "disk I/O error" in errors[0]
    # An undo that fails leaves the stack in step with the file.
    w.undo_action.trigger()
    qtbot.wait(50)
    assert db_rows(store.path, ids[0]) == before
    assert w.session.history.index() == 1 and w.undo_action.isEnabled()
    monkeypatch.setattr(store, "commit", real_apply)
    pause(qtbot)
    key(qtbot, w, Qt.Key.Key_2)                         # retry works
    assert (ids[0], s, s + 9, "ORG", "manual") in db_rows(store.path, ids[0])
    assert w.save_label.text() == "All changes saved"


def test_emoji_before_an_entity_do_not_shorten_its_colour(make_window, stand_in_model, qtbot):
    text = "Emoji 🚀 test 👨\u200d👩\u200d👧 🇩🇪 😀😀😀😀😀😀 in Seoul on Monday.\r\nNext line."
    w, store, ids = make_window([text])
    qtbot.waitUntil(model_done(store, ids[0]), timeout=5000)
    runs = [text[s:e] for s, e, _ in coloured(w.view, text)]
    assert runs == ["Seoul", "Monday"]


def test_done_accepts_the_remaining_suggestions_and_undo_brings_them_back(annotated, qtbot, db_rows):
    w, store, ids = annotated
    doc = ids[0]
    assert {r[4] for r in db_rows(store.path, doc)} == {"stand_in-1.0"}
    key(qtbot, w, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert store.document_status(doc) == "done"
    assert {r[4] for r in db_rows(store.path, doc)} == {"manual"}       # exported as accepted = shown solid
    w.prev_action.trigger()
    assert w.session.doc.id == doc and w.count_label.text() == "5 entities (0 unreviewed)"
    w.undo_action.trigger()                                              # one undo: status and suggestions
    assert store.document_status(doc) == "in progress"
    assert {r[4] for r in db_rows(store.path, doc)} == {"stand_in-1.0"}
    assert background_at(w.view, TEXT.index("Seoul")).alpha() < 255


@pytest.mark.parametrize("text,label_span,cluster", [
    ("Talks with Japan 🇯🇵 today.", (11, 19), "🇯🇵"),      # ends with a flag (two code points)
    ("Family 👨‍👩‍👧 tour.", (7, 12), "👨‍👩‍👧"),             # ends with a ZWJ sequence
    ("Café e\u0301 ok.", (0, 7), "e\u0301"),               # ends with e + combining accent
    ("Plain Seoul here.", (6, 11), "l"),
])
def test_the_tag_gap_covers_the_spans_whole_last_cluster(make_window, text, label_span, cluster):
    """The label tag's gap (letter spacing) is on the span's whole last grapheme cluster: a
    format boundary inside 🇯🇵 made Qt draw the letters J P instead of the flag."""
    from gui.article_view import last_cluster
    from models.spans import Span
    w, store, ids = make_window([text])
    a, b = label_span
    assert w.session.add_span(a, b, "GPE")
    span = Span(a, b, "GPE")
    first = last_cluster(text, span)
    assert text[first:b] == cluster
    qt = w.view._qt(span)
    m = w.view.map
    assert qt.last == m.to_qt(first) and qt.end == m.to_qt(b)
    block = w.view.document().findBlock(qt.last)
    spaced = {f.start + block.position() + k for f in block.layout().formats()
              if f.format.fontLetterSpacing() > 0 for k in range(f.length)}
    assert spaced == set(range(qt.last, qt.end))      # every unit of the cluster, nothing else


def test_toolbar_buttons_keep_their_place_whatever_undo_would_undo(make_window):
    from PySide6.QtWidgets import QToolBar
    w, store, ids = make_window(["Officials from Seoul met Apple."])
    tools = next(t for t in w.findChildren(QToolBar) if t.objectName() == "tools")
    done = tools.widgetForAction(w.done_action)
    x = done.pos().x()
    assert w.session.add_span(0, 9, "ORG")
    assert w.undo_action.text().startswith("Undo ") and len(w.undo_action.text()) > 5
    assert tools.widgetForAction(w.undo_action).text() == "Undo"
    tools.layout().activate()
    assert done.pos().x() == x


def test_undo_and_redo_are_off_without_history(make_window):
    w, store, ids = make_window(["Nothing done here yet."])
    assert w.session.doc is not None and w.session.history.count() == 0
    assert not w.undo_action.isEnabled() and not w.redo_action.isEnabled()
    assert w.session.add_span(0, 7, "ORG")
    assert w.undo_action.isEnabled() and not w.redo_action.isEnabled()


def test_enter_confirms_and_goes_on_to_the_next_suggestion(make_window, stand_in_model, qtbot):
    """Reviewing Prodigy-style: Enter confirms the selected suggestion and selects the next one
    not reviewed; at the last one it stays."""
    w, store, ids = make_window(["Officials from Seoul met Apple in Tokyo on Monday."])
    qtbot.waitUntil(lambda: store.preannotated(ids[0]) is not None, timeout=5000)
    text = w.session.doc.text
    n = len(w.session.spans)
    assert n >= 3 and not any(s.is_manual for s in w.session.spans)
    w.view.setFocus()
    key(qtbot, w, Qt.Key.Key_Tab)
    seen = []
    for _ in range(n):
        seen.append(text[w.view.selected.start:w.view.selected.end])
        key(qtbot, w, Qt.Key.Key_Return)
    assert seen == [text[s.start:s.end] for s in w.session.spans]
    assert all(s.is_manual for s in w.session.spans) and w.view.selected == w.session.spans[-1]


def test_a_narrow_window_shrinks_the_side_panels_not_the_article(make_window, qtbot):
    w, store, ids = make_window(["Officials from Seoul met Apple."])
    w.resize(800, 700)
    qtbot.waitUntil(lambda: w.width() <= 820, timeout=2000)
    qtbot.wait(50)
    assert w.view.width() >= 240, (w.view.width(), w.docs_dock.width(), w.spans_dock.width())
    assert w.docs_dock.width() >= 150 and w.spans_dock.width() >= 150


def test_ctrl_z_right_after_done_takes_the_done_back(make_window, stand_in_model, qtbot):
    """Ctrl+Enter opens the next document; a Ctrl+Z before anything is done there (its model
    suggestions arriving are not the user's) reopens the previous one and undoes its Done —
    it used to undo the next document's pre-annotation, unseen."""
    w, store, ids = make_window(["Officials from Seoul met Apple.", "Tokyo and Apple met in Seoul."])
    qtbot.waitUntil(lambda: store.preannotated(ids[0]) is not None, timeout=5000)
    key(qtbot, w, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert store.document_status(ids[0]) == "done" and w.session.doc.id == ids[1]
    qtbot.waitUntil(lambda: store.preannotated(ids[1]) is not None and bool(w.session.spans), timeout=5000)
    suggestions = list(w.session.spans)
    key(qtbot, w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert w.session.doc.id == ids[0] and store.document_status(ids[0]) != "done"
    assert w.statusBar().currentMessage() == "Undone: Mark done (the previous document is open again)"
    assert not any(s.is_manual for s in store.spans(ids[0]))          # the Done's accepting too
    assert store.spans(ids[1]) == suggestions                         # the next one untouched
    # After an edit of one's own on the next document, Ctrl+Z is that document's again.
    key(qtbot, w, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert w.session.doc.id == ids[1] and w.session.add_span(0, 5, "GPE")
    key(qtbot, w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert w.session.doc.id == ids[1] and store.document_status(ids[0]) == "done"
    assert w.statusBar().currentMessage() == "Undone: Label “GPE”"


def test_enter_on_the_last_suggestion_goes_back_to_the_first_not_reviewed(make_window, stand_in_model, qtbot):
    w, store, ids = make_window(["Officials from Seoul met Apple in Tokyo on Monday."])
    qtbot.waitUntil(lambda: store.preannotated(ids[0]) is not None, timeout=5000)
    spans = w.session.spans
    w.annotator.select(spans[-1])
    key(qtbot, w, Qt.Key.Key_Return)
    assert w.view.selected == w.session.spans[0] and not w.session.spans[0].is_manual
    for _ in range(len(spans) - 1):
        key(qtbot, w, Qt.Key.Key_Return)
    assert all(s.is_manual for s in w.session.spans)
    assert "Every suggestion is reviewed" in w.statusBar().currentMessage()


def test_a_closed_window_writes_its_place_on_closing_and_never_after(make_window, qtbot, monkeypatch):
    """The place (caret) is saved when the window closes; the pending save of a caret move does
    not fire later on a window that is closed (its project may be closed by then)."""
    w, store, ids = make_window(["First article about Seoul.", "Second."])
    w.view.select_range(6, 13)                        # a caret move: the place is saved later
    assert w._position_timer.isActive()
    writes = []
    real = store.set_setting
    monkeypatch.setattr(store, "set_setting", lambda k, v: writes.append((k, v)) or real(k, v))
    w.close()
    assert [k for k, _ in writes] == ["last_pos"] and writes[0][1]["doc"] == ids[0]
    store.close()
    qtbot.wait(w._position_timer.interval() + 200)    # no write (and no error) after closing
    assert len(writes) == 1
