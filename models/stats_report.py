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

from models import stats_tables as T
from models.display import shown
from models.stats_tables import Table, all_tables, numeric

def text(figures: dict, width: int = 60) -> str:
    """The tables for a terminal: aligned columns, every cell made safe to print."""
    lines = []
    for title, header, rows, _targets, _colours in all_tables(figures):
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
    return f"<td{' class=n' if numeric(value) else ''}>{_esc(value)}</td>"


def _html(t: Table) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in t.header) if any(t.header) else ""
    body = []
    for row, colour in zip(t.rows, t.colours):
        swatch = (f"<span class=swatch style=\"background:{html.escape(colour)}\"></span>"
                  if isinstance(colour, str) and colour.startswith("#") else "")
        body.append("<tr>" + (f"<td>{swatch}{_esc(row[0])}</td>" if swatch else _cell(row[0]))
                    + "".join(_cell(c) for c in row[1:]) + "</tr>")
    return (f"<table><caption style=\"text-align:left\">{_esc(t.title)}</caption>"
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
    def chart(key, alt):
        return f"<div class=chart role=img aria-label=\"{_esc(alt)}\">{charts[key]}</div>" if key in charts else ""

    name = _esc(Path(project).name)
    parts = [f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Statistics of {name}</title>"
             f"<style>{_CSS}</style></head><body><h1>Statistics of {name}</h1>",
             "<h2>Progress</h2>", chart("status", "documents by status"), _html(T.status_table(figures)),
             chart("progress", "documents marked done over time"), _html(T.pace_table(figures)),
             _html(T.days_table(figures)),
             "<h2>Labels</h2>", chart("labels", "spans per label"), _html(T.labels_table(figures))]
    if figures["models"]:
        parts += ["<h2>The model against the people</h2>",
                  "<p>Each source's suggestions on documents marked done, against the final spans "
                  "there: a suggestion is kept when a final span has its start, end and label.</p>",
                  chart("model", "F1 per label and model")]
        if len(figures["models"]) > 1:
            parts.append(_html(T.sources_table(figures)))
        for m in figures["models"]:
            s = m["source"]
            parts += [f"<h2>{_esc(s)}</h2>", chart(f"fates:{s}", f"what became of {shown(s)}'s suggestions")]
            parts += [_html(t) for key, t in T.model_tables(figures, m).items()
                      if t.rows or key in ("summary", "per_label")]
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


__all__ = ["text", "report", "write_report", "charts_svg"]
