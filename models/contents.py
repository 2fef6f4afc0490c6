"""Rows read from a project file, checked before anyone uses them.

SQLite keeps whatever is written: a file altered by hand or by another program can hold a text
stored as a BLOB, a ``meta`` that is not JSON, a span past the end of its text or over
another, a label with no colour, an undo entry that is not an edit. Each such row is refused
here with a ``DamagedContent`` that names the document (id and title) and says what is wrong,
so the window and every export stop with that message instead of a traceback — and an export
never writes an invalid task. The checks are cheap (types and bounds of what was read anyway).
"""
from __future__ import annotations

import json
import re
import sqlite3
from contextlib import contextmanager
from itertools import repeat

import numpy as np

from models.display import shown
from models.formats.records import unstorable
from models.document import STATUSES, Document
from models.edits import Edit, edit_from_json
from models.labels import KEY_ORDER, Label, label_name_problem
from models.project_file import StoreError
from models.spans import Span

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


class DamagedContent(StoreError):
    """A row of the project file that does not hold what this app writes; nothing was used."""

    def __init__(self, message: str, doc_id: int | None = None):
        super().__init__(message)
        self.doc_id = doc_id


def _name(doc_id, title) -> str:
    if isinstance(title, str) and title:
        return f"document {doc_id} ({shown(title[:60])!s})"
    return f"document {doc_id}"


def _damaged(doc_id, title, what: str) -> DamagedContent:
    return DamagedContent(f"{_name(doc_id, title)} in the project file is damaged: {what} "
                          "(the file was altered outside article-annotator?); nothing of it "
                          "was used", doc_id)


@contextmanager
def decoding(doc_id: int | None):
    """Around reading rows: a stored text that Python cannot decode (bytes that are not UTF-8
    behind a TEXT type) is a ``DamagedContent``, not a bare ``OperationalError``."""
    try:
        yield
    except sqlite3.OperationalError as e:
        if getattr(e, "sqlite_errorcode", None) is not None:      # SQLite's own error
            raise
        which = f"document {doc_id}" if doc_id is not None else "a document"
        raise DamagedContent(f"{which} in the project file is damaged: its text or title is "
                             f"not UTF-8 ({e}); nothing of it was used", doc_id) from None


def _kind(value) -> str:
    return {bytes: "binary data (a BLOB)", int: "a number", float: "a number",
            type(None): "nothing (NULL)"}.get(type(value), type(value).__name__)


def document(row: tuple) -> Document:
    """A ``Document`` from (id, text, title, meta, status, text_hash[, length[, annotator]])."""
    doc_id, text, title, meta, status, text_hash, *length = row
    annotator = length[1] if len(length) > 1 and isinstance(length[1], str) else ""
    length = length[:1]
    if text is None:
        raise _damaged(doc_id, title, "it has no text (its row in the texts table is missing)")
    if not isinstance(text, str):
        raise _damaged(doc_id, title, f"its text is {_kind(text)}, not text")
    if not text:
        raise _damaged(doc_id, title, "its text is empty")
    if title is not None and not isinstance(title, str):
        raise _damaged(doc_id, None, f"its title is {_kind(title)}, not text")
    if length and length[0] != len(text):
        raise _damaged(doc_id, title, f"its recorded length {length[0]!r} is not its text's "
                       f"({len(text)} characters)")
    if status not in STATUSES:
        raise _damaged(doc_id, title, f"its status {shown(repr(status))[:40]} is none of "
                       f"{', '.join(STATUSES)}")
    if meta is None or meta == "":
        meta_value = {}
    elif not isinstance(meta, str):
        raise _damaged(doc_id, title, f"its meta is {_kind(meta)}, not JSON")
    else:
        try:
            meta_value = json.loads(meta)
        except (ValueError, RecursionError) as e:
            raise _damaged(doc_id, title, f"its meta is not JSON ({shown(e)})") from None
        if not isinstance(meta_value, dict):
            raise _damaged(doc_id, title, f"its meta is a JSON {type(meta_value).__name__}, "
                           "not an object")
        # What an import would refuse (NaN, a lone surrogate, deep nesting) cannot be exported
        why = unstorable(meta_value, "meta")
        if why:
            raise _damaged(doc_id, title, f"its {why}")
    return Document(doc_id, text, title or "", meta_value, status, text_hash or "", annotator)


def span(doc_id, title, length: int, row: tuple, what: str = "span",
         good_labels: set | None = None) -> Span:
    """A ``Span`` from (start, end, label, source[, entity]), checked against the document's
    length. ``good_labels``: names already found to be label names (each checked once per call)."""
    start, end, label, source = row[:4]
    entity = row[4] if len(row) > 4 else None
    if type(start) is not int or type(end) is not int:
        raise _damaged(doc_id, title, f"a {what} has offsets {shown(repr(start))[:30]}-"
                       f"{shown(repr(end))[:30]}, not whole numbers")
    if not 0 <= start < end <= length:
        raise _damaged(doc_id, title, f"{what} {start}-{end} is empty, inverted or past the end "
                       f"of its text ({length} characters)")
    if good_labels is None or label not in good_labels:
        if type(label) is not str or label_name_problem(label):
            raise _damaged(doc_id, title, f"{what} {start}-{end} has the label "
                           f"{shown(repr(label))[:60]}, which is not a label name")
        if good_labels is not None:
            good_labels.add(label)
    if type(source) is not str or not source:
        raise _damaged(doc_id, title, f"{what} {start}-{end} has the source "
                       f"{shown(repr(source))[:40]}, not a model name or 'manual'")
    if entity is not None and (type(entity) is not int or entity < 1):
        raise _damaged(doc_id, title, f"{what} {start}-{end} names the entity "
                       f"{shown(repr(entity))[:30]}, not an entity id")
    return Span(start, end, label, source, entity or 0)


def spans(doc_id, title, length: int, rows, what: str = "span") -> list[Span]:
    """The document's spans (rows sorted by start), checked: inside the text, none over
    another (``what`` "rejected suggestion": those may overlap). 20,000 spans: ~15 ms."""
    good: set = set()
    found = [span(doc_id, title, length, r, what, good) for r in rows]
    if what == "span":
        end = 0
        for s in found:
            if s.start < end:
                before = next(b for b in found if b.end == end)
                raise _damaged(doc_id, title, f"span {s.start}-{s.end} overlaps span "
                               f"{before.start}-{before.end}")
            end = s.end
    return found


SEP = "\x1f"        # between the labels and the sources of ``column_spans``: no label holds it


def column_spans(length: int, columns: tuple) -> list[Span] | None:
    """The document's spans from its span rows read as columns by one aggregate query —
    count; group_concat of start, of end; sum of start, of end; group_concat(label, SEP), min
    and max of label; the same of source; count, sum and min of entity, and
    group_concat(ifnull(entity, '')) — 20,000 spans in half the time of reading their rows,
    checked a column at a time. None unless every span passes every check of ``spans``, in
    start order (then reading them row by row gives the same spans, or names what is wrong).
    SQLite's sum is an integer only if every value summed is one (a text, a BLOB or a real
    makes it a real), so the numbers' texts are whole numbers; min and max order NULL <
    numbers < text < BLOB, so text at both ends is text throughout."""
    (n, starts, ends, start_sum, end_sum, labels, label_min, label_max, sources, source_min,
     source_max, n_entities, entity_sum, entity_min, entities) = columns
    if not n or type(length) is not int or type(start_sum) is not int \
            or type(end_sum) is not int:
        return None
    if not all(type(v) is str for v in (starts, ends, labels, label_min, label_max, sources,
                                        source_min, source_max)):
        return None
    labels, sources = labels.split(SEP), sources.split(SEP)
    starts = np.fromstring(starts, np.int64, sep=",")     # whole numbers only (the sums)
    ends = np.fromstring(ends, np.int64, sep=",")
    if not len(starts) == len(ends) == len(labels) == len(sources) == n:
        return None             # a NULL left out, or a separator inside a value
    if starts[0] < 0 or ends[-1] > length or not (starts < ends).all() \
            or not (ends[:-1] <= starts[1:]).all():
        return None             # empty, inverted, past the end, overlapping or out of order
    if any(map(label_name_problem, set(labels))) or "" in set(sources):
        return None
    if not n_entities:
        return _built(starts.tolist(), ends.tolist(), labels, sources, repeat(0, n))
    if type(entity_sum) is not int or type(entity_min) is not int or entity_min < 1:
        return None
    ids = [int(e) if e else 0 for e in entities.split(",")]
    if len(ids) != n or n - ids.count(0) != n_entities:
        return None
    return _built(starts.tolist(), ends.tolist(), labels, sources, ids)


def _built(*columns) -> list[Span]:
    # tuple.__new__ in C for each: Span(...) is a Python call each (~5 ms per 20,000)
    return list(map(tuple.__new__, repeat(Span), zip(*columns)))


def label(row: tuple) -> Label:
    """A ``Label`` from (name, color, key, description, ord)."""
    name, color, key, description, order = row
    why = label_name_problem(name, "label") if isinstance(name, str) else "it is not text"
    if why is None and not (isinstance(color, str) and _COLOR.match(color)):
        why = f"its colour {shown(repr(color))[:30]} is not of the form #rrggbb"
    if why is None and key not in (None, "") and not (isinstance(key, str) and len(key) == 1
                                                     and key in KEY_ORDER):
        why = f"its key {shown(repr(key))[:20]} is not one of {KEY_ORDER}"
    if why is None and description is not None and not isinstance(description, str):
        why = f"its description is {_kind(description)}"
    if why is None and order is not None and type(order) is not int:
        why = f"its order {shown(repr(order))[:20]} is not a whole number"
    if why:
        shown_name = shown(repr(name))[:60]
        raise DamagedContent(f"the label {shown_name} in the project file is damaged: {why} "
                             "(the file was altered outside article-annotator?)")
    return Label(name, color, key or "", description or "", order or 0)


# Settings whose value the app uses as it is (others are places in the window: a wrong one is
# ignored there).
SETTING_TYPES = {"schema_version": (int,), "model": (str, type(None))}


def settings(rows, file: str) -> None:
    """Every setting (key, value) is JSON, and those the app acts on of the right type."""
    for key, value in rows:
        try:
            parsed = json.loads(value)
        except (TypeError, ValueError, RecursionError):
            raise DamagedContent(f"the setting {shown(repr(key))[:60]} in {shown(file)} is not "
                                 "JSON (the file was altered outside article-annotator?)") from None
        if key in SETTING_TYPES and type(parsed) not in SETTING_TYPES[key]:
            raise DamagedContent(f"the setting {key!r} in {shown(file)} is "
                                 f"{shown(repr(parsed))[:40]}, not what article-annotator writes "
                                 "(the file was altered outside article-annotator?)")


def label_set(rows) -> list[Label]:
    """The label set's rows (name, color, key, description, ord), each checked, and no key
    used twice (it would do nothing: Qt cannot tell which label is meant)."""
    labels = [label(r) for r in rows]
    seen: dict[str, str] = {}
    for lab in labels:
        if lab.key and lab.key in seen:
            raise DamagedContent(f"the label set in the project file is damaged: the key "
                                 f"{lab.key!r} is used by both {shown(repr(seen[lab.key]))} and "
                                 f"{shown(repr(lab.name))} (the file was altered outside "
                                 "article-annotator?)")
        seen[lab.key] = lab.name
    return labels


def journal_edit(doc_id, entry: int, data) -> Edit:
    """An undo-history entry as an ``Edit``."""
    try:
        if not isinstance(data, str):
            raise ValueError(f"it is {_kind(data)}")
        edit = edit_from_json(data)
        if doc_id is not None and edit.doc_id != doc_id:
            raise ValueError(f"it is an edit of document {shown(repr(edit.doc_id))[:20]}")
        return edit
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError) as e:
        where = _name(doc_id, None) if doc_id is not None else "the label set"
        raise DamagedContent(f"the undo history of {where} in the project file is damaged: "
                             f"entry {entry} is not an edit ({shown(e)[:80]}); nothing of it "
                             "was used", doc_id) from None


__all__ = ["DamagedContent", "decoding", "settings", "label_set", "document", "span", "spans",
           "column_spans", "SEP", "label", "journal_edit"]
