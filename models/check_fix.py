"""The fix of a consistency finding (``models/findings.py``) as one edit: a ``Batch`` over
every document it touches — one transaction, one undo step, made from ``origin`` (the open
document: Ctrl+Z there undoes all of it). Nothing a fix does removes a person's span without
putting it back changed as the finding says (relabelled, re-bounded, linked): ``missed``
only adds spans where none stands. The spans a fix writes are a person's (``manual``): they
chose the fix. A document's status is left as it is.

A fix is made from what the check read; if the file changed since (another window), the store
refuses it whole (``StaleEdit``) and nothing is written.
"""
from __future__ import annotations

from models.check_kinds import entity_name
from models.check_text import core
from models.edits import Batch, ChangeEntities, ReplaceSpans
from models.entities import Entity
from models.findings import Finding, quoted
from models.spans import MANUAL, Span


class NeedsChoice(ValueError):
    """The fix needs the person's choice (a tie of labels, several entities)."""


def fix(finding: Finding, store, origin: int | None = None, choice: str | None = None):
    """The edit that fixes ``finding``, or None when nothing is left to change. ``choice``
    (one of ``finding.choices``) overrides the finding's own target; it is needed when the
    finding has none (``finding.needs_choice``)."""
    target = choice if choice is not None else finding.target
    if finding.needs_choice and choice is None:
        raise NeedsChoice(f"{finding.description}: choose one of {', '.join(finding.choices)}")
    if not finding.items:
        return None
    origin = finding.items[0].doc_id if origin is None else origin
    edits, text = _MAKERS[finding.kind](finding, store, origin, target)
    edits = [e for e in edits if not isinstance(e, ReplaceSpans) or e.remove or e.add]
    if not any(isinstance(e, ReplaceSpans) for e in edits):
        return None
    return Batch(origin, tuple(edits), text)


def _by_doc(items) -> dict[int, list]:
    out: dict[int, list] = {}
    for it in items:
        out.setdefault(it.doc_id, []).append(it)
    return out


def _rewrite(items, keep, new, text: str) -> list:
    """Per document, the items' spans that ``keep`` does not keep replaced by ``new(span)``."""
    edits = []
    for d, its in sorted(_by_doc(items).items()):
        change = [it for it in its if not keep(it)]
        edits.append(ReplaceSpans(d, tuple(it.span for it in change),
                                  tuple(new(it.span) for it in change), text))
    return edits


def _labels(f: Finding, store, origin, label: str):
    edits = _rewrite(f.items, lambda it: it.label == label,
                     lambda sp: sp.with_(label=label, source=MANUAL), f"Relabel {quoted(f.key, 30)} {label}")
    return edits, f"Apply {label} to every {quoted(f.key, 30)}"


def _missed(f: Finding, store, origin, label: str):
    edits = [ReplaceSpans(d, (), tuple(Span(it.start, it.end, label, MANUAL, it.entity) for it in items),
                          f"Label missed {quoted(f.key, 30)}")
             for d, items in sorted(_by_doc(f.items).items())]
    return edits, f"Label {len(f.items)} missed {quoted(f.key, 30)} {label}"


def _bounds(f: Finding, store, origin, form: str):
    """Each span of another form takes the bounds of ``form`` around its core — where the
    text there is ``form`` (its case aside: "THE Bank of Korea" for "The Bank of Korea") and
    no other span stands in the way (else it is left as it is)."""
    docs = _by_doc(f.items)
    at = core(form)[1]
    edits = []
    for doc_id, text, rows in store.check_rows(docs):
        spans = [Span(*r) for r in rows]
        present = set(spans)
        taken = [(s.start, s.end) for s in spans]
        remove, add = [], []
        for it in docs[doc_id]:
            if it.text.casefold() == form.casefold() or it.span not in present:
                continue                    # the same bounds (only the case of a word differs)
            start = it.start + core(it.text)[1] - at
            end = start + len(form)
            if start < 0 or text[start:end].casefold() != form.casefold():
                continue
            others = [(a, b) for a, b in taken if (a, b) != (it.start, it.end) and a < end and start < b]
            if others:
                continue
            taken = [(a, b) for a, b in taken if (a, b) != (it.start, it.end)] + [(start, end)]
            remove.append(it.span)
            add.append(Span(start, end, it.label, MANUAL, it.entity))
        edits.append(ReplaceSpans(doc_id, tuple(remove), tuple(add), f"Unify bounds to {quoted(form, 30)}"))
    return edits, f"Unify the bounds to {quoted(form, 30)}"


def _variants(f: Finding, store, origin, target: str):
    edits: list = []
    entity = int(target) if target else 0
    if entity:
        ent = store.entity(entity)
        if ent is None:
            raise NeedsChoice(f"entity {entity} is no longer in the project")
        name = ent.name
    else:
        name = entity_name(f.items)
        ent = Entity(store.next_entity_id(), name)
        entity = ent.id
        edits.append(ChangeEntities(origin, (), (ent,), f"New entity {quoted(name, 30)}"))
    edits += _rewrite(f.items, lambda it: it.entity == entity,
                      lambda sp: sp.with_(entity=entity, source=MANUAL), f"Link to {quoted(name, 30)}")
    return edits, f"Link {len(f.items)} names as {quoted(name, 30)}"


_MAKERS = {"labels": _labels, "missed": _missed, "bounds": _bounds, "variants": _variants}

__all__ = ["fix", "NeedsChoice"]
