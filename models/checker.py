"""The consistency checker: the project's labels read as a whole, and what disagrees in it
(the kinds are in ``models/findings.py``; the rules of each in ``models/check_kinds.py``; the
fixes, each one edit, in ``models/check_fix.py``).

``Checker(store).run(progress, cancelled)`` reads every span and text once (``StoreCheck``)
and keeps an index of them: every span by its text (``by_string``), each document's spans
(documents without any: no entry), the unlabelled occurrences of each labelled string (``occ``:
a ``Found`` of arrays, two to eight bytes an occurrence — a million documents naming a
labelled place four times each are 16 million; found by one ``Matcher`` over the texts with
their spans masked), and the pairs of similar names per label (``models.check_kinds.Variants``).
A ``missed`` finding's items are made from its ``Found`` when read (``Occurrences``).
``findings()`` lists what is found, ranked. Texts are streamed; the first ``TEXT_BUDGET``
characters are kept for the search, each let go once searched.

A re-check after an edit, ``update(outcome)`` (or ``update_docs(ids)``), reads only the
documents the edit touched (``Outcome.docs``) and recomputes only what they can change:
1. their spans leave the index and come back as now stored; the strings of those spans, before
   and after, are the changed strings;
2. ``labels`` findings of the changed strings are made again; ``bounds`` findings of their
   cores; ``variants``: names new to a label are scored against that label's names (one
   ``cdist`` row each), names gone drop their pairs, and the groups are made again from the
   pairs (cheap: no scoring);
3. ``missed``: the touched documents are searched again; a string labelled for the first time
   is looked for in the documents whose text holds it (one SQLite ``instr`` scan per string,
   for up to ``FEW`` new strings; more: every text is searched again), and a string no longer
   labelled frees the documents it was found in, which are searched again (more than
   ``AGAIN_ALL``: every text); the ``missed`` findings of the strings whose occurrences changed
   are made again (a ``Found`` is never changed: a new one replaces it).
Dismissals (``Store.dismissed``) only filter what ``findings`` answers.
"""
from __future__ import annotations

import gc
import sys
import threading
from collections import deque
from contextlib import contextmanager
from typing import Callable, Iterable

import numpy as np

from models import check_kinds
from models.check_text import Found, Matcher, core, masked, searchable, view
from models.findings import KINDS, Finding, ranked

CANCEL_EVERY = 256      # documents between two looks at ``cancelled``
FEW = 20                # new strings looked up with SQLite's instr; more: every text searched
TEXT_BUDGET = 8_000_000     # characters of text kept from the first pass for the search
AGAIN_ALL = 50_000      # documents to search again past which every text is searched again


class Cancelled(Exception):
    """The check was stopped (``cancelled()`` said so); nothing of it is kept."""


class Checker:
    def __init__(self, store, kinds: Iterable[str] = KINDS, workers: int = 1):
        self.store = store
        self.kinds = tuple(k for k in KINDS if k in set(kinds))
        self.workers = workers
        self.doc_spans: dict[int, tuple[str, ...]] = {}     # doc -> its spans' texts (none: no entry)
        self._one: dict[str, str] = {}                      # a span text -> the one object kept
        self._names: dict[str, str] = {}                    # labels and sources, one object each
        self.by_string: dict[str, dict[int, list[tuple]]] = {}   # text -> doc -> [(start, end, label, source, entity)]
        self.cores: dict[str, set[str]] = {}               # core -> the strings that have it
        self.occ: dict[str, Found] = {}                     # string -> where it stands unlabelled
        self._rejected: set[tuple[int, int, int, str]] = set()
        self._rejected_docs = None
        self.matcher = Matcher(())
        self.variants = check_kinds.Variants(self, workers)
        self.found: dict[str, dict[str, Finding]] = {k: {} for k in KINDS}
        self.n_docs = 0

    @property
    def rejected(self) -> set[tuple[int, int, int, str]]:
        return self._rejected

    @rejected.setter
    def rejected(self, value) -> None:
        self._rejected, self._rejected_docs = value, None

    def rejected_by_doc(self) -> tuple[np.ndarray, dict[int, list[tuple[int, int, str]]]]:
        """(the documents with a rejected suggestion, sorted; document -> its (start, end,
        label)), made once for each ``rejected``."""
        if self._rejected_docs is None:
            by: dict[int, list[tuple[int, int, str]]] = {}
            for d, a, b, lab in self._rejected:
                by.setdefault(d, []).append((a, b, lab))
            self._rejected_docs = (np.array(sorted(by), dtype=np.int64), by)
        return self._rejected_docs

    # -- the full check ---------------------------------------------------------------------------
    def run(self, progress: Callable[[int, int], None] | None = None,
            cancelled: Callable[[], bool] | None = None) -> "Checker":
        with _few_full_gc():
            return self._run(progress, cancelled)

    def _run(self, progress, cancelled) -> "Checker":
        store = self.store
        missed = "missed" in self.kinds
        with store.snapshot():
            self.n_docs = total = store.check_doc_count()
            steps = total * (2 if missed else 1) + 1
            kept, room, last = deque(), TEXT_BUDGET if missed else 0, 0
            for i, row in enumerate(store.check_rows()):
                self._add(*row)
                self._tick(i, steps, progress, cancelled)
                if room > 0:                # the first texts kept for the search: not read twice
                    kept.append(row)
                    room -= len(row[1])
                    last = row[0]
            if missed:
                self.rejected = store.check_rejected()
                self.matcher = Matcher(s for s in self.by_string if searchable(s))
                rest = store.check_rows(after=last) if room <= 0 else ()
                self.occ = {}
                for i, (doc_id, text, spans) in enumerate(_drained(kept, rest)):
                    self._search(doc_id, text, spans)
                    self._tick(total + i, steps, progress, cancelled)
                self.occ = {s: f.trimmed() for s, f in self.occ.items()}
        if "variants" in self.kinds:
            self.variants.compare_all(cancelled)
        for kind in self.kinds:
            self.found[kind] = {}
        self._rebuild(set(self.by_string), set(self.occ), set(self.cores))
        _give_back()
        if progress:
            progress(steps, steps)
        return self

    @staticmethod
    def _tick(i, steps, progress, cancelled) -> None:
        if i % CANCEL_EVERY == 0:
            if cancelled is not None and cancelled():
                raise Cancelled("the consistency check was stopped")
            if progress is not None:
                progress(i, steps)

    def _add(self, doc_id: int, text: str, spans: list[tuple]) -> None:
        if not spans:
            return
        mine, one, names = [], self._one, self._names
        for start, end, label, source, entity in spans:
            s = text[start:end]
            docs = self.by_string.get(s)
            if docs is None:
                docs = self.by_string[s] = {}
                one[s] = s
                self.cores.setdefault(core(s)[0], set()).add(s)
            else:
                s = one[s]          # one string object for all the spans of a text
            mine.append(s)
            docs.setdefault(doc_id, []).append(
                (start, end, names.setdefault(label, label), names.setdefault(source, source), entity))
        self.doc_spans[doc_id] = tuple(mine)

    def _drop(self, doc_id: int) -> set[str]:
        """Take a document's spans out of the index; the strings they had."""
        gone = set()
        for s in self.doc_spans.pop(doc_id, ()):
            gone.add(s)
            docs = self.by_string.get(s)
            if docs is not None:
                docs.pop(doc_id, None)
                if not docs:
                    del self.by_string[s]
                    del self._one[s]
                    members = self.cores.get(core(s)[0])
                    if members is not None:
                        members.discard(s)
                        if not members:
                            del self.cores[core(s)[0]]
        return gone

    def _search(self, doc_id: int, text: str, spans: list[tuple]) -> None:
        """The unlabelled occurrences in a text, added to ``occ`` (documents in order: a
        full search)."""
        regex = self.matcher.regex
        if regex is None:
            return
        occ = self.occ
        for m in regex.finditer(masked(text, [(x[0], x[1]) for x in spans])):
            s = m.group()
            f = occ.get(s)
            if f is None:
                f = occ[s] = Found()
            f.add(doc_id, m.start())

    def _search_into(self, doc_id: int, text: str, spans: list[tuple], new: dict) -> None:
        """The unlabelled occurrences in a text as string -> document -> starts in ``new``."""
        for start, _end, s in self.matcher.find(text, [(x[0], x[1]) for x in spans]):
            new.setdefault(s, {}).setdefault(doc_id, []).append(start)

    # -- the re-check after an edit ---------------------------------------------------------------
    def update(self, outcome, progress=None, cancelled=None) -> None:
        """Follow a write (its ``Outcome``): only the documents it touched are read again."""
        self.update_docs(outcome.docs, progress, cancelled, entities=bool(outcome.entities))

    def update_docs(self, doc_ids: Iterable[int], progress=None, cancelled=None,
                    entities: bool = False) -> None:
        with _few_full_gc():
            self._update_docs(doc_ids, progress, cancelled, entities)

    def _update_docs(self, doc_ids, progress, cancelled, entities) -> None:
        docs = set(doc_ids)
        if not docs and not entities:
            return
        store = self.store
        missed = "missed" in self.kinds
        with store.snapshot():
            was = set(self.by_string)
            before = {s for d in docs for s in self._drop(d)}
            texts = {}
            for doc_id, text, spans in store.check_rows(docs):
                self._add(doc_id, text, spans)
                texts[doc_id] = (text, spans)
            after = {s for d in docs for s in self.doc_spans.get(d, ())}
            changed = before | after
            appeared = {s for s in after if s not in was}
            vanished = {s for s in before if s not in self.by_string}
            occ_changed: set[str] = set()
            if missed:
                occ_changed = self._research(docs, texts, appeared, vanished, cancelled)
            self.n_docs = store.check_doc_count()
        if "variants" in self.kinds:
            self.variants.follow(changed, cancelled)
        cores = {core(s)[0] for s in changed}
        self._rebuild(changed, changed | occ_changed, cores, everything=entities)
        if progress:
            progress(1, 1)

    def _research(self, docs, texts, appeared, vanished, cancelled) -> set[str]:
        """Search again the documents whose unlabelled occurrences may have changed; the
        strings whose occurrences did."""
        store = self.store
        new = {s for s in appeared if searchable(s)}
        gone = {s for s in vanished if searchable(s)}
        again: set[int] | None = set(docs)
        if new or gone:
            self.matcher = Matcher((self.matcher.strings - gone) | new)
            if len(new) > FEW or sum(len(self.occ[s].docs) for s in gone if s in self.occ) > AGAIN_ALL:
                again = None                    # every text
            else:
                for s in gone:
                    if s in self.occ:
                        again |= self.occ[s].doc_set()
                if new:
                    again |= store.check_containing(new)
        if again is not None and len(again) > AGAIN_ALL:
            again = None
        self.rejected = (store.check_rejected() if again is None else
                         {r for r in self.rejected if r[0] not in again} | store.check_rejected(again))
        if again is None:                       # every text, in order: as a full check does
            changed = set(self.occ)
            self.occ = {}
            for i, (doc_id, text, spans) in enumerate(store.check_rows()):
                self._tick(i, 1, None, cancelled)
                self._search(doc_id, text, spans)
            self.occ = {s: f.trimmed() for s, f in self.occ.items()}
            _give_back()
            return changed | set(self.occ)
        new_occ: dict[str, dict[int, list[int]]] = {}
        for i, (doc_id, text, spans) in enumerate(store.check_rows(again - set(texts))):
            self._tick(i, 1, None, cancelled)
            self._search_into(doc_id, text, spans, new_occ)
        for doc_id, (text, spans) in texts.items():
            self._search_into(doc_id, text, spans, new_occ)
        ids = np.array(sorted(again), dtype=np.int64)
        changed = set()
        for s in set(self.occ) | set(new_occ):
            f = self.occ.get(s)
            had = f is not None and _holds_any(f, ids)
            if had or s in new_occ:
                changed.add(s)
                g = (f or Found()).merged(ids if had else ids[:0], new_occ.get(s, {}))
                if g is None:
                    self.occ.pop(s, None)
                else:
                    self.occ[s] = g
        return changed

    # -- the findings -----------------------------------------------------------------------------
    def _rebuild(self, strings: set[str], occ_strings: set[str], cores: set[str],
                 everything: bool = True) -> None:
        """Make again the findings of these strings and cores (``everything``: the name
        variants' too, whatever changed — entities were renamed or made)."""
        kinds = self.kinds
        if "labels" in kinds:
            found = self.found["labels"]
            for s in strings:
                found.pop(s, None)
                f = check_kinds.labels_finding(self, s)
                if f is not None:
                    found[s] = f
        if "missed" in kinds:
            found = self.found["missed"]
            for s in occ_strings:
                found.pop(s, None)
                f = check_kinds.missed_finding(self, s)
                if f is not None:
                    found[s] = f
        if "bounds" in kinds:
            found = self.found["bounds"]
            for key in [k for k, f in found.items() if f.strings[0] in cores]:
                del found[key]
            for c in cores:
                for f in check_kinds.bounds_findings(self, c):
                    found[f.key] = f
        if "variants" in kinds:
            again = None if everything else cores
            self.found["variants"] = {f.key: f for f in self.variants.findings(again)}

    def findings(self, dismissed: set[tuple[str, str]] | None = None,
                 show_dismissed: bool = False) -> list[Finding]:
        """What is found, ranked (most spans first). ``dismissed``: (kind, key) pairs left
        out, or, with ``show_dismissed``, listed marked as dismissed."""
        dismissed = set(dismissed or ())
        out = []
        for kind in self.kinds:
            for key, f in self.found[kind].items():
                if (kind, key) in dismissed:
                    if show_dismissed:
                        out.append(_dismissed(f))
                else:
                    out.append(f)
        return ranked(out)

    def spans_of(self, s: str) -> list[tuple[int, tuple]]:
        """(document, (start, end, label, source, entity)) of every span whose text is ``s``."""
        return [(d, t) for d, spans in sorted(self.by_string.get(s, {}).items()) for t in spans]


def _drained(kept: deque, rest) -> Iterable:
    """The rows kept, each let go once read, then the rest."""
    while kept:
        yield kept.popleft()
    yield from rest


def _holds_any(f: Found, ids: np.ndarray) -> bool:
    """Whether any document of ``ids`` (sorted) is one of ``f``'s."""
    docs = view(f.docs)
    if not len(docs) or not len(ids):
        return False
    at = np.minimum(np.searchsorted(docs, ids), len(docs) - 1)
    return bool((docs[at] == ids).any())


_trim = None


def _give_back() -> None:
    """The memory a full check freed handed back to the system: glibc keeps what a thread
    freed in that thread's arena — at a million documents ~70 MB of the window's RSS after the
    check, the first pass's texts and the arrays as they grew (422 -> 348 MB measured)."""
    global _trim
    if _trim is None and sys.platform.startswith("linux"):
        try:
            import ctypes
            _trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _trim = False
    if _trim:
        _trim(0)


_gc_lock = threading.Lock()
_gc_holders = [0, None]         # checks running, the threshold before the first


@contextmanager
def _few_full_gc():
    """No full collection while the index is built: the collector's passes over the whole
    growing index cost more than half the check (5.4 s -> 2.4 s for 100,000 documents'
    labels); the young generations are still collected, so the cycles other threads (the
    window's) make meanwhile do not pile up as they did with the collector off."""
    with _gc_lock:
        if _gc_holders[0] == 0:
            _gc_holders[1] = gc.get_threshold()
            gc.set_threshold(*_gc_holders[1][:2], 1 << 30)
        _gc_holders[0] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_holders[0] -= 1
            if _gc_holders[0] == 0:
                gc.set_threshold(*_gc_holders[1])


def _dismissed(f: Finding) -> Finding:
    from dataclasses import replace
    return replace(f, dismissed=True)


def check(store, kinds: Iterable[str] = KINDS, progress=None, cancelled=None,
          show_dismissed: bool = False, workers: int = 1) -> list[Finding]:
    """Every finding of the project, ranked; dismissed ones left out (or marked)."""
    checker = Checker(store, kinds, workers).run(progress, cancelled)
    return checker.findings(store.dismissed(), show_dismissed)


__all__ = ["Checker", "Cancelled", "check", "KINDS"]
