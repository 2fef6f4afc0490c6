"""A huge document is read off the UI thread (``Session.HUGE``, lowered here): the window goes
on with what it shows until the text is read, then opens it whole; a later choice wins; a
damaged one is said and the open document stays."""
from __future__ import annotations

import sqlite3

import pytest

from gui import dialogs
from gui.session import Session
from models.spans import Span
from models.store import Store

TEXT = "Seoul 😀 said 𠮷 on Monday.\r\nTokyo answered.\n" * 40      # 1,720 code points


@pytest.fixture
def project(tmp_path):
    store = Store(tmp_path / "huge.annotator")
    ids, _ = store.add_documents([
        {"text": "A small one about Seoul.", "title": "small"},
        {"text": TEXT, "title": "huge", "spans": [Span(0, 5, "GPE"), Span(len(TEXT) - 16, len(TEXT) - 11, "GPE")]},
        {"text": TEXT + "Again.", "title": "huge too"}])
    yield store, ids
    store.close()


@pytest.fixture
def session(qtbot, project, monkeypatch):
    monkeypatch.setattr(Session, "HUGE", 1000)
    s = Session(project[0])
    yield s
    s.wait_reading()


def test_a_huge_document_is_read_in_the_background_then_opened_whole(qtbot, project, session):
    store, (small, huge, _) = project
    said, opened = [], []
    session.opening.connect(said.append)
    session.document_opened.connect(opened.append)
    assert session.open_document(small) and session.doc.id == small
    assert session.open_document(huge) is False        # not yet: being read
    assert session.doc.id == small and said == ["Opening “huge”: reading its 1,720 characters…"]
    assert session.open_document(huge) is False and len(said) == 1    # the same read, not again
    qtbot.waitUntil(lambda: session.doc.id == huge, timeout=10000)
    assert said[-1] == "" and opened[-1].id == huge
    assert session.doc.text == TEXT                      # exactly, CRLF and astral characters
    assert [(s.start, s.end, s.label) for s in session.spans] == [(0, 5, "GPE"), (len(TEXT) - 16, len(TEXT) - 11, "GPE")]
    assert TEXT[session.spans[1].start:session.spans[1].end] == "Tokyo"


def test_a_huge_text_s_offset_map_is_built_where_it_was_read_not_on_the_ui_thread(qtbot, project, session, monkeypatch):
    import threading

    from gui import offsets, session as session_module
    built = []

    class Recorded(offsets.OffsetMap):
        def __init__(self, text):
            built.append((threading.current_thread() is threading.main_thread(), len(text)))
            super().__init__(text)
    monkeypatch.setattr(session_module, "OffsetMap", Recorded)
    store, (small, huge, _) = project
    session.open_document(huge)
    qtbot.waitUntil(lambda: session.doc is not None and session.doc.id == huge, timeout=10000)
    assert built == [(False, len(TEXT))]               # once, on the reader's thread
    assert session.owner.map.text is session.doc.text and isinstance(session.owner.map, Recorded)
    a = TEXT.index("𠮷")                               # astral and CRLF mapped as built anew
    fresh = offsets.OffsetMap(TEXT)
    assert [session.owner.map.to_qt(i) for i in (a, a + 1, len(TEXT))] == [fresh.to_qt(i) for i in (a, a + 1, len(TEXT))]


def test_a_later_choice_wins_over_a_read_still_running(qtbot, project, session):
    store, (small, huge, huge2) = project
    opened = []
    session.document_opened.connect(lambda d: opened.append(d.id))
    session.open_document(small)
    assert session.open_document(huge) is False
    assert session.open_document(huge2) is False        # chosen before the first was read
    qtbot.waitUntil(lambda: session.doc.id == huge2, timeout=10000)
    session.wait_reading()
    qtbot.wait(50)
    assert opened == [small, huge2] and session.doc.text == TEXT + "Again."
    session.open_document(huge)
    assert session.open_document(small) is True          # a small one at once: the read dropped
    session.wait_reading()
    qtbot.wait(50)
    assert session.doc.id == small and opened == [small, huge2, small]


def test_a_damaged_huge_document_is_said_and_the_open_one_stays(qtbot, project, session):
    store, (small, huge, _) = project
    con = sqlite3.connect(store.path)
    con.execute("UPDATE spans SET end = 99999 WHERE doc_id = ?", [huge])   # past its end
    con.commit()
    con.close()
    failed = []
    session.open_failed.connect(failed.append)
    session.open_document(small)
    assert session.open_document(huge) is False
    qtbot.waitUntil(lambda: bool(failed), timeout=10000)
    assert "huge" in failed[0] and "99999" in failed[0]
    assert session.doc.id == small and session.doc.text == "A small one about Seoul."


def test_the_window_says_it_reads_and_returns_to_the_place_left(make_window, stand_in_model, qtbot, monkeypatch):
    monkeypatch.setattr(Session, "HUGE", 1000)
    w, store, (small, huge) = make_window(["A small one about Seoul.", TEXT])
    w.session.wait_reading()
    qtbot.waitUntil(lambda: w.session.doc is not None and w.session.doc.id == small, timeout=5000)
    assert w.open_document(huge) is False
    assert w.statusBar().currentMessage() == "Opening “doc 1”: reading its 1,720 characters…"
    qtbot.waitUntil(lambda: w.session.doc.id == huge, timeout=10000)
    assert "Opening" not in w.statusBar().currentMessage() and w.view.toPlainText().replace("\u2029", "\n") == TEXT.replace("\r\n", "\n")
    assert w.docs_model.doc_id(w.doc_table.currentIndex().row()) == huge
    w.view.restore_position(1200, 1000)
    w.close()                                            # the place is remembered
    w2, _, _ = make_window(path=store.path)
    qtbot.waitUntil(lambda: w2.session.doc is not None and w2.session.doc.id == huge, timeout=10000)
    assert w2.view.cursor_cp() == 1200


def test_the_window_shows_why_a_huge_document_cannot_be_opened(make_window, stand_in_model, qtbot, monkeypatch):
    monkeypatch.setattr(Session, "HUGE", 1000)
    w, store, (small, huge) = make_window(["A small one about Seoul.", TEXT])
    con = sqlite3.connect(store.path)
    con.execute("UPDATE documents SET length = 7 WHERE id = ?", [huge])    # 7 is not its text's
    con.commit()
    con.close()
    monkeypatch.setattr(Session, "HUGE", 5)
    shown = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, message: shown.append((title, message)))
    assert w.open_document(huge) is False
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    assert shown[0][0] == "Cannot open this document" and "recorded length 7" in shown[0][1]
    assert w.session.doc.id == small and "Opening" not in w.statusBar().currentMessage()


def test_a_huge_text_is_not_sent_to_the_model_on_opening(make_window, stand_in_model, qtbot, monkeypatch):
    from gui import main_window
    monkeypatch.setattr(main_window, "LIVE_MAX", 1000)
    w, store, (small, huge) = make_window(["A small one about Seoul.", TEXT], start=False)
    qtbot.waitUntil(lambda: w.model.pipeline is not None, timeout=10000)
    asked = []
    real = w.model.predict
    monkeypatch.setattr(w.model, "predict", lambda doc_id, text: asked.append(doc_id) or real(doc_id, text))
    w.start()
    w.open_document(huge)
    qtbot.waitUntil(lambda: w.session.doc.id == huge, timeout=5000)
    assert asked == [small]                         # the small one at once, the huge one not
    assert w.statusBar().currentMessage() == (
        "The model is not run on opening a text of 1,720 characters (over 1,000): "
        "Model ▸ Pre-annotate all documents runs it in the background.")
    w.open_document(small)
    qtbot.waitUntil(lambda: len(w.session.spans) == 1, timeout=5000)     # its suggestion came
