"""Label every occurrence (models/occurrences.py, models/store_occurrences.py): the matching
rules on real texts (emoji, CJK, possessives), scopes, what stands there now, and the one edit
— checked against the rows of the real SQLite file, its undo restoring them exactly."""
from __future__ import annotations

import pytest

from models import occurrences as O
from models import store_occurrences
from models.document import DONE, IN_PROGRESS, NEW, SKIPPED
from models.edits import ChangeEntities, ReplaceSpans, SetStatus
from models.entities import Entity
from models.history import History
from models.ner import tokenize
from models.spans import MANUAL, Span
from models.store import StaleEdit, Store

from .helpers import query

NEWS = ("SEOUL (Reuters) — North Korea's leader 👨‍👩‍👧 met envoys; the two Koreas and 𠮷野家 "
        "said Korea-based firms in 韓国 Korea, and \"Korea\" (not KOREA or korea) would talk.\n"
        "🇰🇷Korea 🇰🇷 Korea.")


def at(text: str, word: str, nth: int = 0) -> int:
    i = -1
    for _ in range(nth + 1):
        i = text.index(word, i + 1)
    return i


def texts_of(text, found):
    return [text[a:b] for a, b in found]


# -- matching ------------------------------------------------------------------------------------

def test_token_boundaries_on_news_with_emoji_and_cjk():
    found = O.find(NEWS, "Korea")
    # not inside "Koreas" nor "KOREA"; in "Korea's", "Korea-based", "\"Korea\"", after a flag
    expected = [at(NEWS, "Korea's"), at(NEWS, "Korea-based"), at(NEWS, "韓国 Korea") + 3,
                at(NEWS, "\"Korea\"") + 1, at(NEWS, "🇰🇷Korea") + 2, at(NEWS, "🇰🇷 Korea.") + 3]
    assert [a for a, _ in found] == expected
    assert texts_of(NEWS, found) == ["Korea"] * 6
    assert all(b - a == 5 for a, b in found)           # code points: 👨‍👩‍👧 and 𠮷 before them
    assert NEWS[found[0][0] - 6:found[0][1] + 2] == "North Korea's"


def test_exact_mode_matches_inside_words():
    found = O.find(NEWS, "Korea", tokens=False)
    assert at(NEWS, "Koreas") in [a for a, _ in found] and len(found) == 7
    assert O.find("NorthKorea Koreas", "Korea", tokens=False) == [(5, 10), (11, 16)]
    assert O.find("NorthKorea Koreas", "Korea") == []


def test_case_insensitive_keeps_the_stored_offsets():
    text = "İstanbul and ISTANBUL and istanbul; Straße STRASSE straße"
    # "İ".lower() is two characters: offsets must still be those of the stored text
    found = O.find(text, "istanbul", case=False)
    assert found == [(0, 8), (13, 21), (26, 34)]
    assert texts_of(text, found) == ["İstanbul", "ISTANBUL", "istanbul"]
    assert O.find(text, "straße", case=False) == [(at(text, "Straße"), at(text, "Straße") + 6),
                                                  (at(text, "straße"), at(text, "straße") + 6)]
    assert O.find(NEWS, "korea") == [(at(NEWS, "korea"), at(NEWS, "korea") + 5)]
    assert len(O.find(NEWS, "korea", case=False)) == 8     # + KOREA and korea


def test_cjk_without_spaces_needs_exact_mode():
    text = "在韓国的首都，韓国 人 韓国"          # spaCy: "在韓国的首都，韓国", "人", "韓国"
    assert O.find(text, "韓国") == [(12, 14)]
    assert O.find(text, "韓国", tokens=False) == [(1, 3), (7, 9), (12, 14)]


def test_a_failed_boundary_does_not_hide_an_occurrence_starting_inside_it():
    assert O.find("xab ab ab", "ab ab") == [(4, 9)]
    assert O.find("Koreaa Korea", "Korea") == [(7, 12)]


@pytest.mark.parametrize("text", [NEWS, "U.S.-based e-mail cannot don't 5km $20 (Kim)'s http://x.org/Korea",
                                  "Ünïcode’s “quoted” ‘Kim’s’ Dr.Kim a/b #tag @user 3.5%"])
def test_boundaries_are_spacys_boundaries(text):
    """``is_boundary`` agrees with spaCy's tokenizer on the whole text, at every position."""
    bounds = {x for t in tokenize(text) for x in t}
    for p in range(len(text) + 1):
        expected = p in bounds or p in (0, len(text)) or text[p - 1].isspace() or text[p].isspace()
        assert O.is_boundary(text, p) == expected, (p, text[max(p - 5, 0):p], text[p:p + 5])


def test_prefilter_for_case_insensitive_queries():
    assert O.prefilter("Korea", True) == ("Korea", False)
    assert O.prefilter("North Korea", False) == ("north korea", True)
    assert O.prefilter("Ünïcode", False) == ("code", True)
    assert O.prefilter("Ωμέγα", False) == ("", True)
    assert O.prefilter("東京 Tower", False) == ("東京 tower", True)


# -- the corpus ----------------------------------------------------------------------------------

TEXTS = ["Open: Korea and Korea's envoy met in Korea.",     # the open document
         "New: Korea talks; Koreas are two.",
         "In progress: 🇰🇷 Korea, Korea!",
         "Done: Korea signed.",
         "Skipped: Korea again.",
         "Nothing here at all.",
         "Also KOREA and korea."]


@pytest.fixture
def corpus(store):
    statuses = [IN_PROGRESS, NEW, IN_PROGRESS, DONE, SKIPPED, NEW, NEW]
    ids, _ = store.add_documents([{"text": t, "title": f"doc {i}", "status": st}
                                  for i, (t, st) in enumerate(zip(TEXTS, statuses))])
    return ids


def rows_of(store, q):
    return [r for _, _, rows in O.scan(store, q) for r in rows]


def where(rows):
    return [(r.doc_id, r.start) for r in rows]


def test_scopes(store, corpus):
    ids = corpus
    q = O.Query("Korea", "GPE", scope=O.DOCUMENT, open_doc=ids[3])
    assert where(rows_of(store, q)) == [(ids[3], 6)]
    q = O.Query("Korea", "GPE", scope=O.NOT_DONE, open_doc=ids[3])      # the open one is done
    got = rows_of(store, q)
    assert [r.doc_id for r in got] == [ids[3], ids[0], ids[0], ids[0], ids[1], ids[2], ids[2]]
    q = O.Query("Korea", "GPE", scope=O.NOT_DONE, open_doc=ids[0])
    assert {r.doc_id for r in rows_of(store, q)} == {ids[0], ids[1], ids[2]}
    q = O.Query("Korea", "GPE", scope=O.ALL, open_doc=ids[0])
    got = rows_of(store, q)
    assert {r.doc_id for r in got} == {ids[0], ids[1], ids[2], ids[3], ids[4]}
    assert len(got) == 3 + 1 + 2 + 1 + 1
    assert [TEXTS[r.doc_id - ids[0]][r.start:r.end] for r in got] == ["Korea"] * 8
    q = O.Query("korea", "GPE", scope=O.ALL, open_doc=ids[0], case=False)
    assert len(rows_of(store, q)) == 10
    # the row's context and offsets on the text with a flag before the occurrence
    row = next(r for r in got if r.doc_id == ids[2])
    assert (row.before, row.start, row.after[:2]) == ("In progress: 🇰🇷 ", 16, ", ")


def test_rows_stream_in_batches(store, corpus, monkeypatch):
    monkeypatch.setattr(store_occurrences, "STEP", 2)
    q = O.Query("Korea", "GPE", scope=O.ALL, open_doc=corpus[0])
    batches = list(O.scan(store, q))
    assert len(batches) == 1 + 4                       # the open document, then 7 ids by 2
    assert batches[0][2] and batches[1][0] < batches[1][1]     # rows before the scan is over
    assert [b[0] for b in batches[1:]] == [2, 4, 6, 7] and {b[1] for b in batches[1:]} == {7}
    cancelled = list(O.scan(store, q, cancelled=lambda: True))
    assert len(cancelled) == 1                         # the open document, then it stops


def test_what_stands_there_and_the_default_ticks(store, corpus):
    d = corpus[0]
    k1, k2, k3 = at(TEXTS[0], "Korea"), at(TEXTS[0], "Korea", 1), at(TEXTS[0], "Korea", 2)
    store.apply(ReplaceSpans(d, (), (Span(k1, k1 + 5, "GPE"), Span(k2, k2 + 7, "NORP"),
                                     Span(k3, k3 + 5, "GPE", "en_core_web_sm-3.8.0"))))
    d2 = corpus[1]
    store.apply(ReplaceSpans(d2, (), (Span(5, 10, "ORG"),)))
    q = O.Query("Korea", "GPE", scope=O.NOT_DONE, open_doc=d)
    got = {(r.doc_id, r.start): r for r in rows_of(store, q)}
    assert [got[(d, k)].kind for k in (k1, k2, k3)] == [O.SAME, O.PERSON, O.MODEL]
    assert got[(d2, 5)].kind == O.PERSON and got[(corpus[2], 16)].kind == O.NOTHING
    assert [got[(d, k)].ticked for k in (k1, k2, k3)] == [False, False, True]
    assert got[(d2, 5)].ticked is False and got[(corpus[2], 16)].ticked is True
    assert got[(d, k2)].what == "person: NORP on “Korea's”"
    assert got[(d, k3)].what == "model: GPE" and got[(d, k1)].what == "already GPE"


def spans_table(path):
    return query(path, "SELECT doc_id, start, end, label, source, ifnull(entity, 0) FROM spans "
                       "ORDER BY doc_id, start")


def docs_table(path):
    return query(path, "SELECT id, status, n_spans FROM documents ORDER BY id")


def test_one_edit_one_journal_entry_and_undo_restores_the_rows(store, corpus, project):
    ids, d = corpus, corpus[0]
    k2 = at(TEXTS[0], "Korea", 1)
    store.apply(ReplaceSpans(d, (), (Span(k2, k2 + 7, "NORP"),                       # a person's
                                     Span(0, 4, "ORG", "en_core_web_sm-3.8.0"))))    # unrelated
    store.apply(ReplaceSpans(ids[2], (), (Span(13, 23, "LOC", "en_core_web_sm-3.8.0"),)))  # "🇰🇷 Korea"
    before_spans, before_docs = spans_table(project), docs_table(project)
    journal = query(project, "SELECT count(*) FROM journal")[0][0]
    history = History(store)
    history.load(d)
    q = O.Query("Korea", "GPE", scope=O.ALL, open_doc=d)
    rows = rows_of(store, q)
    edit = O.build_edit(store, q, [r for r in rows if r.ticked])
    out = history.do(edit)
    assert query(project, "SELECT count(*) FROM journal")[0][0] == journal + 1
    entry = query(project, "SELECT id, doc_id, undone FROM journal ORDER BY id DESC LIMIT 1")[0]
    assert entry == (out.entry, d, 0)
    assert [r[0] for r in query(project, "SELECT doc_id FROM journal_docs WHERE entry = ? "
                                         "ORDER BY doc_id", [out.entry])] == ids[1:5]
    got = query(project, "SELECT doc_id, start, end, label, source FROM spans ORDER BY doc_id, start")
    k1, k3 = at(TEXTS[0], "Korea"), at(TEXTS[0], "Korea", 2)
    assert got == [(d, 0, 4, "ORG", "en_core_web_sm-3.8.0"), (d, k1, k1 + 5, "GPE", MANUAL),
                   (d, k2, k2 + 7, "NORP", MANUAL),                    # the person's: kept
                   (d, k3, k3 + 5, "GPE", MANUAL),
                   (ids[1], 5, 10, "GPE", MANUAL),
                   (ids[2], 16, 21, "GPE", MANUAL), (ids[2], 23, 28, "GPE", MANUAL),  # LOC gone
                   (ids[3], 6, 11, "GPE", MANUAL), (ids[4], 9, 14, "GPE", MANUAL)]
    assert [TEXTS[r[0] - ids[0]][r[1]:r[2]] for r in got[1:] if r[3] == "GPE"] == ["Korea"] * 7
    # the done document is in progress again, the skipped one stays skipped, new ones in progress
    assert [r[1] for r in docs_table(project)] == [IN_PROGRESS, IN_PROGRESS, IN_PROGRESS,
                                                   IN_PROGRESS, SKIPPED, NEW, NEW]
    assert O.summary(edit) == ("Labelled 7 occurrences in 5 documents (replacing 1 span); 1 "
                               "document marked done is in progress again — Ctrl+Z undoes it all.")
    back = history.undo()
    assert back.entry == out.entry and len(back.docs) == 5
    assert spans_table(project) == before_spans
    assert docs_table(project) == before_docs           # the new one new again, the done one done
    assert query(project, "SELECT undone FROM journal WHERE id = ?", [out.entry]) == [(1,)]


def test_a_persons_span_is_replaced_only_when_its_row_is_ticked(store, corpus, project):
    d = corpus[1]
    store.apply(ReplaceSpans(d, (), (Span(5, 16, "EVENT"),)))        # "Korea talks"
    q = O.Query("Korea", "GPE", scope=O.DOCUMENT, open_doc=d)
    (row,) = rows_of(store, q)
    assert row.kind == O.PERSON and not row.ticked
    assert O.build_edit(store, q, [r for r in [row] if r.ticked]) is None
    edit = O.build_edit(store, q, [row])                    # ticked explicitly
    store.commit(edit)
    assert query(project, "SELECT start, end, label FROM spans WHERE doc_id = ?", [d]) == [(5, 10, "GPE")]


def test_same_rows_are_no_ops(store, corpus):
    d = corpus[3]
    store.apply(ReplaceSpans(d, (), (Span(6, 11, "GPE"),)))
    q = O.Query("Korea", "GPE", scope=O.DOCUMENT, open_doc=d)
    (row,) = rows_of(store, q)
    assert row.kind == O.SAME and O.build_edit(store, q, [row]) is None


def test_the_entity_is_carried(store, corpus, project):
    d = corpus[0]
    store.apply(ChangeEntities(d, (), (Entity(1, "Korea", "Q884"),)))
    k1 = at(TEXTS[0], "Korea")
    source = Span(k1, k1 + 5, "GPE", MANUAL, 1)
    store.apply(ReplaceSpans(d, (), (source,)))
    q = O.Query("Korea", "GPE", entity=source.entity, scope=O.NOT_DONE, open_doc=d)
    rows = rows_of(store, q)
    assert rows[0].kind == O.SAME
    store.commit(O.build_edit(store, q, [r for r in rows if r.ticked]))
    assert set(query(project, "SELECT label, source, entity FROM spans")) == {("GPE", MANUAL, 1)}
    assert query(project, "SELECT count(*) FROM spans WHERE entity = 1") == [(6,)]
    # a person's span of the same bounds and label with no entity: unticked (it is theirs)
    d2 = corpus[4]
    store.apply(ReplaceSpans(d2, (), (Span(9, 14, "GPE"),)))
    (row,) = rows_of(store, O.Query("Korea", "GPE", entity=1, scope=O.DOCUMENT, open_doc=d2))
    assert row.kind == O.PERSON and not row.ticked and row.what == "person: GPE, no entity"


def test_stale_previews_are_refused_and_nothing_is_written(store, corpus, project):
    d = corpus[0]
    q = O.Query("Korea", "GPE", scope=O.ALL, open_doc=d)
    rows = [r for r in rows_of(store, q) if r.ticked]
    other = Store(project)                                  # another window
    try:
        other.apply(ReplaceSpans(corpus[2], (), (Span(16, 21, "LOC", "en_core_web_sm-3.8.0"),)))
        with pytest.raises(StaleEdit, match="changed since the preview"):
            O.build_edit(store, q, rows)
        other.apply(ReplaceSpans(corpus[2], (Span(16, 21, "LOC", "en_core_web_sm-3.8.0"),), ()))
        other.apply(SetStatus(corpus[1], NEW, DONE))
        with pytest.raises(StaleEdit, match="is done now"):
            O.build_edit(store, q, rows)
        other.apply(SetStatus(corpus[1], DONE, NEW))
        edit = O.build_edit(store, q, rows)                 # as in the preview again
        before, journal = spans_table(project), query(project, "SELECT count(*) FROM journal")
        # changed between the edit's making and its commit: the store refuses it whole
        other.apply(ReplaceSpans(corpus[4], (), (Span(9, 14, "ORG"),)))
        with pytest.raises(StaleEdit):
            store.commit(edit)
        assert spans_table(project) == before + [(corpus[4], 9, 14, "ORG", MANUAL, 0)]
        assert query(project, "SELECT count(*) FROM journal") == [(journal[0][0] + 1,)]   # other's
    finally:
        other.close()


def test_a_done_document_goes_back_to_done_on_undo(store, corpus, project):
    d = corpus[3]
    history = History(store)
    history.load(d)
    q = O.Query("Korea", "GPE", scope=O.DOCUMENT, open_doc=d)
    out = history.do(O.build_edit(store, q, rows_of(store, q)))
    assert out.statuses == {d: IN_PROGRESS} and out.was == {d: DONE}
    assert query(project, "SELECT status FROM documents WHERE id = ?", [d]) == [(IN_PROGRESS,)]
    history.undo()
    assert query(project, "SELECT status FROM documents WHERE id = ?", [d]) == [(DONE,)]
    assert query(project, "SELECT count(*) FROM spans WHERE doc_id = ?", [d]) == [(0,)]


def test_case_insensitive_across_the_corpus_with_letters_sqlite_does_not_fold(store):
    texts = ["Der ÜNÏCODE-Standard.", "ünïcode, nicht unicode.", "Ωμέγα και ΩΜΈΓΑ.", "Nothing."]
    ids, _ = store.add_documents([{"text": t} for t in texts])
    rows = rows_of(store, O.Query("Ünïcode", "ORG", scope=O.ALL, open_doc=ids[3], case=False))
    assert [(r.doc_id, r.match) for r in rows] == [(ids[0], "ÜNÏCODE"), (ids[1], "ünïcode")]
    rows = rows_of(store, O.Query("ωμέγα", "ORG", scope=O.ALL, open_doc=ids[3], case=False))
    assert [(r.doc_id, r.start, r.match) for r in rows] == [(ids[2], 0, "Ωμέγα"), (ids[2], 10, "ΩΜΈΓΑ")]
    assert rows_of(store, O.Query("ωμέγα", "ORG", scope=O.ALL, open_doc=ids[3])) == []
