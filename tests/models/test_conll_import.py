"""CoNLL / IOB import: our own export read back, spaCy's and seqeval's readers of the same files
agreeing with ours, text rebuilt by the documented rules, every ill-formed input named."""
from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.exporter import export
from models.formats.conll_read import chunks, iter_conll, _parts
from models.formats.errors import collect
from models.importer import import_paths
from models.store import Store

from .test_roundtrip import CORPUS, build

CONLL2003 = """-DOCSTART- -X- -X- O

EU NNP B-NP I-ORG
rejects VBZ B-VP O
German JJ B-NP I-MISC
call NN I-NP O
to TO B-VP O
boycott VB I-VP O
British JJ B-NP I-MISC
lamb NN I-NP O
. . O O

Peter NNP B-NP I-PER
Blackburn NNP I-NP I-PER

-DOCSTART- -X- -X- O

BRUSSELS NNP B-NP I-LOC
1996-08-22 CD I-NP O
"""


def read(text: str, **options):
    return collect(iter_conll(io.BytesIO(text.encode("utf-8")), "f.conll", **options))


def ents(doc: dict) -> list[tuple[str, str]]:
    return [(doc["text"][s.start:s.end], s.label) for s in doc["spans"]]


def test_the_original_conll_2003_form_is_iob1_and_read_without_warnings():
    docs, problems = read(CONLL2003)
    assert problems == []
    assert [d["text"] for d in docs] == [
        "EU rejects German call to boycott British lamb.\nPeter Blackburn", "BRUSSELS 1996-08-22"]
    assert ents(docs[0]) == [("EU", "ORG"), ("German", "MISC"), ("British", "MISC"),
                             ("Peter Blackburn", "PER")]
    assert ents(docs[1]) == [("BRUSSELS", "LOC")]
    assert all(d["status"] == "done" for d in docs)
    assert docs[0]["meta"] == {"source": "f.conll", "document": 1, "line": 3}
    assert docs[0]["title"] == "EU rejects German call to boycott British lamb."
    assert docs[1]["line"] == 18


def test_spacys_conll_reader_finds_the_same_entities_in_the_same_files():
    from spacy.training.converters import conll_ner_to_docs
    iob2 = ("-DOCSTART- -X- O O\n\nKim B-PER\nJong I-PER\nUn I-PER\nmet O\nMoon B-PER\n. O\n\n"
            "Seoul\tB-GPE\nand\tO\nPyongyang\tB-GPE\n\n-DOCSTART- -X- O O\n\nB B-ORG\nB B-ORG\n")
    for text in (CONLL2003, iob2):
        ours, problems = read(text)
        assert problems == []
        theirs = list(conll_ner_to_docs(text, n_sents=10_000, no_print=True))
        # (spaCy parts documents at "-DOCSTART- -X- O O" only, not at the original form's
        # "-DOCSTART- -X- -X- O": the entities are compared in file order.)
        assert [(e.label_, [t.text for t in e]) for d in theirs for e in d.ents] == \
               [(s.label, d["text"][s.start:s.end].replace("\n", " ").split())
                for d in ours for s in d["spans"]]
    assert len(list(conll_ner_to_docs(iob2, n_sents=10_000, no_print=True))) == len(read(iob2)[0])


def test_our_conll_export_reads_back_with_every_entity(tmp_path):
    store = build(tmp_path / "p.annot")
    out = tmp_path / "c.conll"
    export(store, out, "conll")
    store.close()
    docs, problems = collect(iter_conll(open(out, "rb"), str(out)))
    assert problems == [] and len(docs) == len(CORPUS)
    assert [[(label, "".join(text.split())) for text, label in ents(d)] for d in docs] == \
           [[(label, "".join(piece.split())) for piece, label in e] for _, e in CORPUS]


def test_the_text_is_rebuilt_with_single_spaces_and_no_space_before_closing_punctuation():
    docs, _ = read("( O\nReuters B-ORG\n) O\n- O\nGermany B-LOC\n's O\n\" O\nbest O\n\" O\nteam O\n"
                   "did O\nn't O\nwin O\n, O\nsaid O\nU.N. B-ORG\nofficial O\n. O\n")
    assert docs[0]["text"] == "(Reuters) - Germany's \"best\" team didn't win, said U.N. official."
    assert ents(docs[0]) == [("Reuters", "ORG"), ("Germany", "LOC"), ("U.N.", "ORG")]


def test_bioes_and_bilou_are_read_and_ill_formed_chunks_named_with_their_line():
    docs, problems = read("Kim B-PER\nJong I-PER\nUn E-PER\nin O\nSeoul S-GPE\n\n"
                          "North B-GPE\nKorea L-GPE\nand O\nUN U-ORG\n\nJust I-PER\nUn E-PER\n")
    assert ents(docs[0]) == [("Kim Jong Un", "PER"), ("Seoul", "GPE"), ("North Korea", "GPE"),
                             ("UN", "ORG"), ("Just Un", "PER")]
    [p] = problems
    assert (p.line, p.rejected) == (12, False)
    assert p.message == "I-PER without B-PER before it: read as the start of PER (as seqeval reads it)"


def test_a_stray_i_in_iob2_unknown_tags_and_one_column_lines_are_reported_and_repaired():
    docs, problems = read("Kim B-PER\nmet O\nJong I-PER\nUn I-PER\nin O\nSeoul GPE\nto\n")
    assert ents(docs[0]) == [("Kim", "PER"), ("Jong Un", "PER")]
    assert [(p.line, p.message) for p in problems] == [
        (6, "unknown tag 'GPE' (expected O, or B-, I-, E-, S-, L-, U- and a type): read as O"),
        (7, "no tag column (token 'to'): read as O"),
        (3, "I-PER without B-PER before it: read as the start of PER (as seqeval reads it)")]
    assert not any(p.rejected for p in problems)


def test_documents_sentences_comments_crlf_and_bom():
    text = "\ufeff# sent_id = 1\r\nKim B-PER\r\nspoke O\r\n\r\n# text = Moon\r\nMoon B-PER\r\n"
    docs, problems = read(text)
    assert problems == [] and [d["text"] for d in docs] == ["Kim spoke\nMoon"]
    docs, _ = read(text, doc_per_sentence=True)
    assert [d["text"] for d in docs] == ["Kim spoke", "Moon"]
    assert [d["line"] for d in docs] == [2, 6]
    docs, _ = read("-DOCSTART- -X- O O\n\n-DOCSTART- -X- O O\n\nA O\n")
    assert [d["text"] for d in docs] == ["A"]                 # an empty document is no document


@pytest.mark.parametrize("text,message", [("", "file is empty"), ("\n\n-DOCSTART- -X- O O\n\n",
                                                                  "no token lines: nothing to import")])
def test_a_file_without_tokens_is_refused(text, message):
    docs, problems = read(text)
    assert docs == [] and [p.message for p in problems] == [message] and problems[0].rejected


def test_a_file_that_is_not_utf8_is_named_and_read_with_encoding():
    data = "Zürich B-GPE\n".encode("cp1252")
    docs, problems = collect(iter_conll(io.BytesIO(data), "f.conll"))
    assert docs == [] and "not UTF-8" in problems[0].message
    docs, problems = collect(iter_conll(io.BytesIO(data), "f.conll", encoding="cp1252"))
    assert problems == [] and ents(docs[0]) == [("Zürich", "GPE")]


TAGS = st.lists(st.sampled_from(["O", "B-X", "I-X", "E-X", "S-X", "B-Y", "I-Y", "E-Y", "S-Y"]),
                max_size=14)


@settings(max_examples=300, deadline=None)
@given(TAGS)
def test_chunks_are_read_exactly_as_seqeval_reads_them(tags):
    from seqeval.metrics.sequence_labeling import get_entities
    ours = [(t, a, b) for t, a, b, _, _ in chunks([_parts(x) for x in tags])]
    assert ours == get_entities(list(tags))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["Kim", "Seoul", ".", ",", "(", ")", "'s", '"', "n't"]),
                          st.sampled_from(["O", "B-X", "I-X", "B-Y"])), min_size=1, max_size=12))
def test_every_span_covers_its_tokens_in_the_rebuilt_text(rows):
    from seqeval.metrics.sequence_labeling import get_entities
    docs, _ = read("".join(f"{tok} {tag}\n" for tok, tag in rows))
    tokens = [tok for tok, _ in rows]
    expected = [(t, a, b) for t, a, b in get_entities([tag for _, tag in rows])]
    assert [s.label for s in docs[0]["spans"]] == [t for t, _, _ in expected]
    for span, (_, a, b) in zip(docs[0]["spans"], expected):
        assert docs[0]["text"][span.start:span.end].replace(" ", "") == "".join(tokens[a:b + 1])


def test_import_conll_through_the_project_and_export_it_again(tmp_path):
    path = tmp_path / "eng.conll"
    path.write_text(CONLL2003, "utf-8")
    store = Store(tmp_path / "p.annot")
    report = import_paths(store, [path])                 # .conll: chosen by its ending
    assert report.problems == [] and len(report.added) == 2
    out = tmp_path / "again.conll"
    export(store, out, "conll")
    store.close()
    assert out.read_text("utf-8").startswith(
        "-DOCSTART- -X- O O\n\nEU _ _ B-ORG\nrejects _ _ O\nGerman _ _ B-MISC\n")
    again, problems = collect(iter_conll(open(out, "rb"), str(out)))
    assert problems == [] and [ents(d) for d in again] == [ents(d) for d in read(CONLL2003)[0]]


def test_the_command_line_imports_conll_one_document_per_sentence(tmp_path, capsys):
    from models import cli
    path = tmp_path / "wnut.iob"
    path.write_text("@paul O\nin O\nLondon B-LOC\n\nMoon B-PER\nJae-in I-PER\n", "utf-8")
    assert cli.main(["import", str(tmp_path / "a.annot"), str(path), "--doc-per-sentence"]) == 0
    assert capsys.readouterr().out == "2 added, new labels: PER\n"
    store = Store(tmp_path / "a.annot")
    texts = sorted(store.document(d).text for d, *_ in store.document_rows())
    assert texts == ["@paul in London", "Moon Jae-in"]
    assert all(store.document(d).status == "done" for d, *_ in store.document_rows())
    store.close()
    with pytest.raises(SystemExit):
        cli.main(["import", str(tmp_path / "b.annot"), str(path), "--format", "doccano",
                  "--doc-per-sentence"])
    assert "--doc-per-sentence applies to --format conll only" in capsys.readouterr().err
