"""Hypothesis strategies for the offset fuzz tests (issue 5): texts made of the pieces that
break offsets, and spans over them.

Every piece below has made some annotation tool put a label on the wrong characters: astral
characters (two UTF-16 units), grapheme clusters of several code points (ZWJ emoji, skin
tones, flags, e + combining accent, conjoining Hangul jamo), CRLF (two code points, one Qt
position), lone CR, U+2028/U+2029, NBSP, zero-width characters and a byte-order mark (which
PySide drops when it leads a string). Pieces are joined without separators, so a combining
mark or a ZWJ may also land after an emoji, a line break or a flag half.
"""
from __future__ import annotations

import string
import unicodedata

import regex
from hypothesis import strategies as st

ASCII_WORDS = ["Seoul", "Kim Jong Un", "Apple", "Monday", "North Korea’s", "U.S.", "a", "I",
               "don't", "3.5%", "e-mail", "(Reuters)", "--", "...", "#tag", "x_y"]
NFD = [unicodedata.normalize("NFD", w) for w in ("Café", "Ångström", "naïve", "Zoë", "Mỹ Sơn",
                                                   "São Paulo", "résumé", "Ελλάδα")]
EMOJI = ["😀", "👍🏽", "👋🏿", "👨\u200d👩\u200d👧", "👩🏽\u200d💻", "🏳\ufe0f\u200d🌈",
         "🧑\u200d🤝\u200d🧑", "❤\ufe0f", "✌🏻", "#\ufe0f\u20e3", "👁\u200d🗨"]
FLAGS = ["🇰🇷", "🇩🇪", "🇯🇵", "🇺🇸", "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"]
HANGUL = ["한국어", "서울", "김정은", "\u1112\u1161\u11ab\u1100\u116e\u11a8",   # conjoining jamo
          "\u1100\u1161"]
CJK = ["東京", "北京", "𠮷野家", "𩸽", "中华人民共和国", "日本語の文章。"]
RTL = ["مرحبا", "بِسْمِ ٱللَّٰهِ", "سلام", "שלום", "שָׁלוֹם", "עִבְרִית", "\u200f", "\u200e"]
SEPARATORS = ["\r\n", "\r", "\n", "\t", "\u2028", "\u2029", "\u00a0", "\u200b", "\u200d",
              "\u200c", "\u2060", "\ufeff", " ", "  ", "\r\n\r\n", "\r\r\n", "\n\r"]
COMBINING = [chr(c) for c in range(0x300, 0x370)] + ["\u20e3", "\ufe0f", "\U0001f3fd"]

_ascii = st.text(alphabet=string.ascii_letters + string.digits + ".,;:!?'\"-()", min_size=1,
                 max_size=8)
_nfd = st.tuples(st.sampled_from("aeiouAEIOUnc"),
                 st.lists(st.sampled_from(COMBINING[:0x70]), min_size=1, max_size=3)).map(
                     lambda t: t[0] + "".join(t[1]))
_regional = st.lists(st.integers(0x1F1E6, 0x1F1FF).map(chr), min_size=1, max_size=3).map("".join)
_astral_cjk = st.integers(0x20000, 0x2A6DF).map(chr)
_hangul = st.integers(0xAC00, 0xD7A3).map(chr)

piece = st.one_of(
    st.sampled_from(ASCII_WORDS), _ascii,
    st.sampled_from(NFD), _nfd,
    st.sampled_from(EMOJI), st.sampled_from(FLAGS), _regional,
    st.sampled_from(HANGUL), _hangul,
    st.sampled_from(CJK), _astral_cjk,
    st.sampled_from(RTL),
    st.sampled_from(SEPARATORS), st.sampled_from(SEPARATORS), st.just(" "),
    st.sampled_from(COMBINING),
)


def texts(min_pieces: int = 1, max_pieces: int = 24) -> st.SearchStrategy[str]:
    """Texts of whole pieces (see the module doc), ASCII spaces between some of them."""
    return st.lists(piece, min_size=min_pieces, max_size=max_pieces).map("".join)


def text_and_span(min_pieces: int = 1, max_pieces: int = 24):
    """(text, start, end): a text and a code-point range 0 <= start <= end <= len(text)."""
    @st.composite
    def build(draw):
        text = draw(texts(min_pieces, max_pieces))
        a = draw(st.integers(0, len(text)))
        b = draw(st.integers(0, len(text)))
        return text, min(a, b), max(a, b)
    return build()


_CLUSTER = regex.compile(r"\X", regex.DOTALL)


def cluster_boundaries(text: str) -> list[int]:
    """Every grapheme-cluster boundary of the whole text (an independent reference: the
    regex module segmenting from index 0, no shortcuts)."""
    return [0] + [m.end() for m in _CLUSTER.finditer(text)]


def qt_shown(text: str) -> str:
    """What Qt shows for ``text`` position by position (``QTextCursor.selectedText()``
    style: each block break as U+2029), a leading BOM as its stand-in."""
    from gui.offsets import LEADING_SUBSTITUTES   # noqa: PLC0415  (gui import kept local)
    shown = regex.sub("\r\n|[\r\n\u2029\ufdd0\ufdd1]", "\u2029", text)
    if shown[:1] in LEADING_SUBSTITUTES:
        shown = LEADING_SUBSTITUTES[shown[0]] + shown[1:]
    return shown
