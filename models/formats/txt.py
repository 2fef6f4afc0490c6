"""Plain-text import: one file, one article, the exact characters."""
from __future__ import annotations

from pathlib import Path

from models.formats.errors import ImportProblem, decode_utf8


def read_txt(path: str | Path) -> tuple[list[dict], list[ImportProblem]]:
    path = Path(path)
    text, problem = decode_utf8(path)
    if problem:
        return [], [problem]
    return [{"text": text, "title": headline(text) or path.stem, "meta": {"source": path.name}}], []


def headline(text: str, longest: int = 160) -> str:
    """A news article's first non-empty line, if it is short enough to be its headline."""
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()        # a Markdown heading's marks go
        if line:
            return line if len(line) <= longest else ""
    return ""
