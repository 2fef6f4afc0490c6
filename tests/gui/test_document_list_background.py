"""A big corpus (over ``DocumentListModel.BIG`` documents, lowered here): a filter, a sort or
clearing the search reads the list off the UI thread, as a search does; the list shown meanwhile
stays, the panel says it reads, and a later choice wins."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from gui.document_list import DocumentListModel
from gui.document_panel import DocumentPanel
from models.queue import QueueQuery
from models.store import Store
from tests.gui.test_document_list import STATUSES, add_raw


@pytest.fixture
def panel(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(DocumentListModel, "BIG", 20)
    store = Store(tmp_path / "big.annotator")
    add_raw(store, 40)
    p = DocumentPanel(store)
    qtbot.addWidget(p)
    p.resize(500, 600)
    p.model.reload()
    yield p
    p.model.wait()
    store.close()


def ids(model) -> list[int]:
    return [model.doc_id(r) for r in range(model.rowCount())]


def test_a_filter_of_a_big_corpus_is_read_in_the_background(qtbot, panel):
    m = panel.model
    assert ids(m) == list(range(1, 41))
    states = []
    m.searching.connect(states.append)
    panel.status_filter.setCurrentIndex(panel.status_filter.findData("done"))
    assert ids(m) == list(range(1, 41))                  # the list shown stays meanwhile
    assert states == [True] and panel.shown.text() == "Reading the list…"
    qtbot.waitUntil(lambda: states[-1] is False, timeout=5000)
    assert ids(m) == [i for i in range(1, 41) if STATUSES[i % 4] == "done"]
    assert panel.shown.text() == f"{len(ids(m))} of 40 documents shown"


def test_a_sort_of_a_big_corpus_too_and_a_later_choice_wins(qtbot, panel):
    m = panel.model
    panel.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    panel.status_filter.setCurrentIndex(panel.status_filter.findData("not done"))
    assert ids(m) == list(range(1, 41))                  # neither read yet
    qtbot.waitUntil(lambda: m._search is None, timeout=5000)
    m.wait()
    qtbot.wait(50)
    assert ids(m) == [i for i in range(40, 0, -1) if STATUSES[i % 4] in ("new", "in progress")]


def test_clearing_a_search_of_a_big_corpus_reads_the_whole_list_in_the_background(qtbot, panel):
    m = panel.model
    panel.search.setText("Seoul")
    qtbot.waitUntil(lambda: m.query.searching and m._search is None, timeout=5000)
    assert ids(m) == [i for i in range(1, 41) if i % 5 == 0]
    m.set_query(QueueQuery())                            # what clearing the box asks for
    assert m.pending == QueueQuery() and m.latest == QueueQuery()
    assert ids(m) == [i for i in range(1, 41) if i % 5 == 0]   # still shown while it reads
    qtbot.waitUntil(lambda: m._search is None, timeout=5000)
    assert ids(m) == list(range(1, 41)) and panel.shown.text() == "40 documents"


def test_the_whole_list_is_counted_from_its_ids_not_by_another_query(qtbot, panel, monkeypatch):
    m, store = panel.model, panel.model.store
    add_raw(store, 5, start=100)            # ids 1-40 and 100-104: a gap
    asked = []
    real = store.list_extent
    monkeypatch.setattr(store, "list_extent", lambda: asked.append(1) or real())
    m.reload()
    assert (m.total, m._max_id, asked) == (45, 104, [])
    m.set_query(QueueQuery(status="done"))
    qtbot.waitUntil(lambda: m._search is None and m.query.status == "done", timeout=5000)
    done = [i for i in [*range(1, 41), *range(100, 105)] if STATUSES[i % 4] == "done"]
    assert (m.total, m._max_id) == (45, 104) and [m.doc_id(r) for r in range(m.rowCount())] == done


def test_a_big_project_s_first_list_is_read_while_the_window_is_built(make_window, stand_in_model, qtbot, monkeypatch):
    import threading

    from gui.document_list import FirstRead
    from models import queue
    monkeypatch.setattr(FirstRead, "AT", 3)
    read_on = []
    real_ids = queue.SearchReader.ids
    monkeypatch.setattr(queue.SearchReader, "ids", lambda self, q: read_on.append(
        threading.current_thread() is threading.main_thread()) or real_ids(self, q))
    monkeypatch.setattr(Store, "list_ids", lambda self, q: pytest.fail("read on the UI thread"))
    w, store, ids = make_window(["One about Seoul.", "Two.", "Three about Tokyo.", "Four."])
    assert read_on == [False]                           # once, on a thread of its own
    assert ids_shown(w) == ids and w.docs_model.total == 4 and w.session.doc.id == ids[0]


def test_a_first_read_that_fails_is_read_again_on_the_ui_thread(make_window, stand_in_model, monkeypatch):
    from gui.document_list import FirstRead
    from models import queue
    monkeypatch.setattr(FirstRead, "AT", 3)
    monkeypatch.setattr(queue.SearchReader, "ids", lambda self, q: 1 / 0)
    w, store, ids = make_window(["One.", "Two.", "Three.", "Four."])
    assert ids_shown(w) == ids and w.session.doc.id == ids[0]
    w2, _, _ = make_window(path=store.path.with_name("small.annotator"))   # small: not read ahead
    assert ids_shown(w2) == []


def ids_shown(w) -> list[int]:
    return [w.docs_model.doc_id(r) for r in range(w.docs_model.rowCount())]
