"""Export a project: Prodigy JSONL, spaCy ``.spacy``, CoNLL, doccano, brat, the label set, and
EntityRuler patterns.

``export(store, out, fmt, **options) -> ExportReport`` is the one entry point (the CLI's
``export`` and the GUI's worker call it). Every file is written beside its target and renamed
into place only when every file of the export is complete: a failed, refused or cancelled export
leaves the previous files as they were and no ``.part`` file behind.

Options (each only where it applies; another is a ValueError, not silently ignored):

- ``all_documents`` — every document, not only those marked done (all formats but ``labels``).
- ``dev_fraction`` (default 0.2), ``seed`` (default 0), ``snap`` (None, "expand", "contract") —
  ``spacy``: see ``split_dev``, and ``formats.docbin.to_doc``.
- ``offsets`` ("codepoints" or "utf16") — ``doccano``.
- ``include_rejected`` — ``jsonl``: rejected model suggestions as ``"answer": "reject"`` tasks.
- ``no_tokens`` — ``jsonl``: no ``tokens`` and no token indices on the spans, character offsets
  only (a tenth of the size, ~5× faster; Prodigy's manual interfaces want the tokens).
- ``progress(done, total)`` — called every few documents; ``cancelled()`` — True stops the
  export with nothing written (``report.cancelled``).
"""
from __future__ import annotations

import hashlib
import json
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable, Iterator

from models.document import DONE, Document
from models.formats import brat as brat_format
from models.formats import doccano as doccano_format
from models.formats.conll import write_conll
from models.formats.docbin import SNAP_MODES, new_docbin, to_doc
from models.formats.prodigy import write_jsonl
from models.formats.patterns import collect_patterns, labels_json, patterns_jsonl
from models.parts import Parts
from models.project_file import project_in_the_way
from models.spans import Span
from models.store import Store

FORMATS = ("jsonl", "spacy", "conll", "doccano", "brat", "labels", "patterns")
DIRECTORY_FORMATS = ("spacy", "brat")        # OUT is a folder; the others write one file
OFFSETS = doccano_format.OFFSETS
DEFAULT_DEV_FRACTION = 0.2
# option -> the formats it applies to
OPTIONS = {
    "all_documents": ("jsonl", "spacy", "conll", "doccano", "brat", "patterns"),
    "dev_fraction": ("spacy",), "seed": ("spacy",), "snap": ("spacy",),
    "offsets": ("doccano",), "include_rejected": ("jsonl",), "no_tokens": ("jsonl",),
}
PROGRESS_EVERY = 0.1         # seconds between progress calls


class ExportError(Exception):
    """An export that was refused; nothing was written."""

    def __init__(self, message: str, report: "ExportReport | None" = None):
        super().__init__(message)
        self.report = report


class MisalignedSpans(ExportError):
    """Spans that do not line up with spaCy's tokens (``report.misaligned``); nothing written."""


class _Cancelled(Exception):
    pass


@dataclass(frozen=True)
class SpanIssue:
    """A span an export could not write as it is, and what became of it."""
    doc_id: int
    title: str
    start: int
    end: int
    label: str
    text: str
    note: str
    new: tuple[int, int] | None = None       # where it went (--snap), None if left out

    def __str__(self) -> str:
        title = f" ({self.title[:40]!r})" if self.title else ""
        return (f"document {self.doc_id}{title}: {self.start}-{self.end} {self.label} "
                f"{self.text!r}: {self.note}")


@dataclass
class ExportReport:
    format: str
    out: Path | None = None
    files: list[Path] = field(default_factory=list)     # what was written (in place now)
    documents: int = 0
    spans: int = 0                  # spans (entities, patterns, labels) written
    train: int = 0                  # spacy: documents in train.spacy / dev.spacy
    dev: int = 0
    rejected: int = 0               # jsonl --include-rejected: reject tasks written
    misaligned: list[SpanIssue] = field(default_factory=list)   # refused: nothing written
    changed: list[SpanIssue] = field(default_factory=list)      # written otherwise, or left out
    cancelled: bool = False

    def summary(self) -> str:
        if self.cancelled:
            return "export cancelled: nothing was written"
        if self.format == "labels":
            return f"{self.spans} labels exported"
        text = f"{self.documents} document{'s' * (self.documents != 1)} exported"
        extra = []
        if self.format == "spacy":
            extra.append(f"{self.train} train, {self.dev} dev, {self.spans} entities")
        elif self.format == "patterns":
            extra.append(f"{self.spans} patterns")
        if self.rejected:
            extra.append(f"{self.rejected} rejected suggestions")
        if self.changed:
            extra.append(f"{len(self.changed)} spans changed (see the list)")
        return text + (f" ({'; '.join(extra)})" if extra else "")


# -- reading the project ---------------------------------------------------------------------------

def _where(statuses: tuple[str, ...] | None) -> tuple[str, list]:
    if not statuses:
        return "", []
    return f" WHERE d.status IN ({','.join('?' * len(statuses))})", list(statuses)


def count_documents(store: Store, all_documents: bool = False) -> int:
    where, args = _where(None if all_documents else (DONE,))
    return store.db.execute("SELECT count(*) FROM documents d" + where, args).fetchone()[0]


def documents(store: Store, all_documents: bool = False) -> Iterator[tuple[Document, list[Span]]]:
    """The exported documents in id order with their spans (sorted): done ones unless
    ``all_documents``. Two streaming queries (documents, spans) walked side by side, so 100,000
    documents cost two statements, not 200,000."""
    where, args = _where(None if all_documents else (DONE,))
    docs = store.db.execute(
        "SELECT d.id, t.text, d.title, d.meta, d.status, d.text_hash FROM documents d "
        "JOIN texts t ON t.doc_id = d.id" + where + " ORDER BY d.id", args)
    spans = store.db.execute(
        "SELECT s.doc_id, s.start, s.end, s.label, s.source FROM spans s JOIN documents d "
        "ON d.id = s.doc_id" + where + " ORDER BY s.doc_id, s.start", args)
    pending = spans.fetchone()
    for doc_id, text, title, meta, status, h in docs:
        mine = []
        while pending is not None and pending[0] < doc_id:
            pending = spans.fetchone()
        while pending is not None and pending[0] == doc_id:
            mine.append(Span(pending[1], pending[2], pending[3], pending[4]))
            pending = spans.fetchone()
        yield Document(doc_id, text, title or "", json.loads(meta or "{}"), status, h), mine


@contextmanager
def _snapshot(store: Store) -> Iterator[None]:
    """One read transaction: documents and spans are read as of one moment, even while the
    annotator (another connection) keeps editing."""
    conn = store.db.conn
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")


# -- the train/dev split ---------------------------------------------------------------------------

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


# -- export ----------------------------------------------------------------------------------------

def _check_options(fmt: str, options: dict) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (expected one of {', '.join(FORMATS)})")
    for name, value in options.items():
        if name not in OPTIONS:
            raise ValueError(f"unknown export option {name!r}")
        if value is not None and value is not False and fmt not in OPTIONS[name]:
            raise ValueError(f"{name} does not apply to the {fmt} format "
                             f"(only {', '.join(OPTIONS[name])})")
    if options.get("snap") not in (None, *SNAP_MODES):
        raise ValueError(f"snap must be one of {', '.join(SNAP_MODES)}, not {options['snap']!r}")
    if options.get("offsets") not in (None, *OFFSETS):
        raise ValueError(f"offsets must be one of {', '.join(OFFSETS)}, not {options['offsets']!r}")
    fraction = options.get("dev_fraction")
    if fraction is not None and not 0 <= fraction <= 1:
        raise ValueError(f"dev fraction must be between 0 and 1, not {fraction}")


def export(store: Store | str | Path, out: str | Path | IO[str], fmt: str = "jsonl", *,
           progress: Callable[[int, int], object] | None = None,
           cancelled: Callable[[], bool] | None = None, **options) -> ExportReport:
    """Export ``store`` (a Store, or a project path opened and closed here — what a worker
    thread wants: its own connection) to ``out`` in format ``fmt``; see the module doc.

    ``out``: a file for the single-file formats (or an open text stream, e.g. stdout: written
    directly, not atomically), a folder for ``spacy`` and ``brat`` (created if missing).
    Raises ``MisalignedSpans`` (spacy without ``snap``) or ``ExportError``; nothing is written
    then.
    """
    _check_options(fmt, options)
    if not hasattr(out, "write"):
        targets = [Path(out)] if fmt not in DIRECTORY_FORMATS else \
            [Path(out) / n for n in ("train.spacy", "dev.spacy", "annotation.conf")]
        why = next(filter(None, map(project_in_the_way, targets)), None)
        if why:
            raise ExportError(f"not exported: {why}; choose another name")
        folder = Path(out).parent
        if fmt not in DIRECTORY_FORMATS and not folder.is_dir():
            raise ExportError(f"not exported: the folder {folder} does not exist")
    if not isinstance(store, Store):
        own = Store(store, readonly=True)       # an export only reads (also a read-only project)
        try:
            return export(own, out, fmt, progress=progress, cancelled=cancelled, **options)
        finally:
            own.close()
    stream = out if hasattr(out, "write") else None
    path = None if stream is not None else Path(out)
    if stream is not None and fmt in DIRECTORY_FORMATS:
        raise ValueError(f"the {fmt} format writes a folder, not a stream")
    if path is not None:
        if fmt in DIRECTORY_FORMATS:
            if path.exists() and not path.is_dir():
                raise ExportError(f"{path} is a file; the {fmt} format writes a folder")
        elif path.is_dir():
            raise ExportError(f"{path} is a folder; the {fmt} format writes one file")
    report = ExportReport(fmt, path)
    files = Parts(many=fmt == "brat")
    all_documents = bool(options.get("all_documents"))
    try:
        with _snapshot(store):
            total = 0 if fmt == "labels" else count_documents(store, all_documents)
            items = _watch(documents(store, all_documents), total, report, progress, cancelled)
            _WRITERS[fmt](store, items, path, stream, files, report, options)
        report.files = files.commit()
    except _Cancelled:
        files.discard()
        report.cancelled = True
    except BaseException:
        files.discard()
        raise
    return report


def _watch(items: Iterator, total: int, report: ExportReport, progress, cancelled) -> Iterator:
    """Count the documents going out; report progress and stop when asked, now and then."""
    last = time.monotonic()
    for item in items:
        report.documents += 1
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY:
            last = now
            if cancelled is not None and cancelled():
                raise _Cancelled
            if progress is not None:
                progress(report.documents - 1, total)
        yield item
    if cancelled is not None and cancelled():
        raise _Cancelled
    if progress is not None:
        progress(report.documents, total)


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
                    tokens=not options.get("no_tokens"))


def _doccano(store, items, path, stream, files, report, options) -> None:
    offsets = options.get("offsets") or "codepoints"
    with _text_out(path, stream, files) as f:
        for doc, spans in items:
            f.write(json.dumps(doccano_format.record(doc, spans, offsets), ensure_ascii=False) + "\n")
            report.spans += len(spans)


def _conll(store, items, path, stream, files, report, options) -> None:
    def counted():
        for doc, spans in items:
            report.spans += len(spans)
            yield doc, spans
    with _text_out(path, stream, files) as f:
        for _ in write_conll(counted(), f):
            pass


def _labels(store, items, path, stream, files, report, options) -> None:
    labels = store.labels()
    report.spans = len(labels)
    with _text_out(path, stream, files) as f:
        f.write(labels_json(labels))


def _patterns(store, items, path, stream, files, report, options) -> None:
    found = collect_patterns(items, store.labels().names())
    report.spans = len(found)
    with _text_out(path, stream, files) as f:
        f.write(patterns_jsonl(found))


def _issue(doc: Document, span: Span, note: str, new=None) -> SpanIssue:
    return SpanIssue(doc.id, doc.title, span.start, span.end, span.label,
                     doc.text[span.start:span.end], note, new)


def _brat(store, items, path, stream, files, report, options) -> None:
    path.mkdir(parents=True, exist_ok=True)
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
    where, args = _where(None if options.get("all_documents") else (DONE,))
    ids = store.db.execute("SELECT d.id, d.text_hash FROM documents d" + where, args).fetchall()
    dev_ids = split_dev(ids, fraction, seed)
    tokenizer = blank_tokenizer()
    train, dev = new_docbin(), new_docbin()
    for doc, spans in items:
        sdoc, issues = to_doc(tokenizer, doc, spans, snap)
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
    path.mkdir(parents=True, exist_ok=True)
    with files.binary(path / "train.spacy") as f:
        train.write(f)
    with files.binary(path / "dev.spacy") as f:
        dev.write(f)


_WRITERS = {"jsonl": _jsonl, "spacy": _spacy, "conll": _conll, "doccano": _doccano,
            "brat": _brat, "labels": _labels, "patterns": _patterns}


def export_jsonl(store: Store, out: str | Path, all_documents: bool = False) -> int:
    """Write Prodigy-style JSONL; return the number of documents written (the GUI's File ▸
    Export JSONL; the same as ``export(store, out, "jsonl", all_documents=...)``)."""
    return export(store, out, "jsonl", all_documents=all_documents).documents
