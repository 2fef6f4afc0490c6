"""What the long headless commands show and how they stop: a progress bar on stderr, and
Ctrl+C (once: stop after the batch in hand; twice: at once). Used through ``models.cli``."""
from __future__ import annotations

import shutil
import signal
import sys
import time

from models.display import echo, shown

INTERRUPTED = 130            # the shell's code for a command stopped by Ctrl+C
PLAIN_INTERVAL = 2.0         # seconds between progress lines when stderr is not a terminal
TTY_INTERVAL = 0.1           # seconds between redraws of the bar on a terminal


def _clock(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


class ProgressBar:
    """A progress bar on stderr: redrawn in place (``\\r``) on a terminal, otherwise a plain
    line every ``PLAIN_INTERVAL`` seconds (logs and pipes get no control characters)."""

    def __init__(self, stream=None, width: int = 24):
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.width = width
        self.started = time.perf_counter()
        # A terminal sees the bar at once; a log gets its first line after PLAIN_INTERVAL (a
        # short job's summary says it all).
        self.last = float("-inf") if self.tty else self.started
        self.shown = False

    def update(self, done: int, total: int, text: str) -> None:
        now = time.perf_counter()
        if self.tty:
            if done < total and now - self.last < TTY_INTERVAL:
                return              # the last redraw (100%) is never skipped
        elif now - self.last < PLAIN_INTERVAL:
            return
        self.last = now
        frac = min(done / total, 1.0) if total else 1.0
        elapsed = now - self.started
        eta = ""
        if 0 < frac < 1 and elapsed > 0:
            eta = f"{_clock(elapsed * (1 - frac) / frac)} left  "
        if self.tty:
            fill = round(frac * self.width)
            line = f"[{'#' * fill}{'-' * (self.width - fill)}] {frac:4.0%}  {eta}{shown(text)}"
            cols = shutil.get_terminal_size((80, 24)).columns - 1
            self.stream.write("\r" + line[:cols].ljust(cols))     # never wraps the line
        else:
            self.stream.write(f"{frac:4.0%}  {eta}{shown(text)}\n")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.tty and self.shown:
            self.stream.write("\n")
            self.stream.flush()


class CtrlC:
    """While active, the first Ctrl+C asks the running job to stop after its current batch;
    a second one interrupts at once (KeyboardInterrupt; the open transaction is rolled back)."""

    def __init__(self):
        self.pressed = False
        self._old = None

    def _handler(self, signum, frame) -> None:
        if self.pressed:
            raise KeyboardInterrupt
        self.pressed = True
        echo("", "stopping after the current batch (Ctrl+C again to stop at once)",
             file=sys.stderr, flush=True)

    def __enter__(self) -> "CtrlC":
        try:
            self._old = signal.signal(signal.SIGINT, self._handler)
        except ValueError:          # not the main thread: no handler, no Ctrl+C to catch
            self._old = None
        return self

    def __exit__(self, *exc) -> None:
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)


__all__ = ["INTERRUPTED", "PLAIN_INTERVAL", "TTY_INTERVAL", "CtrlC", "ProgressBar"]
