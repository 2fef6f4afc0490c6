"""Long corpus jobs — import and "pre-annotate all" — off the UI thread, with progress and Cancel.

Progress shows in the status bar (not a modal dialog), so the annotator keeps labelling while a
job runs. Each job opens its own connection to the project file in its worker thread.
Pre-annotation runs in chunks from the model's own thread (with the model server,
``gui.model_service``, the chunk is run and written in the server's process), so a document the
user opens meanwhile gets its suggestions between two chunks instead of after the whole corpus.
"""
from __future__ import annotations

import time
from array import array
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from gui.job_bar import JobBar, rate_text

from models import annotate
from models.formats.errors import describe, preview
from models.importer import ImportReport, import_paths
from models.model_server import STOPPED, ModelServer
from models.store import Store, StoreError

CHUNK = 256          # documents per pre-annotation task (the model thread is shared)
BATCH = 64           # documents per nlp.pipe batch and per transaction


def asked_next(problem) -> str:
    """An import problem's message for the window: what comes next instead of what to type
    on the command line."""
    head = problem.message.split("; it looks like")[0].split("; run again")[0]
    name = describe(problem.encoding)
    if head.startswith("not UTF-8"):
        return f"{head}; it looks like {name}: asked whether to import it as {name}"
    return f"{head}; asked whether to import it as {name}"


class CorpusJobs(QObject):
    imported = Signal(object)            # ImportReport
    exported = Signal(object)            # ExportReport
    trained = Signal(object)             # TrainResult
    preannotated = Signal(list)          # ids of documents a chunk may have changed
    finished = Signal(str)               # a message for the status bar
    failed = Signal(str)                 # a job stopped with an error

    def __init__(self, store: Store, session, io, model, bar: JobBar, parent=None):
        """``store`` the project, ``session`` the open document's (pre-annotated live, not by
        the job), ``io`` the runner of imports and exports, ``model`` the model service (its
        runner pre-annotates), ``parent`` the widget the encoding questions belong to."""
        super().__init__(parent)
        self.store, self.session, self.io, self.model, self.bar = store, session, io, model, bar
        self.task = None
        self._cancelled = False
        bar.cancel.connect(self.cancel)

    @property
    def busy(self) -> bool:
        return self.task is not None

    def cancel(self) -> None:
        self._cancelled = True
        if self.task is not None:
            self.task.cancel()
        self.bar.text.setText("Cancelling after the current batch…")

    # -- import ------------------------------------------------------------------------------
    def import_files(self, paths: list[str], encodings: dict[str, list[str]] | None = None) -> bool:
        """Import ``paths`` in the background; or, with ``encodings`` (encoding -> files), the
        files the user chose to read in another encoding (no further question then)."""
        if self.busy:
            return False
        db_path, started = str(self.store.path), time.perf_counter()
        self._cancelled = False
        rounds = list(encodings.items()) if encodings else [(None, paths)]

        def work(task):
            def progress(done, total, message=""):
                task.note = message                 # read by the UI thread with the next report
                task.report(int(1000 * done / max(total, 1)), 1000)   # bytes, as per mille
            store = Store(db_path)
            try:
                report = ImportReport()
                for encoding, files in rounds:
                    if task.cancelled:
                        break
                    report.merge(import_paths(store, files, encoding=encoding, progress=progress,
                                              cancelled=lambda: task.cancelled))
                return report
            finally:
                store.close()

        def progress(done, total):
            elapsed = time.perf_counter() - started
            left = elapsed * (total - done) / done if done else 0
            note = getattr(self.task, "note", "")
            self.bar.show_progress(done, total, f"Importing {done / 10:.0f}% · {left:,.0f} s left · {note}")

        done = self._import_done if encodings is None else self._again_done
        self.task = self.io.start(work, done, self._failed, progress)
        self.bar.show_progress(0, 1, "Importing…")
        return True

    def _import_done(self, report: ImportReport) -> None:
        self.task = None
        self.bar.hide()
        # Files that are not UTF-8 but look like an encoding: a question per encoding, then
        # the report (which names them); the files the user accepts are imported in it.
        asked: dict[str, list[str]] = {}
        if not report.cancelled:
            for i, p in enumerate(report.problems):
                if p.rejected and p.encoding:
                    files = asked.setdefault(p.encoding, [])
                    if p.file not in files:
                        files.append(p.file)
                    report.problems[i] = replace(p, message=asked_next(p))
        # The questions first, the report once they are answered (it says what was asked).
        self._ask(list(asked.items()), {}, report)

    def _ask(self, questions: list, accepted: dict, report: ImportReport) -> None:
        if not questions:
            self.imported.emit(report)
            if accepted and not self.import_files([], accepted):
                self.finished.emit("Another job is running; import those files again when it is done.")
            return
        (encoding, files), rest = questions[0], questions[1:]

        def answer(yes: bool) -> None:
            if yes:
                accepted[encoding] = files
            self._ask(rest, accepted, report)
        from gui import dialogs
        dialogs.EncodingQuestion.ask(self.parent(), files, encoding, preview(files[0], encoding), answer)

    def _again_done(self, report: ImportReport) -> None:
        self.task = None
        self.bar.hide()
        self.imported.emit(report)          # what the second round added (and any problem)

    def _failed(self, message: str) -> None:
        self.task = None
        self.bar.hide()
        self.failed.emit(message)

    # -- pre-annotate all --------------------------------------------------------------------
    def preannotate_all(self, force: bool = False) -> bool:
        if self.busy:
            self.finished.emit("Another job is running.")
            return False
        if self.model.source is None:
            self.finished.emit("Pre-annotation needs a loaded model.")
            return False
        self._cancelled, self._force, self._box = False, force, None
        self._started, self._done = time.perf_counter(), 0
        db_path = str(self.store.path)

        def find(_task):            # off the UI thread: a million documents take seconds
            store = Store(db_path)
            try:
                return array("q", annotate.pending(store, force))   # fixed at the start; 8 bytes an id
            finally:
                store.close()
        self.task = self.model.runner.start(find, self._pending_found, self._failed)
        self.bar.show_progress(0, 0, "Finding the documents to pre-annotate…")
        return True

    def _pending_found(self, todo: array) -> None:
        self.task = None
        self._todo, self._total = todo, len(todo)
        if not self._total or self._cancelled:
            self.bar.hide()
            self.finished.emit("Cancelled." if self._cancelled else
                               "Every document that needs the model has its suggestions.")
            return
        self._next_chunk()

    def _next_chunk(self) -> None:
        service, db_path, session = self.model, str(self.store.path), self.session
        skip = session.doc.id if session.doc else None      # the open document: done live
        force, box = self._force, self._box
        chunk, self._todo = self._todo[:CHUNK], self._todo[CHUNK:]

        def work(task):
            pipe = service.pipeline                      # only ever used on this thread
            if isinstance(pipe, ModelServer) and box is None:   # run and written in the server
                ids, processed, _ = pipe.preannotate(db_path, chunk, skip, force, BATCH,
                                                     lambda n: task.report(n, len(chunk)),
                                                     lambda: task.cancelled)
                return chunk, ids, processed
            store = Store(db_path)
            try:
                # Re-check each document now: one opened meanwhile got its suggestions live.
                # (Patterns: the run checks each document itself, in its transaction.)
                ids = annotate.still_wanted(store, chunk, skip, force or box is not None)
                processed = [len(chunk) - len(ids)]

                def progress(done, _total):
                    processed[0] = len(chunk) - len(ids) + done
                    task.report(processed[0], len(chunk))
                    return not task.cancelled
                if ids and box is not None:
                    with box["run"].active():        # the patterns' own pipeline (models.ruler)
                        annotate.preannotate(store, box["run"], ids, BATCH, progress)
                elif ids:
                    annotate.preannotate(store, pipe, ids, BATCH, progress, force=force)
                return chunk, ids, processed[0]
            finally:
                store.close()

        def progress(done, _total):
            self._in_chunk = done
            shown = self._done + done
            self.bar.show_progress(shown, self._total,
                                   rate_text("Pre-annotating", shown, self._total, self._started))

        self.task = service.runner.start(work, self._chunk_done, self._chunk_failed, progress)
        self.bar.show_progress(self._done, self._total,
                               rate_text("Pre-annotating", self._done, self._total, self._started))

    def _chunk_failed(self, message: str) -> None:
        if STOPPED not in message:
            self._failed(message)
            return
        self.task, self._box = None, None
        self.bar.hide()
        done = self._done + getattr(self, "_in_chunk", 0)
        self.finished.emit(f"Pre-annotation stopped: {message}; {done:,} of {self._total:,} done. "
                           "Run it again to resume.")

    def _chunk_done(self, result) -> None:
        chunk, ids, processed = result
        self.task, self._in_chunk = None, 0
        self._done += processed
        if ids:
            self.preannotated.emit(ids)
        if self._todo and not self._cancelled:
            self._next_chunk()                           # queued behind any live request
            return
        if self._box is not None:
            self._open_document()
            return
        self.bar.hide()
        how = "Cancelled" if self._cancelled else "Pre-annotated"
        self.finished.emit(f"{how}: {self._done:,} of {self._total:,} documents; "
                           "running it again resumes.")

    # -- patterns (models/ruler.py) ----------------------------------------------------------
    def preannotate_patterns(self, patterns, mode: str) -> bool:
        """Pre-annotate with ``patterns`` (a ``models.ruler.Patterns``; None: the strings people
        labelled in this project, alone) every document not done they have not run on, as
        "pre-annotate all" does: on the model's thread, in chunks, resumable, each document's
        suggestions one undoable edit; the open document last, through the session. ``mode``:
        "alone", "patterns" (patterns win) or "model" (the model wins)."""
        if self.busy:
            self.finished.emit("Another job is running.")
            return False
        if mode != "alone" and self.model.source is None:
            self.finished.emit("Patterns with the model need a loaded model; run them alone instead.")
            return False
        service, db_path, box = self.model, str(self.store.path), {}

        def prepare(_task):
            from models import ruler
            store = Store(db_path)
            try:
                p = ruler.project_patterns(store) if patterns is None else patterns
                if not p.patterns:
                    return ("Nothing to pre-annotate with: no span labelled by a person yet."
                            if patterns is None else f"{p.name}: no valid pattern")
                pipe = service.in_process() if mode != "alone" else service.pipeline
                lang = getattr(pipe, "lang", None) or getattr(getattr(pipe, "nlp", None), "lang", "en")
                box["run"] = ruler.build(p, mode, pipe if mode != "alone" else None, lang=lang)
                return array("q", annotate.pending(store, run=box["run"])), box["run"].info()   # 8 bytes an id
            finally:
                store.close()

        self._cancelled, self._force, self._box = False, False, box
        self._started, self._done = time.perf_counter(), 0
        self.task = service.runner.start(prepare, self._patterns_ready, self._failed)
        self.bar.show_progress(0, 1, "Preparing the patterns…")
        return True

    def _patterns_ready(self, result) -> None:
        self.task = None
        if isinstance(result, str):
            self._box = None
            self.bar.hide()
            self.finished.emit(result)
            return
        self._todo, self._info = result
        self._total = len(self._todo)
        if self._todo and not self._cancelled:
            self._next_chunk()
        else:
            self._open_document()

    def _open_document(self) -> None:
        """The open document, which the chunks leave alone: its spans found on the model's
        thread, the edit pushed here (Ctrl+Z there undoes it); then the ruler is taken out."""
        box, self._box, cancelled = self._box, None, self._cancelled
        doc = self.session.doc
        doc_id, text = (doc.id, doc.text) if doc and not cancelled else (None, "")

        def work(_task):
            run = box["run"]
            try:
                if doc_id is None:
                    return None
                with run.active():
                    return next(run.predict([text]))
            finally:
                run.close()

        self.task = self.model.runner.start(work, lambda found: self._open_done(doc_id, found),
                                            self._failed)

    def _open_done(self, doc_id, found) -> None:
        self.task = None
        self.bar.hide()
        info, session, store = self._info, self.session, self.store
        try:
            got = None
            if found is not None and session.doc and session.doc.id == doc_id:
                got = annotate.open_document_edit(store, doc_id, session.doc.text, found, info)
            if got is not None:
                if annotate.ensure_labels(store, info.labels, None):
                    session.follow_labels()
                edit, marks = got
                if edit is None or session.push(edit, None, model=True):
                    store.add_preannotated(doc_id, marks)
        except StoreError as e:
            self.failed.emit(str(e))
        how = "Cancelled" if self._cancelled else "Pre-annotated"
        self.finished.emit(f"{how}: {self._done:,} of {self._total:,} documents with {info.text}; "
                           "running it again resumes.")

    # -- export and training -----------------------------------------------------------------
    def _generic(self, runner, what: str, work, on_done) -> bool:
        if self.busy:
            self.finished.emit("Another job is running.")
            return False
        self._cancelled, started = False, time.perf_counter()

        def progress(done, total):
            self.bar.show_progress(done, total, rate_text(what, done, total, started)
                                   .replace("docs/s", "/s"))

        def done(result):
            self.task = None
            self.bar.hide()
            on_done(result)

        self.task = runner.start(work, done, self._failed, progress)
        self.bar.show_progress(0, 1, f"{what}…")
        return True

    def export(self, fmt: str, out: str, options: dict) -> bool:
        from models.exporter import export
        db_path = str(self.store.path)

        def work(task):
            return export(db_path, out, fmt, progress=task.report,
                          cancelled=lambda: task.cancelled, **options)
        return self._generic(self.io, f"Exporting {fmt}", work, self.exported.emit)

    def save_copy(self, target: str) -> bool:
        """File ▸ Save a copy: the project as one file, with every change (SQLite's backup)."""
        from models.migrations import save_copy
        path = self.store.path

        def work(task):
            return save_copy(path, Path(target))
        return self._generic(self.io, "Saving a copy", work,
                             lambda t: self.finished.emit(f"A copy of the project, with every change, "
                                                          f"is saved as {t}"))

    def train(self, base: str | None, steps: int, out: str) -> bool:
        from models.train import train_project
        db_path = str(self.store.path)
        if not hasattr(self, "_trainer"):
            from gui.workers import Runner
            self._trainer = Runner(1, self)

        def work(task):
            return train_project(db_path, out, base=base, max_steps=steps,
                                 progress=lambda step, total, _losses: task.report(step, total),
                                 cancelled=lambda: task.cancelled)
        return self._generic(self._trainer, "Training step", work, self.trained.emit)
