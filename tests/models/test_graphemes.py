from __future__ import annotations

import pytest

from models.annotate import model_edit
from models.graphemes import is_boundary, widen
from models.store import Store

FAMILY = "👨\u200d👩\u200d👧"
TEXT = f"Elon Musk {FAMILY} visited Berlin 🇩🇪 and Cafe\u0301 👍🏽 ok\r\nEnd"


@pytest.mark.parametrize("piece", [FAMILY, "🇩🇪", "e\u0301", "👍🏽", "\r\n"])
def test_every_cut_inside_a_cluster_widens_to_the_whole_cluster(piece):
    i = TEXT.index(piece)
    for cut in range(i + 1, i + len(piece)):
        assert widen(TEXT, cut, cut + 0) == (i, i + len(piece)) or widen(TEXT, cut, cut)[0] == i
        assert widen(TEXT, 0, cut) == (0, i + len(piece))
        assert widen(TEXT, cut, len(TEXT)) == (i, len(TEXT))
        assert not is_boundary(TEXT, cut)
    assert is_boundary(TEXT, i) and is_boundary(TEXT, i + len(piece))


def test_whole_clusters_and_ascii_are_left_alone():
    s = TEXT.index("Berlin")
    assert widen(TEXT, s, s + 6) == (s, s + 6)
    assert widen(TEXT, 0, len(TEXT)) == (0, len(TEXT))
    long = "x" * 5000 + "🇩🇪"
    assert widen(long, 5001, 5001 + 1) == (5000, 5002)


def test_model_spans_that_cut_an_emoji_are_widened(tmp_path):
    store = Store(tmp_path / "p.annotator")
    [doc], _ = store.add_documents([{"text": TEXT}])
    half = TEXT.index(FAMILY) + 1                        # "Elon Musk 👨" as a model may give it
    b = TEXT.index("🇩🇪")
    edit = model_edit(store, doc, [(0, half, "PERSON"), (TEXT.index("Berlin"), b + 1, "GPE")], "m-1")
    got = [(TEXT[s.start:s.end], s.label) for s in edit.add]
    assert got == [(f"Elon Musk {FAMILY}", "PERSON"), ("Berlin 🇩🇪", "GPE")]


def test_widen_is_the_cluster_walk_for_any_range():
    """``widen``'s shortcut (both edges between a safe pair of characters) gives what walking
    the clusters gives, on text of every kind of cluster."""
    import random

    import regex
    pieces = [FAMILY, "🇩🇪", "🇰🇷", "e\u0301", "👍🏽", "\r\n", "\r", "\n", "a", "Z", " ", ".", "한",
              "\u1100\u1161", "漢", "𠮷", "\u0915\u094d\u0937", "\u200d", "\ufe0f", "x\u0308", "9"]
    rng = random.Random(5)
    for _ in range(60):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 25)))
        cuts = [0] + [m.end() for m in regex.finditer(r"\X", text)]
        for _ in range(40):
            a = rng.randrange(len(text) + 1)
            b = rng.randrange(a, len(text) + 1)
            want = (max(c for c in cuts if c <= a), min(c for c in cuts if c >= b))
            assert widen(text, a, b) == want, (text, a, b)
