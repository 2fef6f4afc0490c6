"""HTML import: a saved news page becomes its article body, extracted with trafilatura.

What is stored (and annotated) is the *extracted* text — the article's headline and paragraphs,
one per line — not the page's markup: navigation, menus, comments, scripts, styles, cookie
banners and footers are left out. The page's title, publication date and URL (canonical link
or ``og:url``), where trafilatura finds them, go into ``meta`` beside ``source`` (the file).
The page's own encoding (``<meta charset>``) is honoured.
"""
from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Iterator

from models.display import storable
from models.formats.errors import ImportProblem, collect, decode_bytes, open_and_read, sniff
from models.formats.files import read_whole
from models.formats.txt import headline

META_FIELDS = ("title", "date", "url")


def extract(data: bytes | str) -> tuple[str, dict]:
    """The article text of an HTML page and its metadata (title, date, url where found)."""
    import trafilatura          # ~0.2 s to import: only when an HTML page is imported

    found = trafilatura.bare_extraction(data, with_metadata=True, include_comments=False,
                                        include_tables=True, include_images=False,
                                        include_links=False)
    if found is None:
        return "", {}
    get = found.get if isinstance(found, dict) else lambda k: getattr(found, k, None)
    meta = {k: str(get(k)) for k in META_FIELDS if get(k)}
    return (get("text") or "").strip(), meta


def iter_html(f: BinaryIO, file: str, source: str | None = None,
              encoding: str | None = None) -> Iterator[dict | ImportProblem]:
    """The article of one HTML page, or the problem that rejects it.

    ``encoding``: what the page is in when it does not say so itself (default: the page's
    ``<meta charset>``, else what trafilatura makes of it).
    """
    data, why = read_whole(f)
    if why:
        yield ImportProblem(file, None, why)
        return
    if not data.strip():
        yield ImportProblem(file, None, "file is empty")
        return
    problem = sniff(data, file, encoding)
    if problem:
        yield problem
        return
    page: bytes | str = data
    if encoding:
        text, problem = decode_bytes(data, file, encoding)
        if problem:
            yield problem
            return
        page = text
    try:
        text, meta = extract(page)
    except Exception as e:      # a parser failure on one page must not stop the import
        yield ImportProblem(file, None, f"cannot extract the article: {type(e).__name__}: {e}")
        return
    if not text:
        yield ImportProblem(file, None, "no article text found in the page")
        return
    path = Path(file)
    title = meta.get("title") or headline(text) or storable(path.stem)
    yield {"text": text, "title": title, "meta": {"source": storable(source or path.name), **meta}}


def read_html(path: str | Path) -> tuple[list[dict], list[ImportProblem]]:
    return collect(open_and_read(path, iter_html))
