"""The statistics as tables of plain strings — one set for the terminal, the HTML report and
the window's Statistics dock, so that every figure reads the same everywhere. Each row has
its target (what a click on it in the window lists, see ``gui/features/stats_tables.py``) and
for a label's row its colour. Strings are not escaped here: each place that shows them does.
"""
from __future__ import annotations

from typing import NamedTuple

FATE_NAMES = ("kept", "relabelled", "resized", "resized and relabelled", "deleted")


class Table(NamedTuple):
    title: str
    header: list[str]
    rows: list[list[str]]
    targets: list            # per row: a target tuple, or None
    colours: list            # per row: the colour of the label in its first cell, or None


def pct(x) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def num(x) -> str:
    return "–" if x is None else f"{x:.3f}"


def count(x) -> str:
    return "–" if x is None else f"{x:,}"


def numeric(cell: str) -> bool:
    """Is the cell a figure (shown right-aligned)?"""
    return cell[:1].isdigit() or cell == "–" or cell.endswith("%")


def _table(title, header, rows, targets=None, colours=None) -> Table:
    return Table(title, header, rows, targets or [None] * len(rows), colours or [None] * len(rows))


def status_table(f: dict) -> Table:
    st = f["status"]
    return _table("Documents", ["status", "documents"],
                  [[s, f"{n:,}"] for s, n in st.items()] + [["all", f"{f['documents']:,}"]],
                  [("status", s) for s in st] + [("status", "all")])


def labels_table(f: dict) -> Table:
    rows = [r for r in f["labels"] if r["all"]]
    return _table("Labels: spans in done documents, in all, and their distinct strings",
                  ["label", "done", "all", "distinct", "top strings"],
                  [[r["label"], f"{r['done']:,}", f"{r['all']:,}", f"{r['distinct']:,}",
                    ", ".join(f"{s} ({n})" for s, n in r["top"][:5])] for r in rows],
                  [("label", r["label"], "all") for r in rows], [r["color"] for r in rows])


def tops_table(f: dict, label: str | None) -> Table:
    """The top strings of one label (the window's second table beside the labels)."""
    r = next((x for x in f["labels"] if x["label"] == label and x["all"]), None)
    top = r["top"] if r else []
    return _table(f"Top strings of {label}" if r else "Top strings", ["string", "spans"],
                  [[s, f"{n:,}"] for s, n in top], [("string", label, s) for s, _ in top])


def pace_table(f: dict) -> Table:
    p = f["progress"]
    rows = [["documents marked done by a person", f"{p.get('done_events', 0):,}"],
            ["corrections (span edits by a person)", f"{p.get('corrections', 0):,}"],
            ["active time (pauses under 5 minutes)", f"{p.get('active_hours', 0):.2f} h"],
            ["documents per hour", count(p.get("documents_per_hour"))],
            ["corrections per hour", count(p.get("corrections_per_hour"))]]
    if p.get("done_at_import"):
        rows.append(["done when imported", f"{p['done_at_import']:,}"])
    return _table("Pace", ["", ""], rows)


def days_table(f: dict) -> Table:
    p = f["progress"]
    return _table(f"Done per {p['unit']}", [p["unit"], "documents"], [[d, f"{n:,}"] for d, n in p["done_per"]])


def sources_table(f: dict) -> Table:
    ms = f["models"]
    return _table("Models side by side (done documents)",
                  ["model", "documents", "precision", "recall", "F1", "corrected"],
                  [[m["source"], f"{m['documents']:,}", num(m["precision"]), num(m["recall"]), num(m["f1"]),
                    pct(m["correction_rate"])] for m in ms], [("model", m["source"], "all") for m in ms])


def model_tables(f: dict, m: dict) -> dict[str, Table]:
    """The tables of one source: summary, per label, relabelled, most corrected, boundary errors."""
    name, colours = m["source"], f.get("colors", {})
    per, conf, cor, bnd = m["per_label"], m["confusion"], m["most_corrected"], m["boundary_errors"]
    return {
        "summary": _table(
            f"{name}: against the people's final spans ({m['documents']:,} done documents)", ["", "value"],
            [["suggestions", f"{m['suggested']:,}"], ["final spans", f"{m['final']:,}"],
             ["kept exactly", f"{m['kept']:,}"], ["precision", num(m["precision"])],
             ["recall", num(m["recall"])], ["F1", num(m["f1"])],
             ["correction rate (suggestions changed or deleted)", pct(m["correction_rate"])]]
            + [[f"  {fate}", f"{m['fates'][fate]:,}"] for fate in FATE_NAMES]
            + [["spans people added (no suggestion over them)", f"{m['added']:,}"]]),
        "per_label": _table(
            f"{name}: per label (corrected: suggestions changed or deleted; added: by people)",
            ["label", "suggested", "final", "kept", "precision", "recall", "F1", "corrected", "added"],
            [[r["label"], f"{r['suggested']:,}", f"{r['final']:,}", f"{r['kept']:,}", num(r["precision"]),
              num(r["recall"]), num(r["f1"]), pct(r["correction_rate"]), f"{r['added']:,}"] for r in per],
            [("model", name, r["label"]) for r in per], [colours.get(r["label"]) for r in per]),
        "confusion": _table(
            f"{name}: relabelled (model → person)", ["model", "person", "spans"],
            [[c["model"], c["person"], f"{c['count']:,}"] for c in conf],
            [("confusion", name, c["model"], c["person"]) for c in conf]),
        "corrected": _table(
            f"{name}: most corrected strings", ["string", "model's label", "corrected", "how"],
            [[c["text"], c["label"], f"{c['count']:,}", ", ".join(f"{k} {n}" for k, n in c["fates"].items())]
             for c in cor], [("corrected", name, c["label"], c["text"]) for c in cor]),
        "boundary": _table(
            f"{name}: boundary errors", ["what the model's bounds got wrong", "spans"],
            [[b["kind"], f"{b['count']:,}"] for b in bnd]),
    }


def all_tables(f: dict) -> list[Table]:
    """Every table of the figures, in the report's order (a source's empty ones left out)."""
    out = [status_table(f), labels_table(f), pace_table(f), days_table(f)]
    if len(f["models"]) > 1:
        out.append(sources_table(f))
    for m in f["models"]:
        out += [t for key, t in model_tables(f, m).items() if t.rows or key in ("summary", "per_label")]
    return out


__all__ = ["Table", "FATE_NAMES", "pct", "num", "count", "numeric", "status_table", "labels_table",
           "tops_table", "pace_table", "days_table", "sources_table", "model_tables", "all_tables"]
