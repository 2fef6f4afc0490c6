"""SpanModel: the one owner of the open document's spans, read by the article view (colours,
tags, selection) and the entity table. An edit moves rows; it never resets the model."""
from __future__ import annotations

import random

import pytest
from PySide6.QtCore import Qt

from gui.article_view import ArticleView
from gui.span_model import LABEL, SOURCE, TEXT, SpanModel
from gui.span_table import SpanTable
from models.labels import Label, LabelSet, default_labels
from models.spans import Span
from tests.gui.viewprobe import background_at, colour_at

# Emoji (astral: 2 Qt positions), a flag, CRLF (2 code points, 1 position), a ZWJ family.
TEXT_ = "😀 Seoul\r\nmet 🇯🇵 Tokyo 👨‍👩‍👧 and Kim\r\n\r\nin Busan 🎉 on Monday.\r\n"
LABELS = default_labels()
COLOUR = {lab.name: lab.color.lower() for lab in LABELS}


def at(word: str, n: int = 1, text: str = TEXT_) -> tuple[int, int]:
    i = -1
    for _ in range(n):
        i = text.index(word, i + 1)
    return i, i + len(word)


def sp(word: str, label: str, source: str = "manual", text: str = TEXT_) -> Span:
    return Span(*at(word, text=text), label, source)


SEOUL, TOKYO, KIM = sp("Seoul", "GPE"), sp("Tokyo", "GPE", "model-x"), sp("Kim", "PERSON")


class Spy:
    """Every signal of a model, in order, as (name, args)."""

    def __init__(self, model: SpanModel):
        self.log: list[tuple] = []
        for name in ("rowsInserted", "rowsRemoved", "modelReset", "modelAboutToBeReset",
                     "dataChanged", "layoutChanged", "opened", "spans_reset", "applied",
                     "labels_changed", "counts_changed"):
            getattr(model, name).connect(lambda *a, name=name: self.log.append((name, a)))

    def names(self) -> list[str]:
        return [n for n, _ in self.log]

    def clear(self) -> None:
        self.log.clear()


@pytest.fixture
def shown(qtbot):
    """A view and a table on one model, both shown, the document open."""
    model = SpanModel()
    view, table = ArticleView(model), SpanTable(model)
    for w in (view, table):
        qtbot.addWidget(w)
        w.resize(700, 400)
        w.show()
    model.open(TEXT_, [KIM, SEOUL, TOKYO], LABELS)          # any order: the model sorts
    return model, view, table


def rows(table: SpanTable) -> list[tuple]:
    m = table.model()
    return [tuple(m.index(r, c).data() for c in (TEXT, LABEL, SOURCE)) for r in range(m.rowCount())]


def expected_rows(text: str, spans: list[Span]) -> list[tuple]:
    return [(text[s.start:s.end].replace("\r", " ").replace("\n", " "), s.label,
             "yours" if s.is_manual else "model") for s in spans]


def formats(view: ArticleView) -> set[tuple]:
    """Every character format the highlighter set: (Qt position, background rgba, spacing)."""
    out, block = set(), view.document().begin()
    while block.isValid():
        for f in block.layout().formats():
            bg = f.format.background()
            for k in range(f.length):
                out.add((block.position() + f.start + k,
                         bg.color().name(bg.color().NameFormat.HexArgb) if bg.style() else None,
                         f.format.fontLetterSpacing()))
        block = block.next()
    return out


def reference(qtbot, text: str, spans: list[Span], labels: LabelSet = LABELS) -> ArticleView:
    """A fresh view opened on the spans: what an edited view must look like."""
    ref = ArticleView()
    qtbot.addWidget(ref)
    ref.resize(700, 400)
    ref.set_content(text, spans, labels)
    return ref


def check_all(qtbot, model: SpanModel, view: ArticleView, table: SpanTable, spans: list[Span]):
    spans = sorted(spans)
    assert model.spans == spans and view.spans == spans and table.model_ is model
    assert rows(table) == expected_rows(model.text, spans)
    assert table.verticalHeader().count() == len(spans)           # the table view followed
    assert model.count == len(spans) and model.unreviewed == sum(not s.is_manual for s in spans)
    assert model.qt_spans == model.to_qt_spans(spans)             # what the tag painter reads
    assert formats(view) == formats(reference(qtbot, model.text, spans, model.labels))


def changed_rows(spy: Spy) -> list[tuple]:
    return [(a[0].row(), a[1].row(), a[0].column(), a[1].column())
            for n, a in spy.log if n == "dataChanged"]


def test_relabel_add_delete_resize_change_rows_and_never_reset_the_model(qtbot, shown):
    """A relabel changes its row in place (dataChanged: the table repaints one row), an add
    inserts rows, a delete removes them; a resize changes its row and removes what it
    swallowed. Never a model reset."""
    model, view, table = shown
    spy = Spy(model)
    relabelled = SEOUL.with_(label="LOC")
    model.apply([SEOUL], [relabelled])
    assert spy.names() == ["dataChanged", "applied", "counts_changed"]
    assert changed_rows(spy) == [(0, 0, 0, 2)]
    check_all(qtbot, model, view, table, [relabelled, TOKYO, KIM])
    assert colour_at(view, SEOUL.start) == COLOUR["LOC"] and colour_at(view, SEOUL.end) is None

    spy.clear()
    busan = sp("Busan", "GPE", "model-y")
    model.apply([], [busan])
    assert spy.names() == ["rowsInserted", "applied", "counts_changed"]
    assert spy.log[0][1][1:] == (3, 3) and spy.log[-1][1] == (4, 2)
    check_all(qtbot, model, view, table, [relabelled, TOKYO, KIM, busan])

    spy.clear()
    model.apply([TOKYO], [])
    assert spy.names() == ["rowsRemoved", "applied", "counts_changed"]
    assert spy.log[0][1][1:] == (1, 1) and spy.log[-1][1] == (3, 1)
    check_all(qtbot, model, view, table, [relabelled, KIM, busan])
    assert colour_at(view, TOKYO.start) is None

    spy.clear()                         # a resize over an emoji and a CRLF: one row out, one in
    wide = Span(KIM.start, at("Busan")[1], "PERSON")
    model.apply([KIM, busan], [wide])
    assert spy.names() == ["dataChanged", "rowsRemoved", "applied", "counts_changed"]
    assert changed_rows(spy) == [(1, 1, 0, 2)] and spy.log[1][1][1:] == (2, 2)
    check_all(qtbot, model, view, table, [relabelled, wide])
    assert {colour_at(view, i) for i in range(wide.start, wide.end)
            if TEXT_[i] not in "\r\n"} == {COLOUR["PERSON"]}       # a line break has no colour
    assert "modelReset" not in spy.names() and "modelAboutToBeReset" not in spy.names()


def test_a_span_grown_in_place_into_further_lines_is_coloured_there(qtbot, shown):
    model, view, table = shown
    grown = Span(KIM.start, at("in Busan")[0] + 2, "PERSON")     # over two CRLFs, into "in"
    spy = Spy(model)
    model.apply([KIM], [grown])
    assert spy.names() == ["dataChanged", "applied", "counts_changed"]
    assert colour_at(view, grown.end - 1) == COLOUR["PERSON"] and colour_at(view, grown.end) is None
    check_all(qtbot, model, view, table, [SEOUL, TOKYO, grown])


def test_a_confirm_turns_the_pale_suggestion_solid(qtbot, shown):
    model, view, table = shown
    assert background_at(view, TOKYO.start).alpha() < 255          # a model suggestion: pale
    mine = TOKYO.with_(source="manual")
    spy = Spy(model)
    model.apply([TOKYO], [mine])
    assert spy.names() == ["dataChanged", "applied", "counts_changed"]
    assert background_at(view, TOKYO.start).alpha() == 255
    assert rows(table)[1] == ("Tokyo", "GPE", "yours") and model.unreviewed == 0
    check_all(qtbot, model, view, table, [SEOUL, mine, KIM])


def test_a_span_that_is_not_there_is_refused_and_nothing_changes(qtbot, shown):
    model, view, table = shown
    spy = Spy(model)
    before = formats(view)
    for remove in ([Span(0, 1, "GPE")], [SEOUL.with_(label="ORG")], [SEOUL, SEOUL],
                   [KIM, Span(1, 2, "GPE")]):
        with pytest.raises(ValueError):
            model.apply(remove, [Span(0, 1, "ORG")])
    with pytest.raises(ValueError):
        model.apply([], [Span(0, len(TEXT_) + 1, "ORG")])             # outside the text
    assert spy.log == [] and formats(view) == before
    check_all(qtbot, model, view, table, [SEOUL, TOKYO, KIM])


@pytest.mark.parametrize("seed", range(12))
def test_random_edits_keep_view_table_and_counts_in_step(qtbot, shown, seed):
    """Edits of every kind at random places (emoji, flags, CRLF, the ZWJ family, line ends):
    after each, the table's rows, the counts, the Qt positions and every colour and tag gap
    equal those of a view opened afresh on the same spans."""
    model, view, table = shown
    rng = random.Random(seed)
    spy = Spy(model)
    for _ in range(10):
        spans = list(model.spans)
        remove = rng.sample(spans, k=min(len(spans), rng.choice([0, 1, 1, 2])))
        left = sorted(set(spans) - set(remove))
        add = [s.with_(label=rng.choice(["LOC", "EVENT"]), source="manual")
               for s in remove if rng.random() < 0.4]          # relabels and confirms
        for _ in range(rng.choice([0, 1, 1, 2])):
            a = rng.randrange(len(TEXT_))
            b = min(len(TEXT_), a + rng.randint(1, 9))
            if all(not s.overlaps(a, b) for s in left + add) and TEXT_[a] not in "\n" \
                    and not (0xDC00 <= ord(TEXT_[a]) <= 0xDFFF):
                add.append(Span(a, b, rng.choice(["GPE", "ORG", "PERSON", "DATE"]),
                                rng.choice(["manual", "model-z"])))
        if not remove and not add:
            continue
        model.apply(remove, add)
        check_all(qtbot, model, view, table, left + add)
    assert "modelReset" not in spy.names()


def test_counts_follow_open_reset_and_apply(qtbot):
    model = SpanModel()
    counts = []
    model.counts_changed.connect(lambda *a: counts.append(a))
    model.open(TEXT_, [SEOUL, TOKYO, KIM], LABELS)
    model.apply([SEOUL], [SEOUL.with_(source="model-q")])
    model.apply([TOKYO, KIM], [])
    model.reset_spans([SEOUL, TOKYO, KIM])
    assert counts == [(3, 1), (3, 2), (1, 1), (3, 1)]
    assert (model.count, model.unreviewed) == (3, 1)


def test_a_removed_selected_span_is_deselected_a_kept_one_stays(qtbot, shown):
    model, view, table = shown
    view.select_span(SEOUL)
    model.apply([TOKYO], [])
    assert view.selected == SEOUL                        # untouched by the edit
    model.apply([SEOUL], [SEOUL.with_(label="ORG")])
    assert view.selected is None                         # the span selected is gone
    view.select_span(KIM)
    view.reset_spans([SEOUL])                            # spans re-read from the store
    assert view.selected is None and rows(table) == expected_rows(TEXT_, [SEOUL])


def test_view_and_table_on_one_model_show_the_same_spans(qtbot):
    model = SpanModel()
    model.open(TEXT_, [SEOUL, KIM], LABELS)
    view, table = ArticleView(model), SpanTable(model)        # built after the open
    for w in (view, table):
        qtbot.addWidget(w)
    assert view.toPlainText().replace("\u2029", "\n") == TEXT_.replace("\r\n", "\n")
    assert view.spans is model.spans and table.model_ is model and table.model() is model
    assert rows(table) == expected_rows(TEXT_, [SEOUL, KIM])
    assert colour_at(view, KIM.start) == COLOUR["PERSON"] and colour_at(view, TOKYO.start) is None
    view.set_content("Apple in Tokyo", [Span(0, 5, "ORG")], LABELS)     # the old API: the model
    assert rows(table) == [("Apple", "ORG", "yours")] and model.text == "Apple in Tokyo"
    assert colour_at(view, 0) == COLOUR["ORG"]


def test_the_old_view_api_delegates_to_the_owner(qtbot):
    view = ArticleView()
    qtbot.addWidget(view)
    view.set_content(TEXT_, [SEOUL, TOKYO], LABELS)
    spy = Spy(view.model)
    view.apply([TOKYO], [KIM], [SEOUL, KIM])
    assert view.spans == [SEOUL, KIM] and "modelReset" not in spy.names()
    assert colour_at(view, KIM.start) == COLOUR["PERSON"] and colour_at(view, TOKYO.start) is None
    view.apply([TOKYO], [], [SEOUL])       # a caller out of step: its list wins, all recoloured
    assert view.spans == [SEOUL] and colour_at(view, KIM.start) is None


def test_set_labels_changes_the_label_column_and_the_colours(qtbot, shown):
    model, view, table = shown
    spy = Spy(model)
    labels = LabelSet([lab if lab.name != "GPE" else Label("GPE", "#123456", lab.key, lab.description, lab.order)
                       for lab in LABELS])
    model.set_labels(labels)
    changed = [a for n, a in spy.log if n == "dataChanged"]
    assert len(changed) == 1 and changed[0][0].column() == changed[0][1].column() == LABEL
    assert (changed[0][0].row(), changed[0][1].row()) == (0, 2)
    assert colour_at(view, SEOUL.start) == "#123456"
    assert table.model().index(0, LABEL).data(Qt.ItemDataRole.BackgroundRole).name() == "#123456"
    check_all(qtbot, model, view, table, [SEOUL, TOKYO, KIM])


def test_the_label_cell_asks_for_a_relabel_and_changes_nothing_itself(qtbot, shown):
    model, view, table = shown
    asked = []
    model.relabel_requested.connect(lambda s, lab: asked.append((s, lab)))
    assert model.setData(model.index(2, LABEL), "ORG")
    assert not model.setData(model.index(2, LABEL), "NO_SUCH_LABEL")
    assert not model.setData(model.index(2, TEXT), "ORG")
    assert asked == [(KIM, "ORG")] and model.spans == [SEOUL, TOKYO, KIM]
    tip = model.index(1, SOURCE).data(Qt.ItemDataRole.ToolTipRole)
    assert "model-x" in tip and model.index(0, SOURCE).data(Qt.ItemDataRole.ToolTipRole) is None


@pytest.mark.parametrize("words", [("met 🇯🇵",), ("👨‍👩‍👧",), ("😀",), ("Busan 🎉",), ("in Busan",),
                                   ("met 🇯🇵", "Busan 🎉")])
def test_spans_added_by_apply_that_end_in_a_cluster_get_the_whole_clusters_tag_gap(qtbot, shown, words):
    model, view, table = shown
    add = [sp(w, "EVENT") for w in words]
    model.apply([], add)
    for s in add:
        q = model.qt_spans[model.row_of(s)]
        spaced = {p for p, _, spacing in formats(view) if spacing > 0 and q.start <= p < q.end}
        assert spaced == set(range(q.last, q.end)) and q.last < q.end, s
    check_all(qtbot, model, view, table, sorted(set(model.spans)))


WORDS = TEXT_.replace("\r\n", "  ").split()


def many(label="GPE", source="model-m"):
    """A span on every word (emoji and flags included): the spans of a busy document."""
    out, i = [], 0
    for w in WORDS:
        i = TEXT_.index(w, i)
        out.append(Span(i, i + len(w), label, source))
        i += len(w)
    return out


def many_open(qtbot):
    """A view and a table (not shown) on one model with ``many()`` open, and a spy on it."""
    model = SpanModel()
    view, table = ArticleView(model), SpanTable(model)
    for w in (view, table):
        qtbot.addWidget(w)
    spans = many()
    model.open(TEXT_, spans, LABELS)
    return model, view, table, spans, Spy(model)


def test_adjacent_rows_leave_and_come_in_runs_and_accept_all_is_one_data_change(qtbot):
    model, view, table, spans, spy = many_open(qtbot)
    model.apply(spans[2:5] + spans[7:8], [])               # rows 2-4 and 7: two runs
    assert [(n, a[1:]) for n, a in spy.log if n == "rowsRemoved"] == [
        ("rowsRemoved", (7, 7)), ("rowsRemoved", (2, 4))]
    check_all(qtbot, model, view, table, spans[:2] + spans[5:7] + spans[8:])
    spy.clear()
    model.apply([], spans[2:5] + spans[7:8])               # back in: two runs again
    assert [(n, a[1:]) for n, a in spy.log if n == "rowsInserted"] == [
        ("rowsInserted", (2, 4)), ("rowsInserted", (7, 7))]
    check_all(qtbot, model, view, table, spans)
    spy.clear()
    mine = [s.with_(source="manual") for s in spans]       # Done: every suggestion accepted
    model.apply(spans, mine)
    assert spy.names() == ["dataChanged", "applied", "counts_changed"]
    assert changed_rows(spy) == [(0, len(spans) - 1, 0, 2)] and model.unreviewed == 0
    check_all(qtbot, model, view, table, mine)


def test_a_resize_that_does_not_fit_its_row_goes_out_and_in(qtbot):
    model, view, table, spans, spy = many_open(qtbot)
    grown = Span(spans[1].start - 1, spans[2].end, "ORG")  # row 2 grows left past row 1
    model.apply([spans[2], spans[1]], [grown])
    assert [(n, a[1:]) for n, a in spy.log if n.startswith("rows")] == [
        ("rowsRemoved", (1, 2)), ("rowsInserted", (1, 1))]
    check_all(qtbot, model, view, table, [spans[0], grown] + spans[3:])
    spy.clear()
    wide = Span(grown.start, spans[3].end, "ORG")          # ... and right over row 2: in place
    model.apply([grown, spans[3]], [wide])
    assert spy.names() == ["dataChanged", "rowsRemoved", "applied", "counts_changed"]
    check_all(qtbot, model, view, table, [spans[0], wide] + spans[4:])
    shrunk = Span(wide.start + 2, wide.end, "ORG")         # Shift+Ctrl+Right: the start moves
    spy.clear()
    model.apply([wide], [shrunk])
    assert spy.names() == ["dataChanged", "applied", "counts_changed"]
    check_all(qtbot, model, view, table, [spans[0], shrunk] + spans[4:])


def test_each_cell_answers_each_role_alike_from_qt_and_from_python(qtbot):
    """Qt asks ``data`` with an int role, Python code with the enum: the same answers."""
    R = Qt.ItemDataRole
    model = SpanModel()
    model.open("Seoul <b>x</b>\r\nnext", [Span(0, 5, "GPE"), Span(6, 14, "NO_SUCH", "model-q")], LABELS)
    want = {
        (0, TEXT): {R.DisplayRole: "Seoul", R.EditRole: "Seoul"},
        (0, LABEL): {R.DisplayRole: "GPE", R.EditRole: "GPE", R.ForegroundRole: "#111111",
                     R.BackgroundRole: COLOUR["GPE"]},
        (0, SOURCE): {R.DisplayRole: "yours", R.EditRole: "yours"},
        (1, TEXT): {R.DisplayRole: "<b>x</b>", R.EditRole: "<b>x</b>"},
        (1, LABEL): {R.DisplayRole: "NO_SUCH", R.EditRole: "NO_SUCH", R.ForegroundRole: "#111111"},
        (1, SOURCE): {R.DisplayRole: "model", R.EditRole: "model", R.FontRole: "italic"},
    }
    for (row, col), roles in want.items():
        for role in (R.DisplayRole, R.EditRole, R.BackgroundRole, R.ForegroundRole, R.FontRole,
                     R.DecorationRole, R.CheckStateRole, R.TextAlignmentRole, R.UserRole):
            for got in (model.index(row, col).data(role), model.data(model.index(row, col), role),
                        model.data(model.index(row, col), int(role))):
                if hasattr(got, "name") and callable(got.name):
                    got = got.name()
                elif hasattr(got, "italic"):
                    got = "italic" if got.italic() else "upright"
                assert got == roles.get(role), (row, col, role, got)
        tip = model.index(row, col).data(R.ToolTipRole)
        assert (tip is None) == ((row, col) == (0, SOURCE)), (row, col, tip)
        assert tip is None or "<b>" not in tip             # plain text, never markup
    assert model.data(model.index(2, 0)) is None and model.data(model.index(-1, 0)) is None
