"""What a project can store of a record read from a file, checked once for every reader.

A document's text, title, meta and span labels go into SQLite as UTF-8 (meta as JSON). Some
values Python holds cannot go there, and reached the store as a traceback that rolled back the
whole batch:

- a lone surrogate (``"\\ud800"`` escaped in JSON, a UTF-7 ``+2AA-``, a byte of a file name that
  is not UTF-8): not a character; UTF-8 cannot encode it;
- NaN and Infinity (Python's JSON reads them; JSON has no such numbers, SQLite's JSON
  functions and every other reader refuse them), bytes or other objects (from msgpack);
- nesting deeper than ``MAX_DEPTH`` levels: ``json.dumps`` of it fails (RecursionError) in
  the store, the export or the window, wherever the stack is deepest;
- a text longer than SQLite's limit (``files.MAX_TEXT_BYTES``).

``unstorable(value)`` walks a decoded value (iteratively: no recursion to run out of) and says
where the first such thing is; ``document_problem(doc)`` applies it to everything an import
stores of a document, whatever reader made it. JSON readers also run ``unstorable`` over the
whole decoded line (``jsonl.json_object``), so a lone surrogate anywhere in a line — a key, an
ignored field — rejects the line.
"""
from __future__ import annotations

import math
import re
import reprlib

from models.display import SURROGATE, first_surrogate, shown
from models.formats import files

MAX_DEPTH = 100          # levels of nesting a stored value may have (meta is 2 or 3 in practice)
# In a JSON line, a surrogate can only come from a \uD800-\uDFFF escape (UTF-8 cannot encode
# one), and a pair of them (\ud83d\ude00, how ensure_ascii writes an emoji) is one character.
SURROGATE_ESCAPE = re.compile(r"\\u[dD]([89a-fA-F])[0-9a-fA-F]{2}")


# A high half not followed by a low one, or a low half not preceded by a high one: exact when
# no backslash in the line is itself escaped before a "u" (no "\\\\u"), as in almost every line.
_LONE = re.compile(r"\\u[dD](?:[89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
                   r"|[c-fC-F][0-9a-fA-F]{2}(?<!\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}))")


def lone_surrogate_escape(line: str) -> bool:
    """Whether a valid JSON ``line`` escapes a lone surrogate (see ``_lone_escape``); one regular
    expression in C for all but the lines holding an escaped backslash before a "u"."""
    if "\\u" not in line:
        return False
    if "\\\\u" not in line:
        return _LONE.search(line) is not None
    return _lone_escape(line)


def _lone_escape(line: str) -> bool:
    """Whether a valid JSON ``line`` escapes a lone surrogate (``\\ud800`` not followed by a
    low half, a low half alone), without decoding it: only the surrogate escapes are looked at
    (a few per line at most), so a line of emoji written as pairs costs next to nothing. A
    backslash that is itself escaped (``\\\\ud800``, the six characters as text) is no escape."""
    low_at = -1                     # where the low half of the last high one must stand
    for m in SURROGATE_ESCAPE.finditer(line):
        i = j = m.start()
        while j and line[j - 1] == "\\":
            j -= 1
        if (i - j) % 2:
            continue                # an escaped backslash, then the letters "ud800"
        high = m.group(1) in "89abAB"
        if i == low_at and not high:
            low_at = -1             # the pair is complete
            continue
        if low_at != -1 or not high:
            return True             # a high half not followed by a low one, or a low alone
        low_at = m.end()
    return low_at != -1

_repr = reprlib.Repr()
_repr.maxlevel, _repr.maxstring, _repr.maxother, _repr.maxlong = 2, 40, 40, 40
_repr.maxlist = _repr.maxtuple = _repr.maxdict = 4


def short(value) -> str:
    """A value for a message: ``repr``, shortened (a 4,000-digit number, a 100 MB string or a
    list nested 900 deep stays a few dozen characters) and escaped (``display.shown``)."""
    try:
        text = _repr.repr(value)
    except (ValueError, RecursionError):      # an int past the digit limit; cannot happen twice
        text = f"<{type(value).__name__}>"
    return shown(text)


def unexpected(e: BaseException, what: str = "this line") -> str:
    """The problem for an exception no check foresaw, met while reading one line, record or
    file: that one is skipped and the import goes on, and the message names the exception (a
    defect to report, never hidden)."""
    return (f"{what} could not be read: unexpected {type(e).__name__}: {shown(str(e))[:200]} "
            "(skipped; please report this)")


def _where(node) -> str:
    parts = []
    while node is not None:
        key, node = node
        parts.append(f"[{key}]" if isinstance(key, int) else f".{shown(key)[:40]}")
    parts.reverse()
    if len(parts) > 8:
        parts = parts[:6] + ["…"] + parts[-1:]
    return "".join(parts).lstrip(".") or "the value"


def unstorable(value, name: str = "") -> str | None:
    """Why ``value`` (decoded JSON or msgpack) cannot be stored, naming where in it, or None.

    ``name``: what the value is called in the message (``meta``); an object's own keys are named
    by their path (``meta.source``, ``spans[2].label``).
    """
    root = (name, None) if name else None
    stack = [(value, root, 0)]
    while stack:
        v, node, depth = stack.pop()
        t = type(v)
        if t is str:
            m = SURROGATE.search(v)
            if m:
                return (f"{_where(node)} holds a lone surrogate ({shown(m.group())} at character "
                        f"{m.start()}): not a character, and UTF-8 cannot hold it")
        elif t is dict:
            if depth >= MAX_DEPTH:
                return f"{_where(node)} is nested more than {MAX_DEPTH} levels deep"
            for k, x in v.items():
                if type(k) is not str:
                    return f"{_where(node)} has a key that is not text ({short(k)})"
                m = SURROGATE.search(k)
                if m:
                    return (f"{_where(node)} has a key ({short(k)}) holding a lone surrogate "
                            f"({shown(m.group())}): not a character, and UTF-8 cannot hold it")
                stack.append((x, (k, node), depth + 1))
        elif t is list or t is tuple:
            if depth >= MAX_DEPTH:
                return f"{_where(node)} is nested more than {MAX_DEPTH} levels deep"
            stack.extend((x, (i, node), depth + 1) for i, x in enumerate(v))
        elif t is float:
            if not math.isfinite(v):
                return f"{_where(node)} is {v!r}, which is not a JSON number"
        elif v is None or t is bool or t is int:
            pass
        else:
            return f"{_where(node)} is {t.__name__} {short(v)}, which JSON cannot hold"
    return None


def document_problem(doc: dict) -> str | None:
    """Why an import cannot store ``doc`` (a reader's document dict), or None if it can."""
    text = doc.get("text")
    if not isinstance(text, str) or not text:
        return "the text must be a non-empty string"
    m = first_surrogate(text)
    if m:
        return (f"the text holds a lone surrogate ({shown(m.group())} at character {m.start()}): "
                "not a character, and UTF-8 cannot hold it")
    size = len(text) if len(text) * 4 <= files.MAX_TEXT_BYTES else len(text.encode("utf-8"))
    if size > files.MAX_TEXT_BYTES:
        return (f"the text is {size:,} bytes; a project holds at most {files.MAX_TEXT_BYTES:,} "
                "bytes per text")
    title = doc.get("title")
    if title is not None and not isinstance(title, str):
        return f"the title is {type(title).__name__}, not text"
    checks = [("title", title), ("meta", doc.get("meta"))]
    checks += [(f"the label of span {getattr(s, 'start', '?')}-{getattr(s, 'end', '?')}",
                getattr(s, "label", None)) for key in ("spans", "rejected") for s in doc.get(key) or ()]
    for name, value in checks:
        why = unstorable(value, name)
        if why:
            return why
    return None


__all__ = ["MAX_DEPTH", "SURROGATE", "SURROGATE_ESCAPE", "lone_surrogate_escape", "short", "unexpected", "unstorable",
           "document_problem"]
