"""brat standoff: ``<doc>.txt`` (the exact text) beside ``<doc>.ann``, one line per entity:
``T1<TAB>LABEL start end<TAB>text``.

Offsets are code points into the exact text of the ``.txt`` file, CRLF included (brat reads the
file without translating line ends). The ``.txt`` is written byte for byte (``newline=""``).

A span that contains a line break is written as brat writes a selection across lines: a
*discontinuous* annotation with one fragment per line, ``T1<TAB>LABEL 0 5;6 11<TAB>North Korea``
(the fragments' texts joined by a space, as brat does); the line-break characters themselves
lie between the fragments. Reading it back joins the fragments into the one span again. A span
that begins or ends with a line break cannot be written exactly (no fragment can hold it): it is
written without those characters and the export reports it.

Import: ``T`` lines become spans (fragments separated only by whitespace are joined into one
span; a truly discontinuous entity is reported and skipped, NER spans being contiguous). The
text at the offsets must equal the line's text field (brat refuses the file otherwise; a
mismatch means the offsets count something else) or the span is reported and skipped. Relation,
event, attribute and note lines are counted and reported once per file. Documents come in
**done**.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

from models.document import DONE, Document
from models.formats.annotated import clean_spans, excerpt
from models.display import shown, storable
from models.formats.errors import ImportProblem, codec_name, decode_bytes
from models.formats.files import open_regular, read_whole
from models.formats.records import short
from models.formats.txt import headline
from models.spans import Span

# Characters that end a line: str.splitlines() breaks on all of them, and a brat .ann line must
# not contain any of them.
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_FRAGMENT = re.compile(f"[^{LINE_BREAKS}]+")
_T_LINE = re.compile(r"^T\S*$")
_OFFSET = re.compile("[0-9]+")        # ASCII digits only: int() would take '١٢', '1_000', '+5'


def file_stem(doc_id: int) -> str:
    """The name of a document's pair of files: brat lists a folder sorted by name."""
    return f"doc-{doc_id:06d}"


def fragments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) cut at line breaks, without them: brat's fragments of the span."""
    return [(start + m.start(), start + m.end()) for m in _FRAGMENT.finditer(text[start:end])]


def ann_lines(text: str, spans: Iterable[Span]) -> tuple[list[str], list[tuple[Span, str]]]:
    """The ``.ann`` lines of a document and the spans that could not be written exactly (with
    the reason)."""
    lines, notes = [], []
    n = 0
    for s in sorted(spans):
        frags = fragments(text, s.start, s.end)
        if not frags:
            notes.append((s, "it holds nothing but line breaks; not written"))
            continue
        if frags[0][0] != s.start or frags[-1][1] != s.end:
            notes.append((s, f"it begins or ends with a line break; written as "
                             f"{frags[0][0]}-{frags[-1][1]}"))
        n += 1
        where = ";".join(f"{a} {b}" for a, b in frags)
        lines.append(f"T{n}\t{s.label} {where}\t{' '.join(text[a:b] for a, b in frags)}")
    return lines, notes


def ann_text(text: str, spans: Iterable[Span]) -> tuple[str, list[tuple[Span, str]]]:
    lines, notes = ann_lines(text, spans)
    return "".join(line + "\n" for line in lines), notes


def annotation_conf(labels: Iterable[str]) -> str:
    """A brat ``annotation.conf`` declaring the labels as entity types."""
    return ("# Entity types of an article-annotator export\n[entities]\n"
            + "".join(f"{name}\n" for name in labels)
            + "\n[relations]\n\n[events]\n\n[attributes]\n")


def document_files(doc: Document, spans: list[Span]) -> tuple[str, str, list[tuple[Span, str]]]:
    """(text of the .txt, text of the .ann, spans written inexactly)."""
    ann, notes = ann_text(doc.text, spans)
    return doc.text, ann, notes


# -- import ---------------------------------------------------------------------------------------

def pair_of(path: Path) -> tuple[Path, Path]:
    """(.txt, .ann) of a brat document given either file."""
    return path.with_suffix(".txt"), path.with_suffix(".ann")


def parse_ann(ann: str, text: str, file: str) -> tuple[list[Span], list[ImportProblem]]:
    """The spans of an ``.ann`` file checked against the document's text."""
    raw, problems = [], []
    other = 0
    first_other = None
    for lineno, line in enumerate(ann.split("\n"), 1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        fields = line.split("\t", 2)
        name = re.split(r"[\t ]", line, maxsplit=1)[0]
        if not _T_LINE.match(name):
            other += 1
            first_other = first_other or lineno
            continue
        if len(fields) < 2:
            problems.append(ImportProblem(file, lineno, f"{name} skipped: expected "
                                          "'ID<TAB>LABEL start end<TAB>text'", False))
            continue
        label, _, where = fields[1].partition(" ")
        try:
            frags = [tuple(int(x) if _OFFSET.fullmatch(x) else _no_offset() for x in part.split())
                     for part in where.split(";")]
            if not frags or any(len(f) != 2 for f in frags):
                raise ValueError
        except ValueError:          # (also a number past Python's digit limit)
            problems.append(ImportProblem(file, lineno, f"{shown(name)[:40]} skipped: offsets {short(where)} "
                                          "are not 'start end' or 'start end;start end'", False))
            continue
        frags.sort()
        start, end = frags[0][0], frags[-1][1]
        gaps = [text[a[1]:b[0]] for a, b in zip(frags, frags[1:])]
        if any(a[1] > b[0] for a, b in zip(frags, frags[1:])) or any(
                not g or not g.isspace() for g in gaps):
            problems.append(ImportProblem(file, lineno, f"{name} ({where} {label}) skipped: a "
                                          "discontinuous entity (fragments with text between "
                                          "them); NER spans are contiguous", False))
            continue
        if len(fields) == 3 and 0 <= start < end <= len(text):
            expected = " ".join(text[a:b] for a, b in frags)
            if fields[2] != expected:
                problems.append(ImportProblem(file, lineno, f"{name} ({where} {label}) skipped: "
                                              f"the text at {where} is {excerpt(text, start, end)}, "
                                              f"the line says {fields[2][:40]!r} (offsets counted "
                                              "differently?)", False))
                continue
        raw.append((name, start, end, label, lineno))
    spans, found = clean_spans(raw, text, file, None)
    problems += found
    if other:
        problems.append(ImportProblem(file, first_other, f"{other} line{'s' if other > 1 else ''} "
                                      "other than entities (relations, events, attributes, notes) "
                                      "ignored", False))
    return spans, problems


def _no_offset():
    raise ValueError


def _read(path: Path, f: BinaryIO | None) -> tuple[bytes | None, str | None]:
    """The bytes of ``path`` (from ``f`` when it is the file the import opened), (None, None) if
    there is no such file, or (None, why) — a FIFO or a device beside the .ann is never read."""
    if f is None:
        f, why = open_regular(path)
        if f is None:
            return None, (None if why == "no such file" else why)
        with f:
            return read_whole(f)
    return read_whole(f)


def iter_brat(f: BinaryIO, file: str, source: str | None = None,
              encoding: str | None = None) -> Iterator[dict | ImportProblem]:
    """The document of one brat pair; ``f`` is either file of the pair (the other is opened).
    ``encoding``: of a pair that is not UTF-8 (brat's offsets are characters, so they hold)."""
    path = Path(file)
    txt_path, ann_path = pair_of(path)
    data, why = _read(txt_path, f if path == txt_path else None)
    if data is None or why:
        yield ImportProblem(str(txt_path), None, f"cannot read the text of this brat document: "
                            f"{why or 'no such file'}")
        return
    text, problem = decode_bytes(data, str(txt_path), encoding)
    if problem:
        yield problem
        return
    ann_bytes, why = _read(ann_path, f if path == ann_path else None)
    if why:
        yield ImportProblem(str(ann_path), None, why)
        return
    spans: list[Span] = []
    if ann_bytes is None:
        yield ImportProblem(str(ann_path), None, "no .ann file beside the text: imported without "
                            "entities", False)
    else:
        try:
            ann = ann_bytes.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as e:
            try:
                if not encoding:
                    raise
                ann = ann_bytes.decode(codec_name(encoding)).removeprefix("\ufeff")
            except UnicodeDecodeError:
                line = ann_bytes[: e.start].count(b"\n") + 1
                yield ImportProblem(str(ann_path), line, f"not {encoding or 'UTF-8'} (byte "
                                    f"0x{ann_bytes[e.start]:02x}); the document was not imported")
                return
        spans, problems = parse_ann(ann, text, str(ann_path))
        yield from problems
    name = storable(source or txt_path.name)
    if name.endswith(".ann"):
        name = name[:-4] + ".txt"
    yield {"text": text, "title": headline(text) or storable(txt_path.stem), "meta": {"source": name},
           "spans": spans, "status": DONE, "file": str(ann_path)}
