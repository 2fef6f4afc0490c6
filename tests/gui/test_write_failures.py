"""A write that really fails — disk full, read-only, locked — in the real window.

The store is made to fail for real on the window's own connection: ``max_page_count`` at the
file's current size (SQLite then answers SQLITE_FULL, "database or disk is full", exactly as on
a full disk), ``query_only`` (SQLITE_READONLY, as for a file that cannot be written), and a
second connection holding ``BEGIN EXCLUSIVE`` (SQLITE_BUSY, "database is locked"). For each,
a label key / Delete / Ctrl+Enter must show an error, leave the screen, the file and the undo
stack as they were, not say "saved" — and the same key press, once the cause is gone, saves.
"""
from __future__ import annotations

import sqlite3
import time

import pytest
from PySide6.QtCore import Qt

from gui import dialogs
from gui.typing_guard import BURST_MS
from models.store import INTERACTIVE_TIMEOUT
from tests.gui.conftest import ENTITY
from tests.gui.viewprobe import colour_at

SENTENCE = "Officials from Seoul met Apple in Tokyo on Monday. "
TEXT = SENTENCE * 45                  # 180 model suggestions
# Where the screen is looked at: each suggestion's first and last character and either side.
PROBES = sorted({p for m in ENTITY.finditer(TEXT) for p in (m.start() - 1, m.start(), m.end() - 1, m.end())})
FAST_BUSY_MS = 300                    # the locked cases here; the app's own timeout: see below


def dump(path) -> dict:
    """Everything an edit can touch, read through an independent connection."""
    con = sqlite3.connect(path)
    try:
        return {t: con.execute(q).fetchall() for t, q in {
            "spans": "SELECT doc_id, start, end, label, source FROM spans ORDER BY doc_id, start",
            "documents": "SELECT id, status, n_spans FROM documents ORDER BY id",
            "journal": "SELECT id, doc_id, edit, undone FROM journal ORDER BY id",
            "rejected": "SELECT doc_id, start, end, label, source FROM rejected ORDER BY 1, 2, 3",
            "labels": "SELECT name FROM labels ORDER BY name"}.items()}
    finally:
        con.close()


class DiskFull:
    reason = "disk is full"

    def __init__(self, store):
        self.conn = store.db.conn

    def __enter__(self):
        pages = self.conn.execute("PRAGMA page_count").fetchone()[0]
        assert self.conn.execute("PRAGMA freelist_count").fetchone()[0] == 0   # no page to reuse
        assert self.conn.execute(f"PRAGMA max_page_count = {pages}").fetchone()[0] == pages

    def __exit__(self, *exc):
        self.conn.execute("PRAGMA max_page_count = 1073741823")


class ReadOnly:
    reason = "read-only"

    def __init__(self, store):
        self.conn = store.db.conn

    def __enter__(self):
        self.conn.execute("PRAGMA query_only = ON")

    def __exit__(self, *exc):
        self.conn.execute("PRAGMA query_only = OFF")


class Locked:
    """Another program holds the write lock (a second connection: BEGIN EXCLUSIVE)."""
    reason = "locked"

    def __init__(self, store, busy_ms: int = FAST_BUSY_MS):
        self.store, self.busy_ms = store, busy_ms

    def __enter__(self):
        self.old_wait, self.store.wait = self.store.wait, self.busy_ms / 1000   # how long a write waits
        self.other = sqlite3.connect(self.store.path, isolation_level=None)
        self.other.execute("BEGIN EXCLUSIVE")

    def __exit__(self, *exc):
        self.other.execute("ROLLBACK")
        self.other.close()
        self.store.wait = self.old_wait


@pytest.fixture
def window(make_window, stand_in_model, qtbot, monkeypatch):
    """A window on a document with 180 model suggestions; errors shown are collected."""
    w, store, ids = make_window([TEXT, "A second article about Apple."])
    qtbot.waitUntil(lambda: store.preannotated(ids[0]) is not None, timeout=5000)
    assert len(w.session.spans) == 180
    errors: list[str] = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, msg: errors.append(msg))
    w.save_position()
    return w, store, ids, errors


def label_many(w):
    """Select the first 40 sentences (160 suggestions) for the label key ORG."""
    w.view.select_range(0, len(SENTENCE) * 40 - 1)
    return Qt.Key.Key_2, Qt.KeyboardModifier.NoModifier


def delete_one(w):
    w.annotator.select(w.session.spans[5])
    return Qt.Key.Key_Delete, Qt.KeyboardModifier.NoModifier


def mark_done(w):
    return Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier


ACTIONS = {"label": label_many, "delete": delete_one, "done": mark_done}
CONDITIONS = {"disk full": DiskFull, "read-only": ReadOnly, "locked": Locked}
# Disk full: an edit fails only if it needs a new page. Labelling 160 suggestions away and Done
# accepting 180 journal edits larger than a page; deleting one span may fit in a page's free
# space (as it would on a real full disk), so it is not a case that must fail.
CASES = [(c, a) for c in CONDITIONS for a in ACTIONS if (c, a) != ("disk full", "delete")]


def shown(w):
    """What the window shows of the document: coloured runs, spans, status, the list's row."""
    doc, m = w.session.doc, w.docs_model
    row = m.row_of(doc.id)
    colours = [colour_at(w.view, p) for p in PROBES] if doc.text == TEXT else None
    return (doc.id, doc.status, colours, list(w.view.spans), list(w.session.spans),
            w.span_table.model_.rowCount(), [m.data(m.index(row, c)) for c in range(m.columnCount())],
            w.progress_label.text())


@pytest.mark.parametrize("condition,action", CASES)
def test_a_write_that_fails_is_shown_never_saved_and_can_be_retried(window, qtbot, condition, action):
    w, store, ids, errors = window
    press = ACTIONS[action](w)
    before_file, before_screen = dump(store.path), shown(w)
    stack = w.session.history
    before_stack = (stack.count(), stack.index(), stack.undo_text())
    with CONDITIONS[condition](store):
        t = time.monotonic()
        qtbot.keyClick(w.view, *press)
        blocked = time.monotonic() - t
        assert len(errors) == 1 and CONDITIONS[condition].reason in errors[0], errors
        assert errors[0].startswith("The change was not saved")
        assert dump(store.path) == before_file                  # no trace in the file
        assert shown(w) == before_screen                        # the screen did not pretend
        assert (stack.count(), stack.index(), stack.undo_text()) == before_stack
        assert w.save_label.text() == "NOT SAVED"
        w.save_position()                                       # a cursor move: no exception
        if condition == "locked":
            assert blocked < FAST_BUSY_MS / 1000 + 1.0
    # The cause is gone: the same key press saves, and the screen shows it. (The person has read
    # the message first — the real one is a modal box; a label key again within BURST_MS of the
    # last would be typing, and ignored: gui/typing_guard.py.)
    qtbot.wait(BURST_MS + 50)
    qtbot.keyClick(w.view, *press)
    assert len(errors) == 1, errors
    after = dump(store.path)
    assert len(after["journal"]) == len(before_file["journal"]) + 1
    assert w.save_label.text() == "All changes saved"
    if action != "done":              # Done opens the next document (and its own history)
        assert stack.count() == before_stack[0] + 1 and stack.index() == before_stack[1] + 1
    doc = ids[0]
    spans = [r[1:] for r in after["spans"] if r[0] == doc]
    if action == "label":
        end = len(SENTENCE) * 40 - 1
        assert (0, end, "ORG", "manual") in spans and len(spans) == 180 - 160 + 1
        assert {colour_at(w.view, p) for p in PROBES if p < end} == {"#7aecec"}     # ORG, solid
    elif action == "delete":
        assert len(spans) == 179 == len(w.view.spans) == len(w.session.spans)
    else:
        assert ("done" in {r[1] for r in after["documents"] if r[0] == doc})
        assert all(s[3] == "manual" for s in spans) and w.session.doc.id == ids[1]


def test_a_locked_file_holds_a_key_press_for_the_windows_busy_timeout_only(window, qtbot):
    """The app opens the window's store with INTERACTIVE_TIMEOUT (1 s; the store's default, 5 s,
    froze the window for 5.03 s per key press): the press waits that long, then says why."""
    w, store, ids, errors = window
    press = label_many(w)
    with Locked(store, int(INTERACTIVE_TIMEOUT * 1000)):
        t = time.monotonic()
        qtbot.keyClick(w.view, *press)
        blocked = time.monotonic() - t
    assert len(errors) == 1 and "locked" in errors[0]
    assert INTERACTIVE_TIMEOUT * 0.9 <= blocked < INTERACTIVE_TIMEOUT + 1.0, blocked


@pytest.mark.parametrize("condition", ["read-only", "locked"])
def test_an_undo_that_fails_leaves_the_stack_in_step_with_the_file(window, qtbot, condition):
    w, store, ids, errors = window
    qtbot.keyClick(w.view, *delete_one(w))                  # something to undo
    stack = w.session.history
    before_file, before_screen, index = dump(store.path), shown(w), stack.index()
    with CONDITIONS[condition](store):
        qtbot.keyClick(w.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert stack.index() == index                 # the failed undo moved nothing
        assert len(errors) == 1 and CONDITIONS[condition].reason in errors[0], errors
        assert dump(store.path) == before_file and shown(w) == before_screen
        assert w.save_label.text() == "NOT SAVED" and w.undo_action.isEnabled()
    qtbot.keyClick(w.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len([r for r in dump(store.path)["spans"] if r[0] == ids[0]]) == 180
    assert stack.index() == index - 1 and w.save_label.text() == "All changes saved"


def test_writes_that_are_no_edit_say_so_when_the_file_cannot_be_written(window, monkeypatch):
    """Pasting an article, choosing a model, re-running the model, using a trained one: a store
    error is said in a box, not raised into Qt's event loop (where it would be lost)."""
    from types import SimpleNamespace

    w, store, ids, _ = window
    errors: list[tuple[str, str]] = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, msg: errors.append((title, msg)))
    before = dump(store.path)
    monkeypatch.setattr(dialogs.PasteDialog, "ask", classmethod(lambda cls, parent: ("T", "Kim went home.")))
    monkeypatch.setattr(dialogs.ModelDialog, "ask", classmethod(lambda cls, parent, current: "some_model"))
    monkeypatch.setattr(dialogs, "ask_yes_no", lambda *a: True)
    loaded = []
    monkeypatch.setattr(w.model, "load", lambda name=None: loaded.append(name))
    with ReadOnly(store):
        w.paste_article()
        w.choose_model()
        w.rerun_model()
        w._trained(SimpleNamespace(model_path=store.path.parent / "m", n_train=1, n_dev=1, steps=1,
                                   scores={}))
    assert [title for title, _ in errors] == ["Not imported", "Model not changed", "Model not re-run",
                                             "Model not changed"]
    assert all("read" in message.lower() for _, message in errors), errors
    assert loaded == [] and dump(store.path) == before


def test_the_error_box_of_a_failed_undo_opens_after_the_undo_so_following_is_safe(window, qtbot, monkeypatch):
    """The box is a nested event loop: the follower's timer may refresh the document while it
    is open. It opens once the failed undo has changed nothing (the history is the journal's,
    still with its step to undo); a refresh from it is then safe."""
    w, store, ids, _ = window
    qtbot.keyClick(w.view, *delete_one(w))
    stack = w.session.history
    inside: list[bool] = []

    def box(parent, title, msg):            # what happens while a real box is open
        inside.append(w.session.history.can_undo() and w.undo_action.isEnabled())
        w.session.refresh({ids[0]})         # another window committed: the follower refreshes
    monkeypatch.setattr(dialogs, "show_error", box)
    with ReadOnly(store):
        qtbot.keyClick(w.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: inside == [True], timeout=2000)
    qtbot.wait(20)
    assert stack.count() >= 1 and stack.can_undo() and w.save_label.text() == "NOT SAVED"
    qtbot.keyClick(w.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len([r for r in dump(store.path)["spans"] if r[0] == ids[0]]) == 180


def test_the_place_in_the_article_never_waits_for_another_writer_and_is_saved_after(window, qtbot):
    """An import's batch in a worker holds the write lock for a while: remembering the place
    (a cursor move) does not wait for it (it froze the window for the batch, up to 0.6 s in
    CI), and is written once the other write is done — the file stays writable for edits."""
    w, store, ids, errors = window
    w._position_timer.stop()        # the window's own place (cursor 0) would be remembered over ours
    w.view.cursorPositionChanged.disconnect(w._position_timer.start)
    w.view.verticalScrollBar().valueChanged.disconnect(w._position_timer.start)
    with Locked(store, int(INTERACTIVE_TIMEOUT * 1000)):
        t = time.monotonic()
        assert w.session.remember("last_pos", {"doc": ids[0], "cursor": 5, "top": 0}) is False
        assert time.monotonic() - t < 0.3
        qtbot.wait(300)                                  # tried again: still locked, kept
        assert w.session._later
    qtbot.waitUntil(lambda: not w.session._later, timeout=3000)
    assert sqlite3.connect(store.path).execute(
        "SELECT value FROM settings WHERE key = 'last_pos'").fetchone()[0] == \
        '{"doc": %d, "cursor": 5, "top": 0}' % ids[0]
    assert not w.session.unwritable and errors == []
