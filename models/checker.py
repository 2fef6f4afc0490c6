"""The consistency checker: the project's labels read as a whole, and what disagrees in it
(the kinds are in ``models/findings.py``; the rules of each in ``models/check_kinds.py``; the
fixes, each one edit, in ``models/check_fix.py``).

``Checker(store).run(progress, cancelled)`` reads every span and text once (``StoreCheck``)
and keeps an index of them: every span by its text (``by_string``), each document's spans,
the unlabelled occurrences of the labelled strings in each document (``occ``, found by one
``Matcher`` over the texts with their spans masked), and the pairs of similar names per label
(``models.check_kinds.Variants``). ``findings()`` lists what is found, ranked.

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
   labelled frees the documents it was found in, which are searched again; the ``missed``
   findings of every string whose occurrences changed are made again.
Dismissals (``Store.dismissed``) only filter what ``findings`` answers.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from itertools import chain
from typing import Callable, Iterable

from models import check_kinds
from models.check_text import Matcher, core, searchable
from models.findings import KINDS, Finding, ranked

CANCEL_EVERY = 256      # documents between two looks at ``cancelled``
FEW = 20                # new strings looked up with SQLite's instr; more: every text searched
TEXT_BUDGET = 32_000_000    # characters of text kept from the first pass for the search


class Cancelled(Exception):
    """The check was stopped (``cancelled()`` said so); nothing of it is kept."""


class Checker:
    def __init__(self, store, kinds: Iterable[str] = KINDS, workers: int = 1):
        self.store = store
        self.kinds = tuple(k for k in KINDS if k in set(kinds))
        self.workers = workers
        self.doc_spans: dict[int, list[tuple]] = {}        # doc -> [(start, end, label, source, entity, text)]
        self.by_string: dict[str, dict[int, list[tuple]]] = {}   # text -> doc -> [(start, end, label, source, entity)]
        self.cores: dict[str, set[str]] = {}               # core -> the strings that have it
        self.occ: dict[int, list[tuple[int, int, str]]] = {}     # doc -> unlabelled occurrences
        self.occ_docs: dict[str, set[int]] = {}            # string -> the documents it was found in
        self.rejected: set[tuple[int, int, int, str]] = set()
        self.matcher = Matcher(())
        self.variants = check_kinds.Variants(self, workers)
        self.found: dict[str, dict[str, Finding]] = {k: {} for k in KINDS}
        self.n_docs = 0

    # -- the full check ---------------------------------------------------------------------------
    def run(self, progress: Callable[[int, int], None] | None = None,
            cancelled: Callable[[], bool] | None = None) -> "Checker":
        with _no_gc():
            return self._run(progress, cancelled)

    def _run(self, progress, cancelled) -> "Checker":
        store = self.store
        missed = "missed" in self.kinds
        with store.snapshot():
            self.n_docs = total = store.check_doc_count()
            steps = total * (2 if missed else 1) + 1
            kept, room, last = [], TEXT_BUDGET if missed else 0, 0
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
                for i, (doc_id, text, spans) in enumerate(chain(kept, rest)):
                    self._search(doc_id, text, spans)
                    self._tick(total + i, steps, progress, cancelled)
                del kept
        if "variants" in self.kinds:
            self.variants.compare_all(cancelled)
        for kind in self.kinds:
            self.found[kind] = {}
        self._rebuild(set(self.by_string), set(self.occ_docs), set(self.cores))
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
        mine = []
        for start, end, label, source, entity in spans:
            s = text[start:end]
            mine.append((start, end, label, source, entity, s))
            docs = self.by_string.get(s)
            if docs is None:
                docs = self.by_string[s] = {}
                self.cores.setdefault(core(s)[0], set()).add(s)
            docs.setdefault(doc_id, []).append((start, end, label, source, entity))
        if mine:
            self.doc_spans[doc_id] = mine

    def _drop(self, doc_id: int) -> set[str]:
        """Take a document's spans out of the index; the strings they had."""
        gone = set()
        for start, end, label, source, entity, s in self.doc_spans.pop(doc_id, ()):
            gone.add(s)
            docs = self.by_string.get(s)
            if docs is not None:
                docs.pop(doc_id, None)
                if not docs:
                    del self.by_string[s]
                    members = self.cores.get(core(s)[0])
                    if members is not None:
                        members.discard(s)
                        if not members:
                            del self.cores[core(s)[0]]
        return gone

    def _search(self, doc_id: int, text: str, spans: list[tuple]) -> None:
        found = list(self.matcher.find(text, [(s[0], s[1]) for s in spans]))
        if found:
            self.occ[doc_id] = found
            for _start, _end, s in found:
                self.occ_docs.setdefault(s, set()).add(doc_id)

    def _unsearch(self, doc_id: int) -> set[str]:
        strings = set()
        for _start, _end, s in self.occ.pop(doc_id, ()):
            strings.add(s)
            docs = self.occ_docs.get(s)
            if docs is not None:
                docs.discard(doc_id)
                if not docs:
                    del self.occ_docs[s]
        return strings

    # -- the re-check after an edit ---------------------------------------------------------------
    def update(self, outcome, progress=None, cancelled=None) -> None:
        """Follow a write (its ``Outcome``): only the documents it touched are read again."""
        self.update_docs(outcome.docs, progress, cancelled, entities=bool(outcome.entities))

    def update_docs(self, doc_ids: Iterable[int], progress=None, cancelled=None,
                    entities: bool = False) -> None:
        with _no_gc():
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
            after = {x[5] for d in docs for x in self.doc_spans.get(d, ())}
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
        again = set(docs)
        if new or gone:
            self.matcher = Matcher((self.matcher.strings - gone) | new)
            for s in gone:
                again |= self.occ_docs.get(s, set())
            if len(new) > FEW:
                again = None                    # every text
            elif new:
                again |= store.check_containing(new)
        self.rejected = (store.check_rejected() if again is None else
                         {r for r in self.rejected if r[0] not in again} | store.check_rejected(again))
        changed: set[str] = set()
        ids = list(self.occ) if again is None else again
        for d in ids:
            changed |= self._unsearch(d)
        rows = store.check_rows(None if again is None else again - set(texts))
        for i, (doc_id, text, spans) in enumerate(rows):
            self._tick(i, 1, None, cancelled)
            if doc_id not in texts:
                self._search(doc_id, text, spans)
        for doc_id, (text, spans) in texts.items():
            self._search(doc_id, text, spans)
        for d in (self.occ if again is None else again):
            changed |= {x[2] for x in self.occ.get(d, ())}
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


@contextmanager
def _no_gc():
    """The cyclic garbage collector off while the index is built: it holds no cycles, and
    the collector's passes over hundreds of thousands of new tuples cost more than half the
    check (5.4 s -> 2.4 s for 100,000 documents' labels)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _dismissed(f: Finding) -> Finding:
    from dataclasses import replace
    return replace(f, dismissed=True)


def check(store, kinds: Iterable[str] = KINDS, progress=None, cancelled=None,
          show_dismissed: bool = False, workers: int = 1) -> list[Finding]:
    """Every finding of the project, ranked; dismissed ones left out (or marked)."""
    checker = Checker(store, kinds, workers).run(progress, cancelled)
    return checker.findings(store.dismissed(), show_dismissed)


__all__ = ["Checker", "Cancelled", "check", "KINDS"]
