"""The Statistics dock: counted off the UI thread, kept up to date as edits land (this window's,
undone ones, another connection's), charts with clickable bars, tables with Enter, and a click
lists the matching documents."""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt

from models import edits as E
from models.annotate import model_edit

from tests.models.test_stats import figs

TEXTS = ["Kim Jong Un met Moon in Seoul on Monday.", "Apple rose in Tokyo.", "Samsung fell in Seoul."]
M = "model-x"


def prepared(make_window, stand_in_model):
    """Three documents pre-annotated by a model; the first corrected and done."""
    w, store, ids = make_window(TEXTS)
    store.apply(model_edit(store, ids[0], [(0, 11, "PERSON"), (16, 20, "ORG"), (24, 29, "GPE")], M))
    store.apply(model_edit(store, ids[1], [(0, 5, "ORG")], M))
    store.apply(model_edit(store, ids[2], [(0, 7, "ORG"), (16, 21, "GPE")], M))
    store.apply(E.relabel(ids[0], store.spans(ids[0])[1], "PERSON"))
    store.apply(E.finish(ids[0], store.spans(ids[0]), "in progress", "done", "Mark done"))
    return w, store, ids


def fresh(store):
    return figs(store)


def show(qtbot, w):
    w.registry._actions["statistics"].qaction.trigger()
    panel = w.statistics
    qtbot.waitUntil(lambda: panel.figures is not None and panel.task is None, timeout=20000)
    return panel


def same(a, b):
    drop = lambda f: {k: v for k, v in f.items() if k != "progress"}      # noqa: E731 (times)
    return drop(a) == drop(b)


def test_the_dock_counts_in_the_background_and_shows_charts_and_tables(qtbot, make_window, stand_in_model):
    w, store, ids = prepared(make_window, stand_in_model)
    panel = show(qtbot, w)
    assert w.statistics_dock.isVisible()
    assert same(panel.figures, fresh(store))
    (m,) = panel.figures["models"]
    assert (m["suggested"], m["kept"], m["final"]) == (3, 2, 3)
    labels = panel.tables["labels"].model_
    rows = [[labels.item(r, c).text() for c in range(4)] for r in range(labels.rowCount())]
    assert rows == [["PERSON", "2", "2", "2"], ["ORG", "0", "2", "2"], ["GPE", "1", "2", "1"]]
    chart = panel.charts["labels"]
    assert chart.image is not None and not chart.image.isNull() and chart.boxes
    assert {t for _, t in chart.boxes} >= {("label", "PERSON", "all"), ("label", "PERSON", "done")}
    # the model tab: its charts are drawn when it is shown
    panel.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: panel.charts["model"].image is not None and bool(panel.charts["fates"].boxes), timeout=10000)
    per = panel.tables["per_label"].model_
    assert [per.item(r, 0).text() for r in range(per.rowCount())] == ["PERSON", "ORG", "GPE"]
    conf = panel.tables["confusion"].model_
    assert [conf.item(0, c).text() for c in range(3)] == ["ORG", "PERSON", "1"]


def test_edits_undo_and_another_writer_are_followed(qtbot, make_window, stand_in_model):
    w, store, ids = prepared(make_window, stand_in_model)
    panel = show(qtbot, w)
    w.open_document(ids[1])
    span = w.session.spans[0]
    assert w.session.push(E.relabel(ids[1], span, "GPE"))
    qtbot.waitUntil(lambda: panel.task is None and
                    next(r for r in panel.figures["labels"] if r["label"] == "ORG")["all"] == 1, timeout=10000)
    assert same(panel.figures, fresh(store)) and panel.figures["status"]["in progress"] == 1
    w.session.undo()
    qtbot.waitUntil(lambda: panel.task is None and
                    next(r for r in panel.figures["labels"] if r["label"] == "ORG")["all"] == 2, timeout=10000)
    assert same(panel.figures, fresh(store)) and panel.figures["progress"] == fresh(store)["progress"]
    # the command line (another connection) marks a document done: followed
    from models.store import Store
    other = Store(store.path)
    other.apply(E.finish(ids[2], other.spans(ids[2]), "new", "done", "Mark done"))
    other.close()
    qtbot.waitUntil(lambda: panel.task is None and panel.figures["status"]["done"] == 2, timeout=10000)
    assert same(panel.figures, fresh(store))
    assert panel.figures["models"][0]["documents"] == 2


def test_a_hidden_dock_notes_edits_and_counts_them_when_shown(qtbot, make_window, stand_in_model):
    w, store, ids = prepared(make_window, stand_in_model)
    panel = show(qtbot, w)
    w.statistics_dock.hide()
    w.open_document(ids[2])
    assert w.session.push(E.remove_span(ids[2], w.session.spans[0]))
    qtbot.wait(400)
    assert next(r for r in panel.figures["labels"] if r["label"] == "ORG")["all"] == 2   # not counted hidden
    assert ids[2] in panel.docs
    w.statistics_dock.show()
    qtbot.waitUntil(lambda: panel.task is None and not panel.docs and
                    next(r for r in panel.figures["labels"] if r["label"] == "ORG")["all"] == 1, timeout=10000)
    assert same(panel.figures, fresh(store))


def test_a_click_on_a_bar_or_enter_on_a_row_lists_the_matching_documents(qtbot, make_window, stand_in_model):
    w, store, ids = prepared(make_window, stand_in_model)
    panel = show(qtbot, w)
    chart = panel.charts["labels"]
    rect = next(r for r, t in chart.boxes if t == ("label", "GPE", "all"))
    qtbot.mouseClick(chart, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    docs = w.docs_model
    qtbot.waitUntil(lambda: docs._search is None and docs.rowCount() == 2, timeout=10000)
    assert sorted(docs.doc_id(r) for r in range(2)) == [ids[0], ids[2]]
    assert w.doc_panel.spans_box.isVisible() and "GPE" in w.doc_panel.spans_label.text()
    # a document opened from that list has its first GPE span selected
    w.doc_table.selectRow(1)
    qtbot.waitUntil(lambda: w.session.doc is not None and w.session.doc.id == docs.doc_id(1), timeout=5000)
    assert w.view.selected is not None and w.view.selected.label == "GPE"
    assert w.session.doc.text[w.view.selected.start:w.view.selected.end] == "Seoul"
    # the model tab: Enter on the relabelled row lists the done document where ORG became PERSON
    panel.tabs.setCurrentIndex(2)
    table = panel.tables["confusion"]
    table.setFocus()
    table.selectRow(0)
    qtbot.keyClick(table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: docs._search is None and docs.rowCount() == 1, timeout=10000)
    assert docs.doc_id(0) == ids[0] and w.doc_panel.status_filter.currentData() == "done"
    # a top string: the documents where that text has that label
    panel.tabs.setCurrentIndex(0)
    labels = panel.tables["labels"]
    labels.selectRow([labels.model_.item(r, 0).text() for r in range(labels.model_.rowCount())].index("ORG"))
    tops = panel.tables["tops"]
    texts = [tops.model_.item(r, 0).text() for r in range(tops.model_.rowCount())]
    assert sorted(texts) == ["Apple", "Samsung"]
    tops.selectRow(texts.index("Samsung"))
    qtbot.keyClick(tops, Qt.Key.Key_Enter)
    qtbot.waitUntil(lambda: docs._search is None and docs.rowCount() == 1 and docs.doc_id(0) == ids[2], timeout=10000)
    w.doc_panel.spans_clear.click()
    qtbot.waitUntil(lambda: docs._search is None and docs.rowCount() == 3, timeout=10000)
    assert not w.doc_panel.spans_box.isVisible()


def test_the_keyboard_steps_through_a_chart_s_bars(qtbot, make_window, stand_in_model):
    w, store, ids = prepared(make_window, stand_in_model)
    panel = show(qtbot, w)
    panel.tabs.setCurrentIndex(1)
    chart = panel.charts["status"]
    qtbot.waitUntil(lambda: bool(chart.boxes), timeout=10000)
    chart.setFocus()
    picked = []
    chart.picked.connect(picked.append)
    qtbot.keyClick(chart, Qt.Key.Key_Right)
    qtbot.keyClick(chart, Qt.Key.Key_Return)
    assert picked == [chart.boxes[0][1]] and picked[0][0] == "status"
    assert chart.target_at(QPointF(-5, -5)) is None


def test_an_import_and_a_batch_pre_annotation_are_counted_when_they_end(qtbot, make_window, stand_in_model,
                                                                        tmp_path):
    import json
    w, store, ids = prepared(make_window, stand_in_model)
    panel = show(qtbot, w)
    lines = tmp_path / "more.jsonl"
    lines.write_text("\n".join(json.dumps({"text": f"Apple met Kim Jong Un in Tokyo {i}."}) for i in range(20)),
                     encoding="utf-8")
    assert w.jobs.import_files([str(lines)])
    qtbot.waitUntil(lambda: not w.jobs.busy and panel.task is None and panel.figures["documents"] == 23,
                    timeout=20000)
    builds = []
    real = panel.engine.build
    panel.engine.build = lambda *a, **k: builds.append(1) or real(*a, **k)
    assert w.jobs.preannotate_all()
    qtbot.waitUntil(lambda: not w.jobs.busy and panel.task is None and
                    next(r for r in panel.figures["labels"] if r["label"] == "GPE")["all"] >= 20, timeout=20000)
    assert same(panel.figures, fresh(store))
    assert not builds                  # a chunk's documents counted again, not the whole project


def test_a_dock_never_shown_counts_nothing_until_it_is(qtbot, make_window, stand_in_model):
    """Its engine holds a row per document (240 MB at a million): a batch or an edit while it
    has never been shown builds nothing; showing it counts everything."""
    w, store, ids = prepared(make_window, stand_in_model)
    qtbot.waitUntil(lambda: w.model.source is not None, timeout=5000)
    panel = w.statistics
    assert w.jobs.preannotate_all()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=20000)
    w.open_document(ids[2])
    assert w.session.push(E.remove_span(ids[2], w.session.spans[0]))
    qtbot.wait(400)
    assert panel.figures is None and panel.task is None
    assert not panel.engine.built and not panel.docs        # nor are the ids it will count held
    panel = show(qtbot, w)
    assert same(panel.figures, fresh(store))


def test_a_dock_hidden_a_while_lets_its_engine_go_and_counts_all_again_when_shown(qtbot, make_window,
                                                                                 stand_in_model):
    """Hidden for ``drop_ms`` (30 s), its state (a row per document) is let go; the edits made
    meanwhile, here and by another connection, are in the figures once it is shown again."""
    from models.store import Store
    w, store, ids = prepared(make_window, stand_in_model)
    panel = show(qtbot, w)
    assert panel.engine.built
    panel.drop_ms = 50
    w.statistics_dock.hide()
    qtbot.waitUntil(lambda: not panel.engine.built, timeout=5000)
    assert panel.engine.conn is None and panel.full and panel.task is None
    w.open_document(ids[2])
    assert w.session.push(E.remove_span(ids[2], w.session.spans[0]))
    other = Store(store.path)
    other.apply(E.finish(ids[1], other.spans(ids[1]), "new", "done", "Mark done"))
    other.close()
    w.follower.poll()                                       # the other connection's write, told
    qtbot.wait(400)
    assert not panel.docs and not panel.flips and not panel.engine.built and panel.task is None
    w.statistics_dock.show()
    qtbot.waitUntil(lambda: panel.engine.built and panel.task is None and not panel.full, timeout=20000)
    assert same(panel.figures, fresh(store))
    assert panel.figures["status"]["done"] == 2 and panel.figures["models"][0]["documents"] == 2
    assert next(r for r in panel.figures["labels"] if r["label"] == "ORG")["all"] == 1
    # shown, it follows edits again
    assert w.session.push(E.remove_span(ids[2], w.session.spans[0]))
    qtbot.waitUntil(lambda: panel.task is None and not panel.docs and
                    next(r for r in panel.figures["labels"] if r["label"] == "GPE")["all"] == 1, timeout=10000)
    assert same(panel.figures, fresh(store))
