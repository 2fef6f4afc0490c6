"""The open project and document, and the undo stack.

Every change goes through ``Session.push(edit)``: the store commits it (one transaction)
*before* any view is told, and only then is an ``EditCommand`` put on the ``QUndoStack``.
Undo and redo send the inverse (or the edit again) through ``Store.apply`` — the same path —
and the journal in the project file keeps the history, so it survives a restart.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from models import annotate
from models import edits as E
from models.document import DONE, IN_PROGRESS, SKIPPED, Document
from models.labels import Label, LabelSet
from models.spans import Span
from models.sqlite_codes import write_reason
from models.store import Store, StoreError, WriteFailed

# What a write can fail with: the store's own refusals, and SQLite's (disk full, read-only,
# locked, I/O error), which the store raises as ``WriteFailed`` (a StoreError with SQLite's
# result code on it).
WRITE_ERRORS = (StoreError,)


def why_not_saved(e: BaseException) -> str:
    """A failed write in words, with SQLite's own message; the cause told by its result code."""
    text = str(e) or type(e).__name__
    reason = write_reason(e)
    return f"{reason} ({text})" if reason else text


class EditCommand(QUndoCommand):
    """One journaled edit. The store is written by the session before the stack moves."""

    def __init__(self, session: "Session", edit, entry: int):
        super().__init__(edit.text)
        self.session, self.edit, self.entry = session, edit, entry
        self.quiet = True    # the first redo (from push) was already applied

    def redo(self) -> None:
        if not self.quiet:
            self.session._journal(self, undo=False)

    def undo(self) -> None:
        if not self.quiet:
            self.session._journal(self, undo=True)


class Session(QObject):
    document_opened = Signal(object)     # Document
    spans_changed = Signal(object, object)  # the ReplaceSpans applied (None: all), span to focus
    labels_changed = Signal()
    status_changed = Signal(int, str)    # doc id, new status
    saved = Signal(str)                  # save state for the status bar
    error = Signal(str)

    def __init__(self, store: Store, parent: QObject | None = None):
        super().__init__(parent)
        self.store = store
        self.undo_stack = QUndoStack(self)
        self.doc: Document | None = None
        self.spans: list[Span] = []
        self.labels: LabelSet = store.labels()
        self.unwritable = False     # the last write failed (SQLite): settings wait for an edit
        self.back: tuple[int, int, int] | None = None  # (left, arrived at, stack index): see undo
        self._in_command = False    # Qt's undo stack is running one of our commands
        self.reopened = False       # the last person's edit put a document marked done back in progress

    # -- documents -------------------------------------------------------------------------
    def open_document(self, doc_id: int) -> bool:
        doc = self.store.document(doc_id)       # each read checked: StoreError if damaged,
        if doc is None:                          # and then nothing here has changed
            return False
        spans, history = self.store.spans(doc_id), self.store.history(doc_id)
        self.doc, self.spans = doc, spans
        self._load_history(history)
        self.remember("last_doc", doc_id)
        self.document_opened.emit(doc)      # views show text and spans in one pass
        return True

    def _load_history(self, history: list) -> None:
        """Rebuild the undo stack from the journal (``store.history``) without touching the
        store."""
        stack = self.undo_stack
        stack.clear()
        commands = [EditCommand(self, edit, entry) for entry, edit, _ in history]
        for cmd in commands:
            stack.push(cmd)
        for (_, _, undone), cmd in zip(reversed(history), reversed(commands)):
            if not undone:
                break
            stack.undo()
        for cmd in commands:
            cmd.quiet = False
        stack.setClean()

    # -- the one write path ----------------------------------------------------------------
    def push(self, edit) -> bool:
        """Commit ``edit``; only when it is on disk, put it on the undo stack and tell views."""
        try:
            entry = self.store.apply(edit)
        except WRITE_ERRORS as e:
            self._failed(e)
            return False
        self.unwritable = False
        cmd = EditCommand(self, edit, entry)
        self.undo_stack.push(cmd)       # calls redo(): quiet, the store already has it
        cmd.quiet = False
        self._after(edit)
        return True

    def _journal(self, cmd: EditCommand, undo: bool) -> None:
        """An undo or redo, run by Qt's undo stack (the stack moves whatever happens here)."""
        self._in_command = True
        try:
            edit = cmd.edit.inverse() if undo else cmd.edit
            try:
                self.store.apply(edit, mode="undo" if undo else "redo", entry=cmd.entry)
            except WRITE_ERRORS as e:
                self._failed(e)
                # The stack has already moved; put it back in step with the journal once Qt
                # has finished this undo/redo.
                QTimer.singleShot(0, lambda: self.doc and self._load_history(self.store.history(self.doc.id)))
                return
            self._after(edit)
        finally:
            self._in_command = False

    def undo(self) -> None:
        """Undo the last edit of this document — or, right after Done/Skip brought the user
        here (nothing changed here since but the model's suggestions), that Done/Skip: the
        previous document opens again, as it was before it."""
        back, self.back = self.back, None
        if back and self.doc and self.doc.id == back[1] and self.undo_stack.index() == back[2]:
            if self.open_document(back[0]) and self.undo_stack.canUndo():
                self.undo_stack.undo()
            return
        if self.undo_stack.canUndo():
            self.undo_stack.undo()

    def came_from(self, doc_id: int) -> None:
        """Done/Skip on ``doc_id`` opened this document: the next Ctrl+Z here goes back."""
        if self.doc and self.doc.id != doc_id:
            self.back = (doc_id, self.doc.id, self.undo_stack.index())

    def redo(self) -> None:
        if self.undo_stack.canRedo():
            self.undo_stack.redo()

    def _failed(self, e: Exception) -> None:
        """A write failed: nothing of it is in the file, so nothing of it may be on screen."""
        self.unwritable = isinstance(e, WriteFailed)
        self.saved.emit("NOT SAVED")
        message = (f"The change was not saved: {why_not_saved(e)}.\n\nNothing of it was "
                   "written, and the screen shows what the project file holds. Once this is "
                   "fixed, do it again.")
        if self._in_command:
            # An undo/redo: the error box (a nested event loop) opens once Qt's undo stack has
            # finished the command — inside it, a refresh meanwhile would delete the command
            # under Qt (a crash).
            QTimer.singleShot(0, lambda: self.error.emit(message))
        else:
            self.error.emit(message)
        self._reload()

    def remember(self, key: str, value) -> bool:
        """Store a setting that is no edit (the open document, the place in it): best effort.

        While the file cannot be written (after a failed edit, until one succeeds) it is not
        tried, so a locked file does not stall every cursor move for the busy timeout."""
        if self.unwritable:
            return False
        try:
            self.store.set_setting(key, value)
        except WRITE_ERRORS:
            self.unwritable = True
            return False
        return True

    def _reload(self) -> None:
        """Show what the file holds (after a failed or outside write)."""
        if self.doc:
            self.spans = self.store.spans(self.doc.id)
            self.spans_changed.emit(None, None)

    def refresh(self, doc_ids) -> None:
        """Another connection (a background job) changed these documents: follow the file."""
        if self._in_command:            # never rebuild the stack under a command Qt is running
            QTimer.singleShot(0, lambda: self.refresh(doc_ids))
            return
        if self.doc and self.doc.id in doc_ids:
            self.doc.status = self.store.document_status(self.doc.id)
            self._reload()
            self._load_history(self.store.history(self.doc.id))

    def _after(self, edit) -> None:
        """Views follow the store: re-read what the edit touched and tell them."""
        for sub in (edit.flat() if isinstance(edit, E.Batch) else [edit]):
            if isinstance(sub, E.ChangeLabels):
                self.labels = self.store.labels()
                self.labels_changed.emit()
            elif self.doc and sub.doc_id == self.doc.id:
                old_status = self.doc.status
                if isinstance(sub, E.ReplaceSpans):
                    # The store committed exactly this edit: follow it in memory (re-reading
                    # 20k spans would cost more than the whole frame).
                    self.spans = E.replaced(self.spans, sub)
                    self.doc.status = self.store.document_status(self.doc.id)
                    self.spans_changed.emit(sub, sub.add[0] if len(sub.add) == 1 else None)
                else:
                    self.doc.status = sub.new
                if self.doc.status != old_status:
                    self.status_changed.emit(self.doc.id, self.doc.status)
            elif isinstance(sub, E.SetStatus):
                self.status_changed.emit(sub.doc_id, sub.new)
        self.saved.emit("Saved")

    # -- what a person does ----------------------------------------------------------------
    def _person(self, edit: E.ReplaceSpans) -> bool:
        """A person's change of the open document's spans. A document marked done goes back
        to "in progress" in the same edit (one undo restores both); ``reopened`` says so."""
        self.reopened = False
        if self.doc.status == DONE:
            done = self.push(E.reopen(edit, DONE, IN_PROGRESS))
            self.reopened = done
            return done
        return self.push(edit)

    def add_span(self, start: int, end: int, label: str) -> bool:
        if not self.doc or start >= end:
            return False
        return self._person(E.add_span(self.doc.id, Span(start, end, label), self.spans))

    def relabel(self, span: Span, label: str) -> bool:
        if span.label == label and span.is_manual:
            return False
        edit = E.confirm(self.doc.id, span) if span.label == label else E.relabel(self.doc.id, span, label)
        return self._person(edit)

    def confirm(self, span: Span) -> bool:
        return not span.is_manual and self._person(E.confirm(self.doc.id, span))

    def delete(self, span: Span) -> bool:
        return self._person(E.remove_span(self.doc.id, span))

    def resize(self, span: Span, start: int, end: int) -> bool:
        if start >= end or (start, end) == (span.start, span.end):
            return False
        return self._person(E.resize(self.doc.id, span, start, end, self.spans))

    def set_status(self, status: str) -> bool:
        if not self.doc or self.doc.status == status:
            return True
        name = {DONE: "Mark done", SKIPPED: "Skip"}.get(status, "Set status")
        return self.push(E.finish(self.doc.id, self.spans, self.doc.status, status, name))

    def add_label(self, label: Label) -> bool:
        return self.push(E.ChangeLabels(self.doc.id if self.doc else None, (label,), (),
                                        f"Add label {label.name}"))

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
            self.labels = store.labels()
            self.labels_changed.emit()
        edit = annotate.model_edit(store, doc_id, ents, source)
        if edit is not None:
            if self.doc and self.doc.id == doc_id:
                back = self.back if self.back and self.back[1] == doc_id \
                    and self.back[2] == self.undo_stack.index() else None
                if not self.push(edit):
                    return None
                if back:            # the model's suggestions are no edit of the user's
                    self.back = (back[0], back[1], self.undo_stack.index())
            else:
                store.apply(edit)        # journaled: undoable when that document is opened
        store.mark_preannotated(doc_id, source)
        return len(edit.add) if edit else 0

    def next_document(self) -> int | None:
        return self.store.next_document(self.doc.id if self.doc else None)
