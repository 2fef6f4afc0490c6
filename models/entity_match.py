"""Which entities a name may be (the link dialog's order): names compared after
transliteration (anyascii: "Kim Jong-ŭn" ~ "Kim Jong-un", "金正恩" → "JinZhengEn") and folding
(case, hyphens, spacing), scored with rapidfuzz's ``WRatio`` over each entity's canonical name
and the names its spans have."""
from __future__ import annotations

import re

from anyascii import anyascii
from rapidfuzz import fuzz, process

from models.entities import Entity

_NOT_WORD = re.compile(r"[\W_]+")


def fold(name: str) -> str:
    """A name as compared: ASCII, lower case, hyphens and punctuation as spaces."""
    return " ".join(_NOT_WORD.sub(" ", anyascii(name).lower()).split())


def rank(name: str, entities: list[Entity], aliases: dict[int, dict[str, int]],
         limit: int = 50, cutoff: float = 40) -> list[tuple[Entity, float]]:
    """Entities by how close ``name`` is to any of their names, best first (score 0–100); an
    exact name (as folded) scores 100. Entities below ``cutoff`` are left out."""
    if not entities:
        return []
    query = fold(name)
    choices: list[str] = []
    owner: list[int] = []
    for i, e in enumerate(entities):
        for n in {e.name, *aliases.get(e.id, {})}:
            choices.append(fold(n))
            owner.append(i)
    best: dict[int, float] = {}
    for _choice, score, j in process.extract(query, choices, scorer=fuzz.WRatio,
                                             limit=None, score_cutoff=cutoff):
        i = owner[j]
        best[i] = max(best.get(i, 0.0), score)
    order = sorted(best.items(), key=lambda x: (-x[1], entities[x[0]].name, entities[x[0]].id))
    return [(entities[i], s) for i, s in order[:limit]]


__all__ = ["fold", "rank"]
