"""The store's label set (a part of ``Store``): reading it, the names read once per write,
and ``ChangeLabels`` applied inside the store's transaction."""
from __future__ import annotations

from models import contents
from models.edits import ChangeLabels
from models.labels import Label, LabelSet, check_label
from models.project_file import StoreError


class StoreLabels:
    """Mixed into ``Store``: needs ``self.db`` and ``self._names`` (reset by ``Store.write``)."""

    def _label_names(self) -> set[str]:
        """The label names, read once per write (not once per document of a corpus-wide edit);
        ``_change_labels`` forgets them."""
        if self._names is None:
            self._names = {r[0] for r in self.db.conn.execute("SELECT name FROM labels")}
        return self._names

    def _change_labels(self, edit: ChangeLabels) -> None:
        from models.store import StaleEdit
        self._names = None                      # the label set changes: read it again
        for lab in edit.remove:
            used = self.db.execute("SELECT count(*) FROM spans WHERE label = ?", [lab.name]).fetchone()[0]
            if used:
                raise StoreError(f"label {lab.name} is used by {used} spans; it cannot be removed")
            cur = self.db.execute("DELETE FROM labels WHERE name = ?", [lab.name])
            if cur.rowcount != 1:
                raise StaleEdit(f"label {lab.name} does not exist")
        for lab in edit.add:
            check_label(lab, self.labels())
            self.db["labels"].insert(self._label_row(lab))

    @staticmethod
    def _label_row(lab: Label) -> dict:
        return {"name": lab.name, "color": lab.color, "key": lab.key,
                "description": lab.description, "ord": lab.order}

    def labels(self) -> LabelSet:
        return LabelSet(contents.label_set(self.db.execute(
            "SELECT name, color, key, description, ord FROM labels ORDER BY ord, name")))


__all__ = ["StoreLabels"]
