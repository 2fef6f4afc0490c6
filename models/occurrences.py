"""Label every occurrence of a string (issue 11): find it in the open document or across the
corpus, say what stands there now, and make one edit of the occurrences a person ticked.

Matching:
- case-sensitive unless ``case=False`` (then Python's ``re.IGNORECASE``: each character
  folded alone, so offsets stay those of the stored text);
- on token boundaries unless ``tokens=False`` (exact mode): an occurrence must start and end
  where spaCy's rule tokenizer (``models.ner.blank_tokenizer``, the one selections snap with)
  puts a token boundary — no "Korea" inside "Koreas", but "Korea" in "Korea's", "Korea," or
  "Korea-based". A whitespace-free piece of text is tokenized alone (its tokens never depend
  on its neighbours: spaCy splits at whitespace first), once per distinct piece, so 20,000
  occurrences cost a few hundred tokenizer calls. A piece longer than ``LONG_PIECE`` (a URL, a
  text written without spaces such as Chinese) is not tokenized: there an edge is a boundary
  unless it falls between two letters or digits.

Scopes: ``document`` the open document only; ``not_done`` the open document and every document
still to do (new or in progress: what "next document" walks — a skipped document was set aside
on purpose and is left alone; "every document" includes it); ``all`` every document. The open
document's occurrences come first, the others in id order.

What stands there now (``Occurrence.kind``): ``nothing``; ``model`` (model suggestions over
the occurrence, whatever their bounds or label: replaced when ticked, which is the default);
``person`` (a person's span with another label, other bounds or another entity: unticked by
default, replaced only when its row is ticked explicitly); ``same`` (the person's span is
already exactly this one: nothing to do, never part of the edit).

The edit (``build_edit``): one ``Batch`` whose ``doc_id`` is the open document (one Ctrl+Z
there undoes all of it), one ``ReplaceSpans`` per document (the spans over the ticked
occurrences removed, manual spans with the label — and the entity — added). A document marked
done that gets a span goes back to "in progress" in the same edit, as any person's edit of a
done document does (``edits.reopen``, ``Session._person``): a changed document is never
exported as accepted unseen; one undo gives back both. A new document is put "in progress" in
the edit too (the store would do it anyway), so that its undo gives back "new": undoing a
corpus-wide labelling leaves no 15,000 documents "in progress" with nothing changed in them.
Before it is made, the documents are read again: if any occurrence's surroundings or a
document's done-ness changed since the preview, ``StaleEdit`` is raised and nothing is written.
"""
from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from models.document import DONE, IN_PROGRESS, NEW
from models.edits import Batch, ReplaceSpans, SetStatus
from models.spans import MANUAL, Span, overlapping

NOTHING, MODEL, PERSON, SAME = "nothing", "model", "person", "same"
DOCUMENT, NOT_DONE, ALL = "document", "not_done", "all"
SCOPES = (DOCUMENT, NOT_DONE, ALL)
TO_DO = (NEW, IN_PROGRESS)          # the statuses of "every document not done"
CONTEXT = 48                        # characters of context on each side of a row
LONG_PIECE = 64                     # a whitespace-free piece longer than this is not tokenized
_SPACE = re.compile(r"\s")
_LAST_SPACE = re.compile(r"\s(?=\S*\Z)")


@dataclass(frozen=True)
class Query:
    text: str                       # the string to find, as it stands in the open document
    label: str
    entity: int = 0                 # the entity the new spans name (the source span's), 0: none
    scope: str = NOT_DONE
    case: bool = True               # case-sensitive
    tokens: bool = True             # on token boundaries (False: exact mode)
    open_doc: int | None = None     # the document where the edit is made

    @property
    def name(self) -> str:
        """The edit's name, as the Undo menu shows it."""
        words = " ".join(self.text.split())
        words = words if len(words) <= 30 else words[:29] + "…"
        return f"Label every “{words}” {self.label}"


@dataclass(frozen=True)
class Occurrence:
    doc_id: int
    title: str
    status: str                     # the document's, when it was read
    start: int
    end: int
    before: str                     # up to CONTEXT characters before, and after
    after: str
    kind: str                       # NOTHING, MODEL, PERSON or SAME
    there: tuple[Span, ...] = ()    # the spans over the occurrence, when it was read
    words: tuple[str, ...] = ()     # their texts
    match: str = ""                 # the occurrence as it stands (its case may differ)
    label: str = ""                 # the label it would get

    @property
    def ticked(self) -> bool:
        """Ticked by default: nothing there, or only model suggestions."""
        return self.kind in (NOTHING, MODEL)

    @property
    def what(self) -> str:
        """What stands there now, in words."""
        if self.kind == NOTHING:
            return "nothing"
        if self.kind == SAME:
            return f"already {self.there[0].label}"
        who = "model" if self.kind == MODEL else "person"
        parts = []
        for s, w in zip(self.there, self.words):
            same = (s.start, s.end) == (self.start, self.end)
            if same and s.label == self.label and s.is_manual:     # only its entity differs
                parts.append(f"{s.label}, {'another entity' if s.entity else 'no entity'}")
            else:
                parts.append(s.label if same else f"{s.label} on “{_short(' '.join(w.split()), 30)}”")
        return f"{who}: " + ", ".join(parts)


# -- matching ------------------------------------------------------------------------------------

def find(text: str, query: str, *, case: bool = True, tokens: bool = True) -> list[tuple[int, int]]:
    """(start, end) of the occurrences of ``query`` in ``text``, left to right, none over
    another (an occurrence that is not on token boundaries does not hide one starting inside it)."""
    if not query:
        return []
    out = []
    if case:
        n, at = len(query), text.find(query)
        while at >= 0:
            if not tokens or (is_boundary(text, at) and is_boundary(text, at + n)):
                out.append((at, at + n))
                at = text.find(query, at + n)
            else:
                at = text.find(query, at + 1)
        return out
    pattern = _pattern(query)
    m = pattern.search(text)
    while m:
        a, b = m.span()
        if not tokens or (is_boundary(text, a) and is_boundary(text, b)):
            out.append((a, b))
            m = pattern.search(text, b)
        else:
            m = pattern.search(text, a + 1)
    return out


@functools.lru_cache(maxsize=64)
def _pattern(query: str) -> re.Pattern:
    return re.compile(re.escape(query), re.IGNORECASE)


def is_boundary(text: str, p: int) -> bool:
    """Whether spaCy's tokenizer has a token boundary at ``p`` in ``text``."""
    if p <= 0 or p >= len(text):
        return True
    if text[p - 1].isspace() or text[p].isspace():
        return True
    m = _LAST_SPACE.search(text, max(p - LONG_PIECE - 1, 0), p)
    lo = m.end() if m else (0 if p <= LONG_PIECE else -1)
    m = _SPACE.search(text, p, p + LONG_PIECE + 1)
    hi = m.start() if m else (len(text) if len(text) - p <= LONG_PIECE else -1)
    if lo < 0 or hi < 0 or hi - lo > LONG_PIECE:
        return not (text[p - 1].isalnum() and text[p].isalnum())
    return p - lo in _piece_bounds(text[lo:hi])


@functools.lru_cache(maxsize=65536)
def _piece_bounds(piece: str) -> frozenset[int]:
    from models.ner import tokenize
    return frozenset(x for t in tokenize(piece) for x in t)


def prefilter(query: str, case: bool) -> tuple[str, bool]:
    """What SQLite looks for to keep the documents that may hold ``query``: (needle, folded).
    Case-insensitive: the longest run of the query's characters that SQLite's ``lower()``
    folds as Python does (ASCII, or characters without case), lower-cased; '' keeps every
    document (a query of letters such as "Ωμέγα": each document is then checked here).
    Characters that Python folds to ASCII letters (the Kelvin sign, the long s) are not found."""
    if case:
        return query, False
    best = run = ""
    for c in query:
        run = run + c if c.isascii() or c.lower() == c.upper() else ""
        best = max(best, run, key=len)
    return best.lower(), True


# -- scanning ------------------------------------------------------------------------------------

def scan(store, q: Query, cancelled: Callable[[], bool] = lambda: False
         ) -> Iterator[tuple[int, int, list[Occurrence]]]:
    """The occurrences of ``q.text`` in ``q.scope``, in batches as they are found: (progress,
    out of, rows), progress in document ids read. The open document first. Stops between two
    batches once ``cancelled()``."""
    needle, folded = prefilter(q.text, q.case)
    if q.open_doc is not None:
        for _done, _total, docs in store.occurrence_candidates(needle, folded=folded, ids=[q.open_doc]):
            yield int(q.scope == DOCUMENT), 1, [r for d in docs for r in occurrences(d, q)]
    if q.scope == DOCUMENT:
        return
    statuses = TO_DO if q.scope == NOT_DONE else None
    for done, total, docs in store.occurrence_candidates(needle, folded=folded, statuses=statuses,
                                                         skip=q.open_doc):
        if cancelled():
            return
        yield done, total, [r for d in docs for r in occurrences(d, q)]


def occurrences(doc: tuple, q: Query) -> list[Occurrence]:
    """The rows of one candidate document (doc_id, title, status, text, spans)."""
    doc_id, title, status, text, spans = doc
    out = []
    for a, b in find(text, q.text, case=q.case, tokens=q.tokens):
        there = tuple(overlapping(spans, a, b))
        out.append(Occurrence(doc_id, title, status, a, b, text[max(a - CONTEXT, 0):a],
                              text[b:b + CONTEXT], classify(there, a, b, q.label, q.entity), there,
                              tuple(text[s.start:s.end][:80] for s in there), text[a:b], q.label))
    return out


def classify(there: tuple[Span, ...], start: int, end: int, label: str, entity: int = 0) -> str:
    if not there:
        return NOTHING
    if not any(s.is_manual for s in there):
        return MODEL
    s = there[0]
    if len(there) == 1 and (s.start, s.end, s.label) == (start, end, label) and (
            not entity or s.entity == entity):
        return SAME
    return PERSON


# -- the edit ------------------------------------------------------------------------------------

def build_edit(store, q: Query, rows: Iterable[Occurrence]) -> Batch | None:
    """One edit of the ticked ``rows`` (rows of kind ``same`` are left out), checked against
    the documents as they are now (``StaleEdit`` if any changed since the preview); None if
    there is nothing to do."""
    from models.store import StaleEdit
    by_doc: dict[int, list[Occurrence]] = {}
    for r in rows:
        if r.kind != SAME:
            by_doc.setdefault(r.doc_id, []).append(r)
    if not by_doc:
        return None
    now = store.occurrence_state(list(by_doc))
    edits: list = []
    name = q.name
    order = sorted(by_doc, key=lambda d: (d != q.open_doc, d))
    for doc_id in order:
        mine = sorted(by_doc[doc_id], key=lambda r: r.start)
        if doc_id not in now:
            raise StaleEdit(f"document {doc_id} (“{_short(mine[0].title, 40)}”) is no longer in the project")
        status, spans = now[doc_id]
        if (status == DONE) != (mine[0].status == DONE):
            raise StaleEdit(f"“{_short(mine[0].title, 40)}” is {status} now, not {mine[0].status} "
                            "as in the preview")
        remove: dict[Span, None] = {}
        add = []
        for r in mine:
            current = tuple(overlapping(spans, r.start, r.end))
            if current != r.there:
                raise StaleEdit(f"the spans at {r.start}-{r.end} of “{_short(r.title, 40)}” "
                                "changed since the preview")
            remove.update(dict.fromkeys(current))
            add.append(Span(r.start, r.end, q.label, MANUAL, q.entity))
        for a, b in zip(add, add[1:]):
            if b.start < a.end:
                raise ValueError(f"occurrences {a.start}-{a.end} and {b.start}-{b.end} overlap")
        if status in (DONE, NEW):      # said in the edit, so that its undo gives it back
            edits.append(SetStatus(doc_id, status, IN_PROGRESS, "Reopen" if status == DONE else name))
        edits.append(ReplaceSpans(doc_id, tuple(sorted(remove)), tuple(add), name))
    return Batch(q.open_doc, tuple(edits), name)


def summary(edit: Batch | None) -> str:
    """What the edit did, for the status bar."""
    if edit is None:
        return "Nothing to label: every ticked occurrence is labelled already."
    spans = [e for e in edit.edits if isinstance(e, ReplaceSpans)]
    n = sum(len(e.add) for e in spans)
    docs = len(spans)
    reopened = sum(1 for e in edit.edits if isinstance(e, SetStatus) and e.old == DONE)
    text = (f"Labelled {n:,} occurrence{'s' * (n != 1)} in {docs:,} document{'s' * (docs != 1)}")
    replaced = sum(len(e.remove) for e in spans)
    if replaced:
        text += f" (replacing {replaced:,} span{'s' * (replaced != 1)})"
    if reopened:
        text += (f"; {reopened:,} document{'s' * (reopened != 1)} marked done "
                 f"{'are' if reopened != 1 else 'is'} in progress again")
    return text + " — Ctrl+Z undoes it all."


def counts(rows: Iterable[Occurrence]) -> Counter:
    return Counter(r.kind for r in rows)


def _short(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


__all__ = ["Query", "Occurrence", "find", "is_boundary", "scan", "build_edit", "summary",
           "NOTHING", "MODEL", "PERSON", "SAME", "DOCUMENT", "NOT_DONE", "ALL", "SCOPES", "TO_DO"]
