"""Offsets in other units than code points (Python ``str`` indices, which the project keeps).

doccano (and JavaScript tools generally) count UTF-16 code units: every character outside the
Basic Multilingual Plane — emoji, flags (two of them), rare CJK such as 𠮷 — is two units there
and one code point here. Both directions cost a bisect over the positions of those characters.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class OffsetError(ValueError):
    """An offset that is no character boundary in the other unit (half a surrogate pair)."""


class Utf16:
    """Converts offsets into one text between code points and UTF-16 code units."""

    def __init__(self, text: str):
        # Code-point index of every astral character, and where each starts in UTF-16 units.
        self.astral = [m.start() for m in _ASTRAL.finditer(text)]
        self.starts16 = [i + k for k, i in enumerate(self.astral)]
        self.length = len(text)
        self.length16 = len(text) + len(self.astral)

    def to_utf16(self, i: int) -> int:
        """The UTF-16 offset of code-point offset ``i``."""
        return i + bisect_left(self.astral, i) if self.astral else i

    def from_utf16(self, u: int) -> int:
        """The code-point offset of UTF-16 offset ``u``; OffsetError inside a surrogate pair."""
        if not self.astral:
            return u
        k = bisect_left(self.starts16, u)          # astral characters starting before u
        if k and self.starts16[k - 1] + 1 == u:
            raise OffsetError(f"UTF-16 offset {u} falls inside a character outside the BMP "
                              "(between the two halves of a surrogate pair)")
        return u - bisect_right(self.starts16, u - 2)


def utf16_length(text: str) -> int:
    return len(text) + len(_ASTRAL.findall(text))
