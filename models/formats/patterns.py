"""The label set on its own, and spaCy ``EntityRuler`` patterns from the labelled strings.

Labels: ``{"labels": [{"name", "color", "key", "description"}, ...]}`` in the project's order —
the shape of the app's own ``resources/default_labels.json``.

Patterns: one JSON object per line, ``{"label": "GPE", "pattern": "North Korea"}`` — a phrase
pattern, which the EntityRuler matches token by token after tokenizing the string — for every
distinct (label, text) a person labelled in the exported documents, sorted by label (in the label
set's order) then text, with ``"id"`` when its spans name an entity (its ``kb_id``). Model
suggestions nobody confirmed are not patterns.
"""
from __future__ import annotations

import json
from collections import Counter
from typing import Iterable

from models.document import Document
from models.labels import LabelSet
from models.spans import Span


def labels_json(labels: LabelSet) -> str:
    data = {"labels": [{"name": lab.name, "color": lab.color, "key": lab.key,
                        "description": lab.description} for lab in labels]}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def collect_patterns(items: Iterable[tuple[Document, list[Span]]], order: list[str],
                     kb: dict[int, str] | None = None) -> list[dict]:
    """The patterns of the strings people labelled; with ``kb`` (entity id -> kb id), a string
    whose spans name an entity gets that entity's id as the pattern's ``id`` (the one most of
    them name), which the EntityRuler sets as the entity's ``ent_id_``."""
    found: dict[tuple[str, str], Counter] = {}
    for doc, spans in items:
        for s in spans:
            text = doc.text[s.start:s.end]
            if s.is_manual and text.strip():
                named = found.setdefault((s.label, text), Counter())
                if s.entity and kb:
                    named[kb[s.entity]] += 1
    rank = {name: i for i, name in enumerate(order)}
    out = []
    for (label, text), named in sorted(found.items(), key=lambda x: (rank.get(x[0][0], len(rank)),
                                                                      x[0][0], x[0][1])):
        p = {"label": label, "pattern": text}
        if named:
            p["id"] = min(named.items(), key=lambda x: (-x[1], x[0]))[0]
        out.append(p)
    return out


def patterns_jsonl(patterns: list[dict]) -> str:
    return "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in patterns)
