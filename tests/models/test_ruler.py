"""Dictionaries and patterns (issue 11): spaCy EntityRuler patterns checked line by line, run
alone or with the real model (patterns win / the model wins), their spans in the real SQLite
file with exact offsets, their source and entity links; resumable, undoable."""
from __future__ import annotations

import json

import pytest

from models import annotate, ruler
from models.edits import ChangeEntities, ReplaceSpans, SetStatus, edit_from_json
from models.entities import Entity
from models.history import History
from models.spans import Span
from models.store import Store

from .helpers import MODEL_SOURCE, journal_rows, query, span_rows

ARTICLE = ("North Korea's foreign minister Choe Son Hui met Russian President Vladimir Putin in "
           "Moscow on Monday, the state news agency KCNA said.")
EMOJI = "😀 Acme Corp and 🇰🇷 north KOREA signed; Acme Corporation did not."
SRC = "patterns:names.jsonl"

GOOD = [
    {"label": "GPE", "pattern": "North Korea", "id": "Q423"},
    {"label": "PERSON", "pattern": [{"LOWER": "choe"}, {"LOWER": "son"}, {"LOWER": "hui"}]},
    {"label": "ORG", "pattern": "Acme Corp", "id": "acme"},
    {"label": "GPE", "pattern": [{"LOWER": "north"}, {"LOWER": "korea"}], "id": "Q423"},
    {"label": "ORG", "pattern": [{"TEXT": {"REGEX": "^KCN[A-Z]$"}}]},
    {"label": "ORG", "pattern": "state news agency"},
]


def at(text, words, label, source=SRC):
    i = text.index(words)
    return (i, i + len(words), label, source)


def write(tmp_path, lines, name="names.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n",
                    encoding="utf-8")
    return path


@pytest.fixture
def patterns(tmp_path):
    return ruler.read_patterns(write(tmp_path, GOOD), trained=False)


@pytest.fixture
def with_model(pipeline):
    """Build runs on the session's real pipeline; every ruler is taken out again after."""
    made = []

    def build(p, mode):
        run = ruler.build(p, mode, pipeline)
        made.append(run)
        return run
    yield build
    for run in made:
        run.close()
    assert pipeline.nlp.pipe_names == ["ner"]


def run_all(store, run, **kw):
    with run.active():
        return annotate.preannotate(store, run, annotate.pending(store, run=run), **kw)


# -- reading and checking ------------------------------------------------------------------------

def test_each_kind_of_bad_line_is_reported_with_its_line_and_the_rest_is_loaded(tmp_path):
    path = write(tmp_path, [
        GOOD[0],                                                        # 1
        "{not json",                                                    # 2
        "[1, 2]",                                                       # 3
        {"pattern": "Acme"},                                            # 4
        {"label": "ORG"},                                               # 5
        {"label": "ORG", "pattern": [{"LOWR": "acme"}]},                # 6
        {"label": "ORG", "pattern": [{"LOWER": "a"}, {"TEXT": {"REGEX": "(["}}]},   # 7
        "",                                                             # 8: blank, skipped
        {"label": "two words", "pattern": "x"},                         # 9
        {"label": "ORG", "pattern": 5},                                 # 10
        {"label": "ORG", "pattern": "  "},                              # 11
        {"label": "ORG", "pattern": "x", "lable": "y"},                 # 12
        {"label": "ORG", "pattern": [{"IS_ALPHA": "yes"}]},             # 13
        {"label": "ORG", "pattern": [{"POS": "PROPN"}]},                # 14: needs a model
        {"label": "ORG", "pattern": "Acme", "id": 7},                   # 15
        GOOD[1],                                                        # 16
    ])
    got = ruler.read_patterns(path, trained=False)
    f = str(path)
    assert [str(p) for p in got.problems] == [
        f"{f}, line 2: not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        f'{f}, line 3: not a JSON object but list: a pattern is {{"label": "ORG", "pattern": "Acme Corp"}}',
        f"{f}, line 4: no label",
        f"{f}, line 5: no pattern",
        f"{f}, line 6: token 1: unknown token attribute LOWR",
        f"{f}, line 7: token 2: invalid regular expression: unterminated character set at position 1",
        f"{f}, line 9: label 'two words' must be 1-100 characters without spaces",
        f"{f}, line 10: the pattern is neither a phrase (a string) nor a token pattern (a list of objects) but int",
        f"{f}, line 11: the phrase pattern is empty",
        f"{f}, line 12: unknown key 'lable': a pattern has label, pattern and an optional id",
        f"{f}, line 13: token 1: IS_ALPHA: Input should be a valid boolean",
        f"{f}, line 14: POS needs a trained pipeline (a model's tagger or parser); patterns alone "
        "use spaCy's rules only: run them with the model",
        f"{f}, line 15: id 7 is not a name of 1-200 visible characters",
    ]
    assert got.patterns == [GOOD[0], GOOD[1]] and got.lines == [1, 16]
    assert got.name == "names.jsonl" and got.source == SRC
    # With the model, the POS pattern is valid; run alone afterwards it becomes a problem again.
    with_model = ruler.read_patterns(path, trained=True)
    assert with_model.lines == [1, 14, 16] and with_model.needs_tagger()
    alone = with_model.without_trained()
    assert alone.lines == [1, 16] and [p.line for p in alone.problems] == [p.line for p in got.problems]


def test_a_file_that_cannot_be_read_is_an_error(tmp_path):
    bad = tmp_path / "latin.jsonl"
    bad.write_bytes('{"label": "ORG", "pattern": "Caf\xe9"}\n'.encode("latin-1"))
    with pytest.raises(ruler.PatternsError, match="latin.jsonl: not UTF-8 text"):
        ruler.read_patterns(bad)
    with pytest.raises(ruler.PatternsError, match="missing.jsonl: cannot be read"):
        ruler.read_patterns(tmp_path / "missing.jsonl")
    with pytest.raises(ruler.PatternsError, match="no valid pattern"):
        ruler.build(ruler.read_patterns(write(tmp_path, ["nope"])), "alone")


def test_the_mark_changes_with_the_patterns_not_with_bad_lines(tmp_path):
    a = ruler.read_patterns(write(tmp_path, GOOD, "a.jsonl"))
    b = ruler.read_patterns(write(tmp_path, GOOD + ["junk"], "a.jsonl"))
    c = ruler.read_patterns(write(tmp_path, GOOD[:-1], "a.jsonl"))
    assert a.mark == b.mark != c.mark and a.mark.startswith("patterns:a.jsonl#")


# -- alone: spans, offsets, source, entity links --------------------------------------------------

def test_phrase_and_token_patterns_land_on_the_exact_characters(store, project, patterns):
    ids, _ = store.add_documents([{"text": ARTICLE}, {"text": EMOJI}])
    added = run_all(store, ruler.build(patterns, "alone"))
    assert span_rows(project, ids[0]) == [
        at(ARTICLE, "North Korea", "GPE"), at(ARTICLE, "Choe Son Hui", "PERSON"),
        at(ARTICLE, "state news agency", "ORG"), at(ARTICLE, "KCNA", "ORG")]
    # Code points, not UTF-16: the emoji and the flag before the names shift nothing. The
    # phrase pattern matches case and tokens exactly ("Acme Corporation" is no "Acme Corp");
    # the token pattern matches any case.
    assert span_rows(project, ids[1]) == [at(EMOJI, "Acme Corp", "ORG"),
                                          at(EMOJI, "north KOREA", "GPE")]
    assert span_rows(project, ids[1]) == [(2, 11, "ORG", SRC), (19, 30, "GPE", SRC)]   # not UTF-16's 3, 22
    assert added == 6
    marks = query(project, "SELECT preannotated FROM documents ORDER BY id")
    assert marks == [(patterns.mark,), (patterns.mark,)]


def test_pattern_ids_become_entity_links_created_once(store, project, patterns):
    ids, _ = store.add_documents([{"text": ARTICLE}, {"text": EMOJI}])
    store.commit(ChangeEntities(None, (), (Entity(1, "Acme Corporation", "", "a person's"),)))
    p = ruler.check_lines([json.dumps(x) for x in GOOD[:4]] + [json.dumps(
        {"label": "ORG", "pattern": "signed", "id": "annotator:E1"})], "names.jsonl", False)
    run_all(store, ruler.build(p, "alone"), batch_size=1)
    assert query(project, "SELECT id, name, kb_id, note FROM entities ORDER BY id") == [
        (1, "Acme Corporation", "", "a person's"),       # annotator:E1: the project's own entity
        (2, "North Korea", "Q423", ""),                  # a QID: named by its first phrase
        (3, "acme", "", "")]                             # another id: the entity of that name
    assert query(project, "SELECT doc_id, substr(t.text, start + 1, end - start), entity FROM spans "
                 "JOIN texts t USING (doc_id) ORDER BY doc_id, start") == [
        (ids[0], "North Korea", 2), (ids[0], "Choe Son Hui", None),
        (ids[1], "Acme Corp", 3), (ids[1], "north KOREA", 2), (ids[1], "signed", 1)]
    # The entities are one edit of their own, journaled with no document (as labels are): undoing
    # one document's suggestions never takes away an entity another document names.
    entries = [json.loads(e) for _, d, e, _ in journal_rows(project) if d is None]
    assert [e["type"] for e in entries if e["type"] == "entities"] == ["entities", "entities", "entities"]
    # Again, in a new run over a new document: the same entities, none created twice.
    (third,), _ = store.add_documents([{"text": "Acme Corp left North Korea."}])
    run_all(store, ruler.build(p, "alone"))
    assert query(project, "SELECT count(*) FROM entities") == [(3,)]
    assert query(project, "SELECT entity FROM spans WHERE doc_id = ? ORDER BY start", [third]) == [(3,), (2,)]


def test_a_persons_span_is_never_touched_and_a_rejected_suggestion_never_comes_back(
        store, project, tmp_path, patterns):
    ids, _ = store.add_documents([{"text": ARTICLE}, {"text": EMOJI}, {"text": "Acme Corp won.", "status": "done"}])
    mine = Span(0, 5, "PERSON")                          # "North", a person's (wrong) label
    store.apply(ReplaceSpans(ids[0], (), (mine,)))
    run_all(store, ruler.build(patterns, "alone"))
    assert span_rows(project, ids[0])[0] == (0, 5, "PERSON", "manual")
    assert not any(r[0] < 11 and r[3] == SRC for r in span_rows(project, ids[0]))
    assert span_rows(project, ids[2]) == []               # done: left alone
    acme = next(s for s in store.spans(ids[1]) if EMOJI[s.start:s.end] == "Acme Corp")
    store.apply(ReplaceSpans(ids[1], (acme,), ()))        # a person deletes a suggestion
    more = ruler.read_patterns(write(tmp_path, GOOD + [{"label": "EVENT", "pattern": "signed"}]))
    assert more.mark != patterns.mark
    run_all(store, ruler.build(more, "alone"))            # a changed file runs again…
    assert span_rows(project, ids[1]) == [at(EMOJI, "north KOREA", "GPE"),
                                          at(EMOJI, "signed", "EVENT", "patterns:names.jsonl")]
    assert span_rows(project, ids[0])[0] == (0, 5, "PERSON", "manual")   # …and still not here


# -- with the real model -------------------------------------------------------------------------

def test_patterns_win_or_the_model_wins_with_the_real_model(store, project, patterns, pipeline, with_model):
    model = {(ARTICLE[s:e], label) for s, e, label in next(pipeline.predict([ARTICLE]))}
    # What the model gets wrong here, that the patterns correct: the premise of the test.
    assert ("North Korea's", "GPE") in model and ("Choe Son", "PERSON") in model
    assert ("KCNA", "ORG") in model and ("state news agency", "ORG") not in model
    (win, lose), _ = store.add_documents([{"text": ARTICLE}, {"text": ARTICLE + " "}])
    store.apply(SetStatus(lose, "new", "skipped"))
    run_all(store, with_model(patterns, "patterns"))
    rows = span_rows(project, win)
    assert at(ARTICLE, "North Korea", "GPE") in rows and at(ARTICLE, "Choe Son Hui", "PERSON") in rows
    assert at(ARTICLE, "state news agency", "ORG") in rows
    assert at(ARTICLE, "Vladimir Putin", "PERSON", MODEL_SOURCE) in rows     # the model's elsewhere
    assert at(ARTICLE, "Moscow", "GPE", MODEL_SOURCE) in rows
    assert not any(r[3] == MODEL_SOURCE and r[0] < ARTICLE.index("Hui") + 3 for r in rows)
    assert store.preannotated(win) == f"{MODEL_SOURCE}\n{patterns.mark}"   # both ran there

    store.apply(SetStatus(lose, "skipped", "new"))
    store.apply(SetStatus(win, "new", "done"))
    run_all(store, with_model(patterns, "model"))
    rows = span_rows(project, lose)
    assert at(ARTICLE, "North Korea's", "GPE", MODEL_SOURCE) in rows     # the model's span stays
    assert at(ARTICLE, "Choe Son", "PERSON", MODEL_SOURCE) in rows
    assert at(ARTICLE, "KCNA", "ORG", MODEL_SOURCE) in rows              # the same span: the model's
    assert at(ARTICLE, "state news agency", "ORG") in rows               # patterns fill in around
    assert not any(r[3] == SRC and r[0] < ARTICLE.index("Hui") + 3 for r in rows)
    assert pipeline.nlp.pipe_names == ["ner"]            # off again after each run


def test_patterns_win_over_suggestions_already_there_and_the_model_is_not_run_twice(
        store, project, patterns, pipeline, with_model):
    (d,), _ = store.add_documents([{"text": ARTICLE}])
    annotate.preannotate(store, pipeline, [d])
    before = span_rows(project, d)
    deleted = next(s for s in store.spans(d) if ARTICLE[s.start:s.end] == "Moscow")
    store.apply(ReplaceSpans(d, (deleted,), ()))          # a person rejects one
    run_all(store, with_model(patterns, "patterns"))
    rows = span_rows(project, d)
    assert at(ARTICLE, "North Korea", "GPE") in rows and at(ARTICLE, "North Korea's", "GPE", MODEL_SOURCE) not in rows
    assert at(ARTICLE, "Moscow", "GPE", MODEL_SOURCE) not in rows         # not brought back
    assert [r for r in rows if r[3] == MODEL_SOURCE] == [
        r for r in before if r[0] >= ARTICLE.index("met") and r[:2] != at(ARTICLE, "Moscow", "")[:2]
        and r[:3] != at(ARTICLE, "KCNA", "ORG")[:3]]
    assert at(ARTICLE, "KCNA", "ORG") in rows             # the same bounds: now the pattern's


# -- resumable, undoable ---------------------------------------------------------------------------

def test_a_run_stopped_halfway_goes_on_where_it_stopped(tmp_path, patterns):
    results = []
    for name, stop in (("whole", None), ("resumed", 2)):
        s = Store(tmp_path / f"{name}.annot")
        ids, _ = s.add_documents([{"text": f"{i}. {t}"} for i, t in enumerate([ARTICLE, EMOJI] * 2)])
        run = ruler.build(patterns, "alone")
        seen = []

        def progress(done, total):
            seen.append(done)
            return done != stop
        run_all(s, run, batch_size=1, progress=progress)
        if stop:
            assert seen == [1, 2]
            assert annotate.pending(s, run=run) == ids[2:]
            assert [r[0] for r in s.db.execute("SELECT preannotated FROM documents ORDER BY id")] == [
                patterns.mark, patterns.mark, None, None]
            run_all(s, run, batch_size=1)
        assert annotate.pending(s, run=run) == []
        results.append(s.db.execute("SELECT doc_id, start, end, label, source, entity FROM spans "
                                    "ORDER BY doc_id, start").fetchall())
        s.close()
    assert results[0] == results[1] and len(results[0]) == 12


def test_each_documents_suggestions_are_undone_in_one_step(store, project, patterns, pipeline):
    (d,), _ = store.add_documents([{"text": ARTICLE}])
    annotate.preannotate(store, pipeline, [d])
    model_rows = span_rows(project, d)
    run_all(store, ruler.build(patterns, "alone"))
    assert at(ARTICLE, "North Korea", "GPE") in span_rows(project, d)
    h = History(store)
    h.load(d)
    assert h.undo_text() == "Pattern pre-annotation (4 spans, patterns:names.jsonl)"
    h.undo()
    assert span_rows(project, d) == model_rows           # the model's suggestions it replaced, back
    assert query(project, "SELECT count(*) FROM entities") == [(1,)]   # the entity stays (as labels do)
    h.redo()
    assert at(ARTICLE, "North Korea", "GPE") in span_rows(project, d)
    edit = edit_from_json(journal_rows(project, d)[-1][2])
    assert all(s.source == SRC for s in edit.add) and edit.remove


# -- patterns from this project ----------------------------------------------------------------------

def test_patterns_from_this_project_label_the_rest_of_the_corpus(store, project, tmp_path):
    from models.exporter import export
    texts = [ARTICLE, "Officials in North Korea and Moscow met.", "North Korea again.",
             "Nothing here; north korea in lower case.", "North Korea is done."]
    ids, _ = store.add_documents([{"text": t} for t in texts])
    first, second, third, fourth, done = ids
    store.apply(ReplaceSpans(first, (), (Span(*at(ARTICLE, "North Korea", "GPE")[:3]),
                                         Span(*at(ARTICLE, "Moscow", "GPE")[:3]))))
    store.apply(ReplaceSpans(second, (), (Span(*at(texts[1], "Moscow", "LOC")[:3]),)))   # a person's other label
    store.apply(ReplaceSpans(third, (), (Span(0, 13, "GPE", "some-model"),)))            # "North Korea a"
    store.apply(SetStatus(done, "new", "done"))
    out = tmp_path / "patterns.jsonl"
    export(store, out, "patterns", all_documents=True)
    p = ruler.project_patterns(store)
    assert p.patterns == [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert p.patterns == [{"label": "GPE", "pattern": "Moscow"}, {"label": "GPE", "pattern": "North Korea"},
                          {"label": "LOC", "pattern": "Moscow"}]
    run = ruler.project_run(store)
    assert annotate.pending(store, run=run) == ids[:4]
    run_all(store, run)
    src = "patterns:project"
    assert span_rows(project, first) == [at(ARTICLE, "North Korea", "GPE", "manual"),
                                         at(ARTICLE, "Moscow", "GPE", "manual")]
    assert span_rows(project, second) == [at(texts[1], "North Korea", "GPE", src),
                                          at(texts[1], "Moscow", "LOC", "manual")]
    assert span_rows(project, third) == [at(texts[2], "North Korea", "GPE", src)]   # replaces the model's
    assert span_rows(project, fourth) == []               # case and tokens exactly
    assert span_rows(project, done) == []
    assert store.preannotated(second) == run.mark and run.mark.startswith("patterns:project#")


def test_patterns_from_a_project_nobody_labelled_is_an_error(store):
    store.add_documents([{"text": ARTICLE}])
    with pytest.raises(ruler.PatternsError, match="no span labelled by a person"):
        ruler.project_run(store)


def test_a_linked_string_links_what_the_project_patterns_find(store, project, tmp_path):
    from models.exporter import export
    texts = ["Kim Jong Un spoke.", "Then Kim Jong Un left; Moon stayed.", "Moon rose."]
    ids, _ = store.add_documents([{"text": t} for t in texts])
    kim = Entity(1, "Kim Jong Un", "Q56226")
    moon = Entity(2, "Moon Jae-in")
    store.commit(ChangeEntities(None, (), (kim, moon)))
    store.apply(ReplaceSpans(ids[0], (), (Span(0, 11, "PERSON", entity=1),)))
    store.apply(ReplaceSpans(ids[1], (), (Span(23, 27, "PERSON", entity=2),)))
    out = tmp_path / "patterns.jsonl"
    export(store, out, "patterns", all_documents=True)
    p = ruler.project_patterns(store)
    assert p.patterns == [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()] == [
        {"label": "PERSON", "pattern": "Kim Jong Un", "id": "Q56226"},
        {"label": "PERSON", "pattern": "Moon", "id": "annotator:E2"}]
    run_all(store, ruler.project_run(store))
    assert query(project, "SELECT doc_id, start, end, source, entity FROM spans ORDER BY doc_id, start") == [
        (ids[0], 0, 11, "manual", 1), (ids[1], 5, 16, "patterns:project", 1),
        (ids[1], 23, 27, "manual", 2), (ids[2], 0, 4, "patterns:project", 2)]
    assert query(project, "SELECT count(*) FROM entities") == [(2,)]      # no entity made twice
