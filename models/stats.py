"""The figures of a project (issue 13): labels, progress, and the model against the people.

Every figure but the spans per label and text is a sum over documents, so a ``Tally`` is
built by adding each document's share (``Tally.add``) and kept up to date after an edit by
taking the share of a changed document out and adding its new one (``models/stats_read.py``
reads the shares; a window keeps them, see ``StatsState``). The spans per label, their
distinct and top texts, are the counts the store keeps as it writes (``models/span_strings.py``).
``summary`` turns a tally into plain figures (JSON-able).

The model against the people compares, document by document, what each source (a model, or
a patterns run) suggested (``suggested``, every suggestion it made, whatever happened to it:
``models/suggestions.py``) with the final spans of documents marked done. Per source and
label: precision (suggestions standing exactly — same start, end and label — among all its
suggestions), recall (final spans it suggested exactly, among all final spans), F1 — as
spaCy's ``Scorer.score_spans`` counts them — and what became of each suggestion that did not
stand: relabelled (same characters, another label), resized (overlapping a final span of
its label), resized and relabelled, or deleted (no final span over it). Final spans no
suggestion touches are the ones people added.
"""
from __future__ import annotations

import heapq
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Iterable

from models.document import DONE, IN_PROGRESS, NEW, SKIPPED

KEPT, RELABELLED, RESIZED, RESIZED_RELABELLED, DELETED = (
    "kept", "relabelled", "resized", "resized and relabelled", "deleted")
FATES = (KEPT, RELABELLED, RESIZED, RESIZED_RELABELLED, DELETED)

DETERMINERS = {"the", "a", "an", "this", "that", "these", "those", "its", "his", "her", "their"}
TITLES = {"mr", "mrs", "ms", "dr", "prof", "sir", "president", "minister", "gen", "general",
          "king", "queen", "pope", "rev", "st", "lord", "lady", "chairman", "ceo", "senator"}
TOP = 10                      # top strings per label, most corrected strings per source
_POSSESSIVE = re.compile(r"^\s*['’]s?$", re.IGNORECASE)
_PUNCT = re.compile(r"^[\s\W_]*$")


def _f1(p: float | None, r: float | None) -> float | None:
    if p is None or r is None:
        return None
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def boundary_kind(text: str, pred: tuple[int, int], gold: tuple[int, int]) -> list[str]:
    """What a suggestion's bounds got wrong against the final span it overlaps, one name per
    edge that differs: "possessive", "determiner", "title", "punctuation" or "other", with
    "added" (the model took in the piece) or "left out" (the person's span has it)."""
    out = []
    for edge, (a, b) in (("start", (pred[0], gold[0])), ("end", (pred[1], gold[1]))):
        if a == b:
            continue
        lo, hi = min(a, b), max(a, b)
        piece = text[lo:hi]
        wider = (a < b) if edge == "start" else (a > b)        # the model took in more
        word = piece.strip().strip(".").lower()
        if edge == "end" and _POSSESSIVE.match(piece):
            kind = "possessive"
        elif edge == "start" and word in DETERMINERS:
            kind = "determiner"
        elif edge == "start" and word in TITLES:
            kind = "title"
        elif _PUNCT.match(piece):
            kind = "punctuation"
        else:
            kind = "other"
        out.append(f"{kind} {'added' if wider else 'left out'} at the {edge}")
    return out


class Ranked:
    """Counts (no zero kept) with their top ``TOP`` (most first, then by key), kept from one
    reading to the next: after a few changes the top is merged from the last one and the
    changed keys, and computed over everything only when a key in it went down."""

    def __init__(self):
        self.counts: dict = {}
        self._top: list | None = None
        self._changed: set = set()
        self._fell = False

    def bump(self, key, n: int = 1) -> None:
        c = self.counts
        v = c.get(key, 0) + n
        if v:
            c[key] = v
        else:
            del c[key]
        if self._top is not None:
            if n < 0 and any(k == key for k, _ in self._top):
                self._fell = True
            self._changed.add(key)

    def top(self, k: int = TOP) -> list:
        c = self.counts
        if self._top is None or self._fell or len(self._changed) > 1000:
            pool = c.items()
        else:
            keys = {key for key, _ in self._top} | self._changed
            pool = [(key, c[key]) for key in keys if key in c]
        self._top = heapq.nsmallest(k, pool, key=_rank)
        self._changed, self._fell = set(), False
        return list(self._top)


def _rank(kv):
    return -kv[1], kv[0]


@dataclass
class DocShare:
    """What one document brings to the figures (read by ``models/stats_read.py``)."""
    doc_id: int
    status: str
    done_at: str | None = None          # when it was marked done (ISO UTC); None: at import
    spans: list[tuple[int, int, str]] = field(default_factory=list)       # sorted; done ones only
    suggested: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)
    ran: tuple[str, ...] = ()           # sources that pre-annotated it (``preannotated``)
    text: str = ""                      # needed only for a done document's suggestions


@dataclass
class SourceTally:
    docs: int = 0
    pred: Counter = field(default_factory=Counter)         # label -> suggestions
    gold: Counter = field(default_factory=Counter)         # label -> final spans
    tp: Counter = field(default_factory=Counter)           # label -> exact matches
    fates: Counter = field(default_factory=Counter)        # (label, fate) -> n
    added: Counter = field(default_factory=Counter)        # label -> final spans untouched
    confusion: Counter = field(default_factory=Counter)    # (model label, final label) -> n
    corrected: Ranked = field(default_factory=Ranked)      # (text, label) -> n corrected
    corrected_as: Counter = field(default_factory=Counter) # (text, label, fate) -> n
    boundary: Counter = field(default_factory=Counter)     # boundary_kind -> n

    def empty(self) -> bool:
        return not self.docs and not any(self.pred.values()) and not any(self.gold.values())


@dataclass
class Tally:
    """Sums over documents (``add`` / ``take``), and the spans per label and text across the
    project as the ``span_strings`` table counts them (``strings``: label -> (spans, distinct
    texts, top texts), set by the reader)."""
    statuses: Counter = field(default_factory=Counter)
    labels_done: Counter = field(default_factory=Counter)
    strings: dict = field(default_factory=dict)
    done_at: Counter = field(default_factory=Counter)            # hour 'YYYY-MM-DDTHH' UTC
    done_at_import: int = 0
    sources: dict[str, SourceTally] = field(default_factory=dict)

    def compare_doc(self, suggested: dict, ran: Iterable[str], gold: list, text: str, sign: int = 1) -> None:
        for source in set(suggested) | set(ran):
            t = self.sources.get(source)
            if t is None:
                t = self.sources[source] = SourceTally()
            compare(t, suggested.get(source, []), gold, text, sign)

    def add(self, d: DocShare, sign: int = 1) -> None:
        """Add a document's share (``sign`` -1: take it out): its status, and for a done one
        its spans per label, when it was done, and its suggestions against its spans."""
        self.statuses[d.status] += sign
        if d.status != DONE:
            return
        for _start, _end, label in d.spans:
            self.labels_done[label] += sign
        if d.done_at:
            self.done_at[d.done_at[:13]] += sign
        else:
            self.done_at_import += sign
        self.compare_doc(d.suggested, d.ran, d.spans, d.text, sign)

    def take(self, d: DocShare) -> None:
        self.add(d, -1)

def _bump(c: Counter, key, sign: int) -> None:
    n = c[key] + sign
    if n:
        c[key] = n
    else:
        del c[key]


def compare(t: SourceTally, pred: list, gold: list, text: str, sign: int = 1) -> None:
    """Add to ``t`` one done document's suggestions of one source against its final spans."""
    t.docs += sign
    exact = set(gold)
    by_bounds = {(s, e): lab for s, e, lab in gold}
    touched = set()
    gi = 0
    for s, e, lab in pred:
        t.pred[lab] += sign
        if (s, e, lab) in exact:
            t.tp[lab] += sign
            t.fates[lab, KEPT] += sign
            touched.add((s, e, lab))
            continue
        # final spans overlapping [s, e): gold is sorted and never overlaps itself
        while gi < len(gold) and gold[gi][1] <= s:
            gi += 1
        over = []
        j = gi
        while j < len(gold) and gold[j][0] < e:
            over.append(gold[j])
            j += 1
        if (s, e) in by_bounds:
            fate, other = RELABELLED, by_bounds[s, e]
            t.confusion[lab, other] += sign
            touched.add((s, e, other))
        elif over:
            same = [g for g in over if g[2] == lab]
            g = same[0] if same else over[0]
            fate = RESIZED if same else RESIZED_RELABELLED
            if not same:
                t.confusion[lab, g[2]] += sign
            for kind in boundary_kind(text, (s, e), (g[0], g[1])):
                t.boundary[kind] += sign
            touched.update(over)
        else:
            fate = DELETED
        t.fates[lab, fate] += sign
        key = (text[s:e], lab)
        t.corrected.bump(key, sign)
        _bump(t.corrected_as, key + (fate,), sign)
    for g in gold:
        t.gold[g[2]] += sign
        if g not in touched:            # no suggestion over it: a person added it
            t.added[g[2]] += sign


# -- figures ---------------------------------------------------------------------------------------

def _prf(tp: int, pred: int, gold: int) -> dict:
    p, r = ratio(tp, pred), ratio(tp, gold)
    return {"precision": p, "recall": r, "f1": _f1(p, r)}


def source_figures(source: str, t: SourceTally, order: list[str]) -> dict:
    """The figures of one source (a model or a patterns run)."""
    fates = Counter()
    for (_lab, fate), n in t.fates.items():
        fates[fate] += n
    n_pred, n_gold, tp = sum(t.pred.values()), sum(t.gold.values()), sum(t.tp.values())
    labels = [lab for lab in order if t.pred[lab] or t.gold[lab]]
    labels += sorted(lab for lab in set(+t.pred) | set(+t.gold) if lab not in labels)
    per_label = []
    for lab in labels:
        changed = t.pred[lab] - t.tp[lab]
        per_label.append({
            "label": lab, "suggested": t.pred[lab], "final": t.gold[lab], "kept": t.tp[lab],
            **_prf(t.tp[lab], t.pred[lab], t.gold[lab]),
            "correction_rate": ratio(changed, t.pred[lab]),
            "fates": {f: t.fates[lab, f] for f in FATES},
            "added": t.added[lab]})
    top = t.corrected.top()
    as_ = t.corrected_as
    return {
        "source": source, "documents": t.docs, "suggested": n_pred, "final": n_gold, "kept": tp,
        **_prf(tp, n_pred, n_gold), "correction_rate": ratio(n_pred - tp, n_pred),
        "fates": {f: fates[f] for f in FATES}, "added": sum(t.added.values()),
        "per_label": per_label,
        "confusion": [{"model": a, "person": b, "count": n}
                      for (a, b), n in sorted(t.confusion.items(), key=lambda kv: (-kv[1], kv[0])) if n > 0],
        "most_corrected": [{"text": text, "label": lab, "count": n,
                            "fates": {f: as_[text, lab, f] for f in FATES if as_.get((text, lab, f))}}
                           for (text, lab), n in top],
        "boundary_errors": [{"kind": k, "count": n}
                            for k, n in sorted(t.boundary.items(), key=lambda kv: (-kv[1], kv[0])) if n > 0],
    }


@lru_cache(maxsize=65536)
def local_day(hour: str, unit: str = "day") -> str:
    """An ISO UTC hour ('2026-12-07T09') as the local day ('2026-12-07') or hour ('… 10:00')."""
    t = datetime.strptime(hour, "%Y-%m-%dT%H").replace(tzinfo=timezone.utc).astimezone()
    return t.strftime("%Y-%m-%d") if unit == "day" else t.strftime("%Y-%m-%d %H:00")


def _per(hours: dict[str, int], unit: str) -> Counter:
    out = Counter()
    for h, n in hours.items():
        out[local_day(h, unit)] += n
    return out


def summary(t: Tally, labels: Iterable[tuple[str, str]], speed: dict | None = None) -> dict:
    """Plain figures of a tally. ``labels``: (name, colour) of the label set, in its order."""
    labels = list(labels)
    order = [n for n, _ in labels]
    colours = dict(labels)
    names = order + sorted(n for n, (k, _d, _t) in t.strings.items() if k > 0 and n not in colours)
    label_rows = []
    for name in names:
        n_all, distinct, top = t.strings.get(name, (0, 0, []))
        label_rows.append({"label": name, "color": colours.get(name, "#888888"),
                           "done": t.labels_done[name], "all": n_all,
                           "distinct": distinct, "top": top})
    hours = {h: n for h, n in t.done_at.items() if n > 0}
    unit = "day"
    days = _per(hours, unit)
    if len(days) <= 1 and hours:
        unit = "hour"
        days = _per(hours, unit)
    statuses = {s: t.statuses[s] for s in (NEW, IN_PROGRESS, DONE, SKIPPED)}
    progress = {"unit": unit, "done_per": sorted(days.items()), "done_at_import": t.done_at_import}
    progress.update(speed or {})
    sources = [source_figures(s, st, order) for s, st in sorted(t.sources.items()) if not st.empty()]
    return {"documents": sum(statuses.values()), "status": statuses, "labels": label_rows,
            "progress": progress, "models": sources, "colors": colours}


__all__ = ["DocShare", "Ranked", "TOP", "Tally", "SourceTally", "compare", "summary", "source_figures", "boundary_kind",
           "FATES", "KEPT", "RELABELLED", "RESIZED", "RESIZED_RELABELLED", "DELETED", "local_day", "ratio"]
