"""Plain-text import: one file, one article, the exact characters."""
from __future__ import annotations

from pathlib import Path

from models.formats.errors import ImportProblem, decode_utf8


def read_txt(path: str | Path) -> tuple[list[dict], list[ImportProblem]]:
    path = Path(path)
    text, problem = decode_utf8(path)
    if problem:
        return [], [problem]
    return [{"text": text, "title": path.stem, "meta": {"source": path.name}}], []
