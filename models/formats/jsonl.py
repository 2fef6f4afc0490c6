"""JSONL in the form Prodigy and spaCy users expect (one task per line).

Import: each line an object with ``text`` (required), optional ``title``, ``meta``, ``spans``
(``start``/``end``/``label``, code points) and ``answer`` (``accept`` marks it done). A task
with ``"answer": "reject"`` is a rejected model suggestion (Prodigy's binary feedback, and what
``export --include-rejected`` writes): its spans are recorded as rejected on the document with
the same text, never as annotations.
Export: ``text``, ``tokens``, ``spans`` (with inclusive ``token_end``), ``meta``,
``answer``, ``_input_hash``, ``_task_hash``.
"""
from __future__ import annotations

import json
import re
from bisect import bisect_left, bisect_right
from pathlib import Path
from typing import IO, BinaryIO, Callable, Iterable, Iterator

import murmurhash

from models.document import DONE, Document
from models.formats.annotated import drop_overlapping, overlap_message
from models.formats.errors import HEAD, ImportProblem, collect, not_utf8, open_and_read, sniff
from models.ner import blank_tokenizer
from models.spans import Span, SpanError, validate


_LABEL = re.compile(r"^\S{1,100}$")
REJECTED_SOURCE = "imported"        # the source of a rejected span whose task names none
DOCCANO_HINT = "looks like doccano"


def read_jsonl(path: str | Path, labels: Iterable[str] | None = None) -> tuple[list[dict], list[ImportProblem]]:
    """Documents of a JSONL file and the problems found (bad lines are skipped, the rest kept)."""
    return collect(open_and_read(path, iter_jsonl))


def iter_jsonl(f: BinaryIO, file: str, source: str | None = None) -> Iterator[dict | ImportProblem]:
    """Stream a JSONL file: one document (or one problem) per line, never the whole file at once.

    Lines are split on the byte ``0x0A`` only: U+2028/U+2029 may stand unescaped inside JSON
    strings. A line that is not UTF-8 is rejected on its own; the lines around it are still read.
    """
    hinted = False
    for item in json_lines(f, file):
        if isinstance(item, ImportProblem):
            yield item
            continue
        lineno, line = item
        doc, problems = parse_line(line, file, lineno)
        for p in problems:
            if p.message.startswith(DOCCANO_HINT):
                if hinted:
                    continue            # said once per file
                hinted = True
            yield p
        if doc is not None:
            yield doc


def json_lines(f: BinaryIO, file: str) -> Iterator[tuple[int, str] | ImportProblem]:
    """(line number, decoded line) of every non-blank line, or the problem with a line.

    Lines are split on the byte 0x0A only (U+2028/U+2029 may stand unescaped inside JSON
    strings); a line that is not UTF-8 is a problem on its own; a BOM on line 1 is dropped.
    """
    head = f.read(HEAD)
    problem = sniff(head, file)
    if problem:
        yield problem
        return
    f.seek(0)
    seen = False
    offset = 0
    for lineno, raw in enumerate(f, 1):
        at, offset = offset, offset + len(raw)
        if not raw.strip():
            continue
        seen = True
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            yield ImportProblem(file, lineno, not_utf8(raw[e.start], at + e.start))
            continue
        yield lineno, line.removeprefix("\ufeff") if lineno == 1 else line
    if not seen:
        yield ImportProblem(file, None, "file is empty")


def json_object(line: str) -> tuple[dict | None, str | None]:
    """The JSON object of one line that has a 'text' field, or why not."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        return None, f"not valid JSON ({e.msg} at column {e.colno})"
    if not isinstance(obj, dict):
        return None, f"expected a JSON object, found {type(obj).__name__}"
    if "text" not in obj:
        return None, "no 'text' field"
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
    text = obj["text"]
    if not isinstance(text, str) or not text:
        return bad("'text' must be a non-empty string")
    meta = obj.get("meta")
    if not isinstance(meta, dict):
        meta = {}
    title = obj.get("title") or meta.get("title") or ""
    reject = obj.get("answer") == "reject"
    spans = []
    if "spans" not in obj and any(isinstance(obj.get(k), list) and obj[k] and
                                  isinstance(obj[k][0], (list, dict))
                                  for k in ("label", "labels", "entities")):
        problems.append(ImportProblem(file, lineno, f"{DOCCANO_HINT} ('label'/'labels'/'entities' "
                                      "and no 'spans'): its entities were not read; import it with "
                                      "--format doccano (and --offsets utf16 if doccano made it)",
                                      False))
    raw_spans = obj.get("spans") or []
    if not isinstance(raw_spans, list):
        bad(f"'spans' must be a list, found {type(raw_spans).__name__}; spans dropped", False)
        raw_spans = []
    for k, raw in enumerate(raw_spans):
        try:
            source = "manual"
            if reject:
                source = raw.get("source") if isinstance(raw, dict) else None
                if not isinstance(source, str) or not source or source == "manual":
                    source = REJECTED_SOURCE
            span = Span(raw["start"], raw["end"], raw["label"], source)
            if isinstance(span.start, bool) or isinstance(span.end, bool):
                raise SpanError("offsets must be integers")
            if not isinstance(span.label, str) or not _LABEL.match(span.label):
                # A label the label set would refuse must not reach the store.
                raise SpanError(f"label {span.label!r} must be 1-100 characters without spaces")
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
    return ({"text": text, "title": str(title), "meta": meta, "spans": spans,
             "status": DONE if obj.get("answer") == "accept" else None, "line": lineno}, problems)


def _hash(obj: dict) -> int:
    return murmurhash.hash(json.dumps(obj, sort_keys=True, ensure_ascii=False))


def _gap_tokens(toks: list[tuple[int, int]], length: int, spans: list[Span]) -> list[tuple[int, int]]:
    """Give the space after a token (spaCy's ``whitespace_``, in no token) a token of its own
    where a span starts on it or ends after it, so that every span begins and ends on tokens.

    Looks up each span's edges (O(spans · log tokens)); the tokens are copied only if a gap
    token is needed."""
    if not spans or not toks:
        return toks
    starts = [t[0] for t in toks]
    gaps = set()
    for sp in spans:
        i = bisect_right(starts, sp.start) - 1          # a start in [e, next start) of token i
        if i >= 0 and sp.start >= toks[i][1]:
            gaps.add(i)
        i = bisect_left(starts, sp.end) - 1             # an end in (e, next start] of token i
        if i >= 0 and sp.end > toks[i][1]:
            gaps.add(i)
    if not gaps:
        return toks
    out, prev = [], 0
    for i in sorted(gaps):
        out += toks[prev:i + 1]
        out.append((toks[i][1], toks[i + 1][0] if i + 1 < len(toks) else length))
        prev = i + 1
    out += toks[prev:]
    return out


def _split_tokens(toks: list[tuple[int, int]], cuts: Iterable[int]) -> list[tuple[int, int]]:
    """``ner.split_at`` for a few cuts among many tokens: only the tokens a cut falls strictly
    inside are split (O(cuts · log tokens)); the list is copied only if one is."""
    if not toks:
        return toks
    starts = [t[0] for t in toks]
    inside: dict[int, set[int]] = {}
    for c in cuts:
        i = bisect_right(starts, c) - 1
        if i >= 0 and toks[i][0] < c < toks[i][1]:
            inside.setdefault(i, set()).add(c)
    if not inside:
        return toks
    out, prev = [], 0
    for i in sorted(inside):
        out += toks[prev:i]
        a = toks[i][0]
        for c in sorted(inside[i]):
            out.append((a, c))
            a = c
        out.append((a, toks[i][1]))
        prev = i + 1
    out += toks[prev:]
    return out


def _token_offsets(text: str, tokenizer=None) -> list[tuple[int, int]]:
    """(start, end) of every spaCy token, whitespace tokens included (``ner.tokenize(...,
    spaces=True)``, read as one array instead of token by token)."""
    from spacy.attrs import IDX, LENGTH         # spaCy is imported when first needed
    doc = (tokenizer or blank_tokenizer())(text)
    if not len(doc):
        return []
    return [(s, s + n) for s, n in doc.to_array([IDX, LENGTH]).tolist()]


def to_task(doc: Document, spans: list[Span], tokenizer=None) -> dict:
    """One Prodigy-style NER task. Tokens are split where a span boundary falls inside one."""
    text = doc.text
    n = len(text)
    cuts = [c for s in spans for c in (s.start, s.end)]
    toks = _split_tokens(_gap_tokens(_token_offsets(text, tokenizer), n, spans), cuts)
    nexts = [t[0] for t in toks[1:]] + [n]
    tokens = [{"text": text[s:e], "start": s, "end": e, "id": i,
               "ws": nxt > e and text[e:e + 1] == " "}
              for i, ((s, e), nxt) in enumerate(zip(toks, nexts))]
    starts, ends = [t[0] for t in toks], [t[1] for t in toks]

    def index(bounds: list[int], x: int) -> int | None:
        i = bisect_left(bounds, x)
        return i if i < len(bounds) and bounds[i] == x else None
    out_spans = [{"start": s.start, "end": s.end, "label": s.label,
                  "token_start": index(starts, s.start), "token_end": index(ends, s.end)}
                 for s in spans]
    meta = {**doc.meta, "doc_id": doc.id, "title": doc.title, "status": doc.status}
    task = {"text": text, "meta": meta, "_input_hash": _hash({"text": text}),
            "tokens": tokens, "spans": out_spans,
            # Only a finished document is an accepted annotation; anything else exported with
            # --all is marked "ignore" so training never takes unfinished work for truth.
            "answer": "accept" if doc.status == DONE else "ignore"}
    task["_task_hash"] = _hash({"text": text, "spans": out_spans})
    return task


def reject_task(doc: Document, span: Span, tokenizer=None) -> dict:
    """A rejected model suggestion as a Prodigy binary task: the one span (with the model that
    suggested it as its ``source``, as Prodigy's ``ner.teach`` writes) and ``"answer": "reject"``."""
    task = to_task(doc, [span], tokenizer)
    task["spans"][0]["source"] = span.source
    task["answer"] = "reject"
    return task


def write_jsonl(items: Iterable[tuple[Document, list[Span]]], out: IO[str], tokenizer=None,
                rejected: Callable[[int], list[Span]] | None = None) -> int:
    """One task per document; with ``rejected(doc_id)``, a reject task after it for each
    suggestion a person rejected on it. Returns the number of documents written."""
    n = 0
    for doc, spans in items:
        out.write(json.dumps(to_task(doc, spans, tokenizer), ensure_ascii=False) + "\n")
        if rejected is not None:
            for span in rejected(doc.id):
                out.write(json.dumps(reject_task(doc, span, tokenizer), ensure_ascii=False) + "\n")
        n += 1
    return n
