"""The window's features beyond editing one article (issue 11 on): each is a module of this
package with an ``install(w)`` that adds its actions to ``w.registry`` (with ``edits=``
said), its menu items to ``w.menus[...]``, its docks, and connects to ``w.session`` — so
``gui/main_window.py`` stays a window that only wires things. Installed in this order, before a read-only window
turns off every action that edits."""
from __future__ import annotations

import importlib

# One line per feature module of this package (each defines ``install(w)``).
FEATURES: tuple[str, ...] = (
    "entities",
    "occurrences",
    "patterns",
    "checker",
    "statistics",
    "team",
    "agreement",
    "adjudication",
)


def install(w) -> None:
    for name in FEATURES:
        importlib.import_module(f"gui.features.{name}").install(w)
