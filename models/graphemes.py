"""Grapheme clusters: what a reader sees as one character (👨‍👩‍👧, 🇩🇪, é as e + ◌́, CRLF).

A span edge inside a cluster would cut an emoji or an accent in half. spaCy's tokenizer splits a
flag into its two regional indicators, and a model may end an entity inside a ZWJ sequence, so
every span a person or the model makes is widened to whole clusters here.
"""
from __future__ import annotations

import regex

_CLUSTER = regex.compile(r"\X", regex.DOTALL)


def _safe_left(text: str, i: int, limit: int = 256) -> int:
    """A position at or before ``i`` that is surely a cluster boundary (between two ASCII
    characters other than CR LF), or 0."""
    stop = max(i - limit, 0)
    while i > stop:
        a, b = text[i - 1], text[i] if i < len(text) else "\n"
        if a < "\x80" and b < "\x80" and not (a == "\r" and b == "\n"):
            return i
        i -= 1
    return stop if stop == 0 else _safe_left(text, stop, limit * 4)


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


def widen(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) widened so that neither edge falls inside a grapheme cluster."""
    if not text:
        return start, end
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
