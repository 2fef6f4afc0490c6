"""Entities on the way in (``models.importer.import_docs`` calls these inside the batch's
transaction): the lines of an ``entities`` export, and the ``kb_id`` of imported spans.

A ``kb_id`` names an entity of the project:
- a knowledge-base id (``Q56226``): the entity with that id, else a new one named by the span;
- the project's own id ``annotator:E12`` (what an entity with no knowledge-base id is
  exported as): entity 12, created as entity 12 when the project has none — so a project's
  export imported into a new project is the same, ids and all. (In a project with entities of
  its own, entity 12 may be another one: give entities a knowledge-base id to move them.)
An ``entities`` line creates its entity or brings an existing one's name and note to the
line's (a line with the same id again: the later one). What is created or changed is one
undoable edit per batch ("Entities from import"), in the batch's transaction.
"""
from __future__ import annotations

from models.edits import ChangeEntities
from models.entities import Entity, own_id


class EntityImport:
    """What one import run has linked so far: kb_id -> entity id (kept across its batches)."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.created = 0
        self.changed = 0

    def batch(self, store, docs: list[dict]) -> list[dict]:
        """Apply the batch's entity lines, link its documents' spans; return its documents."""
        old: dict[int, Entity] = {}
        new: dict[int, Entity] = {}
        next_id = [store.next_entity_id()]

        def current(eid: int) -> Entity | None:
            return new.get(eid) or store.entity(eid)

        def put(e: Entity) -> None:
            was = store.entity(e.id)
            if was is not None and e.id not in old:
                old[e.id] = was
            new[e.id] = e

        def fresh(eid: int | None = None) -> int:
            if eid is None:
                eid = next_id[0]
            next_id[0] = max(next_id[0], eid + 1)
            return eid

        def resolve(key: str, name: str) -> int:
            name = " ".join(name.split())[:500] or key     # a span's text, as a name
            if key in self.ids and current(self.ids[key]) is not None:
                return self.ids[key]
            number = own_id(key)
            if number is not None:
                eid = number if current(number) is not None else None
                if eid is None:
                    put(Entity(fresh(number), name))
                    eid = number
            else:
                found = next((e for e in new.values() if e.kb_id == key), None) or store.entity_by_kb(key)
                if found is not None:
                    eid = found.id
                else:
                    eid = fresh()
                    put(Entity(eid, name, key))
            self.ids[key] = eid
            return eid

        docs_out = []
        for d in docs:
            rec = d.get("entity_record")
            if rec is None:
                docs_out.append(d)
                continue
            eid = resolve(d["key"], rec.name)
            have = current(eid)
            if have is not None and (have.name, have.note) != (rec.name, rec.note):
                put(have.with_(name=rec.name, note=rec.note))
        for d in docs_out:
            kb = d.get("kb")
            if not kb:
                continue
            text = d["text"]
            d["spans"] = [s.with_(entity=resolve(kb[(s.start, s.end, s.label)], text[s.start:s.end]))
                          if (s.start, s.end, s.label) in kb else s for s in d.get("spans") or ()]
        if new:
            created = tuple(e for eid, e in sorted(new.items()) if eid not in old)
            self.created += len(created)
            self.changed += len(old)
            store.apply(ChangeEntities(None, tuple(old[eid] for eid in sorted(old)),
                                       tuple(e for _, e in sorted(new.items())), "Entities from import"))
        return docs_out


__all__ = ["EntityImport"]
