"""The consistency checker's text rules (``models/checker.py``): what a labelled string is
made of, and where it stands in a text.

- ``core(s)``: a span's text without what only moves its bounds — a leading determiner
  ("the", "a"), a leading title ("Mr", "Dr.", "President"), a trailing possessive ("'s",
  "’s", "s'") and punctuation on either side. "North Korea’s" and "North Korea" have one core,
  so do "the Lee Kuan Yew School" and "Lee Kuan Yew School" (kind "bounds").
- ``name_forms(s)``: a core as the name-variant scores compare it (kind "variants"):
  transliterated (anyascii: Hangul, CJK, accents), lower case, split into parts at spaces,
  hyphens, dots and the syllables anyascii writes in capitals ("GimJeongEun"), so
  "Kim Jong-un", "Kim Jong Un" and "Kim Jongun" come close.
- ``Matcher``: every labelled string at once, as one compiled regular expression shaped as a
  trie (strings sharing a prefix share its branch, so ``re`` tries one branch per character
  rather than every string; 3,000 strings over 100,000 short documents: ~1 s, as fast as an
  Aho-Corasick automaton whose raw hits still need filtering in Python). Matches are on token
  boundaries — no letter, digit or underscore on either side, so "Korea" is found in
  "Korea’s" and "China-North Korea" but not in "Koreas" (spaCy's tokenizer splits possessives
  and hyphens the same way) — case-sensitive, leftmost and longest first, never overlapping.
"""
from __future__ import annotations

import re
from array import array
from collections.abc import Sequence
from functools import lru_cache
from itertools import islice
from typing import Iterable, Iterator

import numpy as np
from anyascii import anyascii

from models.findings import Item
from models.spans import MANUAL

DETERMINERS = frozenset({"the", "a", "an", "this", "that", "these", "those"})
TITLES = frozenset({
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "lord", "lady",
    "president", "vice-president", "premier", "chancellor", "minister", "secretary", "chairman",
    "chairwoman", "chair", "ceo", "king", "queen", "prince", "princess", "pope", "rev",
    "reverend", "gen", "general", "col", "colonel", "capt", "captain", "lt", "sgt", "adm",
    "admiral", "sen", "senator", "rep", "representative", "gov", "governor", "mayor", "judge",
    "justice", "ambassador", "comrade", "marshal", "chief", "leader"})
_POSSESSIVE = re.compile(r"(?:['’]s|(?<=s)['’])$")
_EDGE_PUNCT = "\"'“”‘’«»()[]{}.,;:!?-–—/\\*#"
_LEAD_WORD = re.compile(r"^(\S+?)(\.?)\s+(?=\S)")
MAX_LEN = 120            # longer spans are no names: never searched for as missed strings


@lru_cache(maxsize=1 << 17)
def core(s: str) -> tuple[str, int]:
    """(the core of ``s``, where it starts in ``s``); ``('', 0)`` when nothing of a name is
    left (the core holds a letter or digit, or it is not a core). Cached: a corpus has a few
    thousand distinct span texts, each asked for often."""
    start, end = 0, len(s)
    while True:
        before = (start, end)
        while start < end and (s[start].isspace() or s[start] in _EDGE_PUNCT):
            start += 1
        while end > start and (s[end - 1].isspace() or s[end - 1] in _EDGE_PUNCT
                               and not _abbreviation(s, start, end)):
            end -= 1
        m = _POSSESSIVE.search(s, start, end)
        if m and m.start() > start:
            end = m.start()
        m = _LEAD_WORD.match(s[start:end])
        if m and m.group(1).lower() in DETERMINERS | TITLES:
            start += m.end()
        if (start, end) == before:
            break
    piece = s[start:end]
    return (piece, start) if any(c.isalnum() for c in piece) else ("", 0)


def _abbreviation(s: str, start: int, end: int) -> bool:
    """A final dot that belongs to the name ("U.S.", "Inc."): kept in the core only when the
    name has another dot or is an initial; the rule is the same for every span, so "U.S." and
    "U.S" still differ by punctuation only if both were typed."""
    return s[end - 1] == "." and ("." in s[start:end - 1] or end - start == 2)


_PARTS = re.compile(r"[^0-9a-z]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def name_parts(s: str) -> list[str]:
    """The parts of a name as compared: ASCII, lower case, split at anything not a letter or
    digit and at the capitals anyascii puts at each syllable ("GimJeongEun" -> gim jeong eun)."""
    ascii_ = _CAMEL.sub(" ", anyascii(s))
    return [p for p in _PARTS.split(ascii_.lower()) if p]


def name_forms(s: str) -> tuple[str, str, str]:
    """(parts joined by spaces, parts joined, the last part first and joined): the three forms
    the name-variant scores compare (``token_sort_ratio`` on the first; the joined forms catch
    syllable spacing "Jong Un" / "Jongun" and the family name last or first)."""
    parts = name_parts(s)
    if not parts:
        return "", "", ""
    return " ".join(parts), "".join(parts), "".join(parts[-1:] + parts[:-1])


def initials_match(a: list[str], b: list[str]) -> bool:
    """Two names of as many parts, in the same order or one's last part first, each pair of
    parts equal or one the initial of the other, one pair at least equal and of two letters or
    more ("J. Smith" / "John Smith", "Smith J" / "John Smith")."""
    if len(a) != len(b) or len(a) < 2:
        return False
    for other in (b, b[-1:] + b[:-1]):
        full = False
        for x, y in zip(a, other):
            if x == y:
                full = full or len(x) > 1
            elif not ((len(x) == 1 and y.startswith(x)) or (len(y) == 1 and x.startswith(y))):
                break
        else:
            if full:
                return True
    return False


def searchable(s: str) -> bool:
    """Whether ``s`` is looked for where it stands unlabelled (kind "missed"): two characters
    or more with a letter or digit, no longer than ``MAX_LEN``, with no line break and no
    underscore (the character spans are masked with while searching)."""
    return (2 <= len(s) <= MAX_LEN and "_" not in s and "\n" not in s and "\r" not in s
            and any(c.isalnum() for c in s))


MASK = "_"       # a word character: a masked span is no boundary, and no string matches in it


class Matcher:
    """Every string of ``strings`` (each ``searchable``) found at once in a text."""

    def __init__(self, strings: Iterable[str]):
        self.strings = frozenset(strings)
        self.regex = re.compile(_trie_pattern(self.strings)) if self.strings else None

    def find(self, text: str, spans: Iterable[tuple[int, int]] = ()) -> Iterator[tuple[int, int, str]]:
        """(start, end, string) of each occurrence in ``text`` on token boundaries that no span
        of ``spans`` ((start, end) pairs, sorted) overlaps."""
        if self.regex is None:
            return iter(())
        return ((m.start(), m.end(), m.group()) for m in self.regex.finditer(masked(text, spans)))


def masked(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with the characters of each span replaced by ``MASK`` (same length)."""
    pieces, at = [], 0
    for start, end in spans:
        if start < at:
            start = at
        if end <= start:
            continue
        pieces.append(text[at:start])
        pieces.append(MASK * (end - start))
        at = end
    if not pieces:
        return text
    pieces.append(text[at:])
    return "".join(pieces)


def _trie_pattern(strings: Iterable[str]) -> str:
    trie: dict = {}
    for s in strings:
        node = trie
        for ch in s:
            node = node.setdefault(ch, {})
        node[""] = {}
    return r"(?<!\w)(?:" + _branch(trie) + r")(?!\w)"


def _branch(node: dict) -> str:
    """The pattern of a trie node: longer continuations first (greedy), so the longest string
    wins at a position and a shorter one is tried when the longer is not on a boundary."""
    alts = [re.escape(ch) + _branch(sub) for ch, sub in sorted(node.items()) if ch]
    if not alts:
        return ""
    body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    return f"(?:{body})?" if "" in node else body




# -- the occurrences found, compact (kind "missed") ----------------------------------------------
_DTYPES = {"B": np.uint8, "H": np.uint16, "I": np.uint32, "q": np.int64}
_WIDER = {"B": "H", "H": "I", "I": "q"}


def view(a: array) -> np.ndarray:
    return np.frombuffer(a, dtype=_DTYPES[a.typecode]) if len(a) else np.zeros(0, np.int64)


def _packed(values: np.ndarray, small: str = "H") -> array:
    """``values`` (whole numbers) as the narrowest array of ``small``, 'I' or 'q' that holds them."""
    code = small
    if len(values):
        lo, hi = int(values.min()), int(values.max())
        while code != "q" and not (lo >= 0 and hi < 1 << (8 * array(code).itemsize)):
            code = _WIDER[code]
    out = array(code)
    out.frombytes(np.ascontiguousarray(values, dtype=_DTYPES[code]).tobytes())
    return out


def _append(a: array, v: int) -> array:
    try:
        a.append(v)
    except OverflowError:            # wider than its type: the array widened once
        a = array(_WIDER[a.typecode], a)
        return _append(a, v)
    return a


class Found:
    """Where one string stands unlabelled, compact (a million documents of a common name hold
    tens of millions of occurrences: two to eight bytes each, not a tuple): ``docs`` one entry a
    document (sorted), ``counts`` how many occurrences in each (a byte, wider if need be), ``starts`` every start by
    document then place (an occurrence ends ``len(s)`` later). Only appended to while a full
    check builds it, in document order; afterwards never changed (``merged`` makes a new one):
    the findings made from it share its arrays."""

    __slots__ = ("docs", "counts", "starts", "_last")

    def __init__(self, docs=None, counts=None, starts=None):
        self.docs = docs if docs is not None else array("I")
        self.counts = counts if counts is not None else array("B")
        self.starts = starts if starts is not None else array("H")
        self._last = self.docs[-1] if len(self.docs) else None

    def add(self, doc: int, start: int) -> None:
        if doc != self._last:
            self.docs = _append(self.docs, doc)
            self.counts = _append(self.counts, 1)
            self._last = doc
        else:
            try:
                self.counts[-1] += 1
            except OverflowError:
                self.counts = array(_WIDER[self.counts.typecode], self.counts)
                self.counts[-1] += 1
        self.starts = _append(self.starts, start)

    def __len__(self) -> int:
        return len(self.starts)

    def doc_set(self) -> set[int]:
        return set(self.docs)

    def merged(self, gone: np.ndarray, new: dict[int, list[int]]) -> "Found | None":
        """A new ``Found``: the documents of ``gone`` (sorted ids) left out, those of ``new``
        (document -> its starts, none of them kept) put in; None when nothing is left."""
        docs, counts, starts = view(self.docs), view(self.counts), view(self.starts)
        if len(gone) and len(docs):
            keep = ~np.isin(docs, gone)
            docs, counts, starts = docs[keep], counts[keep], starts[np.repeat(keep, counts)]
        if new:
            add = sorted(new)
            docs = np.concatenate([docs.astype(np.int64), np.array(add, np.int64)])
            counts = np.concatenate([counts.astype(np.int64), [len(new[d]) for d in add]])
            starts = np.concatenate([starts.astype(np.int64),
                                     np.fromiter((a for d in add for a in new[d]), np.int64)])
            order = np.argsort(docs, kind="stable")
            pair = np.repeat(np.arange(len(docs)), counts)
            rank = np.empty_like(order)
            rank[order] = np.arange(len(order))
            starts = starts[np.argsort(rank[pair], kind="stable")]
            docs, counts = docs[order], counts[order]
        if not len(docs):
            return None
        return Found(_packed(docs, "I"), _packed(counts, "B"), _packed(starts))

    def trimmed(self) -> "Found":
        """Its arrays at their exact sizes (an array grown by appending holds ~6% more)."""
        return Found(array(self.docs.typecode, self.docs), array(self.counts.typecode, self.counts),
                     array(self.starts.typecode, self.starts))


class Occurrences(Sequence):
    """The items of a ``missed`` finding, made when read from a ``Found`` (a tuple of
    ``Item`` would take ~120 bytes an occurrence): each occurrence of ``s`` by document and
    place, labelled ``label`` (``MANUAL``, ``entity``), but those at the flat positions
    ``skip`` (sorted: a person rejected that suggestion there). Equal to any sequence of the
    same items (a tuple too)."""

    def __init__(self, found: Found, s: str, label: str, entity: int = 0, skip=()):
        self.found, self.s, self.label, self.entity = found, s, label, entity
        self.skip = tuple(skip)
        self._ends = None

    def __len__(self) -> int:
        return len(self.found.starts) - len(self.skip)

    def __iter__(self):
        f, n, s, label, entity = self.found, len(self.s), self.s, self.label, self.entity
        skip, at, j = set(self.skip), 0, 0
        starts = f.starts
        for d, c in zip(f.docs, f.counts):
            for a in starts[at:at + c]:
                if not skip or j not in skip:
                    yield Item(d, a, a + n, label, MANUAL, entity, s)
                j += 1
            at += c

    def __getitem__(self, i):
        if isinstance(i, slice):
            return tuple(islice(self, *i.indices(len(self))))
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("occurrence index out of range")
        j = i
        for k in self.skip:              # the flat position of the i-th item kept
            if k <= j:
                j += 1
        if self._ends is None:
            self._ends = np.cumsum(view(self.found.counts), dtype=np.int64)
        p = int(np.searchsorted(self._ends, j, side="right"))
        a = self.found.starts[j]
        return Item(self.found.docs[p], a, a + len(self.s), self.label, MANUAL, self.entity, self.s)

    def per_doc(self) -> list[tuple[int, int]]:
        """(document, how many items are in it), by document (as ``Finding.per_doc``)."""
        docs, counts = self._per_doc()
        return list(zip(docs.tolist(), counts.tolist()))

    def _per_doc(self) -> tuple[np.ndarray, np.ndarray]:
        docs, counts = view(self.found.docs), view(self.found.counts).astype(np.int64)
        if self.skip:
            ends = np.cumsum(counts)
            np.subtract.at(counts, np.searchsorted(ends, np.array(self.skip), side="right"), 1)
            keep = counts > 0
            docs, counts = docs[keep], counts[keep]
        return docs, counts

    @property
    def n_docs(self) -> int:
        return len(self._per_doc()[0]) if self.skip else len(self.found.docs)

    def first_docs(self, k: int) -> list[tuple[int, int]]:
        docs, counts = self._per_doc() if self.skip else (self.found.docs, self.found.counts)
        return [(int(d), int(n)) for d, n in zip(docs[:k], counts[:k])]

    def __eq__(self, other) -> bool:
        if isinstance(other, Occurrences) and (other.found, other.s, other.label, other.entity,
                                               other.skip) == (self.found, self.s, self.label,
                                                               self.entity, self.skip):
            return True
        if not isinstance(other, Sequence) or isinstance(other, str) or len(other) != len(self):
            return False
        return all(a == b for a, b in zip(self, other))

    def __ne__(self, other) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Occurrences({self.s!r}, {self.label}, {len(self)} items in {self.n_docs} documents)"


__all__ = ["core", "name_parts", "name_forms", "initials_match", "searchable", "Matcher",
           "masked", "Found", "Occurrences", "view", "DETERMINERS", "TITLES", "MAX_LEN"]
