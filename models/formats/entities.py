"""Entities out and in: the ``entities`` export (a knowledge base for spaCy's
``InMemoryLookupKB``), and the ``kb_id`` a span carries in JSONL and ``.spacy`` files.

One JSON object per line, one line per entity, by id::

    {"id": "Q56226", "name": "Kim Jong Un", "kb_id": "Q56226", "note": "",
     "label": "PERSON", "frequency": 3,
     "aliases": [{"alias": "Kim Jong Un", "count": 2, "prior": 1.0},
                 {"alias": "Kim Jong-un", "count": 1, "prior": 1.0}]}

``id`` is what the spans of the other exports carry as ``kb_id``: the entity's knowledge-base
id, or the project's own stable id (``annotator:E12``) when it has none. ``frequency`` counts
the exported spans naming it; ``aliases`` are their texts with counts, and ``prior`` is
P(entity | alias) over all entities of the file (so each alias's priors sum to at most 1, as
``InMemoryLookupKB.add_alias`` wants). ``label`` is the label most of its spans have. The
entity's own name is always an alias. ``build_kb`` builds the KB from such a file.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import IO, Iterable, Iterator

from models.document import Document
from models.entities import Entity, kb_key, own_id, problem
from models.formats.annotated import is_offset
from models.formats.errors import ImportProblem
from models.formats.records import short, unstorable
from models.spans import Span

MAX_KB_ID = 200


def kb_id_problem(value) -> str | None:
    """Why a span's ``kb_id`` cannot name an entity (None: it can; ``""`` names none)."""
    if not isinstance(value, str):
        return f"'kb_id' must be text, found {short(value)}"
    if len(value) > MAX_KB_ID:
        return f"'kb_id' is {len(value):,} characters long (at most {MAX_KB_ID})"
    if value != value.strip() or any(c in value for c in "\n\r\t"):
        return f"'kb_id' {short(value)} has spaces or line breaks at its edges or inside"
    return None


def entity_ids(found: Iterable[tuple], spans: list[Span], file: str, line: int | None,
               where: str, problems: list) -> dict:
    """(start, end, label) -> kb_id for the kept ``spans`` among ``found`` (start, end, label,
    kb_id); a kb_id that cannot name an entity is a warning (the span is kept, unlinked)."""
    kept = {(s.start, s.end, s.label) for s in spans}
    out = {}
    for start, end, label, value in found:
        if not (is_offset(start) and is_offset(end) and isinstance(label, str)) \
                or (start, end, label) not in kept or value == "":
            continue
        why = kb_id_problem(value)
        if why:
            problems.append(ImportProblem(file, line, f"{where}span {short(start)}-{short(end)}: "
                                          f"{why}; imported with no entity", False))
        else:
            out[(start, end, label)] = value
    return out


def records(entities: list[Entity], items: Iterable[tuple[Document, list[Span]]]) -> list[dict]:
    """The export's lines for ``entities``, counted over the spans of ``items``."""
    names: dict[int, Counter] = defaultdict(Counter)
    labels: dict[int, Counter] = defaultdict(Counter)
    for doc, spans in items:
        for s in spans:
            if s.entity:
                names[s.entity][doc.text[s.start:s.end]] += 1
                labels[s.entity][s.label] += 1
    for e in entities:                   # the canonical name is an alias, seen or not
        names[e.id].setdefault(e.name, 0)
    totals: Counter = Counter()
    for e in entities:
        for alias, n in names[e.id].items():
            totals[alias] += n
    sharing = Counter(alias for e in entities for alias in names[e.id])
    out = []
    for e in sorted(entities):
        aliases = []
        for alias, n in sorted(names[e.id].items(), key=lambda x: (-x[1], x[0])):
            prior = n / totals[alias] if totals[alias] else 1 / sharing[alias]
            aliases.append({"alias": alias, "count": n, "prior": round(prior, 6)})
        top = labels[e.id].most_common(1)
        out.append({"id": kb_key(e), "name": e.name, "kb_id": e.kb_id, "note": e.note,
                    "label": top[0][0] if top else "", "frequency": sum(labels[e.id].values()),
                    "aliases": aliases})
    return out


def write(lines: list[dict], out: IO[str]) -> None:
    for line in lines:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")


def looks_like_entity(obj: dict) -> bool:
    """A JSON object of an ``entities`` file (read among JSONL tasks, it is no task)."""
    return "text" not in obj and "name" in obj and "id" in obj and "aliases" in obj


def entity_line(obj, file: str, lineno: int) -> tuple[dict | None, ImportProblem | None]:
    """One line of an ``entities`` file: ``{"entity_record": Entity, "key": the id the spans
    carry, "line"}`` — the Entity's id is 0 when the key is a knowledge-base id, else the
    number inside ``annotator:E…`` — or the problem that skips it."""
    if not isinstance(obj, dict):
        return None, ImportProblem(file, lineno, "not an entity (a JSON object with id and "
                                   "name); skipped")
    key, name = obj.get("id"), obj.get("name")
    kb, note = obj.get("kb_id", ""), obj.get("note", "")
    why = kb_id_problem(key) or (None if key else "'id' is empty")
    if why is None and not isinstance(name, str):
        why = f"'name' must be text, found {short(name)}"
    if why is None and (not isinstance(kb, str) or not isinstance(note, str)):
        why = "'kb_id' and 'note' must be text"
    if why is None:
        why = unstorable(name, "name") or unstorable(note, "note") or unstorable(key, "id")
    if why is None and kb and kb != key:
        why = (f"'id' {short(key)} and 'kb_id' {short(kb)} differ (an entity with a "
               "knowledge-base id has it as its id)")
    number = own_id(key) if why is None else None
    if why is None:
        entity = Entity(number or 1, name, "" if number else key, note)
        why = problem(entity)
    if why:
        return None, ImportProblem(file, lineno, f"entity skipped: {why}")
    return {"entity_record": entity.with_(id=number or 0), "key": key, "line": lineno}, None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def read(f: IO[bytes], file: str, source: str | None = None, **_options) -> Iterator[dict | ImportProblem]:
    """The entities of an ``entities`` file (``import --format entities``), a line each."""
    for lineno, raw in enumerate(f, 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
        except UnicodeDecodeError as e:
            yield ImportProblem(file, lineno, f"not UTF-8 (byte 0x{raw[e.start]:02x}); skipped")
            continue
        except json.JSONDecodeError as e:
            yield ImportProblem(file, lineno, f"not valid JSON ({e.msg} at column {e.colno}); skipped")
            continue
        except (ValueError, RecursionError) as e:
            yield ImportProblem(file, lineno, f"not read ({type(e).__name__}); skipped")
            continue
        item, why = entity_line(obj, file, lineno)
        yield item if why is None else why


def build_kb(vocab, lines: Iterable[dict], vector_length: int = 1, vector=None):
    """A spaCy ``InMemoryLookupKB`` from the export's lines. ``vector(line)`` gives an entity's
    vector of ``vector_length`` floats (default: zeros — entity linking then learns from the
    priors only; e.g. ``lambda d: nlp(d["name"]).vector`` with a model that has vectors)."""
    from spacy.kb import InMemoryLookupKB
    kb = InMemoryLookupKB(vocab=vocab, entity_vector_length=vector_length)
    aliases: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for d in lines:
        vec = list(vector(d)) if vector else [0.0] * vector_length
        kb.add_entity(entity=d["id"], freq=max(int(d["frequency"]), 1), entity_vector=vec)
        for a in d["aliases"]:
            aliases[a["alias"]].append((d["id"], float(a["prior"])))
    for alias, pairs in aliases.items():
        total = sum(p for _, p in pairs)
        probs = [p / total if total > 1 else p for _, p in pairs]   # rounding never passes 1
        kb.add_alias(alias=alias, entities=[e for e, _ in pairs], probabilities=probs)
    return kb


__all__ = ["build_kb", "entity_ids", "entity_line", "looks_like_entity", "kb_id_problem", "read", "records", "write", "MAX_KB_ID"]
