"""What an export says: its errors, the report of what was written, and the spans it could not
write as they are (``models.exporter`` raises and returns these)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from models.display import shown


class ExportError(Exception):
    """An export that was refused; nothing was written."""

    def __init__(self, message: str, report: "ExportReport | None" = None):
        super().__init__(message)
        self.report = report


class ExportWriteFailed(ExportError):
    """The OS could not write the export (disk full, read-only, no permission, over quota, an
    I/O error, a reader that closed the pipe): the message names the file, the cause and what
    became of the previous files (intact: the parts were discarded)."""


class MisalignedSpans(ExportError):
    """Spans that do not line up with spaCy's tokens (``report.misaligned``); nothing written."""


@dataclass(frozen=True)
class SpanIssue:
    """A span an export could not write as it is, and what became of it."""
    doc_id: int
    title: str
    start: int
    end: int
    label: str
    text: str
    note: str
    new: tuple[int, int] | None = None       # where it went (--snap), None if left out

    def __str__(self) -> str:
        title = f" ({self.title[:40]!r})" if self.title else ""
        return (f"document {self.doc_id}{title}: {self.start}-{self.end} {shown(self.label)} "
                f"{self.text!r}: {self.note}")


@dataclass
class ExportReport:
    format: str
    out: Path | None = None
    files: list[Path] = field(default_factory=list)     # what was written (in place now)
    documents: int = 0
    spans: int = 0                  # spans (entities, patterns, labels) written
    train: int = 0                  # spacy: documents in train.spacy / dev.spacy
    dev: int = 0
    rejected: int = 0               # jsonl --include-rejected: reject tasks written
    misaligned: list[SpanIssue] = field(default_factory=list)   # refused: nothing written
    changed: list[SpanIssue] = field(default_factory=list)      # written otherwise, or left out
    cancelled: bool = False
    config: Path | None = None      # labelstudio: the labelling config written beside

    def summary(self) -> str:
        if self.cancelled:
            return "export cancelled: nothing was written"
        if self.format == "labels":
            return f"{self.spans} labels exported"
        text = f"{self.documents} document{'s' * (self.documents != 1)} exported"
        extra = []
        if self.format == "spacy":
            extra.append(f"{self.train} train, {self.dev} dev, {self.spans} entities")
        elif self.format == "patterns":
            extra.append(f"{self.spans} patterns")
        if self.rejected:
            extra.append(f"{self.rejected} rejected suggestions")
        if self.changed:
            extra.append(f"{len(self.changed)} spans changed (see the list)")
        if self.config is not None:
            extra.append(f"labelling config in {shown(self.config.name)}")
        return text + (f" ({'; '.join(extra)})" if extra else "")


__all__ = ["ExportError", "ExportWriteFailed", "MisalignedSpans", "SpanIssue", "ExportReport"]
