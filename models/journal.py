"""The journal: every edit's entry, the undo history read from it (a mixin of
``models.store.Store``, which applies the edits themselves).

An entry belongs to the document where the edit was made (``journal.doc_id``, its *origin*;
NULL for a label-set change made with no document open). An edit that also changed other
documents (a corpus-wide "label every occurrence", a merge) lists them in ``journal_docs``, so
each of them shows the entry in its own history too, and undoing it anywhere undoes all of it
(one entry, one transaction). A one-document edit writes no ``journal_docs`` row.

A new edit cuts the redo branch of every place it touches: the undone entries of its origin
and of each document it changed (as a new edit drops the redo steps of an undo stack).
"""
from __future__ import annotations

import json
from typing import Iterable

from models import contents, rejections, suggestions
from models.edits import Edit
from models.outcome import Outcome

HISTORY_LIMIT = 1000      # journal entries per document loaded back as undo history
# An entry bigger than this (bytes of JSON: a corpus-wide edit) is read back as its name only
# when a history loads, and parsed when it is undone or redone (``journal_edit``): opening a
# document that a 10,000-span edit touched would parse all of it (~30-45 ms) each time.
EAGER_BYTES = 64 * 1024


class StoreJournal:
    """Journal reads and writes on ``self.db``; ``self.write()``, ``self._apply`` and
    ``self._time`` come from the store."""

    db: object

    # -- the one write path for edits ----------------------------------------------------------
    def commit(self, edit: Edit, *, mode: str = "do", entry: int | None = None) -> Outcome:
        """Apply ``edit`` in one transaction and journal it; return what changed.

        mode "do": a new edit (cuts the redo branch of every place it touches).
        mode "undo": ``edit`` is the inverse of journal ``entry``; marks it undone.
        mode "redo": ``edit`` is journal ``entry`` again; marks it done.
        A ``StaleEdit`` (made on what is no longer stored) writes nothing.
        """
        from models.store import StaleEdit
        out = Outcome(mode, edit, origin=edit.doc_id)
        try:
            with self.write():
                self._apply(edit, out)
                out.time = self._time()
                if out.labels:
                    out.label_set = self.labels()
                rejections.track(self.db, edit, mode, out.time)   # kept in step
                suggestions.track(self.db, edit, mode, out.time)
                out.entry = self._journal(edit, out, mode, entry)
        except StaleEdit as e:
            raise StaleEdit(f"{e} — it was changed elsewhere (another window or the command "
                            "line?); nothing was written") from e
        return out

    def apply(self, edit: Edit, *, mode: str = "do", entry: int | None = None) -> int:
        """``commit``, answering only the journal entry's id."""
        return self.commit(edit, mode=mode, entry=entry).entry

    def _journal(self, edit: Edit, out: Outcome, mode: str, entry: int | None) -> int:
        from models.store import StaleEdit, _now
        db, origin = self.db, edit.doc_id
        others = sorted(d for d in out.statuses if d != origin)
        if mode == "do":
            self._cut_redo(origin, others)
            cur = db.execute("INSERT INTO journal(doc_id, edit, undone, created, annotator) "
                             "VALUES (?, ?, 0, ?, ?)",
                             [origin, json.dumps(edit.to_json(), ensure_ascii=False), _now(),
                              self.annotator])
            if others:
                db.conn.executemany("INSERT INTO journal_docs(entry, doc_id) VALUES (?, ?)",
                                    [(cur.lastrowid, d) for d in others])
            return cur.lastrowid
        if entry is None or mode not in ("undo", "redo"):
            raise ValueError(f"mode {mode!r} needs a journal entry")
        cur = db.execute("UPDATE journal SET undone = ? WHERE id = ? AND undone = ?",
                         [1 if mode == "undo" else 0, entry, 0 if mode == "undo" else 1])
        if cur.rowcount != 1:
            raise StaleEdit(f"journal entry {entry} cannot be {mode}ne now")
        return entry

    def _cut_redo(self, origin: int | None, others: list[int]) -> None:
        """Drop the undone entries of ``origin`` and of the documents in ``others``."""
        db = self.db
        if not others:          # a one-document edit (a key press): one statement, two indexes
            gone = [r[0] for r in db.execute(
                "SELECT id FROM journal WHERE doc_id IS ?1 AND undone = 1 UNION ALL "
                "SELECT j.id FROM journal_docs x JOIN journal j ON j.id = x.entry "
                "WHERE x.doc_id = ?1 AND j.undone = 1", [origin])]
        else:
            gone = [r[0] for r in db.execute("SELECT id FROM journal WHERE doc_id IS ? AND undone = 1",
                                             [origin])]
            places = json.dumps(([] if origin is None else [origin]) + others)
            gone += [r[0] for r in db.execute(
                "SELECT j.id FROM journal_docs x JOIN journal j ON j.id = x.entry WHERE j.undone = 1 "
                "AND x.doc_id IN (SELECT value FROM json_each(?))", [places])]
            gone += [r[0] for r in db.execute(
                "SELECT id FROM journal WHERE undone = 1 AND doc_id IN "
                "(SELECT value FROM json_each(?))", [json.dumps(others)])]
        if gone:
            ids = json.dumps(sorted(set(gone)))
            db.execute("DELETE FROM journal_docs WHERE entry IN (SELECT value FROM json_each(?))", [ids])
            db.execute("DELETE FROM journal WHERE id IN (SELECT value FROM json_each(?))", [ids])

    # -- reading the history ---------------------------------------------------------------------
    def history(self, doc_id: int | None) -> list[tuple[int, Edit, bool]]:
        """The history of a document, oldest first: (entry id, edit, undone) — its own entries
        and those of edits made elsewhere that changed it. ``None``: the entries made with no
        document open."""
        if doc_id is None:
            rows = self.db.execute("SELECT id, doc_id, edit, undone FROM journal WHERE doc_id IS "
                                   "NULL ORDER BY id DESC LIMIT ?", [HISTORY_LIMIT]).fetchall()
        else:
            rows = self.db.execute(
                "SELECT id, doc_id, edit, undone FROM journal WHERE doc_id = ?1 UNION ALL "
                "SELECT j.id, j.doc_id, j.edit, j.undone FROM journal_docs x JOIN journal j "
                "ON j.id = x.entry WHERE x.doc_id = ?1 ORDER BY 1 DESC LIMIT ?2",
                [doc_id, HISTORY_LIMIT]).fetchall()
        return [(r[0], contents.journal_edit(r[1], r[0], r[2]), bool(r[3])) for r in reversed(rows)]

    def history_steps(self, doc_id: int | None) -> list[tuple[int, Edit | None, bool, str]]:
        """``history`` as the undo history loads it: (entry id, edit, undone, its name), where
        an entry of more than ``EAGER_BYTES`` comes as None and its name (read by SQLite's JSON
        reader, not parsed here); ``journal_edit`` gives the edit when it is needed. A damaged
        small entry is refused here as in ``history``; a damaged big one when it is read."""
        cols = ("j.id, j.doc_id, CASE WHEN length(j.edit) <= ?2 OR typeof(j.edit) != 'text' THEN j.edit END, "
                "CASE WHEN length(j.edit) > ?2 AND typeof(j.edit) = 'text' AND json_valid(j.edit) "
                "THEN json_extract(j.edit, '$.text') END, j.undone")
        if doc_id is None:
            rows = self.db.execute(f"SELECT {cols} FROM journal j WHERE j.doc_id IS NULL "
                                   "ORDER BY 1 DESC LIMIT ?1", [HISTORY_LIMIT, EAGER_BYTES]).fetchall()
        else:
            rows = self.db.execute(
                f"SELECT {cols} FROM journal j WHERE j.doc_id = ?1 UNION ALL SELECT {cols} "
                "FROM journal_docs x JOIN journal j ON j.id = x.entry WHERE x.doc_id = ?1 "
                "ORDER BY 1 DESC LIMIT ?3", [doc_id, EAGER_BYTES, HISTORY_LIMIT]).fetchall()
        out = []
        for entry, origin, data, name, undone in reversed(rows):
            if data is not None:
                edit = contents.journal_edit(origin, entry, data)
                out.append((entry, edit, bool(undone), edit.text))
            else:
                out.append((entry, None, bool(undone), name if isinstance(name, str) else "Edit"))
        return out

    def journal_edit(self, entry: int) -> Edit:
        """The edit of journal ``entry``, checked (``contents.journal_edit``)."""
        row = self.db.execute("SELECT doc_id, edit FROM journal WHERE id = ?", [entry]).fetchone()
        if row is None:
            raise contents.DamagedContent(f"undo entry {entry} is no longer in the project file; "
                                          "nothing was changed", None)
        return contents.journal_edit(row[0], entry, row[1])

    def entry_docs(self, entry: int) -> list[int]:
        """The documents an entry changed besides its origin (``journal_docs``)."""
        return [r[0] for r in self.db.execute(
            "SELECT doc_id FROM journal_docs WHERE entry = ? ORDER BY doc_id", [entry])]

    def journal_state(self, entries: Iterable[int]) -> dict[int, bool]:
        """entry id -> undone, for those of ``entries`` still in the journal."""
        ids = json.dumps(sorted(set(entries)))
        return {r[0]: bool(r[1]) for r in self.db.execute(
            "SELECT id, undone FROM journal WHERE id IN (SELECT value FROM json_each(?))", [ids])}


__all__ = ["StoreJournal", "HISTORY_LIMIT", "EAGER_BYTES"]
