"""What an import reports (problems with file, line and what is wrong) and the checks every
reader shares before it decodes a file."""
from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

HEAD = 8192          # bytes looked at to tell text from binary


@dataclass(frozen=True)
class ImportProblem:
    file: str
    line: int | None
    message: str
    # True when something was left out (a file, a line, a record); False for a warning about a
    # document that was still imported (e.g. one of its spans was dropped).
    rejected: bool = True

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


def sniff(head: bytes, file: str) -> ImportProblem | None:
    """A problem if the first bytes of a file show it is not UTF-8 text at all."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return ImportProblem(file, None, "file is UTF-16; save it as UTF-8 and import again")
    if b"\x00" in head[:HEAD]:
        return ImportProblem(file, None, "file is binary, not text")
    return None


def decode_bytes(data: bytes, file: str) -> tuple[str, ImportProblem | None]:
    """The text of a whole file's bytes, or a problem saying why it is not UTF-8 text.

    A UTF-8 byte-order mark is not part of the text. Nothing else is changed: line ends,
    whitespace and every character are kept exactly.
    """
    if not data.strip():
        return "", ImportProblem(file, None, "file is empty")
    problem = sniff(data, file)
    if problem:
        return "", problem
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        return "", ImportProblem(file, line, not_utf8(data[e.start], e.start))
    return text.removeprefix("\ufeff"), None


def not_utf8(byte: int, offset: int) -> str:
    return f"not UTF-8 (byte 0x{byte:02x} at offset {offset}); save it as UTF-8 and import again"


def decode_utf8(path: Path) -> tuple[str, ImportProblem | None]:
    """The file's text, or a problem saying why it cannot be read as UTF-8 text."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        return "", ImportProblem(str(path), None, f"cannot read file: {e.strerror or e}")
    return decode_bytes(data, str(path))


def collect(items: Iterable[dict | ImportProblem]) -> tuple[list[dict], list[ImportProblem]]:
    """A streaming reader's output as (documents, problems) lists, for small files and tests."""
    docs, problems = [], []
    for item in items:
        (problems if isinstance(item, ImportProblem) else docs).append(item)
    return docs, problems


def open_and_read(path: str | Path, reader, **options) -> Iterator[dict | ImportProblem]:
    """Run a streaming ``reader(binary_file, name, **options)`` over the file at ``path``."""
    path = Path(path)
    try:
        f = path.open("rb")
    except OSError as e:
        yield ImportProblem(str(path), None, f"cannot read file: {e.strerror or e}")
        return
    with f:
        yield from reader(f, str(path), **options)
