"""Edits: every change a person (or the model) makes to a project.

Each edit is a small immutable object that knows its inverse and serialises to JSON, so the
store can apply it in one transaction, journal it, and replay it for undo/redo — the same path
for doing, undoing and redoing. Span edits are all expressed as ``ReplaceSpans`` (remove these
exact spans, add those), which makes the inverse trivial and lets the store check that what
the edit expects to remove is really there (a stale edit is refused, never half-applied).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from models.entities import Entity
from models.labels import Label
from models.spans import MANUAL, Span, overlapping


@dataclass(frozen=True)
class ReplaceSpans:
    doc_id: int
    remove: tuple[Span, ...] = ()
    add: tuple[Span, ...] = ()
    text: str = "Edit spans"        # what the undo menu shows

    def inverse(self) -> "ReplaceSpans":
        return ReplaceSpans(self.doc_id, self.add, self.remove, self.text)

    def to_json(self) -> dict:
        return {"type": "spans", "doc_id": self.doc_id, "text": self.text,
                "remove": [s.to_dict() for s in self.remove],
                "add": [s.to_dict() for s in self.add]}


@dataclass(frozen=True)
class SetStatus:
    doc_id: int
    old: str
    new: str
    text: str = "Set status"

    def inverse(self) -> "SetStatus":
        return SetStatus(self.doc_id, self.new, self.old, self.text)

    def to_json(self) -> dict:
        return {"type": "status", "doc_id": self.doc_id, "old": self.old, "new": self.new,
                "text": self.text}


@dataclass(frozen=True)
class ChangeLabels:
    """Add or remove labels of the label set (``add`` / ``remove`` are whole labels)."""
    doc_id: int | None = None       # the document open when the change was made (for its history)
    add: tuple[Label, ...] = ()
    remove: tuple[Label, ...] = ()
    text: str = "Change labels"

    def inverse(self) -> "ChangeLabels":
        return ChangeLabels(self.doc_id, self.remove, self.add, self.text)

    def to_json(self) -> dict:
        return {"type": "labels", "doc_id": self.doc_id, "text": self.text,
                "add": [lab.to_dict() for lab in self.add],
                "remove": [lab.to_dict() for lab in self.remove]}


@dataclass(frozen=True)
class ChangeEntities:
    """Create, change or delete entities: an entity only in ``new`` is created, only in
    ``old`` deleted (no span may name it then), in both (same id) changed from old to new."""
    doc_id: int | None = None
    old: tuple[Entity, ...] = ()
    new: tuple[Entity, ...] = ()
    text: str = "Change entities"

    def inverse(self) -> "ChangeEntities":
        return ChangeEntities(self.doc_id, self.new, self.old, self.text)

    def to_json(self) -> dict:
        return {"type": "entities", "doc_id": self.doc_id, "text": self.text,
                "old": [e.to_dict() for e in self.old], "new": [e.to_dict() for e in self.new]}


@dataclass(frozen=True)
class Dismiss:
    """Dismiss (``on``) or bring back a finding of the consistency checker, by kind and key."""
    doc_id: int | None
    kind: str
    key: str
    on: bool = True
    text: str = "Dismiss finding"

    def inverse(self) -> "Dismiss":
        return Dismiss(self.doc_id, self.kind, self.key, not self.on, self.text)

    def to_json(self) -> dict:
        return {"type": "dismiss", "doc_id": self.doc_id, "kind": self.kind, "key": self.key,
                "on": self.on, "text": self.text}


@dataclass(frozen=True)
class Decide:
    """Settle (``on``) or unsettle a disagreement of a merged project in adjudication: the
    group ``start``-``end`` of document ``doc_id``, ``chosen`` the annotator whose version
    was accepted ("" when the gold was edited by hand), ``models/adjudicate.py``."""
    doc_id: int
    start: int
    end: int
    chosen: str
    on: bool = True
    text: str = "Settle disagreement"

    def inverse(self) -> "Decide":
        return Decide(self.doc_id, self.start, self.end, self.chosen, not self.on, self.text)

    def to_json(self) -> dict:
        return {"type": "decide", "doc_id": self.doc_id, "start": self.start, "end": self.end,
                "chosen": self.chosen, "on": self.on, "text": self.text}


@dataclass(frozen=True)
class Batch:
    """Several edits as one: applied in order in one transaction, undone in reverse."""
    doc_id: int | None
    edits: tuple = ()
    text: str = "Edits"

    def inverse(self) -> "Batch":
        return Batch(self.doc_id, tuple(e.inverse() for e in reversed(self.edits)), self.text)

    def to_json(self) -> dict:
        return {"type": "batch", "doc_id": self.doc_id, "text": self.text,
                "edits": [e.to_json() for e in self.edits]}

    def flat(self) -> list:
        return [x for e in self.edits for x in (e.flat() if isinstance(e, Batch) else [e])]


Edit = ReplaceSpans | SetStatus | ChangeLabels | ChangeEntities | Dismiss | Decide | Batch

# The names (``text``) of the edits a model or a patterns run makes (``models/annotate.py``):
# the statistics tell the journal's machine entries from the people's by them.
MODEL_PREANNOTATION, PATTERN_PREANNOTATION = "Model pre-annotation", "Pattern pre-annotation"


def machine_made(text: str) -> bool:
    """Whether an edit so named is the model's or a patterns run's (an undo keeps the name)."""
    return text.startswith((MODEL_PREANNOTATION, PATTERN_PREANNOTATION))


def edit_from_json(data: dict | str) -> Edit:
    d = json.loads(data) if isinstance(data, str) else data
    kind = d["type"]
    if kind == "spans":
        return ReplaceSpans(d["doc_id"], tuple(Span.from_dict(s) for s in d["remove"]),
                            tuple(Span.from_dict(s) for s in d["add"]), d.get("text", "Edit spans"))
    if kind == "status":
        return SetStatus(d["doc_id"], d["old"], d["new"], d.get("text", "Set status"))
    if kind == "labels":
        return ChangeLabels(d.get("doc_id"), tuple(Label.from_dict(x) for x in d["add"]),
                            tuple(Label.from_dict(x) for x in d["remove"]),
                            d.get("text", "Change labels"))
    if kind == "entities":
        return ChangeEntities(d.get("doc_id"), tuple(Entity.from_dict(x) for x in d["old"]),
                              tuple(Entity.from_dict(x) for x in d["new"]),
                              d.get("text", "Change entities"))
    if kind == "dismiss":
        return Dismiss(d.get("doc_id"), str(d["kind"]), str(d["key"]), bool(d.get("on", True)),
                       d.get("text", "Dismiss finding"))
    if kind == "decide":
        return Decide(int(d["doc_id"]), int(d["start"]), int(d["end"]), str(d["chosen"]),
                      bool(d.get("on", True)), d.get("text", "Settle disagreement"))
    if kind == "batch":
        return Batch(d.get("doc_id"), tuple(edit_from_json(e) for e in d["edits"]), d.get("text", "Edits"))
    raise ValueError(f"unknown edit type {kind!r}")


# -- Named constructors: the edits a person makes, as ReplaceSpans ---------------------------

def add_span(doc_id: int, span: Span, current: list[Span]) -> ReplaceSpans:
    """A new span replaces every span it overlaps (NER spans do not overlap); on the same
    characters as one it replaces, it keeps the entity that one names (a label changed by
    selecting the same words again)."""
    gone = tuple(overlapping(current, span.start, span.end))
    same = [s for s in gone if (s.start, s.end) == (span.start, span.end) and s.entity]
    if same and not span.entity:
        span = span.with_(entity=same[0].entity)
    return ReplaceSpans(doc_id, gone, (span,), f"Label “{_short(span.label)}”")


def remove_span(doc_id: int, span: Span) -> ReplaceSpans:
    return ReplaceSpans(doc_id, (span,), (), f"Delete {span.label}")


def relabel(doc_id: int, span: Span, label: str) -> ReplaceSpans:
    return ReplaceSpans(doc_id, (span,), (span.with_(label=label, source=MANUAL),),
                        f"Relabel {span.label} → {label}")


def confirm(doc_id: int, span: Span) -> ReplaceSpans:
    return ReplaceSpans(doc_id, (span,), (span.with_(source=MANUAL),), f"Confirm {span.label}")


def finish(doc_id: int, spans: list[Span], old_status: str, status: str, text: str) -> Batch:
    """Mark a document done (or skipped). Done accepts every model suggestion left on it, as
    accepting a task does in Prodigy: what is exported as accepted is what the screen shows."""
    edits: list = []
    pending = tuple(s for s in spans if not s.is_manual)
    if status == "done" and pending:
        edits.append(ReplaceSpans(doc_id, pending, tuple(s.with_(source=MANUAL) for s in pending),
                                  f"Accept {len(pending)} suggestions"))
        if old_status == "new":
            old_status = "in progress"      # accepting counts as touching it by hand
    edits.append(SetStatus(doc_id, old_status, status, text))
    return Batch(doc_id, tuple(edits), text)


def reopen(edit: ReplaceSpans, old_status: str, status: str = "in progress") -> Batch:
    """A person's edit of a document marked done, with the document put back to "in
    progress" in the same step: a changed document is never exported as accepted unseen, and
    one undo gives back both the spans and the status."""
    return Batch(edit.doc_id, (SetStatus(edit.doc_id, old_status, status, "Reopen"), edit), edit.text)


def resize(doc_id: int, span: Span, start: int, end: int, current: list[Span]) -> ReplaceSpans:
    new = span.with_(start=start, end=end, source=MANUAL)
    others = tuple(s for s in overlapping(current, start, end) if s != span)
    return ReplaceSpans(doc_id, (span,) + others, (new,), f"Resize {span.label}")


def link(doc_id: int, span: Span, entity: int, text: str = "") -> ReplaceSpans:
    """The span named as ``entity`` (0: no entity); a model's span becomes a person's."""
    return ReplaceSpans(doc_id, (span,), (span.with_(entity=entity, source=MANUAL),),
                        text or ("Unlink entity" if not entity else f"Link {span.label} to an entity"))


def _short(s: str, n: int = 20) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def replaced(spans: list[Span], edit: ReplaceSpans) -> list[Span]:
    """``spans`` (sorted) after ``edit``, without re-reading the store (cheap for 20k spans)."""
    from bisect import insort
    from models.spans import index_of
    out = list(spans)
    for s in edit.remove:
        i = index_of(out, s)
        if i < 0:
            raise ValueError(f"{s} is not among the spans")
        del out[i]
    for s in edit.add:
        insort(out, s)
    return out
