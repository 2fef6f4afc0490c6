"""Sharing the work: one project file per annotator (``article-annotator split``, File ▸ Split
for annotators…).

Every document goes to one annotator, and a sample of ``overlap`` of them to every annotator
(what agreement is measured on). Which ones is fixed by the seed and the documents' text
hashes alone: the same project, names and seed give the same files on any machine. The rest
is dealt out in turn in that same order, so the annotators get as many documents each as can
be (they differ by one at most).

Each file is a consistent copy of the project (SQLite's backup API) with the other documents
taken out: the label set, the entities, the model's suggestions and any person's spans travel
along; every document is "new" in it (each annotator judges it afresh), the undo history
starts empty, and the file names its annotator. All files are written as ``.part`` first and
renamed only once every one is complete: a failure leaves no file behind; an existing file is
never overwritten (it may hold someone's work).
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Callable

from models import span_strings, team
from models.migrations import copy_consistent
from models.project_file import StoreError, project_in_the_way, sync_folder

SPLIT_KEY = "split"            # the setting that says where a file came from


def plan(keys: list[str], annotators: list[str], overlap: float, seed: int = 0) -> dict[str, set[str]]:
    """annotator -> the text hashes of the documents that go to them."""
    order = sorted(keys, key=lambda k: (hashlib.sha256(f"{seed}:{k}".encode()).hexdigest(), k))
    n_shared = round(overlap * len(order))
    shared, rest = order[:n_shared], order[n_shared:]
    out = {a: set(shared) for a in annotators}
    for i, k in enumerate(rest):
        out[annotators[i % len(annotators)]].add(k)
    return out


def targets(project: Path, out_dir: Path, annotators: list[str]) -> dict[str, Path]:
    return {a: Path(out_dir) / f"{Path(project).stem}.{_file_name(a)}.annotator" for a in annotators}


def _file_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip(".") or "annotator"


def check_names(annotators: list[str]) -> None:
    if len(annotators) < 2:
        raise StoreError("a split needs at least two annotators (names separated by commas: alice, bob)")
    for a in annotators:
        why = team.name_problem(a)
        if why:
            raise StoreError(why)
    seen: dict[str, str] = {}
    for a in annotators:
        f = _file_name(a).lower()
        if f in seen:
            raise StoreError(f"the annotators {seen[f]!r} and {a!r} would write the same file")
        seen[f] = a


def refusal(project: str | Path, out_dir: str | Path, annotators: list[str], overlap: float) -> str | None:
    """Why a split cannot be written as asked, if so (checked before anything is written)."""
    try:
        check_names(annotators)
    except StoreError as e:
        return str(e)
    if not 0 <= overlap <= 1:
        return f"the overlap is a share of the documents, from 0 to 1, not {overlap}"
    if not Path(out_dir).is_dir():
        return f"the folder {out_dir} does not exist"
    for a, f in targets(Path(project), Path(out_dir), annotators).items():
        if f.exists() or f.is_symlink():
            return (f"{f} exists (it may hold {a}'s work); nothing was written — choose another "
                    "folder or remove it")
        why = project_in_the_way(f, copy=True)
        if why:
            return f"{why}; nothing was written"
    return None


def split(project: str | Path, out_dir: str | Path, annotators: list[str], overlap: float,
          seed: int = 0, progress: Callable[[int, int], None] | None = None) -> dict[str, tuple[Path, int]]:
    """Write the files; annotator -> (file, documents in it). Raises StoreError (nothing written)."""
    project, out_dir = Path(project), Path(out_dir)
    why = refusal(project, out_dir, annotators, overlap)
    if why:
        raise StoreError(why)
    files = targets(project, out_dir, annotators)
    from models.store import Store
    src = Store(project, readonly=True)
    try:
        keys = dict(src.db.execute("SELECT text_hash, id FROM documents"))
    finally:
        src.close()
    shares = plan(list(keys), annotators, overlap, seed)
    info = {"from": project.name, "annotators": annotators, "overlap": overlap, "seed": seed}
    parts, done = [], {}
    try:
        for i, a in enumerate(annotators):
            part = files[a].with_name(files[a].name + ".part")
            part.unlink(missing_ok=True)
            parts.append(part)
            copy_consistent(project, part)
            _keep_only(part, sorted(keys[k] for k in shares[a]), a, info)
            done[a] = (files[a], len(shares[a]))
            if progress:
                progress(i + 1, len(annotators))
        for a, part in zip(annotators, parts):
            part.replace(files[a])
        sync_folder(out_dir)
    except BaseException:
        for p in parts:
            p.unlink(missing_ok=True)
        raise
    return done


def _keep_only(path: Path, doc_ids: list[int], annotator: str, info: dict) -> None:
    """In the copy at ``path``: only ``doc_ids`` stay, all new, no history, named for ``annotator``."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute("BEGIN")
        conn.execute("CREATE TEMP TABLE keep (id INTEGER PRIMARY KEY)")
        conn.executemany("INSERT INTO keep(id) VALUES (?)", [(d,) for d in doc_ids])
        gone = "doc_id NOT IN (SELECT id FROM temp.keep)"
        conn.execute("DELETE FROM journal_docs")
        conn.execute("DELETE FROM journal")
        for table in ("spans", "rejected", "suggested", "texts"):
            conn.execute(f"DELETE FROM {table} WHERE {gone}")
        conn.execute("DELETE FROM versions")          # a merged project's versions stay at home
        conn.execute("DELETE FROM decisions")
        conn.execute("DELETE FROM documents WHERE id NOT IN (SELECT id FROM temp.keep)")
        conn.execute("UPDATE documents SET status = 'new', annotator = NULL")
        conn.execute("UPDATE spans SET annotator = NULL")
        conn.execute("DROP TABLE span_strings")
        span_strings.create(conn)
        conn.execute("DELETE FROM settings WHERE key IN ('last_pos', 'last_doc')")
        conn.executemany("INSERT OR REPLACE INTO settings(key, value) VALUES (?, ?)",
                         [(team.ANNOTATOR_KEY, json.dumps(annotator)),
                          (SPLIT_KEY, json.dumps(info, ensure_ascii=False))])
        conn.execute("COMMIT")
        conn.execute("VACUUM")
    finally:
        conn.close()
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


__all__ = ["plan", "split", "refusal", "targets", "check_names", "SPLIT_KEY"]
