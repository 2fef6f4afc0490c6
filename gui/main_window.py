"""The main window: builds the widgets and wires them. Behaviour lives elsewhere."""
from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QVBoxLayout, QWidget

from gui import dialogs, features
from gui.actions import build_actions, label_actions, set_read_only
from gui.article_view import ArticleView
from gui.corpus import CorpusJobs
from gui.job_bar import JobBar
from gui.document_list import FirstRead
from gui.document_panel import DocumentPanel
from gui.editing import Annotator
from gui.find_bar import FindBar
from gui.follow import Follower
from gui.model_service import ModelService
from gui.plain import one_line
from gui.session import Session
from gui.span_model import SpanModel
from gui.span_table import SpanTable
from gui.window_io import WindowIO
from gui.workers import Runner
from models import annotate
from models.display import path_shown
from models.store import Store, StoreError

LIVE_MAX = 2_000_000     # characters: a longer text is not sent to the model when opened


def plain_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)     # user data is never rich text
    return label


class MainWindow(WindowIO, QMainWindow):
    project_requested = Signal(str)      # open another project (the app makes a new window)

    def __init__(self, store: Store, model: str | None = None):
        super().__init__()
        self.store = store
        first = FirstRead(store)                # a big project's list, read while the rest is built
        self.spans = SpanModel(self)           # the open document's spans: their one owner
        self.session = Session(store, self, self.spans)
        self.session.writing.connect(self._writing)
        self.model = ModelService(self)
        self.io = Runner(1, self)                         # imports and exports
        self.view = ArticleView(self.spans)
        self.annotator = Annotator(self.session, self.view, self)
        self.view.setMinimumWidth(240)     # a narrow window shrinks the side panels, not the article
        self.find_bar = FindBar(self.view, lambda: self.annotator.select(None, clear_text=False),
                                lambda m: self.statusBar().showMessage(m, 4000))
        self.find_bar.snap = lambda a, b: (a, b) if self.annotator.exact else self.annotator.snapped(a, b)
        self.setCentralWidget(self._column(self.view, self.find_bar))
        self.view.setAcceptDrops(False)       # files dropped anywhere go to the window: import
        self.setAcceptDrops(True)
        room = self.screen().availableGeometry()      # a 1366×768 screen: never wider than it
        self.resize(min(1400, room.width()), min(860, room.height()))
        self._pending_prediction: int | None = None
        self._counts: dict[str, int] | None = None      # documents per status, as shown
        self._build_docks(first)
        self._build_status_bar()
        self._build_actions()
        self._wire()
        self._position_timer = QTimer(self, singleShot=True, interval=800)
        self._position_timer.timeout.connect(self.save_position)
        self.view.cursorPositionChanged.connect(self._position_timer.start)
        self.view.verticalScrollBar().valueChanged.connect(self._position_timer.start)
        self.project_title = path_shown(store.path.name) + (" (read-only)" if store.readonly else "")
        self.setWindowTitle(f"{self.project_title} — article-annotator")
        # Load the model only once the window has painted: spaCy's loading holds the GIL in
        # long stretches and would delay the first frame by ~250 ms on a large project.
        self._model_name = model or store.setting("model") or None
        self._load_timer = QTimer(self, singleShot=True, interval=1000)   # if no paint comes
        self._load_timer.timeout.connect(self._load_model)
        self._load_timer.start()
        self.view.first_paint.connect(lambda: QTimer.singleShot(0, self._load_model))
        # Another window or the CLI writes: follow it.
        self.follower = Follower(self.store, self.session, self.docs_model, jobs=self.jobs,
                                 progress=self._refresh_progress, status_bar=self.statusBar(),
                                 edit_here=self.project_requested.emit, parent=self)
        features.install(self)
        if store.readonly:
            set_read_only(self)

    # -- building ------------------------------------------------------------------------------
    def _writing(self, message: str) -> None:
        """A wide write is about to hold the window: say it now (painted before it starts)."""
        bar = self.statusBar()
        bar.showMessage(message)
        bar.repaint()

    @staticmethod
    def _column(*widgets) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        for widget in widgets:
            layout.addWidget(widget)
        return box

    def _build_docks(self, first: FirstRead) -> None:
        self.doc_panel = DocumentPanel(self.store, self, lambda: self.session.doc.id if self.session.doc else None,
                                       first)
        self.doc_panel.finished.connect(lambda: self.view.setFocus(Qt.FocusReason.ShortcutFocusReason))
        self.docs_model, self.doc_table = self.doc_panel.model, self.doc_panel.table
        self.progress_label = self.doc_panel.label
        self.docs_dock = self._dock("Documents", self.doc_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.span_table = SpanTable(self.spans)
        self.spans_dock = self._dock("Entities", self.span_table, Qt.DockWidgetArea.RightDockWidgetArea)
        # The list wide enough for titles (~20 characters beside its fixed columns); the entity
        # table narrower: the article keeps the middle.
        self.resizeDocks([self.docs_dock, self.spans_dock], [430, 300], Qt.Orientation.Horizontal)

    def _dock(self, title: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        return dock

    def _build_status_bar(self) -> None:
        self.model_label, self.count_label, self.save_label = plain_label(), plain_label(), plain_label()
        self.hint_label = plain_label()
        self.exact_label = plain_label("EXACT SELECTION")
        self.exact_label.setStyleSheet("background: #ffe08a; color: #5a4300; font-weight: bold; border-radius: 3px;")
        self.exact_label.hide()
        bar = self.statusBar()
        bar.addWidget(self.hint_label, 1)
        for w in (self.exact_label, self.count_label, self.model_label, self.save_label):
            bar.addPermanentWidget(w)
        self.save_label.setText("All changes saved")
        self.job_bar = JobBar()
        bar.addPermanentWidget(self.job_bar)
        self.jobs = CorpusJobs(self.store, self.session, self.io, self.model, self.job_bar, self)
        self.jobs.imported.connect(self._imported)
        self.jobs.preannotated.connect(self._preannotated)
        self.jobs.finished.connect(lambda m: self.statusBar().showMessage(m, 10000))
        self.jobs.failed.connect(lambda m: dialogs.show_error(self, "Job failed", m))
        self.jobs.exported.connect(self._exported)
        self.jobs.trained.connect(self._trained)

    def _build_actions(self) -> None:
        self.registry = build_actions(self)
        self.annotator.guard.watch(lambda: self.registry.group("label"))
        self._rebuild_labels()

    def _rebuild_labels(self) -> None:
        for act in self.registry.remove_group("label"):
            self.removeAction(act)
        self.label_bar.clear()
        made = label_actions(self.registry, self.session.labels, self.annotator.apply_label)
        self.addActions(made)                 # off from the start in a read-only window
        self.label_bar.addActions(made)
        self.label_bar.addSeparator()
        self.label_bar.addAction(self.new_label_action)

    # -- wiring --------------------------------------------------------------------------------
    def _wire(self) -> None:
        s = self.session
        s.document_opened.connect(self._document_opened)
        s.document_opened.connect(lambda _doc: self.find_bar.refresh())
        s.changed.connect(self._changed)
        s.reloaded.connect(self._count_spans)
        s.labels_changed.connect(self._labels_changed)
        s.saved.connect(lambda st: self.save_label.setText("All changes saved" if st == "Saved" else st))
        s.error.connect(lambda msg: dialogs.show_error(self, "Not saved", msg))
        s.opening.connect(lambda msg: self.statusBar().showMessage(msg) if msg else self.statusBar().clearMessage())
        s.open_failed.connect(lambda msg: dialogs.show_error(self, "Cannot open this document", msg))
        self.annotator.message.connect(lambda m: self.statusBar().showMessage(m, 5000))
        self.annotator.warning.connect(lambda m: self.statusBar().showMessage(m, 15000))
        self.annotator.span_selected.connect(self._span_selected)
        self.doc_table.selectionModel().currentRowChanged.connect(self._doc_row_chosen)
        self.span_table.selectionModel().currentRowChanged.connect(self._span_row_chosen)
        self.spans.relabel_requested.connect(self.annotator.relabel)
        self.span_table.delete_requested.connect(self.annotator.delete)
        self._from_model = ((self.model.ready, self._model_ready), (self.model.failed, self._model_failed),
                            (self.model.loading, self._model_loading), (self.model.predicted, self._predicted),
                            (self.model.stopped, self._model_stopped))
        for signal, slot in self._from_model:
            signal.connect(slot)

    # -- documents -------------------------------------------------------------------------------
    def start(self, open_doc: int | None = None) -> None:
        self.docs_model.reload()
        self._refresh_progress()
        pos, last = self._place()
        doc_id = open_doc or last or self.docs_model.doc_id(0)
        if doc_id and pos.get("doc") == doc_id and not open_doc:    # where it was left, once open
            self._restore_at = (doc_id, pos.get("cursor", 0), pos.get("top", 0))
        if doc_id:
            self.open_document(doc_id)          # a huge one: later (read in the background)

    def open_document(self, doc_id: int) -> bool:
        if self.session.doc and self.session.doc.id == doc_id:
            return True
        self.save_position()
        try:
            return self.session.open_document(doc_id)
        except StoreError as e:         # a damaged row: said, and the open document stays
            dialogs.show_error(self, "Cannot open this document", str(e))
            return False

    def _document_opened(self, doc) -> None:
        self._count_spans()             # text and spans are shown already (the span owner)
        at, self._restore_at = getattr(self, "_restore_at", None), None
        if at and at[0] == doc.id:
            self.view.restore_position(*at[1:])
        self.view.setFocus()
        row = self.docs_model.row_of(doc.id)
        if row >= 0 and self.doc_table.currentIndex().row() != row:
            self.doc_table.selectRow(row)
        self.setWindowTitle(f"{one_line(doc.title, 80) or 'Untitled'} — {self.project_title} — article-annotator")
        if len(doc.text) > LIVE_MAX:    # minutes of the model: the batch's (it would hold every other)
            self.statusBar().showMessage(f"The model is not run on opening a text of {len(doc.text):,} characters "
                                         f"(over {LIVE_MAX:,}): Model ▸ Pre-annotate all documents runs it in the background.", 15000)
        elif annotate.wants_model(self.store, doc.id):
            self._pending_prediction = doc.id
            self.model.predict(doc.id, doc.text)

    def _doc_row_chosen(self, current, _previous) -> None:
        doc_id = self.docs_model.doc_id(current.row())
        if doc_id is not None:
            self.open_document(doc_id)

    def finish(self, status: str) -> None:
        doc = self.session.doc
        guard = getattr(self, "done_guard", None)       # adjudication: not done unseen (a feature's)
        if doc is None or (status == "done" and guard and not guard(doc.id)):
            return
        if not self.session.set_status(status):
            return
        self.step_document(1, unfinished=True)
        self.session.came_from(doc.id)            # Ctrl+Z now takes the Done back

    def step_document(self, direction: int, unfinished: bool = False) -> None:
        if self.session.doc is None:
            return
        if unfinished:
            nxt = self.session.next_document()
            if nxt is None:
                self.statusBar().showMessage("Every document is done or skipped.", 8000)
                return
        else:
            nxt = self.docs_model.doc_id(self.docs_model.row_of(self.session.doc.id) + direction)
        if nxt is not None:
            self.open_document(nxt)

    def save_position(self) -> None:
        if self.session.doc is not None:      # best effort: a place is no edit (see Session.remember)
            self.session.remember("last_pos", {"doc": self.session.doc.id,
                                               "cursor": self.view.cursor_cp(), "top": self.view.top_cp()})

    def _refresh_doc(self, doc_id: int) -> None:
        self.docs_model.refresh(doc_id)
        self._refresh_progress()

    def _refresh_progress(self) -> None:
        self._counts = self.store.status_counts()
        self.doc_panel.show_progress(self._counts)

    # -- following a write ---------------------------------------------------------------------
    def _changed(self, out, focus) -> None:
        """A write of this window's is on disk, and the open document (its spans, in
        ``self.spans``) follows it already: the rest follows from its outcome (the list rows it
        touched, the progress if a status moved), nothing is read again, and the selection is
        set once."""
        if out.labels:
            self._rebuild_labels()
        self.docs_model.follow(out)
        if out.moved and (self._counts is None or not out.moved <= out.was.keys()):
            self._refresh_progress()
        elif out.moved:                 # the counts move with the statuses the write changed
            for doc_id in out.moved:
                self._counts[out.was[doc_id]] = self._counts.get(out.was[doc_id], 1) - 1
                self._counts[out.statuses[doc_id]] = self._counts.get(out.statuses[doc_id], 0) + 1
            self.doc_panel.show_progress(self._counts)
        self._count_spans()
        if focus is not None:
            self.annotator.select(focus)

    def _count_spans(self) -> None:
        n, n_model = self.spans.count, self.spans.unreviewed
        self.count_label.setText(f"{n} {'entity' if n == 1 else 'entities'} ({n_model} unreviewed)")

    def _span_selected(self, span) -> None:
        self._syncing = True
        self.span_table.show_span(span)
        self._syncing = False

    def _span_row_chosen(self, current, _previous) -> None:
        if getattr(self, "_syncing", False) or not current.isValid():
            return
        span = self.spans.spans[current.row()]
        self.view.select_span(span)

    def _labels_changed(self) -> None:
        """Another writer changed the label set (the span owner shows it already)."""
        self._rebuild_labels()

    def _toggle_exact(self, on: bool) -> None:
        self.annotator.exact = on
        self.exact_label.setVisible(on)
        self.statusBar().showMessage("Exact selection: on" if on else "Selections snap to tokens", 4000)

    def new_label(self) -> None:
        label = dialogs.NewLabelDialog.ask(self, self.session.labels)
        if label is not None:
            self.session.add_label(label)

    def _load_model(self) -> None:
        if self._load_timer is None:
            return
        self._load_timer.stop()
        self._load_timer = None
        self.model.load(self._model_name)
        self.model.warm_tokenizer()

    # -- the model -------------------------------------------------------------------------------
    def _model_ready(self, source: str) -> None:
        self.model_label.setText(f"Model: {one_line(source, 60)}")
        self.model_label.setToolTip(f"The model runs in its own process (pid {self.model.pid})"
                                    if self.model.pid else "")
        doc = self.session.doc
        if doc and annotate.wants_model(self.store, doc.id):
            self.model.predict(doc.id, doc.text)

    def _model_loading(self, name: str) -> None:
        self.model_label.setText(f"Loading {name}…")

    def _model_stopped(self, why: str, again: bool) -> None:
        if not again:
            self.model_label.setText("Model stopped")
        self.statusBar().showMessage(f"{why[:1].upper()}{why[1:]}"
                                     + ("; starting it again…" if again else ""), 15000)

    def _model_failed(self, message: str) -> None:
        self.model_label.setText("No model: manual labelling only")
        self.statusBar().showMessage(f"Model unavailable: {message}", 15000)

    def _predicted(self, doc_id: int, ents, source: str) -> None:
        try:
            added = self.session.apply_predictions(doc_id, ents, source)
        except StoreError as e:
            self.statusBar().showMessage(f"Model suggestions not saved: {e}", 10000)
            return
        if added is not None:
            self._refresh_doc(doc_id)
            self.statusBar().showMessage(f"Model: {added} suggestions", 4000)

    def _written(self, title: str, write, *args):
        """A write that is no edit (settings, a pasted article): its result, or None when the
        file could not be written — said in a box, never raised into Qt's event loop."""
        try:
            return write(*args) or True
        except StoreError as e:
            dialogs.show_error(self, title, str(e))
            return None

    def rerun_model(self) -> None:
        doc = self.session.doc
        if doc is None:
            return
        if self._written("Model not re-run", self.store.mark_preannotated, doc.id, None):
            self.model.predict(doc.id, doc.text)

    def choose_model(self) -> None:
        choice = dialogs.ModelDialog.ask(self, self.store.setting("model"))
        if choice is not None and self._written("Model not changed", self.store.set_setting,
                                                "model", choice or None):
            self.model.load(choice or None)

    def showEvent(self, e) -> None:
        super().showEvent(e)
        settings = QSettings()
        if not getattr(self, "_restored", False) and settings.value("window/geometry") is not None:
            self.restoreGeometry(settings.value("window/geometry"))
            self.restoreState(settings.value("window/state"))
        self._restored = True

    def closeEvent(self, e) -> None:
        settings = QSettings()                    # docks and size as the user left them
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        self._position_timer.stop()               # saved now, and never after closing
        self.save_position()
        self.follower.timer.stop()                # nothing is followed once closed
        for signal, slot in self._from_model:      # nor a model loaded or a prediction made
            signal.disconnect(slot)                # after it (its project may be closed)
        self._from_model = ()
        self.model.shutdown()                      # the model server ends with its window
        self.io.wait(10000)
        super().closeEvent(e)
