"""Export a project to a file, atomically: a half-written export never replaces a good one."""
from __future__ import annotations

import os
from pathlib import Path

from models.document import DONE
from models.formats.jsonl import write_jsonl
from models.store import Store


def export_jsonl(store: Store, out: str | Path, all_documents: bool = False) -> int:
    """Write Prodigy-style JSONL; return the number of documents written."""
    out = Path(out)
    items = store.iter_documents(None if all_documents else (DONE,))
    tmp = out.with_name(out.name + ".part")
    try:
        with tmp.open("w", encoding="utf-8", newline="\n") as f:
            n = write_jsonl(items, f)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return n
