"""Documents: the exact imported text plus title, meta and workflow status."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

NEW, IN_PROGRESS, DONE, SKIPPED = "new", "in progress", "done", "skipped"
STATUSES = (NEW, IN_PROGRESS, DONE, SKIPPED)


def text_hash(text: str) -> str:
    """Stable hash of the exact text (no normalisation: the text is sacred)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def default_title(text: str, words: int = 8) -> str:
    first = " ".join(text.split()[:words])
    return first[:80] or "(empty)"


@dataclass
class Document:
    id: int
    text: str
    title: str = ""
    meta: dict = field(default_factory=dict)
    status: str = NEW
    text_hash: str = ""
    annotator: str = ""         # who last changed it by hand ("": nobody recorded)
