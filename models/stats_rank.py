"""Counts that keep their top entries from one reading to the next (``models/stats.py``):
the most corrected strings (``Ranked``) and the spans' strings per label (``LabelStrings``)."""
from __future__ import annotations

import heapq
from collections import Counter

TOP = 10                      # top strings per label, most corrected strings per source


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

    def add_counts(self, key, n: int) -> None:
        """``bump`` by a positive ``n``, for adding in bulk."""
        c = self.counts
        c[key] = c.get(key, 0) + n
        if self._top is not None:
            self._changed.add(key)

    def __len__(self) -> int:
        return len(self.counts)

    def get(self, key, default=0):
        return self.counts.get(key, default)

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


class LabelStrings:
    """The spans' strings per label: distinct ones and the most frequent (``TOP``).

    Added in bulk a batch at a time: the strings gathered per label, then counted by each
    label's ``Counter`` at C speed (no (label, string) keys to build and hash). Each label keeps
    its ``DEPTH`` best at the last ranking and the count of the last of them, so that after an
    edit the top is merged from those and the strings the edit changed, and ranked over the
    whole label again only when that cannot be exact."""

    DEPTH = 50

    def __init__(self):
        self.per: dict[str, Counter] = {}
        self._best: dict[str, tuple[list, int]] = {}     # label -> (DEPTH best keys, floor)
        self._changed: dict[str, set] = {}

    def bulk(self, labels: list[str], strings: list[str]) -> None:
        groups: dict[str, list] = {}
        for label, string in zip(labels, strings):
            g = groups.get(label)
            if g is None:
                g = groups[label] = []
            g.append(string)
        for label, g in groups.items():
            c = self.per.get(label)
            if c is None:
                c = self.per[label] = Counter()
            c.update(g)
            if label in self._best:
                self._changed.setdefault(label, set()).update(g)

    def bump(self, label: str, string: str, n: int) -> None:
        c = self.per.get(label)
        if c is None:
            c = self.per[label] = Counter()
        v = c.get(string, 0) + n
        if v:
            c[string] = v
        else:
            del c[string]
        self._changed.setdefault(label, set()).add(string)

    def distinct(self, label: str) -> int:
        return len(self.per.get(label) or ())

    def top(self, label: str) -> list[tuple[str, int]]:
        c = self.per.get(label) or Counter()
        changed = self._changed.pop(label, set())
        best = self._best.get(label)
        if best is not None and len(changed) < 1000:
            # every string not among ``keys`` counted at most ``floor`` when they were ranked
            # (0: ``keys`` were all of them) and, not changed since, still does
            keys, floor = best
            pool = [(k, c[k]) for k in set(keys) | changed if k in c]
            ranked = heapq.nsmallest(self.DEPTH, pool, key=_rank)
            shown = ranked[:TOP]
            if floor == 0 or (len(shown) == TOP and shown[-1][1] > floor):
                if len(pool) > self.DEPTH:
                    floor = max(floor, ranked[-1][1])
                self._best[label] = ([k for k, _ in ranked], floor)
                return shown
        ranked = heapq.nsmallest(self.DEPTH, c.items(), key=_rank)
        self._best[label] = ([k for k, _ in ranked], ranked[-1][1] if len(c) > self.DEPTH else 0)
        return ranked[:TOP]


__all__ = ["Ranked", "LabelStrings", "TOP"]
