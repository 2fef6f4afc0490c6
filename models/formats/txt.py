"""Plain-text import: one file, one article, the exact characters."""
from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Iterator

from models.display import storable
from models.formats.errors import ImportProblem, collect, open_and_read, read_text


def iter_txt(f: BinaryIO, file: str, source: str | None = None,
             encoding: str | None = None) -> Iterator[dict | ImportProblem]:
    """The one article of a text (or Markdown) file, or the problem that rejects it.

    ``source`` is what ``meta["source"]`` says (default: the file's name); ``encoding`` what
    the file is in (default UTF-8; one that is not is refused, naming the encoding it looks
    like).
    """
    text, problem = read_text(f, file, encoding)
    if problem:
        yield problem
        return
    path = Path(file)
    # A file name that is not UTF-8 (its raw bytes as surrogates) is kept escaped: storable().
    yield {"text": text, "title": headline(text) or storable(path.stem),
           "meta": {"source": storable(source or path.name)}}


def read_txt(path: str | Path) -> tuple[list[dict], list[ImportProblem]]:
    return collect(open_and_read(path, iter_txt))


def headline(text: str, longest: int = 160) -> str:
    """A news article's first non-empty line, if it is short enough to be its headline.

    Only the text's start is looked at: splitting a 50 MB text into lines held the GIL (and
    so the window's UI thread) for a second."""
    for line in text[:4096 + longest + 1].splitlines():
        line = line.strip().lstrip("#").strip()        # a Markdown heading's marks go
        if line:
            return line if len(line) <= longest else ""
    return ""
