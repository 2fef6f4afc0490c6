"""The store's entities and the checker's dismissals (a part of ``Store``; see
``models/entities.py`` and ``models/edits.py``: ``ChangeEntities``, ``Dismiss``)."""
from __future__ import annotations

import re

from models import contents
from models.entities import Entity, problem
from models.project_file import StoreError
from models.spans import Span


class StaleEntity(StoreError):
    """An entity edit that no longer matches what is stored (``Store`` treats it as stale)."""


class StoreEntities:
    """Mixed into ``Store``: needs ``self.db`` (sqlite-utils) and ``self._time()``."""

    # -- applied inside ``Store._apply``'s transaction -------------------------------------------
    def _change_entities(self, edit) -> None:
        db = self.db
        old = {e.id: e for e in edit.old}
        new = {e.id: e for e in edit.new}
        for eid, e in old.items():
            row = db.execute("SELECT name, kb_id, note FROM entities WHERE id = ?", [eid]).fetchone()
            if row is None or tuple(row) != (e.name, e.kb_id, e.note):
                raise StaleEntity(f"entity {eid} ({e.name}) is no longer as the edit expects")
            if eid not in new:
                used = db.execute("SELECT count(*) FROM spans WHERE entity = ?", [eid]).fetchone()[0]
                if used:
                    raise StoreError(f"entity {e.name} is named by {used} spans; it cannot be deleted")
                db.execute("DELETE FROM entities WHERE id = ?", [eid])
        for eid, e in new.items():
            why = problem(e)
            if why:
                raise StoreError(why)
            if eid in old:
                db.execute("UPDATE entities SET name = ?, kb_id = ?, note = ? WHERE id = ?",
                           [e.name, e.kb_id, e.note, eid])
            else:
                if db.execute("SELECT 1 FROM entities WHERE id = ?", [eid]).fetchone():
                    raise StaleEntity(f"entity {eid} exists already")
                db.execute("INSERT INTO entities(id, name, kb_id, note, created) VALUES (?, ?, ?, ?, ?)",
                           [eid, e.name, e.kb_id, e.note, self._time()])

    def _dismiss(self, edit) -> None:
        if edit.on:
            cur = self.db.execute("INSERT OR IGNORE INTO dismissed(kind, key, created) VALUES (?, ?, ?)",
                                  [edit.kind, edit.key, self._time()])
        else:
            cur = self.db.execute("DELETE FROM dismissed WHERE kind = ? AND key = ?", [edit.kind, edit.key])
        if cur.rowcount != 1:
            raise StaleEntity(f"the finding {edit.key!r} is {'already' if edit.on else 'not'} dismissed")

    # -- reading ----------------------------------------------------------------------------------
    def entities(self) -> list[Entity]:
        """Every entity, by id."""
        return [_entity(r) for r in self.db.execute(
            "SELECT id, name, kb_id, note FROM entities ORDER BY id")]

    def entity(self, entity_id: int) -> Entity | None:
        row = self.db.execute("SELECT id, name, kb_id, note FROM entities WHERE id = ?",
                              [entity_id]).fetchone()
        return _entity(row) if row else None

    def entity_by_kb(self, kb_id: str) -> Entity | None:
        """The first entity with this knowledge-base id (``''`` matches none)."""
        if not kb_id:
            return None
        row = self.db.execute("SELECT id, name, kb_id, note FROM entities WHERE kb_id = ? "
                              "ORDER BY id LIMIT 1", [kb_id]).fetchone()
        return _entity(row) if row else None

    def next_entity_id(self) -> int:
        """The id a new entity takes (an edit made now; a stale one is refused)."""
        return (self.db.execute("SELECT max(id) FROM entities").fetchone()[0] or 0) + 1

    def entity_counts(self) -> dict[int, int]:
        """Entity id -> how many spans name it (entities named by none are left out)."""
        return dict(self.db.execute("SELECT entity, count(*) FROM spans WHERE entity IS NOT NULL "
                                    "GROUP BY entity").fetchall())

    def entity_names(self, entity_id: int) -> dict[str, int]:
        """The texts of the spans naming the entity (its names), with how often each stands."""
        rows = self.db.execute(
            "SELECT substr(t.text, s.start + 1, s.end - s.start) AS name, count(*) FROM spans s "
            "JOIN texts t ON t.doc_id = s.doc_id WHERE s.entity = ? GROUP BY name "
            "ORDER BY count(*) DESC, name", [entity_id]).fetchall()
        return {name: n for name, n in rows if isinstance(name, str)}

    def entity_aliases(self) -> dict[int, dict[str, int]]:
        """Entity id -> its names (the texts of the spans naming it) with how often each stands."""
        out: dict[int, dict[str, int]] = {}
        rows = self.db.execute(
            "SELECT s.entity, substr(t.text, s.start + 1, s.end - s.start) AS name, count(*) "
            "FROM spans s JOIN texts t ON t.doc_id = s.doc_id WHERE s.entity IS NOT NULL "
            "GROUP BY s.entity, name ORDER BY s.entity, count(*) DESC, name")
        for eid, name, n in rows:
            if isinstance(name, str):
                out.setdefault(eid, {})[name] = n
        return out

    def entity_mentions(self, entity_id: int, limit: int | None = None) -> list[tuple[int, Span]]:
        """(document id, span) of every span naming the entity, by document and start."""
        sql = ("SELECT doc_id, start, end, label, source, entity FROM spans WHERE entity = ? "
               "ORDER BY doc_id, start")
        rows = self.db.execute(sql + (f" LIMIT {int(limit)}" if limit else ""), [entity_id])
        return [(r[0], Span(r[1], r[2], r[3], r[4], r[5] or 0)) for r in rows]

    def entity_contexts(self, entity_id: int, context: int = 40, limit: int = 500) -> list[tuple]:
        """(doc id, span, title, (text before, the span's text, text after)) of the spans
        naming the entity, by document and start, with ``context`` characters either side
        (line breaks as spaces); read from the texts without loading them whole."""
        rows = self.db.execute(
            "SELECT s.doc_id, s.start, s.end, s.label, s.source, d.title, "
            "substr(t.text, max(s.start - ?, 0) + 1, s.start - max(s.start - ?, 0)), "
            "substr(t.text, s.start + 1, s.end - s.start), substr(t.text, s.end + 1, ?) "
            "FROM spans s JOIN texts t ON t.doc_id = s.doc_id JOIN documents d ON d.id = s.doc_id "
            "WHERE s.entity = ? ORDER BY s.doc_id, s.start LIMIT ?",
            [context, context, context, entity_id, int(limit)]).fetchall()
        flat = lambda x: re.sub(r"\s+", " ", x) if isinstance(x, str) else ""   # noqa: E731
        return [(r[0], Span(r[1], r[2], r[3], r[4], entity_id), r[5] if isinstance(r[5], str) else "",
                 (flat(r[6]), r[7] if isinstance(r[7], str) else "", flat(r[8]))) for r in rows]

    def dismissed(self, kind: str | None = None) -> set[tuple[str, str]]:
        """The dismissed findings as (kind, key)."""
        if kind is None:
            return set(self.db.execute("SELECT kind, key FROM dismissed").fetchall())
        return set(self.db.execute("SELECT kind, key FROM dismissed WHERE kind = ?", [kind]).fetchall())


def _entity(row) -> Entity:
    eid, name, kb_id, note = row
    if type(eid) is not int or type(name) is not str or type(kb_id) is not str or type(note) is not str:
        raise contents.DamagedContent(f"the entities in the project file are damaged: entity "
                                      f"{str(eid)[:20]} is not an id with a name (altered outside "
                                      "article-annotator?)")
    return Entity(eid, name, kb_id, note)


__all__ = ["StoreEntities", "StaleEntity"]
