"""Label Studio JSON: the export it imports back with annotations, and its JSON_MIN export.

A task: ``{"id", "data": {"text": ...}, "annotations": [{"completed_by", "was_cancelled",
"result": [region...]}], "predictions": [{"model_version", "result": [...]}]}``; a region of
named entities: ``{"id", "from_name": "label", "to_name": "text", "type": "labels", "value":
{"start", "end", "text", "labels": ["PERSON"]}}``, offsets in code points (Python ``str``
indices), as Label Studio stores them. JSON_MIN: one flat object per annotation, the data
fields at the top level and the regions' values under the ``from_name`` key.

Export (``task``, ``write_tasks``, ``label_config``): a JSON array, one task per line. ``data``
holds ``text``, ``title``, ``doc_id``, ``status`` and ``meta``; the annotation holds the
annotator's spans (every span of a document done, the manual ones otherwise), ``predictions``
the model suggestions nobody reviewed (one per model, ``model_version`` its name). A document
not done and without a span of its own has no annotation. The labelling config
(``<View><Labels name="label" toName="text">…<Text name="text" value="$text"/></View>``) is
written beside the export.

Import (``iter_labelstudio``): a JSON array of tasks, full or JSON_MIN (told apart per task: a
full one has ``data``), or one task object; JSON_MIN rows of one task (same ``id`` and text)
are one task with several annotations. The annotation used is the first one not cancelled, or
``annotator``'s (a user id, or an e-mail address); a task with others says which were not
imported. Its ``labels`` regions are a person's spans; without an annotation, the
predictions' regions are suggestions (source: the ``model_version``), and beside an annotation
of a document not done, the prediction regions it does not overlap. Status: ``data.status``
when this app wrote it, else done with an annotation, skipped with only cancelled ones, new
otherwise. Every problem names the task's line.
"""
from __future__ import annotations

import json
from typing import BinaryIO, Iterable, Iterator, TextIO
from xml.sax.saxutils import quoteattr

from models.document import DONE, NEW, SKIPPED, STATUSES, Document
from models.formats.annotated import clean_spans
from models.formats.errors import ImportProblem, read_text
from models.formats.records import short, unexpected
from models.formats.txt import headline
from models.spans import MANUAL, Span

DATA_KEYS = ("text", "title", "doc_id", "status", "meta")
NO_MODEL = "labelstudio"        # the source of a prediction region that names no model


def _region(doc: Document, span: Span, k: int, from_name: str, to_name: str) -> dict:
    return {"id": f"d{doc.id}-{k}", "from_name": from_name, "to_name": to_name, "type": "labels",
            "value": {"start": span.start, "end": span.end, "text": doc.text[span.start:span.end],
                      "labels": [span.label]}}


def task(doc: Document, spans: list[Span], *, from_name: str = "label", to_name: str = "text") -> dict:
    """The Label Studio task of one document."""
    done = doc.status == DONE
    mine = [s for s in sorted(spans) if done or s.is_manual]
    suggested: dict[str, list[Span]] = {}
    for s in sorted(spans):
        if not done and not s.is_manual:
            suggested.setdefault(s.source, []).append(s)
    k = iter(range(1, len(spans) + 1))
    out: dict = {"id": doc.id, "data": {"text": doc.text, "title": doc.title, "doc_id": doc.id,
                                        "status": doc.status, "meta": dict(doc.meta or {})},
                 "annotations": [], "predictions": []}
    if done or mine:
        out["annotations"].append({"result": [_region(doc, s, next(k), from_name, to_name) for s in mine],
                                   "was_cancelled": doc.status == SKIPPED})
        if doc.annotator:           # who, as Label Studio's own export names its user
            out["annotations"][0]["created_username"] = doc.annotator
    for model, found in suggested.items():
        out["predictions"].append({"model_version": model, "result": [
            _region(doc, s, next(k), from_name, to_name) for s in found]})
    return out


def label_config(labels: list[tuple[str, str]], from_name: str = "label", to_name: str = "text") -> str:
    """The labelling config for ``labels`` ((name, #rrggbb) pairs)."""
    rows = "".join(f"    <Label value={quoteattr(name)} background={quoteattr(color)}/>\n"
                   for name, color in labels)
    return (f"<View>\n  <Labels name={quoteattr(from_name)} toName={quoteattr(to_name)}>\n{rows}"
            f"  </Labels>\n  <Text name={quoteattr(to_name)} value=\"$text\"/>\n</View>\n")


def write_tasks(items: Iterable[tuple[Document, list[Span]]], out: TextIO, **options) -> Iterator[int]:
    """Write a JSON array of tasks to ``out``, one per line; yields each document's id."""
    out.write("[")
    first = True
    for doc, spans in items:
        out.write(("\n" if first else ",\n") + json.dumps(task(doc, spans, **options), ensure_ascii=False))
        first = False
        yield doc.id
    out.write("\n]\n" if not first else "]\n")


# -- import ----------------------------------------------------------------------------------------

def _elements(text: str, file: str) -> Iterator[tuple[int, object] | ImportProblem]:
    """(line, decoded value) of each element of a JSON array (or of the one object), parsed one
    by one so every task's line is known; a syntax error ends the file there, named."""
    decoder = json.JSONDecoder()
    i = len(text) - len(text.lstrip())
    if text.startswith("{", i):
        try:
            yield text.count("\n", 0, i) + 1, decoder.raw_decode(text, i)[0]
        except json.JSONDecodeError as e:
            yield ImportProblem(file, e.lineno, f"not JSON: {e.msg} (line {e.lineno}, column {e.colno})")
        return
    if not text.startswith("[", i):
        yield ImportProblem(file, text.count("\n", 0, i) + 1, "not a Label Studio export: expected a "
                            "JSON array of tasks ([...]) or one task ({...})")
        return
    i += 1
    n = 0
    line, counted = 1, 0            # the line at offset ``counted`` (counted on, never again)

    def line_at(pos: int) -> int:
        nonlocal line, counted
        line += text.count("\n", counted, pos)
        counted = pos
        return line
    while True:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        if text.startswith("]", i):
            return
        if n:
            if not text.startswith(",", i):
                at = line_at(i)
                yield ImportProblem(file, at, f"not JSON: expected ',' or ']' after task {n} (line "
                                    f"{at}); the tasks before it were read")
                return
            i += 1
            while i < len(text) and text[i] in " \t\r\n":
                i += 1
        try:
            value, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError as e:
            yield ImportProblem(file, e.lineno, f"not JSON: {e.msg} (line {e.lineno}, column "
                                f"{e.colno}); the {n} tasks before it were read")
            return
        n += 1
        yield line_at(i), value
        i = end


def iter_labelstudio(f: BinaryIO, file: str, source: str | None = None, *,
                     annotator: int | str | None = None, from_name: str | None = None,
                     to_name: str | None = None, text_key: str = "text",
                     encoding: str | None = None) -> Iterator[dict | ImportProblem]:
    """The documents of a Label Studio JSON or JSON_MIN export (see the module doc)."""
    text, problem = read_text(f, file, encoding)
    if problem:
        yield problem
        return
    names = (from_name, to_name)
    seen_types: set[str] = set()
    # JSON_MIN has one row per annotation: the rows of one task (same id and text) are one task
    # with several annotations, so the first (or the annotator's) is chosen among them.
    items: list = []
    rows: dict[tuple, dict] = {}
    for n, item in enumerate(_elements(text, file), 1):
        if isinstance(item, tuple) and isinstance(item[1], dict) and "data" not in item[1]:
            if text_key not in item[1]:
                keys = ", ".join(map(repr, list(item[1])[:5])) or "none"
                items.append((n, ImportProblem(file, item[0], f"task {n} is neither a Label Studio "
                                               f"task (no 'data') nor a JSON_MIN row (no "
                                               f"{text_key!r}; its keys: {keys[:80]}); skipped")))
                continue
            try:
                task = _from_min(item[1], from_name or "label", to_name or "text")
                key = (repr(task.get("id")), repr(task["data"].get(text_key)))
                if key in rows:
                    rows[key]["annotations"] += task["annotations"]
                    continue
                rows[key] = task
                item = (item[0], task)
            except Exception as e:
                item = ImportProblem(file, item[0], unexpected(e, f"task {n}"))
        items.append((n, item))
    for n, item in items:
        if isinstance(item, ImportProblem):
            yield item
            continue
        line, obj = item
        try:
            yield from _task(obj, n, line, file, names, annotator, text_key, seen_types)
        except Exception as e:          # a defect met on one task: that task, named
            yield ImportProblem(file, line, unexpected(e, f"task {n}"))


def _from_min(row: dict, from_name: str, to_name: str) -> dict:
    """A JSON_MIN row as a full task with one annotation."""
    regions = row.get(from_name) or []
    result = [{"from_name": from_name, "to_name": to_name, "type": "labels", "value": v}
              for v in (regions if isinstance(regions, list) else [regions])]
    own = {from_name, "id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time",
           "agreement"}
    return {"id": row.get("id"), "data": {k: v for k, v in row.items() if k not in own},
            "annotations": [{"id": row.get("annotation_id"), "completed_by": row.get("annotator"),
                             "result": result}]}


def _who(annotation: dict):
    by = annotation.get("completed_by")
    return by if not isinstance(by, dict) else (by.get("email") or by.get("id"))


def _matches(annotation: dict, annotator) -> bool:
    by = annotation.get("completed_by")
    if isinstance(by, dict):
        return annotator in (by.get("id"), by.get("email"))
    return by == annotator


def _regions(result, names, seen_types: set[str], file: str, line: int, problems: list) -> list[dict]:
    out = []
    for r in result if isinstance(result, list) else []:
        if not isinstance(r, dict):
            continue
        kind = r.get("type")
        if kind != "labels":
            if kind not in seen_types:
                seen_types.add(kind)
                problems.append(ImportProblem(file, line, f"regions of type {short(kind)} are not "
                                              "read (only 'labels': named entities)", False))
            continue
        if (names[0] and r.get("from_name") != names[0]) or (names[1] and r.get("to_name") != names[1]):
            continue
        out.append(r)
    return out


def _task(obj, n: int, line: int, file: str, names, annotator, text_key: str,
          seen_types: set[str]) -> Iterator[dict | ImportProblem]:
    what = f"task {n}"
    if not isinstance(obj, dict):
        yield ImportProblem(file, line, f"{what} is not an object but {type(obj).__name__}; skipped")
        return
    data = obj.get("data")
    if not isinstance(data, dict) or not isinstance(data.get(text_key), str) or not data[text_key]:
        yield ImportProblem(file, line, f"{what} has no text (data.{text_key} must be a non-empty "
                            "string); skipped")
        return
    text = data[text_key]
    problems: list[ImportProblem] = []
    annotations = [a for a in obj.get("annotations") or [] if isinstance(a, dict)]
    live = [a for a in annotations if not a.get("was_cancelled")]
    if annotator is not None:
        chosen = next((a for a in annotations if _matches(a, annotator)), None)
        if chosen is None and annotations:
            problems.append(ImportProblem(file, line, f"{what} has no annotation by {short(annotator)}: "
                                          "imported without one", False))
    else:
        chosen = live[0] if live else (annotations[0] if annotations else None)
    others = [a for a in annotations if a is not chosen]
    if chosen is not None and others:
        problems.append(ImportProblem(file, line, f"{what} has {len(annotations)} annotations: used "
                                      f"{chosen.get('id', '?')} (by {short(_who(chosen))}); not imported: "
                                      + ", ".join(f"{a.get('id', '?')} (by {short(_who(a))})" for a in others),
                                      False))
    status = data.get("status")
    if status not in STATUSES:
        status = (NEW if chosen is None else SKIPPED if chosen.get("was_cancelled") else DONE)
    raw = []
    mine = _regions(chosen.get("result") if chosen else [], names, seen_types, file, line, problems)
    raw += _raw(mine, text, MANUAL, file, line, problems)
    if chosen is None or status != DONE:
        taken = [(r[1], r[2]) for r in raw]
        for p in obj.get("predictions") or []:
            if not isinstance(p, dict):
                continue
            model = p.get("model_version") if isinstance(p.get("model_version"), str) and p.get("model_version") else NO_MODEL
            for r in _raw(_regions(p.get("result"), names, seen_types, file, line, problems), text, model,
                          file, line, problems):
                if not any(isinstance(r[1], int) and isinstance(r[2], int) and r[1] < b and a < r[2]
                           for a, b in taken if isinstance(a, int) and isinstance(b, int)):
                    raw.append(r)
    spans = []
    for source in dict.fromkeys(r[-1] for r in raw):
        got, found = clean_spans([r[:4] for r in raw if r[-1] == source], text, file, line, source)
        spans += got
        problems += found
    meta = dict(data["meta"]) if isinstance(data.get("meta"), dict) else {}
    meta.update({k: v for k, v in data.items() if k not in (*DATA_KEYS, text_key)})
    title = data.get("title")
    yield from problems
    yield {"text": text, "title": title if isinstance(title, str) else headline(text), "meta": meta,
           "spans": sorted(spans), "status": status, "line": line, "file": file}


def _raw(regions: list[dict], text: str, source: str, file: str, line: int, problems: list) -> list[tuple]:
    out = []
    for k, r in enumerate(regions, 1):
        value = r.get("value") if isinstance(r.get("value"), dict) else {}
        labels = value.get("labels")
        name = f"region {short(r.get('id', k))}"
        if not isinstance(labels, list) or not labels:
            problems.append(ImportProblem(file, line, f"{name} has no label; skipped", False))
            continue
        if len(labels) > 1:
            problems.append(ImportProblem(file, line, f"{name} has {len(labels)} labels "
                                          f"({short(labels)}): the first used", False))
        start, end = value.get("start"), value.get("end")
        said = value.get("text")
        if isinstance(said, str) and isinstance(start, int) and isinstance(end, int) \
                and 0 <= start <= end <= len(text) and text[start:end] != said:
            problems.append(ImportProblem(file, line, f"{name}: its text {short(said)} is not the "
                                          f"text at {start}-{end} ({short(text[start:end])}); the "
                                          "offsets are used", False))
        out.append((name, start, end, labels[0], source))
    return out
