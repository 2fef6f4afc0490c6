"""Adjudication mode (a merged project, ``models/merge.py``): the disagreements of the
annotators' versions settled one by one into the gold, by keyboard.

Each version's spans are underlined in the article under the gold's colours (one line pattern
per version, the model's too: ``ArticleView.set_marks``), the disagreement at hand framed and
selected; the Adjudication panel lists the versions side by side with what each has there.
Alt+1…Alt+9 accept that version here, Alt+0 keeps the gold as edited by hand, Alt+A adds the
spans everyone agrees on, Enter goes to the next disagreement (into the next document when
this one has none left), Ctrl+Enter marks the document done as ever. Every step is one edit
through the session (journaled with who chose, undone by Ctrl+Z); anything else is normal
editing of the gold.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from gui.article_view import MARK_GLYPHS
from gui.features.docking import right_dock
from models import team
from models.adjudicate import Adjudication
from models.display import shown
from models.findings import quoted
from models.project_file import StoreError
from models.spans import overlapping

TITLE = "Adjudication"
MAX_KEYS = 9
SHOWN = 8               # spans listed per version when no disagreement is at hand
HINT = ("Alt+1…: accept that version here · Alt+0: keep the gold as edited · Alt+A: accept the "
        "agreed spans · Enter: next disagreement · Ctrl+Enter: done, next document")


def _kind(g) -> str:
    """How the versions differ in a group, in words."""
    if g.kind == "bounds":
        labels = {s.label for spans in g.spans.values() for s in spans}
        return "other bounds and label" if len(labels) > 1 else "other bounds"
    return {"label": "other label", "missing": "one has it, another not"}.get(g.kind, g.kind)


class AdjudicationPanel(QWidget):
    def __init__(self, w):
        super().__init__(w)
        self.w = w
        self.adj = Adjudication(w.store)
        self.current = None                 # (doc_id, Group) at hand
        self._warned: tuple | None = None   # (what, document) said once: the same key again goes on
        self.names: list[str] = []          # the open document's versions, in key order
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.header.setObjectName("adjudication_header")
        self.table = QTableWidget(0, 4, self)
        self.table.setHorizontalHeaderLabels(["Key", "Version", "Line", "Here"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        self.hint = QLabel(HINT)
        self.hint.setWordWrap(True)
        self.hint.setObjectName("hint")
        lay = QVBoxLayout(self)
        lay.addWidget(self.header)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.hint)

    # -- following the window -------------------------------------------------------------
    def opened(self, doc) -> None:
        if doc is None:
            return
        if self.current is None or self.current[0] != doc.id:
            try:
                left = self.adj.pending(doc.id)
            except StoreError as e:
                left = []
                self.header.setText(f"The versions of this document cannot be read: {shown(e)}")
            self.current = (doc.id, left[0]) if left else None
        self.show_current(scroll=self.current is not None)

    def follow(self, out=None, _focus=None) -> None:
        """After a write: the panel and the marks as they stand; a document marked done with
        disagreements left is said (the next one is open by then)."""
        for d in getattr(out, "moved", ()):
            if out.statuses.get(d) == "done" and self.adj.pending(d):
                self._say(f"Marked done with {len(self.adj.pending(d))} disagreements left unsettled "
                          "(Ctrl+Z takes it back)")
        # After an undo or redo the disagreement at hand is selected again (not a span that was).
        self.show_current(scroll=getattr(out, "mode", "do") != "do")

    def _color(self, label: str) -> str:
        lab = self.w.session.labels.get(label)
        return lab.color if lab else "#888888"

    def show_current(self, scroll: bool = True) -> None:
        doc = self.w.session.doc
        if doc is None:
            return
        try:
            stored = self.w.store.versions(doc.id)
        except StoreError as e:         # a damaged row in a file from elsewhere: said, nothing marked
            self.names, self.current = [], None
            self.w.view.set_marks([])
            self.header.setText(f"The versions of this document cannot be read: {shown(e)}")
            self.table.setRowCount(0)
            return
        versions = {n: spans for n, (_, spans) in stored.items()}
        self.names = list(versions)
        g = self.current[1] if self.current and self.current[0] == doc.id else None
        marks = [(s.start, s.end, self._color(s.label), row)
                 for row, spans in enumerate(versions.values()) for s in spans]
        self.w.view.set_marks(marks, (g.start, g.end) if g else None)
        if g is not None and scroll:
            self.w.view.selected = None         # a label key acts on the disagreement, not a span
            self.w.view.show_range(g.start, g.end)
        self._fill(doc, stored, g)

    def _fill(self, doc, stored, g) -> None:
        versions = {n: spans for n, (_, spans) in stored.items()}
        groups, left = self.adj.groups(doc.id), self.adj.pending(doc.id)
        settled = self.w.store.decisions(doc.id)
        if g is None:
            where = (f"No disagreement left in this document ({len(groups)} settled)." if groups
                     else "The annotators agree everywhere in this document.")
        else:
            k = next((i for i, x in enumerate(groups) if x == g), 0) + 1
            state = settled.get((g.start, g.end))
            done = ""
            if state:
                chosen, by = state
                what = f"{shown(chosen)}'s version" if chosen else "the gold as edited"
                done = f" — settled: {what} (by {shown(by or '?')})"
            where = (f"Disagreement {k} of {len(groups)} in this document ({_kind(g)}), "
                     f"{len(left)} left here{done}.")
        missing = self.missing_agreed(doc.id)
        if missing:
            where += f" {missing} agreed spans not in the gold yet (Alt+A)."
        self.header.setText(where)
        text = doc.text
        rows = [(f"Alt+{i + 1}" if i < MAX_KEYS else "", name, versions[name]) for i, name in enumerate(versions)]
        gold = self.w.session.spans
        self.table.setRowCount(len(rows) + 1)
        for r, (key, name, spans) in enumerate(rows + [("", None, gold)]):      # None: the gold
            here = overlapping(spans, g.start, g.end) if g is not None else spans
            what = "; ".join(f"{s.label} {quoted(text[s.start:s.end], 40)}" for s in here[:SHOWN])
            what = (what + (f"; … {len(here) - SHOWN} more" if len(here) > SHOWN else "")) or "— nothing —"
            if name is None:
                label, line = f"gold ({shown(doc.status)})", "colour"
            else:
                label = "model" if name == team.MODEL else f"{shown(name)} ({shown(stored[name][0])})"
                line = MARK_GLYPHS[r % len(MARK_GLYPHS)]
            cells = (key, label, line, what)
            for c, value in enumerate(cells):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)

    # -- the keys ----------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        self.w.statusBar().showMessage(text, 6000)

    def accept(self, k: int) -> None:
        doc = self.w.session.doc
        if doc is None or self.current is None or self.current[0] != doc.id:
            self._say("No disagreement at hand: Enter goes to the next one.")
            return
        if k >= len(self.names):
            self._say(f"This document has {len(self.names)} versions.")
            return
        g = self.current[1]
        if (g.start, g.end) in self.w.store.decisions(doc.id):
            self._say("Settled already: Ctrl+Z takes the choice back; Enter goes to the next one.")
            return
        if self.w.session.push(self.adj.accept(doc.id, g, self.names[k])):
            self._say(f"{shown(self.names[k])}'s version accepted (Ctrl+Z undoes it); Enter: next")

    def keep(self) -> None:
        doc = self.w.session.doc
        if doc is None or self.current is None or self.current[0] != doc.id:
            return
        g = self.current[1]
        if (g.start, g.end) in self.w.store.decisions(doc.id):
            self._say("Settled already.")
            return
        self.w.session.push(self.adj.keep(doc.id, g))

    def agreed(self) -> None:
        doc = self.w.session.doc
        if doc is None:
            return
        edit = self.adj.accept_agreed(doc.id)
        if edit is None:
            self._say("No agreed span is missing from the gold here.")
            return
        if self.w.session.push(edit, None):
            self._say(f"{len(edit.add)} agreed spans accepted (Ctrl+Z undoes it)")

    def missing_agreed(self, doc_id: int) -> int:
        """Spans everyone agrees on that the gold of the document still lacks."""
        try:
            edit = self.adj.accept_agreed(doc_id)
        except StoreError:
            return 0
        return len(edit.add) if edit else 0

    def _once(self, what: str, doc_id: int, text: str) -> bool:
        """Say ``text`` the first time (False: stop there); the same key again goes on (True)."""
        if self._warned == (what, doc_id):
            return True
        self._warned = (what, doc_id)
        self._say(text)
        return False

    def done_guard(self, doc_id: int) -> bool:
        """Ctrl+Enter on a document with disagreements unsettled or agreed spans not in the
        gold: said first; pressed again, it is marked done as it stands."""
        left, missing = len(self.adj.pending(doc_id)), self.missing_agreed(doc_id)
        if not (left or missing):
            return True
        parts = ([f"{left} disagreements unsettled"] if left else []) + \
            ([f"{missing} agreed spans not in the gold (Alt+A)"] if missing else [])
        return self._once("done", doc_id, f"Not done yet: {' and '.join(parts)}. Ctrl+Enter again "
                          "marks it done as it stands.")

    def next(self) -> None:
        doc = self.w.session.doc
        pos = self.current[1].start if self.current and doc and self.current[0] == doc.id else -1
        nxt = self.adj.next(doc.id if doc else None, pos)
        if doc is not None and (nxt is None or nxt[0] != doc.id) and doc.status != "done":
            missing = self.missing_agreed(doc.id)
            if missing and not self._once("leave", doc.id, f"{missing} agreed spans are not in the "
                                          "gold here (Alt+A adds them); Enter again goes on."):
                return
        if nxt is None:
            self.current = None
            self.show_current(scroll=False)
            self._say("Every disagreement is settled: export writes the gold.")
            return
        self.current = nxt
        if doc is None or nxt[0] != doc.id:
            self.w.open_document(nxt[0])        # opened(): shows it
        else:
            self.show_current()


def install(w) -> None:
    if not w.store.is_merged():
        return
    panel = AdjudicationPanel(w)
    dock = right_dock(w, TITLE, panel)
    dock.show()
    QTimer.singleShot(0, dock.raise_)           # in front once the window has restored its docks
    w.adjudication, w.adjudication_dock = panel, dock
    reg = w.registry
    menu = w.menus["edit"].addMenu("Adjudication")
    for k in range(MAX_KEYS):
        act = reg.add(f"adjudicate_{k + 1}", f"Accept version {k + 1} here", lambda _=False, k=k: panel.accept(k),
                      f"Alt+{k + 1}", "Accept that version (the panel's row) for the disagreement at hand",
                      edits=True, group="adjudication")
        menu.addAction(act)
        w.addAction(act)
    for name, text, slot, key, edits in (
            ("adjudicate_keep", "Keep the gold as edited", panel.keep, "Alt+0", True),
            ("adjudicate_agreed", "Accept the agreed spans", panel.agreed, "Alt+A", True)):
        act = reg.add(name, text, slot, key, edits=edits)
        menu.addAction(act)
        w.addAction(act)
    # Enter: the next disagreement (no model suggestion to confirm in the gold of a merged project).
    w.confirm_action.setShortcuts([])
    nxt = reg.add("adjudicate_next", "Next disagreement", panel.next, ["Return", "Enter"], edits=False)
    nxt.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    for widget in (w.view, panel):
        widget.addAction(nxt)
    menu.addAction(nxt)
    w.done_guard = panel.done_guard
    w.shortcut_rows = [
        ("Enter", "adjudication: the next disagreement (into the next document)"),
        ("Ctrl+Enter", "done, open the next (said first when disagreements or agreed spans are left)"),
        ("Alt+1 … Alt+9", "adjudication: accept that version (the panel's row) here"),
        ("Alt+0", "adjudication: keep the gold as edited here"),
        ("Alt+A", "adjudication: accept every span all the annotators agree on"),
        ("Ctrl+Shift+G", "the Agreement view: F1, Cohen's kappa, Krippendorff's alpha"),
    ]
    w.session.document_opened.connect(panel.opened)
    w.session.changed.connect(panel.follow)
    w.session.reloaded.connect(panel.follow)


__all__ = ["install", "AdjudicationPanel"]
