"""The store's annotators, versions and adjudication decisions (a part of ``Store``; see
``models/team.py``)."""
from __future__ import annotations

from models import contents, team
from models.display import shown
from models.document import STATUSES
from models.project_file import StoreError
from models.spans import Span


class StaleDecision(StoreError):
    """A decision edit that does not match what is stored (``Store`` treats it as stale)."""


class StoreTeam:
    """Mixed into ``Store``: needs ``self.db``, ``self.setting``, ``self.set_setting`` and
    ``self._time()``. ``annotator_override``: a name given for this session (``--annotator``)
    before it is stored."""

    annotator_override: str | None = None
    _who: str | None = None             # the project's, read once (``set_annotator`` forgets it)

    # -- who ---------------------------------------------------------------------------------
    @property
    def annotator(self) -> str:
        """Who edits through this store: the name given for this session, the project's, or
        the system user's."""
        if self.annotator_override:
            return self.annotator_override
        if self._who is None:
            try:
                name = self.setting(team.ANNOTATOR_KEY)
            except contents.DamagedContent:
                name = None
            self._who = name if team.name_problem(name) is None else team.default_annotator()
        return self._who

    def has_annotator(self) -> bool:
        """Whether the project names its annotator (a window asks once when it does not)."""
        try:
            return team.name_problem(self.setting(team.ANNOTATOR_KEY)) is None
        except contents.DamagedContent:
            return False

    def set_annotator(self, name: str) -> None:
        why = team.name_problem(name)
        if why:
            raise StoreError(why)
        self.set_setting(team.ANNOTATOR_KEY, name)
        self.annotator_override = None
        self._who = None

    # -- versions (a merged project) -------------------------------------------------------------
    def is_merged(self) -> bool:
        return self.db.execute("SELECT 1 FROM versions LIMIT 1").fetchone() is not None

    def version_names(self) -> list[str]:
        """The annotators with a version of some document, by name (the model's last)."""
        names = [r[0] for r in self.db.execute("SELECT DISTINCT annotator FROM versions ORDER BY annotator")]
        return sorted(names, key=lambda n: (n == team.MODEL, n))

    def versions(self, doc_id: int) -> dict[str, tuple[str, list[Span]]]:
        """annotator -> (status, spans) of a document of a merged project, checked."""
        title, length = self._bounds(doc_id)
        out = {}
        for name, status, data in self.db.execute(
                "SELECT annotator, status, spans FROM versions WHERE doc_id = ? ORDER BY annotator",
                [doc_id]):
            out[name] = (status, self._version_spans(doc_id, title, length, name, data))
        return dict(sorted(out.items(), key=lambda kv: (kv[0] == team.MODEL, kv[0])))

    def _version_spans(self, doc_id, title, length, name, data) -> list[Span]:
        try:
            rows = team.spans_from_json(data)
        except (ValueError, RecursionError) as e:
            raise contents.DamagedContent(f"the version of {shown(repr(name))[:40]} of document "
                                          f"{doc_id} is damaged ({e})", doc_id) from None
        return contents.spans(doc_id, title, length, rows, f"{shown(name)[:40]}'s span") if rows else []

    def done_by_all(self, names: list[str]) -> list[int]:
        """The documents every one of ``names`` has a version of marked done, in id order."""
        import json
        return [r[0] for r in self.db.execute(
            "SELECT doc_id FROM versions WHERE status = 'done' AND annotator IN (SELECT value "
            "FROM json_each(?)) GROUP BY doc_id HAVING count(*) = ? ORDER BY doc_id",
            [json.dumps(names), len(set(names))])]

    def count_versions(self, name: str, statuses=None) -> int:
        where, args = "", [name]
        if statuses:
            where, args = f" AND status IN ({','.join('?' * len(statuses))})", [name, *statuses]
        return self.db.execute(f"SELECT count(*) FROM versions WHERE annotator = ?{where}", args).fetchone()[0]

    def version_id_hashes(self, name: str, statuses=None) -> list[tuple[int, str]]:
        where, args = "", [name]
        if statuses:
            where, args = f" AND v.status IN ({','.join('?' * len(statuses))})", [name, *statuses]
        return [tuple(r) for r in self.db.execute(
            "SELECT v.doc_id, d.text_hash FROM versions v JOIN documents d ON d.id = v.doc_id "
            f"WHERE v.annotator = ?{where} ORDER BY v.doc_id", args)]

    def iter_version(self, name: str, statuses=None):
        """(document, spans) of ``name``'s version of each document that has one, in id
        order: the document's status and annotator are the version's."""
        from dataclasses import replace
        where, args = "", [name]
        if statuses:
            where, args = f" AND status IN ({','.join('?' * len(statuses))})", [name, *statuses]
        for doc_id, status, data in self.db.execute(
                f"SELECT doc_id, status, spans FROM versions WHERE annotator = ?{where} ORDER BY doc_id",
                args).fetchall():
            doc = self.document(doc_id)
            if doc is None:
                continue
            if status not in STATUSES:
                raise contents.DamagedContent(f"the version of {shown(name)[:40]} of document "
                                              f"{doc_id} has the status {shown(repr(status))[:30]}", doc_id)
            spans = self._version_spans(doc_id, doc.title, len(doc.text), name, data)
            yield replace(doc, status=status, annotator=name if name != team.MODEL else ""), spans

    def version_docs(self) -> list[int]:
        """The documents that have versions, in id order."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT doc_id FROM versions ORDER BY doc_id")]

    # -- decisions (adjudication) -----------------------------------------------------------
    def decisions(self, doc_id: int) -> dict[tuple[int, int], tuple[str, str | None]]:
        """(start, end) of each settled group -> (whose version was chosen, who chose)."""
        return {(r[0], r[1]): (r[2], r[3]) for r in self.db.execute(
            "SELECT start, end, chosen, annotator FROM decisions WHERE doc_id = ?", [doc_id])}

    def _decide(self, edit) -> None:
        if edit.on:
            cur = self.db.execute("INSERT OR IGNORE INTO decisions(doc_id, start, end, chosen, "
                                  "annotator, created) VALUES (?, ?, ?, ?, ?, ?)",
                                  [edit.doc_id, edit.start, edit.end, edit.chosen, self.annotator,
                                   self._time()])
            if cur.rowcount != 1:
                raise StaleDecision(f"the disagreement at {edit.start}-{edit.end} of document "
                                    f"{edit.doc_id} is already settled")
        else:
            cur = self.db.execute("DELETE FROM decisions WHERE doc_id = ? AND start = ? AND end = ? "
                                  "AND chosen = ?", [edit.doc_id, edit.start, edit.end, edit.chosen])
            if cur.rowcount != 1:
                raise StaleDecision(f"the disagreement at {edit.start}-{edit.end} of document "
                                    f"{edit.doc_id} is not settled as the edit expects")


__all__ = ["StoreTeam", "StaleDecision"]
