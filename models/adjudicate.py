"""Adjudication of a merged project (``models/merge.py``): settling, one by one, where the
annotators' versions disagree, into the document's own spans — the gold.

The disagreements of a document are ``agreement.disagreements`` over the people's versions
(the model's version is shown, never a party): groups of overlapping spans in which not
everyone has the same span. Each is settled by one edit (journaled with who chose, undone by
one undo):

- ``accept(doc, group, name)``: the gold inside the group's range becomes ``name``'s spans
  there (an annotator's "nothing here" too), and the group is marked settled by ``name``;
- ``keep(doc, group)``: the gold stays as edited by hand, the group settled by nobody's version;
- ``accept_agreed(doc)``: every span all the people have identically, added where the gold has
  nothing over it (agreed spans are no disagreement: they need no decision).

A document done is put back in progress by an edit that changes its spans, as everywhere.
The groups of a document never change (versions are fixed once merged), so they are computed
once per document; what is settled is read from the ``decisions`` table.
"""
from __future__ import annotations

from bisect import bisect_right

from models import agreement, team
from models.agreement import Group, Unit
from models.document import DONE, IN_PROGRESS
from models.edits import Batch, Decide, ReplaceSpans, SetStatus
from models.project_file import StoreError
from models.spans import MANUAL, Span, overlapping


class Adjudication:
    def __init__(self, store):
        self.store = store
        self._groups: dict[int, tuple[dict, list[Group]]] = {}
        self.damaged: dict[int, str] = {}       # document -> why its versions cannot be read
        self._docs: list[int] | None = None

    # -- what there is to settle ------------------------------------------------------------
    def docs(self) -> list[int]:
        if self._docs is None:
            self._docs = self.store.version_docs()
        return self._docs

    def versions(self, doc_id: int) -> dict[str, list[Span]]:
        """Every version of a document (the model's last), spans only."""
        return {n: spans for n, (_, spans) in self.store.versions(doc_id).items()}

    def people(self, doc_id: int) -> dict[str, list[Span]]:
        return self._load(doc_id)[0]

    def groups(self, doc_id: int) -> list[Group]:
        return self._load(doc_id)[1]

    def _load(self, doc_id: int) -> tuple[dict, list[Group]]:
        got = self._groups.get(doc_id)
        if got is None:
            try:
                people = {n: s for n, s in self.versions(doc_id).items() if n != team.MODEL}
            except StoreError as e:     # a damaged version (a file from elsewhere): said, skipped
                self.damaged[doc_id] = str(e)
                people = {}
            got = self._groups[doc_id] = (people, agreement.disagreements(people) if len(people) > 1 else [])
        return got

    def pending(self, doc_id: int) -> list[Group]:
        settled = self.store.decisions(doc_id)
        return [g for g in self.groups(doc_id) if (g.start, g.end) not in settled]

    def next(self, doc_id: int | None, pos: int = -1) -> tuple[int, Group] | None:
        """The first unsettled disagreement after ``pos`` in ``doc_id``, else the first of the
        documents after it (by id, wrapping around), else None: everything is settled."""
        docs = self.docs()
        if doc_id is not None:
            for g in self.pending(doc_id):
                if g.start > pos:
                    return doc_id, g
        i = bisect_right(docs, doc_id) if doc_id is not None else 0
        for d in docs[i:] + docs[:i]:
            left = self.pending(d)
            if left:
                return d, left[0]
        return None

    def agreed(self, doc_id: int) -> list[Span]:
        """The spans every person has identically (the first person's, with its entity)."""
        people = self.people(doc_id)
        if not people:
            return []
        first = {(s.start, s.end, s.label): s for s in next(iter(people.values()))}
        return [first[(s.start, s.end, s.label)] for s in agreement.agreed(people)]

    # -- the edits ----------------------------------------------------------------------------
    def accept(self, doc_id: int, group: Group, name: str) -> Batch:
        """The gold over ``group`` becomes ``name``'s version there (a person's, or the
        model's: its spans over the group's range)."""
        if name in group.spans:
            mine = group.spans[name]
        else:
            versions = self.versions(doc_id)
            if name not in versions:
                raise ValueError(f"{name} has no version of this document")
            mine = overlapping(versions[name], group.start, group.end)
        theirs = tuple(s.with_(source=MANUAL) for s in mine)
        gold = self.store.spans(doc_id)
        ours = tuple(overlapping(gold, group.start, group.end))
        # A span of theirs may reach past the group into nothing else: what it overlaps goes too.
        for s in theirs:
            ours += tuple(x for x in overlapping(gold, s.start, s.end) if x not in ours)
        what = ", ".join(f"{s.label}" for s in theirs) or "nothing"
        text = f"Accept {name}'s version ({what})"
        edits: list = []
        if set(ours) != set(theirs):
            edits.append(ReplaceSpans(doc_id, tuple(sorted(ours)), theirs, text))
        return self._settle(doc_id, group, name, edits, text)

    def keep(self, doc_id: int, group: Group) -> Batch:
        """The group settled as the gold stands (edited by hand)."""
        return self._settle(doc_id, group, "", [], "Keep the gold as edited")

    def _settle(self, doc_id: int, group: Group, chosen: str, edits: list, text: str) -> Batch:
        edits.append(Decide(doc_id, group.start, group.end, chosen, True, text))
        status = self.store.document_status(doc_id)
        if status == DONE and len(edits) > 1:
            edits.insert(0, SetStatus(doc_id, DONE, IN_PROGRESS, "Reopen"))
        return Batch(doc_id, tuple(edits), text)

    def accept_agreed(self, doc_id: int) -> ReplaceSpans | None:
        """Every agreed span the gold lacks, where nothing of the gold lies over it; None when
        there is none to add."""
        gold = self.store.spans(doc_id)
        have = {(s.start, s.end, s.label) for s in gold}
        add = tuple(s.with_(source=MANUAL) for s in self.agreed(doc_id)
                    if (s.start, s.end, s.label) not in have and not overlapping(gold, s.start, s.end))
        if not add:
            return None
        return ReplaceSpans(doc_id, (), add, f"Accept {len(add)} agreed spans")


def from_merged(store) -> tuple[list[str], list[Unit]]:
    """The people's versions of a merged project as ``agreement`` reads them: the documents
    all of them marked done (the only ones agreement counts)."""
    names = [n for n in store.version_names() if n != team.MODEL]
    units = []
    for doc_id in store.done_by_all(names):
        doc = store.document(doc_id)
        if doc is None:
            continue
        versions = {n: (st, tuple(sp)) for n, (st, sp) in store.versions(doc_id).items() if n != team.MODEL}
        units.append(Unit(doc.text_hash, doc.title, doc.text, versions))
    return names, units


__all__ = ["Adjudication", "from_merged"]
