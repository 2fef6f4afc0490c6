"""What an import reads: the formats, and the files a list of paths and folders stands for.

Only regular files are read (``formats.files``): a FIFO, a device, a socket, a link to one of
them or to nothing is refused naming what it is — given by name, or found in a folder under a
name the import would have read. A symbolic link to a regular file is read through; the folder
walk does not descend into linked folders (``os.walk``'s default: no loops, no escaping the
folder), a linked folder named on the command line is opened.

A file name that is not valid UTF-8 (``os.walk`` gives its raw bytes as surrogates,
``caf\\udce9.txt``) is read like any other; what is stored of it (``meta.source``, a title made
from it) goes through ``display.storable``, what is shown through ``display.shown``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from models.display import storable
from models.formats.brat import iter_brat
from models.formats.conll_read import iter_conll
from models.formats.csv import iter_csv
from models.formats.docbin import iter_docbin
from models.formats.doccano import iter_doccano
from models.formats.entities import read as read_entities
from models.formats.errors import ImportProblem
from models.formats.files import file_problem, mode_problem
from models.formats.html import iter_html
from models.formats.jsonl import iter_jsonl
from models.formats.labelstudio import iter_labelstudio
from models.formats.txt import iter_txt

# format name -> (reader, file name endings it is chosen for with --format auto)
FORMATS: dict[str, tuple[Callable[..., Iterator[dict | ImportProblem]], tuple[str, ...]]] = {
    "txt": (iter_txt, (".txt", ".text", ".md")),
    "jsonl": (iter_jsonl, (".jsonl",)),
    "csv": (iter_csv, (".csv",)),
    "html": (iter_html, (".html", ".htm")),
    "doccano": (iter_doccano, ()),          # .jsonl too: only ever chosen with --format doccano
    "labelstudio": (iter_labelstudio, (".json",)),      # Label Studio's JSON and JSON_MIN exports
    "conll": (iter_conll, (".conll", ".conll03", ".iob", ".iob1", ".iob2", ".bio", ".bioes",
                           ".bilou")),             # CoNLL-2003 and token/tag files
    "brat": (iter_brat, (".ann",)),
    "spacy": (iter_docbin, (".spacy",)),
    "entities": (read_entities, ()),        # .jsonl: read by the JSONL reader too
}
# The endings a folder is searched for, by format (where they differ from FORMATS').
FOLDER_ENDINGS = {"doccano": (".jsonl",)}
FORMAT_CHOICES = ("auto", *FORMATS)
FOLDER_FORMATS = ("txt", "html", "brat")   # what a folder brings in with --format auto
ANNOTATED = ("jsonl", "doccano", "labelstudio", "conll", "brat", "spacy")
# read in another encoding (--encoding)
ENCODED = ("txt", "jsonl", "csv", "html", "doccano", "labelstudio", "conll", "brat")
# an import option -> the formats whose reader takes it
READER_OPTIONS = {"text_column": ("csv", "labelstudio"), "offsets": ("doccano",),
                  "encoding": ENCODED, "annotator": ("labelstudio",),
                  "from_name": ("labelstudio",), "to_name": ("labelstudio",),
                  "doc_per_sentence": ("conll",)}
# (format, option) -> the reader's own name for it
READER_NAMES = {("labelstudio", "text_column"): "text_key"}


def format_of(path: Path) -> str | None:
    suffix = path.suffix.lower()
    for name, (_, suffixes) in FORMATS.items():
        if suffix in suffixes:
            return name
    return None


def _known_types() -> str:
    return ", ".join(s for _, suffixes in FORMATS.values() for s in suffixes)


@dataclass(frozen=True)
class Source:
    path: Path
    fmt: str
    name: str           # what meta["source"] says: the file name, or its path inside a folder
    size: int


def expand(paths: Iterable[str | Path], fmt: str = "auto") -> tuple[list[Source], list[ImportProblem]]:
    """The files to read for ``paths`` (folders opened, formats chosen) and the paths refused.

    ``fmt`` other than ``auto`` reads every file given by name in that format whatever its
    ending; inside a folder it picks the files with that format's endings.
    """
    if fmt not in FORMAT_CHOICES:
        raise ValueError(f"unknown format {fmt!r} (expected one of {', '.join(FORMAT_CHOICES)})")
    sources: list[Source] = []
    problems: list[ImportProblem] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = _folder(path, fmt, problems)
            if not found:
                kinds = FOLDER_FORMATS if fmt == "auto" else (fmt,)
                endings = ", ".join(s for k in kinds for s in _endings(k))
                problems.append(ImportProblem(str(path), None, f"folder has no {endings} files"))
            sources += found
            continue
        why = file_problem(path)
        if why:
            problems.append(ImportProblem(str(path), None, why))
            continue
        kind = format_of(path) if fmt == "auto" else fmt
        if kind is None:
            problems.append(ImportProblem(str(path), None, f"unknown file type {storable(path.suffix)!r} "
                                          f"(expected one of {_known_types()}, or a folder)"))
            continue
        sources.append(Source(path, kind, storable(path.name), _size(path, kind)))
    return sources, problems


def _endings(fmt: str) -> tuple[str, ...]:
    return FOLDER_ENDINGS.get(fmt, FORMATS[fmt][1])


def _folder(root: Path, fmt: str, problems: list[ImportProblem]) -> list[Source]:
    kinds = FOLDER_FORMATS if fmt == "auto" else (fmt,)
    found = []

    def unreadable(e: OSError) -> None:
        problems.append(ImportProblem(e.filename or str(root), None,
                                      f"cannot read folder: {e.strerror or e}"))

    for folder, dirs, files in os.walk(root, onerror=unreadable):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        names = set(files)
        for name in sorted(files):        # (problems in a stable order too)
            path = Path(folder, name)
            suffix = path.suffix.lower()
            kind = next((k for k in kinds if suffix in _endings(k)), None)
            if kind == "txt" and "brat" in kinds and path.stem + ".ann" in names:
                continue                        # the text of a brat pair: read with its .ann
            if not kind or name.startswith("."):
                continue
            why = _entry_problem(path)
            if why:                             # a FIFO, a device, a dangling link… named
                problems.append(ImportProblem(str(path), None, f"{why}; skipped"))
                continue
            rel = path.relative_to(root)
            found.append((rel.parts, Source(path, kind, storable(rel.as_posix()), _size(path, kind))))
    found.sort(key=lambda x: x[0])
    return [s for _, s in found]


def _entry_problem(path: Path) -> str | None:
    """``file_problem`` for a folder entry, with one ``stat`` for the common case."""
    try:
        return mode_problem(os.stat(path).st_mode, path)
    except OSError:
        return file_problem(path)


def _size(path: Path, kind: str | None = None) -> int:
    paths = [path]
    if kind == "brat":           # the pair: the bytes of both files are read
        paths = [path.with_suffix(".txt"), path.with_suffix(".ann")]
    total = 0
    for p in paths:
        try:
            total += p.stat().st_size
        except OSError:
            pass
    return total


__all__ = ["FORMATS", "FOLDER_ENDINGS", "FORMAT_CHOICES", "FOLDER_FORMATS", "ANNOTATED", "ENCODED",
           "format_of", "Source", "expand"]
