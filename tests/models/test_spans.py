from __future__ import annotations

import pytest

from models.spans import MANUAL, Span, SpanError, TokenBounds, check_no_overlap, overlapping, span_at, validate

TEXT = "Kim Jong Un met Putin in Moscow."
#       0123456789012345678901234567890
SPANS = [Span(0, 11, "PERSON"), Span(16, 21, "PERSON"), Span(25, 31, "GPE", "model-1")]


def test_fixture_spans_cover_the_words_they_claim():
    assert [TEXT[s.start:s.end] for s in SPANS] == ["Kim Jong Un", "Putin", "Moscow"]


def test_span_basics_and_dict_round_trip():
    s = Span(25, 31, "GPE", "model-1")
    assert not s.is_manual and Span(0, 1, "X").is_manual and Span(0, 1, "X").source == MANUAL
    assert s.to_dict() == {"start": 25, "end": 31, "label": "GPE", "source": "model-1"}
    assert Span.from_dict(s.to_dict()) == s
    assert Span.from_dict({"start": "3", "end": 5.0, "label": "X"}) == Span(3, 5, "X", MANUAL)
    assert s.with_(label="LOC") == Span(25, 31, "LOC", "model-1")
    assert s.overlaps(30, 40) and s.overlaps(20, 26) and s.overlaps(26, 27)
    assert not s.overlaps(31, 40) and not s.overlaps(0, 25)


@pytest.mark.parametrize("start,end,expected", [
    (0, 32, [0, 1, 2]),
    (5, 6, [0]),            # inside the first span
    (10, 17, [0, 1]),       # last char of one, first of the next
    (11, 16, []),           # exactly the gap between two spans
    (21, 25, []),
    (20, 26, [1, 2]),
    (31, 32, []),           # after the last span
    (0, 0, []),
    (16, 21, [1]),          # exactly a span
    (17, 18, [1]),
])
def test_overlapping(start, end, expected):
    assert overlapping(SPANS, start, end) == [SPANS[i] for i in expected]


def test_overlapping_empty_sequence():
    assert overlapping([], 0, 10) == []


def test_overlapping_finds_a_long_span_that_starts_well_before():
    spans = [Span(0, 100, "X"), Span(200, 210, "Y")]
    assert overlapping(spans, 50, 60) == [spans[0]]
    assert overlapping(spans, 99, 201) == spans


@pytest.mark.parametrize("pos,expected", [
    (0, 0), (10, 0), (11, None), (15, None), (16, 1), (20, 1), (21, None), (25, 2), (30, 2),
    (31, None), (-1, None), (1000, None),
])
def test_span_at(pos, expected):
    assert span_at(SPANS, pos) == (None if expected is None else SPANS[expected])


def test_span_at_empty():
    assert span_at([], 3) is None


def test_check_no_overlap_sorts_and_accepts_touching_spans():
    shuffled = [SPANS[2], SPANS[0], SPANS[1], Span(11, 12, "X")]
    assert check_no_overlap(shuffled) == [SPANS[0], Span(11, 12, "X"), SPANS[1], SPANS[2]]
    assert check_no_overlap([]) == []


@pytest.mark.parametrize("spans", [
    [Span(0, 5, "A"), Span(4, 8, "B")],
    [Span(4, 8, "B"), Span(0, 5, "A")],
    [Span(0, 10, "A"), Span(3, 4, "B")],     # nested
    [Span(0, 5, "A"), Span(0, 5, "A")],      # the same span twice
    [Span(0, 5, "A"), Span(0, 5, "B")],
])
def test_check_no_overlap_refuses(spans):
    with pytest.raises(SpanError, match="overlap"):
        check_no_overlap(spans)


def test_validate_accepts_whole_text_and_single_characters():
    validate(Span(0, len(TEXT), "X"), TEXT)
    validate(Span(len(TEXT) - 1, len(TEXT), "X"), TEXT)
    validate(Span(0, 1, "X"), "😀")


@pytest.mark.parametrize("span,message", [
    (Span(3, 3, "X"), "empty"),
    (Span(5, 3, "X"), "inverted"),
    (Span(-1, 3, "X"), "outside"),
    (Span(0, len(TEXT) + 1, "X"), "outside"),
    (Span(0, 3, ""), "no label"),
    (Span(0, 3, "   "), "no label"),
    (Span("0", 3, "X"), "integers"),
    (Span(0, 3.0, "X"), "integers"),
])
def test_validate_errors(span, message):
    with pytest.raises(SpanError, match=message):
        validate(span, TEXT)


# Tokens of "Kim Jong Un met Putin in Moscow." as the tokenizer gives them.
TOKENS = [(0, 3), (4, 8), (9, 11), (12, 15), (16, 21), (22, 24), (25, 31), (31, 32)]


@pytest.fixture
def bounds():
    return TokenBounds(TOKENS)


def test_token_fixture_is_right():
    from models.ner import tokenize
    assert tokenize(TEXT) == TOKENS


@pytest.mark.parametrize("start,end,expected", [
    (0, 3, (0, 3)),          # already whole
    (1, 2, (0, 3)),          # inside one token
    (1, 6, (0, 8)),          # across two tokens
    (2, 11, (0, 11)),
    (3, 4, (3, 3)),          # only the space: nothing to snap to
    (11, 12, (11, 11)),
    (3, 5, (4, 8)),          # leading space dropped
    (14, 16, (12, 15)),      # trailing space dropped
    (26, 32, (25, 32)),      # takes the full stop when selected
    (26, 31, (25, 31)),      # ...and not when not
])
def test_snap(bounds, start, end, expected):
    assert bounds.snap(start, end) == expected


def test_snap_without_tokens_returns_the_range():
    assert TokenBounds([]).snap(3, 7) == (3, 7)
    assert len(TokenBounds([])) == 0 and len(TokenBounds(TOKENS)) == 8


def test_next_end(bounds):
    assert bounds.next_end(3) == 8          # grow "Kim" to "Kim Jong"
    assert bounds.next_end(5) == 8
    assert bounds.next_end(0) == 3
    assert bounds.next_end(31) == 32
    assert bounds.next_end(32) is None


def test_prev_end(bounds):
    assert bounds.prev_end(11, 0) == 8      # shrink "Kim Jong Un" to "Kim Jong"
    assert bounds.prev_end(8, 0) == 3
    assert bounds.prev_end(3, 0) is None    # would leave nothing
    assert bounds.prev_end(10, 0) == 8      # end inside a token
    assert bounds.prev_end(21, 16) is None  # one-token span cannot shrink
    assert bounds.prev_end(24, 16) == 21


def test_prev_start(bounds):
    assert bounds.prev_start(4) == 0        # grow "Jong" leftwards to "Kim Jong"
    assert bounds.prev_start(2) == 0
    assert bounds.prev_start(0) is None
    assert bounds.prev_start(16) == 12


def test_next_start(bounds):
    assert bounds.next_start(0, 11) == 4    # shrink "Kim Jong Un" from the left
    assert bounds.next_start(4, 11) == 9
    assert bounds.next_start(9, 11) is None  # would leave nothing
    assert bounds.next_start(1, 3) is None
    assert bounds.next_start(25, 32) == 31
