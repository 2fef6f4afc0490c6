"""Import sources into a project: pick the reader by file type, keep the valid rest, report."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from models.edits import ChangeLabels
from models.formats.errors import ImportProblem
from models.formats.jsonl import read_jsonl
from models.formats.txt import read_txt
from models.store import Store

READERS = {".txt": read_txt, ".text": read_txt, ".md": read_txt, ".jsonl": read_jsonl}


@dataclass
class ImportReport:
    added: list[int] = field(default_factory=list)
    duplicates: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    new_labels: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{len(self.added)} added"]
        if self.duplicates:
            parts.append(f"{self.duplicates} skipped as duplicates")
        if self.problems:
            parts.append(f"{len(self.problems)} problems")
        if self.new_labels:
            parts.append("new labels: " + ", ".join(self.new_labels))
        return ", ".join(parts)


def read_source(path: str | Path) -> tuple[list[dict], list[ImportProblem]]:
    path = Path(path)
    if not path.is_file():
        return [], [ImportProblem(str(path), None, "no such file")]
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        return [], [ImportProblem(str(path), None, f"unknown file type {path.suffix!r} "
                                  f"(expected one of {', '.join(sorted(READERS))})")]
    return reader(path)


def import_docs(store: Store, docs: list[dict], report: ImportReport) -> None:
    """Add already-read documents in one transaction, adding labels their spans need."""
    known = store.labels()
    missing = sorted({s.label for d in docs for s in d.get("spans") or () if s.label not in known})
    with store.write():
        if missing:
            new = []
            for name in missing:
                lab = known.new_label(name)
                known.labels.append(lab)
                new.append(lab)
            store.apply(ChangeLabels(None, tuple(new), (), "Labels from import"))
            report.new_labels += missing
        added, dupes = store.add_documents(docs)
    report.added += added
    report.duplicates += dupes


def import_paths(store: Store, paths: Iterable[str | Path]) -> ImportReport:
    report = ImportReport()
    for path in paths:
        docs, problems = read_source(path)
        report.problems += problems
        if docs:
            import_docs(store, docs, report)
    return report


def import_text(store: Store, text: str, title: str = "") -> ImportReport:
    report = ImportReport()
    if not text.strip():
        report.problems.append(ImportProblem("pasted text", None, "text is empty"))
        return report
    import_docs(store, [{"text": text, "title": title, "meta": {"source": "pasted"}}], report)
    return report
