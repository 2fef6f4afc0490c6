"""The open project and document: the one write path of the window.

Every change goes through ``Session.push(edit)``: ``History.do`` commits it through the store
(one transaction) *before* anything on screen changes, and answers with the write's
``Outcome``; the session keeps the open document in step from it (its status, its spans in
the one owner of them, ``spans`` — the entity table's model, which the article view, its
highlighter and tag painter read too) and sends ``changed(outcome, focus)``, on which the
window follows the rest (the document list, the progress, the label set, the selection).
Undo and redo are the journal's (``models.history``): there is no other history, and a write
that fails changes nothing, here or on screen.
"""
from __future__ import annotations

from contextlib import contextmanager

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication

from gui.offsets import OffsetMap
from gui.span_model import SpanModel
from gui.workers import Runner
from models import annotate
from models import edits as E
from models.document import DONE, IN_PROGRESS, SKIPPED, Document
from models.history import History
from models.labels import Label, LabelSet
from models.outcome import Outcome
from models.spans import Span
from models.sqlite_codes import write_reason
from models.store import Store, StoreError, WriteFailed

# What a write can fail with: the store's own refusals, and SQLite's (disk full, read-only,
# locked, I/O error), which the store raises as ``WriteFailed`` (a StoreError with SQLite's
# result code on it).
WRITE_ERRORS = (StoreError,)
AUTO = object()         # push(focus=AUTO): select the one span the edit added, if it added one
WIDE = 200              # documents: a write this wide says so and shows a wait cursor first


def width(edit) -> int:
    """How many documents ``edit`` changes spans or status in."""
    if isinstance(edit, E.Batch):
        return len({e.doc_id for e in edit.flat() if isinstance(e, (E.ReplaceSpans, E.SetStatus))})
    return 1


def why_not_saved(e: BaseException) -> str:
    """A failed write in words, with SQLite's own message; the cause told by its result code."""
    text = str(e) or type(e).__name__
    reason = write_reason(e)
    return f"{reason} ({text})" if reason else text


class Session(QObject):
    document_opened = Signal(object)     # Document (its spans are in ``spans`` already)
    changed = Signal(object, object)     # Outcome of a write of this window's, span to select
    reloaded = Signal()                  # the open document read again (a failed or outside write)
    labels_changed = Signal()            # the label set read again (another writer)
    history_changed = Signal()           # what Undo and Redo would do
    saved = Signal(str)                  # save state for the status bar
    error = Signal(str)
    writing = Signal(str)                # a wide write starts (say it and repaint: it takes a while)
    opening = Signal(str)                # a huge document is being read in the background ("": no more)
    open_failed = Signal(str)            # ... and could not be (damaged): why
    HUGE = 4_000_000        # code points: a longer text is read off the UI thread (50 MB: ~1 s)

    def __init__(self, store: Store, parent: QObject | None = None, spans=None):
        super().__init__(parent)
        self.store = store
        self.history = History(store)
        self.doc: Document | None = None
        self.owner = spans if spans is not None else SpanModel(self)
        self.labels: LabelSet = store.labels()
        self.unwritable = False     # the last write failed (SQLite): settings wait for an edit
        self.reopened = False       # the last person's edit put a document marked done back in progress
        self.last_step = ""         # the name of the last step written
        self._later: dict = {}      # settings to remember once another writer is done
        self._retry = QTimer(self, singleShot=True, interval=250)
        self._retry.timeout.connect(self._remember_later)
        self._reading: int | None = None    # the huge document being read in the background
        self._reader: Runner | None = None

    @property
    def spans(self) -> list[Span]:
        """The open document's spans (sorted; owned by ``owner``: never change the list)."""
        return self.owner.spans

    # -- documents -------------------------------------------------------------------------
    def open_document(self, doc_id: int) -> bool:
        """Open ``doc_id`` now (True), or — a huge one — read it in the background and open it
        when it is read (False now; ``opening`` says so, ``document_opened`` follows, or
        ``open_failed``): the window is never held by SQLite reading 50 MB."""
        if self._reading is not None and self._reading != doc_id:
            self._reading = None                # a later choice: that read's result is dropped
            self.opening.emit("")
        if self._reading == doc_id:
            return False
        title, length = self.store.size(doc_id)
        if length > self.HUGE:
            return self._read_later(doc_id, title, length)
        doc = self.store.document(doc_id)       # each read checked: StoreError if damaged,
        if doc is None:                          # and then nothing here has changed
            return False
        spans = self.store.spans(doc_id)
        self.history.load(doc_id)
        self._show(doc, spans)
        return True

    def _read_later(self, doc_id: int, title: str | None, length: int) -> bool:
        path = str(self.store.path)

        def read(_task):                         # on a worker: a read-only connection of its own
            reader = Store(path, readonly=True)
            try:
                doc, spans = reader.document(doc_id), reader.spans(doc_id)
            finally:
                reader.close()
            # its offset map too (numpy and Python, no Qt): ~0.3-0.8 s for 50 MB, not on the UI thread
            return doc_id, doc, spans, OffsetMap(doc.text) if doc is not None else None
        self._reading = doc_id
        if self._reader is None:
            self._reader = Runner(1, self)
        self._reader.start(read, self._read, lambda why: self._read_failed(doc_id, why))
        name = f"“{title}”" if title else "an untitled document"
        self.opening.emit(f"Opening {name}: reading its {length:,} characters…")
        return False

    def _read(self, result) -> None:
        doc_id, doc, spans, offsets = result
        if self._reading != doc_id:
            return                              # another document was chosen meanwhile
        self._reading = None
        self.opening.emit("")
        if doc is None:
            return self.open_failed.emit(f"document {doc_id} is no longer in the project")
        self.history.load(doc_id)
        self._show(doc, spans, offsets)

    def _read_failed(self, doc_id: int, why: str) -> None:
        if self._reading == doc_id:
            self._reading = None
            self.opening.emit("")
            self.open_failed.emit(why)

    def wait_reading(self, msecs: int = 30000) -> bool:
        """Wait for a background read (tests, closing)."""
        return self._reader is None or self._reader.wait(msecs)

    def _show(self, doc: Document, spans: list[Span], offsets=None) -> None:
        self.doc = doc
        self.owner.open(doc.text, spans, self.labels, offsets)     # text and spans in one pass
        self.remember("last_doc", doc.id)
        self.document_opened.emit(doc)
        self.history_changed.emit()

    # -- the one write path ----------------------------------------------------------------
    def push(self, edit, focus=AUTO, *, model: bool = False) -> bool:
        """Commit ``edit``; only once it is on disk does anything on screen follow it."""
        try:
            with self._wide(edit, edit.text):
                out = self.history.do(edit, model=model)
        except WRITE_ERRORS as e:
            self._failed(e)
            return False
        self._done(out, focus)
        return True

    @contextmanager
    def _wide(self, edit, text: str, wide: bool = False):
        """A write over many documents (a second or so for tens of thousands of spans): the
        window says what it writes and the cursor waits while the transaction runs."""
        n = width(edit) if edit is not None else 0
        if not wide and n < WIDE:
            yield
            return
        self.writing.emit(f"{text}: writing {n:,} documents…" if n else f"{text}…")
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            yield
        finally:
            QGuiApplication.restoreOverrideCursor()

    def undo(self) -> Outcome | None:
        """Undo the last step of this document's history — or, right after Done/Skip brought
        the person here, that Done/Skip: the previous document opens again, as it was before."""
        return self._move(self.history.undo, "undo")

    def redo(self) -> Outcome | None:
        return self._move(self.history.redo, "redo")

    def _move(self, step, mode: str) -> Outcome | None:
        edit, big = self.history.next_step(mode)
        text = self.history.undo_text() if mode == "undo" else self.history.redo_text()
        try:
            with self._wide(edit, f"{mode.capitalize()}: {text}", wide=big):
                out = step()
        except WRITE_ERRORS as e:
            self._failed(e)
            return None
        if out is None:
            return None
        if out.went_back is not None:       # the place is that document now: show it as stored
            doc = self.store.document(out.went_back)
            if doc is not None:
                self._show(doc, self.store.spans(doc.id))
        self._done(out, AUTO)
        return out

    def came_from(self, doc_id: int) -> None:
        """Done/Skip (the last step written) on ``doc_id`` opened this document: the next
        Ctrl+Z here takes it back."""
        self.history.came_from(doc_id, self.last_step)
        self.history_changed.emit()

    def _done(self, out: Outcome, focus) -> None:
        """A write of this window's is on disk: the open document follows it from the outcome
        (nothing is read again), then everyone else does (``changed``)."""
        self.unwritable = False
        self.last_step = out.text
        doc = self.doc
        if out.labels:
            self.labels = out.label_set
            self.owner.set_labels(self.labels)
        if doc is not None and out.went_back is None:
            for sub in out.spans_of(doc.id):
                self.owner.apply(sub.remove, sub.add)
        if doc is not None and doc.id in out.statuses:
            doc.status = out.statuses[doc.id]
        if focus is AUTO:
            added = [s for sub in out.spans_of(doc.id) for s in sub.add] if doc else []
            focus = added[0] if len(added) == 1 else None
        self.changed.emit(out, focus)
        self.history_changed.emit()
        self.saved.emit("Saved")

    def _failed(self, e: Exception) -> None:
        """A write failed: nothing of it is in the file, so nothing of it may be on screen."""
        self.unwritable = isinstance(e, WriteFailed)
        self.saved.emit("NOT SAVED")
        self._reload()
        self.error.emit(f"The change was not saved: {why_not_saved(e)}.\n\nNothing of it was "
                        "written, and the screen shows what the project file holds. Once this is "
                        "fixed, do it again.")

    def remember(self, key: str, value) -> bool:
        """Store a setting that is no edit (the open document, the place in it): best effort,
        and never waiting — while another connection writes (an import's batch in a worker)
        it is kept and tried again shortly after.

        While the file cannot be written (after a failed edit, until one succeeds) it is not
        tried, so a locked file does not stall every cursor move for the busy timeout."""
        if self.unwritable:
            return False
        try:
            if self.store.try_set_setting(key, value):
                self._later.pop(key, None)
                return True
        except WRITE_ERRORS:
            self.unwritable = True
            return False
        self._later[key] = value            # busy: once the other write is done
        self._retry.start()
        return False

    def _remember_later(self) -> None:
        for key, value in list(self._later.items()):
            self.remember(key, value)

    def _reload(self) -> None:
        """Show what the file holds (after a failed or outside write): the open document's
        spans, status and history read again (the way back kept if it still holds)."""
        if self.doc:
            self.doc.status = self.store.document_status(self.doc.id) or self.doc.status
            self.owner.reset_spans(self.store.spans(self.doc.id))
            self.history.load(self.doc.id, keep_back=True)
            self.reloaded.emit()
            self.history_changed.emit()

    def refresh(self, doc_ids) -> None:
        """Another connection (another window, the CLI) changed these documents: follow the file."""
        if self.doc and self.doc.id in doc_ids:
            self._reload()

    def follow_labels(self) -> None:
        """Another connection changed the label set."""
        self.labels = self.store.labels()
        self.owner.set_labels(self.labels)
        self.labels_changed.emit()

    # -- what a person does ----------------------------------------------------------------
    def _person(self, edit: E.ReplaceSpans, focus=AUTO) -> bool:
        """A person's change of the open document's spans. A document marked done goes back
        to "in progress" in the same edit (one undo restores both); ``reopened`` says so."""
        self.reopened = False
        if self.doc.status == DONE:
            done = self.push(E.reopen(edit, DONE, IN_PROGRESS), focus)
            self.reopened = done
            return done
        return self.push(edit, focus)

    def add_span(self, start: int, end: int, label: str) -> bool:
        if not self.doc or start >= end:
            return False
        return self._person(E.add_span(self.doc.id, Span(start, end, label), self.spans))

    def relabel(self, span: Span, label: str) -> bool:
        if span.label == label and span.is_manual:
            return False
        edit = E.confirm(self.doc.id, span) if span.label == label else E.relabel(self.doc.id, span, label)
        return self._person(edit)

    def confirm(self, span: Span, focus=AUTO) -> bool:
        return not span.is_manual and self._person(E.confirm(self.doc.id, span), focus)

    def delete(self, span: Span, focus=None) -> bool:
        return self._person(E.remove_span(self.doc.id, span), focus)

    def resize(self, span: Span, start: int, end: int) -> bool:
        if start >= end or (start, end) == (span.start, span.end):
            return False
        return self._person(E.resize(self.doc.id, span, start, end, self.spans))

    def link(self, span: Span, entity, new: bool = False) -> bool:
        """Name ``span`` as ``entity`` (an ``Entity``; ``new``: created in the same step; None:
        unlink). One step, a document marked done going back to in progress with it."""
        if not self.doc:
            return False
        words = self.doc.text[span.start:span.end]
        if entity is None:
            return self._person(E.link(self.doc.id, span, 0, f"Unlink “{E._short(words)}”"))
        edit = E.link(self.doc.id, span, entity.id, f"Link “{E._short(words)}” to "
                      f"{'new entity ' if new else ''}“{E._short(entity.name)}”")
        if new:
            edit = E.Batch(self.doc.id, (E.ChangeEntities(self.doc.id, (), (entity,)), edit), edit.text)
        return self._person(edit)

    def set_status(self, status: str) -> bool:
        if not self.doc or self.doc.status == status:
            return True
        name = {DONE: "Mark done", SKIPPED: "Skip"}.get(status, "Set status")
        return self.push(E.finish(self.doc.id, self.spans, self.doc.status, status, name), None)

    def add_label(self, label: Label) -> bool:
        return self.push(E.ChangeLabels(self.doc.id if self.doc else None, (label,), (),
                                        f"Add label {label.name}"), None)

    def apply_predictions(self, doc_id: int, ents, source: str) -> int | None:
        """Commit the model's entities for a document (once); return how many were added.

        Raises StoreError if they cannot be written (a failed write of the open document's
        suggestions is reported like any failed edit, and None returned)."""
        try:
            return self._apply_predictions(doc_id, ents, source)
        except WriteFailed as e:
            raise StoreError(f"not saved: {why_not_saved(e)}") from e

    def _apply_predictions(self, doc_id: int, ents, source: str) -> int | None:
        store = self.store
        if not annotate.wants_model(store, doc_id):
            return None
        # Labels the model knows and the project lacks: journaled with no document, so no
        # document's undo history tries to take a label away that other documents use.
        if annotate.ensure_labels(store, [e[2] for e in ents], None):
            self.follow_labels()
        edit = annotate.model_edit(store, doc_id, ents, source)
        if edit is not None:
            if self.doc and self.doc.id == doc_id:
                if not self.push(edit, None, model=True):   # no step of the person's: the
                    return None                             # way back to a Done holds
            else:
                store.apply(edit)        # journaled: undoable when that document is opened
        store.mark_preannotated(doc_id, source)
        return len(edit.add) if edit else 0

    def next_document(self) -> int | None:
        return self.store.next_document(self.doc.id if self.doc else None)
