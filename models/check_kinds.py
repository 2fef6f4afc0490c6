"""The four kinds of findings, made from the checker's index (``models/checker.py``).

Rules:
- ``labels``: the label with most spans is the fix's; a tie goes to the label of more of a
  person's spans; still a tie: the person chooses (``Finding.choices``).
- ``missed``: the occurrences are labelled with the string's label as ``labels`` picks it
  (a tie: chosen), and carry the entity when every span of the string names the same one; an
  occurrence where a person rejected that suggestion is left out. A lower-case word of a
  number or date label ("one", "today", "first") is no missed string: it is one only in
  some places.
- ``bounds``: the form with most spans wins, a possessive form only if every form is one; a
  tie goes to the shortest (the stripped) form.
- ``variants``: names (cores) of one label, numbers aside (DATE, MONEY… and names whose
  digits differ are never variants), scored with rapidfuzz ``cdist``: ``token_sort_ratio``
  of the spaced parts, ``ratio`` of the joined parts in order and with the last part first
  (syllable spacing, family name first or last); ``THRESHOLD`` or more is a pair, and a
  ``CANDIDATE`` score or more is one when the initials agree ("J. Smith" / "John Smith").
  Pairs make groups around a centre (the name with most spans and the names close to it:
  no chains); a group whose spans all name one entity, or all name some entity (a person
  linked them apart), is no finding.
"""
from __future__ import annotations

import re
from collections import Counter

import numpy as np
from rapidfuzz import fuzz, process

from models.check_text import Found, Occurrences, core, initials_match, name_forms, name_parts, view
from models.findings import Finding, Item, json_key, quoted
from models.spans import MANUAL

THRESHOLD = 90
CANDIDATE = 50
ROWS = 2000             # names scored per cdist call (a ROWS x names matrix of bytes)
NUMERIC = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT"})
_POSSESSIVE = re.compile(r"['’]s?\W*$")
_DIGITS = re.compile(r"\d+")


def _place(it: Item) -> tuple:
    return (it.doc_id, it.start, it.end, it.label)


def _counts(spans) -> str:
    return ", ".join(f"{lab} ×{n}" for lab, n in spans)


def choose_label(spans) -> tuple[str, tuple[str, ...], Counter]:
    """(the majority label or '' on a tie, every label by count, the counts) of
    (doc, (start, end, label, source, entity)) pairs."""
    labels = Counter(t[2] for _d, t in spans)
    order = tuple(sorted(labels, key=lambda lab: (-labels[lab], lab)))
    best = [lab for lab in order if labels[lab] == labels[order[0]]]
    if len(best) > 1:
        manual = Counter(t[2] for _d, t in spans if t[3] == MANUAL)
        top = max(manual[lab] for lab in best)
        best = [lab for lab in best if manual[lab] == top]
    return (best[0] if len(best) == 1 else ""), order, labels


def labels_finding(checker, s: str) -> Finding | None:
    docs = checker.by_string.get(s, {})
    if len({t[2] for ts in docs.values() for t in ts}) < 2:
        return None
    spans = checker.spans_of(s)
    target, order, labels = choose_label(spans)
    if len(labels) < 2:
        return None
    counts = _counts((lab, labels[lab]) for lab in order)
    fix = f"apply {target} to all" if target else "a tie: choose the label"
    items = tuple(Item(d, t[0], t[1], t[2], t[3], t[4], s) for d, t in spans)
    return Finding("labels", s, len(items), f"{quoted(s)} has {len(labels)} labels: {counts} → {fix}",
                   items, target, order, strings=(s,))


def missed_finding(checker, s: str) -> Finding | None:
    found, spans = checker.occ.get(s), checker.spans_of(s)
    if not found or not spans:
        return None
    target, order, _labels = choose_label(spans)
    if (target or order[0]) in NUMERIC and not any(c.isupper() or c.isdigit() for c in s):
        return None         # "one", "today", "first": a number or a date only in some places
    entities = {t[4] for _d, t in spans}
    entity = next(iter(entities)) if len(entities) == 1 else 0
    label = target or order[0]
    items = Occurrences(found, s, label, entity, _rejected_at(checker, found, s, set(order)))
    if not items:
        return None
    n_docs, per = items.n_docs, items.first_docs(5)
    where = ", ".join(f"doc {d} ×{n}" for d, n in per) + (", …" if n_docs > 5 else "")
    fix = f"label them {target}" if target else f"labelled {' / '.join(order)} elsewhere: choose the label"
    times = "once" if len(items) == 1 else f"{len(items)} times"
    docs_ = "1 document" if n_docs == 1 else f"{n_docs} documents"
    desc = f"{quoted(s)} ({'/'.join(order)}) stands unlabelled {times} in {docs_} ({where}) → {fix}"
    return Finding("missed", s, len(items), desc, items, target, order if not target else (),
                   strings=(s,))


def _rejected_at(checker, found: Found, s: str, labels: set[str]) -> list[int]:
    """The flat positions in ``found`` of the occurrences of ``s`` where a person rejected the
    suggestion of one of ``labels``."""
    rejected_docs, by_doc = checker.rejected_by_doc()
    docs = view(found.docs)
    if not len(rejected_docs) or not len(docs):
        return []
    at = np.minimum(np.searchsorted(docs, rejected_docs), len(docs) - 1)
    hit = np.flatnonzero(docs[at] == rejected_docs)
    if not len(hit):
        return []
    ends = np.cumsum(view(found.counts), dtype=np.int64)
    n, out = len(s), []
    for p in at[hit].tolist():
        lo, hi = int(ends[p] - found.counts[p]), int(ends[p])
        marks = {a for a, b, lab in by_doc[int(found.docs[p])] if b - a == n and lab in labels}
        out.extend(lo + k for k, a in enumerate(found.starts[lo:hi]) if a in marks)
    return sorted(out)


def _form_rank(s: str, n: int) -> tuple:
    return (bool(_POSSESSIVE.search(s)), -n, len(s), s)


def bounds_findings(checker, c: str) -> list[Finding]:
    members = checker.cores.get(c)
    if not c or not members or len(members) < 2:
        return []
    by_label: dict[str, dict[str, list]] = {}
    for s in members:
        for d, t in checker.spans_of(s):
            by_label.setdefault(t[2], {}).setdefault(s, []).append((d, t))
    out = []
    for label, forms in sorted(by_label.items()):
        # Forms that differ only in case ("The Bank of Korea" / "the Bank of Korea": the core
        # is the same, so only a word around it) have the same bounds: one form, its most
        # frequent spelling standing for it.
        same: dict[str, list[str]] = {}
        for s in sorted(forms, key=lambda s: (-len(forms[s]), s)):
            same.setdefault(s.casefold(), []).append(s)
        if len(same) < 2:
            continue
        n = {group[0]: sum(len(forms[s]) for s in group) for group in same.values()}
        order = sorted(n, key=lambda s: _form_rank(s, n[s]))
        target = order[0]
        items = tuple(sorted((Item(d, t[0], t[1], t[2], t[3], t[4], s)
                              for s, spans in forms.items() for d, t in spans), key=_place))
        counts = ", ".join(f"{quoted(s)} ×{n[s]}" for s in order)
        out.append(Finding("bounds", json_key(label, c), len(items),
                           f"{label} {quoted(c)} has {len(same)} bounds: {counts} → unify to {quoted(target)}",
                           items, target, tuple(order), strings=(c,)))
    return out


class Variants:
    """The pairs of similar names of each label, kept and followed (``follow``)."""

    def __init__(self, checker, workers: int = 1):
        self.checker = checker
        self.workers = workers
        self.members: dict[str, set[str]] = {}          # label -> the cores compared
        self.pairs: dict[str, set[tuple[str, str]]] = {}
        self._forms: dict[str, tuple] = {}
        self._cache: dict[tuple, Finding | None] = {}     # (label, group) -> its finding
        self._weights: dict[tuple[str, str], int] = {}    # (label, core) -> its spans

    def _labels_of(self, c: str) -> set[str]:
        by = self.checker.by_string
        if not c or len(self.form(c)[1]) < 3:
            return set()
        return {t[2] for s in self.checker.cores.get(c, ()) for ts in by.get(s, {}).values()
                for t in ts if t[2] not in NUMERIC}

    def compare_all(self, cancelled=None) -> None:
        self.members, self.pairs = {}, {}
        for c in self.checker.cores:
            for label in self._labels_of(c):
                self.members.setdefault(label, set()).add(c)
        for label, names in self.members.items():
            names_ = sorted(names)
            self.pairs[label] = self._score(names_, names_, cancelled)

    def follow(self, strings, cancelled=None) -> None:
        """The spans of ``strings`` changed: their cores join or leave labels' names."""
        pending: dict[str, set[str]] = {}
        for c in {core(s)[0] for s in strings}:
            now = self._labels_of(c)
            for label in [lab for lab, names in self.members.items() if c in names and lab not in now]:
                self.members[label].discard(c)
                self.pairs[label] = {p for p in self.pairs.get(label, ()) if c not in p}
            for label in now:
                if c not in self.members.get(label, ()):
                    pending.setdefault(label, set()).add(c)
        for label, new in pending.items():
            names = self.members.setdefault(label, set())
            names |= new
            self.pairs.setdefault(label, set()).update(
                self._score(sorted(new), sorted(names), cancelled))

    def form(self, c: str) -> tuple:
        f = self._forms.get(c)
        if f is None:
            parts = name_parts(c)
            f = self._forms[c] = (*name_forms(c), parts, any(len(p) == 1 for p in parts),
                                  tuple(_DIGITS.findall(c)))
        return f

    def _score(self, rows: list[str], cols: list[str], cancelled=None) -> set[tuple[str, str]]:
        pairs: set[tuple[str, str]] = set()
        if not rows or len(cols) < 2:
            return pairs
        G = [self.form(c) for c in cols]
        g0, g1 = [g[0] for g in G], [g[1] for g in G]
        col_init = np.array([g[4] for g in G], dtype=bool)
        kw = {"dtype": np.uint8, "score_cutoff": CANDIDATE, "workers": self.workers}
        for at in range(0, len(rows), ROWS):
            if cancelled is not None and cancelled():
                from models.checker import Cancelled
                raise Cancelled("the consistency check was stopped")
            chunk = rows[at:at + ROWS]
            F = [self.form(c) for c in chunk]
            m = process.cdist([f[0] for f in F], g0, scorer=fuzz.token_sort_ratio, **kw)
            np.maximum(m, process.cdist([f[1] for f in F], g1, scorer=fuzz.ratio, **kw), out=m)
            np.maximum(m, process.cdist([f[2] for f in F], g1, scorer=fuzz.ratio, **kw), out=m)
            row_init = np.array([f[4] for f in F], dtype=bool)
            weak = (m >= CANDIDATE) & (m < THRESHOLD) & (row_init[:, None] | col_init[None, :])
            for i, j in np.argwhere(m >= THRESHOLD):
                self._pair(pairs, chunk[i], cols[j], F[i], G[j], False)
            for i, j in np.argwhere(weak):
                self._pair(pairs, chunk[i], cols[j], F[i], G[j], True)
        return pairs

    @staticmethod
    def _pair(pairs, a: str, b: str, fa, fb, weak: bool) -> None:
        if a == b or fa[5] != fb[5]:
            return
        if weak and not initials_match(fa[3], fb[3]):
            return
        pairs.add((a, b) if a < b else (b, a))

    def findings(self, changed: set[str] | None = None) -> list[Finding]:
        """The findings of every group; a group none of whose names is in ``changed`` (cores
        whose spans changed) keeps the finding made before (None: all made again)."""
        cache, self._cache = self._cache, {}
        if changed is None:
            self._weights = {}
        else:
            self._weights = {k: n for k, n in self._weights.items() if k[1] not in changed}
        out = []
        for label, pairs in sorted(self.pairs.items()):
            for group in _groups(pairs, lambda c, label=label: self._weight(label, c)):
                key = (label, tuple(group))
                if changed is not None and key in cache and changed.isdisjoint(group):
                    f = cache[key]
                else:
                    f = self._finding(label, group)
                self._cache[key] = f
                if f is not None:
                    out.append(f)
        return out

    def _weight(self, label: str, c: str) -> int:
        """How many spans of ``label`` have the core ``c`` (kept until its spans change)."""
        n = self._weights.get((label, c))
        if n is None:
            by = self.checker.by_string
            n = self._weights[(label, c)] = sum(
                1 for s in self.checker.cores.get(c, ()) for ts in by.get(s, {}).values()
                for t in ts if t[2] == label)
        return n

    def _finding(self, label: str, group: list[str]) -> Finding | None:
        ch = self.checker
        items = []
        for c in group:
            for s in ch.cores.get(c, ()):
                for d, t in ch.spans_of(s):
                    if t[2] == label:
                        items.append(Item(d, t[0], t[1], t[2], t[3], t[4], s))
        items.sort(key=_place)
        entities = Counter(it.entity for it in items)
        linked = [e for e, _n in entities.most_common() if e]
        if len(items) < 2 or 0 not in entities:
            return None                 # every span names an entity: as a person linked them
        names = Counter(it.text for it in items)
        counts = ", ".join(f"{quoted(s)} ×{n}" for s, n in sorted(names.items(), key=lambda x: (-x[1], x[0])))
        name = entity_name(items)
        if not linked:
            target, choices, fix = "", (), f"link them as one new entity {quoted(name)}"
        elif len(linked) == 1:
            target, choices = str(linked[0]), ()
            ent = ch.store.entity(linked[0])
            fix = f"link them to the entity {quoted(ent.name if ent else str(linked[0]))}"
        else:
            target, choices = "", tuple(str(e) for e in linked)
            fix = f"some are linked to {len(linked)} entities: choose one"
        return Finding("variants", json_key(label, *sorted(group)), len(items),
                       f"{label} names likely of one entity: {counts} → {fix}",
                       tuple(items), target, choices, strings=tuple(sorted(group)))


def doc_count(f: Finding) -> int:
    """How many documents a finding's items are in (a ``missed`` one's counted without
    making its items)."""
    items = f.items
    return items.n_docs if isinstance(items, Occurrences) else len(f.per_doc())


def entity_name(items) -> str:
    """The name a new entity of these spans takes: the core most of them have (a tie: the one
    that comes first, by document and place)."""
    per_core = Counter(core(it.text)[0] or it.text for it in items)     # first seen first
    return max(per_core, key=per_core.__getitem__)


def _groups(pairs, weight) -> list[list[str]]:
    """Groups of names around a centre, never chained: the name with most spans (``weight``)
    is a centre and takes its similar names not taken yet, then the next name not taken, and
    so on — so "Kim Jong Un" ~ "Kim Jong Ung" ~ "Kim Jong Ung-il" does not make one group of
    names that are not all close to its centre. Each group sorted; the groups sorted."""
    near: dict[str, set[str]] = {}
    for a, b in pairs:
        near.setdefault(a, set()).add(b)
        near.setdefault(b, set()).add(a)
    taken: set[str] = set()
    groups = []
    for c in sorted(near, key=lambda c: (-weight(c), c)):
        if c in taken:
            continue
        members = [c] + [n for n in near[c] if n not in taken]
        if len(members) > 1:
            taken.update(members)
            groups.append(sorted(members))
    return sorted(groups)


__all__ = ["labels_finding", "missed_finding", "bounds_findings", "Variants", "choose_label",
           "entity_name", "doc_count", "THRESHOLD", "CANDIDATE", "NUMERIC"]
