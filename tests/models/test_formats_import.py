"""Import of annotated data — doccano, brat, .spacy, Prodigy JSONL: spans checked against the
text, each problem named with file, line and span, the document kept with its valid spans,
labels the project lacks added and reported."""
from __future__ import annotations

import json

import pytest

from models.formats.brat import parse_ann
from models.formats.doccano import parse_record
from models.importer import expand, import_paths, read_source
from models.spans import Span
from models.store import Store

from .helpers import query

TEXT = "Kim met Putin in Moscow 😀 on Monday."


def write_jsonl(path, objs) -> None:
    path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs), encoding="utf-8")


# -- doccano --------------------------------------------------------------------------------------

def test_doccano_forms_of_spans(tmp_path):
    path = tmp_path / "d.jsonl"
    write_jsonl(path, [
        {"id": 7, "text": TEXT, "label": [[0, 3, "PERSON"], [8, 13, "PERSON"]], "Comments": []},
        {"text": "Seoul talks", "labels": [[0, 5, "GPE"]]},
        {"text": "Tokyo talks", "entities": [{"id": 1, "start_offset": 0, "end_offset": 5, "label": "GPE"}],
         "relations": []},
        {"text": "no entities at all"},
    ])
    docs, problems = read_source(path, "doccano")
    assert problems == []
    assert [d["spans"] for d in docs] == [[Span(0, 3, "PERSON"), Span(8, 13, "PERSON")],
                                         [Span(0, 5, "GPE")], [Span(0, 5, "GPE")], []]
    assert docs[0]["meta"] == {"id": 7, "Comments": []} and docs[2]["meta"] == {"relations": []}
    assert all(d["status"] == "done" for d in docs)


def test_doccano_utf16_offsets_are_converted(tmp_path):
    text = "😀 Seoul and 🇰🇷 Korea 𠮷"
    u16 = lambda i: len(text[:i].encode("utf-16-le")) // 2      # noqa: E731
    seoul, korea = (text.index("Seoul"), text.index("Seoul") + 5), (text.index("Korea"), text.index("Korea") + 5)
    path = tmp_path / "d.jsonl"
    write_jsonl(path, [{"text": text, "label": [[u16(seoul[0]), u16(seoul[1]), "GPE"],
                                                 [u16(korea[0]), u16(korea[1]), "GPE"],
                                                 [1, 3, "X"]]}])          # 1: inside the first emoji
    docs, problems = read_source(path, "doccano", offsets="utf16")
    assert docs[0]["spans"] == [Span(*seoul, "GPE"), Span(*korea, "GPE")]
    [p] = problems
    assert (p.file, p.line, p.rejected) == (str(path), 1, False)
    assert p.message.startswith("span 3 (1-3 X, UTF-16) skipped") and "surrogate pair" in p.message
    # UTF-16 is the default (doccano's own counting).
    assert read_source(path, "doccano") == (docs, problems)
    # Read as code points, the same file's offsets are off by the astral characters before
    # them: imported as read, with a warning saying how the other unit reads them.
    docs, problems = read_source(path, "doccano", offsets="codepoints")
    assert [text[s.start:s.end] for s in docs[0]["spans"]] == [" S", "eoul "]
    p, outside = problems
    assert outside.message.startswith("span 2 (18-23 GPE) skipped: 18-23 is empty, inverted or outside")
    assert (p.line, p.rejected) == (1, False)
    assert p.message == ("3 spans read as code points select text edged with whitespace or "
                         "cutting a character (e.g. 3-8: 'eoul ', read as UTF-16 units 'Seoul'), "
                         "and read as UTF-16 units only 1 would: was the file made counting UTF-16 "
                         "units? If so, import it with --offsets utf16")


def test_doccano_problems_are_named_with_line_and_span_and_the_valid_spans_kept(tmp_path):
    path = tmp_path / "d.jsonl"
    write_jsonl(path, [
        {"text": TEXT, "label": [[0, 3, "PERSON"], [8, 13, "PERSON"], [10, 16, "ORG"], [40, 80, "GPE"],
                                 [5, 5, "GPE"], [3, 0, "GPE"], [17, 23, "NEW LABEL"], ["a", 3, "X"],
                                 [0, 3], {"start": 0}]},
        {"text": "Seoul", "label": ["positive"]},
        {"text": ""},
        {"label": [[0, 1, "X"]]},
    ])
    docs, problems = read_source(path, "doccano")
    assert [d["text"] for d in docs] == [TEXT, "Seoul"]
    assert docs[0]["spans"] == [Span(0, 3, "PERSON")]
    msgs = [(p.line, p.message) for p in problems]
    assert msgs[0][1].startswith("span 9 skipped: expected [start, end, label]")
    assert msgs[1][1].startswith("span 10 skipped")
    assert msgs[2] == (1, "span 4 (40-80 GPE) skipped: 40-80 is empty, inverted or outside the text (length 36)")
    assert msgs[3][1].startswith("span 5 (5-5 GPE) skipped: 5-5 is empty")
    assert msgs[4][1].startswith("span 6 (3-0 GPE) skipped")
    assert msgs[5][1] == "span 7 (17-23 NEW LABEL) skipped: label 'NEW LABEL' must be 1-100 characters without spaces"
    assert msgs[6][1] == "span 8 skipped: offsets must be integers, got 'a', 3"
    assert msgs[7] == (1, "spans dropped: spans 8-13 and 10-16 overlap: 8-13 PERSON 'Putin', 10-16 ORG 'tin in'")
    assert msgs[8][0] == 2 and "list of categories" in msgs[8][1]
    assert msgs[9:] == [(3, "'text' must be a non-empty string"), (4, "no 'text' field")]
    assert [p.rejected for p in problems] == [False] * 9 + [True, True]


def test_doccano_round_trips_our_own_fields():
    line = json.dumps({"text": "Kim", "label": [[0, 3, "PERSON"]], "doc_id": 9, "title": "T",
                       "status": "in progress", "url": "u", "meta": {"label": "x"}})
    doc, problems = parse_record(line, "f", 1)
    assert problems == []
    assert (doc["title"], doc["status"], doc["meta"]) == ("T", "in progress", {"url": "u", "label": "x"})


def test_jsonl_that_looks_like_doccano_says_so_once(store, tmp_path):
    path = tmp_path / "d.jsonl"
    write_jsonl(path, [{"text": "Kim", "label": [[0, 3, "PERSON"]]}, {"text": "Lee", "label": [[0, 3, "PERSON"]]}])
    report = import_paths(store, [path])
    assert len(report.added) == 2
    [p] = report.problems
    assert p.line == 1 and not p.rejected and "--format doccano" in p.message


def test_offsets_utf16_is_for_doccano_only(store, tmp_path):
    with pytest.raises(ValueError, match="doccano only"):
        import_paths(store, [tmp_path], fmt="jsonl", offsets="utf16")


# -- Prodigy JSONL --------------------------------------------------------------------------------

def test_jsonl_overlapping_spans_are_dropped_and_the_others_kept(tmp_path):
    path = tmp_path / "t.jsonl"
    write_jsonl(path, [{"text": TEXT, "spans": [{"start": 0, "end": 3, "label": "PERSON"},
                                                {"start": 8, "end": 13, "label": "PERSON"},
                                                {"start": 10, "end": 16, "label": "ORG"},
                                                {"start": 12, "end": 23, "label": "GPE"},
                                                {"start": 17, "end": 23, "label": "GPE"}]}])
    docs, problems = read_source(path)
    assert docs[0]["spans"] == [Span(0, 3, "PERSON")]
    [p] = problems
    assert p.message == "spans dropped: spans 8-13, 10-16, 12-23 and 17-23 overlap"


# -- brat ------------------------------------------------------------------------------------------

def brat_pair(folder, name, text, ann) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.txt").write_bytes(text.encode("utf-8"))
    (folder / f"{name}.ann").write_bytes(ann.encode("utf-8"))


CRLF = "Kim met\r\nPutin in Moscow.\r\n"


def test_brat_folder_pairs_and_fragments(store, project, tmp_path):
    folder = tmp_path / "brat"
    brat_pair(folder, "b", CRLF, "T1\tPERSON 0 3\tKim\nT2\tPERSON 4 7;9 14\tmet Putin\n"
                                 "R1\tRel Arg1:T1 Arg2:T2\n#1\tAnnotatorNotes T1\tnote\nA1\tNeg T1\n")
    brat_pair(folder, "a", "Seoul talks", "")
    (folder / "plain.txt").write_text("A plain article.", encoding="utf-8")
    (folder / "annotation.conf").write_text("[entities]\nPERSON\n", encoding="utf-8")
    sources, _ = expand([folder])
    assert [(s.name, s.fmt) for s in sources] == [("a.ann", "brat"), ("b.ann", "brat"), ("plain.txt", "txt")]
    report = import_paths(store, [folder])
    assert len(report.added) == 3
    [p] = report.problems
    assert (p.file, p.line, p.rejected) == (str(folder / "b.ann"), 3, False)
    assert p.message == "3 lines other than entities (relations, events, attributes, notes) ignored"
    a, b, plain = report.added
    assert store.document(b).text == CRLF
    assert store.spans(b) == [Span(0, 3, "PERSON"), Span(4, 14, "PERSON")]        # fragments joined
    assert (store.document(a).status, store.document(plain).status) == ("done", "new")
    assert store.document(b).meta == {"source": "b.txt"}


def test_brat_given_by_either_file(store, tmp_path):
    brat_pair(tmp_path, "x", "Seoul talks", "T1\tGPE 0 5\tSeoul\n")
    for path in (tmp_path / "x.ann", tmp_path / "x.txt"):
        docs, problems = read_source(path, "brat")
        assert problems == [] and docs[0]["spans"] == [Span(0, 5, "GPE")] and docs[0]["text"] == "Seoul talks"
    docs, problems = read_source(tmp_path / "x.ann")                 # .ann: brat by its ending
    assert docs[0]["spans"] == [Span(0, 5, "GPE")]


def test_brat_problems_name_the_ann_line(tmp_path):
    text = "Kim met Putin in Moscow."
    ann = ("T1\tPERSON 0 3\tKim\n"
           "T2\tPERSON 8 13\tPutinX\n"              # text does not match
           "T3\tGPE 17 23;5 7\tMoscow et\n"         # fragments in the wrong order, with a gap
           "T4\tGPE 0 3;8 13\tKim Putin\n"          # discontinuous
           "T5\tGPE 17 90\tMoscow\n"                # out of range
           "T6\tORG 1 5\tim m\n"                    # overlaps T1
           "T7\tGPE x y\tz\n"
           "T8 broken\n")
    spans, problems = parse_ann(ann, text, "x.ann")
    assert spans == []
    got = [(p.line, p.message.split(":")[0]) for p in problems]
    assert got == [(2, "T2 (8 13 PERSON) skipped"), (3, "T3 (17 23;5 7 GPE) skipped"),
                   (4, "T4 (0 3;8 13 GPE) skipped"), (7, "T7 skipped"), (8, "T8 skipped"),
                   (5, "T5 (17-90 GPE) skipped"), (1, "spans dropped")]
    assert "the text at 8 13 is 'Putin', the line says 'PutinX'" in problems[0].message
    assert "discontinuous" in problems[2].message
    assert "(line 6)" in problems[-1].message


def test_brat_text_without_ann_and_ann_without_text(store, tmp_path):
    (tmp_path / "lone.txt").write_text("Lone text.", encoding="utf-8")
    (tmp_path / "orphan.ann").write_text("T1\tX 0 1\ta\n", encoding="utf-8")
    report = import_paths(store, [tmp_path / "lone.txt", tmp_path / "orphan.ann"], fmt="brat")
    assert len(report.added) == 1
    warn, missing = report.problems
    assert "no .ann file" in warn.message and not warn.rejected
    assert missing.file == str(tmp_path / "orphan.txt") and missing.rejected


# -- .spacy -------------------------------------------------------------------------------------------

def test_foreign_docbin_documents_come_in_done_with_their_entities(store, tmp_path):
    import spacy
    from spacy.tokens import DocBin
    nlp = spacy.blank("en")
    a = nlp("Kim met Putin in Moscow.")
    a.ents = [a.char_span(0, 3, "PERSON"), a.char_span(17, 23, "CITY")]
    b = nlp("No entities here.")
    path = tmp_path / "train.spacy"
    DocBin(docs=[a, b]).to_disk(path)
    report = import_paths(store, [path])
    assert report.problems == [] and len(report.added) == 2
    assert report.new_labels == ["CITY"]
    assert report.new_label_where == {"CITY": f"{path}:1, span 17-23 'Moscow'"}
    d1, d2 = report.added
    assert store.spans(d1) == [Span(0, 3, "PERSON"), Span(17, 23, "CITY")] and store.spans(d2) == []
    assert store.document(d1).status == "done" and store.document(d1).meta == {"source": "train.spacy"}
    assert store.document(d1).title == "Kim met Putin in Moscow."


def test_a_file_that_is_not_a_docbin(store, tmp_path):
    path = tmp_path / "x.spacy"
    path.write_bytes(b"not zlib at all")
    report = import_paths(store, [path])
    [p] = report.problems
    assert report.added == [] and p.rejected and "not a spaCy DocBin" in p.message


# -- the import as a whole -----------------------------------------------------------------------------

def test_new_labels_are_added_and_reported_with_where_they_were_first_seen(store, project, tmp_path):
    path = tmp_path / "d.jsonl"
    write_jsonl(path, [{"text": "Glock 17 sold.", "label": [[0, 8, "WEAPON"]]},
                       {"text": "AK-47 sold.", "label": [[0, 5, "WEAPON"]]}])
    report = import_paths(store, [path], fmt="doccano")
    assert report.new_labels == ["WEAPON"] and report.problems == []
    assert report.new_label_where == {"WEAPON": f"{path}:1, span 0-8 'Glock 17'"}
    assert report.summary() == "2 added, new labels: WEAPON"
    assert "WEAPON" in store.labels()


def test_a_failing_batch_leaves_no_part_of_itself(store, project, tmp_path, monkeypatch):
    path = tmp_path / "d.jsonl"
    write_jsonl(path, [{"text": f"Doc {i} Seoul", "label": [[6 + len(str(i)), 11 + len(str(i)), "CITY"]]}
                       for i in range(10)])
    real = Store.add_documents

    def failing(self, docs):
        real(self, docs)
        raise OSError("disk full")
    monkeypatch.setattr(Store, "add_documents", failing)
    with pytest.raises(OSError):
        import_paths(store, [path], fmt="doccano")
    assert query(project, "SELECT count(*) FROM documents") == [(0,)]
    assert query(project, "SELECT count(*) FROM labels WHERE name = 'CITY'") == [(0,)]


def test_doccano_offsets_counted_the_other_way_are_read_as_given_with_a_warning(tmp_path):
    text = "😀 Xi Jinping met Moon Jae-in 🇰🇷 in Seoul."
    spans = [("Xi Jinping", "PERSON"), ("Moon Jae-in", "PERSON"), ("Seoul", "GPE")]
    cps = [[text.index(p), text.index(p) + len(p), label] for p, label in spans]
    path = tmp_path / "cp.jsonl"
    write_jsonl(path, [{"text": text, "label": cps},
                       {"text": "Xi Jinping 😀", "label": [[0, 10, "PERSON"]]},   # the same both ways
                       {"text": "No emoji: Xi Jinping.", "label": [[10, 20, "PERSON"]]}])
    # Read the default way (UTF-16, as doccano counts), a code-point file selects odd text.
    docs, problems = read_source(path, "doccano")
    assert [text[s.start:s.end] for s in docs[0]["spans"]] == [" Xi Jinpin", " Moon Jae-i", "in Se"]
    [p] = problems
    assert (p.file, p.line, p.rejected) == (str(path), 1, False)
    assert p.message.startswith("2 spans read as UTF-16 units select text edged with whitespace "
                                "or cutting a character (e.g. 2-12: ' Xi Jinpin', read as code "
                                "points 'Xi Jinping'), and read as code points none would")
    assert p.message.endswith("import it with --offsets codepoints")
    # Told the right unit: exact, and nothing to say.
    docs, problems = read_source(path, "doccano", offsets="codepoints")
    assert problems == []
    assert [(text[s.start:s.end], s.label) for s in docs[0]["spans"]] == spans
    assert [d["spans"] for d in docs[1:]] == [[Span(0, 10, "PERSON")], [Span(10, 20, "PERSON")]]


def test_doccanos_own_export_read_as_code_points_is_named(tmp_path):
    """What doccano writes (UTF-16 units) read as code points: "Xi Jinping" becomes
    "i Jinping " — no longer silent."""
    text = "😀 Xi Jinping spoke."
    start16 = len(text[:text.index("Xi")].encode("utf-16-le")) // 2
    path = tmp_path / "doccano.jsonl"
    write_jsonl(path, [{"id": 7, "text": text, "label": [[start16, start16 + 10, "PERSON"]],
                        "Comments": []}])
    docs, problems = read_source(path, "doccano", offsets="codepoints")
    [s] = docs[0]["spans"]
    assert text[s.start:s.end] == "i Jinping "
    [p] = problems
    assert "'i Jinping '" in p.message and "'Xi Jinping'" in p.message
    assert p.message.endswith("import it with --offsets utf16")
    docs, problems = read_source(path, "doccano")
    assert problems == [] and docs[0]["spans"] == [Span(text.index("Xi"), text.index("Xi") + 10, "PERSON")]
    assert docs[0]["meta"] == {"id": 7, "Comments": []} and docs[0]["status"] == "done"
