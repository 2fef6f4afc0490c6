from __future__ import annotations

import random

import pytest

from models import ner
from models.ner import ModelError, split_at, tokenize

from .helpers import MODEL, MODEL_SOURCE


def test_pipeline_keeps_only_ner(pipeline):
    assert pipeline.name == MODEL and pipeline.source == MODEL_SOURCE
    assert pipeline.nlp.pipe_names == ["ner"]
    assert {"PERSON", "GPE", "ORG", "DATE"} <= set(pipeline.labels)


def test_resolve():
    assert ner.resolve("some/dir") == "some/dir"
    assert MODEL in ner.installed_pipelines()
    assert ner.resolve(None) == ner.installed_pipelines()[0]


def test_resolve_without_any_pipeline(monkeypatch):
    monkeypatch.setattr(ner, "installed_pipelines", lambda: [])
    with pytest.raises(ModelError, match="no spaCy pipeline is installed"):
        ner.resolve(None)


def test_load_errors(tmp_path):
    with pytest.raises(ModelError, match="cannot load spaCy pipeline 'no_such_pipeline_xyz'"):
        ner.load("no_such_pipeline_xyz")
    with pytest.raises(ModelError, match="cannot load"):
        ner.load(str(tmp_path))                  # a directory that is no pipeline


def test_load_refuses_a_pipeline_without_ner(tmp_path):
    import spacy
    spacy.blank("en").to_disk(tmp_path / "blank")
    with pytest.raises(ModelError, match="has no 'ner' component"):
        ner.load(str(tmp_path / "blank"))


def test_tokenize_with_and_without_spaces():
    text = "Kim  met\tPutin."
    assert tokenize(text) == [(0, 3), (5, 8), (9, 14), (14, 15)]
    with_spaces = tokenize(text, spaces=True)
    assert (4, 5) in with_spaces and (8, 9) in with_spaces
    assert [text[s:e] for s, e in with_spaces] == ["Kim", " ", "met", "\t", "Putin", "."]


@pytest.mark.parametrize("tokens,cuts,expected", [
    ([(0, 10)], [5], [(0, 5), (5, 10)]),
    ([(0, 10)], [0, 10], [(0, 10)]),                   # cuts on boundaries change nothing
    ([(0, 10)], [3, 7, 7], [(0, 3), (3, 7), (7, 10)]),
    ([(0, 3), (4, 8)], [1, 6], [(0, 1), (1, 3), (4, 6), (6, 8)]),
    ([(0, 3), (4, 8)], [3, 4], [(0, 3), (4, 8)]),
    ([(0, 3), (4, 8)], [], [(0, 3), (4, 8)]),
    ([], [3], []),
])
def test_split_at(tokens, cuts, expected):
    assert split_at(tokens, cuts) == expected


@pytest.mark.skipif(not hasattr(ner, "tokens_near"), reason="ner.tokens_near not present")
def test_tokens_near_matches_the_whole_text_tokens():
    text = ("North Korea\u2019s KCNA said (on Monday) that Choe Son-hui, 58, met Putin.\r\n"
            "Seoul😀 and 🇰🇷 e\u0301 𠮷野家!  ") * 3
    whole = tokenize(text)
    rng = random.Random(7)
    for _ in range(200):
        a = rng.randrange(len(text))
        b = rng.randrange(a, len(text) + 1)
        near = ner.tokens_near(text, a, b, margin=rng.choice([0, 3, 20]))
        assert near, (a, b)
        first = whole.index(near[0])
        assert near == whole[first:first + len(near)]          # a run of the real tokens
        # ...that includes every token the selection touches, so snapping sees them all.
        touched = [t for t in whole if t[0] < max(b, a + 1) and a < t[1]]
        assert set(touched) <= set(near), (a, b)


NEWS_PIECES = ["SEOUL (Reuters) —", "—", "said", "U.S.", "e.g.", ":)", "(:", "--", " ", "  ", "\n",
               "\r\n", "\t", "\xa0", "😀", "👍🏽", "can't", "don't", "$5.00", "3:30pm", "N.Y.",
               "http://x.y/z", "a@b.com", "🇰🇷", "e\u0301", "𠮷", "'s", "''", '"', "...", "'",
               "Kim's", "(Bench", "#12)", "1,000", "co-operate", "o'clock"]


def test_warm_tokenizer_gives_spacys_tokens_exactly():
    """WarmTokenizer fills spaCy's cache piece by piece (spaCy stops caching in a text after a
    special case): the tokens must be exactly those of a fresh tokenizer, whatever came before."""
    import spacy
    rnd = random.Random(7)
    texts = ["".join(rnd.choice(NEWS_PIECES) + (" " if rnd.random() < 0.6 else "")
                     for _ in range(rnd.randint(0, 50))) for _ in range(1500)]
    warm = ner.WarmTokenizer(spacy.blank("en").tokenizer)
    plain = spacy.blank("en").tokenizer             # spaCy as it comes, its cache as it fills
    for i, text in enumerate(texts):
        expected = [(t.idx, t.idx + len(t)) for t in plain(text)]
        assert ner.token_offsets(text, warm) == expected, text
        if i % 300 == 0:                            # and a tokenizer that has seen nothing
            assert [(t.idx, t.idx + len(t)) for t in spacy.blank("en").tokenizer(text)] == expected
    assert ner.token_offsets("", warm) == []
    assert [t.text for t in warm("SEOUL (Reuters) — Kim's")] == \
        ["SEOUL", "(", "Reuters", ")", "—", "Kim", "'s"]


def test_cut_points_prefer_paragraphs_then_lines_then_spaces():
    assert ner.cut_points("") == [0, 0] and ner.cut_points("abc") == [0, 3]
    text = "aaaa bbbb\ncccc dddd\n\neeee ffff gggg"
    assert ner.cut_points(text, 24) == [0, 21, len(text)]                 # after the \n\n
    assert ner.cut_points(text, 16) == [0, 10, 21, len(text)]             # \n, then \n\n
    assert ner.cut_points("x" * 25, 10) == [0, 10, 20, 25]                # no space: hard cut
    cjk = "北朝鮮の金正恩氏はソウルを訪れた。" * 3             # no space: after a sentence end
    assert ner.cut_points(cjk, 20) == [0, 17, 34, 51]
    flags = "🇰🇷" * 8                                       # never between the halves of a flag
    b = ner.cut_points(flags, 5)
    assert all(x % 2 == 0 for x in b) and b[-1] == 16
    for most in (7, 10, 16, 24):
        b = ner.cut_points(text, most)
        assert all(0 < y - x <= most for x, y in zip(b, b[1:])) and b[-1] == len(text)


def test_a_long_text_is_predicted_in_pieces_on_the_right_characters(pipeline, monkeypatch):
    """Over MAX_PIECE characters the model sees pieces (spaCy refuses texts over max_length):
    the entities come back on the whole text's characters, none lost at a cut."""
    para = "Kim Jong Un met Joe Biden in Seoul on Monday.\n\n"
    text = "Short one. " + para * 40
    whole = next(pipeline.predict([text]))
    monkeypatch.setattr(ner, "MAX_PIECE", 300)
    monkeypatch.setattr(pipeline.nlp, "max_length", 400)     # a whole text would be refused
    got = list(pipeline.predict(["", text, "Seoul."]))
    assert got[0] == [] and len(got) == 3
    assert got[1] == whole and len(whole) >= 40
    assert {text[a:b] for a, b, _ in got[1]} >= {"Seoul", "Monday"}


def test_an_entity_never_starts_or_ends_with_white_space(pipeline):
    """The small English model ends "90 km/h." with the CRLF after it (seen in a user test: the
    window then drew the tag over the text); predictions are trimmed."""
    text = ("Ferry crossings between Helsinki and Tallinn on Monday \U0001F62C as storm Ingrid "
            "brought winds of 90 km/h.\r\nCaptain Erik Saarinen said passengers were moved.\r\n")
    ents = next(pipeline.predict([text]))
    assert ("90 km/h." in [text[s:e] for s, e, _ in ents])
    assert all(s < e and not text[s].isspace() and not text[e - 1].isspace() for s, e, _ in ents)
    from models.ner import trimmed
    assert trimmed(" \r\nab c\r\n", 0, 8) == (3, 7) and trimmed("  ", 0, 2) == (2, 2)


def test_snap_is_the_whole_texts_snap_for_any_selection():
    """``snap`` (no tokenizing at white space edges, else only the pieces touched) grows a
    selection exactly as the whole text's tokens do, on text full of special cases."""
    from models.spans import TokenBounds
    pieces = NEWS_PIECES + ["North", "Korea\u2019s", "(on", "Monday)", "Son-hui,", "58,", "Putin."]
    rng = random.Random(11)
    for round_ in range(20):
        text = "".join(rng.choice(pieces) + rng.choice([" ", " ", "  ", "\n", "\r\n", "\t", ""])
                       for _ in range(40))
        whole = TokenBounds(tokenize(text))
        for _ in range(150):
            a = rng.randrange(len(text))
            b = rng.randrange(a, min(len(text), a + 30) + 1)
            assert ner.snap(text, a, b) == whole.snap(a, b), (round_, a, b, text[a:b])


def test_snap_at_white_space_edges_tokenizes_nothing(monkeypatch):
    text = "Kim met Putin (in Seoul) on Monday."
    calls = []
    monkeypatch.setattr(ner, "tokens_near", lambda *a, **k: calls.append(a) or [])
    assert ner.snap(text, 4, 7) == (4, 7) and calls == []                # "met"
    ner.snap(text, 14, 23)                                               # "(in Seoul": tokenized
    assert len(calls) == 1
