"""export(store, out, fmt, **options): each format's output, the spaCy split and alignment
rules, and that an export is written whole or not at all."""
from __future__ import annotations

import errno
import json

import pytest

from models.exporter import (ExportError, MisalignedSpans, export, export_jsonl, split_dev)
from models.formats import brat, conll
from models.formats.prodigy import write_jsonl
from models.formats.offsets import OffsetError, Utf16
from models.spans import Span
from models.store import Store

from .test_roundtrip import CORPUS, NOT_DONE, build


@pytest.fixture
def corpus(tmp_path):
    store = build(tmp_path / "corpus.annot")
    yield store
    store.close()


def one_doc(path, text: str, spans: list[Span], status: str = "done") -> Store:
    store = Store(path)
    store.add_documents([{"text": text, "title": "T", "spans": spans, "status": status}])
    return store


def lines(path) -> list[str]:
    data = path.read_text("utf-8")
    assert data.endswith("\n") or data == ""
    return data.split("\n")[:-1]


# -- JSONL ------------------------------------------------------------------------------------------

def test_jsonl_is_byte_identical_to_the_earlier_export(corpus, tmp_path):
    out = tmp_path / "new.jsonl"
    for everything in (False, True):
        report = export(corpus, out, "jsonl", all_documents=everything)
        with (tmp_path / "old.jsonl").open("w", encoding="utf-8", newline="\n") as f:
            n = write_jsonl(corpus.iter_documents(None if everything else ("done",)), f)
        assert report.documents == n == len(CORPUS) + everything
        assert out.read_bytes() == (tmp_path / "old.jsonl").read_bytes()
        assert report.summary() == f"{n} documents exported"
    assert export_jsonl(corpus, out) == len(CORPUS)


def test_each_line_is_the_task_as_json_with_prodigys_hashes(corpus, tmp_path):
    """The line is written from pieces (the text encoded once): it must be exactly
    ``json.dumps(task)``, and the hashes murmurhash of the sorted JSON, as Prodigy makes them."""
    from models.formats.prodigy import _hash, to_task
    out = tmp_path / "out.jsonl"
    for no_tokens in (False, True):
        export(corpus, out, "jsonl", all_documents=True, no_tokens=no_tokens)
        written = lines(out)
        items = list(corpus.iter_documents(None))
        assert len(written) == len(items) == len(CORPUS) + 1
        for line, (doc, spans) in zip(written, items):
            task = to_task(doc, spans, tokens=not no_tokens)
            assert line == json.dumps(task, ensure_ascii=False)
            assert task["_input_hash"] == _hash({"text": doc.text})
            assert task["_task_hash"] == _hash({"text": doc.text, "spans": task["spans"]})


def test_jsonl_without_tokens_has_character_offsets_only(corpus, tmp_path):
    full, bare = tmp_path / "full.jsonl", tmp_path / "bare.jsonl"
    export(corpus, full, "jsonl", all_documents=True)
    export(corpus, bare, "jsonl", all_documents=True, no_tokens=True)
    pairs = list(zip(map(json.loads, lines(full)), map(json.loads, lines(bare))))
    assert len(pairs) == len(CORPUS) + 1
    for a, b in pairs:
        assert "tokens" in a and "tokens" not in b
        assert b["spans"] == [{k: s[k] for k in ("start", "end", "label")} for s in a["spans"]]
        for k in ("text", "meta", "answer", "_input_hash"):
            assert b[k] == a[k]
        for s in b["spans"]:
            assert b["text"][s["start"]:s["end"]]          # on the exact characters
    with pytest.raises(ValueError, match="no_tokens does not apply to the spacy format"):
        export(corpus, tmp_path / "x", "spacy", no_tokens=True)


def test_export_to_a_stream(corpus, tmp_path):
    import io
    buf = io.StringIO()
    report = export(corpus, buf, "doccano")
    assert report.documents == len(CORPUS) and report.files == []
    assert len(buf.getvalue().split("\n")) == len(CORPUS) + 1


def test_a_project_path_is_opened_and_closed(corpus, tmp_path):
    report = export(corpus.path, tmp_path / "x.jsonl", "jsonl")
    assert report.documents == len(CORPUS)


# -- doccano ------------------------------------------------------------------------------------------

def test_doccano_records(corpus, tmp_path):
    out = tmp_path / "d.jsonl"
    export(corpus, out, "doccano", all_documents=True)
    records = [json.loads(x) for x in lines(out)]
    # The same six keys on every line, in the same order, none of them null.
    assert all(list(r) == ["text", "label", "doc_id", "title", "status", "meta"] for r in records)
    assert all(v is not None for r in records for v in r.values())
    assert records[0]["meta"] == {"source": "corpus.txt", "n": 0}
    assert records[0]["label"] == [[0, 5, "GPE"], [12, 17, "GPE"]]     # UTF-16: the emoji is 2
    assert records[7]["label"] == []                                   # no entities
    assert records[-1]["text"] == NOT_DONE and records[-1]["status"] == "new"
    assert records[-1]["meta"] == {}
    for r in records:
        text16 = r["text"].encode("utf-16-le")
        for start, end, label in r["label"]:
            assert text16[2 * start:2 * end].decode("utf-16-le").strip()


def test_doccano_meta_is_nested_whatever_its_keys(tmp_path):
    store = Store(tmp_path / "p.annot")
    store.add_documents([{"text": "Kim", "meta": {"label": "politics", "text": "x", "url": "u"}},
                         {"text": "Moon", "title": "T"}])
    out = tmp_path / "d.jsonl"
    export(store, out, "doccano", all_documents=True)
    records = [json.loads(x) for x in lines(out)]
    assert records == [{"text": "Kim", "label": [], "doc_id": 1, "title": "", "status": "new",
                        "meta": {"label": "politics", "text": "x", "url": "u"}},
                       {"text": "Moon", "label": [], "doc_id": 2, "title": "T", "status": "new",
                        "meta": {}}]
    store.close()


def doccano_metas(lines_: list[str]) -> list[dict]:
    """What doccano 1.8 stores as each example's meta, the way its upload does it
    (``backend/data_import/pipeline``: the batch of rows as one pandas ``DataFrame`` with its
    own columns added, the label column left out, ``to_dict(orient="records")``, every column
    but the text and its own as the meta), checked as its database checks it
    (``JSON_VALID("meta")``: no NaN, which is not JSON)."""
    import pandas as pd
    rows = [dict(json.loads(x), filename="f", upload_name="d.jsonl", uuid=str(k), line_num=k)
            for k, x in enumerate(lines_, 1)]
    df = pd.DataFrame(rows)
    df = df.loc[:, ~df.columns.isin(["label"])].dropna(subset=["text"])
    metas = []
    for row in df.to_dict(orient="records"):
        meta = {k: v for k, v in row.items()
                if k not in ("text", "filename", "upload_name", "uuid", "line_num")}
        json.dumps(meta, allow_nan=False)           # ValueError: NaN, JSON_VALID refuses it
        metas.append(meta)
    return metas


def test_doccano_export_passes_doccanos_dataframe_reader_without_nan(corpus, tmp_path):
    import pandas as pd
    store = Store(tmp_path / "mixed.annot")
    store.add_documents([{"text": "Kim met Moon.", "meta": {"url": "https://a", "date": None}},
                         {"text": "Seoul 😀 said.", "title": "Seoul", "meta": {"section": "world"}},
                         {"text": "Nothing."}])
    for project in (corpus, store):
        out = tmp_path / "d.jsonl"
        export(project, out, "doccano", all_documents=True)
        metas = doccano_metas(lines(out))
        assert len(metas) == project.count_documents(None)
        framed = pd.read_json(out, lines=True, dtype=False)
        assert list(framed.columns) == ["text", "label", "doc_id", "title", "status", "meta"]
        assert not framed.isna().any().any()
    assert [m["meta"] for m in metas] == [{"url": "https://a", "date": None}, {"section": "world"}, {}]
    assert [m["title"] for m in metas] == ["", "Seoul", ""]
    store.close()


def test_the_doccano_reader_check_refuses_what_the_old_export_wrote():
    """The check above can fail: lines with different top-level keys give NaN."""
    with pytest.raises(ValueError):
        doccano_metas([json.dumps({"text": "a", "label": [], "url": "u"}),
                       json.dumps({"text": "b", "label": []})])


def test_utf16_offsets():
    text = "a😀b🇰🇷c𠮷d"
    conv = Utf16(text)
    assert [conv.to_utf16(i) for i in range(len(text) + 1)] == [0, 1, 3, 4, 6, 8, 9, 11, 12]
    assert [conv.from_utf16(u) for u in (0, 1, 3, 4, 6, 8, 9, 11, 12)] == list(range(len(text) + 1))
    for inside in (2, 5, 7, 10):
        with pytest.raises(OffsetError):
            conv.from_utf16(inside)
    assert len(text.encode("utf-16-le")) // 2 == conv.length16 == 12


# -- brat ------------------------------------------------------------------------------------------

def test_brat_files_keep_the_exact_text_and_cut_line_breaks_into_fragments(corpus, tmp_path):
    out = tmp_path / "brat"
    report = export(corpus, out, "brat")
    names = sorted(p.name for p in out.iterdir())
    assert names == ["annotation.conf"] + [f"doc-{i:06d}.{e}" for i in range(1, len(CORPUS) + 1) for e in ("ann", "txt")]
    assert report.files and all(p.exists() for p in report.files)
    crlf_text = CORPUS[4][0]
    assert (out / "doc-000005.txt").read_bytes() == crlf_text.encode("utf-8")       # CRLF kept
    ann = (out / "doc-000005.ann").read_text("utf-8").split("\n")
    kim = crlf_text.index("Kim\r\n")
    assert ann[4] == f"T5\tPERSON {kim} {kim + 3};{kim + 5} {kim + 12}\tKim Jong Un"
    assert (out / "doc-000008.ann").read_bytes() == b""                             # no entities
    assert "[entities]\nPERSON\nORG\n" in (out / "annotation.conf").read_text("utf-8")
    assert "WEAPON\n" in (out / "annotation.conf").read_text("utf-8")


def test_brat_reports_spans_it_cannot_write_exactly():
    text = "Seoul\n\nnext"
    lines_, notes = brat.ann_lines(text, [Span(0, 6, "GPE"), Span(6, 7, "X")])
    assert lines_ == ["T1\tGPE 0 5\tSeoul"]
    assert [(s.start, why) for s, why in notes] == [
        (0, "it begins or ends with a line break; written as 0-5"),
        (6, "it holds nothing but line breaks; not written")]


def test_brat_export_reports_changed_spans(tmp_path):
    store = one_doc(tmp_path / "p.annot", "Seoul\r\nnext", [Span(0, 7, "GPE")])
    report = export(store, tmp_path / "b", "brat")
    [issue] = report.changed
    assert (issue.doc_id, issue.start, issue.end, issue.text) == (1, 0, 7, "Seoul\r\n")
    assert "written as 0-5" in str(issue) and "1 spans changed" in report.summary()
    store.close()


# -- spaCy ----------------------------------------------------------------------------------------

def test_split_is_by_text_stable_and_never_leaves_a_side_empty():
    items = [(i, f"hash{i}") for i in range(1, 201)]
    dev = split_dev(items, 0.2, seed=3)
    assert dev == split_dev(list(reversed(items)), 0.2, seed=3)         # order does not matter
    assert dev == split_dev(items + [(999, "other")], 0.2, seed=3) - {999}   # nor other documents
    assert 20 <= len(dev) <= 60
    assert split_dev(items, 0.2, seed=4) != dev
    assert split_dev([(1, "a"), (2, "b")], 0.2) and len(split_dev([(1, "a"), (2, "b")], 0.2)) == 1
    assert len(split_dev([(1, "a"), (2, "b")], 0.99)) == 1
    assert split_dev([(1, "a")], 0.2) == set() and split_dev(items, 0.0) == set()
    assert split_dev(items, 1.0) == {i for i, _ in items}
    with pytest.raises(ValueError):
        split_dev(items, 1.5)


def test_spacy_files_are_the_same_in_every_run(corpus, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    ra = export(corpus, a, "spacy", seed=1)
    export(corpus, b, "spacy", seed=1)
    assert (a / "train.spacy").read_bytes() == (b / "train.spacy").read_bytes()
    assert (a / "dev.spacy").read_bytes() == (b / "dev.spacy").read_bytes()
    assert ra.summary() == f"{len(CORPUS)} documents exported ({ra.train} train, {ra.dev} dev, {ra.spans} entities)"
    assert ra.dev >= 1 and ra.train >= 1


MISALIGNED = "NorthKorea's Kim met  Putin ."


def misaligned_project(path) -> Store:
    # "Korea" inside the token "NorthKorea"; "Kim " ends on the space after a token; " Putin"
    # begins on a whitespace token (two spaces: the second is a token of its own).
    return one_doc(path, MISALIGNED, [Span(5, 10, "GPE"), Span(13, 17, "PERSON"), Span(21, 27, "PERSON")])


def test_spacy_stops_with_every_span_that_does_not_line_up(tmp_path):
    store = misaligned_project(tmp_path / "p.annot")
    out = tmp_path / "spacy"
    out.mkdir()
    (out / "train.spacy").write_bytes(b"previous")
    with pytest.raises(MisalignedSpans) as e:
        export(store, out, "spacy")
    issues = e.value.report.misaligned
    assert [(i.doc_id, i.start, i.end, i.text) for i in issues] == [
        (1, 5, 10, "Korea"), (1, 13, 17, "Kim "), (1, 21, 27, " Putin")]
    assert "does not line up" in issues[0].note and "whitespace" in issues[2].note
    assert "3 spans do not line up" in str(e.value) and "--snap" in str(e.value)
    assert sorted(p.name for p in out.iterdir()) == ["train.spacy"]             # nothing written
    assert (out / "train.spacy").read_bytes() == b"previous"
    store.close()


@pytest.mark.parametrize("snap,expected", [
    ("expand", [(0, 10, "NorthKorea"), (13, 16, "Kim"), (22, 27, "Putin")]),
    ("contract", [(13, 16, "Kim"), (22, 27, "Putin")]),
])
def test_snap_moves_spans_to_tokens_and_says_so(tmp_path, snap, expected):
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab
    store = misaligned_project(tmp_path / "p.annot")
    report = export(store, tmp_path / "spacy", "spacy", snap=snap, dev_fraction=0.0)
    [doc] = DocBin().from_disk(tmp_path / "spacy" / "train.spacy").get_docs(Vocab())
    assert [(e.start_char, e.end_char, e.text) for e in doc.ents] == expected
    assert len(report.changed) == 3 and report.misaligned == []
    assert [i.new for i in report.changed][1:] == [(13, 16), (22, 27)]
    if snap == "contract":
        assert report.changed[0].new is None and "left out" in report.changed[0].note
    store.close()


def test_snapped_spans_that_would_overlap_are_left_out_and_reported(tmp_path):
    store = one_doc(tmp_path / "p.annot", "NorthKorea talks", [Span(0, 5, "GPE"), Span(5, 10, "GPE")])
    report = export(store, tmp_path / "s", "spacy", snap="expand")
    assert [(i.start, i.new) for i in report.changed] == [(0, (0, 10)), (5, None)]
    assert "overlap" in report.changed[1].note and report.spans == 1
    store.close()


# -- CoNLL ------------------------------------------------------------------------------------------

def test_conll_layout_tokens_and_tags(corpus, tmp_path):
    out = tmp_path / "c.conll"
    export(corpus, out, "conll")
    data = out.read_text("utf-8")
    docs = data.split(conll.DOCSTART + "\n\n")
    assert docs[0] == "" and len(docs) == len(CORPUS) + 1
    assert all(d.endswith("\n\n") for d in docs[1:])
    crlf = [s.split("\n") for s in docs[5].strip("\n").split("\n\n")]
    assert crlf == [
        ["Moscow _ _ B-GPE", ", _ _ O", "Monday _ _ B-DATE", ". _ _ O"],
        ["North _ _ B-GPE", "Korea _ _ I-GPE", "’s _ _ O", "Choe _ _ B-PERSON", "Son _ _ I-PERSON",
         "Hui _ _ I-PERSON", "met _ _ O", "Kim _ _ B-PERSON", "Jong _ _ I-PERSON", "Un _ _ I-PERSON",
         ". _ _ O"],
        ["End _ _ O"]]
    assert docs[8] == "Nothing _ _ O\nto _ _ O\nsee _ _ O\nhere _ _ O\n. _ _ O\n\n"
    for line in data.split("\n"):
        assert line == "" or len(line.split(" ")) == 4, repr(line)
        assert "\t" not in line and "\u00a0" not in line and "\r" not in line and "\u2028" not in line


def conll_entities(path) -> list[list[tuple[str, str]]]:
    """Entities per document, read back from the tags: (label, tokens joined)."""
    out = []
    for block in path.read_text("utf-8").split(conll.DOCSTART + "\n\n")[1:]:
        ents, current = [], None
        for line in block.split("\n"):
            if not line:
                current = None
                continue
            tok, _, _, tag = line.split(" ")
            if tag.startswith("B-"):
                current = [tag[2:], tok]
                ents.append(current)
            elif tag.startswith("I-"):
                assert current is not None and current[0] == tag[2:], line     # valid IOB2
                current[1] += tok
            else:
                current = None
        out.append([tuple(e) for e in ents])
    return out


def test_conll_tags_give_back_every_entity(corpus, tmp_path):
    out = tmp_path / "c.conll"
    export(corpus, out, "conll")
    expected = [[(label, "".join(piece.split())) for piece, label in ents] for _, ents in CORPUS]
    assert conll_entities(out) == expected


def test_spacys_conll_converter_reads_the_same_documents_and_entities(corpus, tmp_path):
    from spacy.training.converters import conll_ner_to_docs
    out = tmp_path / "c.conll"
    export(corpus, out, "conll")
    docs = list(conll_ner_to_docs(out.read_text("utf-8"), no_print=True))
    assert len(docs) == len(CORPUS)
    expected = [[(label, "".join(piece.split())) for piece, label in ents] for _, ents in CORPUS]
    assert [[(e.label_, "".join(t.text for t in e)) for e in d.ents] for d in docs] == expected
    assert not any(t.text == "-DOCSTART-" for d in docs for t in d)


def test_conll_never_glues_punctuation_and_splits_tokens_at_span_edges(tmp_path):
    store = one_doc(tmp_path / "p.annot", "He flew to Tokyo. NorthKorea said.",
                    [Span(11, 16, "GPE"), Span(23, 28, "GPE")])
    out = tmp_path / "c.conll"
    export(store, out, "conll")
    assert out.read_text("utf-8") == (
        conll.DOCSTART + "\n\nHe _ _ O\nflew _ _ O\nto _ _ O\nTokyo _ _ B-GPE\n. _ _ O\n\n"
        "North _ _ O\nKorea _ _ B-GPE\nsaid _ _ O\n. _ _ O\n\n")
    store.close()


def test_conll_never_breaks_a_sentence_inside_an_entity(tmp_path):
    # The sentencizer ends a sentence after "!": inside the entity, so not there.
    text = "She joined Yahoo! Japan in May. Then she left! Why?"
    store = one_doc(tmp_path / "p.annot", text, [Span(11, 23, "ORG")])
    out = tmp_path / "c.conll"
    export(store, out, "conll")
    sents = out.read_text("utf-8").split("\n\n")[1:-1]
    assert sents == ["She _ _ O\njoined _ _ O\nYahoo _ _ B-ORG\n! _ _ I-ORG\nJapan _ _ I-ORG\n"
                     "in _ _ O\nMay _ _ O\n. _ _ O", "Then _ _ O\nshe _ _ O\nleft _ _ O\n! _ _ O",
                     "Why _ _ O\n? _ _ O"]
    assert conll_entities(out) == [[("ORG", "Yahoo!Japan")]]
    store.close()


# -- labels and patterns ----------------------------------------------------------------------------

def test_labels_file_has_the_label_sets_shape(corpus, tmp_path):
    out = tmp_path / "labels.json"
    report = export(corpus, out, "labels")
    data = json.loads(out.read_text("utf-8"))
    assert [lab["name"] for lab in data["labels"]] == corpus.labels().names()
    assert data["labels"][0] == {"name": "PERSON", "color": "#aa9cfc", "key": "1",
                                 "description": "People, including fictional"}
    assert report.summary() == f"{len(corpus.labels())} labels exported"


def test_patterns_are_the_distinct_labelled_strings(corpus, tmp_path):
    out = tmp_path / "patterns.jsonl"
    report = export(corpus, out, "patterns")
    patterns = [json.loads(x) for x in lines(out)]
    assert report.spans == len(patterns)
    assert patterns[:2] == [{"label": "PERSON", "pattern": "Choe Son Hui"},
                            {"label": "PERSON", "pattern": "Kim\r\nJong Un"}]
    assert {"label": "WEAPON", "pattern": "AK-47"} == patterns[-1]
    assert len({(p["label"], p["pattern"]) for p in patterns}) == len(patterns)
    assert sum(p["pattern"] == "Seoul" for p in patterns) == 1            # three times in the corpus
    # A model's suggestion nobody confirmed is no pattern (here, with --all).
    corpus.add_documents([{"text": "Lukashenko met them in Minsk.",
                           "spans": [Span(0, 10, "PERSON", "some-model"), Span(23, 28, "GPE")]}])
    export(corpus, out, "patterns", all_documents=True)
    patterns = [json.loads(x) for x in lines(out)]
    assert {"label": "GPE", "pattern": "Minsk"} in patterns
    assert not any(p["pattern"] == "Lukashenko" for p in patterns)
    import spacy
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.from_disk(out)
    doc = nlp("Yesterday Choe Son Hui flew to Pyongyang with an AK-47.")
    assert [(e.text, e.label_) for e in doc.ents] == [("Choe Son Hui", "PERSON"), ("Pyongyang", "GPE"),
                                                       ("AK-47", "WEAPON")]


# -- whole or nothing ------------------------------------------------------------------------------

def snapshot(out) -> dict:
    if out.is_dir():
        return {p.name: p.read_bytes() for p in out.iterdir()}
    return {"": out.read_bytes()}


@pytest.mark.parametrize("fmt", ["doccano", "conll", "brat", "spacy", "patterns"])
def test_a_failed_export_leaves_the_previous_files_and_no_part(corpus, tmp_path, monkeypatch, fmt):
    from models import exporter
    out = tmp_path / "out"
    export(corpus, out, fmt)
    before = snapshot(out)
    real = exporter.documents

    def failing(store, all_documents=False):
        for i, item in enumerate(real(store, all_documents)):
            if i == 3:
                raise OSError(errno.ENOSPC, "No space left on device")
            yield item
    monkeypatch.setattr(exporter, "documents", failing)
    with pytest.raises(exporter.ExportWriteFailed) as e:
        export(corpus, out, fmt, all_documents=True)
    where = {"brat": f"{out}/doc-000003.ann", "spacy": f"{out}"}.get(fmt, f"{out}")
    after = f"the files in {out} are as they were" if fmt in ("brat", "spacy") else \
        f"the previous {out} is intact"
    assert str(e.value) == (f"not exported: could not write {where}: No space left on device "
                            f"(ENOSPC); {after}")
    assert snapshot(out) == before
    assert not list(tmp_path.rglob("*.part"))


def test_cancel_writes_nothing_and_progress_counts_documents(corpus, tmp_path, monkeypatch):
    from models import exporter
    monkeypatch.setattr(exporter, "PROGRESS_EVERY", 0.0)
    calls = []
    report = export(corpus, tmp_path / "a.jsonl", "jsonl", progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (len(CORPUS), len(CORPUS)) and len(calls) > 2
    asked = []
    report = export(corpus, tmp_path / "b", "spacy", cancelled=lambda: asked.append(1) or len(asked) > 2)
    assert report.cancelled and report.summary() == "export cancelled: nothing was written"
    assert not (tmp_path / "b" / "train.spacy").exists() and not list(tmp_path.rglob("*.part"))


def test_options_that_do_not_apply_are_refused(corpus, tmp_path):
    for fmt, options in [("jsonl", {"snap": "expand"}), ("doccano", {"include_rejected": True}),
                         ("brat", {"offsets": "utf16"}), ("labels", {"all_documents": True}),
                         ("conll", {"dev_fraction": 0.1}), ("xml", {}), ("spacy", {"snap": "nearest"}),
                         ("jsonl", {"colour": 1})]:
        with pytest.raises(ValueError):
            export(corpus, tmp_path / "o", fmt, **options)
    assert not (tmp_path / "o").exists()


def test_out_must_be_a_folder_for_folder_formats_and_a_file_otherwise(corpus, tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ExportError, match="is a file"):
        export(corpus, tmp_path / "file", "brat")
    with pytest.raises(ExportError, match="is a folder"):
        export(corpus, tmp_path, "jsonl")


def test_an_export_into_a_folder_that_does_not_exist_says_so(corpus, tmp_path):
    with pytest.raises(ExportError, match="not exported: the folder .*nowhere does not exist"):
        export(corpus, tmp_path / "nowhere" / "x.jsonl", "jsonl")
    assert not (tmp_path / "nowhere").exists()
