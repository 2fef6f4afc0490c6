"""The scripted annotator of ``bench_effort.py``: it looks at the real window (the open
document's spans, the selected span, the caret, the dialogs' rows, the panel's findings) and at
the gold, computes the shortest sensible key sequence for the next correction, sends it with
``QTest`` to the widget that has the focus (where a person's keys go), counts every press (a
combination such as Ctrl+Shift+A is one, a typed character is one) by kind of correction, and
checks that the correction landed.

Without the features: per document, Tab / Shift+Tab to a span, a label key, Delete, resizing
(Shift+Left/Right, Ctrl+Shift+Left/Right), caret keys and Shift/Ctrl+Shift+arrows to select a
missed name, Ctrl+K per span to link, Ctrl+Enter. With them: the Consistency panel's fixes
(only those that move every span they touch to the gold), patterns from the project's labels,
Find for a missed name when it is shorter than the caret keys, and Label every occurrence
after a correction when its preview (read with the dialog's own ``models.occurrences.scan``)
makes enough other occurrences right.
"""
from __future__ import annotations

import time
from bisect import bisect_left, bisect_right
from collections import Counter, deque

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QTextCursor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from gui.find_bar import Finder
from models import occurrences as O
from models.check_fix import fix as make_fix
from models.edits import ReplaceSpans
from models.graphemes import strip, widen
from models.store import Store

K, M = Qt.Key, Qt.KeyboardModifier
NO, SHIFT, CTRL, ALT = M.NoModifier, M.ShiftModifier, M.ControlModifier, M.AltModifier
MOVE = QTextCursor.MoveOperation
CARET = {"Ctrl+Right": MOVE.WordRight, "Ctrl+Left": MOVE.WordLeft, "Right": MOVE.Right, "Left": MOVE.Left}
SELECT = {"Ctrl+Shift+Right": MOVE.WordRight, "Ctrl+Shift+Left": MOVE.WordLeft,
          "Shift+Right": MOVE.Right, "Shift+Left": MOVE.Left}
KEYS = {"Tab": (K.Key_Tab, NO), "Shift+Tab": (K.Key_Backtab, SHIFT), "Delete": (K.Key_Delete, NO),
        "Esc": (K.Key_Escape, NO), "Enter": (K.Key_Return, NO), "Ctrl+Enter": (K.Key_Return, CTRL),
        "Ctrl+K": (K.Key_K, CTRL), "Ctrl+F": (K.Key_F, CTRL), "F3": (K.Key_F3, NO),
        "Ctrl+Shift+A": (K.Key_A, CTRL | SHIFT), "Ctrl+Shift+C": (K.Key_C, CTRL | SHIFT),
        "Up": (K.Key_Up, NO), "Down": (K.Key_Down, NO), "Space": (K.Key_Space, NO),
        "Alt+M": (K.Key_M, ALT),
        "Ctrl+Right": (K.Key_Right, CTRL), "Ctrl+Left": (K.Key_Left, CTRL),
        "Right": (K.Key_Right, NO), "Left": (K.Key_Left, NO),
        "Ctrl+Shift+Right": (K.Key_Right, CTRL | SHIFT), "Ctrl+Shift+Left": (K.Key_Left, CTRL | SHIFT),
        "Shift+Right": (K.Key_Right, SHIFT), "Shift+Left": (K.Key_Left, SHIFT)}


def wait(cond, timeout: float = 20.0) -> bool:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            return False
        QTest.qWait(3)
    return True


def bfs(start, moves, goal, limit: int = 40):
    """The shortest list of move names from ``start`` to a state ``goal`` accepts."""
    seen, todo = {start: []}, deque([start])
    while todo:
        s = todo.popleft()
        if goal(s):
            return seen[s]
        if len(seen[s]) >= limit:
            continue
        for name, step in moves:
            n = step(s)
            if n not in seen:
                seen[n] = seen[s] + [name]
                todo.append(n)
    return None


class User:
    def __init__(self, w, gold: dict[int, list], features: bool):
        self.w, self.gold, self.features = w, gold, features
        self.keys: Counter = Counter()          # kind -> presses
        self.uses: Counter = Counter()          # what was done how often
        self.problems: list[str] = []           # what did not land as expected
        self.ent: dict[str, int] = {}           # gold entity key -> the project's entity id
        self.finder = Finder()
        self.keymap = {lab.name: lab.key for lab in w.session.labels}

    # -- sending keys ------------------------------------------------------------------------------
    def press(self, kind: str, name: str, widget=None) -> None:
        key, mods = KEYS[name] if name in KEYS else (getattr(K, f"Key_{name.upper()}"), NO)
        QTest.keyClick(widget or QApplication.focusWidget() or self.w, key, mods)
        self.keys[kind] += 1
        QApplication.processEvents()

    def type(self, kind: str, text: str) -> None:
        for ch in text:
            QTest.keyClicks(QApplication.focusWidget(), ch)
            self.keys[kind] += 1
        QApplication.processEvents()

    def problem(self, what: str) -> None:
        doc = self.w.session.doc
        self.problems.append(f"doc {doc.id if doc else '?'}: {what}")

    def in_article(self) -> None:
        w = self.w
        if not wait(lambda: QApplication.activeWindow() is w, 5):
            w.activateWindow()
            wait(lambda: QApplication.activeWindow() is w, 5)
        if QApplication.focusWidget() is not w.view:
            self.press("moving between panels", "Ctrl+F")     # the find bar, then Esc: the article
            self.press("moving between panels", "Esc")

    # -- the document ------------------------------------------------------------------------------
    @property
    def spans(self):
        return self.w.session.spans

    def text(self) -> str:
        return self.w.session.doc.text

    def walk(self, n_docs: int) -> None:
        for _ in range(n_docs):
            doc = self.w.session.doc
            self.fix_document()
            self.press("mark done", "Ctrl+Enter")
            if self.w.store.document_status(doc.id) != "done":
                self.problem("Ctrl+Enter did not mark the document done")

    def fix_document(self) -> None:
        doc_id = self.w.session.doc.id
        gold = self.gold[doc_id]
        for g in gold:
            for s in [s for s in self.spans if s.end <= g.start and not self._gold_over(gold, s)]:
                self.delete(s)
            self.fix_gold(g)
        for s in [s for s in self.spans if not self._gold_over(gold, s)]:
            self.delete(s)

    @staticmethod
    def _gold_over(gold, s) -> bool:
        return any(g.start < s.end and s.start < g.end for g in gold)

    def fix_gold(self, g) -> None:
        there = [s for s in self.spans if s.start < g.end and g.start < s.end]
        fixed = ""
        if not there:
            self.select_text(g)
            fixed = "misses"
        else:
            for extra in there[1:]:
                self.delete(extra)
            s = there[0]
            if (s.start, s.end) != (g.start, g.end):
                kind = "wrong bounds" if s.label == g.label else "wrong bounds and label"
                self.reach(s, kind)
                self.resize(g, kind)
                fixed = kind
            if self.current(g) is None:
                kind = fixed or "wrong label"
                self.reach(self._at(g), kind)
                self.press(kind, self.keymap[g.label])
                fixed = kind
        s = self.current(g, entity=False)
        if s is None:
            self.problem(f"gold {g} not reached: {self.spans}")
            return
        linked = self.link(g, s)
        if self.features and (fixed or linked):
            self.label_every(g, fixed or "entity links")

    def _at(self, g):
        return next((s for s in self.spans if (s.start, s.end) == (g.start, g.end)), None)

    def current(self, g, entity: bool = False):
        s = self._at(g)
        if s is None or s.label != g.label:
            return None
        if entity and s.entity != self.want_entity(g):
            return None
        return s

    def want_entity(self, g) -> int | None:
        return self.ent.get(g.entity) if g.entity else 0

    # -- reaching a span: Tab / Shift+Tab, as Annotator.step moves ---------------------------------
    def reach(self, target, kind: str) -> None:
        if self.w.view.selected == target:
            return
        plans = []
        for name, d in (("Tab", 1), ("Shift+Tab", -1)):
            sel, caret, n = self.w.view.selected, self.w.view.cursor_cp(), 0
            while n <= len(self.spans) + 1:
                sel = self._step(sel, caret, d)
                n += 1
                if sel == target:
                    plans.append((n, name))
                    break
        n, name = min(plans)
        for _ in range(n):
            self.press(kind, name)
        if self.w.view.selected != target:
            self.problem(f"{name}×{n} selected {self.w.view.selected}, not {target}")
            self.w.annotator.select(target)

    def _step(self, sel, caret, direction):
        spans = self.spans
        starts = [s.start for s in spans]
        if sel is not None and sel in spans:
            i = bisect_right(starts, sel.start) - 1 + direction
            nxt = spans[i] if 0 <= i < len(spans) else None
        else:
            i = bisect_left(starts, caret)
            nxt = spans[i] if direction > 0 and i < len(spans) else (
                spans[i - 1] if direction < 0 and i > 0 else None)
        return nxt if nxt is not None else (spans[0] if direction > 0 else spans[-1])

    def delete(self, s) -> None:
        self.reach(s, "spurious spans")
        self.press("spurious spans", "Delete")

    def resize(self, g, kind: str) -> None:
        for _ in range(12):
            s = self.w.view.selected
            if s is None:
                break
            if s.end != g.end:
                self.press(kind, "Shift+Right" if g.end > s.end else "Shift+Left")
            elif s.start != g.start:
                self.press(kind, "Ctrl+Shift+Left" if g.start < s.start else "Ctrl+Shift+Right")
            else:
                return
        self.problem(f"resize to {g} stopped at {self.w.view.selected}")

    # -- selecting a missed name: caret keys (or Find, with the features) ---------------------------
    def final(self, a: int, b: int) -> tuple[int, int]:
        """What a label key labels for the selection [a, b) (``Annotator.apply_label``)."""
        text = self.text()
        a, b = min(a, b), max(a, b)
        if a == b:
            return a, a
        return strip(text, *widen(text, *self.w.annotator.snapped(a, b)))

    def caret_plan(self, g) -> list[str]:
        view, m = self.w.view, self.w.view.map
        doc = view.document()
        cur = QTextCursor(doc)

        def mover(op):
            def step(p):
                cur.setPosition(p)
                cur.movePosition(op)
                return cur.position()
            return step

        def selector(op):
            def step(p):
                cur.setPosition(m.to_qt(g.start))
                cur.setPosition(p, QTextCursor.MoveMode.KeepAnchor)
                cur.movePosition(op, QTextCursor.MoveMode.KeepAnchor)
                return cur.position()
            return step
        c = view.textCursor()
        start = c.selectionEnd() if c.hasSelection() else c.position()
        to = bfs(start, [(n, mover(op)) for n, op in CARET.items()], lambda p: p == m.to_qt(g.start))
        if to is None:
            return []
        if not to and (view.selected is not None or c.hasSelection()):
            to = ["Esc"]
        target = (g.start, g.end)
        sel = bfs(m.to_qt(g.start), [(n, selector(op)) for n, op in SELECT.items()],
                  lambda p: self.final(g.start, m.to_cp(p)) == target)
        return to + (sel or [])

    def find_plan(self, g) -> list[str] | None:
        text, view = self.text(), self.w.view
        rng = view.selected_range()
        anchor = rng[0] if rng else view.cursor_cp()
        words = text[g.start:g.end]
        best = None
        for k in range(1, len(words) + 1):
            match, at = None, anchor
            for j in range(1, k + 1):
                found = self.finder.find(text, words[:j], at)
                match = found[:2] if found else None
                at = found[0] if found else at
            for f3 in range(4):
                if match is None:
                    break
                if match[0] == g.start and self.final(*self.w.find_bar.snap(*match)) == (g.start, g.end):
                    cost = 2 + k + f3
                    if best is None or cost < best[0]:
                        best = (cost, words[:k], f3)
                    break
                found = self.finder.find(text, words[:k], match[1])
                match = found[:2] if found else None
        return best

    def select_text(self, g) -> None:
        plan = self.caret_plan(g)
        found = self.find_plan(g) if self.features else None
        if found is not None and (not plan or found[0] < len(plan) + 1):
            _cost, query, f3 = found
            self.uses["find"] += 1
            self.press("misses", "Ctrl+F")
            self.type("misses", query)
            for _ in range(f3):
                self.press("misses", "F3")
            self.press("misses", "Enter")
        else:
            for name in plan:
                self.press("misses", name)
        rng = self.w.view.selected_range()
        if rng is None or self.final(*rng) != (g.start, g.end):
            self.problem(f"selection {rng} is not {g}")
        self.press("misses", self.keymap[g.label])

    # -- entities: Ctrl+K, the link dialog ---------------------------------------------------------
    def link(self, g, s) -> bool:
        want = self.want_entity(g)
        if g.entity and want is None and s.entity and s.entity not in self.ent.values():
            self.ent[g.entity] = s.entity       # linked by a fix of the panel
            return False
        if want is not None and s.entity == want:
            return False
        self.reach(s, "entity links")
        done = []

        def act():
            d = QApplication.activeModalWidget()
            if d is None or not hasattr(d, "list"):
                QTimer.singleShot(10, act)
                return
            rows = [d.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(d.list.count())]
            if want is None:
                row = next(i for i, c in enumerate(rows) if c.kind == "new")
            elif want == 0:
                row = next(i for i, c in enumerate(rows) if c.kind == "unlink")
            else:
                row = next((i for i, c in enumerate(rows) if c.kind == "existing" and c.entity.id == want), 0)
            now = d.list.currentRow()
            for _ in range(abs(row - now)):
                self.press("entity links", "Down" if row > now else "Up", d.name)
            self.press("entity links", "Enter", d.name)
            done.append(True)
        QTimer.singleShot(0, act)
        self.press("entity links", "Ctrl+K")
        wait(lambda: done and QApplication.activeModalWidget() is None, 10)
        self.in_article()
        s = self._at(g)
        if want is None and s is not None and s.entity:
            self.ent[g.entity] = s.entity
        if s is None or s.entity != self.want_entity(g):
            self.problem(f"link of {g} gave {s}")
        self.uses["Ctrl+K"] += 1
        return True

    # -- label every occurrence ---------------------------------------------------------------------
    def label_every(self, g, kind: str) -> None:
        w, s = self.w, self._at(g)
        words, doc_id = self.text()[g.start:g.end], w.session.doc.id
        q = O.Query(words, g.label, s.entity, O.NOT_DONE, True, True, doc_id)
        store = Store(w.store.path, readonly=True)
        try:
            rows = [r for _d, _t, batch in O.scan(store, q) for r in batch]
        finally:
            store.close()
        want = [self.wanted(r, q) for r in rows]
        right = [any((x.start, x.end, x.label, x.entity) == (r.start, r.end, q.label, q.entity)
                     for x in r.there) for r in rows]
        toggle = [i for i, r in enumerate(rows) if r.kind != O.SAME and r.ticked != want[i]]
        gain = sum(1 for i, r in enumerate(rows) if r.kind != O.SAME and want[i] and not right[i])
        cost = 2 + len(toggle) + (toggle[-1] if toggle else 0)
        if gain == 0 or cost > 2 * gain:
            return
        if w.view.selected != s:
            self.reach(s, kind)
        self.press(kind, "Ctrl+Shift+A")
        d = w.occurrence_dialog
        if not wait(lambda: d.isVisible() and d._done and QApplication.activeWindow() is d):
            self.problem("the occurrence dialog's preview did not finish")
            return
        shown = [(r.doc_id, r.start, r.end, r.kind) for r in d.model.rows]
        if shown != [(r.doc_id, r.start, r.end, r.kind) for r in rows]:
            self.problem(f"the dialog shows other rows than the scan: {shown[:5]}…")
        at = max(d.table.currentIndex().row(), 0)
        for i in toggle:
            for _ in range(i - at):
                self.press(kind, "Down", d.table)
            at = i
            self.press(kind, "Space", d.table)
        self.press(kind, "Enter", d.table)
        if not wait(lambda: not d.isVisible()):
            self.problem("Label every occurrence did not apply")
        self.uses["label every occurrence"] += 1
        self.uses["label every: spans made right"] += gain
        self.in_article()

    def wanted(self, r, q) -> bool:
        for g in self.gold[r.doc_id]:
            if (g.start, g.end, g.label) == (r.start, r.end, q.label):
                return (self.ent.get(g.entity) if g.entity else 0) == q.entity or (
                    g.entity and q.entity == 0 and g.entity not in self.ent)
        return False

    # -- the consistency panel ----------------------------------------------------------------------
    def checker_pass(self) -> None:
        w = self.w
        self.press("moving between panels", "Ctrl+Shift+C")
        panel = w.consistency
        tried = set()
        for _ in range(200):
            if not wait(lambda: panel.checker is not None and panel.task is None and not panel.fixing
                        and not panel.pending and not panel.pending_other, 30):
                self.problem("the consistency panel did not settle")
                return
            findings = panel.model.findings
            pick = None
            for i, f in enumerate(findings):
                if (f.kind, f.key, f.n_spans) in tried or f.dismissed or f.needs_choice:
                    continue
                edit = self.fix_edit(f)
                if edit is not None and self.good(f, edit):
                    pick = (i, f, edit)
                    break
            if pick is None:
                return
            i, f, edit = pick
            tried.add((f.kind, f.key, f.n_spans))
            kind = {"labels": "wrong label", "missed": "misses", "bounds": "wrong bounds",
                    "variants": "entity links"}[f.kind]
            at = max(panel.table.currentIndex().row(), 0)
            for _ in range(abs(i - at)):
                self.press("moving between panels", "Down" if i > at else "Up", panel.table)
            if panel.current() != f:
                self.problem(f"the panel's row {i} is not {f.key}")
            self.press(kind, "Enter", panel.table)
            wait(lambda: not panel.fixing, 20)
            self.uses[f"checker fix: {f.kind}"] += 1
            self.uses[f"checker fix: {f.kind}: spans"] += sum(len(e.add) for e in edit.edits
                                                              if isinstance(e, ReplaceSpans))
            if f.kind == "variants":
                self.adopt_entity(f)

    def fix_edit(self, f):
        store = Store(self.w.store.path, readonly=True)
        try:
            return make_fix(f, store, self.w.session.doc.id)
        except Exception:
            return None
        finally:
            store.close()

    def good(self, f, edit) -> bool:
        """Does the fix move every span it writes to the gold (and take away no gold span)?"""
        keys = set()
        for e in edit.edits:
            if not isinstance(e, ReplaceSpans):
                continue
            gold = self.gold[e.doc_id]
            added = {(a.start, a.end, a.label) for a in e.add}
            for r in e.remove:
                if (r.start, r.end, r.label) not in added and any(
                        (g.start, g.end, g.label) == (r.start, r.end, r.label) for g in gold):
                    return False
            for a in e.add:
                over = [g for g in gold if g.start < a.end and a.start < g.end and g.label == a.label]
                if f.kind == "variants":
                    if len(over) != 1 or not over[0].entity:
                        return False
                    keys.add(over[0].entity)
                    continue
                g = next((g for g in over if (g.start, g.end) == (a.start, a.end)), None)
                if g is None:
                    return False
                if a.entity and a.entity != self.ent.get(g.entity):
                    return False
        if f.kind == "variants":
            if len(keys) != 1:
                return False
            key = next(iter(keys))
            target = int(f.target) if f.target else None
            mapped = self.ent.get(key)
            return (mapped is None and (target is None or target not in self.ent.values())) or mapped == target
        return True

    def adopt_entity(self, f) -> None:
        store = Store(self.w.store.path, readonly=True)
        try:
            it = f.items[0]
            ent = next((s.entity for s in store.spans(it.doc_id) if s.start == it.start), 0)
        finally:
            store.close()
        over = [g for g in self.gold[it.doc_id] if g.start < it.end and it.start < g.end]
        if ent and over and over[0].entity:
            self.ent.setdefault(over[0].entity, ent)

    # -- patterns from the project -----------------------------------------------------------------
    def project_patterns(self) -> None:
        w = self.w
        menu = w.menus["model"]
        act = w.registry["project_patterns"]
        items = [a for a in menu.actions() if not a.isSeparator() and a.isVisible() and a.isEnabled()]
        self.press("patterns", "Alt+M")
        popup = wait(lambda: QApplication.activePopupWidget() is menu, 3)
        if popup:
            for _ in range(len(items) + 1):     # Down until it stands on the action (as one looks)
                if menu.activeAction() is act:
                    break
                self.press("patterns", "Down", menu)
            if menu.activeAction() is not act:
                self.problem(f"Model menu: {menu.activeAction().text() if menu.activeAction() else None}")
                self.press("patterns", "Esc", menu)
                act.trigger()
            else:
                self.press("patterns", "Enter", menu)
        else:                                   # counted as typed, triggered directly
            self.problem("the Model menu did not open on Alt+M (offscreen): the action was triggered")
            self.keys["patterns"] += items.index(act) + 2
            act.trigger()
        wait(lambda: w.jobs.busy, 2)
        if not wait(lambda: not w.jobs.busy, 60):
            self.problem("the patterns run did not finish")
        self.uses["patterns from the project"] += 1
