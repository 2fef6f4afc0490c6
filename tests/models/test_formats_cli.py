"""The command line: export --format ..., import --format doccano|brat|spacy, and the place
where other modules register their commands."""
from __future__ import annotations

import json
import sys
import types

import pytest

from models import cli
from models.spans import Span
from models.store import Store

from .test_roundtrip import CORPUS, build


@pytest.fixture
def corpus(tmp_path):
    store = build(tmp_path / "corpus.annot")
    store.close()
    return tmp_path / "corpus.annot"


def run(capsys, *argv) -> tuple[int, str, str]:
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def usage_error(capsys, *argv) -> str:
    with pytest.raises(SystemExit) as e:
        cli.main([str(a) for a in argv])
    assert e.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize("fmt,out,files", [
    ("jsonl", "o.jsonl", None), ("doccano", "o.jsonl", None), ("conll", "o.conll", None),
    ("labels", "labels.json", None), ("patterns", "p.jsonl", None),
    ("spacy", "spacy", ["dev.spacy", "train.spacy"]),
    ("brat", "brat", ["annotation.conf"] + [f"doc-{i:06d}.{e}" for i in range(1, 10) for e in ("ann", "txt")]),
])
def test_export_each_format(capsys, corpus, tmp_path, fmt, out, files):
    rc, stdout, err = run(capsys, "export", corpus, tmp_path / out, "--format", fmt)
    assert rc == 0 and stdout == ""
    if fmt == "labels":
        assert err == "19 labels exported\n"
    else:
        assert err.startswith(f"{len(CORPUS)} documents exported")
    target = tmp_path / out
    if files is None:
        assert target.is_file()
    else:
        assert sorted(p.name for p in target.iterdir()) == files
    assert not list(tmp_path.rglob("*.part"))


def test_export_options(capsys, corpus, tmp_path):
    rc, _, err = run(capsys, "export", corpus, tmp_path / "s", "--format", "spacy", "--dev-fraction", "0",
                     "--seed", "3", "--all")
    assert rc == 0 and err == f"{len(CORPUS) + 1} documents exported ({len(CORPUS) + 1} train, 0 dev, 20 entities)\n"
    rc, _, _ = run(capsys, "export", corpus, tmp_path / "u.jsonl", "--format", "doccano", "--offsets", "utf16")
    first = json.loads((tmp_path / "u.jsonl").read_text("utf-8").split("\n")[0])
    assert rc == 0 and first["label"][1] == [12, 17, "GPE"]
    rc, _, err = run(capsys, "export", corpus, tmp_path / "r.jsonl", "--include-rejected")
    assert rc == 0 and err == f"{len(CORPUS)} documents exported\n"


@pytest.mark.parametrize("argv,message", [
    (["--format", "jsonl", "--snap", "expand"], "--snap applies to --format spacy, not jsonl"),
    (["--format", "conll", "--dev-fraction", "0.1"], "--dev-fraction applies to --format spacy"),
    (["--format", "brat", "--offsets", "utf16"], "--offsets applies to --format doccano"),
    (["--format", "spacy", "--include-rejected"], "--include-rejected applies to --format jsonl"),
    (["--format", "labels", "--all"], "--all applies to --format jsonl / spacy"),
    (["--format", "spacy", "--dev-fraction", "1.5"], "must be between 0 and 1"),
    (["--format", "xml"], "invalid choice: 'xml'"),
])
def test_export_options_that_do_not_apply_are_usage_errors(capsys, corpus, tmp_path, argv, message):
    err = usage_error(capsys, "export", corpus, tmp_path / "o", *argv)
    assert message in err
    assert not (tmp_path / "o").exists()


def test_spacy_export_stops_on_misaligned_spans_then_snaps(capsys, tmp_path):
    project = tmp_path / "p.annot"
    store = Store(project)
    store.add_documents([{"text": "NorthKorea's Kim met Putin.", "title": "Talks", "status": "done",
                          "spans": [Span(5, 10, "GPE"), Span(13, 16, "PERSON")]}])
    store.close()
    out = tmp_path / "spacy"
    rc, stdout, err = run(capsys, "export", project, out, "--format", "spacy")
    assert rc == 1 and stdout == "" and not out.exists()
    assert err.splitlines() == [
        "  document 1 ('Talks'): 5-10 GPE 'Korea': does not line up with spaCy's tokens",
        "error: 1 span does not line up with spaCy's tokens; nothing was written. Correct them, "
        "or export with --snap expand|contract"]
    rc, _, err = run(capsys, "export", project, out, "--format", "spacy", "--snap", "expand")
    assert rc == 0
    assert err.splitlines() == [
        "changed: document 1 ('Talks'): 5-10 GPE 'Korea': does not line up with spaCy's tokens; "
        "--snap expand: now 0-10 'NorthKorea'",
        "1 document exported (1 train, 0 dev, 2 entities; 1 spans changed (see the list))"]


def test_folder_formats_cannot_go_to_standard_output(capsys, corpus):
    assert "writes a folder" in usage_error(capsys, "export", corpus, "-", "--format", "brat")


def test_conll_to_standard_output(capsys, corpus):
    rc, out, err = run(capsys, "export", corpus, "-", "--format", "conll")
    assert rc == 0 and out.startswith("-DOCSTART- -X- O O\n\nSeoul _ _ B-GPE\n")


def test_import_doccano_utf16_and_brat(capsys, corpus, tmp_path):
    run(capsys, "export", corpus, tmp_path / "u.jsonl", "--format", "doccano", "--offsets", "utf16")
    run(capsys, "export", corpus, tmp_path / "brat", "--format", "brat")
    rc, out, err = run(capsys, "import", tmp_path / "a.annot", tmp_path / "u.jsonl", "--format", "doccano",
                       "--offsets", "utf16")
    assert (rc, out) == (0, f"{len(CORPUS)} added, new labels: WEAPON\n")
    assert f"note: label WEAPON added to the label set (first: {tmp_path / 'u.jsonl'}:6, span 28-33 'AK-47')" in err
    rc, out, _ = run(capsys, "import", tmp_path / "b.annot", tmp_path / "brat")
    assert (rc, out) == (0, f"{len(CORPUS)} added, new labels: WEAPON\n")
    for project in ("a.annot", "b.annot"):
        s = Store(tmp_path / project)
        assert sum(len(s.spans(d)) for d, *_ in s.document_rows()) == sum(len(e) for _, e in CORPUS)
        s.close()


def test_import_offsets_is_for_doccano_only(capsys, tmp_path):
    err = usage_error(capsys, "import", tmp_path / "p.annot", tmp_path, "--offsets", "utf16")
    assert "--offsets utf16 applies to --format doccano only" in err


def test_a_registered_command_is_parsed_and_run(capsys, monkeypatch, tmp_path):
    seen = []
    plugin = types.ModuleType("fake_train")
    plugin.add_parser = lambda sub: sub.add_parser("fake-train").add_argument("project")
    plugin.run = lambda args: seen.append(args.project) or 0
    monkeypatch.setitem(sys.modules, "fake_train", plugin)
    monkeypatch.setitem(cli.PLUGINS, "fake-train", "fake_train")
    assert cli.main(["fake-train", "p.annot"]) == 0 and seen == ["p.annot"]
    assert "fake-train" in cli._parser().format_help()
