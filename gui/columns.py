"""Column widths from the texts a column shows, its header included (never "ntities").

The tables are lazy (100,000 documents), so no column measures its rows: each is as wide as
the widest of a few sample texts (the widest a cell can be) or its header — the header
measured by the header view itself, in its bold font and with room for the sort indicator.
"""
from __future__ import annotations

from PySide6.QtWidgets import QStyle, QTableView


def fit_columns(table: QTableView, samples: dict[int, list[str]]) -> None:
    """Set each column in ``samples`` to the width of its widest sample text or its header."""
    fm = table.fontMetrics()
    margin = table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, table) + 1
    for col, texts in samples.items():
        cells = max((fm.horizontalAdvance(t) for t in texts), default=0) + 2 * margin + 8
        table.setColumnWidth(col, max(cells, header_width(table, col)))


def header_width(table: QTableView, col: int) -> int:
    """The width the header of ``col`` needs to show its whole text."""
    return table.horizontalHeader().sectionSizeFromContents(col).width()
