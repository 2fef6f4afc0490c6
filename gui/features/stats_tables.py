"""The Statistics dock's tables (every chart's figures as rows, for those who read rather than
look), what each bar or row stands for, and which documents a click on it lists."""
from __future__ import annotations

from models.document import DONE
from models.queue import ALL
from models.span_filter import SpanFilter
from models import stats_tables as S

from gui.features.stats_view import PlainTable

# name -> the caption above it in the dock (its columns and rows: ``models/stats_tables.py``)
CAPTIONS = {
    "labels": "Spans per label (Enter: the documents)",
    "tops": "Top strings of the label chosen above",
    "status": "Documents",
    "pace": "Pace (from the journal's times)",
    "days": "Done per day",
    "sources": "Models side by side (done documents)",
    "per_label": "Per label, the chosen model",
    "confusion": "Relabelled: model → person",
    "corrected": "Most corrected strings",
    "boundary": "Boundary errors",
}
TABLES_OF = {"labels": ("labels", "tops"), "progress": ("status", "pace", "days"),
             "model": ("sources", "per_label", "confusion", "corrected", "boundary")}
_NONE = S.Table("", [], [], [], [])


def make_tables() -> dict[str, PlainTable]:
    return {name: PlainTable([], caption) for name, caption in CAPTIONS.items()}


def _source(panel, f: dict) -> dict | None:
    key = panel.source_box.currentData()
    return next((m for m in f["models"] if m["source"] == key), f["models"][0] if f["models"] else None)


def fill(panel, f: dict) -> None:
    """Every table from the figures ``f`` (the same tables as the terminal's and the report's)."""
    t = panel.tables
    t["labels"].set_table(S.labels_table(f))
    t["status"].set_table(S.status_table(f))
    t["pace"].set_table(S.pace_table(f))
    t["days"].set_table(S.days_table(f))
    box = panel.source_box
    names = [m["source"] for m in f["models"]]
    if [box.itemData(i) for i in range(box.count())] != names:
        keep = box.currentData()
        box.blockSignals(True)
        box.clear()
        for n in names:
            box.addItem(n, n)
        if keep in names:
            box.setCurrentIndex(names.index(keep))
        box.blockSignals(False)
    t["sources"].set_table(S.sources_table(f))
    m = _source(panel, f)
    tables = S.model_tables(f, m) if m else {}
    for key in ("per_label", "confusion", "corrected", "boundary"):
        t[key].set_table(tables.get(key, _NONE))
    fill_tops(panel, f)


def fill_tops(panel, f: dict) -> None:
    t = panel.tables
    rows = [r for r in f["labels"] if r["all"]]
    i = t["labels"].currentIndex().row()
    r = rows[i] if 0 <= i < len(rows) else (rows[0] if rows else None)
    t["tops"].set_table(S.tops_table(f, r["label"] if r else None))


def describe(target) -> str:
    """A bar's tooltip: what it counts and what a click lists."""
    kind = target[0]
    if kind == "label":
        where = "done documents" if target[2] == "done" else "all documents"
        return f"{target[1]} in {where} — click: list them"
    if kind == "status":
        return f"{target[1]} documents — click: list them"
    if kind == "model":
        what = "every label" if target[2] == "all" else target[2]
        return f"{target[1]}: {what} — click: the done documents where it suggested them"
    if kind == "fate":
        return f"{target[1]}'s {target[2]} suggestions {target[3]} — click: list the documents"
    return ""


def filter_of(target) -> tuple[SpanFilter | None, str | None]:
    """The documents a bar or row stands for: (span filter, status filter)."""
    kind = target[0]
    if kind == "label":
        return SpanFilter(label=target[1]), DONE if target[2] == "done" else ALL
    if kind == "status":
        return None, target[1]
    if kind == "string":
        return SpanFilter(label=target[1], text=target[2]), ALL
    if kind == "model":
        return SpanFilter(label=None if target[2] == "all" else target[2], source=target[1]), DONE
    if kind == "fate":
        return SpanFilter(label=target[2], source=target[1], fate=target[3]), DONE
    if kind == "confusion":
        return SpanFilter(label=target[2], source=target[1], person=target[3]), DONE
    if kind == "corrected":
        return SpanFilter(label=target[2], text=target[3], source=target[1], fate="corrected"), DONE
    return None, None


__all__ = ["make_tables", "fill", "fill_tops", "describe", "filter_of", "CAPTIONS", "TABLES_OF"]
