"""Corpus-wide edits, their undo and redo, as fast as it can until it is killed (driven by
test_kill_multi_doc.py).

    python -m tests.models.kill_multi_driver PROJECT SEED

Opens PROJECT with ``Store`` and loops over cycles of writes, each through ``models.history``
(``History.do`` / ``undo`` / ``redo``, i.e. ``Store.commit``):

1. a corpus-wide edit: in a random origin document plus 1,000-1,300 others, every occurrence
   of "Acme Corp" gets a span of one label (replacing the spans there), as one
   ``Batch(origin, (ReplaceSpans(doc, old, new), ...))``; sometimes the label is a new one,
   added by a ``ChangeLabels`` in the same Batch;
2. its undo (in the origin's history);
3. then one of: its redo (the same ``History``); its redo from the history of a document it
   touched (sometimes undone and redone again there); a new one-document edit in a touched
   document while it is undone (which cuts it from the journal, ``journal_docs`` rows too); or
   the redo followed by a one-document edit in a touched document (which cuts nothing).

A one-document edit toggles a GPE span on the document's one "Seoul" (never an occurrence).
For each write it prints one JSON line before and one after, flushed:

    {"intent": {"multi": BOOL, "mode": "do"|"undo"|"redo", "place": DOC, "entry": ID|null,
                "edit": EDIT-JSON (mode "do" only)}}
    {"done": {"mode": ..., "entry": ID, "docs": N}}      committed: Outcome.entry, len(Outcome.docs)

``entry`` of an undo/redo intent is the step the history of ``place`` offers (read from
``Store.history``), ``multi`` says the write changes more than one document. Nothing is ever
refused here (this is the only writer): an error ends the process with a traceback.
"""
from __future__ import annotations

import random
import sys

from models import edits as E
from models.history import History
from models.labels import Label
from models.spans import Span
from models.store import Store
from tests.models.kill_driver import run, say

NAME, CITY = "Acme Corp", "Seoul"
POOL = ("ORG", "PRODUCT", "FAC", "NORP", "EVENT", "WORK_OF_ART", "LAW")


def occurrences(text: str, word: str) -> list[int]:
    out, i = [], text.find(word)
    while i >= 0:
        out.append(i)
        i = text.find(word, i + len(word))
    return out


def offered(store: Store, place: int, mode: str) -> int | None:
    """The entry Undo (Redo) offers in the history of ``place``: the last step in force (the
    one after it)."""
    steps = store.history(place)
    top = max((i for i, (_, _, undone) in enumerate(steps) if not undone), default=None)
    if mode == "undo":
        return None if top is None else steps[top][0]
    i = 0 if top is None else top + 1
    return steps[i][0] if i < len(steps) else None


class Driver:
    def __init__(self, store: Store, rng: random.Random, tag: str):
        self.store, self.rng, self.tag, self.n = store, rng, tag, 0

    def write(self, history: History, mode: str, edit=None, multi: bool = False):
        place = history.doc_id
        entry = None if mode == "do" else offered(self.store, place, mode)
        intent = {"multi": multi, "mode": mode, "place": place, "entry": entry}
        if mode == "do":
            intent["edit"] = edit.to_json()
        say(intent=intent)
        out = history.do(edit) if mode == "do" else getattr(history, mode)()
        say(done={"mode": mode, "entry": out.entry, "docs": len(out.docs)})
        return out

    def corpus_edit(self) -> E.Batch:
        rng, store = self.rng, self.store
        docs = list(store.iter_documents(None))
        chosen = rng.sample(docs, rng.randint(1000, 1300))
        at = {doc.id: (doc, spans) for doc, spans in chosen}
        plans = []
        for doc, spans in chosen:
            starts = occurrences(doc.text, NAME)
            old = tuple(s for s in spans if any(s.start < p + len(NAME) and p < s.end for p in starts))
            plans.append((doc.id, starts, old))
        used = {s.label for _, _, old in plans for s in old}
        free = [lab for lab in POOL if lab not in used]
        first: list = []
        if not free or rng.random() < 0.35:
            self.n += 1
            name = f"ACME_{self.tag}_{self.n}"
            first.append(E.ChangeLabels(chosen[0][0].id, (Label(name, "#%06x" % rng.randrange(1 << 24),
                                                              order=200 + self.n),), (), "Add label"))
            label = name
        else:
            label = rng.choice(free)
        subs = [E.ReplaceSpans(d, old, tuple(Span(p, p + len(NAME), label) for p in starts),
                               f"Label “{NAME}”") for d, starts, old in plans]
        assert all(at[d][0].text[p:p + len(NAME)] == NAME for d, starts, _ in plans for p in starts)
        return E.Batch(chosen[0][0].id, tuple(first + subs), f"Label every “{NAME}” as {label}")

    def one_doc(self, history: History) -> None:
        doc = history.doc_id
        text = self.store.document(doc).text
        (p,) = occurrences(text, CITY)
        spans = self.store.spans(doc)
        span = Span(p, p + len(CITY), "GPE")
        edit = E.remove_span(doc, span) if span in spans else E.add_span(doc, span, spans)
        self.write(history, "do", edit)

    def step(self) -> None:
        rng, store = self.rng, self.store
        edit = self.corpus_edit()
        origin = History(store)
        origin.load(edit.doc_id)
        self.write(origin, "do", edit, multi=True)
        self.write(origin, "undo", multi=True)
        touched = [e.doc_id for e in edit.edits if isinstance(e, E.ReplaceSpans) and e.doc_id != edit.doc_id]
        there = History(store)
        there.load(rng.choice(touched))
        how = rng.random()
        if how < 0.3:                       # a new edit where it was undone: cuts it
            self.one_doc(there)
        elif how < 0.55:                    # redone from a document it touched
            self.write(there, "redo", multi=True)
            if rng.random() < 0.5:
                self.write(there, "undo", multi=True)
                self.write(there, "redo", multi=True)
        else:
            self.write(origin, "redo", multi=True)
            if rng.random() < 0.4:          # a later edit there, the corpus-wide one in force
                there.load(there.doc_id)
                self.one_doc(there)


def main(path: str, seed: str) -> None:
    run(Driver, path, seed)


if __name__ == "__main__":
    main(*sys.argv[1:3])
