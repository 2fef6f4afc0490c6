from __future__ import annotations

import io
import json
import random

import pytest
import spacy
from spacy.tokens import Doc

from models.document import Document
from models.formats.jsonl import read_jsonl
from models.formats.prodigy import to_task, write_jsonl
from models.spans import Span


@pytest.fixture(scope="module")
def vocab():
    return spacy.blank("en").vocab


def write_lines(path, lines: list[str], newline: str = "\n") -> None:
    path.write_bytes(newline.join(lines).encode("utf-8") + newline.encode())


# -- reading ------------------------------------------------------------------------------------

def test_read_jsonl_keeps_good_lines_and_names_every_bad_one(tmp_path):
    path = tmp_path / "tasks.jsonl"
    good = "Kim met Putin in Moscow."
    lines = [
        json.dumps({"text": good, "title": "Summit", "meta": {"src": "x"},
                    "spans": [{"start": 8, "end": 13, "label": "PERSON"}]}),          # 1 good
        '{"text": "broken", ',                                                        # 2
        json.dumps(["text", good]),                                                   # 3
        json.dumps({"title": "no text"}),                                             # 4
        json.dumps({"text": 42}),                                                     # 5
        json.dumps({"text": "short", "spans": [{"start": 0, "end": 50, "label": "X"},
                                               {"start": 0, "end": 5, "label": "Y"}]}),  # 6
        json.dumps({"text": good, "spans": [{"start": 0, "end": 13, "label": "A"},
                                            {"start": 8, "end": 20, "label": "B"}]}),    # 7
        json.dumps({"text": "offsets 1", "spans": [{"start": "0", "end": 7, "label": "A"},
                                                   {"start": 0, "end": 7.5, "label": "A"},
                                                   {"start": True, "end": 7, "label": "A"}]}),  # 8
        "",                                                                           # 9 blank
        json.dumps({"text": "accepted", "answer": "accept"}),                         # 10
        json.dumps({"text": ""}),                                                     # 11
        "   ",                                                                        # 12 blank
    ]
    write_lines(path, lines)
    docs, problems = read_jsonl(path)

    where = [(p.file, p.line) for p in problems]
    assert where == [(str(path), n) for n in (2, 3, 4, 5, 6, 7, 8, 8, 8, 11)]
    msgs = [p.message for p in problems]
    assert msgs[0].startswith("not valid JSON")
    assert msgs[1] == "expected a JSON object, found list"
    assert msgs[2] == "no 'text' field"
    assert msgs[3] == "'text' must be a non-empty string"
    assert msgs[4].startswith("span 1 skipped:") and "outside the text" in msgs[4]
    assert msgs[5].startswith("spans dropped:") and "overlap" in msgs[5]
    assert [m.split(":")[0] for m in msgs[6:9]] == ["span 1 skipped", "span 2 skipped", "span 3 skipped"]
    assert all("integers" in m for m in msgs[6:9])
    assert str(problems[0]) == f"{path}:2: {msgs[0]}"

    assert [(d["line"], d["text"]) for d in docs] == [(1, good), (6, "short"), (7, good),
                                                       (8, "offsets 1"), (10, "accepted")]
    first = docs[0]
    assert first["title"] == "Summit" and first["meta"] == {"src": "x"}
    assert first["spans"] == [Span(8, 13, "PERSON")]
    assert good[8:13] == "Putin"
    assert first["status"] is None
    assert docs[1]["spans"] == [Span(0, 5, "Y")]            # the valid span of line 6 is kept
    assert docs[2]["spans"] == [] and docs[3]["spans"] == []
    assert docs[4]["status"] == "done"                       # answer: accept


@pytest.mark.parametrize("spans,message", [
    ([{"start": 0, "end": 3, "label": 5}], "label 5"),
    ([{"start": 0, "end": 3, "label": "TWO WORDS"}], "without spaces"),
    ([{"start": 0, "end": 3, "label": ""}], "without spaces"),
    ([{"start": 0, "end": 3}], "needs start, end and label"),
    ([[0, 3, "PERSON"]], "needs start, end and label"),
    (5, "'spans' must be a list"),
    ({"start": 0, "end": 3, "label": "X"}, "'spans' must be a list"),
])
def test_bad_spans_are_problems_not_crashes(tmp_path, spans, message):
    path = tmp_path / "s.jsonl"
    write_lines(path, [json.dumps({"text": "Kim met Putin.", "spans": spans}),
                       json.dumps({"text": "second"})])
    docs, problems = read_jsonl(path)
    assert [d["text"] for d in docs] == ["Kim met Putin.", "second"]
    assert docs[0]["spans"] == []
    assert len(problems) == 1 and problems[0].line == 1 and message in problems[0].message


def test_unicode_line_separators_inside_strings_do_not_split_records(tmp_path):
    path = tmp_path / "u.jsonl"
    text = "Line one\u2028line two\u2029para \x85 next"
    # ensure_ascii=False writes U+2028/U+2029/U+0085 raw, as doccano and Label Studio do.
    write_lines(path, [json.dumps({"text": text}, ensure_ascii=False), "{bad", json.dumps({"text": "b"})])
    assert "\u2028" in path.read_text("utf-8")
    docs, problems = read_jsonl(path)
    assert [d["text"] for d in docs] == [text, "b"]
    assert [d["line"] for d in docs] == [1, 3]
    assert [p.line for p in problems] == [2]


def test_crlf_jsonl_is_read(tmp_path):
    path = tmp_path / "crlf.jsonl"
    write_lines(path, [json.dumps({"text": "a\r\nb"}), json.dumps({"text": "c"})], newline="\r\n")
    docs, problems = read_jsonl(path)
    assert problems == [] and [d["text"] for d in docs] == ["a\r\nb", "c"]


def test_title_from_meta_and_meta_that_is_not_a_dict(tmp_path):
    path = tmp_path / "t.jsonl"
    write_lines(path, [json.dumps({"text": "a", "meta": {"title": "From meta"}}),
                       json.dumps({"text": "b", "meta": "nope"})])
    docs, problems = read_jsonl(path)
    # the meta that is not an object is left out, and since issue 9 said (a warning)
    assert [(p.line, p.message, p.rejected) for p in problems] == [
        (2, "'meta' must be an object, found str 'nope'; meta left out", False)]
    assert (docs[0]["title"], docs[1]["title"], docs[1]["meta"]) == ("From meta", "", {})


@pytest.mark.parametrize("content,message", [
    (b"", "file is empty"),
    (b"\n\n  \n", "file is empty"),
    (b"\xff\xfe{\x00}\x00", "UTF-16"),
    (b'{"text": "caf\xe9"}\n', "not UTF-8"),
])
def test_unreadable_jsonl_file(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    docs, problems = read_jsonl(path)
    assert docs == [] and len(problems) == 1
    assert problems[0].file == str(path) and message in problems[0].message


# -- export: Prodigy-style tasks ----------------------------------------------------------------

SUMMIT = "President Vladimir Putin met Kim in Moscow."


def test_to_task_exact():
    doc = Document(7, SUMMIT, "Summit", {"source": "summit.txt"}, "done")
    spans = [Span(10, 24, "PERSON"), Span(29, 32, "PERSON", "model-x"), Span(36, 42, "GPE")]
    assert [SUMMIT[s.start:s.end] for s in spans] == ["Vladimir Putin", "Kim", "Moscow"]
    assert to_task(doc, spans) == {
        "text": "President Vladimir Putin met Kim in Moscow.",
        "meta": {"source": "summit.txt", "doc_id": 7, "title": "Summit", "status": "done"},
        "_input_hash": -1120097055,
        "tokens": [
            {"text": "President", "start": 0, "end": 9, "id": 0, "ws": True},
            {"text": "Vladimir", "start": 10, "end": 18, "id": 1, "ws": True},
            {"text": "Putin", "start": 19, "end": 24, "id": 2, "ws": True},
            {"text": "met", "start": 25, "end": 28, "id": 3, "ws": True},
            {"text": "Kim", "start": 29, "end": 32, "id": 4, "ws": True},
            {"text": "in", "start": 33, "end": 35, "id": 5, "ws": True},
            {"text": "Moscow", "start": 36, "end": 42, "id": 6, "ws": False},
            {"text": ".", "start": 42, "end": 43, "id": 7, "ws": False},
        ],
        "spans": [
            {"start": 10, "end": 24, "label": "PERSON", "token_start": 1, "token_end": 2},
            {"start": 29, "end": 32, "label": "PERSON", "token_start": 4, "token_end": 4},
            {"start": 36, "end": 42, "label": "GPE", "token_start": 6, "token_end": 6},
        ],
        "answer": "accept",
        "_task_hash": -1415249589,
    }


def test_hashes_follow_text_and_annotations():
    doc = Document(1, SUMMIT)
    a = to_task(doc, [Span(36, 42, "GPE")])
    b = to_task(Document(2, SUMMIT, "other title"), [Span(36, 42, "GPE")])
    c = to_task(doc, [Span(36, 42, "LOC")])
    d = to_task(Document(1, SUMMIT + " "), [Span(36, 42, "GPE")])
    assert a["_input_hash"] == b["_input_hash"] == c["_input_hash"] != d["_input_hash"]
    assert a["_task_hash"] == b["_task_hash"] != c["_task_hash"]


def test_to_task_splits_a_token_a_span_cuts_into():
    text = "NorthKorea's missiles"
    t = to_task(Document(1, text), [Span(5, 10, "GPE")])
    assert [(x["text"], x["ws"]) for x in t["tokens"]][:3] == [("North", False), ("Korea", False), ("'s", True)]
    assert t["spans"] == [{"start": 5, "end": 10, "label": "GPE", "token_start": 1, "token_end": 1}]


TRICKY = {
    "emoji": "Seoul😀 and Tokyo 😀😀 agreed.",
    "flag": "South Korea 🇰🇷 and North Korea🇰🇵 met.",
    "rare_cjk": "𠮷野家 opened in 東京 and Seoul.",
    "combining": "The Café in Saint-E\u0301tienne and Zu\u0308rich.",
    "crlf": "Line one, Moscow.\r\nLine two, Seoul.\r\n\r\nEnd",
    "tab": "Name:\tKim Jong Un\tPyongyang",
    "double_spaces": "Kim  met   Putin    in  Moscow .  ",
    "leading_space": "  Kim met Putin.",
    "mixed": " 😀\t🇰🇷 𠮷 e\u0301 \r\n  Kim\u00a0Jong\u2028Un  ",
}


def assert_task_is_consistent(task: dict, vocab) -> None:
    text, tokens = task["text"], task["tokens"]
    assert [t["id"] for t in tokens] == list(range(len(tokens)))
    for t in tokens:
        assert t["text"] == text[t["start"]:t["end"]] and t["text"]
    # Tokens tile the text: each token, its single optional space, then the next token.
    pos = 0
    for t in tokens:
        assert t["start"] == pos
        pos = t["end"] + (1 if t["ws"] else 0)
        if t["ws"]:
            assert text[t["end"]] == " "
    assert pos == len(text)
    doc = Doc(vocab, words=[t["text"] for t in tokens], spaces=[t["ws"] for t in tokens])
    assert doc.text == text
    for s in task["spans"]:
        assert s["token_start"] is not None and s["token_end"] is not None, s
        assert tokens[s["token_start"]]["start"] == s["start"]
        assert tokens[s["token_end"]]["end"] == s["end"]              # token_end is inclusive
        span = doc.char_span(s["start"], s["end"], label=s["label"], alignment_mode="strict")
        assert span is not None, s
        assert span.text == text[s["start"]:s["end"]]
        assert (span.start, span.end - 1, span.label_) == (s["token_start"], s["token_end"], s["label"])


def word_spans(text: str) -> list[Span]:
    """One span per run of non-space characters, as a person might label words."""
    spans, i = [], 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        j = i
        while j < len(text) and not text[j].isspace():
            j += 1
        spans.append(Span(i, j, "X"))
        i = j
    return spans


@pytest.mark.parametrize("name", TRICKY)
def test_tokens_rebuild_the_text_exactly(name, vocab):
    text = TRICKY[name]
    for spans in ([], word_spans(text)):
        task = to_task(Document(1, text), spans)
        assert task["text"] == text
        assert_task_is_consistent(task, vocab)
        assert [text[s["start"]:s["end"]] for s in task["spans"]] == [text[s.start:s.end] for s in spans]


@pytest.mark.parametrize("name", TRICKY)
def test_spans_cutting_inside_tokens_and_spaces_still_get_tokens(name, vocab):
    """Boundaries anywhere: inside a spaCy token, between a flag's two code points, between a
    letter and its combining accent, between CR and LF, on the space after a token."""
    text = TRICKY[name]
    rng = random.Random(name)
    for _ in range(60):
        cuts = sorted(rng.sample(range(len(text) + 1), k=min(len(text) + 1, rng.randint(2, 8))))
        spans = [Span(a, b, "X") for a, b in zip(cuts[::2], cuts[1::2]) if a < b]
        task = to_task(Document(1, text), spans)
        assert_task_is_consistent(task, vocab)
        assert len(task["spans"]) == len(spans)


def test_spans_ending_on_or_starting_with_a_space(vocab):
    # spaCy keeps the single space after a token in no token (its whitespace_): a span that
    # ends after such a space, or starts on it, needs that space as a token of its own.
    text = "a  b c "
    spans = [Span(0, 2, "X"), Span(4, 7, "Z")]
    assert [text[s.start:s.end] for s in spans] == ["a ", " c "]
    task = to_task(Document(1, text), spans)
    assert_task_is_consistent(task, vocab)
    assert [(t["text"], t["start"], t["ws"]) for t in task["tokens"]] == [
        ("a", 0, False), (" ", 1, False), (" ", 2, False), ("b", 3, False), (" ", 4, False),
        ("c", 5, False), (" ", 6, False)]
    assert [(s["token_start"], s["token_end"]) for s in task["spans"]] == [(0, 1), (4, 6)]


def test_span_without_whitespace_edges_keeps_spacy_tokens():
    # Gap tokens appear only where a span needs them: ordinary spans leave spaCy's tokens as is.
    text = "Kim met Putin ."
    t = to_task(Document(1, text), [Span(0, 3, "PERSON"), Span(8, 13, "PERSON")])
    assert [(x["text"], x["ws"]) for x in t["tokens"]] == [("Kim", True), ("met", True), ("Putin", True), (".", False)]


def test_export_uses_a_given_tokenizer(pipeline, vocab):
    text = TRICKY["mixed"]
    task = to_task(Document(1, text), word_spans(text), pipeline.nlp.tokenizer)
    assert_task_is_consistent(task, vocab)


def test_write_jsonl_one_line_per_document_raw_utf8():
    out = io.StringIO()
    docs = [(Document(1, "Seoul\u2028😀"), [Span(0, 5, "GPE")]), (Document(2, "b"), [])]
    assert write_jsonl(docs, out) == 2
    lines = out.getvalue().split("\n")
    assert lines[-1] == "" and len(lines) == 3
    assert "😀" in lines[0] and "\\ud83d" not in lines[0]
    assert json.loads(lines[0])["text"] == "Seoul\u2028😀"
    assert json.loads(lines[1])["meta"] == {"doc_id": 2, "title": "", "status": "new"}
    assert json.loads(lines[1])["answer"] == "ignore"        # not done


def test_export_then_import_round_trips(tmp_path):
    text = TRICKY["mixed"]
    spans = [s for s in word_spans(text)]
    path = tmp_path / "out.jsonl"
    with path.open("w", encoding="utf-8", newline="\n") as f:
        write_jsonl([(Document(1, text, "T", {"k": 1}, "done"), spans)], f)
    docs, problems = read_jsonl(path)
    assert problems == []
    assert docs[0]["text"] == text and docs[0]["spans"] == spans
    assert docs[0]["title"] == "T" and docs[0]["status"] == "done"
