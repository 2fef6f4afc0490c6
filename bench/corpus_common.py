"""Helpers shared by ``bench_corpus.py`` and its parts (``corpus_search``, ``corpus_jobs``):
clocks, medians, RSS, the child processes' QApplication and the UI thread's lateness."""
from __future__ import annotations

import statistics
import sys
import time


def now() -> float:
    return time.perf_counter() * 1000.0


def med(xs) -> float:
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else float("nan")


def rss_mb(pid: int | str = "self") -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process (this one by default) in MB."""
    got = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    got[key] = int(value.split()[0]) / 1024.0
    except OSError:
        pass
    return got.get("VmRSS", float("nan")), got.get("VmHWM", float("nan"))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def child_qapp():
    from importlib import resources
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("article-annotator-bench")
    app.setApplicationName("article-annotator-bench")
    app.setStyleSheet(resources.files("resources").joinpath("style.qss").read_text("utf-8"))
    return app


def run_until(cond, timeout_s: float, step_ms: int = 5) -> bool:
    """Run the event loop (exec, no busy polling) until ``cond()`` or the timeout; cond()."""
    from PySide6.QtCore import QEventLoop, QTimer
    if cond():
        return True
    loop = QEventLoop()
    check = QTimer()
    check.setInterval(step_ms)
    end = time.perf_counter() + timeout_s

    def tick():
        if cond() or time.perf_counter() > end:
            loop.quit()
    check.timeout.connect(tick)
    check.start()
    loop.exec()
    check.stop()
    return bool(cond())


class Lateness:
    """A precise 10 ms QTimer on the UI thread: its largest lateness is the longest the UI
    thread went without its event loop (a stall) while it ran."""

    def __init__(self, interval_ms: int = 10):
        from PySide6.QtCore import Qt, QTimer
        self.interval = interval_ms
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.worst, self.ticks, self._last = 0.0, 0, 0.0

    def start(self) -> None:
        self.worst, self.ticks, self._last = 0.0, 0, now()
        self.timer.start()

    def _tick(self) -> None:
        t = now()
        self.worst = max(self.worst, t - self._last - self.interval)
        self.ticks += 1
        self._last = t

    def stop(self) -> float:
        """Stop; the largest lateness in ms (the time since the last tick counts too)."""
        self.timer.stop()
        self.worst = max(self.worst, now() - self._last - self.interval)
        return max(self.worst, 0.0)
