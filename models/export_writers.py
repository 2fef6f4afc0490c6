"""Each export format's writer, and the spaCy train/dev split (``models.exporter`` calls them
inside one read snapshot, with the files of the export in a ``Parts``)."""
from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from models.document import DONE, Document
from models.entities import kb_key
from models.export_report import MisalignedSpans, SpanIssue
from models.formats import brat as brat_format
from models.formats import doccano as doccano_format
from models.formats.conll import write_conll
from models.formats.docbin import new_docbin, to_doc
from models.formats.entities import records as entity_records
from models.formats.entities import write as write_entities
from models.formats.patterns import collect_patterns, labels_json, patterns_jsonl
from models.formats.prodigy import write_jsonl
from models.parts import Parts
from models.spans import Span

DEFAULT_DEV_FRACTION = 0.2


def _score(seed: int, text_hash: str) -> float:
    digest = hashlib.blake2b(f"{seed}:{text_hash}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def split_dev(items: list[tuple[int, str]], fraction: float = DEFAULT_DEV_FRACTION,
              seed: int = 0) -> set[int]:
    """The ids of the dev documents among ``items`` (id, text hash).

    A document is in dev when a hash of its *text* and the seed, read as a number in [0, 1), is
    below ``fraction``: the same document lands on the same side in every export, whatever else
    the project holds, and in any project it is imported into. So that a small export still
    trains, with two documents or more and 0 < fraction < 1 each side gets at least one.
    """
    if not 0 <= fraction <= 1:
        raise ValueError(f"dev fraction must be between 0 and 1, not {fraction}")
    scores = {doc_id: _score(seed, h) for doc_id, h in items}
    dev = {doc_id for doc_id, s in scores.items() if s < fraction}
    if fraction >= 1:
        return set(scores)
    if len(scores) >= 2 and fraction > 0:
        if not dev:
            dev = {min(scores, key=scores.__getitem__)}
        if len(dev) == len(scores):
            dev.discard(max(scores, key=scores.__getitem__))
    elif len(scores) < 2:
        dev = set()
    return dev


@contextmanager
def _text_out(path: Path | None, stream: IO[str] | None, files: Parts) -> Iterator[IO[str]]:
    if stream is not None:
        yield stream
    else:
        with files.text(path) as f:
            yield f


def _jsonl(store, items, path, stream, files, report, options) -> None:
    def rejected(doc_id: int) -> list[Span]:
        found = store.rejected(doc_id)
        report.rejected += len(found)
        return found
    with _text_out(path, stream, files) as f:
        write_jsonl(items, f, rejected=rejected if options.get("include_rejected") else None,
                    tokens=not options.get("no_tokens"), kb=_kb(store), dataset=store.path.stem)


def _doccano(store, items, path, stream, files, report, options) -> None:
    offsets = options.get("offsets") or doccano_format.DEFAULT_OFFSETS
    with _text_out(path, stream, files) as f:
        for doc, spans in items:
            f.write(json.dumps(doccano_format.record(doc, spans, offsets), ensure_ascii=False) + "\n")
            report.spans += len(spans)


def config_path(out: Path) -> Path:
    """Where the Label Studio export's labelling config goes: ``tasks.json`` ->
    ``tasks.label_config.xml``, beside it."""
    return out.with_name(out.stem + ".label_config.xml")


def _labelstudio(store, items, path, stream, files, report, options) -> None:
    from models.formats import labelstudio
    names = {"from_name": options.get("from_name") or "label",
             "to_name": options.get("to_name") or "text"}
    with _text_out(path, stream, files) as f:
        for _ in labelstudio.write_tasks(_counted(items, report), f, **names):
            pass
    if path is not None:            # (standard output holds the tasks only)
        config = labelstudio.label_config([(lab.name, lab.color) for lab in store.labels()], **names)
        report.config = config_path(path)
        files.data(report.config, config)


def _counted(items, report) -> Iterator:
    """``items`` as they are written, their spans counted into ``report``."""
    for doc, spans in items:
        report.spans += len(spans)
        yield doc, spans


def _conll(store, items, path, stream, files, report, options) -> None:
    with _text_out(path, stream, files) as f:
        for _ in write_conll(_counted(items, report), f):
            pass


def _labels(store, items, path, stream, files, report, options) -> None:
    labels = store.labels()
    report.spans = len(labels)
    with _text_out(path, stream, files) as f:
        f.write(labels_json(labels))


def _kb(store) -> dict[int, str]:
    """Entity id -> the id its spans carry out (``kb_id``)."""
    return {e.id: kb_key(e) for e in store.entities()}


def _entities(store, items, path, stream, files, report, options) -> None:
    lines = entity_records(store.entities(), items)
    report.spans = len(lines)
    with _text_out(path, stream, files) as f:
        write_entities(lines, f)


def _patterns(store, items, path, stream, files, report, options) -> None:
    found = collect_patterns(items, store.labels().names(), _kb(store))
    report.spans = len(found)
    with _text_out(path, stream, files) as f:
        f.write(patterns_jsonl(found))


def _issue(doc: Document, span: Span, note: str, new=None) -> SpanIssue:
    return SpanIssue(doc.id, doc.title, span.start, span.end, span.label,
                     doc.text[span.start:span.end], note, new)


def _brat(store, items, path, stream, files, report, options) -> None:
    files.folder(path)
    for doc, spans in items:
        txt, ann, notes = brat_format.document_files(doc, spans)
        stem = brat_format.file_stem(doc.id)
        files.data(path / f"{stem}.txt", txt)
        files.data(path / f"{stem}.ann", ann)
        report.spans += len(spans) - sum(1 for _, note in notes if "not written" in note)
        report.changed += [_issue(doc, s, note) for s, note in notes]
    files.data(path / "annotation.conf", brat_format.annotation_conf(store.labels().names()))


def _spacy(store, items, path, stream, files, report, options) -> None:
    from models.ner import blank_tokenizer
    snap = options.get("snap")
    fraction = options.get("dev_fraction")
    fraction = DEFAULT_DEV_FRACTION if fraction is None else fraction
    seed = options.get("seed") or 0
    statuses = None if options.get("all_documents") else (DONE,)
    who = options.get("annotator")
    ids = store.version_id_hashes(who, statuses) if who else store.id_hashes(statuses)
    dev_ids = split_dev(ids, fraction, seed)
    tokenizer = blank_tokenizer()
    train, dev = new_docbin(), new_docbin()
    kb = _kb(store)
    for doc, spans in items:
        sdoc, issues = to_doc(tokenizer, doc, spans, snap, kb)
        for span, new, note in issues:
            if snap is None:
                report.misaligned.append(_issue(doc, span, note))
            else:
                report.changed.append(_issue(doc, span, note, new))
        report.spans += len(sdoc.ents)
        if doc.id in dev_ids:
            dev.add(sdoc)
            report.dev += 1
        else:
            train.add(sdoc)
            report.train += 1
    if report.misaligned:
        n = len(report.misaligned)
        raise MisalignedSpans(f"{n} span{'s do' if n > 1 else ' does'} not line up with spaCy's "
                              "tokens; nothing was written. Correct them, or export with "
                              "--snap expand|contract", report)
    files.folder(path)
    with files.binary(path / "train.spacy") as f:
        train.write(f)
    with files.binary(path / "dev.spacy") as f:
        dev.write(f)


WRITERS = {"jsonl": _jsonl, "spacy": _spacy, "conll": _conll, "doccano": _doccano,
           "labelstudio": _labelstudio, "brat": _brat, "labels": _labels, "patterns": _patterns,
           "entities": _entities}
