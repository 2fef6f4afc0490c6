"""Training an NER model from a project (models/train.py): split, Docs, spaCy training, CLI."""
from __future__ import annotations

import argparse
import json
import signal
import threading
from pathlib import Path

import pytest

from models import cli, exporter, ner, train, train_cli
from models.document import text_hash
from models.document import DONE, NEW
from models.spans import Span
from models.store import Store

from .helpers import MODEL, query

PLACES = ["Seoul", "Tokyo", "Paris", "Berlin", "Madrid", "Cairo"]
COMPANIES = ["Apple", "Samsung", "Toyota", "Google", "Siemens", "Nokia"]
TEMPLATES = [
    "{org} opened a new office in {gpe} on Monday.",
    "Officials in {gpe} said {org} would hire 200 engineers.",
    "{org} shares rose after its chief visited {gpe}.",
    "In {gpe}, {org} unveiled a phone.",
    "Analysts expect {org} to expand in {gpe} next year.",
]
# A person's exact selection inside a token ("Korea" of "NorthKorea"): it is expanded to
# the whole token for spaCy, and reported.
ODD_TEXT = "Talks with NorthKorea resumed, Apple said."


def make_project(path: Path, n_done: int = 30) -> Path:
    """``n_done`` done documents with GPE and ORG spans, one with a span inside a token, and
    two documents not done (which training leaves out)."""
    docs = []
    for i in range(n_done - 1):
        org, gpe = COMPANIES[i % 6], PLACES[(i * 5 + i // 6) % 6]
        text = f"{i + 1}. " + TEMPLATES[i % 5].format(org=org, gpe=gpe)
        a, b = text.index(org), text.index(gpe)
        docs.append({"text": text, "status": DONE,
                     "spans": [Span(a, a + len(org), "ORG"), Span(b, b + len(gpe), "GPE")]})
    k, a = ODD_TEXT.index("Korea"), ODD_TEXT.index("Apple")
    docs.append({"text": ODD_TEXT, "status": DONE,
                 "spans": [Span(k, k + 5, "GPE"), Span(a, a + 5, "ORG")]})
    for text in ("Nokia moved to Madrid.", "Siemens left Cairo."):
        o = text.split()[0]
        docs.append({"text": text, "status": NEW, "spans": [Span(0, len(o), "ORG")]})
    store = Store(path)
    try:
        store.add_documents(docs)
    finally:
        store.close()
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One short training from scratch, shared by the tests that only look at its result."""
    root = tmp_path_factory.mktemp("trained")
    project = make_project(root / "news.annotator")
    calls = []
    result = train.train_project(project, root / "out", max_steps=20,
                                 progress=lambda *a: calls.append(a),
                                 checkpoint=lambda *a: calls.append(("checkpoint", *a)))
    return project, result, calls


# -- the split -------------------------------------------------------------------------------
def hashed(ids) -> list[tuple[int, str]]:
    return [(i, text_hash(f"article {i}")) for i in ids]


def test_split_is_stable_and_depends_only_on_the_text_and_seed():
    items = hashed(range(1, 501))
    tr, dev = train.split(items, 0.2, seed=7)
    assert (tr, dev) == train.split(items, 0.2, seed=7)
    assert sorted(tr + dev) == list(range(1, 501)) and not set(tr) & set(dev)
    assert tr == sorted(tr) and dev == sorted(dev)              # the order given is kept
    # A document's side does not move when other documents come or go.
    tr2, dev2 = train.split(items[::3] + hashed(range(1000, 1200)), 0.2, seed=7)
    assert set(dev2) & set(range(1, 501)) == set(dev) & {i for i, _ in items[::3]}
    assert train.split(items, 0.2, seed=8)[1] != dev            # another seed, another split


@pytest.mark.parametrize("fraction", [0.1, 0.2, 0.5])
def test_split_honours_the_fraction(fraction):
    tr, dev = train.split(hashed(range(1, 4001)), fraction, seed=0)
    assert abs(len(dev) / 4000 - fraction) < 0.03


def test_split_edges():
    three = hashed([1, 2, 3])
    assert train.split(three, 0.0) == ([1, 2, 3], [])
    assert train.split(three, 1.0) == ([], [1, 2, 3])
    assert train.split([], 0.2) == ([], [])
    # Two documents and a small fraction: dev still gets one, always the same one.
    for seed in range(20):
        tr, dev = train.split(hashed([1, 2]), 0.01, seed)
        assert len(tr) == len(dev) == 1 and train.split(hashed([1, 2]), 0.01, seed) == (tr, dev)
        tr, dev = train.split(hashed([1, 2]), 0.99, seed)
        assert len(tr) == len(dev) == 1
    with pytest.raises(ValueError):
        train.split(three, 1.5)


def test_split_is_the_spacy_exports(tmp_path):
    """Training holds out exactly the documents the .spacy export puts in dev.spacy."""
    from spacy.tokens import DocBin
    import spacy
    project = make_project(tmp_path / "p.annotator")
    for seed in (0, 5):
        exporter.export(project, tmp_path / f"export{seed}", "spacy", seed=seed,
                        snap="expand")
        vocab = spacy.blank("en").vocab
        exported = {d.text for d in DocBin().from_disk(tmp_path / f"export{seed}" / "dev.spacy")
                    .get_docs(vocab)}
        rows = query(project, "SELECT id, text_hash FROM documents WHERE status = 'done' ORDER BY id")
        _, dev = train.split(rows, 0.2, seed)
        texts = dict(query(project, "SELECT doc_id, text FROM texts"))
        assert {texts[i] for i in dev} == exported and dev


# -- documents to Docs ---------------------------------------------------------------------------
def test_make_docs_expands_trims_and_reports():
    import spacy
    from models.document import Document
    text = "NorthKorea met  Seoul officials"
    doc = Document(1, text)
    spans = [Span(0, 5, "LOC"),                        # "North" of "NorthKorea": expanded
             Span(5, 10, "GPE"),                       # the same token: overlaps once expanded
             Span(14, 21, "GPE")]                      # " Seoul" with a space: trimmed
    docs, expanded, dropped = train.make_docs([(doc, spans)], spacy.blank("en"))
    assert [(e.start_char, e.end_char, e.label_) for e in docs[0].ents] == [(0, 10, "LOC"), (16, 21, "GPE")]
    assert [(c.start, c.end, c.new_start, c.new_end, c.reason) for c in expanded] == [
        (0, 5, 0, 10, "expanded to token boundaries"), (14, 21, 16, 21, "trimmed of whitespace")]
    assert [(c.start, c.end, c.label, c.text) for c in dropped] == [(5, 10, "GPE", "Korea")]
    assert "overlaps 0-10 LOC" in str(dropped[0])
    docs, expanded, dropped = train.make_docs([(doc, [Span(5, 10, "GPE")])], spacy.blank("en"))
    assert [(c.new_start, c.new_end, c.text) for c in expanded] == [(0, 10, "Korea")]
    assert "document 1, 5-10 GPE 'Korea': expanded to token boundaries -> 0-10" == str(expanded[0])


def test_make_docs_can_be_cancelled():
    import spacy
    from models.document import Document
    items = [(Document(i, f"Text {i}."), []) for i in range(1, 251)]
    asked = []
    with pytest.raises(train.Cancelled):
        train.make_docs(items, spacy.blank("en"), lambda: asked.append(1) or len(asked) == 2)
    assert len(asked) == 2


# -- training ---------------------------------------------------------------------------------------
def test_training_from_scratch(trained):
    project, result, calls = trained
    assert not result.cancelled and result.base is None
    assert result.n_train + result.n_dev == 30                 # done documents only
    done = query(project, "SELECT id, text_hash FROM documents WHERE status = 'done'")
    assert result.n_dev == len(train.split(done, 0.2, 0)[1])
    assert result.labels == ["GPE", "ORG"]
    assert result.steps == 20
    assert [(c.text, c.new_start, c.new_end) for c in result.expanded_spans] == [("Korea", 11, 21)]
    assert result.dropped_spans == []
    # Progress after every step (0 .. max_steps), checkpoints at the evaluations on dev.
    steps = [c for c in calls if c[0] != "checkpoint"]
    assert [s for s, total, _ in steps] == list(range(21)) and {t for _, t, _ in steps} == {20}
    assert "ner" in steps[-1][2]
    assert [c[1] for c in calls if c[0] == "checkpoint"] == [0, 20]
    assert set(calls[-2][3]) == {"p", "r", "f"}


def test_scores_overall_and_per_label(trained):
    _, result, _ = trained
    overall, per_label = result.scores["overall"], result.scores["per_label"]
    assert set(per_label) == {"GPE", "ORG"}
    for s in [overall, *per_label.values()]:
        assert set(s) == {"p", "r", "f", "n"} and all(0 <= s[k] <= 1 for k in "prf")
    assert overall["n"] == sum(s["n"] for s in per_label.values()) == 2 * result.n_dev
    assert overall["f"] > 0.5                     # 20 steps learn this toy corpus well enough


def test_trained_model_loads(trained):
    import spacy
    _, result, _ = trained
    assert result.model_path.name in ("model-best", "model-last") and result.model_path.is_dir()
    nlp = spacy.load(result.model_path)
    assert nlp.pipe_names == ["tok2vec", "ner"]
    assert set(nlp.get_pipe("ner").labels) == {"GPE", "ORG"}
    pipe = ner.load(str(result.model_path))
    assert pipe.source.startswith("en_news_ner-")      # distinct from any packaged pipeline
    assert [list(p) for p in pipe.predict(["Toyota opened a new office in Berlin on Monday."])]
    # The saved config is the one ``spacy train`` would leave: no hooks of this run, no temp paths.
    config = (result.model_path / "config.cfg").read_text()
    assert train.LOGGER_NAME not in config and "annotator-train-" not in config


def test_training_further_from_a_trained_model(trained, tmp_path):
    """A model trained here as the base: its NER listens to a tok2vec, which is sourced too."""
    project, first, _ = trained
    result = train.train_project(project, tmp_path / "again", base=str(first.model_path),
                                 max_steps=3)
    import spacy
    nlp = spacy.load(result.model_path)
    assert nlp.pipe_names == ["tok2vec", "ner"] and result.base == str(first.model_path)
    assert set(result.scores["per_label"]) == {"GPE", "ORG"}


def test_training_from_the_base_pipeline_via_the_command_line(tmp_path, capsys):
    project = make_project(tmp_path / "p.annotator")
    rc = cli_train(project, tmp_path / "out", "--base", MODEL, "--max-steps", "10", "--use")
    out, err = capsys.readouterr()
    assert rc == 0, err
    model = tmp_path / "out" / "model-best"
    assert f"model: {model}" in out
    assert f"the project now pre-annotates with {model}" in out
    assert "GPE" in out and "ORG" in out and "\nall " in out
    assert "warning: span document 30, 16-21 GPE 'Korea': expanded to token boundaries -> 11-21" in err
    assert "step      0" in err and "step     10" in err
    assert query(project, "SELECT value FROM settings WHERE key = 'model'") == [(json.dumps(str(model)),)]
    import spacy
    nlp = spacy.load(model)
    assert nlp.pipe_names == ["ner"]                       # the base's NER has its own tok2vec
    assert "PERSON" in nlp.get_pipe("ner").labels          # sourced: the base's labels are kept
    # preannotate now uses the project's model
    assert cli.main(["preannotate", str(project)]) == 0
    out, _ = capsys.readouterr()
    assert "pre-annotated with en_p_ner-" in out
    sources = query(project, "SELECT DISTINCT source FROM spans s JOIN documents d ON d.id = s.doc_id "
                             "WHERE d.status = 'new' AND source != 'manual'")
    assert all(s.startswith("en_p_ner-") for (s,) in sources)


def cli_train(*argv) -> int:
    parser = argparse.ArgumentParser(prog="article-annotator")
    train_cli.add_parser(parser.add_subparsers(dest="command", required=True))
    return train_cli.run(parser.parse_args(["train", *map(str, argv)]))


def test_cancel_keeps_what_was_learnt(tmp_path):
    """Cancelled from a worker thread (as the GUI does): stops at once, a model is still saved."""
    project = make_project(tmp_path / "p.annotator")
    steps, box = [], {}
    worker = threading.Thread(target=lambda: box.setdefault("result", train.train_project(
        project, tmp_path / "out", max_steps=1000, progress=lambda s, m, l: steps.append(s),
        cancelled=lambda: len(steps) >= 3)))
    worker.start()
    worker.join(60)
    result = box["result"]
    assert result.cancelled and result.steps == 2 and steps == [0, 1, 2]
    assert result.model_path.is_dir() and ner.load(str(result.model_path)).labels
    assert set(result.scores["per_label"]) <= {"GPE", "ORG"}
    # progress returning False stops too
    result = train.train_project(project, tmp_path / "out2", max_steps=1000,
                                 progress=lambda s, m, l: s < 1)
    assert result.cancelled and result.steps == 1


def test_cancel_before_training_writes_nothing(tmp_path):
    project = make_project(tmp_path / "p.annotator", n_done=4)
    result = train.train_project(project, tmp_path / "out", max_steps=5, cancelled=lambda: True)
    assert result.cancelled and result.model_path is None and not (tmp_path / "out").exists()


def test_ctrl_c_stops_the_command_and_leaves_the_project_model(tmp_path, capsys, monkeypatch):
    project = make_project(tmp_path / "p.annotator")
    real = train.train_project

    def pressing_ctrl_c(*args, progress, **kw):
        def press(step, total, losses):
            if step == 2:
                signal.raise_signal(signal.SIGINT)      # the user presses Ctrl+C once
            return progress(step, total, losses)
        return real(*args, progress=press, **kw)
    monkeypatch.setattr(train_cli, "train_project", pressing_ctrl_c)
    rc = cli_train(project, tmp_path / "out", "--max-steps", "500", "--use")
    out, err = capsys.readouterr()
    assert rc == cli.INTERRUPTED
    assert "3 steps" not in out and "2 steps" in out and "(stopped early)" in out
    assert "the project's model is not changed" in err
    assert query(project, "SELECT value FROM settings WHERE key = 'model'") == []


def test_errors(tmp_path, capsys):
    with pytest.raises(train.TrainError, match="no project file"):
        train.train_project(tmp_path / "missing.annotator", tmp_path / "out")
    assert not (tmp_path / "missing.annotator").exists()
    few = make_project(tmp_path / "few.annotator", n_done=2)
    store = Store(few)
    store.db.execute("UPDATE documents SET status = 'new' WHERE id = 1")
    store.close()
    with pytest.raises(train.TrainError, match="at least 2 done documents"):
        train.train_project(few, tmp_path / "out")
    empty = tmp_path / "empty.annotator"
    store = Store(empty)
    store.add_documents([{"text": f"Nothing {i} here.", "status": DONE} for i in range(10)])
    store.close()
    with pytest.raises(train.TrainError, match="no entities"):
        train.train_project(empty, tmp_path / "out")
    ok = make_project(tmp_path / "ok.annotator", n_done=4)
    with pytest.raises(train.TrainError, match="cannot load base pipeline"):
        train.train_project(ok, tmp_path / "out", base=str(tmp_path / "nope"))
    with pytest.raises(train.TrainError, match="dev fraction"):
        train.train_project(empty, tmp_path / "out", dev_fraction=0)
    assert cli_train(empty, tmp_path / "out") == 1
    assert "error: the" in capsys.readouterr().err and not (tmp_path / "out").exists()
    with pytest.raises(SystemExit):
        cli_train(empty, tmp_path / "out", "--dev-fraction", "1")


def test_use_model_sets_the_project_setting(tmp_path):
    project = make_project(tmp_path / "p.annotator", n_done=2)
    assert train.use_model(project, tmp_path / "m") == str((tmp_path / "m").resolve())
    store = Store(project)
    try:
        assert store.setting("model") == str((tmp_path / "m").resolve())
        train.use_model(store, "rel/model")
        assert store.setting("model") == str(Path("rel/model").resolve())
    finally:
        store.close()


def test_config_sources_the_base_ner():
    import spacy
    nlp = spacy.load(MODEL)
    cfg = train.make_config(MODEL, nlp, max_steps=7, seed=3, train_path="t", dev_path="d")
    assert cfg["nlp"]["pipeline"] == ["ner"] and cfg["components"] == {"ner": {"source": MODEL}}
    assert cfg["initialize"]["before_init"]["tokenizer"] == MODEL
    assert cfg["training"]["max_steps"] == 7 and cfg["training"]["eval_frequency"] == 7
    assert cfg["system"]["seed"] == 3
    scratch = train.make_config(None, spacy.blank("en"), max_steps=5000, seed=0, train_path="t",
                                dev_path="d")
    assert scratch["nlp"]["pipeline"] == ["tok2vec", "ner"]
    assert scratch["training"]["eval_frequency"] == train.EVAL_FREQUENCY


def test_format_scores():
    table = train.format_scores({"overall": {"p": 0.5, "r": 0.25, "f": 1 / 3, "n": 4},
                                 "per_label": {"GPE": {"p": 1.0, "r": None, "f": 0.0, "n": 4}}})
    assert table.splitlines() == [
        "label       P       R       F       n",
        "GPE     100.0       -     0.0       4",
        "all      50.0    25.0    33.3       4",
    ]
