"""Export in the form Prodigy and spaCy users expect, one NER task per line: ``text``,
``tokens``, ``spans`` (with inclusive ``token_end``), ``meta``, ``answer``, ``_input_hash``,
``_task_hash``. (Reading such files back is ``models/formats/jsonl.py``.)
"""
from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from typing import IO, Callable, Iterable

import murmurhash

from models.display import shown
from models.document import DONE, Document
from models.ner import token_offsets
from models.spans import Span


class InvalidTask(ValueError):
    """A span that cannot make a valid task (outside its text, or off every token): the export
    stops rather than write ``token_end: null`` or a span past the end."""


def _check(doc: Document, span: Span, what: str = "") -> None:
    title = f" ({doc.title[:40]!r})" if doc.title else ""
    raise InvalidTask(f"document {doc.id}{title}: span {span.start}-{span.end} "
                      f"{shown(span.label)} {what}")


def _checked(doc: Document, spans: list[Span]) -> None:
    n = len(doc.text)
    for s in spans:
        if not (type(s.start) is int and type(s.end) is int and 0 <= s.start < s.end <= n
                and isinstance(s.label, str) and s.label):
            _check(doc, s, f"is empty, inverted or outside its text ({n} characters)")


def _hash(obj: dict) -> int:
    return murmurhash.hash(json.dumps(obj, sort_keys=True, ensure_ascii=False))


def _hashes(text_json: str, out_spans: list[dict]) -> tuple[int, int]:
    """``_input_hash`` and ``_task_hash``: ``_hash({"text": text})`` and ``_hash({"text": text,
    "spans": spans})``, from the text encoded once (the text is most of every line)."""
    spans_json = json.dumps(out_spans, sort_keys=True, ensure_ascii=False)
    return (murmurhash.hash('{"text": ' + text_json + "}"),
            murmurhash.hash('{"spans": ' + spans_json + ', "text": ' + text_json + "}"))


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


def to_task(doc: Document, spans: list[Span], tokenizer=None, tokens: bool = True,
            kb: dict[int, str] | None = None) -> dict:
    """One Prodigy-style NER task. Tokens are split where a span boundary falls inside one.

    Without ``tokens`` the task has no ``tokens`` and its spans no token indices: character
    offsets only (what ``spacy`` and Prodigy's training read; a tenth of the size).
    ``kb``: entity id -> the ``kb_id`` a span naming it carries (``models.entities.kb_key``)."""
    return _task_and_text(doc, spans, tokenizer, tokens, kb)[0]


def _task_and_text(doc: Document, spans: list[Span], tokenizer=None,
                   tokens: bool = True, kb: dict[int, str] | None = None) -> tuple[dict, str]:
    """The task and its text encoded as JSON (once: for both hashes and the line)."""
    text = doc.text
    _checked(doc, spans)
    if not tokens:
        out_spans = [_suggested({"start": s.start, "end": s.end, "label": s.label}, s, doc, kb)
                     for s in spans]
        return _task(doc, None, out_spans)
    n = len(text)
    cuts = [c for s in spans for c in (s.start, s.end)]
    toks = _split_tokens(_gap_tokens(token_offsets(text, tokenizer), n, spans), cuts)
    nexts = [t[0] for t in toks[1:]] + [n]
    token_list = [{"text": text[s:e], "start": s, "end": e, "id": i,
                   "ws": nxt > e and text[e:e + 1] == " "}
                  for i, ((s, e), nxt) in enumerate(zip(toks, nexts))]
    starts, ends = [t[0] for t in toks], [t[1] for t in toks]

    def index(bounds: list[int], x: int) -> int | None:
        i = bisect_left(bounds, x)
        return i if i < len(bounds) and bounds[i] == x else None
    out_spans = [_suggested({"start": s.start, "end": s.end, "label": s.label,
                             "token_start": index(starts, s.start), "token_end": index(ends, s.end)},
                            s, doc, kb)
                 for s in spans]
    for s, out in zip(spans, out_spans):
        if out["token_start"] is None or out["token_end"] is None:      # never: tokens are cut
            _check(doc, s, "does not begin and end on tokens")          # at every span's edges
    return _task(doc, token_list, out_spans)


def _suggested(out: dict, span: Span, doc: Document, kb: dict[int, str] | None = None) -> dict:
    """A model suggestion nobody reviewed on a document not done (``--all``) keeps its model as
    ``source``, as Prodigy's spans do; imported back it is a suggestion again, not yours. (On
    a done document every span is an accepted annotation.)"""
    if not span.is_manual and doc.status != DONE:
        out["source"] = span.source
    if span.entity and kb:              # the entity it names, as Prodigy's spans say it
        out["kb_id"] = kb[span.entity]
    return out


def _task(doc: Document, token_list: list[dict] | None, out_spans: list[dict]) -> tuple[dict, str]:
    text = doc.text
    text_json = json.dumps(text, ensure_ascii=False)
    input_hash, task_hash = _hashes(text_json, out_spans)
    meta = {**doc.meta, "doc_id": doc.id, "title": doc.title, "status": doc.status}
    if doc.annotator:                   # read back by our import (``_annotator_id`` is Prodigy's)
        meta["annotator"] = doc.annotator
    task = {"text": text, "meta": meta, "_input_hash": input_hash}
    if token_list is not None:
        task["tokens"] = token_list
    task["spans"] = out_spans
    # Only a finished document is an accepted annotation; anything else exported with --all is
    # marked "ignore" so training never takes unfinished work for truth.
    task["answer"] = "accept" if doc.status == DONE else "ignore"
    task["_task_hash"] = task_hash
    return task, text_json


def _line(task: dict, text_json: str) -> str:
    """``json.dumps(task, ensure_ascii=False)`` with the text already encoded ("text" first)."""
    rest = json.dumps({k: v for k, v in task.items() if k != "text"}, ensure_ascii=False)
    return '{"text": ' + text_json + ", " + rest[1:] + "\n"


def reject_task(doc: Document, span: Span, tokenizer=None, tokens: bool = True) -> dict:
    """A rejected model suggestion as a Prodigy binary task: the one span (with the model that
    suggested it as its ``source``, as Prodigy's ``ner.teach`` writes) and ``"answer": "reject"``."""
    task = to_task(doc, [span], tokenizer, tokens)
    task["spans"][0]["source"] = span.source
    task["answer"] = "reject"
    return task


def write_jsonl(items: Iterable[tuple[Document, list[Span]]], out: IO[str], tokenizer=None,
                rejected: Callable[[int], list[Span]] | None = None, tokens: bool = True,
                kb: dict[int, str] | None = None, dataset: str = "") -> int:
    """One task per document; with ``rejected(doc_id)``, a reject task after it for each
    suggestion a person rejected on it. Returns the number of documents written. A document
    someone changed by hand says who as a named Prodigy session does: ``_annotator_id`` and
    ``_session_id`` ``"DATASET-NAME"`` (``dataset``: the project's name)."""
    n = 0
    for doc, spans in items:
        task, text_json = _task_and_text(doc, spans, tokenizer, tokens, kb)
        if doc.annotator:
            task["_annotator_id"] = task["_session_id"] = \
                f"{dataset}-{doc.annotator}" if dataset else doc.annotator
        out.write(_line(task, text_json))
        if rejected is not None:
            for span in rejected(doc.id):
                out.write(json.dumps(reject_task(doc, span, tokenizer, tokens),
                                     ensure_ascii=False) + "\n")
        n += 1
    return n
