"""The document list as the view draws it: Qt 6's delegate asks a cell's roles all at once
(``multiData``); what it draws must be what ``data`` answers, also after rows change."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QStyleOptionViewItem

from gui.document_panel import DocumentPanel
from models.edits import ReplaceSpans, SetStatus
from models.spans import Span
from models.store import Store
from tests.gui.test_document_list import STATUSES, add_raw

_Role = Qt.ItemDataRole


@pytest.fixture
def panel(qtbot, tmp_path):
    store = Store(tmp_path / "draw.annotator")
    p = DocumentPanel(store)
    qtbot.addWidget(p)
    p.resize(500, 600)
    yield p
    p.model.wait()
    store.close()


def drawn(table, row: int, col: int) -> QStyleOptionViewItem:
    option = QStyleOptionViewItem()
    table.itemDelegate().initStyleOption(option, table.model().index(row, col))
    return option


def assert_drawn_as_answered(table, row: int) -> None:
    m = table.model()
    for col in range(m.columnCount()):
        index, option = m.index(row, col), drawn(table, row, col)
        assert option.text == index.data(), (row, col)
        align = index.data(_Role.TextAlignmentRole)
        if align is not None:
            assert option.displayAlignment == Qt.AlignmentFlag(align), (row, col)
        else:
            assert not option.displayAlignment & Qt.AlignmentFlag.AlignRight, (row, col)
        colour = index.data(_Role.ForegroundRole)
        if colour is not None:
            assert option.palette.color(QPalette.ColorRole.Text) == colour, (row, col)


def test_cells_are_drawn_with_what_data_answers(panel):
    ids = add_raw(panel.model.store, 450)           # three pages
    m, table = panel.model, panel.table
    m.reload()
    for row in (0, 6, 7, 199, 200, 201, 449, 3):    # across pages and back
        assert_drawn_as_answered(table, row)
    row = m.row_of(7)                                # untitled: first words, in grey
    assert drawn(table, row, 1).text == "Text of document 7 about Tokyo."
    assert drawn(table, row, 1).palette.color(QPalette.ColorRole.Text).name() == "#757575"
    assert drawn(table, row, 0).displayAlignment & Qt.AlignmentFlag.AlignRight
    assert drawn(table, row, 2).text == STATUSES[7 % 4]
    assert [drawn(table, r, 0).text for r in range(len(ids))] == [str(i) for i in ids]


def test_a_changed_row_is_drawn_changed_not_from_the_page_drawn_last(panel):
    add_raw(panel.model.store, 450)
    m, table, store = panel.model, panel.table, panel.model.store
    m.reload()
    doc = 5
    row = m.row_of(doc)
    assert drawn(table, row, 2).text == STATUSES[doc % 4]      # its page is the last drawn
    store.apply(SetStatus(doc, store.document_status(doc), "done"))
    store.apply(ReplaceSpans(doc, (), (Span(0, 4, "ORG"),)))
    m.refresh_rows([doc])                            # a batch job's way: the page is read again
    assert (drawn(table, row, 2).text, drawn(table, row, 3).text) == ("done", "1")
    assert drawn(table, row, 2).palette.color(QPalette.ColorRole.Text).name() == "#2e7d32"
    store.apply(SetStatus(doc, "done", "skipped"))
    m.refresh(doc)                                   # one row, in place
    assert drawn(table, row, 2).text == "skipped"
    m.reload()                                       # same rows: every page read again
    assert drawn(table, row, 2).text == "skipped"
    store.apply(SetStatus(doc, "skipped", "in progress"))
    assert drawn(table, row, 2).text == "skipped"    # not read again yet (the page cached)
    m.reload()
    assert drawn(table, row, 2).text == "in progress"
    assert_drawn_as_answered(table, row)
