"""The label set on its own, and spaCy ``EntityRuler`` patterns from the labelled strings.

Labels: ``{"labels": [{"name", "color", "key", "description"}, ...]}`` in the project's order —
the shape of the app's own ``resources/default_labels.json``.

Patterns: one JSON object per line, ``{"label": "GPE", "pattern": "North Korea"}`` — a phrase
pattern, which the EntityRuler matches token by token after tokenizing the string — for every
distinct (label, text) a person labelled in the exported documents, sorted by label (in the label
set's order) then text. Model suggestions nobody confirmed are not patterns.
"""
from __future__ import annotations

import json
from typing import Iterable

from models.document import Document
from models.labels import LabelSet
from models.spans import Span


def labels_json(labels: LabelSet) -> str:
    data = {"labels": [{"name": lab.name, "color": lab.color, "key": lab.key,
                        "description": lab.description} for lab in labels]}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def collect_patterns(items: Iterable[tuple[Document, list[Span]]], order: list[str]) -> list[dict]:
    found: set[tuple[str, str]] = set()
    for doc, spans in items:
        for s in spans:
            text = doc.text[s.start:s.end]
            if s.is_manual and text.strip():
                found.add((s.label, text))
    rank = {name: i for i, name in enumerate(order)}
    return [{"label": label, "pattern": text}
            for label, text in sorted(found, key=lambda x: (rank.get(x[0], len(rank)), x[0], x[1]))]


def patterns_jsonl(patterns: list[dict]) -> str:
    return "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in patterns)
