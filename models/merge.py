"""Bringing annotators' files together (``article-annotator merge``, File ▸ Merge
annotators' files…): one project in which each document has every annotator's version side
by side (``versions``, see ``models/team.py``), and the gold an adjudicator builds from them
(``models/adjudicate.py``).

Documents are matched by their text hash. Nothing is dropped: a document only some files
hold has only their versions; each version keeps its status and spans (and the entity each
span names, matched across files by name and knowledge-base id); the labels of every file
make the label set (the first file's colours and keys win); the model's suggestions (from the
first file holding a document) are one more version, named "model". The gold starts empty. A
merged project given as a file brings its versions (a late annotator joins a merge made
before); its gold does not come along (said).

The files come from other people: each is opened read-only and checked as any untrusted
project is (a foreign schema, a damaged row: ``models/schema_check.py``, ``models/contents.py``).
A damaged document is reported (file, document, why) and its version left out; the rest is
kept. The merged project is written as ``.part`` and renamed when complete: a failure leaves
nothing; an existing file is never overwritten.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from models import contents, team
from models.display import about_file, path_shown, shown
from models.document import STATUSES
from models.labels import Label
from models.project_file import StoreError, project_in_the_way, sync_folder
from models.spans import MANUAL, Span

MERGED_KEY = "merged"           # the setting that lists the files and their annotators


@dataclass
class MergeReport:
    path: Path
    annotators: list[str]
    documents: int = 0
    versions: dict[str, int] = field(default_factory=dict)      # annotator -> versions
    problems: list[str] = field(default_factory=list)           # "FILE: document N: why"
    notes: list[str] = field(default_factory=list)              # names not the files' own


def merge(out: str | Path, inputs: list[str | Path],
          progress: Callable[[int, int], None] | None = None, annotator: str | None = None) -> MergeReport:
    """Write the merged project ``out`` from ``inputs`` (see the module doc); ``annotator``:
    who will adjudicate it (kept in it; else the window asks when it opens)."""
    from models.store import Store
    out = Path(out)
    if len(inputs) < 2:
        raise StoreError("a merge needs at least two annotators' files")
    if out.exists() or out.is_symlink():
        raise StoreError(f"{path_shown(out)} exists; a merge writes a new project — choose another name")
    why = project_in_the_way(out, copy=True)
    if why:
        raise StoreError(why)
    if not out.parent.is_dir():
        raise StoreError(f"the folder {path_shown(out.parent)} does not exist")
    paths = [Path(p) for p in inputs]
    seen_paths: set = set()
    for p in paths:
        if p.resolve() in seen_paths:
            raise StoreError(f"{path_shown(p)} is given twice")
        if p.resolve() == out.resolve():
            raise StoreError(f"{path_shown(p)} is the merged project itself")
        seen_paths.add(p.resolve())
    stores, names, notes = [], {}, []
    try:
        for p in paths:
            try:
                s = Store(p, readonly=True)      # checked as any untrusted project
            except StoreError as e:
                raise StoreError(about_file(p, e)) from None
            stores.append(s)
            if s.is_merged():       # a merge before: its versions come along (a late annotator)
                who = [n for n in s.version_names() if n != team.MODEL]
                if s.db.execute("SELECT 1 FROM spans LIMIT 1").fetchone():
                    notes.append(f"{path_shown(p)} is a merged project: its versions are merged "
                                 "again, its gold is not")
            else:
                name, note = team.file_annotator(s, p)
                who = [name]
                if note:
                    notes.append(note)
            for name in who:
                if name in names:
                    raise StoreError(f"{path_shown(names[name][0])} and {path_shown(p)} both have "
                                     f"{shown(name)}'s version; rename one's annotator "
                                     "(article-annotator annotator FILE NAME)")
                names[name] = (p, s)
        report = _write(out, [(n, p, s) for n, (p, s) in names.items()], progress, annotator)
        report.notes = notes
        return report
    finally:
        for s in stores:
            s.close()


def _write(out: Path, inputs: list, progress, annotator: str | None = None) -> MergeReport:
    from models.store import Store
    report = MergeReport(out, [n for n, _, _ in inputs])
    part = out.with_name(out.name + ".part")
    part.unlink(missing_ok=True)
    for x in ("-wal", "-shm"):
        Path(f"{part}{x}").unlink(missing_ok=True)
    dst = None
    try:
        dst = Store(part)
        _labels(dst, [s for _, _, s in inputs], report)
        m = _Merger(dst, report, _entities(dst, inputs))
        total = sum(s.count_documents(None) for _, _, s in inputs)
        done = 0
        for name, path, src in inputs:
            report.versions[name] = 0
            chunk: list = []
            merged = src.is_merged()            # asked once per file, not once per document
            for item in (_read_version(src, path, report, name) if merged else _read(src, path, report)):
                chunk.append(item)
                if len(chunk) >= 500:
                    m.add(name, path, src, chunk, merged)
                    done, chunk = done + len(chunk), []
                    if progress:
                        progress(done, total)
            m.add(name, path, src, chunk, merged)
            if progress:
                progress(done + len(chunk), total)
        with dst.write():
            dst.db.conn.executemany("UPDATE documents SET preannotated = ? WHERE id = ?", m.marks)
        info = [{"file": p.name, "annotator": n} for n, p, _ in inputs]
        dst.set_setting(MERGED_KEY, info)
        if annotator and team.name_problem(annotator) is None:
            dst.set_annotator(annotator)
        dst.close()
        dst = None
        part.replace(out)
        sync_folder(out.parent)
    except BaseException:
        if dst is not None:
            dst.close()
        for p in (part, Path(f"{part}-wal"), Path(f"{part}-shm")):
            p.unlink(missing_ok=True)
        raise
    return report


def _read_version(src, path: Path, report: MergeReport, name: str):
    """(document, spans) of ``name``'s version of each document of a merged project, each
    checked (a damaged one said and left out); the status is the version's."""
    from dataclasses import replace
    for (doc_id,) in src.db.execute("SELECT doc_id FROM versions WHERE annotator = ? ORDER BY doc_id",
                                    [name]).fetchall():
        try:
            doc = src.document(doc_id)
            version = src.versions(doc_id).get(name) if doc else None
        except StoreError as e:
            report.problems.append(f"{path_shown(path)}: {shown(e)}")
            continue
        if version is not None:
            if version[0] not in STATUSES:
                report.problems.append(f"{path_shown(path)}: the version of {shown(name)} of document "
                                       f"{doc_id} has the status {shown(repr(version[0]))[:30]}")
                continue
            yield replace(doc, status=version[0]), version[1]


def _read(src, path: Path, report: MergeReport):
    """(document, spans) of every document of a file, each checked; a damaged one is said in
    the report and left out. Read by the store's streaming reader; after a damaged row, one by
    one (the stream stops at the first)."""
    last = 0
    try:
        for doc, spans in src.iter_documents(None):
            last = doc.id
            yield doc, spans
        return
    except StoreError:
        pass
    for (doc_id,) in src.db.execute("SELECT id FROM documents WHERE id > ? ORDER BY id", [last]).fetchall():
        try:
            doc = src.document(doc_id)
            spans = src.spans(doc_id) if doc else []
        except StoreError as e:
            report.problems.append(f"{path_shown(path)}: {shown(e)}")
            continue
        if doc is not None:
            yield doc, spans


class _Merger:
    """The merged project as it is written: each text's document id, the versions to write."""

    def __init__(self, dst, report: MergeReport, entity_map: dict):
        self.dst, self.report, self.entity_map = dst, report, entity_map
        self.by_hash: dict[str, int | None] = {}
        self.model_done: set[int] = set()
        self.marks: list[tuple[str, int]] = []          # (preannotated, document)

    def add(self, name: str, path: Path, src, chunk: list, merged: bool) -> None:
        """One batch of a file's documents: the new texts added in one write, then the versions."""
        new = []
        for doc, _ in chunk:
            if doc.text_hash not in self.by_hash:
                self.by_hash[doc.text_hash] = None
                new.append(doc)
        if new:
            ids, _ = self.dst.add_documents([{"text": d.text, "title": d.title, "meta": d.meta} for d in new])
            for d, target in zip(new, ids):
                self.by_hash[d.text_hash] = target
                # The model ran already (its version is here): the window never runs it on the gold.
                self.marks.append((src.preannotated(d.id) or "merged", target))
            self.report.documents += len(new)
        rows = []
        for doc, spans in chunk:
            target = self.by_hash[doc.text_hash]
            mapped = [s.with_(entity=self.entity_map.get((name, s.entity), 0)) for s in spans]
            rows.append((target, name, doc.status, team.spans_json(mapped), path.name))
            self.report.versions[name] += 1
            if target not in self.model_done:
                try:
                    suggested = _model_version(src, doc.id, len(doc.text), merged)
                except StoreError as e:
                    self.report.problems.append(f"{path_shown(path)}: the model's suggestions: {shown(e)}")
                    suggested = []
                if suggested:
                    rows.append((target, team.MODEL, "new", team.spans_json(suggested), path.name))
                    self.model_done.add(target)
        _versions(self.dst, rows)


def _versions(dst, rows: list) -> None:
    if rows:
        with dst.write():
            dst.db.conn.executemany("INSERT INTO versions(doc_id, annotator, status, spans, "
                                    "source_file) VALUES (?, ?, ?, ?, ?)", rows)


def _model_version(src, doc_id: int, length: int, merged: bool) -> list[Span]:
    """The model's version of a document: its suggestions, or a merged project's model version."""
    if merged:
        version = src.versions(doc_id).get(team.MODEL)
        return version[1] if version else []
    return _suggested(src, doc_id, length)


def _suggested(src, doc_id: int, length: int) -> list[Span]:
    """The model's suggestions on a document, none over another (the first by start wins)."""
    rows = src.db.execute("SELECT start, end, label, source FROM suggested WHERE doc_id = ? "
                          "ORDER BY start, end DESC", [doc_id]).fetchall()
    out, end = [], 0
    for s in contents.spans(doc_id, None, length, rows, "suggestion") if rows else []:
        if s.start >= end and s.source != MANUAL:
            out.append(s)
            end = s.end
    return out


def _labels(dst, sources, report: MergeReport) -> None:
    """Every file's labels; the first file's colours, keys and order win."""
    have = {lab.name: lab for lab in dst.labels()}
    used_keys = {lab.key for lab in have.values() if lab.key}
    new = []
    for src in sources:
        for lab in src.labels():
            if lab.name in have:
                continue
            key = lab.key if lab.key and lab.key not in used_keys else ""
            used_keys.add(key)
            have[lab.name] = Label(lab.name, lab.color, key, lab.description, len(have))
            new.append(have[lab.name])
    if new:
        from models.edits import ChangeLabels
        dst.apply(ChangeLabels(None, tuple(new), (), "Labels of the merged files"))


def _entities(dst, inputs) -> dict[tuple[str, int], int]:
    """(annotator, entity id in their file) -> the merged entity id, one per (name, kb id)."""
    made: dict[tuple[str, str], int] = {}
    out = {}
    rows = []
    for name, _, src in inputs:
        for e in src.entities():
            k = (e.name, e.kb_id)
            if k not in made:
                made[k] = len(made) + 1
                rows.append((made[k], e.name, e.kb_id, e.note))
            out[(name, e.id)] = made[k]
    if rows:
        with dst.write():
            dst.db.conn.executemany("INSERT INTO entities(id, name, kb_id, note, created) "
                                    "VALUES (?, ?, ?, ?, NULL)", rows)
    return out


def summary(report: MergeReport) -> str:
    per = ", ".join(f"{shown(n)} {report.versions.get(n, 0)}" for n in report.annotators)
    return (f"merged into {path_shown(report.path)}: {report.documents} documents; versions: {per}"
            + (f"; {len(report.problems)} documents left out (damaged)" if report.problems else ""))


__all__ = ["merge", "MergeReport", "summary", "MERGED_KEY"]
