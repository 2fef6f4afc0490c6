"""What an import reports: problems with file, line and what is wrong."""
from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ImportProblem:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


def decode_utf8(path: Path) -> tuple[str, ImportProblem | None]:
    """The file's text, or a problem saying why it cannot be read as UTF-8 text.

    A UTF-8 byte-order mark is not part of the text. Nothing else is changed: line ends,
    whitespace and every character are kept exactly.
    """
    try:
        data = path.read_bytes()
    except OSError as e:
        return "", ImportProblem(str(path), None, f"cannot read file: {e.strerror or e}")
    if not data.strip():
        return "", ImportProblem(str(path), None, "file is empty")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "", ImportProblem(str(path), None, "file is UTF-16; save it as UTF-8 and import again")
    if b"\x00" in data[:8192]:
        return "", ImportProblem(str(path), None, "file is binary, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        return "", ImportProblem(str(path), line,
                                 f"not UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}); "
                                 "save it as UTF-8 and import again")
    return text.removeprefix("\ufeff"), None
