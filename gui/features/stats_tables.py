"""The Statistics dock's tables (every chart's figures as rows, for those who read rather than
look), what each bar or row stands for, and which documents a click on it lists."""
from __future__ import annotations

from models.document import DONE
from models.queue import ALL
from models.span_filter import SpanFilter
from models.stats_report import num, pct

from gui.features.stats_view import PlainTable

# name -> (caption, header)
SPECS = {
    "labels": ("Spans per label (Enter: the documents)", ["label", "done", "all", "distinct"]),
    "tops": ("Top strings of the label chosen above", ["string", "spans"]),
    "status": ("Documents", ["status", "documents"]),
    "pace": ("Pace (from the journal's times)", ["", ""]),
    "days": ("Done per day", ["when", "documents"]),
    "sources": ("Models side by side (done documents)", ["model", "docs", "P", "R", "F1", "corrected"]),
    "per_label": ("Per label, the chosen model", ["label", "suggested", "final", "P", "R", "F1", "corrected"]),
    "confusion": ("Relabelled: model → person", ["model", "person", "spans"]),
    "corrected": ("Most corrected strings", ["string", "label", "times", "how"]),
    "boundary": ("Boundary errors", ["what the bounds got wrong", "spans"]),
}
TABLES_OF = {"labels": ("labels", "tops"), "progress": ("status", "pace", "days"),
             "model": ("sources", "per_label", "confusion", "corrected", "boundary")}


def make_tables() -> dict[str, PlainTable]:
    return {name: PlainTable(header, caption) for name, (caption, header) in SPECS.items()}


def _source(panel, f: dict) -> dict | None:
    key = panel.source_box.currentData()
    return next((m for m in f["models"] if m["source"] == key), f["models"][0] if f["models"] else None)


def fill(panel, f: dict) -> None:
    """Every table from the figures ``f``."""
    t = panel.tables
    rows = [r for r in f["labels"] if r["all"]]
    t["labels"].set_rows([[r["label"], f"{r['done']:,}", f"{r['all']:,}", f"{r['distinct']:,}"] for r in rows],
                         [("label", r["label"], "all") for r in rows], [r["color"] for r in rows])
    t["status"].set_rows([[s, f"{n:,}"] for s, n in f["status"].items()], [("status", s) for s in f["status"]])
    p = f["progress"]
    t["pace"].set_rows([
        ["documents done by a person", f"{p.get('done_events', 0):,}"],
        ["corrections", f"{p.get('corrections', 0):,}"],
        ["active time", f"{p.get('active_hours', 0):.2f} h"],
        ["documents per hour", "–" if p.get("documents_per_hour") is None else f"{p['documents_per_hour']:,}"],
        ["corrections per hour", "–" if p.get("corrections_per_hour") is None else f"{p['corrections_per_hour']:,}"],
        ["done at import", f"{p.get('done_at_import', 0):,}"]])
    SPECS_DAYS = f"Done per {p['unit']}"
    t["days"].setAccessibleName(SPECS_DAYS)
    t["days"].set_rows([[d, f"{n:,}"] for d, n in p["done_per"]])
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
    t["sources"].set_rows([[m["source"], f"{m['documents']:,}", num(m["precision"]), num(m["recall"]),
                            num(m["f1"]), pct(m["correction_rate"])] for m in f["models"]],
                          [("model", m["source"], "all") for m in f["models"]])
    m = _source(panel, f)
    src = m["source"] if m else None
    per = m["per_label"] if m else []
    colours = f.get("colors", {})
    t["per_label"].set_rows([[r["label"], f"{r['suggested']:,}", f"{r['final']:,}", num(r["precision"]),
                              num(r["recall"]), num(r["f1"]), pct(r["correction_rate"])] for r in per],
                            [("model", src, r["label"]) for r in per], [colours.get(r["label"]) for r in per])
    conf = m["confusion"] if m else []
    t["confusion"].set_rows([[c["model"], c["person"], f"{c['count']:,}"] for c in conf],
                            [("confusion", src, c["model"], c["person"]) for c in conf])
    cor = m["most_corrected"] if m else []
    t["corrected"].set_rows([[c["text"], c["label"], f"{c['count']:,}",
                              ", ".join(f"{k} {n}" for k, n in c["fates"].items())] for c in cor],
                            [("corrected", src, c["label"], c["text"]) for c in cor])
    bnd = m["boundary_errors"] if m else []
    t["boundary"].set_rows([[b["kind"], f"{b['count']:,}"] for b in bnd])
    fill_tops(panel, f)


def fill_tops(panel, f: dict) -> None:
    t = panel.tables
    rows = [r for r in f["labels"] if r["all"]]
    i = t["labels"].currentIndex().row()
    r = rows[i] if 0 <= i < len(rows) else (rows[0] if rows else None)
    if r is None:
        t["tops"].set_rows([])
        return
    t["tops"].setAccessibleName(f"Top strings of {r['label']}")
    t["tops"].set_rows([[s, f"{n:,}"] for s, n in r["top"]], [("string", r["label"], s) for s, _ in r["top"]])


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


__all__ = ["make_tables", "fill", "fill_tops", "describe", "filter_of", "SPECS", "TABLES_OF"]
