"""The store's side of pattern pre-annotation (a part of ``Store``; see ``models/ruler.py`` and
``models/annotate.py``).

``documents.preannotated`` says what pre-annotated a document. A model run writes its source
there (one value, as always); a patterns run adds its mark (``patterns:FILE#digest``) on a line
of its own, so one document can say "the model, then these patterns" and a run stopped halfway
knows, document by document, where it stopped.
"""
from __future__ import annotations

from models.document import IN_PROGRESS, NEW

SEP = "\n"          # between the entries of ``documents.preannotated``


def entries(value: str | None) -> list[str]:
    """The entries of a ``documents.preannotated`` value (none for NULL)."""
    return [e for e in (value or "").split(SEP) if e]


class StoreRuler:
    """Mixed into ``Store``: needs ``self.db`` (sqlite-utils) and ``self.write()``."""

    def preannotation_marks(self) -> list[tuple[int, str | None]]:
        """(id, ``preannotated``) of every document new or in progress, in id order."""
        return self.db.execute("SELECT id, preannotated FROM documents WHERE status IN (?, ?) "
                               "ORDER BY id", [NEW, IN_PROGRESS]).fetchall()

    def add_preannotated(self, doc_id: int, marks: list[str]) -> None:
        """Add ``marks`` to what pre-annotated the document (those it has are not repeated)."""
        with self.write():
            row = self.db.execute("SELECT preannotated FROM documents WHERE id = ?", [doc_id]).fetchone()
            if row is None:
                return
            have = entries(row[0])
            new = have + [m for m in dict.fromkeys(marks) if m not in have]
            if new != have:
                self.db.execute("UPDATE documents SET preannotated = ? WHERE id = ?",
                                [SEP.join(new), doc_id])


__all__ = ["StoreRuler", "entries", "SEP"]
