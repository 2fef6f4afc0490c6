"""Imports in batches: one transaction each, progress, cancel, streaming, duplicates, rejections."""
from __future__ import annotations

import json
import tracemalloc

import pytest

from models import importer
from models.importer import import_paths
from models.spans import Span

from .helpers import query


def article(i: int) -> str:
    return f"Article {i}: Kim met Putin in Moscow on day {i}. " + "More words follow here. " * 3


def write_jsonl(path, n: int, bad_every: int = 0, spans: bool = False) -> list[int]:
    """``n`` lines, every ``bad_every``-th one broken; returns the line numbers that are bad."""
    bad, lines = [], []
    for i in range(n):
        if bad_every and i % bad_every == bad_every - 1:
            lines.append('{"text": broken')
            bad.append(i + 1)
            continue
        obj = {"text": article(i), "meta": {"i": i}}
        if spans:
            obj["spans"] = [{"start": 0, "end": 7, "label": "MISC"}, {"start": 11, "end": 14, "label": "PERSON"}]
        lines.append(json.dumps(obj))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return bad


def counts(project) -> tuple[int, int, int]:
    """(documents, texts, spans) as another connection sees them."""
    return query(project, "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM texts), "
                          "(SELECT count(*) FROM spans)")[0]


def test_each_batch_is_committed_and_reported(store, project, tmp_path):
    path = tmp_path / "many.jsonl"
    write_jsonl(path, 1050)
    calls = []

    def progress(done, total, message):
        calls.append((done, total, message, counts(project)[0]))

    report = import_paths(store, [path], batch_size=100, progress=progress)
    assert len(report.added) == 1050 and report.problems == []
    size = path.stat().st_size
    assert len(calls) == 11
    # After each batch another connection already sees it: one transaction per batch.
    assert [c[3] for c in calls] == [100 * k for k in range(1, 11)] + [1050]
    assert all(c[1] == size for c in calls)
    dones = [c[0] for c in calls]
    assert dones == sorted(dones) and dones[-1] == size and 0 < dones[0] < size
    assert calls[0][2] == "many.jsonl: 100 added" and calls[-1][2] == "1050 added"


def test_reading_streams_instead_of_loading_the_whole_file(store, project, tmp_path):
    path = tmp_path / "big.jsonl"
    text = "A long article about Seoul and Tokyo. " * 50           # ~1.9 kB per line
    path.write_text("".join(json.dumps({"text": f"{i} {text}"}) + "\n" for i in range(3000)),
                    encoding="utf-8")
    size = path.stat().st_size                                    # ~5.8 MB
    first = []

    def progress(done, total, message):
        if not first:
            first.append((done, counts(project)[0]))

    tracemalloc.start()
    try:
        report = import_paths(store, [path], batch_size=100, progress=progress)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(report.added) == 3000
    done, committed = first[0]
    assert committed == 100 and done < size / 10       # the first batch is in before most is read
    assert peak < size / 4, f"peak {peak} bytes for a {size}-byte file"


def test_cancel_leaves_whole_batches_of_whole_documents(store, project, tmp_path):
    path = tmp_path / "tasks.jsonl"
    write_jsonl(path, 1000, spans=True)
    batches = []

    def progress(done, total, message):
        batches.append(done)

    report = import_paths(store, [path], batch_size=70, progress=progress,
                          cancelled=lambda: len(batches) == 3)
    assert report.cancelled and len(report.added) == 3 * 70
    assert report.summary() == "210 added, new labels: MISC (cancelled: the rest was not imported)"
    assert counts(project) == (210, 210, 420)
    # Every stored document is whole: its text, its length, its two spans.
    rows = query(project, "SELECT d.id, d.length, t.text, (SELECT count(*) FROM spans s WHERE s.doc_id = d.id), "
                          "json_extract(d.meta, '$.i') FROM documents d JOIN texts t ON t.doc_id = d.id ORDER BY d.id")
    assert [r[4] for r in rows] == list(range(210))
    assert all(r[2] == article(r[4]) and r[1] == len(r[2]) and r[3] == 2 for r in rows)
    # Importing again brings the rest; what is there already counts as duplicates.
    rest = import_paths(store, [path], batch_size=70)
    assert len(rest.added) == 790 and rest.duplicates == 210 and not rest.cancelled
    assert counts(project) == (1000, 1000, 2000)


def test_a_cancel_asked_after_the_last_batch_changes_nothing(store, tmp_path):
    path = tmp_path / "few.jsonl"
    write_jsonl(path, 5)
    report = import_paths(store, [path], batch_size=100, cancelled=lambda: True)
    assert not report.cancelled and len(report.added) == 5


def test_a_failing_batch_is_rolled_back_and_earlier_batches_stay(store, project, tmp_path, monkeypatch):
    path = tmp_path / "tasks.jsonl"
    write_jsonl(path, 50)
    real, seen = store.add_documents, []

    def add_documents(docs):
        seen.append(len(docs))
        if len(seen) == 3:
            real(docs[:5])                       # half-way through the batch…
            raise OSError("disk full")           # …the write fails
        return real(docs)

    monkeypatch.setattr(store, "add_documents", add_documents)
    with pytest.raises(OSError, match="disk full"):
        import_paths(store, [path], batch_size=10)
    assert counts(project) == (20, 20, 0)


def test_duplicates_and_rejections_across_files_and_batches(store, project, tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    bad_a = write_jsonl(a, 40, bad_every=7)
    lines = [json.dumps({"text": article(i)}) for i in range(30, 45)]    # 30-39 repeat a's
    lines[2] = json.dumps({"title": "no text"})
    lines.append(json.dumps({"text": article(44)}))                     # repeats its own line 15
    b.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_paths(store, [a, b], batch_size=8)
    assert [(p.file, p.line) for p in report.rejected] == [(str(a), n) for n in bad_a] + [(str(b), 3)]
    assert all(p.rejected for p in report.problems)
    assert report.problems[-1].message == "no 'text' field"
    # a: 40 lines, 5 broken -> 35; b: 16 lines, 1 without text, 10 of a's (minus a's broken
    # 35th line = article 34), 1 of its own.
    a_added = 40 - len(bad_a)
    repeats = sum(1 for i in range(30, 40) if i + 1 not in bad_a and i != 32)
    assert report.duplicates == repeats + 1
    assert len(report.added) == a_added + 16 - 1 - repeats - 1
    assert counts(project)[0] == len(report.added)
    assert report.summary() == (f"{len(report.added)} added, {report.duplicates} skipped as duplicates, "
                                f"{len(bad_a) + 1} rejected")


def test_span_problems_are_warnings_not_rejections(store, tmp_path):
    path = tmp_path / "w.jsonl"
    path.write_text(json.dumps({"text": "Kim met Putin.", "spans": [{"start": 0, "end": 99, "label": "X"}]})
                    + "\n", encoding="utf-8")
    report = import_paths(store, [path])
    assert len(report.added) == 1 and report.rejected == [] and len(report.warnings) == 1
    assert report.summary() == "1 added, 1 warning"


def test_slow_sources_are_committed_without_waiting_for_a_full_batch(store, project, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "MAX_BATCH_SECONDS", 0.0)
    folder = tmp_path / "pages"
    folder.mkdir()
    for i in range(4):
        (folder / f"{i}.txt").write_text(article(i), encoding="utf-8")
    seen = []
    report = import_paths(store, [folder], batch_size=500,
                          progress=lambda done, total, message: seen.append(counts(project)[0]),
                          cancelled=lambda: len(seen) == 2)
    assert seen == [1, 2] and report.cancelled and len(report.added) == 2


def test_progress_counts_bytes_across_files(store, tmp_path):
    paths = []
    for i in range(3):
        p = tmp_path / f"{i}.txt"
        p.write_text(article(i) * (i + 1), encoding="utf-8")
        paths.append(p)
    calls = []
    import_paths(store, paths, batch_size=1, progress=lambda *a: calls.append(a))
    total = sum(p.stat().st_size for p in paths)
    sizes = [p.stat().st_size for p in paths]
    assert [c[:2] for c in calls] == [(sizes[0], total), (sizes[0] + sizes[1], total), (total, total),
                                      (total, total)]
    assert [c[2] for c in calls] == ["0.txt: 1 added", "1.txt: 2 added", "2.txt: 3 added", "3 added"]


def test_spans_of_a_jsonl_line_are_stored_with_its_document(store, project, tmp_path):
    path = tmp_path / "s.jsonl"
    write_jsonl(path, 3, spans=True)
    report = import_paths(store, [path], batch_size=2)
    assert store.spans(report.added[2]) == [Span(0, 7, "MISC"), Span(11, 14, "PERSON")]
