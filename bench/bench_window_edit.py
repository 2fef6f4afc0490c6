#!/usr/bin/env python
"""Benchmark the window's own work per edit (issue 10): the real ``MainWindow`` on a 1 MiB
article with 20,000 spans, one relabel at a time through ``Session.relabel`` — what it costs
besides the commit (``Store.commit``) and the repaint: following the outcome (the history,
the span owner's rows and colours, the document list row, the counts, the selection).

Generates its own project (``bench_article.generate``, same seed). Beside it, in the same
run: the commit alone and a bare ``QPlainTextEdit`` repaint of the same text.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_window_edit.py [--edits N]
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bench_article import Timed, generate, now, settle  # noqa: E402
from models.store import Store  # noqa: E402

TARGET = 3.0            # ms: the window's own work per edit on a 20,000-span document


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--edits", type=int, default=40, help="relabels timed (median reported)")
    p.add_argument("--chars", type=int, default=1 << 20)
    p.add_argument("--spans", type=int, default=20000)
    args = p.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("article-annotator-bench")
    with tempfile.TemporaryDirectory(prefix="bench-window-") as tmpdir:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmpdir)
        text, spans, _ = generate(args.chars, args.spans, seed=2)
        store = Store(Path(tmpdir) / "bench.annotator")
        (doc_id,), _ = store.add_documents([{"text": text, "title": "Bench 1 MiB", "spans": spans}])
        from gui.main_window import MainWindow
        w = MainWindow(store)
        w._load_timer.stop()                    # no pipeline: nothing but the edits runs
        w._load_timer = None
        w.resize(1400, 860)
        w.show()
        w.start(open_doc=doc_id)
        while w.view.highlighter.pending:      # every span coloured: the steady state
            settle()
        labels = [lab.name for lab in store.labels()][:4]
        parts = defaultdict(list)
        for i in range(args.edits + 3):
            span = w.session.spans[len(w.session.spans) // 2 + i * 7]
            new = labels[(labels.index(span.label) + 1) % len(labels)] if span.label in labels else labels[0]
            t_part = defaultdict(float)
            Timed(store, "commit", t_part, "commit")
            Timed(w, "_changed", t_part, "window._changed")
            Timed(w.spans, "apply", t_part, "span owner apply")
            gc.collect()
            t = now()
            assert w.session.relabel(span, new)
            total = now() - t
            t = now()
            w.view.viewport().repaint()
            settle()
            repaint = now() - t
            for name in ("commit",):
                vars(store).pop(name, None)
            vars(w).pop("_changed", None)
            vars(w.spans).pop("apply", None)
            if i >= 3:                  # warm-up edits not counted
                parts["edit (no repaint)"].append(total)
                parts["own work (edit minus commit)"].append(total - t_part["commit"])
                for k, v in t_part.items():
                    parts[k].append(v)
                parts["repaint"].append(repaint)
        w.close()
        store.close()
    med = {k: statistics.median(v) for k, v in parts.items()}
    print(f"Window's work per relabel, 1 MiB article, {args.spans:,} spans, {args.edits} edits "
          "(medians, ms)")
    for k, v in med.items():
        print(f"  {k:<32} {v:8.2f}")
    own = med["own work (edit minus commit)"]
    print(f"own work per edit {own:.2f} ms, target <= {TARGET:g} ms: {'PASS' if own <= TARGET else 'MISS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
