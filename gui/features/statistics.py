"""The Statistics dock (View ▸ Statistics, Ctrl+Shift+I): labels, progress and the model
against the people, as charts and as tables, kept up to date as edits land.

Everything is counted and drawn off the UI thread (``gui.workers.Runner``, one thread, a
project connection of its own): the whole project once when the dock is first shown
(``models.stats_read.StatsState.build``), then only the documents each edit touched
(``refresh``) — this window's edits (``Session.changed``), another window's or the command
line's (``Follower.followed``), and a batch job's when it ends. Hidden, the dock only notes
what changed; hidden for ``DROP_MS`` it lets its engine's state go (a row per document), notes
nothing more and counts the whole project again once shown (a dock never shown builds nothing
at all). A click (or Enter) on a bar or a table row lists the matching documents in the
document list (``DocumentPanel.set_spans``).
"""
from __future__ import annotations

import warnings

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QPushButton, QScrollArea,
                               QSizePolicy, QTabWidget, QVBoxLayout, QWidget)

from gui.features import stats_tables as T
from gui.features.docking import CloseWatch, panel_keys, right_dock
from gui.features.stats_view import ChartView
from gui.workers import Runner
from models.document import DONE
from models.queue import ALL
from models.stats_read import StatsEngine

TITLE = "Statistics"
REFRESH_MS = 150           # after an edit: wait this long for the next before counting
DROP_MS = 30_000           # hidden this long: the engine's state is let go (a row per document:
                           # ~240 MB at a million), counted whole again when shown
TABS = {"labels": ("labels",), "progress": ("status", "progress"), "model": ("model", "fates")}


def render(figures: dict, names, width_px: int, ratio: float, opts: dict) -> dict:
    """The charts ``names`` drawn ``width_px`` wide: name -> (rgba, w, h, boxes)."""
    import matplotlib
    from models import stats_charts as C
    out = {}
    inches = max(width_px, 240) / C.DPI
    with matplotlib.rc_context({"text.parse_math": False, "figure.dpi": C.DPI * ratio}), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in names:
            if name == "model":
                fig, bars = C.model_chart(figures, inches, opts.get("measure", "f1"))
            elif name == "fates":
                fig, bars = C.fates_chart(figures, inches, opts.get("source"))
            else:
                fig, bars = C.CHARTS[name](figures, inches)
            fig.set_dpi(C.DPI * ratio)
            out[name] = C.pixels(fig, bars)
    return out


class StatsPanel(QWidget):
    def __init__(self, w):
        super().__init__(w)
        self.w = w
        self.engine = StatsEngine(w.store.path)
        self.runner = Runner(1, self)
        self.figures: dict | None = None
        self.full = True                     # the whole project must be counted (again)
        self.docs: set[int] = set()          # documents changed since the last count
        self.flips: list[tuple[int, bool]] = []
        self.labels: set[str] | None = set()  # labels whose spans changed (None: maybe any)
        self.task = None
        self._drawn_width = 0
        self._timer = QTimer(self, singleShot=True, interval=REFRESH_MS)
        self._timer.timeout.connect(self.run)
        self.drop_ms = DROP_MS
        self._drop = QTimer(self, singleShot=True)
        self._drop.timeout.connect(self.drop)
        self._build()

    # -- widgets ---------------------------------------------------------------------------------
    def _build(self) -> None:
        self.state_label = QLabel("Not counted yet")
        self.state_label.setTextFormat(Qt.TextFormat.PlainText)
        self.state_label.setWordWrap(True)           # a narrow dock: two lines, never a wider window
        self.state_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.recount = QPushButton("Count again")
        self.recount.setToolTip("Count the whole project again (in the background)")
        self.recount.clicked.connect(self.count_all)
        top = QHBoxLayout()
        top.addWidget(self.state_label, 1)
        top.addWidget(self.recount)
        self.tabs = QTabWidget()
        self.charts: dict[str, ChartView] = {}
        self.tables = T.make_tables()
        pages = {"labels": "Labels", "progress": "Progress", "model": "Model"}   # Ctrl+Tab between them (Alt+M is the Model menu)
        for key, title in pages.items():
            box = QWidget()
            lay = QVBoxLayout(box)
            lay.setContentsMargins(2, 2, 2, 2)
            if key == "model":
                lay.addLayout(self._model_controls())
            for name in TABS[key]:
                chart = self.charts[name] = ChartView(name, T.describe)
                chart.picked.connect(self.pick)
                lay.addWidget(chart)
            for table in T.TABLES_OF[key]:
                caption = QLabel(self.tables[table].accessibleName())
                lay.addWidget(caption)
                lay.addWidget(self.tables[table])
                self.tables[table].picked.connect(self.pick)
            lay.addStretch(1)
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setWidget(box)
            self.tabs.addTab(scroll, title)
        self.tables["labels"].selectionModel().currentRowChanged.connect(lambda *_: self._show_tops())
        self.tabs.currentChanged.connect(lambda _i: self.draw())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.tabs)
        self._resize = QTimer(self, singleShot=True, interval=250)
        self._resize.timeout.connect(self.draw)

    def _model_controls(self) -> QHBoxLayout:
        self.source_box = QComboBox()
        self.source_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.source_box.setMinimumContentsLength(10)     # a long model name does not widen the dock
        self.source_box.setToolTip("The model (or patterns run) whose suggestions the tables and "
                                   "the second chart show")
        self.source_box.currentIndexChanged.connect(lambda _i: (self._show_tables(), self.draw()))
        self.measure_box = QComboBox()
        for text, key in (("F1", "f1"), ("Precision", "precision"), ("Recall", "recall")):
            self.measure_box.addItem(text, key)
        self.measure_box.currentIndexChanged.connect(lambda _i: self.draw())
        row = QHBoxLayout()
        row.addWidget(QLabel("Model:"))
        row.addWidget(self.source_box, 1)
        row.addWidget(self.measure_box)
        return row

    # -- what changed ----------------------------------------------------------------------------
    def _counts_all(self) -> bool:
        """The next count reads the whole project (never counted, let go, or asked): what
        changed meanwhile need not be noted (a million pre-annotated ids would be held)."""
        return self.full and self.task is None

    def follow(self, out, _focus=None) -> None:
        """This window's write: count its documents again."""
        if self._counts_all():
            return
        self.docs.update(out.docs)
        if self.labels is not None:
            self.labels.update(s.label for e in out.spans for s in e.add + e.remove)
        if out.mode in ("undo", "redo") and out.entry is not None:
            self.flips.append((out.entry, out.mode == "undo"))
        self.schedule()

    def followed(self, ids) -> None:
        """Another connection's writes (``ids``: the documents it changed)."""
        if self._counts_all():
            return
        self.docs.update(ids)
        self.labels = None                      # which labels changed there is not told
        self.flips.append((0, False))          # entries may have been undone there: read all again
        self.schedule()

    def batch(self, ids) -> None:
        """A batch's chunk written (``ids``: the documents it may have changed): those counted
        again, not the whole project (4 s at a million, after every chunk of 256)."""
        if self._counts_all():
            return
        self.docs.update(ids)
        self.labels = None                      # any label's spans may have come
        self.schedule()

    def count_all(self) -> None:
        self.full = True
        self.docs, self.flips, self.labels = set(), [], set()
        self.schedule(now=True)

    def schedule(self, now: bool = False) -> None:
        if not self.isVisible():
            return                              # noted; counted when shown (never built hidden:
                                                # its engine holds a row per document)
        if now:
            self._timer.start(0)
        elif not self._timer.isActive():
            self._timer.start()

    def showEvent(self, e) -> None:
        super().showEvent(e)
        self._drop.stop()
        if self.figures is None or self.docs or self.flips or self.full:
            self.schedule(now=True)

    def hideEvent(self, e) -> None:
        super().hideEvent(e)
        self._drop.start(self.drop_ms)

    def drop(self) -> None:
        """Hidden a while: let the engine's state go (the figures shown stay); shown again,
        the whole project is counted. A count under way is stopped first."""
        if self.isVisible():
            return
        if self.task is not None:
            self.task.cancel()                  # a full count stops; a refresh ends soon
            self._drop.start(200)
            return
        self._timer.stop()
        self.engine.drop()
        self.full = True
        self.docs, self.flips, self.labels = set(), [], set()

    def resizeEvent(self, e) -> None:
        super().resizeEvent(e)
        if self.figures is not None:
            self._resize.start()

    # -- counting, off the UI thread -----------------------------------------------------------------
    def run(self) -> None:
        if self.task is not None:
            return                              # counted again when it is done
        full, docs, flips, labels = self.full, self.docs, self.flips, self.labels
        if not full and not docs and not flips and not labels and labels is not None:
            return
        self.full, self.docs, self.flips, self.labels = False, set(), [], set()
        engine, names, width, ratio, opts = self.engine, self._names(), self._width(), \
            self.devicePixelRatioF(), self._opts()
        if full:
            self.state_label.setText("Counting…")

        def work(task):
            if full or not engine.built:
                if not engine.build(task.report, lambda: task.cancelled):
                    return None
            else:
                engine.refresh(docs, flips, labels)
            figs = engine.figures()
            return figs, render(figs, names, width, ratio, opts)
        self._drawn_width = width
        self.task = self.runner.start(work, self._counted, self._failed, self._progress)

    def _progress(self, done: int, total: int) -> None:
        self.state_label.setText(f"Counting… {done:,} of {total:,} documents")

    def _counted(self, result) -> None:
        self.task = None
        if result is None:
            self.full = True
            return
        self.figures, images = result
        f = self.figures
        if tuple(images) != self._names() or self._drawn_width != self._width():
            QTimer.singleShot(0, self.draw)      # another tab or size meanwhile
        self.state_label.setText(f"{f['documents']:,} documents · {f['status'][DONE]:,} done · "
                                 f"up to date")
        T.fill(self, f)
        self._show_images(images)
        if self.docs or self.flips or self.full:
            self.schedule()

    def _failed(self, message: str) -> None:
        self.task = None
        self.full = True
        self.state_label.setText(f"Could not count: {message}")

    def draw(self) -> None:
        """Draw the current tab's charts again (a new size, model or measure)."""
        if self.figures is None:
            return
        figs, names, width, ratio, opts = self.figures, self._names(), self._width(), \
            self.devicePixelRatioF(), self._opts()
        self._drawn_width = width
        self.runner.start(lambda _t: render(figs, names, width, ratio, opts), self._show_images)

    def _show_images(self, images: dict) -> None:
        for name, (rgba, w, h, boxes) in images.items():
            self.charts[name].show_image(rgba, w, h, boxes, self.devicePixelRatioF())

    def _names(self) -> tuple:
        return TABS[("labels", "progress", "model")[max(self.tabs.currentIndex(), 0)]]

    def _width(self) -> int:
        page = self.tabs.currentWidget()
        inner = page.viewport().width() if page is not None else self.tabs.width()
        return int((inner - 8) * self.devicePixelRatioF())

    def _opts(self) -> dict:
        return {"measure": self.measure_box.currentData(), "source": self.source_box.currentData()}

    def _show_tables(self) -> None:
        if self.figures is not None:
            T.fill(self, self.figures)

    def _show_tops(self) -> None:
        if self.figures is not None:
            T.fill_tops(self, self.figures)

    # -- a click: the matching documents in the list ---------------------------------------------------
    def pick(self, target) -> None:
        spans, status = T.filter_of(target)
        w = self.w
        w.docs_dock.show()
        w.docs_dock.raise_()
        w.doc_panel.set_spans(spans, status if status is not None else ALL)
        w.doc_table.setFocus(Qt.FocusReason.OtherFocusReason)

    def close_engine(self) -> None:
        """The window closes: stop counting, and close the connection once the thread is free."""
        if self.task is not None:
            self.task.cancel()
        self.runner.wait(5000)
        self.engine.close()


def install(w) -> None:
    panel = StatsPanel(w)
    dock = right_dock(w, TITLE, panel)
    dock.hide()                                   # View ▸ Statistics shows it
    w.statistics, w.statistics_dock = panel, dock
    panel_keys(w, dock, "statistics", "Statistics", "Ctrl+Shift+I",
               "Show the statistics: labels, progress, the model against the people", panel.tabs)
    w.session.changed.connect(panel.follow)
    w.follower.followed.connect(panel.followed)
    w.jobs.imported.connect(lambda *_: panel.count_all())
    w.jobs.preannotated.connect(panel.batch)
    w.installEventFilter(CloseWatch(panel, panel.close_engine))

    def opened(doc) -> None:
        """A document opened from a list of the statistics: its first matching span selected."""
        spans = w.docs_model.query.spans
        if spans is not None and doc is not None:
            span = spans.first(w.session.spans, doc.text)
            if span is not None:
                w.view.select_span(span)
    w.session.document_opened.connect(opened)


__all__ = ["install", "StatsPanel", "render"]
