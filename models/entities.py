"""Entities: one identity for the many names a corpus gives it.

A span may name an entity (``Span.entity``: the row id in the project's ``entities`` table,
0 for none). An entity has a canonical name, an optional knowledge-base id (a Wikidata QID
such as ``Q42``) and a free note. Its other names (aliases) are the texts of the spans that
name it, so a name typed once by a person is never out of step with the text.

Exports give each span a ``kb_id``: the entity's knowledge-base id, or, when it has none, a
stable id of the project (``kb_key``), which ``entity_from_kb`` reads back.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

# A project's own id for an entity with no knowledge-base id: stable, never a QID.
_OWN = re.compile(r"^annotator:E([1-9][0-9]{0,17})$")


@dataclass(frozen=True, order=True)
class Entity:
    id: int
    name: str
    kb_id: str = ""
    note: str = ""

    def with_(self, **changes) -> "Entity":
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "kb_id": self.kb_id, "note": self.note}

    @classmethod
    def from_dict(cls, d: dict) -> "Entity":
        return cls(int(d["id"]), str(d["name"]), str(d.get("kb_id") or ""), str(d.get("note") or ""))

    @property
    def key(self) -> str:
        return kb_key(self)


def kb_key(entity: Entity) -> str:
    """The id exports write for the entity: its knowledge-base id, else the project's own."""
    return entity.kb_id or f"annotator:E{entity.id}"


def own_id(kb_id: str) -> int | None:
    """The entity id inside one of the project's own ids (``annotator:E12`` → 12)."""
    m = _OWN.match(kb_id or "")
    return int(m.group(1)) if m else None


def problem(entity: Entity) -> str | None:
    """Why an entity cannot be stored, if so."""
    if not isinstance(entity.id, int) or entity.id < 1:
        return f"entity id {entity.id!r} is not a positive whole number"
    if not entity.name or not entity.name.strip():
        return f"entity {entity.id} has no name"
    if len(entity.name) > 500 or len(entity.kb_id) > 200 or len(entity.note) > 10_000:
        return f"entity {entity.id} has a name, id or note too long"
    if entity.kb_id and (entity.kb_id != entity.kb_id.strip() or "\n" in entity.kb_id):
        return f"entity {entity.id} has a knowledge-base id with spaces or line breaks"
    if own_id(entity.kb_id) is not None:
        return f"entity {entity.id}: {entity.kb_id!r} is a project id, not a knowledge-base id"
    return None


__all__ = ["Entity", "kb_key", "own_id", "problem"]
