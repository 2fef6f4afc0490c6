"""Text that came from files, made safe to show a person: on a terminal, in a log line, in a
message box, in a plain-text tooltip.

A title, a label name, a span's source or a file name is data written by whoever made the
file. Shown as it is, a control character could move the cursor, recolour or clear a terminal
(``ESC [``), forge a second line of output (``\\n``, ``\\r``), reverse what follows (bidi
overrides), or not be printable at all (a lone surrogate, a byte of a file name that is not
UTF-8 — Python keeps those as U+DC80..U+DCFF). ``shown`` writes each such character as an
escape (``\\x1b``, ``\\u202e``; a file name's raw byte as ``\\xe9``), so one line stays one
line and every character is visible. Everything else — accents, CJK, emoji with their joiners —
is kept as it is.
"""
from __future__ import annotations

import os
import re
import sys

# Bidirectional embeddings, overrides and isolates, and the invisible direction marks.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
# C0 and C1 controls (tab and line breaks too: one message is one line), DEL, the line and
# paragraph separators, bidi controls, and surrogates (never valid in text).
SURROGATE = re.compile("[\ud800-\udfff]")     # never a character: UTF-8 cannot hold one
SEARCH_CHUNK = 1 << 20                        # code points per search call over a long text
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029" + BIDI_CONTROLS + "\ud800-\udfff]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:        # a byte of a file name that is not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: object) -> str:
    """``text`` (any object, as ``str()``) with every control, bidi and surrogate character
    written as an escape: safe to print on one line of a terminal or to show as plain text."""
    return _UNSAFE.sub(_escape, text if isinstance(text, str) else str(text))


def path_shown(path: str | os.PathLike) -> str:
    """A file name as a person can read it, whatever bytes it is made of."""
    return shown(os.fsdecode(path))


def about_file(path: str | os.PathLike, why: object) -> str:
    """``PATH: why`` — unless ``why`` names the file already (a StoreError starts with it)."""
    text = str(why)
    return text if text.startswith(str(path)) else f"{path_shown(path)}: {text}"


def first_surrogate(text: str) -> re.Match | None:
    """Where ``text`` holds a lone surrogate first, or None. A megabyte of text per search
    call: ``re`` holds the GIL, and one call over a 50 MB text stalls the UI thread ~150 ms
    while a worker imports it (an ASCII text cannot hold one: answered at once)."""
    if text.isascii():
        return None
    for i in range(0, len(text), SEARCH_CHUNK):
        m = SURROGATE.search(text, i, i + SEARCH_CHUNK)
        if m:
            return m
    return None


def storable(text: str) -> str:
    """``text`` with what SQLite and JSON cannot hold as UTF-8 (lone surrogates, e.g. the raw
    bytes of a file name that is not UTF-8) written as escapes; everything else untouched.
    For names kept as information (``meta.source``), never for a document's text."""
    return SURROGATE.sub(_escape, text)


def echo(*lines: object, file=None, flush: bool = False) -> None:
    """Print each of ``lines`` as one line of ``file`` (standard output unless given), each
    ``shown``: a title, a label or a file name in it cannot forge another line, move the
    cursor or reverse what follows. The one way the command line prints what holds data."""
    out = sys.stdout if file is None else file
    for line in lines:
        print(shown(line), file=out, flush=flush)


def has_unsafe(text: str) -> bool:
    """Whether ``text`` holds a character ``shown`` would escape."""
    return _UNSAFE.search(text) is not None


__all__ = ["shown", "path_shown", "storable", "has_unsafe", "echo", "BIDI_CONTROLS"]
