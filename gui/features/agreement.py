"""The Agreement view of a merged project (View ▸ Agreement, Ctrl+Shift+G): how far the
annotators agree on the documents all of them marked done — per pair span F1 (exact, overlap)
and Cohen's kappa, Krippendorff's alpha of all, per label, and the documents ranked by
disagreement (Enter or a double-click opens one). The figures are ``models/agreement.py``'s,
the same as ``article-annotator agree``'s; counted once in a worker (the versions never
change once merged), from a read-only connection of its own."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QLabel, QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout,
                               QWidget)

from gui.features.docking import CloseWatch, panel_keys, right_dock
from gui.workers import Runner
from models.display import shown

TITLE = "Agreement"


def _num(x) -> str:
    return "—" if x is None else f"{x:.3f}"


def compute(path) -> tuple[dict, dict[str, int]]:
    """(the agreement report, text hash -> document id) of the merged project at ``path``."""
    from models.adjudicate import from_merged
    from models.agreement import agreement
    from models.store import Store
    store = Store(path, readonly=True)
    try:
        names, units = from_merged(store)
        ids = {h: d for d, h in store.id_hashes(None)}
    finally:
        store.close()
    return agreement(names, units), ids


class DocTable(QTableWidget):
    def __init__(self, panel):
        super().__init__(0, 3, panel)
        self.panel = panel
        self.setHorizontalHeaderLabels(["Document", "Disagreements", "Exact F1"])
        self.cellDoubleClicked.connect(lambda r, _c: panel.open_row(r))

    def keyPressEvent(self, e) -> None:
        if e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentRow() >= 0:
            self.panel.open_row(self.currentRow())
            return
        super().keyPressEvent(e)


class AgreementPanel(QWidget):
    def __init__(self, w):
        super().__init__(w)
        self.w = w
        self.runner = Runner(1, self)
        self.report: dict | None = None
        self.ids: dict[str, int] = {}
        self.header = QLabel("Counting…")
        self.header.setWordWrap(True)
        self.tabs = QTabWidget()
        self.pairs = self._table(["A", "B", "Exact F1", "Overlap F1", "κ", "A spans", "B spans"])
        self.labels = self._table(["Label", "Exact F1", "Overlap F1", "Pairs"])
        self.docs = DocTable(self)
        self._plain(self.docs)
        self.tabs.addTab(self.pairs, "Pairs")
        self.tabs.addTab(self.labels, "Labels")
        self.tabs.addTab(self.docs, "Documents")
        lay = QVBoxLayout(self)
        lay.addWidget(self.header)
        lay.addWidget(self.tabs, 1)
        self.started = False

    def _table(self, header: list[str]) -> QTableWidget:
        t = QTableWidget(0, len(header), self)
        t.setHorizontalHeaderLabels(header)
        self._plain(t)
        return t

    @staticmethod
    def _plain(t: QTableWidget) -> None:
        t.verticalHeader().hide()
        t.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        t.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)

    def count(self) -> None:
        if self.started:
            return
        self.started = True
        path = self.w.store.path
        self.runner.start(lambda task: compute(path), self._counted,
                          lambda message: self.header.setText(f"Not counted: {message}"))

    def _counted(self, result) -> None:
        self.report, self.ids = result
        r = self.report
        self.header.setText(
            f"{r['documents']} documents done by all of {', '.join(shown(n) for n in r['annotators'])}; "
            f"Krippendorff's α {_num(r['alpha'])} (tokens, nominal)")
        self._fill(self.pairs, [[shown(p["a"]), shown(p["b"]), _num(p["exact"]["f1"]), _num(p["overlap"]["f1"]),
                                 _num(p["kappa"]), p["exact"]["a_spans"], p["exact"]["b_spans"]]
                                for p in r["pairs"]])
        self._fill(self.labels, [[shown(k), _num(v["exact_f1"]), _num(v["overlap_f1"]), v.get("pairs", "")]
                                 for k, v in sorted(r["labels"].items())])
        self._fill(self.docs, [[shown(d["title"]), d["disagreements"], _num(d["exact_f1"])]
                               for d in r["ranked"]])

    @staticmethod
    def _fill(t: QTableWidget, rows: list[list]) -> None:
        t.setRowCount(len(rows))
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                item = QTableWidgetItem(str(value))
                if not isinstance(value, str) or value[:1].isdigit() or value == "—":
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                t.setItem(i, j, item)
        t.resizeColumnsToContents()

    def open_row(self, row: int) -> None:
        if self.report and 0 <= row < len(self.report["ranked"]):
            doc = self.ids.get(self.report["ranked"][row]["key"])
            if doc is not None:
                self.w.open_document(doc)


def install(w) -> None:
    if not w.store.is_merged():
        return
    panel = AgreementPanel(w)
    dock = right_dock(w, TITLE, panel)
    dock.hide()
    w.agreement, w.agreement_dock = panel, dock
    panel_keys(w, dock, "agreement", "Agreement", "Ctrl+Shift+G",
               "How far the annotators agree: span F1, Cohen's kappa, Krippendorff's alpha",
               panel.tabs, on_shown=panel.count)
    w.installEventFilter(CloseWatch(panel, lambda: panel.runner.wait(30000)))   # its thread done first


__all__ = ["install", "AgreementPanel", "compute"]
