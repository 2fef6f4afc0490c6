"""The statistics as text tables (the terminal) and as one self-contained HTML file (charts as
inline SVG, the same figures as tables; no script, no font, no address outside the file).

Every string from the project (labels, span texts, model names, the project's name) is
escaped: on the terminal with ``models.display.shown``, in HTML with ``html.escape``; the
charts draw text without maths (``$`` is a dollar) and matplotlib escapes it in the SVG.
"""
from __future__ import annotations

import html
import warnings
from pathlib import Path

from models.display import shown

FATE_NAMES = ("kept", "relabelled", "resized", "resized and relabelled", "deleted")


def pct(x) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def num(x) -> str:
    return "–" if x is None else f"{x:.3f}"


# -- the tables, shared by the terminal and the report --------------------------------------------

def tables(figures: dict) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of every table, strings not yet escaped."""
    out = []
    st = figures["status"]
    out.append(("Documents", ["status", "documents"],
                [[s, f"{n:,}"] for s, n in st.items()] + [["all", f"{figures['documents']:,}"]]))
    rows = [r for r in figures["labels"] if r["all"]]
    out.append(("Labels", ["label", "spans in done documents", "spans in all", "distinct strings",
                           "top strings"],
                [[r["label"], f"{r['done']:,}", f"{r['all']:,}", f"{r['distinct']:,}",
                  ", ".join(f"{s} ({n})" for s, n in r["top"][:5])] for r in rows]))
    p = figures["progress"]
    pace = [["documents marked done by a person", f"{p.get('done_events', 0):,}"],
            ["corrections (span edits by a person)", f"{p.get('corrections', 0):,}"],
            ["active time (pauses under 5 minutes)", f"{p.get('active_hours', 0):.2f} h"],
            ["documents per hour", "–" if p.get("documents_per_hour") is None else f"{p['documents_per_hour']:,}"],
            ["corrections per hour", "–" if p.get("corrections_per_hour") is None else f"{p['corrections_per_hour']:,}"]]
    if p.get("done_at_import"):
        pace.append(["done when imported", f"{p['done_at_import']:,}"])
    out.append(("Pace", ["", ""], pace))
    out.append((f"Done per {p['unit']}", [p["unit"], "documents"], [[d, f"{n:,}"] for d, n in p["done_per"]]))
    for m in figures["models"]:
        name = m["source"]
        out.append((f"{name}: against the people's final spans ({m['documents']:,} done documents)",
                    ["", "value"],
                    [["suggestions", f"{m['suggested']:,}"], ["final spans", f"{m['final']:,}"],
                     ["kept exactly", f"{m['kept']:,}"], ["precision", num(m["precision"])],
                     ["recall", num(m["recall"])], ["F1", num(m["f1"])],
                     ["correction rate (suggestions changed or deleted)", pct(m["correction_rate"])]]
                    + [[f"  {f}", f"{m['fates'][f]:,}"] for f in FATE_NAMES]
                    + [["spans people added (no suggestion over them)", f"{m['added']:,}"]]))
        out.append((f"{name}: per label", ["label", "suggested", "final", "kept", "precision", "recall",
                                           "F1", "correction rate", "added by people"],
                    [[r["label"], f"{r['suggested']:,}", f"{r['final']:,}", f"{r['kept']:,}",
                      num(r["precision"]), num(r["recall"]), num(r["f1"]), pct(r["correction_rate"]),
                      f"{r['added']:,}"] for r in m["per_label"]]))
        if m["confusion"]:
            out.append((f"{name}: relabelled (model → person)", ["model", "person", "spans"],
                        [[c["model"], c["person"], f"{c['count']:,}"] for c in m["confusion"]]))
        if m["most_corrected"]:
            out.append((f"{name}: most corrected strings", ["string", "model's label", "corrected", "how"],
                        [[c["text"], c["label"], f"{c['count']:,}",
                          ", ".join(f"{f} {n}" for f, n in c["fates"].items())] for c in m["most_corrected"]]))
        if m["boundary_errors"]:
            out.append((f"{name}: boundary errors", ["what the model's bounds got wrong", "spans"],
                        [[b["kind"], f"{b['count']:,}"] for b in m["boundary_errors"]]))
    return out


def text(figures: dict, width: int = 60) -> str:
    """The tables for a terminal: aligned columns, every cell made safe to print."""
    lines = []
    for title, header, rows in tables(figures):
        cells = [[shown(c) for c in header]] + [[shown(c) for c in r] for r in rows]
        cells = [[c if len(c) <= width else c[: width - 1] + "…" for c in r] for r in cells]
        widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
        lines += ["", shown(title), "-" * min(len(shown(title)), 100)]
        for j, r in enumerate(cells):
            if j == 0 and not any(header):
                continue
            lines.append("  ".join(c.ljust(w) if i < len(r) - 1 else c for i, (c, w) in enumerate(zip(r, widths))).rstrip())
    return "\n".join(lines[1:]) + "\n"


# -- the report -----------------------------------------------------------------------------------

_CSS = """
body { font: 14px/1.4 sans-serif; margin: 24px auto; max-width: 1100px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 32px; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.chart { margin: 8px 0; } .chart svg { max-width: 100%; height: auto; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border: 1px solid #777; }
"""


def _esc(value: str) -> str:
    """A string from the project in HTML: controls shown as escapes (as on the terminal)."""
    return html.escape(shown(value))


def _cell(value: str) -> str:
    right = value[:1].isdigit() or value in ("–",) or value.endswith("%")
    return f"<td{' class=n' if right else ''}>{_esc(value)}</td>"


def _table(title: str, header: list[str], rows: list[list[str]], colours: dict) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in header) if any(header) else ""
    body = []
    for r in rows:
        first = r[0]
        swatch = (f"<span class=swatch style=\"background:{html.escape(colours[first])}\"></span>"
                  if first in colours else "")
        body.append("<tr>" + (f"<td>{swatch}{_esc(first)}</td>" if swatch else _cell(first))
                    + "".join(_cell(c) for c in r[1:]) + "</tr>")
    return (f"<table><caption style=\"text-align:left\">{_esc(title)}</caption>"
            + (f"<thead><tr>{head}</tr></thead>" if head else "") + f"<tbody>{''.join(body)}</tbody></table>")


def charts_svg(figures: dict) -> dict[str, str]:
    """Every chart of the report as an inline SVG element."""
    import matplotlib
    from models.stats_charts import fates_chart, labels_chart, model_chart, progress_chart, status_chart, svg
    out = {}
    with matplotlib.rc_context({"text.parse_math": False, "svg.hashsalt": "article-annotator"}), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")          # a glyph missing from the font: drawn as a box
        out["status"] = svg(status_chart(figures, 9)[0])
        out["labels"] = svg(labels_chart(figures, 9)[0])
        out["progress"] = svg(progress_chart(figures, 9)[0])
        if figures["models"]:
            out["model"] = svg(model_chart(figures, 9)[0])
            for m in figures["models"]:
                out[f"fates:{m['source']}"] = svg(fates_chart(figures, 9, m["source"])[0])
    return out


def report(figures: dict, project: str) -> str:
    """The whole report as one HTML document."""
    charts = charts_svg(figures)
    colours = {k: v for k, v in figures.get("colors", {}).items() if isinstance(v, str) and v.startswith("#")}
    by_title = {t: (h, r) for t, h, r in tables(figures)}

    def table(title):
        h, r = by_title[title]
        return _table(title, h, r, colours)

    def chart(key, alt):
        return f"<div class=chart role=img aria-label=\"{_esc(alt)}\">{charts[key]}</div>" if key in charts else ""

    name = _esc(Path(project).name)
    parts = [f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Statistics of {name}</title>"
             f"<style>{_CSS}</style></head><body><h1>Statistics of {name}</h1>",
             "<h2>Progress</h2>", chart("status", "documents by status"), table("Documents"),
             chart("progress", "documents marked done over time"), table("Pace"),
             table(f"Done per {figures['progress']['unit']}"),
             "<h2>Labels</h2>", chart("labels", "spans per label"), table("Labels")]
    if figures["models"]:
        parts += ["<h2>The model against the people</h2>",
                  "<p>Each source's suggestions on documents marked done, against the final spans "
                  "there: a suggestion is kept when a final span has its start, end and label.</p>",
                  chart("model", "F1 per label and model")]
        for m in figures["models"]:
            s = m["source"]
            parts += [f"<h2>{_esc(s)}</h2>", chart(f"fates:{s}", f"what became of {shown(s)}'s suggestions")]
            parts += [table(t) for t in by_title if t.startswith(f"{s}: ")]
    else:
        parts.append("<p>No model suggestions on documents marked done yet.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(figures: dict, project: str, out: str | Path) -> Path:
    """Write the report beside as ``.part`` and rename it when complete."""
    out = Path(out)
    part = out.with_name(out.name + ".part")
    try:
        part.write_text(report(figures, project), encoding="utf-8")
        part.replace(out)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return out


__all__ = ["tables", "text", "report", "write_report", "charts_svg"]
