"""doccano sequence-labelling JSONL: ``{"text": ..., "label": [[start, end, "LABEL"], ...], ...}``.

Export: one object per document — ``text``, ``label`` (sorted by start), then ``doc_id``,
``title`` and ``status``, then the document's meta flattened at the top level as doccano does
(a meta key that would clash with one of those goes under ``"meta"`` instead, so nothing is
lost). Offsets are code points, like the project's; ``offsets="utf16"`` counts UTF-16 code
units, as doccano itself does unless told to count graphemes.

Import: the spans come from ``label`` (``[[start, end, label]]``), or older exports' ``labels``,
or ``entities`` — either ``[[start, end, label]]`` or relation projects'
``[{"id", "start_offset", "end_offset", "label"}]``. ``text`` is required; ``title`` becomes the
title; ``status`` (written by this export) sets the status, and a document without one comes in
**done** (doccano's export is the finished annotation); every other key goes into ``meta``
(``doc_id`` is the old project's id and is dropped). Lines are split on ``\\n`` only.
"""
from __future__ import annotations

from typing import BinaryIO, Iterator

from models.document import DONE, STATUSES, Document
from models.formats.annotated import clean_spans
from models.formats.errors import ImportProblem
from models.formats.jsonl import json_lines, json_object
from models.formats.offsets import OffsetError, Utf16
from models.formats.records import short, unexpected
from models.spans import Span

OFFSETS = ("codepoints", "utf16")
SPAN_KEYS = ("label", "labels", "entities")
OWN_KEYS = ("text", *SPAN_KEYS, "doc_id", "title", "status", "meta")


def record(doc: Document, spans: list[Span], offsets: str = "codepoints") -> dict:
    """The doccano object of one document."""
    if offsets not in OFFSETS:
        raise ValueError(f"offsets must be one of {', '.join(OFFSETS)}, not {offsets!r}")
    conv = Utf16(doc.text).to_utf16 if offsets == "utf16" else (lambda i: i)
    out: dict = {"text": doc.text,
                 "label": [[conv(s.start), conv(s.end), s.label] for s in sorted(spans)],
                 "doc_id": doc.id, "title": doc.title, "status": doc.status}
    clash = {}
    for key, value in doc.meta.items():
        if key in OWN_KEYS:
            clash[key] = value
        else:
            out[key] = value
    if clash:
        out["meta"] = clash
    return out


def iter_doccano(f: BinaryIO, file: str, source: str | None = None, offsets: str = "codepoints",
                 encoding: str | None = None) -> Iterator[dict | ImportProblem]:
    """Stream a doccano JSONL file: one document (or problem) per line (``encoding``: for the
    lines that are not UTF-8, as for JSONL)."""
    if offsets not in OFFSETS:
        raise ValueError(f"offsets must be one of {', '.join(OFFSETS)}, not {offsets!r}")
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
                 offsets: str = "codepoints") -> tuple[dict | None, list[ImportProblem]]:
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
