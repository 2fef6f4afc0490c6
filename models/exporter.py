"""Export a project: Prodigy JSONL, spaCy ``.spacy``, CoNLL, doccano, Label Studio JSON (with
its labelling config beside: ``OUT.label_config.xml``), brat, the label set,
EntityRuler patterns, and the entities (``models.formats.entities``: a knowledge base for
spaCy's ``InMemoryLookupKB``; JSONL spans carry ``kb_id``, ``.spacy`` ents ``kb_id_``).

``export(store, out, fmt, **options) -> ExportReport`` is the one entry point (the CLI's
``export`` and the GUI's worker call it). Every file is written beside its target and renamed
into place only when every file of the export is complete: a failed, refused or cancelled export
leaves the previous files as they were and no ``.part`` file behind. What is not a regular file
is never replaced (``models.parts.target``): a link is written through, a pipe or a device
straight into, a block device or a socket refused. An OS error while writing (disk full,
read-only, permission, quota, I/O, a reader that closed the pipe) is one ``ExportWriteFailed``
whose message is the one line to show (the CLI prints it, the window shows it); a damaged
project (``StoreError`` from the store's checks) stops the export the same way, nothing written.

Options (each only where it applies; another is a ValueError, not silently ignored):

- ``all_documents`` — every document, not only those marked done (all formats but ``labels``).
- ``dev_fraction`` (default 0.2), ``seed`` (default 0), ``snap`` (None, "expand", "contract") —
  ``spacy``: see ``split_dev``, and ``formats.docbin.to_doc``.
- ``offsets`` ("utf16", the default — doccano's own counting — or "codepoints") — ``doccano``.
- ``from_name``, ``to_name`` — ``labelstudio``: the names of the Labels and the Text tags
  (default ``label`` and ``text``), in the regions and the labelling config.
- ``include_rejected`` — ``jsonl``: rejected model suggestions as ``"answer": "reject"`` tasks.
- ``no_tokens`` — ``jsonl``: no ``tokens`` and no token indices on the spans, character offsets
  only (a tenth of the size, ~5× faster; Prodigy's manual interfaces want the tokens).
- ``progress(done, total)`` — called every few documents; ``cancelled()`` — True stops the
  export with nothing written (``report.cancelled``).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import IO, Callable, Iterator

from models.display import path_shown, shown
from models.document import DONE, Document
from models.export_report import (ExportError, ExportReport, ExportWriteFailed, MisalignedSpans,
                                  SpanIssue)
from models.export_writers import DEFAULT_DEV_FRACTION, WRITERS, config_path, split_dev
from models.formats import doccano as doccano_format
from models.formats.docbin import SNAP_MODES
from models.formats.prodigy import InvalidTask
from models.parts import Parts, TargetRefused, cause, folder_problem, target
from models.project_file import project_in_the_way
from models.spans import Span
from models.store import Store

FORMATS = ("jsonl", "spacy", "conll", "doccano", "labelstudio", "brat", "labels", "patterns",
           "entities")
DIRECTORY_FORMATS = ("spacy", "brat")        # OUT is a folder; the others write one file
OFFSETS = doccano_format.OFFSETS
# option -> the formats it applies to
OPTIONS = {
    "all_documents": ("jsonl", "spacy", "conll", "doccano", "labelstudio", "brat", "patterns",
                      "entities"),
    "dev_fraction": ("spacy",), "seed": ("spacy",), "snap": ("spacy",),
    "annotator": ("jsonl", "spacy", "conll", "doccano", "labelstudio", "brat", "patterns", "entities"),
    "offsets": ("doccano",), "include_rejected": ("jsonl",), "no_tokens": ("jsonl",),
    "from_name": ("labelstudio",), "to_name": ("labelstudio",),
}
PROGRESS_EVERY = 0.1         # seconds between progress calls


class _Cancelled(Exception):
    pass


# -- reading the project ---------------------------------------------------------------------------

def count_documents(store: Store, all_documents: bool = False) -> int:
    """How many documents an export writes: done ones unless ``all_documents``."""
    return store.count_documents(None if all_documents else (DONE,))


def documents(store: Store, all_documents: bool = False) -> Iterator[tuple[Document, list[Span]]]:
    """The exported documents in id order with their spans (sorted): done ones unless
    ``all_documents``. The store's own reading (two streaming queries walked side by side), so
    every row is checked there: a damaged one raises ``StoreError`` naming the document."""
    return store.iter_documents(None if all_documents else (DONE,))


def version(store: Store, annotator: str, all_documents: bool = False) -> tuple[int, Iterator]:
    """(how many, the documents) of ``annotator``'s version in a merged project, instead of
    the gold: each document with that version's status and spans."""
    statuses = None if all_documents else (DONE,)
    return store.count_versions(annotator, statuses), store.iter_version(annotator, statuses)


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


def _check_target(out: Path, fmt: str) -> None:
    """Refuse, before anything is read, a target an export must not write (``ExportError``)."""
    try:
        if fmt in DIRECTORY_FORMATS:
            why = folder_problem(out)
            if why:
                raise ExportError(f"not exported: {why}; the {fmt} format writes a folder")
            targets = [out / n for n in ("train.spacy", "dev.spacy", "annotation.conf")]
        else:
            if out.is_dir():
                raise ExportError(f"not exported: {path_shown(out)} is a folder; the {fmt} format "
                                  "writes one file")
            try:
                t = target(out)
            except TargetRefused as e:
                raise ExportError(f"not exported: {e}") from None
            targets = [out, t.at]
            if fmt == "labelstudio":
                targets.append(config_path(out))
            if not t.direct and not t.at.parent.is_dir():
                raise ExportError(f"not exported: the folder {path_shown(t.at.parent)} does not exist")
        why = next(filter(None, map(project_in_the_way, targets)), None)
    except OSError as e:            # the target cannot be looked at (no permission...)
        raise ExportError(f"not exported: {path_shown(out)} cannot be read: {cause(e)}") from None
    if why:
        raise ExportError(f"not exported: {shown(why)}; choose another name")


def _stream_failed(error: OSError, stream) -> str:
    name = "standard output" if stream is sys.stdout or getattr(stream, "name", "") == "<stdout>" \
        else "the output stream"
    if isinstance(error, BrokenPipeError):
        return f"the reader of {name} closed it before the end (broken pipe)"
    return f"could not write {name}: {cause(error)}"


def export(store: Store | str | Path, out: str | Path | IO[str], fmt: str = "jsonl", *,
           progress: Callable[[int, int], object] | None = None,
           cancelled: Callable[[], bool] | None = None, **options) -> ExportReport:
    """Export ``store`` (a Store, or a project path opened and closed here — what a worker
    thread wants: its own connection) to ``out`` in format ``fmt``; see the module doc.

    ``out``: a file for the single-file formats (or an open text stream, e.g. stdout: written
    directly, not atomically), a folder for ``spacy`` and ``brat`` (created if missing).
    Raises ``MisalignedSpans`` (spacy without ``snap``), ``ExportWriteFailed`` (the OS could
    not write), ``ExportError`` (refused) or ``StoreError`` (a damaged project); nothing is
    written then (but what already went into a pipe or a device).
    """
    _check_options(fmt, options)
    if not hasattr(out, "write"):
        _check_target(Path(out), fmt)
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
    report = ExportReport(fmt, path)
    files = Parts(many=fmt == "brat")
    all_documents = bool(options.get("all_documents"))
    annotator = options.get("annotator")
    if annotator and annotator not in store.version_names():
        have = ", ".join(store.version_names()) or "none: it is not a merged project"
        raise ExportError(f"not exported: {store.path.name} has no version by {shown(annotator)} "
                          f"(versions: {shown(have)})")
    try:
        with store.snapshot():     # documents and spans as of one moment, while others edit
            if annotator:
                total, source = version(store, annotator, all_documents)
            else:
                total = 0 if fmt == "labels" else count_documents(store, all_documents)
                source = documents(store, all_documents)
            items = _watch(source, total, report, progress, cancelled)
            WRITERS[fmt](store, items, path, stream, files, report, options)
        if stream is not None:
            stream.flush()
        report.files = files.commit()
    except _Cancelled:
        files.discard()
        report.cancelled = True
    except InvalidTask as e:
        files.discard()
        raise ExportError(f"not exported: {e}") from None
    except TargetRefused as e:      # a file inside the export's folder
        files.discard()
        raise ExportError(f"not exported: {e}") from None
    except OSError as e:
        left = files.discard()
        if stream is not None:
            message = "; ".join([_stream_failed(e, stream), *left])
        else:
            message = files.describe(e, path, fmt in DIRECTORY_FORMATS, left)
        raise ExportWriteFailed(f"not exported: {message}") from e
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


def export_jsonl(store: Store, out: str | Path, all_documents: bool = False) -> int:
    """Write Prodigy-style JSONL; return the number of documents written (the GUI's File ▸
    Export JSONL; the same as ``export(store, out, "jsonl", all_documents=...)``)."""
    return export(store, out, "jsonl", all_documents=all_documents).documents


__all__ = ["export", "export_jsonl", "documents", "count_documents", "split_dev", "ExportError",
           "ExportWriteFailed", "MisalignedSpans", "SpanIssue", "ExportReport", "FORMATS",
           "DIRECTORY_FORMATS", "OPTIONS", "OFFSETS", "DEFAULT_DEV_FRACTION"]
