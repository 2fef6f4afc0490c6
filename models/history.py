"""The undo history of the place being edited, read from the project's journal — the only
history there is (no copy of it lives in the GUI).

``History`` is one open place (a document, or ``None``: no document open). It answers what
Undo and Redo would do (``can_undo``, ``undo_text``…), and ``do``, ``undo`` and ``redo`` send
the edit, its inverse or the edit again through ``Store.commit`` — the one write path — and
return its ``Outcome``. A write that fails changes nothing here either.

Its rules:
- the history of a document is its own entries and those of edits made elsewhere that changed
  it (``models/journal.py``); undoing one of those undoes all of it, in every document;
- the history survives a restart (it is the journal);
- Done or Skip opens the next document: a Ctrl+Z there, before anything of the person's is
  done there (the model's suggestions do not count), takes the Done back — the previous
  document is the place again (``Outcome.went_back``) and its Done undone (``came_from``);
- a stale step (the file changed under it: another window, the command line, an undo of a
  shared edit elsewhere) is refused by the store, and ``load`` reads the truth again.
"""
from __future__ import annotations

from models.outcome import Outcome


class History:
    def __init__(self, store):
        self.store = store
        self.doc_id: int | None = None
        # [entry, edit, undone, name], oldest first; a big entry's edit is None until it is
        # undone or redone (``Store.history_steps``)
        self.steps: list[list] = []
        # Done/Skip brought the person here: (left, arrived, the entry on top at arrival,
        # the name of the step to take back)
        self.back: tuple[int, int, int | None, str] | None = None

    # -- the place -------------------------------------------------------------------------------
    def load(self, doc_id: int | None, *, keep_back: bool = False) -> None:
        """Read the history of ``doc_id`` from the journal (a document opened, or the file
        changed under it). Opening another place forgets the way back, unless ``keep_back``."""
        self.steps = [list(step) for step in self.store.history_steps(doc_id)]
        self.doc_id = doc_id
        if not keep_back:
            self.back = None

    def came_from(self, left: int, text: str = "Done") -> None:
        """Done/Skip (the step named ``text``) on ``left`` opened this place: the next undo
        here takes it back."""
        if self.doc_id is not None and self.doc_id != left:
            self.back = (left, self.doc_id, self._top_entry(), text)

    # -- what Undo and Redo would do ---------------------------------------------------------
    def _top(self) -> int | None:
        """The index of the last step not undone."""
        for i in range(len(self.steps) - 1, -1, -1):
            if not self.steps[i][2]:
                return i
        return None

    def _top_entry(self) -> int | None:
        i = self._top()
        return None if i is None else self.steps[i][0]

    def _going_back(self) -> tuple | None:
        back = self.back
        if back and self.doc_id == back[1] and self._top_entry() == back[2]:
            return back
        return None

    def _redo_index(self) -> int | None:
        top = self._top()
        i = 0 if top is None else top + 1
        return i if i < len(self.steps) else None

    def can_undo(self) -> bool:
        return self._going_back() is not None or self._top() is not None

    def can_redo(self) -> bool:
        return self._redo_index() is not None

    def undo_text(self) -> str:
        back = self._going_back()
        if back is not None:
            return back[3]
        i = self._top()
        return "" if i is None else self.steps[i][3]

    def redo_text(self) -> str:
        i = self._redo_index()
        return "" if i is None else self.steps[i][3]

    def next_step(self, mode: str):
        """What the next undo (``mode="undo"``) or redo would write: ``(edit, big)`` — the
        edit, or ``None`` with ``big`` true for an entry over 64 KiB not read yet (a corpus-wide
        edit); ``(None, False)`` for none, or for a Done/Skip taken back."""
        if mode == "undo":
            i = None if self._going_back() is not None else self._top()
        else:
            i = self._redo_index()
        if i is None:
            return None, False
        edit = self.steps[i][1]
        return edit, edit is None

    def count(self) -> int:
        return len(self.steps)

    def index(self) -> int:
        """How many steps are in force (as ``QUndoStack.index`` counted them)."""
        top = self._top()
        return 0 if top is None else top + 1

    # -- doing, undoing, redoing -------------------------------------------------------------
    def do(self, edit, *, model: bool = False) -> Outcome:
        """Commit a new edit. ``model``: the model's suggestions, which keep the way back
        (they are no step of the person's)."""
        back = self._going_back()
        out = self.store.commit(edit)
        self._follow(out)
        if model and back is not None and self.doc_id in out.docs | {out.origin}:
            self.back = (back[0], back[1], self._top_entry(), back[3])
        return out

    def undo(self) -> Outcome | None:
        back, self.back = self._going_back(), None
        if back is None:
            i = self._top()
            return None if i is None else self._step(i, "undo")
        arrived = self.doc_id
        self.load(back[0])
        i, out = self._top(), None
        try:
            out = None if i is None else self._step(i, "undo")
        finally:
            if out is None:             # failed (or nothing there): here again, as before
                self.load(arrived)
                self.back = back
        if out is not None:
            out.went_back = back[0]
        return out

    def redo(self) -> Outcome | None:
        i = self._redo_index()
        return None if i is None else self._step(i, "redo")

    def _step(self, i: int, mode: str) -> Outcome:
        entry, edit, _, _ = self.steps[i]
        if edit is None:                    # a big entry, read when it is needed
            edit = self.steps[i][1] = self.store.journal_edit(entry)
        out = self.store.commit(edit.inverse() if mode == "undo" else edit, mode=mode, entry=entry)
        self.steps[i][2] = mode == "undo"
        return out

    def follow(self, out: Outcome) -> None:
        """Another history of this window wrote (a background job's edit): keep in step."""
        self._follow(out)

    def _follow(self, out: Outcome) -> None:
        """Keep the steps in step with a write of this connection's, without reading them
        again: a new edit that touches this place drops its undone steps (the store cut them)
        and is its last step."""
        if out.mode != "do" or (self.doc_id not in out.docs and out.origin != self.doc_id):
            return
        self.steps = [s for s in self.steps if not s[2]]
        self.steps.append([out.entry, out.edit, False, out.edit.text])


__all__ = ["History"]
