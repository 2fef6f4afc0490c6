"""Counts that keep their top entries from one reading to the next (``models/stats.py``): the
most corrected strings of a model (``Ranked``)."""
from __future__ import annotations

import heapq

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


__all__ = ["Ranked", "TOP"]
