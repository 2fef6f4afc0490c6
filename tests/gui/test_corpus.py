"""Corpus jobs from the window: import with progress and cancel, pre-annotate all while labelling."""
from __future__ import annotations

import json
import time

import pytest
from PySide6.QtCore import Qt

from gui import corpus
from models import ner
from tests.gui.conftest import StandInPipeline


class SlowPipeline(StandInPipeline):
    """The stand-in, 5 ms per document: long enough to label while it runs."""
    def predict(self, texts, batch_size=32):
        for result in super().predict(texts, batch_size):
            time.sleep(0.005)
            yield result


@pytest.fixture
def slow_model(monkeypatch):
    monkeypatch.setattr(ner, "load", lambda name=None: SlowPipeline())


def corpus_texts(n):
    return [f"Report {i}: officials in Seoul met Apple on Monday." for i in range(n)]


def test_import_many_with_progress_then_cancel_leaves_whole_batches(make_window, stand_in_model, qtbot,
                                                                    tmp_path, db_rows):
    lines = tmp_path / "big.jsonl"
    lines.write_text("\n".join(json.dumps({"text": t}) for t in corpus_texts(5000)), encoding="utf-8")
    w, store, ids = make_window(["Existing."])
    assert w.jobs.import_files([str(lines)])
    assert w.job_bar.isVisible() or w.jobs.busy
    w.jobs.cancel()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=20000)
    n = len(store.document_rows()) - 1
    assert n < 5000 and n % 500 == 0                  # whole batches only
    assert not w.job_bar.isVisible()
    w.import_files([str(lines)])                       # again: the rest, no duplicates
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=20000)
    assert len(store.document_rows()) == 5001
    assert w.docs_model.rowCount() == 5001
    w.model.runner.wait(5000)


def test_preannotate_all_while_labelling_another_document(make_window, slow_model, qtbot, db_rows):
    w, store, ids = make_window(corpus_texts(600))
    qtbot.waitUntil(lambda: store.preannotated(ids[0]) is not None, timeout=5000)   # the open one
    assert w.jobs.preannotate_all()
    qtbot.waitUntil(lambda: w.job_bar.isVisible(), timeout=5000)
    # The annotator keeps working: label in the open document while the corpus runs.
    text = w.session.doc.text
    s = text.index("officials")
    w.view.select_range(s, s + 9)
    t = time.perf_counter()
    qtbot.keyClick(w.view, Qt.Key.Key_2)
    assert time.perf_counter() - t < 0.5               # never waits for the job
    assert (ids[0], s, s + 9, "ORG", "manual") in db_rows(store.path, ids[0])
    assert w.jobs.busy
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    assert all(store.preannotated(d) == "stand_in-1.0" for d in ids)
    assert len(db_rows(store.path, ids[-1])) == 3
    assert (ids[0], s, s + 9, "ORG", "manual") in db_rows(store.path, ids[0])
    assert not w.job_bar.isVisible()


def test_preannotate_cancel_then_resume(make_window, slow_model, qtbot, monkeypatch):
    monkeypatch.setattr(corpus, "CHUNK", 64)
    w, store, ids = make_window(corpus_texts(400))
    qtbot.waitUntil(lambda: w.model.source is not None, timeout=5000)
    assert w.jobs.preannotate_all()
    qtbot.waitUntil(lambda: sum(store.preannotated(d) is not None for d in ids) >= 65, timeout=20000)
    w.jobs.cancel()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=20000)
    done = sum(store.preannotated(d) is not None for d in ids)
    assert done < 400
    assert w.jobs.preannotate_all()                   # resumes with what is left
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    assert all(store.preannotated(d) is not None for d in ids)


def test_dropping_files_imports_them(make_window, stand_in_model, qtbot, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent
    folder = tmp_path / "drop"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("Dropped one about Seoul.", encoding="utf-8")
    (folder / "sub" / "b.txt").write_text("Dropped two about Tokyo.", encoding="utf-8")
    w, store, ids = make_window(["Existing."])
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    ev = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                    Qt.KeyboardModifier.NoModifier)
    from PySide6.QtGui import QDragEnterEvent
    enter = QDragEnterEvent(QPointF(10, 10).toPoint(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    w.dragEnterEvent(enter)
    assert enter.isAccepted()
    w.dropEvent(ev)                       # Qt delivers a real drop here; the handler is ours
    qtbot.waitUntil(lambda: len(store.document_rows()) == 3, timeout=10000)
    assert sorted(r[1] for r in store.document_rows())[:2] == ["Dropped one about Seoul.", "Dropped two about Tokyo."]
    w.model.runner.wait(5000)


def test_preannotate_all_finds_its_documents_off_the_ui_thread_and_says_when_none_is_left(
        make_window, stand_in_model, qtbot, monkeypatch):
    import threading
    w, store, ids = make_window(corpus_texts(30))
    qtbot.waitUntil(lambda: w.model.source is not None, timeout=5000)
    threads = []
    real = corpus.annotate.pending
    monkeypatch.setattr(corpus.annotate, "pending",
                        lambda *a, **k: threads.append(threading.current_thread()) or real(*a, **k))
    said = []
    w.jobs.finished.connect(said.append)
    assert w.jobs.preannotate_all() and w.jobs.busy
    assert w.job_bar.text.text() == "Finding the documents to pre-annotate…"
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=20000)
    assert threads and threading.main_thread() not in threads
    assert said[-1].startswith("Pre-annotated: ")
    assert store.db.execute("SELECT count(*) FROM documents WHERE preannotated IS NULL").fetchone() == (0,)
    assert w.jobs.preannotate_all()                  # again: nothing left, said
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=20000)
    assert said[-1] == "Every document that needs the model has its suggestions."
    assert not w.job_bar.isVisible()


def test_the_pending_ids_are_held_as_an_array_of_8_bytes_each(make_window, stand_in_model, qtbot,
                                                              monkeypatch):
    """A million pending ids as a list of ints cost ~50 MB in the window (issue 15); both
    Pre-annotate all and a patterns run keep them as an ``array('q')`` (8 MB)."""
    from array import array

    from models import edits as E
    from models.spans import Span
    w, store, ids = make_window(corpus_texts(12))
    qtbot.waitUntil(lambda: w.model.source is not None, timeout=5000)
    held = []
    real = corpus.CorpusJobs._next_chunk
    monkeypatch.setattr(corpus.CorpusJobs, "_next_chunk",
                        lambda self: held.append((type(self._todo), len(self._todo))) or real(self))
    assert w.jobs.preannotate_all()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=20000)
    assert held and held[0][0] is array and held[0][1] >= 11     # (the open one: maybe live already)
    assert w.jobs._todo.typecode == "q"
    held.clear()
    text = corpus_texts(12)[3]
    s = text.index("Seoul")
    store.apply(E.add_span(ids[3], Span(s, s + 5, "GPE"), store.spans(ids[3])))     # a person's
    assert w.jobs.preannotate_patterns(None, "alone")
    qtbot.waitUntil(lambda: not w.jobs.busy and "Pre-annotated" in w.statusBar().currentMessage(),
                    timeout=20000)
    assert held and held[0][0] is array and held[0][1] >= 10
