"""Whether another connection writes the project beside a batch (the model server's, issue 15):
a batch written beside a window pauses between its short transactions only while the window
has journaled an edit lately (``models.annotate``, ``shared``)."""
from __future__ import annotations

from datetime import datetime, timezone
from time import perf_counter

ACTIVE_S = 5.0          # seconds: another's edit this recent, and the batch pauses for it
_SEEN: dict[str, tuple[int, float]] = {}    # project -> (journal's last id after our write, when another's was seen)


def _age(created) -> float:
    """Seconds since an ISO 8601 UTC time ("…Z"); infinite if it is not one."""
    try:
        return (datetime.now(timezone.utc) - datetime.fromisoformat(created.replace("Z", "+00:00"))).total_seconds()
    except (AttributeError, TypeError, ValueError):
        return float("inf")


class Sharing:
    """Whether another connection has journaled an edit lately: the journal's last id grew
    since this writer's last commit. Kept by project across the batches' connections (the
    server opens one per chunk)."""

    def __init__(self, store):
        self.store, self.key = store, str(store.path)
        if self.key not in _SEEN:           # the first batch: is the journal's last entry recent?
            row = store.db.execute("SELECT id, created FROM journal ORDER BY id DESC LIMIT 1").fetchone()
            _SEEN[self.key] = (row[0] if row else 0,
                               perf_counter() if row and _age(row[1]) < ACTIVE_S else float("-inf"))

    def _last(self) -> int:
        return self.store.db.execute("SELECT coalesce(max(id), 0) FROM journal").fetchone()[0]

    def before(self) -> None:
        """At the start of a transaction of ours: has another written since our last one?"""
        ours, _seen = _SEEN[self.key]
        if self._last() > ours:
            _SEEN[self.key] = (ours, perf_counter())

    def after(self) -> None:
        """At the end of a transaction of ours (its own entries are not another's)."""
        _SEEN[self.key] = (self._last(), _SEEN[self.key][1])

    def other_active(self) -> bool:
        return perf_counter() - _SEEN[self.key][1] < ACTIVE_S
