"""CSV import: one article per record, the text in a chosen column.

The file is read as a stream (records may span lines: a quoted field keeps its newlines, and
``\\r\\n`` inside it, exactly). The first record is the header. The text comes from the column
named ``text_column`` (default ``text``); a ``title`` column becomes the title; every other
column goes into ``meta`` under its header name, beside ``source`` (the file's name).
"""
from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import BinaryIO, Iterator

from models.display import storable
from models.formats.errors import (HEAD, ImportProblem, codec_name, collect, detect, open_and_read,
                                   sniff, utf8_first)
from models.formats.files import MAX_TEXT_BYTES
from models.formats.records import unexpected
from models.formats.txt import headline

DEFAULT_TEXT_COLUMN = "text"
TITLE_COLUMN = "title"

# A news article can be far longer than the csv module's default 128 KiB field limit; one longer
# than SQLite holds as a text could not be stored (a quote never closed would otherwise read the
# rest of the file into one field). A record that breaks it is reported and the next one read.
csv.field_size_limit(min(sys.maxsize, MAX_TEXT_BYTES))


def _find(header: list[str], name: str) -> int | None:
    """Index of the column called ``name``: exact match first, then ignoring case and spaces."""
    if name in header:
        return header.index(name)
    loose = [i for i, h in enumerate(header) if h.strip().casefold() == name.strip().casefold()]
    return loose[0] if len(loose) == 1 else None


def _not_utf8(row: list[str]) -> int | None:
    """The first byte of ``row`` that was not UTF-8 (decoded with surrogateescape), if any."""
    for field in row:
        try:
            field.encode("utf-8")
        except UnicodeEncodeError as e:
            return ord(field[e.start]) - 0xDC00
    return None


def iter_csv(f: BinaryIO, file: str, source: str | None = None,
             text_column: str | None = None, encoding: str | None = None) -> Iterator[dict | ImportProblem]:
    """Stream the records of a CSV file as documents; a bad record is a problem with its line.

    ``line`` (of a document or a problem) is the physical line where the record starts.
    ``encoding``: what the file is in (default UTF-8).
    """
    head = f.read(HEAD)
    problem = sniff(head, file, encoding)
    if problem:
        yield problem
        return
    if not head.strip():
        yield ImportProblem(file, None, "file is empty")
        return
    f.seek(0)
    source = storable(source or Path(file).name)
    # surrogateescape: a byte that is not UTF-8 rejects only the record it is in (checked below).
    # --encoding is for the records that are not UTF-8 (read as UTF-8, each bad one decoded
    # again in it): applied to UTF-8 records it would turn "é" into "Ã©".
    fallback = codec_name(encoding) if utf8_first(encoding) else None
    if fallback:
        encoding = None
    codec = codec_name(encoding) if encoding else "utf-8-sig"
    unit = encoding or "UTF-8"
    text = io.TextIOWrapper(f, encoding=codec, errors="surrogateescape", newline="")
    reader = csv.reader(text)
    header: list[str] | None = None
    col = title_col = None
    start = 1
    hinted = False
    stopped = False

    def rows():
        """The records, and for one that is not valid CSV its problem: the reader goes on after
        it (a field over the limit, a stray quote), so only that record is lost."""
        nonlocal start, stopped
        while True:
            before = reader.line_num
            try:
                yield next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as e:     # (--encoding utf-16: a lone surrogate)
                stopped = True
                yield ImportProblem(file, start, f"cannot be read as {unit} (byte "
                                    f"0x{e.object[e.start]:02x} in or after this line); the rest "
                                    "of the file was not read")
                return
            except csv.Error as e:
                line, start = start, reader.line_num + 1
                if reader.line_num == before:       # no progress: nothing more can be read
                    stopped = True
                    yield ImportProblem(file, line, f"not valid CSV ({e}); the rest of the file "
                                        "was not read")
                    return
                yield ImportProblem(file, line, f"not valid CSV ({e}); record skipped")

    try:
        for row in rows():
            if isinstance(row, ImportProblem):
                yield row
                continue
            line, start = start, reader.line_num + 1
            try:
                if not row or (len(row) == 1 and not row[0].strip() and header is None):
                    continue                                    # blank line
                if fallback and _not_utf8(row):
                    try:
                        row = [x.encode("utf-8", "surrogateescape").decode(fallback) for x in row]
                    except UnicodeDecodeError:
                        unit = fallback
                if header is None:
                    if _not_utf8(row):
                        yield ImportProblem(file, line, f"header is not {unit}; save the file as "
                                            "UTF-8, or run again with --encoding NAME (e.g. cp1252)")
                        return
                    row[0] = row[0].removeprefix("\ufeff")          # a BOM is no part of the name
                    header = [h or f"column {i + 1}" for i, h in enumerate(row)]
                    want = text_column or DEFAULT_TEXT_COLUMN
                    col = _find(header, want)
                    if col is None:
                        yield ImportProblem(file, line, f"no column {want!r} (columns: "
                                            f"{', '.join(repr(h) for h in header)}); "
                                            "choose the text column with --text-column")
                        return
                    title_col = _find(header, TITLE_COLUMN)
                    if title_col == col:
                        title_col = None
                    continue
                bad = _not_utf8(row)
                if bad:
                    hint, guess = "", None
                    if not hinted and not encoding and not fallback:    # the first bad record says what to do
                        guess = detect(head)
                        hint = (f"; it looks like {guess} — run again with --encoding {guess}" if guess
                                else "; run again with --encoding NAME if the file is not UTF-8")
                    hinted = True
                    yield ImportProblem(file, line, f"not {unit} (byte 0x{bad:02x}); record skipped{hint}",
                                        encoding=guess)
                    continue
                if len(row) != len(header):
                    yield ImportProblem(file, line, f"record has {len(row)} fields, the header has "
                                        f"{len(header)}; record skipped")
                    continue
                body = row[col]
                if not body.strip():
                    yield ImportProblem(file, line, f"column {header[col]!r} is empty")
                    continue
                meta = {"source": source}
                meta.update((h, v) for i, (h, v) in enumerate(zip(header, row)) if i not in (col, title_col))
                title = row[title_col].strip() if title_col is not None else ""
                yield {"text": body, "title": title or headline(body), "meta": meta, "line": line}
            except Exception as e:      # a defect met on one record: that record, named
                yield ImportProblem(file, line, unexpected(e, "this record"))
    except csv.Error as e:
        yield ImportProblem(file, start, f"not valid CSV ({e}); the rest of the file was not read")
        return
    finally:
        text.detach()                # the caller owns (and closes) the binary file
    if header is None and not stopped:
        yield ImportProblem(file, None, "file is empty")


def read_csv(path: str | Path, text_column: str | None = None) -> tuple[list[dict], list[ImportProblem]]:
    return collect(open_and_read(path, iter_csv, text_column=text_column))
