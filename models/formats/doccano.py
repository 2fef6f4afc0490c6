"""doccano sequence-labelling JSONL: ``{"text": ..., "label": [[start, end, "LABEL"], ...], ...}``.

Offsets count **UTF-16 code units** by default, in both directions: that is doccano's own
counting (its browser side is JavaScript), so a file made by doccano or for it lines up.
``offsets="codepoints"`` (``--offsets codepoints``) reads or writes Python ``str`` indices, as
the project keeps them, for files other tools made that way. The two differ only where a
character outside the Basic Multilingual Plane (an emoji, a flag, 𠮷) stands before a span.

Export: one object per document with the same six keys on every line, never ``null``:
``text``, ``label`` (sorted by start), ``doc_id``, ``title``, ``status`` and ``meta`` (the
document's metadata, ``{}`` when it has none). doccano reads each upload batch into a pandas
``DataFrame`` and stores every column but ``text`` and ``label`` as the example's ``meta``: a
key present on some lines and absent on others becomes NaN there, which doccano's database
refuses (``CHECK constraint failed: JSON_VALID("meta")``) — so the varying metadata is nested
under one object instead of spread over the top level.

Import: the spans come from ``label`` (``[[start, end, label]]``), or older exports' ``labels``,
or ``entities`` — either ``[[start, end, label]]`` or relation projects'
``[{"id", "start_offset", "end_offset", "label"}]``. ``text`` is required; ``title`` becomes the
title; ``status`` (written by this export) sets the status, and a document without one comes in
**done** (doccano's export is the finished annotation); ``meta`` (an object) is the metadata, and
every other key joins it (doccano's own export spreads the metadata over the top level;
``doc_id`` is the old project's id and is dropped). Lines are split on ``\\n`` only.

An import warns when the offsets, read in the unit chosen, select text that begins or ends with
whitespace or cuts a character (a surrogate pair, a flag, an accent) and read in the other unit
would not: the file was most likely made counting the other way (``"Xi Jinping"`` read as
``"i Jinping "``). The spans are imported as read; the warning says which option to use.
"""
from __future__ import annotations

from typing import BinaryIO, Iterator

from models.document import DONE, STATUSES, Document
from models.formats.annotated import clean_spans
from models.formats.errors import ImportProblem
from models.formats.jsonl import json_lines, json_object
from models.formats.offsets import OffsetError, Utf16
from models.formats.records import short, unexpected
from models.graphemes import is_boundary
from models.spans import Span

OFFSETS = ("codepoints", "utf16")
DEFAULT_OFFSETS = "utf16"           # doccano's own counting
SPAN_KEYS = ("label", "labels", "entities")
OWN_KEYS = ("text", *SPAN_KEYS, "doc_id", "title", "status", "meta")
RECORD_KEYS = ("text", "label", "doc_id", "title", "status", "meta")    # every exported line's


def _offsets(offsets: str | None) -> str:
    if offsets is None:
        return DEFAULT_OFFSETS
    if offsets not in OFFSETS:
        raise ValueError(f"offsets must be one of {', '.join(OFFSETS)}, not {offsets!r}")
    return offsets


def record(doc: Document, spans: list[Span], offsets: str | None = None) -> dict:
    """The doccano object of one document: the keys of ``RECORD_KEYS``, none of them null."""
    conv = Utf16(doc.text).to_utf16 if _offsets(offsets) == "utf16" else (lambda i: i)
    return {"text": doc.text,
            "label": [[conv(s.start), conv(s.end), s.label] for s in sorted(spans)],
            "doc_id": doc.id, "title": doc.title or "", "status": doc.status,
            "meta": dict(doc.meta or {})}


def iter_doccano(f: BinaryIO, file: str, source: str | None = None, offsets: str | None = None,
                 encoding: str | None = None) -> Iterator[dict | ImportProblem]:
    """Stream a doccano JSONL file: one document (or problem) per line (``encoding``: for the
    lines that are not UTF-8, as for JSONL; ``offsets``: default UTF-16 units)."""
    offsets = _offsets(offsets)
    for item in json_lines(f, file, encoding):
        if isinstance(item, ImportProblem):
            yield item
            continue
        lineno, line = item
        try:
            doc, problems = parse_record(line, file, lineno, offsets)
        except Exception as e:          # a defect met on one line: that line, named, not the import
            doc, problems = None, [ImportProblem(file, lineno, unexpected(e))]
        yield from problems
        if doc is not None:
            yield doc


def _label(label) -> str:
    return label if isinstance(label, str) else short(label)


def _raw_spans(obj: dict, file: str, lineno: int, problems: list[ImportProblem]) -> list[tuple]:
    """(name, start, end, label) of every span the object lists, unchecked."""
    present = [k for k in SPAN_KEYS if k in obj and obj[k] not in (None, [])]
    if not present:
        return []
    key = present[0]
    for other in present[1:]:
        problems.append(ImportProblem(file, lineno, f"both {key!r} and {other!r} hold spans; "
                                      f"{other!r} ignored", False))
    items = obj[key]
    if not isinstance(items, list):
        problems.append(ImportProblem(file, lineno, f"{key!r} must be a list, found "
                                      f"{type(items).__name__}; spans dropped", False))
        return []
    if all(isinstance(x, str) for x in items):
        problems.append(ImportProblem(file, lineno, f"{key!r} is a list of categories (a text "
                                      "classification project), not spans; ignored", False))
        return []
    out = []
    for k, item in enumerate(items, 1):
        name = f"span {k}"
        if isinstance(item, (list, tuple)) and len(item) == 3:
            out.append((name, *item))
        elif isinstance(item, dict) and {"start_offset", "end_offset", "label"} <= item.keys():
            out.append((name, item["start_offset"], item["end_offset"], item["label"]))
        else:
            problems.append(ImportProblem(file, lineno, f"{name} skipped: expected [start, end, "
                                          "label] or {start_offset, end_offset, label}, found "
                                          f"{short(item)}", False))
    return out


def parse_record(line: str, file: str, lineno: int,
                 offsets: str | None = None) -> tuple[dict | None, list[ImportProblem]]:
    offsets = _offsets(offsets)
    problems: list[ImportProblem] = []

    def bad(msg: str) -> tuple[None, list[ImportProblem]]:
        problems.append(ImportProblem(file, lineno, msg))
        return None, problems
    obj, error = json_object(line)
    if error:
        return bad(error)
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return bad("'text' must be a non-empty string")
    raw = _raw_spans(obj, file, lineno, problems)
    if raw:
        hint = other_unit_hint(text, raw, offsets)
        if hint:
            problems.append(ImportProblem(file, lineno, hint, False))
    if offsets == "utf16" and raw:
        conv, converted = Utf16(text), []
        for name, start, end, label in raw:
            try:
                if isinstance(start, int) and isinstance(end, int) and not isinstance(start, bool) \
                        and not isinstance(end, bool) and 0 <= start <= end <= conv.length16:
                    start, end = conv.from_utf16(start), conv.from_utf16(end)
                converted.append((name, start, end, label))
            except OffsetError as e:
                problems.append(ImportProblem(file, lineno, f"{name} ({start}-{end} {_label(label)}, "
                                              f"UTF-16) skipped: {e}", False))
        raw = converted
    spans, found = clean_spans(raw, text, file, lineno)
    problems += found
    meta = {k: v for k, v in obj.items() if k not in OWN_KEYS}
    nested = obj.get("meta")
    if isinstance(nested, dict):
        meta.update(nested)
    elif nested is not None:
        meta["meta"] = nested
    title = obj.get("title")
    status = obj.get("status")
    return ({"text": text, "title": title if isinstance(title, str) else "", "meta": meta,
             "spans": spans, "status": status if status in STATUSES else DONE,
             "line": lineno, "file": file}, problems)


# -- which unit a file's offsets count -------------------------------------------------------------

def _odd(text: str, start: int, end: int) -> bool:
    """Whether [start, end) in code points is a span no annotator made: empty or outside the
    text, edged with whitespace, or cutting a character (a grapheme cluster) in two."""
    if not 0 <= start < end <= len(text):
        return True
    return (text[start].isspace() or text[end - 1].isspace()
            or not is_boundary(text, start) or not is_boundary(text, end))


def _read(conv: Utf16, unit: str, start: int, end: int) -> tuple[int, int] | None:
    if unit == "codepoints":
        return start, end
    if not 0 <= start <= end <= conv.length16:
        return None
    try:
        return conv.from_utf16(start), conv.from_utf16(end)
    except OffsetError:
        return None                     # half a surrogate pair: odd whatever it selects


def other_unit_hint(text: str, raw: list[tuple], offsets: str) -> str | None:
    """The warning for a document whose spans, read in ``offsets``, select odd text (``_odd``)
    that read in the other unit they would not; None when the reading is as good as the other
    (always, for a text with no character outside the BMP: both units are the same there)."""
    conv = Utf16(text)
    if not conv.astral:
        return None
    other = "codepoints" if offsets == "utf16" else "utf16"
    odd_here = odd_there = 0
    example = None
    for _name, start, end, _label in raw:
        if not (type(start) is int and type(end) is int):
            continue
        here, there = _read(conv, offsets, start, end), _read(conv, other, start, end)
        bad_here = here is None or _odd(text, *here)
        bad_there = there is None or _odd(text, *there)
        odd_here += bad_here
        odd_there += bad_there
        if bad_here and not bad_there and example is None:
            example = (start, end, here, there)
    if example is None or odd_here <= odd_there:
        return None
    start, end, here, there = example
    unit = {"utf16": "UTF-16 units", "codepoints": "code points"}
    seen = repr(text[here[0]:here[1]]) if here else "half a character"
    return (f"{odd_here} span{'s' if odd_here > 1 else ''} read as {unit[offsets]} select text "
            f"edged with whitespace or cutting a character (e.g. {start}-{end}: {short_text(seen)}, "
            f"read as {unit[other]} {short_text(repr(text[there[0]:there[1]]))}), and read as "
            f"{unit[other]} {'none would' if not odd_there else f'only {odd_there} would'}: was "
            f"the file made counting {unit[other]}? If so, import it with --offsets {other}")


def short_text(quoted: str, longest: int = 40) -> str:
    return quoted if len(quoted) <= longest else quoted[:longest - 2] + "…" + quoted[-1]
