"""Dictionaries and patterns: spaCy ``EntityRuler`` patterns, checked line by line, run alone or
with the model, their suggestions marked with where they came from.

A patterns file is JSONL, one pattern a line, as spaCy's ``EntityRuler`` reads it:
``{"label": "ORG", "pattern": "Acme Corp"}`` (a phrase pattern: the text's tokens, exactly) or
``{"label": "GPE", "pattern": [{"LOWER": "north"}, {"LOWER": "korea"}]}`` (a token pattern),
each with an optional ``"id"``. A bad line (not JSON, not an object, no label or pattern, an
unknown token attribute, an invalid regular expression…) is a ``Problem`` "FILE, line N: why";
the valid rest is used. Token patterns are checked by spaCy itself (its token-pattern schema,
then its ``Matcher`` with ``validate=True``, which compiles the regular expressions).

Three ways to run them (``MODES``):

- ``alone``: a blank pipeline of the model's language (else English) with the ruler only;
- ``patterns``: the ruler before the model's ``ner``, which keeps what the ruler found and
  labels around it — patterns win;
- ``model``: the ruler after ``ner`` with ``overwrite_ents=False`` — the model wins, patterns
  fill in where the model found nothing.

Which spans the ruler made is told by the ruler itself (``MarkingRuler`` notes each entity it
sets, in ``doc.user_data``), not guessed afterwards: a span the ruler made has the source
``patterns:FILE``, any other the model's. A pattern's ``id`` names an entity (``entity_plan``).
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from spacy.language import Language
from spacy.pipeline import EntityRuler

from models.entities import Entity, own_id
from models.ner import Pipeline, cut_points, trimmed
from models.ruler_check import (Patterns, PatternsError, Problem, check_lines, check_patterns,
                                read_patterns, shown_name)

MODES = ("alone", "patterns", "model")
MODE_TEXT = {"alone": "patterns alone", "patterns": "patterns win over the model",
             "model": "the model wins over patterns"}
PROJECT = "project"             # the name of the patterns made from the project's own labels
KEY = "annotator_ruler"         # doc.user_data: {(start_char, end_char, label): pattern id}
QID = re.compile(r"^Q[1-9][0-9]{0,11}$")        # a Wikidata item id: a knowledge-base id


# -- the pipeline ---------------------------------------------------------------------------------

class MarkingRuler(EntityRuler):
    """spaCy's ``EntityRuler`` that notes which entities it set: in ``doc.user_data[KEY]``,
    (start_char, end_char, label) -> the pattern's id ("" for none). With ``overwrite_ents``
    every entity equal to one of its matches is its own (it replaced what was there); without,
    an entity that was there before stays the model's (the ruler skipped that match)."""

    def set_annotations(self, doc, matches):
        before = {(e.start, e.end, e.label_) for e in doc.ents}
        super().set_annotations(doc, matches)
        matched: dict[tuple, str] = {}
        for m_id, start, end in matches:
            label, ent_id = self._ent_ids[m_id] if m_id in self._ent_ids else \
                (self.nlp.vocab.strings[m_id], "")
            matched.setdefault((start, end, label), ent_id or "")
        own = doc.user_data.setdefault(KEY, {})
        for e in doc.ents:
            k = (e.start, e.end, e.label_)
            if k in matched and (self.overwrite or k not in before):
                own[(e.start_char, e.end_char, e.label_)] = e.ent_id_ or matched[k]


@Language.factory("annotator_entity_ruler", assigns=["doc.ents"],
                  default_config={"overwrite_ents": False, "validate": True})
def _make_ruler(nlp, name: str, overwrite_ents: bool, validate: bool) -> MarkingRuler:
    return MarkingRuler(nlp, name, overwrite_ents=overwrite_ents, validate=validate)


@dataclass(frozen=True)
class RunInfo:
    """What ``annotate`` needs of a run, as plain data (it may cross to the UI thread)."""
    source: str
    mark: str
    mode: str
    model_source: str | None
    names: dict
    text: str
    labels: list


@dataclass
class RulerRun:
    """Patterns in a pipeline, shaped like ``ner.Pipeline`` for ``annotate.preannotate``:
    ``predict`` yields, per text, (start, end, label, source, pattern id) tuples."""
    nlp: object
    patterns: Patterns
    mode: str
    model: Pipeline | None = None
    pipes: tuple[str, ...] = ()          # what this run added to (or turned on in) the nlp

    @property
    def source(self) -> str:
        return self.patterns.source

    @property
    def mark(self) -> str:
        return self.patterns.mark

    @property
    def model_source(self) -> str | None:
        return self.model.source if self.model else None

    @property
    def labels(self) -> list[str]:
        return list(dict.fromkeys(self.patterns.labels + (self.model.labels if self.model else [])))

    @property
    def names(self) -> dict[str, str]:
        return self.patterns.names

    def info(self) -> RunInfo:
        return RunInfo(self.source, self.mark, self.mode, self.model_source, self.names, self.text,
                       self.labels)

    @property
    def text(self) -> str:
        what = MODE_TEXT[self.mode]
        return f"{self.source} ({what}{', ' + self.model_source if self.model else ''})"

    @contextmanager
    def active(self):
        """The ruler (and the components its patterns need) on while inside; off again after,
        so a model pipeline shared with live predictions predicts as before."""
        nlp = self.nlp
        for name in self.pipes:
            nlp.enable_pipe(name)
        try:
            yield self
        finally:
            for name in self.pipes:
                nlp.disable_pipe(name)

    def predict(self, texts: Iterable[str], batch_size: int = 32) -> Iterator[list[tuple]]:
        def pieces():
            for text in texts:
                bounds = cut_points(text)
                for k, (a, b) in enumerate(zip(bounds, bounds[1:])):
                    yield text[a:b], (a, k == len(bounds) - 2)
        model, own = self.model_source or "", self.source
        found: list[tuple] = []
        for doc, (offset, last) in self.nlp.pipe(pieces(), batch_size=batch_size, as_tuples=True):
            ruled = doc.user_data.get(KEY, {})
            for e in doc.ents:
                key = (e.start_char, e.end_char, e.label_)
                a, b = trimmed(doc.text, e.start_char, e.end_char)
                if a >= b:
                    continue
                if key in ruled:
                    found.append((a + offset, b + offset, e.label_, own, ruled[key]))
                elif model:
                    found.append((a + offset, b + offset, e.label_, model, ""))
            if last:
                yield found
                found = []

    def close(self) -> None:
        """Take the ruler out of a shared model pipeline again."""
        nlp = self.nlp
        for name in self.pipes:
            if name in nlp.component_names and name.startswith("annotator_"):
                nlp.remove_pipe(name)
        self.pipes = ()


def build(patterns: Patterns, mode: str = "patterns", model: Pipeline | None = None,
          lang: str = "en") -> RulerRun:
    """A ``RulerRun`` of ``patterns``: ``alone`` on ``spacy.blank(lang)``; ``patterns`` /
    ``model`` in ``model``'s pipeline (the ruler is added switched off: see ``active``)."""
    import spacy
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if not patterns.patterns:
        raise PatternsError(f"{patterns.name}: no valid pattern")
    if mode == "alone":
        nlp = spacy.blank(lang)
        ruler = nlp.add_pipe("annotator_entity_ruler", config={"overwrite_ents": True})
        ruler.add_patterns(patterns.patterns)
        return RulerRun(nlp, patterns, mode)
    if model is None:
        raise ValueError(f"mode {mode!r} needs a model")
    nlp = model.nlp
    name = _free_name(nlp)
    where = {"before": "ner"} if mode == "patterns" else {"after": "ner"}
    ruler = nlp.add_pipe("annotator_entity_ruler", name=name, config={"overwrite_ents": False}, **where)
    with nlp.select_pipes(enable=[]):   # phrase patterns are tokenized only, not run through ner
        ruler.add_patterns(patterns.patterns)
    nlp.disable_pipe(name)
    extra = tuple(n for n in nlp.disabled if n != name) if patterns.needs_tagger() else ()
    return RulerRun(nlp, patterns, mode, model, (name, *extra))


def _free_name(nlp) -> str:
    i = 0
    while f"annotator_ruler_{i}" in nlp.component_names:
        i += 1
    return f"annotator_ruler_{i}"


def model_lang(name: str | None) -> str:
    """The language of a pipeline (package or folder) from its meta, without loading it; "en"
    when it cannot be told."""
    if not name:
        return "en"
    try:
        import spacy.util
        path = Path(name).expanduser()
        if not path.is_dir():
            path = spacy.util.get_package_path(name)
        return str(spacy.util.load_meta(path / "meta.json").get("lang") or "en")
    except Exception:           # not installed, no meta: patterns alone need only a tokenizer
        return "en"


# -- entities named by pattern ids ----------------------------------------------------------------

def entity_plan(store, pattern_ids: Iterable[str], names: dict[str, str],
                known: dict[str, int]) -> list[Entity]:
    """The entities to create for ``pattern_ids`` not yet in ``known`` (pattern id -> entity
    id, filled in here for those found in the project).

    A pattern id names an entity this way: ``annotator:E12`` (the project's own id, as its
    exports write it) is entity 12; a Wikidata QID (``Q884``) is the entity with that
    knowledge-base id, else a new one with it, named by the first phrase pattern of that id
    (else the QID); any other id is the entity with that very name, else a new one named so
    (its knowledge-base id empty)."""
    new: list[Entity] = []
    by_name = None
    next_id = store.next_entity_id()
    for pid in dict.fromkeys(pattern_ids):
        if not pid or pid in known:
            continue
        eid = own_id(pid)
        if eid is not None and store.entity(eid) is not None:
            known[pid] = eid
            continue
        if QID.match(pid):
            found = store.entity_by_kb(pid)
            entity = found or Entity(next_id, names.get(pid) or pid, pid)
        else:
            if by_name is None:
                by_name = {}
                for e in store.entities():
                    by_name.setdefault(e.name, e)
            found = by_name.get(pid)
            entity = found or Entity(next_id, pid[:500])
        if found is None:
            new.append(entity)
            next_id += 1
        known[pid] = entity.id
    return new


# -- patterns from this project ------------------------------------------------------------------

def project_patterns(store) -> Patterns:
    """Phrase patterns of every string a person labelled in the project (every document, done
    or not): the ``--format patterns`` export's own code (``models.formats.patterns``), so
    what pre-annotates the rest of the corpus is what that export writes for ``--all``. A
    string whose spans name an entity has its id (``annotator:E12`` or its QID), so the spans
    the patterns find name that entity too (``entity_plan``)."""
    from models.entities import kb_key
    from models.formats.patterns import collect_patterns
    with store.snapshot():
        kb = {e.id: kb_key(e) for e in store.entities()}     # a linked string carries its entity
        found = collect_patterns(store.iter_documents(None), store.labels().names(), kb)
    return check_patterns(found, PROJECT, trained=False)


def project_run(store, lang: str = "en") -> RulerRun:
    """The project's own patterns, alone (a person's labels beat a model's suggestions);
    ``PatternsError`` when nobody has labelled anything yet."""
    patterns = project_patterns(store)
    if not patterns.patterns:
        raise PatternsError("no span labelled by a person in the project yet: nothing to "
                            "make patterns from")
    return build(patterns, "alone", lang=lang)


__all__ = ["project_patterns", "project_run", "RunInfo", "Patterns", "Problem", "PatternsError", "RulerRun", "MarkingRuler", "MODES",
           "MODE_TEXT", "PROJECT", "read_patterns", "check_lines", "check_patterns", "problem",
           "build", "model_lang", "entity_plan", "shown_name"]
