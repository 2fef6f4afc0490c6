"""Property tests (hypothesis) for models/graphemes.py on texts of emoji, flags, combining
marks, jamo, CRLF and friends (tests/fuzztext.py). Profiles: tests/conftest.py."""
from __future__ import annotations

import time
from bisect import bisect_left, bisect_right

from hypothesis import example, given
from hypothesis import strategies as st

from models.graphemes import is_boundary, strip, widen
from tests.fuzztext import cluster_boundaries, text_and_span, texts


def reference_widen(text: str, start: int, end: int) -> tuple[int, int]:
    b = cluster_boundaries(text)
    s = b[bisect_right(b, start) - 1]
    e = b[bisect_left(b, end)]
    return s, max(s, e)


@given(text_and_span())
@example(("Berlin 🇩🇪🇰🇷 ok", 8, 10))                   # second flag's first half
@example(("x" * 300 + "e\u0301\u0302", 301, 302))           # past _safe_left's first window
def test_widen_matches_whole_text_segmentation(case):
    text, start, end = case
    s, e = widen(text, start, end)
    assert (s, e) == reference_widen(text, start, end)
    assert s <= start and e >= end
    assert widen(text, s, e) == (s, e)                          # idempotent


@given(texts())
def test_is_boundary_is_exactly_the_cluster_boundaries(text):
    ref = set(cluster_boundaries(text))
    assert [i for i in range(len(text) + 1) if is_boundary(text, i)] == sorted(ref)


@given(text_and_span(), st.integers(1, 400), st.sampled_from(["ab", "한", "東", "\t", "🇰", "\r\n", "\r", "e\u0301", "\u1100"]))
@example(("🇩🇪x", 0, 1), 3, "🇰")               # an odd run of flag halves before the range
def test_widen_after_a_long_prefix(case, pad, unit):
    """widen restarts segmentation at a safe point left of the range: a long run of ASCII,
    Hangul, flag halves, CRLF or accented letters before the text must not change the result."""
    text, start, end = case
    full = unit * pad + text
    n = len(full) - len(text)
    assert widen(full, n + start, n + end) == reference_widen(full, n + start, n + end)


def clusters(text: str, start: int, end: int) -> list[str]:
    b = [x for x in cluster_boundaries(text) if start <= x <= end]
    return [text[x:y] for x, y in zip(b, b[1:])]


@given(text_and_span())
@example(("a \r\n\u2028 b\u00a0\t", 1, 9))
@example((" \u0301x ", 0, 4))                 # a space with a combining mark is visible: kept
def test_strip_drops_whole_whitespace_clusters_at_the_edges(case):
    text = case[0]
    start, end = widen(*case)
    s, e = strip(text, start, end)
    assert start <= s <= e <= end and s in cluster_boundaries(text) and e in cluster_boundaries(text)
    kept = clusters(text, s, e)
    assert not kept or not (kept[0].isspace() or kept[-1].isspace())
    assert all(c.isspace() for c in clusters(text, start, s) + clusters(text, e, end))


def test_widen_is_fast_deep_in_a_long_text_without_ascii():
    """The caret's grapheme check runs on every move: it must not scan a long article in
    Chinese back to its start (it did: 0.42 s per call at 1.1M characters)."""
    text = "東京では日本語の文章。한국어를 " * 80_000
    t0 = time.perf_counter()
    for i in range(len(text) - 50, len(text) - 10):
        assert is_boundary(text, i) == (widen(text, i, i) == (i, i))
    assert time.perf_counter() - t0 < 0.2          # measured ~2 ms for the 80 calls
