"""Label keys typed as a word are not labels.

In a user test someone who thought the focus was in a text field typed "poison" while a span
was selected, and the span was relabelled p, o, i, s, o, n (most letters are label keys).
A person who means a label key presses it on its own: they look at the span, then press, then
look at what changed. A person typing presses the next letter well before they could have
seen what the last one did.

So a label key that comes less than ``BURST_MS`` after another typed character (a key that
types text: a letter, a digit, a space — whatever the focus was in), with no other key or
click between them, is typing, not labelling: it is ignored, and the window says so. The
first key of a word still acts (nothing tells it from a deliberate press), and the status
bar says what it changed, so nothing changes unseen.

Why 300 ms: people type at 120–240 ms between keys on average (fast typists ~120 ms, the
average of 136 M keystrokes of 168,000 people was 238 ms: Dhakal et al., CHI 2018), while
seeing what a key did and choosing another one takes a choice reaction time, 350 ms or more.
Anything that is not typing text between two label keys (Esc, Tab, an arrow, Enter, a
click) ends the burst: "Seoul", Esc, 3 labels at once.

Both clocks must agree: the time the events reach the window (``time.monotonic``) and the
time the keys were pressed (``QKeyEvent.timestamp()``, the window system's milliseconds),
so keys typed slowly while the window was busy, and delivered together, still count one by
one. (Synthetic events carry timestamp 0; then the arrival time decides alone.)

One place sees the keys: every key press first reaches the focus widget as a
``ShortcutOverride`` event (Qt asks it whether it wants the key before trying shortcuts),
seen here through an application event filter, which also sees the ``Shortcut`` event that
then triggers a label action (the ones ``watch`` gives, the registry's "label" group): that is
where a key is ignored, so a label chosen with the mouse (the toolbar) never is.
"""
from __future__ import annotations

import time
from typing import Callable, Collection

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QApplication

BURST_MS = 300

_MODIFIER_KEYS = {Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Meta,
                  Qt.Key.Key_AltGr, Qt.Key.Key_CapsLock, Qt.Key.Key_NumLock, Qt.Key.Key_unknown}
_COMMAND = (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
            | Qt.KeyboardModifier.MetaModifier)


def types_text(e) -> bool:
    """Whether a key event types text (a printable character without Ctrl, Alt or Meta)."""
    text = e.text()
    return bool(text) and text.isprintable() and not e.modifiers() & _COMMAND


class TypingGuard(QObject):
    """Watches the keys of one window; ``ignored(key)`` when a label key was typing."""
    ignored = Signal(str)

    def __init__(self, window, parent=None):
        super().__init__(parent)
        self.window = window        # the keys of this window's widgets are watched
        self._label_actions: Callable[[], Collection] = lambda: ()
        self._last: tuple[float, int] | None = None   # last typed character: (monotonic, timestamp)
        self._burst = False         # the key being handled came within a burst
        self.ignored_count = 0      # label keys ignored in the current burst
        self.chain_start = 0.0      # when (time.monotonic) the current run of typed keys began
        QApplication.instance().installEventFilter(self)

    def eventFilter(self, obj, e) -> bool:
        kind = e.type()
        if kind == QEvent.Type.ShortcutOverride:
            # Qt offers it to the focus widget, then to its parents: count it once.
            if obj is QApplication.focusObject() and self._ours(obj):
                self._key(e)
        elif kind == QEvent.Type.Shortcut:
            if self._burst and obj in self._label_actions():
                self._burst = False
                self.ignored_count += 1
                self.ignored.emit(e.key().toString())
                return True                 # the label is not applied
        elif kind == QEvent.Type.MouseButtonPress and self._ours(obj):
            self._last, self._burst = None, False
        return False

    def _key(self, e) -> None:
        if e.key() in _MODIFIER_KEYS:
            return                          # Shift on its way to a capital letter
        if not types_text(e):
            self._last, self._burst, self.ignored_count = None, False, 0
            return
        now, stamp = time.monotonic(), e.timestamp()
        last, self._last = self._last, (now, stamp)
        self._burst = last is not None and (now - last[0]) * 1000 < BURST_MS \
            and (not stamp or not last[1] or stamp - last[1] < BURST_MS)
        if not self._burst:
            self.ignored_count, self.chain_start = 0, now

    def _ours(self, obj) -> bool:
        window = obj.window() if hasattr(obj, "window") and callable(obj.window) else None
        return window is self.window

    def watch(self, label_actions: Callable[[], Collection]) -> None:
        """The label actions whose keys a burst of typing ignores (asked at each key: labels
        are rebuilt when they change)."""
        self._label_actions = label_actions

    def remove(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
