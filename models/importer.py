"""Import sources into a project: pick the reader by format, stream, commit in batches, report.

Sources are files or folders. A folder brings every ``.txt``/``.text``/``.md`` and
``.html``/``.htm`` file under it, and every brat pair (``.ann`` beside its ``.txt``, read as one
annotated document) (recursively, hidden files and folders left out), sorted by their path
inside the folder, so the same folder always imports in the same order.

Annotated data — Prodigy JSONL, doccano JSONL (``--format doccano``), Label Studio JSON
(``.json``), CoNLL/IOB (``.conll``, ``.iob``…), brat pairs and spaCy ``.spacy`` files — brings
its spans. Each span is checked against its text (``formats.annotated``):
one that cannot stand is reported with its file, line and offsets and left out; the document is
imported with the rest. A label the project lacks is added to the label set (one undoable edit)
and the report names it with where it was first seen.

Readers stream (``formats.*.iter_*``): each yields documents and problems one at a time, so a
100,000-line JSONL file is never held in memory. Documents are committed in batches, each
batch one transaction (``Store.add_documents``): a cancelled or failed import leaves whole
documents only, every one of them in the project.
"""
from __future__ import annotations

import time
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator

from models.display import shown
from models.edits import ChangeLabels
from models.formats.doccano import OFFSETS
from models.formats.errors import ImportProblem, codec_name, collect
from models.formats.files import open_regular
from models.formats.records import document_problem, unexpected
from models.import_entities import EntityImport
from models.import_sources import (ANNOTATED, ENCODED, FOLDER_ENDINGS, FOLDER_FORMATS,
                                   FORMAT_CHOICES, FORMATS, READER_NAMES, READER_OPTIONS,
                                   Source, expand, format_of)
from models.store import Store

BATCH_SIZE = 500
MAX_BATCH_SECONDS = 2.0    # a batch of slow pages (HTML extraction) is committed early

Progress = Callable[[int, int, str], object]


@dataclass
class ImportReport:
    added: list[int] = field(default_factory=list)
    duplicates: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    new_labels: list[str] = field(default_factory=list)
    # where each new label was first seen: "file:line, span start-end 'text'"
    new_label_where: dict[str, str] = field(default_factory=dict)
    rejections: int = 0         # rejected model suggestions recorded (JSONL "reject" tasks)
    cancelled: bool = False
    files: int = 0              # source files read (folders count their files)
    entities: EntityImport = field(default_factory=EntityImport)    # created, changed, linked

    @property
    def rejected(self) -> list[ImportProblem]:
        """Problems that left something out: a file, a line, a record."""
        return [p for p in self.problems if p.rejected]

    @property
    def warnings(self) -> list[ImportProblem]:
        """Problems with a document that was imported all the same (e.g. a bad span dropped)."""
        return [p for p in self.problems if not p.rejected]

    def summary(self) -> str:
        parts = [f"{len(self.added)} added"]
        if self.duplicates:
            parts.append(f"{self.duplicates} skipped as duplicates")
        if rejected := len(self.rejected):
            parts.append(f"{rejected} rejected")
        if warned := len(self.warnings):
            parts.append(f"{warned} warning{'s' if warned != 1 else ''}")
        if self.rejections:
            parts.append(f"{self.rejections} rejected suggestions")
        if self.entities.created or self.entities.changed:
            parts.append(f"entities: {self.entities.created} new, {self.entities.changed} changed")
        if self.new_labels:
            parts.append("new labels: " + ", ".join(self.new_labels))
        text = ", ".join(parts)
        return text + " (cancelled: the rest was not imported)" if self.cancelled else text

    def merge(self, other: "ImportReport") -> None:
        """Add ``other`` (a later import in the same job) to this report."""
        self.problems += other.problems
        self.added += other.added
        self.duplicates += other.duplicates
        self.new_labels += [n for n in other.new_labels if n not in self.new_labels]
        for name, where in other.new_label_where.items():
            self.new_label_where.setdefault(name, where)
        self.rejections += other.rejections
        self.entities.created += other.entities.created
        self.entities.changed += other.entities.changed
        self.cancelled = self.cancelled or other.cancelled
        self.files += other.files


def _read(source: Source, f: BinaryIO, options: dict) -> Iterator[dict | ImportProblem]:
    reader = FORMATS[source.fmt][0]
    given = {k: v for k, v in options.items() if v not in (None, False)}
    return reader(f, str(source.path), source=source.name,
                  **{READER_NAMES.get((source.fmt, k), k): v for k, v in given.items()
                     if source.fmt in READER_OPTIONS.get(k, ())})


def check_options(fmt: str, offsets: str | None = None, encoding: str | None = None,
                  **more) -> None:
    """ValueError for an option that does not apply to ``fmt`` (or is not valid at all)."""
    if offsets not in (None, *OFFSETS):
        raise ValueError(f"offsets must be one of {', '.join(OFFSETS)}, not {offsets!r}")
    if offsets == "utf16" and fmt != "doccano":
        raise ValueError("--offsets utf16 applies to --format doccano only (JSONL, Label Studio, "
                         "brat and .spacy offsets are code points)")
    for name, value in more.items():
        if name not in READER_OPTIONS or name in ("text_column", "offsets", "encoding"):
            raise TypeError(f"unknown import option {name!r}")
        if value not in (None, False) and fmt not in ("auto", *READER_OPTIONS[name]):
            flag = "--" + name.replace("_", "-")
            raise ValueError(f"{flag} applies to --format {' / '.join(READER_OPTIONS[name])} only")
    if encoding is not None:
        codec_name(encoding)                    # ValueError: unknown encoding
        if fmt not in ("auto", *ENCODED):
            raise ValueError(f"--encoding applies to --format {' / '.join(ENCODED)}, not {fmt}")


def read_source(path: str | Path, fmt: str = "auto", text_column: str | None = None,
                offsets: str | None = None, encoding: str | None = None, **more
                ) -> tuple[list[dict], list[ImportProblem]]:
    """Every document of one source (file or folder) as a list, with the problems found
    (``more``: ``annotator``, ``doc_per_sentence``, as for ``import_paths``).

    For small sources and tests; imports stream through ``import_paths``.
    """
    check_options(fmt, offsets, encoding, **more)
    sources, problems = expand([path], fmt)
    docs = []
    options = {"text_column": text_column, "offsets": offsets, "encoding": encoding, **more}
    for source in sources:
        got, found = collect(_items(source, options))
        docs += got
        problems += found
    return docs, problems


def _items(source: Source, options: dict, position: list[int] | None = None
           ) -> Iterator[dict | ImportProblem]:
    """The documents and problems of one source; ``position[0]`` follows the bytes read."""
    encoding = options.get("encoding")
    if encoding and source.fmt not in ENCODED:
        yield ImportProblem(str(source.path), None, f"--encoding {encoding} does not apply to "
                            f"{source.fmt} files: read as UTF-8", False)
        options = {**options, "encoding": None}
    f, why = open_regular(source.path)      # never blocks: a FIFO put in its place is refused
    if f is None:
        yield ImportProblem(str(source.path), None, why)
        return
    file = str(source.path)
    with f:
        items = _read(source, f, options)
        while True:
            try:
                item = next(items)
            except StopIteration:
                break
            except Exception as e:      # a defect the reader did not foresee: this file, named
                yield ImportProblem(file, None, unexpected(e, "the rest of this file"))
                break
            if position is not None:
                try:
                    position[0] = f.tell()
                except (OSError, ValueError):
                    pass
            if not isinstance(item, ImportProblem) and "entity_record" not in item:
                # What the project cannot hold (a lone surrogate, NaN, nesting too deep, a text
                # past SQLite's limit) is refused here, for every reader, before the batch.
                why = document_problem(item)
                if why:
                    item = ImportProblem(item.get("file") or file, item.get("line"),
                                         f"{why}; skipped")
            yield item


def _offer(problem: ImportProblem, source: Source) -> ImportProblem:
    """``problem``, offering another encoding only where reading the file again with it works
    (doccano lines and a brat pair's text, for two, are read as UTF-8 whatever is said)."""
    if source.fmt in ENCODED and (not problem.encoding or problem.file == str(source.path)):
        return problem
    if "run again with --encoding" not in problem.message:
        return problem
    message = problem.message.split(" — run again")[0].split("; run again")[0]
    message = message.split("; save it as UTF-8")[0].split("; it looks like")[0]
    return replace(problem, encoding=None, message=message + "; save it as UTF-8 and import again")


def import_docs(store: Store, docs: list[dict], report: ImportReport) -> None:
    """Add already-read documents in one transaction, adding labels their spans need.

    A JSONL "reject" task (``reject``: True) adds no document: its spans are recorded as
    rejected suggestions on the document with the same text, which must be in the project by
    then (an export with --include-rejected writes each document's task before its rejections).
    """
    rejects = [d for d in docs if d.get("reject")]
    plain = [d for d in docs if not d.get("reject")]
    known = store.labels()
    first: dict[str, tuple[dict, object]] = {}
    for d in plain:
        for s in d.get("spans") or ():
            if s.label not in known and s.label not in first:
                first[s.label] = (d, s)
    missing = sorted(first)
    with store.write():
        if missing:
            new = []
            for name in missing:
                lab = known.new_label(name)
                known.labels.append(lab)
                new.append(lab)
            store.apply(ChangeLabels(None, tuple(new), (), "Labels from import"))
            report.new_labels += missing
            for name in missing:
                d, s = first[name]
                where = f"{d['file']}:{d['line']}" if d.get("file") and d.get("line") else d.get("file", "")
                report.new_label_where[name] = shown((f"{where}, " if where else "") +
                                                     f"span {s.start}-{s.end} {d['text'][s.start:s.end]!r}")
        plain = report.entities.batch(store, plain)     # entity lines; spans' kb_id linked
        added, dupes = store.add_documents(plain)
        for d in rejects:
            doc_id = store.find_text(d["text"])
            if doc_id is None:
                report.problems.append(ImportProblem(
                    d.get("file", ""), d.get("line"), "a reject task, and no document with this "
                    "text in the project: import the annotated task first; skipped"))
                continue
            report.rejections += store.add_rejected(doc_id, d.get("rejected") or ())
    report.added += added
    report.duplicates += dupes


def import_paths(store: Store, paths: Iterable[str | Path], *, fmt: str = "auto",
                 text_column: str | None = None, offsets: str | None = None,
                 encoding: str | None = None, annotator: int | str | None = None,
                 doc_per_sentence: bool = False, from_name: str | None = None,
                 to_name: str | None = None, batch_size: int = BATCH_SIZE,
                 progress: Progress | None = None,
                 cancelled: Callable[[], bool] | None = None) -> ImportReport:
    """Import files and folders into ``store``; return what was added, skipped and rejected.

    ``fmt``: ``auto`` (by file ending) or one of ``txt``, ``jsonl``, ``csv``, ``html``,
    ``doccano``, ``labelstudio``, ``conll``, ``brat``, ``spacy``.
    ``text_column``: the CSV column holding the text (default ``text``), or the Label Studio
    data field.
    ``offsets``: ``utf16`` (the default, doccano's own) or ``codepoints`` — the unit of
    doccano offsets (doccano only).
    ``annotator``: Label Studio — whose annotation of a task with several to import (a user
    id, or an e-mail address); default the first.
    ``from_name``, ``to_name``: Label Studio — the regions read (default: every ``labels``
    region).
    ``doc_per_sentence``: CoNLL — every sentence (blank-line-separated block) a document.
    ``encoding``: what text, JSONL, CSV and HTML files are in (default UTF-8; a file that is
    not is refused with the encoding it looks like in ``ImportProblem.encoding``).

    Documents are committed in batches of ``batch_size`` (fewer when reading them took more
    than ``MAX_BATCH_SECONDS``), each batch one transaction. After each batch
    ``progress(done, total, message)`` is called: ``done`` and ``total`` count **bytes of the
    source files** (the one unit that moves smoothly both through a folder of 10,000 pages and
    through one 100,000-line file, with no counting pass first); ``message`` says in words how
    far the import is (documents added, duplicates, rejected, the file being read). The last
    call has ``done == total`` unless the import was cancelled. After each batch but the last,
    ``cancelled()`` is asked: True stops the import there (``report.cancelled``), with every
    committed document whole and nothing of the next batch written.
    """
    more = {"annotator": annotator, "doc_per_sentence": doc_per_sentence,
            "from_name": from_name, "to_name": to_name}
    check_options(fmt, offsets, encoding, **more)
    options = {"text_column": text_column, "offsets": offsets, "encoding": encoding, **more}
    report = ImportReport()
    sources, problems = expand(paths, fmt)
    report.problems += problems
    total = sum(s.size for s in sources)
    batch: list[dict] = []
    done_before = 0
    position = [0]
    current = ""

    def message() -> str:
        text = f"{len(report.added)} added"
        if report.duplicates:
            text += f", {report.duplicates} duplicates"
        if rejected := len(report.rejected):
            text += f", {rejected} rejected"
        return f"{shown(current)}: {text}" if current else text

    def commit(last: bool = False) -> bool:
        """Commit the batch, report progress; True if the import is to stop here."""
        nonlocal batch, started
        if batch:
            import_docs(store, batch, report)
        batch = []
        started = time.monotonic()
        if progress:
            progress(total if last else min(done_before + position[0], total), total, message())
        return not last and cancelled is not None and bool(cancelled())

    started = time.monotonic()
    for source in sources:
        report.files += 1
        current = source.name
        position[0] = 0
        with closing(_items(source, options, position)) as items:
            for item in items:
                if isinstance(item, ImportProblem):
                    report.problems.append(_offer(item, source))
                else:
                    item.setdefault("file", str(source.path))
                    batch.append(item)
                if len(batch) >= batch_size or time.monotonic() - started > MAX_BATCH_SECONDS:
                    if commit():
                        report.cancelled = True
                        return report
        done_before += source.size
    current = ""
    commit(last=True)
    return report


def import_text(store: Store, text: str, title: str = "") -> ImportReport:
    report = ImportReport()
    if not text.strip():
        report.problems.append(ImportProblem("pasted text", None, "text is empty"))
        return report
    doc = {"text": text, "title": title, "meta": {"source": "pasted"}}
    why = document_problem(doc)             # the same rule as for files (a lone surrogate…)
    if why:
        report.problems.append(ImportProblem("pasted text", None, why))
        return report
    import_docs(store, [doc], report)
    return report


# The formats and the expansion of paths live in models/import_sources.py; they are named here
# too, where callers have always found them.
__all__ = ["ANNOTATED", "BATCH_SIZE", "ENCODED", "FOLDER_ENDINGS", "FOLDER_FORMATS", "FORMATS",
           "FORMAT_CHOICES", "MAX_BATCH_SECONDS", "ImportReport", "Source", "check_options", "expand",
           "format_of", "import_docs", "import_paths", "import_text", "read_source"]
