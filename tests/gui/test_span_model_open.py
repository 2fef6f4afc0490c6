"""SpanModel.open of many spans: sorted or not, the same rows and Qt positions as one span at a
time (the columns are converted at once: starts, ends and lasts in one OffsetMap call)."""
from __future__ import annotations

import random

import pytest

from gui.offsets import OffsetMap
from gui.span_model import SpanModel
from models.labels import default_labels
from models.spans import MANUAL, Span

# Emoji (astral: 2 Qt positions), a flag, CRLF (2 code points, 1 position), a ZWJ family.
UNIT = "😀 Seoul\r\nmet 🇯🇵 Tokyo 👨‍👩‍👧 and Kim\r\n\r\nin Busan 🎉 on Monday.\r\n"
TEXT = UNIT * 40
WORDS = ("Seoul", "Tokyo", "Kim", "Busan", "Monday", "🇯🇵", "👨‍👩‍👧")


def spans_of(text: str) -> list[Span]:
    out, rnd = [], random.Random(7)
    for i in range(0, len(text), len(UNIT)):
        for w in WORDS:
            a = text.index(w, i)
            out.append(Span(a, a + len(w), rnd.choice(["GPE", "PERSON", "DATE"]),
                            rnd.choice([MANUAL, "model-x"])))
    return sorted(out)


@pytest.mark.parametrize("order", ["sorted", "shuffled", "reversed"])
def test_open_gives_the_rows_and_qt_positions_of_each_span(qapp, order):
    spans = spans_of(TEXT)
    given = list(spans)
    if order == "shuffled":
        random.Random(3).shuffle(given)
    elif order == "reversed":
        given.reverse()
    model = SpanModel()
    model.open(TEXT, given, default_labels())
    assert model.spans == spans and model.spans is not given
    assert model.qt_spans == [model.to_qt_span(s) for s in spans]
    assert model.qt_starts == [q.start for q in model.qt_spans]
    assert model.unreviewed == sum(not s.is_manual for s in spans)
    given.clear()                                   # the caller's list is not the model's
    assert len(model.spans) == len(spans)


def test_to_qt_sorted_converts_columns_one_after_another():
    m = OffsetMap(TEXT)
    starts, ends = [s.start for s in spans_of(TEXT)], [s.end for s in spans_of(TEXT)]
    assert m.to_qt_sorted(starts, ends) == m.to_qt_sorted(starts) + m.to_qt_sorted(ends)
    assert m.to_qt_sorted(starts) == [m.to_qt(c) for c in starts]
    assert m.to_qt_sorted([], ends, []) == m.to_qt_sorted(ends)
    with pytest.raises(ValueError):
        m.to_qt_sorted(starts, [0, len(TEXT) + 1])
    assert OffsetMap("plain").to_qt_sorted([0, 1], [2, 5]) == [0, 1, 2, 5]
