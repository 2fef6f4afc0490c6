"""What the consistency checker finds (``models/checker.py``): a finding of one of four kinds,
with a stable key (a dismissal names it: ``Dismiss(doc_id, kind, key)``), the spans it
touches (the ranking: most first), a description a person reads, and the items it is about.

Kinds:
- ``labels``: one string, as typed (case and spaces), with different labels in the project;
  key: the string.
- ``missed``: a labelled string standing unlabelled elsewhere, on token boundaries; key: the
  string. Its items are the occurrences, each with the label its fix would give.
- ``bounds``: spans of one label whose texts differ only by a determiner, a title, a
  possessive or punctuation ("North Korea" / "North Korea’s"); key: ``[label, core]`` (JSON).
- ``variants``: names of one label that are likely one entity's and not yet linked to one;
  key: ``[label, the names' cores, sorted]`` (JSON).
``n_spans`` counts the spans the finding is about (every span of the string or the names; for
``missed``, the occurrences to label).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import NamedTuple

from models.spans import MANUAL, Span

KINDS = ("labels", "missed", "bounds", "variants")
KIND_NAMES = {"labels": "Labels differ", "missed": "Missed occurrences", "bounds": "Bounds differ",
              "variants": "Name variants"}


class Item(NamedTuple):
    """A span (or, for ``missed``, an occurrence) a finding is about (a named tuple: a
    finding of 100,000 documents holds hundreds of thousands)."""
    doc_id: int
    start: int
    end: int
    label: str
    source: str = MANUAL
    entity: int = 0
    text: str = ""

    @property
    def span(self) -> Span:
        return Span(self.start, self.end, self.label, self.source, self.entity)

    def to_json(self) -> dict:
        d = {"doc_id": self.doc_id, "start": self.start, "end": self.end, "text": self.text,
             "label": self.label, "source": self.source}
        if self.entity:
            d["entity"] = self.entity
        return d


@dataclass(frozen=True)
class Finding:
    kind: str
    key: str
    n_spans: int
    description: str
    items: tuple[Item, ...]
    # The fix's own choice, made for the person when there is one ("ORG", a form, an entity id
    # as text, "" for a new entity); ``choices`` when a person must choose (a tie).
    target: str = ""
    choices: tuple[str, ...] = ()
    dismissed: bool = False
    # the strings (kinds labels, missed) or cores (bounds, variants) it is built from
    strings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def rank(self) -> tuple:
        return (-self.n_spans, KINDS.index(self.kind), self.key)

    @property
    def needs_choice(self) -> bool:
        return bool(self.choices) and not self.target

    def per_doc(self) -> list[tuple[int, int]]:
        """(document, how many items are in it), by document."""
        counts: dict[int, int] = {}
        for it in self.items:
            counts[it.doc_id] = counts.get(it.doc_id, 0) + 1
        return sorted(counts.items())

    def to_json(self) -> dict:
        d = {"kind": self.kind, "key": self.key, "spans": self.n_spans,
             "description": self.description, "target": self.target,
             "choices": list(self.choices), "items": [it.to_json() for it in self.items]}
        if self.kind == "missed":
            d["per_doc"] = [list(p) for p in self.per_doc()]
        if self.dismissed:
            d["dismissed"] = True
        return d

    def line(self) -> str:
        """The finding on one line (the command line's plain output)."""
        mark = " (dismissed)" if self.dismissed else ""
        spans = "1 span" if self.n_spans == 1 else f"{self.n_spans} spans"
        return f"{self.kind}: {spans}: {self.description}{mark}"


def json_key(*parts) -> str:
    return json.dumps(list(parts), ensure_ascii=False)


def ranked(findings) -> list[Finding]:
    return sorted(findings, key=lambda f: f.rank)


def quoted(s: str, n: int = 60) -> str:
    return "“" + (s if len(s) <= n else s[: n - 1] + "…") + "”"


__all__ = ["KINDS", "KIND_NAMES", "Item", "Finding", "json_key", "ranked", "quoted"]
