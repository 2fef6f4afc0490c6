"""Text from files shown in the window as plain text: tooltips, window titles, status messages.

Qt renders a tooltip as rich text whenever ``Qt::mightBeRichText`` thinks it looks like markup
(a tag in its first line): a document titled ``<b>bold</b><img src=x>`` would show a bold
"bold" and try to load an image. There is no plain-text mode for tooltips, so every tooltip
that shows data (a title, a span's source, a label's description) goes through
``plain_tooltip``: the text is escaped and wrapped in one paragraph, which Qt always takes for
rich text and renders as exactly the characters given. Controls and bidi overrides are shown
as escapes (``models.display.shown``), line by line, so a line break stays a line break.
"""
from __future__ import annotations

import html

from models.display import shown

# Runs of spaces kept; a short line on one line (Qt's tooltip would wrap it to a narrow
# column), a long one wrapped (pre-wrap: Qt's CSS subset supports it).
_PARAGRAPH = "<p style='white-space:{}'>{}</p>"
ONE_LINE = 80


def plain_tooltip(text: object) -> str:
    """A tooltip string that Qt renders as exactly ``text`` (never as markup); "" for none."""
    text = "" if text is None else text if isinstance(text, str) else str(text)
    if not text:
        return ""
    lines = [shown(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    wrap = "pre" if max(map(len, lines)) <= ONE_LINE else "pre-wrap"
    return _PARAGRAPH.format(wrap, "<br>".join(html.escape(line, quote=False) for line in lines))


def one_line(text: object, limit: int = 60) -> str:
    """``text`` for a window title or a status message: one line, every control and bidi
    character escaped, cut short with "…" past ``limit`` characters."""
    s = shown(text)
    return s if len(s) <= limit else s[: limit - 1] + "…"


__all__ = ["plain_tooltip", "one_line"]
