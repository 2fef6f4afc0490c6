"""Parts of bench_article.py: the bare highlighter baseline and the 50 MB article.

* ``BareHighlighter``: the minimal ``QSyntaxHighlighter`` the issue names as the baseline — it
  colours the same spans, given (untimed) as per-block ranges (start, length, format), with a
  solid fill for a person's span and a pale one for a model's, nothing else.
* ``bench_huge``: a generated article of ``--huge-mb`` MB (the 1 MiB article repeated, every
  ``k``-th span kept), opened through Session + ArticleView: time to the first paint, the UI
  thread's longest stall (a 10 ms ``QTimer``'s longest gap) until the whole text is laid in and
  coloured, and the time until then; beside a bare ``QPlainTextEdit.setPlainText`` of the same
  text, and the same with ``BareHighlighter``, in the same run. Then the last span chosen (the
  entity table's click): the time until it is shown coloured.
"""
from __future__ import annotations

import gc
import statistics
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QObject, QEvent, QTimer
from PySide6.QtGui import QColor, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import QApplication, QPlainTextEdit

from gui.offsets import OffsetMap
from models.labels import default_labels
from models.spans import Span

SIZE = (1200, 800)


def now() -> float:
    return time.perf_counter() * 1000.0


class BareHighlighter(QSyntaxHighlighter):
    """Colours the spans of each block from ranges prepared beforehand."""

    def __init__(self, ranges: dict[int, list[tuple[int, int, QTextCharFormat]]]):
        super().__init__(None)
        self.ranges = ranges

    def highlightBlock(self, text: str) -> None:
        for a, n, fmt in self.ranges.get(self.currentBlock().blockNumber(), ()):
            self.setFormat(a, n, fmt)


def block_ranges(text: str, spans: list[Span]) -> dict[int, list[tuple[int, int, QTextCharFormat]]]:
    """Per-block (start, length, format) of ``spans`` (untimed preparation for the baseline)."""
    formats = {}
    for lab in default_labels():
        solid, pale = QTextCharFormat(), QTextCharFormat()
        solid.setBackground(QColor(lab.color))
        c = QColor(lab.color)
        c.setAlpha(90)
        pale.setBackground(c)
        formats[lab.name] = (solid, pale)
    m = OffsetMap(text)
    doc = QTextDocument()
    doc.setPlainText(m.display_text)
    out: dict[int, list] = {}
    for s in spans:
        a, b = m.span_to_qt(s.start, s.end)
        block = doc.findBlock(a)
        while block.isValid() and block.position() < b:
            p = block.position()
            lo, hi = max(a, p), min(b, p + block.length() - 1)
            if hi > lo:
                out.setdefault(block.blockNumber(), []).append(
                    (lo - p, hi - lo, formats[s.label][0 if s.is_manual else 1]))
            block = block.next()
    return out


class Ticks(QObject):
    """A 10 ms timer's ticks: the longest gap between two is the UI thread's longest stall."""

    def __init__(self):
        super().__init__()
        self.times: list[float] = []
        self.timer = QTimer(self, interval=10)
        self.timer.timeout.connect(lambda: self.times.append(now()))

    def start(self) -> None:
        self.times = [now()]
        self.timer.start()

    def longest(self, since: float | None = None) -> float:
        t = self.times + [now()]
        gaps = [b - a for a, b in zip(t, t[1:]) if since is None or a >= since]
        return max(gaps, default=0.0)


class FirstPaint(QObject):
    def __init__(self, widget):
        super().__init__(widget)
        self.at: float | None = None
        widget.viewport().installEventFilter(self)

    def eventFilter(self, obj, e) -> bool:
        if e.type() == QEvent.Type.Paint and self.at is None:
            self.at = now()
        return False


def _wait(cond, limit_s: float = 300) -> None:
    end = time.perf_counter() + limit_s
    while not cond() and time.perf_counter() < end:
        QApplication.processEvents()
        time.sleep(0.0005)


def _bare(text: str, ranges=None) -> dict:
    w = QPlainTextEdit()
    w.setReadOnly(True)
    w.setUndoRedoEnabled(False)
    w.resize(*SIZE)
    w.show()
    QApplication.processEvents()
    if ranges is not None:
        hl = BareHighlighter(ranges)
        hl.setDocument(w.document())
    paint, ticks = FirstPaint(w), Ticks()
    gc.collect()
    ticks.start()
    t = now()
    w.setPlainText(text)
    _wait(lambda: paint.at is not None)
    out = {"first": paint.at - t, "stall": ticks.longest(), "all": paint.at - t}
    w.close()
    w.deleteLater()
    QApplication.processEvents()
    return out


def _ours(app_cls, store, doc_id: int, last: Span) -> dict:
    app = app_cls(store)
    view = app.view
    paint, ticks = FirstPaint(view), Ticks()
    reads = {}
    cls = type(store)
    real = {name: getattr(cls, name) for name in ("document", "spans")}
    for name in ("document", "spans"):      # the store's reads (a huge text's: on the session's
        def timed(*a, _fn=getattr(cls, name), _name=name):      # reader, in the background)
            t0 = now()
            try:
                return _fn(*a)
            finally:
                reads[_name] = now() - t0
        setattr(cls, name, timed)
    shown = []

    def opened_now(_doc):                   # the text is in the view: its first paint follows
        shown.append(now())
        paint.at = None
    app.session.document_opened.connect(opened_now)
    gc.collect()
    ticks.start()
    t = now()
    app.session.open_document(doc_id)
    opened = now()
    _wait(lambda: bool(shown))
    for name, fn in real.items():
        setattr(cls, name, fn)
    _wait(lambda: paint.at is not None)
    first = paint.at
    _wait(lambda: not view.feeder.active and not view.highlighter.pending)
    done = now()
    out = {"open_document": opened - t, "shown": shown[0] - t, "store.document": reads["document"],
           "store.spans": reads["spans"], "first": first - t, "stall": ticks.longest(),
           "stall_after_first": ticks.longest(since=first), "all": done - t}
    ticks.timer.stop()
    app.dispose()
    # the last span chosen while the text is still being laid in (the entity table's click)
    app = app_cls(store)
    app.session.open_document(doc_id)
    _wait(lambda: app.session.doc is not None and app.session.doc.id == doc_id)
    paint = FirstPaint(app.view)
    _wait(lambda: paint.at is not None)
    t = now()
    app.view.select_span(last)
    app.view.viewport().repaint()
    out["jump_to_last"] = now() - t
    out["jump_laid_in"] = app.view.feeder.active
    from tests.gui.viewprobe import colour_at
    out["last_coloured"] = colour_at(app.view, last.start)
    app.dispose()
    return out


def bench_huge(app_cls, generate, mb: int, every: int, repeats: int) -> dict:
    """Open a generated ``mb`` MB article; returns medians (ms) for ours and the baselines."""
    base, bspans, _ = generate(1 << 20, 20000, seed=2)
    reps = max(1, mb * 1_000_000 // len(base.encode()))
    text = base * reps
    spans = [Span(s.start + i * len(base), s.end + i * len(base), s.label, s.source)
             for i in range(reps) for s in bspans][::every]
    ranges = block_ranges(text, spans)
    res: dict[str, list] = {}
    with tempfile.TemporaryDirectory(prefix="bench-huge-") as tmpdir:
        from models.store import Store
        store = Store(Path(tmpdir) / "huge.annotator")
        (doc_id,), _ = store.add_documents([{"text": text, "title": f"{mb} MB", "spans": spans}])
        store.document(doc_id)                    # SQLite's pages warm for all alike
        last = store.spans(doc_id)[-1]
        for _ in range(repeats):
            for key, r in (("bare", _bare(text)), ("bare_hl", _bare(text, ranges)),
                           ("ours", _ours(app_cls, store, doc_id, last))):
                for k, v in r.items():
                    res.setdefault(f"{key}.{k}", []).append(v)
        store.close()
    out = {k: (statistics.median(v) if isinstance(v[0], float) else v[-1]) for k, v in res.items()}
    out["chars"], out["bytes"], out["spans"] = len(text), len(text.encode()), len(spans)
    return out


def print_huge(h: dict, mb: int) -> None:
    b, bh = "bare", "bare_hl"
    print(f"\n{mb} MB article ({h['chars']:,} code points, {h['bytes']:,} UTF-8 bytes, "
          f"{h['spans']:,} spans), medians (ms):")
    print(f"  {'':<34}{'ours':>10}{'bare':>10}{'bare+hl':>10}")
    print(f"  {'first screen painted':<34}{h['ours.first']:>10.0f}{h[b + '.first']:>10.0f}"
          f"{h[bh + '.first']:>10.0f}")
    print(f"  {'longest UI stall (10 ms timer)':<34}{h['ours.stall']:>10.0f}{h[b + '.stall']:>10.0f}"
          f"{h[bh + '.stall']:>10.0f}")
    print(f"  {'  of which after the first screen':<34}{h['ours.stall_after_first']:>10.0f}")
    print(f"  {'all laid in and coloured':<34}{h['ours.all']:>10.0f}{h[b + '.all']:>10.0f}"
          f"{h[bh + '.all']:>10.0f}")
    print(f"  ours: open_document returned after {h['ours.open_document']:.0f} (a huge text is read "
          f"in the background), shown after {h['ours.shown']:.0f} = store.document "
          f"{h['ours.store.document']:.0f} + store.spans {h['ours.store.spans']:.0f} + the rest (the offset map, "
          f"on the reader's thread too; spans in Qt positions and the first screens set, on the UI thread) "
          f"{h['ours.shown'] - h['ours.store.document'] - h['ours.store.spans']:.0f}")
    print(f"  ours: "
          f"the last span chosen right after the first screen: {h['ours.jump_to_last']:.0f} ms "
          f"until painted (coloured {h['ours.last_coloured']}, rest still coming: "
          f"{h['ours.jump_laid_in']})")
