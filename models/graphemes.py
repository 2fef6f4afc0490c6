"""Grapheme clusters: what a reader sees as one character (👨‍👩‍👧, 🇩🇪, é as e + ◌́, CRLF).

A span edge inside a cluster would cut an emoji or an accent in half. spaCy's tokenizer splits a
flag into its two regional indicators, and a model may end an entity inside a ZWJ sequence, so
every span a person or the model makes is widened to whole clusters here.
"""
from __future__ import annotations

import regex

_CLUSTER = regex.compile(r"\X", regex.DOTALL)


# Two characters with a cluster boundary surely between them (UAX #29): two of Other / Hangul
# LV / LVT (GB999: no rule joins them — CJK, Latin, Arabic letters, most emoji, punctuation),
# or two ASCII characters other than CR LF (GB3-5, GB999).
_SIMPLE = r"[\p{Grapheme_Cluster_Break=Other}\p{Grapheme_Cluster_Break=LV}\p{Grapheme_Cluster_Break=LVT}]"
_PAIR = rf"{_SIMPLE}{_SIMPLE}|[\x00-\x0c\x0e-\x7f][\x00-\x7f]|\r[\x00-\x09\x0b-\x7f]"
_SAFE_PAIR = regex.compile(_PAIR, regex.REVERSE)
_IS_SAFE_PAIR = regex.compile(_PAIR)


def _safe_left(text: str, i: int) -> int:
    """A position at or before ``i`` that is surely a cluster boundary, or 0: the nearest
    safe pair, found by one backward search in C (a long article in Chinese or Japanese has
    one every character or two; the old ASCII-only rule scanned such a text to its start)."""
    if i >= len(text):
        return len(text)
    m = _SAFE_PAIR.search(text, 0, i + 1)
    return m.start() + 1 if m else 0


def boundaries(text: str, start: int, end: int) -> list[int]:
    """Cluster boundaries of ``text`` covering [start, end] (sorted)."""
    a = _safe_left(text, start)
    out, pos = [a], a
    for m in _CLUSTER.finditer(text, a):
        pos = m.end()
        out.append(pos)
        if pos >= end:
            break
    return out


def _surely_boundary(text: str, i: int) -> bool:
    """``i`` is a cluster boundary by the characters on either side alone (a safe pair)."""
    return i <= 0 or i >= len(text) or _IS_SAFE_PAIR.fullmatch(text, i - 1, i + 1) is not None


def widen(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) widened so that neither edge falls inside a grapheme cluster."""
    if not text:
        return start, end
    if 0 <= start <= end <= len(text) and _surely_boundary(text, start) and _surely_boundary(text, end):
        return start, end                   # nearly every edge in news text: nothing to read
    b = boundaries(text, start, end)
    from bisect import bisect_left, bisect_right
    s = b[bisect_right(b, start) - 1]
    i = bisect_left(b, end)
    e = b[i] if i < len(b) else len(text)
    return s, max(e, s)


def is_boundary(text: str, i: int) -> bool:
    return i in (0, len(text)) or widen(text, i, i)[0] == i


def strip(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) (on cluster boundaries) without the whole clusters of whitespace at either
    edge: a span never begins or ends with a space or a line break (the view cannot show a
    line break, and spaCy cannot train on such a span). A space carrying a combining mark is a
    visible cluster and stays. Whitespace only gives an empty range at its end."""
    while start < end and text[start].isspace():
        nxt = widen(text, start + 1, start + 1)[1] if start + 1 < end else end
        if not text[start:nxt].isspace():
            break
        start = nxt
    while start < end and text[end - 1].isspace():
        prev = widen(text, end - 1, end - 1)[0]
        if not text[prev:end].isspace():
            break
        end = prev
    return start, end
