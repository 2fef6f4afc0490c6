"""The statistics' charts (matplotlib, no pyplot: a ``Figure`` per chart, safe on any one
thread), drawn as SVG for the report and as pixels for the window, with the box of every bar
in pixels so that a click on one can open what it counts.

Each chart is ``CHARTS[name](figures) -> (Figure, bars)``; ``bars`` pairs each matplotlib
bar (a ``Rectangle``) with its target, e.g. ``("label", "ORG", "done")``. Colours are the
labels' own; the status and fate colours are fixed.
"""
from __future__ import annotations

import io
from typing import Callable

from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

STATUS_COLOURS = {"new": "#c8c8c8", "in progress": "#f2b134", "done": "#3a9d5d", "skipped": "#8c6bb1"}
FATE_COLOURS = {"kept": "#3a9d5d", "relabelled": "#e0623a", "resized": "#f2b134",
                "resized and relabelled": "#b5651d", "deleted": "#9e9e9e"}
SOURCE_HATCHES = ("", "//", "..", "xx", "\\\\")
MAX_LABELS = 20              # bars of a chart by label (the rest is in the table)
DPI = 96

def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    return fig


def _labels(figures: dict, key: str = "all") -> list[dict]:
    rows = [r for r in figures["labels"] if r["all"] or r["done"]]
    return sorted(rows, key=lambda r: -r[key])[:MAX_LABELS]


def labels_chart(figures: dict, width: float = 6.0) -> tuple[Figure, list]:
    """Spans per label: all (pale) and in done documents (full colour), horizontal bars."""
    rows = _labels(figures)
    fig = _figure(width, max(1.6, 0.32 * len(rows) + 0.9))
    ax = fig.add_subplot()
    bars = []
    names = [r["label"] for r in rows][::-1]
    y = list(range(len(names)))
    for i, r in enumerate(rows[::-1]):
        a = ax.barh(i + 0.18, r["all"], height=0.36, color=r["color"], alpha=0.45, edgecolor="#555555",
                    linewidth=0.5)[0]
        d = ax.barh(i - 0.18, r["done"], height=0.36, color=r["color"], edgecolor="#333333", linewidth=0.5)[0]
        bars += [(a, ("label", r["label"], "all")), (d, ("label", r["label"], "done"))]
        ax.text(r["all"], i + 0.18, f" {r['all']:,}", va="center", fontsize=8)
        ax.text(r["done"], i - 0.18, f" {r['done']:,}", va="center", fontsize=8)
    ax.set_yticks(y, names)
    ax.set_xlabel("spans: pale all documents, full done" if width < 6 else
                  "spans (upper, pale: all documents; lower: done documents)", fontsize=8)
    ax.set_title("Spans per label", loc="left", fontsize=10)
    ax.xaxis.set_major_locator(_ticks(width))
    ax.margins(x=0.15)
    if not rows:
        _empty(ax, "no spans yet")
    return fig, bars


def status_chart(figures: dict, width: float = 6.0) -> tuple[Figure, list]:
    """Documents by status, one stacked bar."""
    fig = _figure(width, 1.5 if width >= 6 else 1.9)
    ax = fig.add_subplot()
    left, bars = 0, []
    total = sum(figures["status"].values())
    for status, n in figures["status"].items():
        b = ax.barh(0, n, left=left, color=STATUS_COLOURS.get(status, "#888888"), edgecolor="white",
                    label=f"{status} {n:,}")[0]
        bars.append((b, ("status", status)))
        if total and n / total > 0.06:
            ax.text(left + n / 2, 0, f"{n:,}", ha="center", va="center", fontsize=8)
        left += n
    ax.set_yticks([])
    ax.set_xlim(0, max(total, 1))
    ax.xaxis.set_major_locator(_ticks(width))
    fig.legend(loc="outside lower center", ncol=4 if width >= 6 else 2, frameon=False, fontsize=8)
    ax.set_title(f"Documents: {total:,}", loc="left", fontsize=10)
    return fig, bars


def progress_chart(figures: dict, width: float = 6.0) -> tuple[Figure, list]:
    """Documents marked done per day (or hour, on the first day), as a line."""
    p = figures["progress"]
    points = p["done_per"]
    fig = _figure(width, 2.2)
    ax = fig.add_subplot()
    bars = []
    if points:
        xs = [x for x, _ in points]
        ys = [n for _, n in points]
        ax.plot(range(len(xs)), ys, marker="o", color=STATUS_COLOURS["done"], linewidth=1.6)
        step = max(1, len(xs) // 8)
        ax.set_xticks(range(0, len(xs), step), [xs[i][5:] if p["unit"] == "day" else xs[i][11:]
                                               for i in range(0, len(xs), step)], fontsize=8)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("documents")
    else:
        _empty(ax, "nothing marked done yet")
    ax.set_title(f"Done per {p['unit']}", loc="left", fontsize=10)
    return fig, bars


def model_chart(figures: dict, width: float = 6.0, measure: str = "f1") -> tuple[Figure, list]:
    """Per label, each source's precision, recall or F1 side by side (the label's colour, a
    hatch per source), with the overall figure first."""
    sources = figures["models"]
    labels: list[str] = []
    for m in sources:
        for r in m["per_label"]:
            if r["label"] not in labels and (r["suggested"] or r["final"]):
                labels.append(r["label"])
    labels = labels[:MAX_LABELS]
    colours = figures.get("colors", {})
    groups = ["all"] + labels
    fig = _figure(width, max(1.8, 0.34 * len(groups) * max(1, len(sources)) ** 0.5 + 1.0))
    ax = fig.add_subplot()
    bars = []
    k = max(1, len(sources))
    h = 0.8 / k
    for j, m in enumerate(sources):
        per = {r["label"]: r for r in m["per_label"]}
        for i, g in enumerate(groups[::-1]):
            r = m if g == "all" else per.get(g)
            v = r.get(measure) if r else None
            y = i + 0.4 - h * (j + 0.5)
            colour = "#5b7db1" if g == "all" else colours.get(g, "#888888")
            b = ax.barh(y, v or 0, height=h * 0.9, color=colour, hatch=SOURCE_HATCHES[j % len(SOURCE_HATCHES)],
                        edgecolor="#333333", linewidth=0.5)[0]
            bars.append((b, ("model", m["source"], g)))
            ax.text(v or 0, y, " –" if v is None else f" {v:.2f}", va="center", fontsize=7)
    ax.set_yticks(range(len(groups)), groups[::-1])
    ax.set_xlim(0, 1.12)
    name = {"f1": "F1", "precision": "Precision", "recall": "Recall"}[measure]
    ax.set_title(f"{name} per label, against the people" if width < 6 else
                 f"The model against the people: {name} per label (done documents)", loc="left", fontsize=10)
    if len(sources) > 1:
        fig.legend(handles=[Patch(facecolor="#dddddd", edgecolor="#333333", hatch=SOURCE_HATCHES[j % len(SOURCE_HATCHES)],
                                  label=m["source"]) for j, m in enumerate(sources)],
                   loc="outside lower center", fontsize=7, frameon=False, ncol=min(len(sources), 2))
    if not sources:
        _empty(ax, "no model suggestions on done documents yet")
    return fig, bars


def fates_chart(figures: dict, width: float = 6.0, source: str | None = None) -> tuple[Figure, list]:
    """What became of one source's suggestions, per label: kept, relabelled, resized, resized
    and relabelled, deleted (stacked)."""
    sources = figures["models"]
    m = next((x for x in sources if x["source"] == source), sources[0] if sources else None)
    rows = [r for r in (m["per_label"] if m else []) if r["suggested"]][:MAX_LABELS]
    fig = _figure(width, max(1.6, 0.3 * len(rows) + 1.1))
    ax = fig.add_subplot()
    bars = []
    for i, r in enumerate(rows[::-1]):
        left = 0
        for fate, colour in FATE_COLOURS.items():
            n = r["fates"].get(fate, 0)
            if n:
                b = ax.barh(i, n, left=left, color=colour, edgecolor="white", linewidth=0.5)[0]
                bars.append((b, ("fate", m["source"], r["label"], fate)))
                left += n
    ax.set_yticks(range(len(rows)), [r["label"] for r in rows[::-1]])
    fig.legend(handles=[Patch(color=c, label=f) for f, c in FATE_COLOURS.items()], loc="outside lower center",
               ncol=3, frameon=False, fontsize=7)
    ax.set_title("What became of the suggestions" if width < 6 else
                 f"What became of {m['source'] if m else 'the'} suggestions", loc="left", fontsize=10)
    ax.xaxis.set_major_locator(_ticks(width))
    if not rows:
        _empty(ax, "no suggestions on done documents yet")
    return fig, bars


def _ticks(width: float) -> MaxNLocator:
    """Whole-number ticks, as many as the width holds (a narrow dock: three or four)."""
    return MaxNLocator(nbins=max(3, int(width * 0.9)), integer=True)


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#777777")
    ax.set_xticks([])
    ax.set_yticks([])


CHARTS: dict[str, Callable] = {"labels": labels_chart, "status": status_chart, "progress": progress_chart,
                               "model": model_chart, "fates": fates_chart}


def svg(fig: Figure) -> str:
    """The figure as an inline SVG element (no XML prolog, no external reference)."""
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    text = out.getvalue()
    return text[text.index("<svg"):]


def pixels(fig: Figure, bars: list) -> tuple[bytes, int, int, list]:
    """The figure drawn (RGBA bytes, width, height) and each bar's box in pixels (x, y, w, h;
    y down from the top) with its target."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    w, h = canvas.get_width_height()
    boxes = []
    for rect, target in bars:
        ext = rect.get_window_extent(canvas.get_renderer())
        if ext.width < 1 and ext.height < 1:
            continue
        boxes.append(((ext.x0, h - ext.y1, max(ext.width, 2.0), max(ext.height, 2.0)), target))
    return bytes(canvas.buffer_rgba()), w, h, boxes


__all__ = ["CHARTS", "svg", "pixels", "labels_chart", "status_chart", "progress_chart", "model_chart",
           "fates_chart", "STATUS_COLOURS", "FATE_COLOURS"]
