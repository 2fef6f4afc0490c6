"""Patterns files checked line by line (see ``models/ruler.py``): each bad line is a
``Problem`` "FILE, line N: why", the valid rest is kept. Token patterns are checked by spaCy
itself: its token-pattern schema (``spacy.schemas.validate_token_pattern``), then its
``Matcher`` with ``validate=True``, which compiles the regular expressions."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterable

from models.display import path_shown
from models.labels import label_name_problem

# Token attributes only a trained pipeline sets: a blank one leaves them empty.
TRAINED = {"POS", "TAG", "MORPH", "LEMMA", "DEP", "ENT_TYPE", "ENT_IOB", "ENT_ID", "ENT_KB_ID",
           "SENT_START", "IS_SENT_START"}
KEYS = ("label", "pattern", "id")


class PatternsError(Exception):
    """A patterns file that cannot be used at all (unreadable, or no valid pattern)."""


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}, line {self.line}: {self.reason}"


@dataclass
class Patterns:
    """The valid patterns of one file (in file order, each with its line) and its problems;
    read once, never changed after (``mark`` and ``names`` are computed once)."""
    name: str                                    # the file's name: the source is patterns:NAME
    patterns: list[dict] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    file: str = ""                               # how problems name the file (its path)

    @property
    def source(self) -> str:
        return f"patterns:{self.name}"

    @cached_property
    def mark(self) -> str:
        """What a document run through these patterns is marked with: the source and a digest
        of the patterns, so a changed file runs again and the same one resumes."""
        data = json.dumps(self.patterns, sort_keys=True, ensure_ascii=False).encode()
        return f"{self.source}#{hashlib.sha1(data).hexdigest()[:12]}"

    @property
    def labels(self) -> list[str]:
        return list(dict.fromkeys(p["label"] for p in self.patterns))

    @cached_property
    def names(self) -> dict[str, str]:
        """Pattern id -> the first phrase pattern with that id (the entity's name)."""
        out: dict[str, str] = {}
        for p in self.patterns:
            if "id" in p and isinstance(p["pattern"], str):
                out.setdefault(p["id"], p["pattern"].strip())
        return out

    def needs_tagger(self) -> bool:
        return any(_trained_attrs(p["pattern"]) for p in self.patterns)

    def without_trained(self) -> "Patterns":
        """These patterns to run alone: those that need a trained pipeline's attributes become
        problems (read with ``trained=True``, then run without a model)."""
        out = Patterns(self.name, problems=list(self.problems), file=self.file)
        for p, n in zip(self.patterns, self.lines):
            found = _trained_attrs(p["pattern"])
            if found:
                out.problems.append(Problem(self.file or self.name, n, _needs_model(found[0])))
            else:
                out.patterns.append(p)
                out.lines.append(n)
        out.problems.sort(key=lambda x: x.line)
        return out


def shown_name(path: str | Path) -> str:
    """A file's name as a span source can hold it: one line of visible characters."""
    return "".join(c if c.isprintable() else "?" for c in Path(path).name) or "patterns"


def read_patterns(path: str | Path, trained: bool = True) -> Patterns:
    """Read and check a patterns file; raise ``PatternsError`` if it cannot be read.

    ``trained``: the patterns run with a model, so token attributes only a trained pipeline
    sets (POS, LEMMA, DEP…) are allowed; without one such a pattern is a problem (it could
    never match)."""
    name = shown_name(path)
    try:
        with open(path, encoding="utf-8-sig") as f:
            lines = f.read().splitlines()
    except UnicodeDecodeError as e:
        raise PatternsError(f"{name}: not UTF-8 text (byte {e.start}): a patterns file is JSONL "
                            "in UTF-8") from None
    except OSError as e:
        raise PatternsError(f"{name}: cannot be read: {e.strerror or e}") from None
    return check_lines(lines, name, trained, file=path_shown(path))


def check_lines(lines: Iterable[str], name: str, trained: bool = True,
                file: str | None = None) -> Patterns:
    """``Patterns`` from JSONL lines (numbered from 1; blank lines are skipped); ``file`` is
    how problems name the file (default: ``name``)."""
    import spacy
    name_file = file or name
    out = Patterns(name, file=name_file)
    vocab = spacy.blank("xx").vocab
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as e:
            out.problems.append(Problem(name_file, n, f"not JSON: {e}"))
            continue
        why = problem(obj, vocab, trained)
        if why:
            out.problems.append(Problem(name_file, n, why))
        else:
            out.patterns.append({k: obj[k] for k in KEYS if k in obj})
            out.lines.append(n)
    return out


def check_patterns(patterns: list[dict], name: str, trained: bool = False) -> Patterns:
    """``Patterns`` from dicts already read (e.g. the project's own, ``models.formats.patterns``)."""
    return check_lines((json.dumps({k: p[k] for k in KEYS if k in p}, ensure_ascii=False)
                        for p in patterns), name, trained)


def problem(obj, vocab, trained: bool = True) -> str | None:
    """Why ``obj`` (one line, parsed) is not a pattern the ruler can use, or None."""
    if not isinstance(obj, dict):
        return (f"not a JSON object but {type(obj).__name__ if obj is not None else 'null'}: "
                'a pattern is {"label": "ORG", "pattern": "Acme Corp"}')
    extra = [k for k in obj if k not in KEYS]
    if extra:
        return f"unknown key {extra[0]!r}: a pattern has label, pattern and an optional id"
    if "label" not in obj:
        return "no label"
    why = label_name_problem(obj["label"])
    if why:
        return why
    if "id" in obj:
        pid = obj["id"]
        if not isinstance(pid, str) or not pid.strip() or len(pid) > 200 or not pid.isprintable():
            return f"id {json.dumps(pid)[:60]} is not a name of 1-200 visible characters"
        if pid != pid.strip():
            return f"id {json.dumps(pid)} has spaces at its ends"
    if "pattern" not in obj:
        return "no pattern"
    pattern = obj["pattern"]
    if isinstance(pattern, str):
        return "the phrase pattern is empty" if not pattern.strip() else None
    if not isinstance(pattern, list):
        return ("the pattern is neither a phrase (a string) nor a token pattern (a list of "
                f"objects) but {type(pattern).__name__ if pattern is not None else 'null'}")
    return token_problem(pattern, vocab, trained)


def token_problem(pattern: list, vocab, trained: bool = True) -> str | None:
    """Why spaCy refuses a token pattern, in a person's words, or None."""
    from spacy.schemas import validate_token_pattern
    errors = validate_token_pattern(pattern)
    if errors:
        return _schema_error(errors[0])     # the first: a union's other branches repeat it
    for i, token in enumerate(pattern, 1):
        for name in token.get("_", {}) or {}:
            from spacy.tokens import Token
            if not Token.has_extension(name):
                return f"token {i}: unknown custom attribute _.{name}"
    if not trained:
        found = _trained_attrs(pattern)
        if found:
            return _needs_model(found[0])
    from spacy.matcher import Matcher
    try:
        Matcher(vocab, validate=True).add("pattern", [pattern])
        return None
    except Exception as e:          # spaCy raises re.error, ValueError, MatchPatternError…
        for i, token in enumerate(pattern, 1):       # which token spaCy cannot take
            try:
                Matcher(vocab, validate=True).add("token", [[token]])
            except re.error as e1:
                return f"token {i}: invalid regular expression: {e1}"
            except Exception as e1:
                return f"token {i}: {_first_line(e1)}"
        return _first_line(e)


def _needs_model(attr: str) -> str:
    return (f"{attr} needs a trained pipeline (a model's tagger or parser); patterns alone use "
            "spaCy's rules only: run them with the model")


def _schema_error(message: str) -> str:
    """spaCy's "[pattern -> 0 -> LOWR] Extra inputs are not permitted" as "token 1: unknown
    token attribute LOWR"."""
    m = re.match(r"\[pattern(?: -> (\d+))?(?: -> (.*?))?\] (.*)", message)
    if not m:
        return message
    index, where, what = m.groups()
    if index is None:
        return "the token pattern is empty" if "at least 1" in what else what
    head = f"token {int(index) + 1}"
    parts = [p for p in (where or "").split(" -> ") if p]
    if what.startswith("Extra inputs are not permitted") and parts:
        if len(parts) == 1:
            return f"{head}: unknown token attribute {parts[0]}"
        return f"{head}: {parts[0]}: unknown operator {parts[-1]}"
    return f"{head}: {parts[0] + ': ' if parts else ''}{what}"


def _first_line(e: Exception) -> str:
    lines = [x.strip() for x in str(e).splitlines() if x.strip()]
    return lines[-1] if lines else type(e).__name__


def _trained_attrs(pattern) -> list[str]:
    if not isinstance(pattern, list):
        return []
    return [k.upper() for token in pattern if isinstance(token, dict) for k in token
            if isinstance(k, str) and k.upper() in TRAINED]


__all__ = ["Patterns", "Problem", "PatternsError", "read_patterns", "check_lines",
           "check_patterns", "problem", "token_problem", "shown_name", "KEYS"]
