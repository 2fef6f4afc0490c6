"""JSONL in the form Prodigy and spaCy users expect (one task per line).

Import: each line an object with ``text`` (required), optional ``title``, ``meta``, ``spans``
(``start``/``end``/``label``, code points) and ``answer`` (``accept`` marks it done; otherwise
a ``meta.status`` of new / in progress / skipped, as ``export --all`` writes, is kept). A task
with ``"answer": "reject"`` is a rejected model suggestion (Prodigy's binary feedback, and what
``export --include-rejected`` writes): its spans are recorded as rejected on the document with
the same text, never as annotations.
The export side (tasks with tokens and hashes) is ``models/formats/prodigy.py``.
"""
from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

from models.document import DONE, IN_PROGRESS, NEW, SKIPPED
from models.formats.annotated import drop_overlapping, is_offset, overlap_message
from models.formats.entities import entity_ids, entity_line, looks_like_entity
from models.formats.errors import (HEAD, ImportProblem, codec_name, collect, detect, not_utf8,
                                   open_and_read, sniff, utf8_first)
from models.formats.files import MAX_TEXT_BYTES
from models.formats.records import MAX_DEPTH, lone_surrogate_escape, short, unexpected, unstorable
from models.labels import label_name_problem
from models.spans import Span, SpanError, validate

REJECTED_SOURCE = "imported"        # the source of a rejected span whose task names none
DOCCANO_HINT = "looks like doccano"
# A line longer than this is skipped without being held: its text could not be stored anyway.
MAX_LINE_BYTES = MAX_TEXT_BYTES


def read_jsonl(path: str | Path, labels: Iterable[str] | None = None) -> tuple[list[dict], list[ImportProblem]]:
    """Documents of a JSONL file and the problems found (bad lines are skipped, the rest kept)."""
    return collect(open_and_read(path, iter_jsonl))


def iter_jsonl(f: BinaryIO, file: str, source: str | None = None,
               encoding: str | None = None) -> Iterator[dict | ImportProblem]:
    """Stream a JSONL file: one document (or one problem) per line, never the whole file at once.

    Lines are split on the byte ``0x0A`` only: U+2028/U+2029 may stand unescaped inside JSON
    strings. A line that is not UTF-8 is rejected on its own; the lines around it are still read.
    """
    hinted = False
    for item in json_lines(f, file, encoding):
        if isinstance(item, ImportProblem):
            yield item
            continue
        lineno, line = item
        try:
            doc, problems = parse_line(line, file, lineno)
        except Exception as e:          # a defect met on one line: that line, named, not the import
            doc, problems = None, [ImportProblem(file, lineno, unexpected(e))]
        for p in problems:
            if p.message.startswith(DOCCANO_HINT):
                if hinted:
                    continue            # said once per file
                hinted = True
            yield p
        if doc is not None:
            yield doc


def json_lines(f: BinaryIO, file: str, encoding: str | None = None) -> Iterator[tuple[int, str] | ImportProblem]:
    """(line number, decoded line) of every non-blank line, or the problem with a line.

    Lines are split on ``\\n`` only (U+2028/U+2029 may stand unescaped inside JSON strings);
    a BOM on line 1 is dropped. UTF-8 unless ``encoding`` says otherwise: a line that is not
    UTF-8 is a problem on its own (the first one says which encoding the file looks like);
    with ``encoding``, a byte that does not fit it stops the file there.
    """
    head = f.read(HEAD)
    problem = sniff(head, file, encoding)
    if problem:
        yield problem
        return
    f.seek(0)
    if encoding and not utf8_first(encoding):
        yield from _lines_in(f, file, encoding)
        return
    seen = False
    offset = 0
    hinted = False
    for lineno, raw in enumerate(raw_lines(f), 1):
        if isinstance(raw, int):            # a line too long to hold: skipped, not read
            offset += raw
            seen = True
            yield ImportProblem(file, lineno, too_long(raw))
            continue
        at, offset = offset, offset + len(raw)
        if not raw.strip():
            continue
        seen = True
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            if encoding:            # a line that is not UTF-8: the encoding the user named
                try:
                    line = raw.decode(codec_name(encoding))
                except UnicodeDecodeError as e2:
                    yield ImportProblem(file, lineno, f"cannot be read as {encoding} (byte "
                                        f"0x{raw[e2.start]:02x} at offset {at + e2.start})")
                    continue
                yield lineno, line
                continue
            # Only the first bad line names the encoding (and what to do): one line in another
            # encoding among UTF-8 ones is a damaged line, not a file to read again.
            guess = None if hinted else detect(head + b"\n" + raw)
            # (The window asks instead: reading the file again in that encoding only reads
            # the lines that are not UTF-8 in it; the others are the same texts again.)
            yield ImportProblem(file, lineno, not_utf8(raw[e.start], at + e.start, None, guess,
                                                       hint=not hinted), encoding=guess)
            hinted = True
            continue
        yield lineno, line.removeprefix("\ufeff") if lineno == 1 else line
    if not seen:
        yield ImportProblem(file, None, "file is empty")


def raw_lines(f: BinaryIO, limit: int | None = None) -> Iterator[bytes | int]:
    """The lines of a binary file (split on ``\\n``), or for a line longer than ``limit`` bytes
    (default ``MAX_LINE_BYTES``) its length in bytes: such a line is skipped a megabyte at a
    time, never held in memory (a 10 GB file without a line break is not a JSONL file)."""
    limit = MAX_LINE_BYTES if limit is None else limit
    while raw := f.readline(limit + 1):
        if len(raw) <= limit or raw.endswith(b"\n"):
            yield raw
            continue
        size = len(raw)
        while chunk := f.readline(1 << 20):
            size += len(chunk)
            if chunk.endswith(b"\n"):
                break
        yield size


def too_long(size: int, unit: str = "bytes") -> str:
    return (f"line is {size:,} {unit} long, more than a project can hold as one text "
            f"({MAX_LINE_BYTES:,} bytes); skipped")


def _text_lines(text: io.TextIOWrapper) -> Iterator[str | int]:
    """``raw_lines`` for a decoded stream (``--encoding utf-16``): lines, or the length in
    characters of one too long to hold."""
    limit = MAX_LINE_BYTES // 4 if MAX_LINE_BYTES > 4 else MAX_LINE_BYTES
    while line := text.readline(limit + 1):
        if len(line) <= limit or line.endswith("\n"):
            yield line
            continue
        size = len(line)
        while chunk := text.readline(1 << 20):
            size += len(chunk)
            if chunk.endswith("\n"):
                break
        yield size


def _lines_in(f: BinaryIO, file: str, encoding: str) -> Iterator[tuple[int, str] | ImportProblem]:
    """The lines of a JSONL file in ``encoding`` (split on \\n only)."""
    text = io.TextIOWrapper(f, encoding=codec_name(encoding), newline="\n")
    seen = False
    lineno = 0
    try:
        for lineno, line in enumerate(_text_lines(text), 1):
            if isinstance(line, int):
                seen = True
                yield ImportProblem(file, lineno, too_long(line, "characters"))
                continue
            if lineno == 1:
                line = line.removeprefix("\ufeff")
            if line.strip():
                seen = True
                yield lineno, line
    except UnicodeDecodeError as e:
        yield ImportProblem(file, lineno + 1, f"cannot be read as {encoding} (byte "
                            f"0x{e.object[e.start]:02x} in or after this line); the rest of "
                            "the file was not read")
        return
    finally:
        text.detach()            # the caller owns (and closes) the binary file
    if not seen:
        yield ImportProblem(file, None, "file is empty")


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def json_object(line: str) -> tuple[dict | None, str | None]:
    """The JSON object of one line that has a 'text' field, or why not.

    Every JSON reader (JSONL, doccano) goes through here: what Python's ``json`` reads but a
    project cannot hold is refused for the whole line — NaN/Infinity, a number past Python's
    digit limit, nesting past the recursion limit, and a lone surrogate anywhere (a value, a key,
    a field this app ignores; looked for only in a line that escapes a lone ``\\uD800``-``\\uDFFF``,
    the one way JSON text can hold one). What is stored is checked again, whatever the reader
    (``records.document_problem``), nesting included."""
    try:
        obj = json.loads(line, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        msg = e.msg.removesuffix(" at")         # "Invalid control character at"
        return None, f"not valid JSON ({msg[:1].lower()}{msg[1:]} at column {e.colno})"
    except RecursionError:
        return None, f"not read: nested too deeply (more than {MAX_DEPTH} levels of [ and {{)"
    except ValueError as e:
        if "digits" in str(e):          # "Exceeds the limit (4300 digits) for integer string…"
            return None, (f"not read: a number of more than {sys.get_int_max_str_digits():,} "
                          "digits (Python's limit)")
        return None, f"not valid JSON ({e})"
    if not isinstance(obj, dict):
        return None, f"expected a JSON object, found {type(obj).__name__}"
    if "text" not in obj and not looks_like_entity(obj):     # an entity: models.formats.entities
        return None, "no 'text' field"
    if lone_surrogate_escape(line):
        why = unstorable(obj)
        if why:
            return None, f"not storable: {why}"
    return obj, None


def parse_line(line: str, file: str, lineno: int) -> tuple[dict | None, list[ImportProblem]]:
    """The document of one JSONL line (None if it is rejected) and the problems found in it."""
    problems: list[ImportProblem] = []

    def bad(msg: str, rejected: bool = True) -> tuple[None, list[ImportProblem]]:
        problems.append(ImportProblem(file, lineno, msg, rejected))
        return None, problems
    obj, error = json_object(line)
    if error:
        return bad(error)
    if looks_like_entity(obj):                  # a line of an entities export
        item, why = entity_line(obj, file, lineno)
        return item, [why] if why else []
    text = obj["text"]
    if not isinstance(text, str) or not text:
        return bad("'text' must be a non-empty string")
    meta = obj.get("meta")
    if meta is not None and not isinstance(meta, dict):
        bad(f"'meta' must be an object, found {type(meta).__name__} {short(meta)}; meta left out",
            False)
    if not isinstance(meta, dict):
        meta = {}
    title = obj.get("title") or meta.get("title") or ""
    if not isinstance(title, str):
        bad(f"'title' must be a string, found {type(title).__name__} {short(title)}; title left out",
            False)
        title = ""
    answer = obj.get("answer")
    if answer is not None and answer not in ("accept", "reject", "ignore"):
        bad(f"'answer' must be accept, reject or ignore, found {short(answer)}; read as no answer",
            False)
    reject = answer == "reject"
    spans = []
    if "spans" not in obj and any(isinstance(obj.get(k), list) and obj[k] and
                                  isinstance(obj[k][0], (list, dict))
                                  for k in ("label", "labels", "entities")):
        problems.append(ImportProblem(file, lineno, f"{DOCCANO_HINT} ('label'/'labels'/'entities' "
                                      "and no 'spans'): its entities were not read; import it with "
                                      "--format doccano (which reads doccano's UTF-16 offsets; add "
                                      "--offsets codepoints if another tool counted code points)",
                                      False))
    raw_spans = obj.get("spans") or []
    if not isinstance(raw_spans, list):
        bad(f"'spans' must be a list, found {type(raw_spans).__name__}; spans dropped", False)
        raw_spans = []
    for k, raw in enumerate(raw_spans):
        try:
            source = "manual"
            if (not reject and obj.get("answer") != "accept" and isinstance(raw, dict)
                    and meta.get("status") in (NEW, IN_PROGRESS, SKIPPED)):
                # A suggestion nobody reviewed, as this app's export --all writes it (the
                # document's status in meta, the span's model as "source"); other tools'
                # pre-annotated tasks stay the annotator's spans, as before.
                given = raw.get("source")
                if isinstance(given, str) and given and given != "manual":
                    source = given
            if reject:
                source = raw.get("source") if isinstance(raw, dict) else None
                if not isinstance(source, str) or not source or source == "manual":
                    source = REJECTED_SOURCE
            span = Span(raw["start"], raw["end"], raw["label"], source)
            if not is_offset(span.start) or not is_offset(span.end):
                raise SpanError(f"offsets must be integers, got {short(span.start)}, {short(span.end)}")
            if not (-len(text) <= span.start <= len(text) and -len(text) <= span.end <= len(text)):
                raise SpanError(f"span {short(span.start)}-{short(span.end)} is empty, inverted or "
                                f"outside the text (length {len(text)})")
            why = label_name_problem(span.label)
            if why:         # a label the label set would refuse must not reach the store
                raise SpanError(why)
            validate(span, text)
            spans.append(span)
        except (KeyError, TypeError, SpanError) as e:
            bad(f"span {k + 1} skipped: {e if isinstance(e, SpanError) else 'needs start, end and label'}",
                False)
    if reject:
        # Suggestions rejected one by one may overlap each other; they are no annotation.
        return ({"text": text, "title": str(title), "meta": meta, "spans": [], "rejected": sorted(spans),
                 "reject": True, "line": lineno}, problems)
    if spans:
        spans, groups = drop_overlapping(spans)
        for group in groups:
            bad(overlap_message(group), False)
    kb = entity_ids([(r["start"], r["end"], r["label"], r["kb_id"]) for r in raw_spans
                     if isinstance(r, dict) and "kb_id" in r and {"start", "end", "label"} <= r.keys()],
                    spans, file, lineno, "", problems)
    who = _annotator(meta.get("annotator"), obj.get("_annotator_id"))
    return ({"text": text, "title": str(title), "meta": meta, "spans": spans,
             "status": _status(obj.get("answer"), meta.get("status")), "line": lineno,
             **({"kb": kb} if kb else {}), **({"annotator": who} if who else {})}, problems)


def _annotator(ours, prodigys) -> str | None:
    """Who annotated a task: the name our export put in ``meta``, else Prodigy's
    ``_annotator_id`` ("dataset-session") as it stands; None when neither is a valid name."""
    from models.team import name_problem
    for name in (ours, prodigys):
        if isinstance(name, str) and name_problem(name) is None:
            return name
    return None


def _status(answer, status) -> str | None:
    """``accept`` is done; otherwise the status our own export put in ``meta`` (``--all`` writes
    unfinished documents as ``"ignore"`` with their status), else new."""
    if answer == "accept":
        return DONE
    if answer in (None, "ignore") and status in (NEW, IN_PROGRESS, SKIPPED):
        return status
    return None
