"""Edit a project as fast as it can until it is killed (driven by test_kill.py).

    python -m tests.models.kill_driver PROJECT SEED

Opens PROJECT with ``Store`` and applies random, valid edits through ``Store.apply`` (span
adds/removes/relabels/resizes/confirmations, statuses, Done batches, several spans as one
``Batch``, label-set changes, undo and redo of journal entries) and imports (a JSONL file
through ``import_paths``, a few documents per batch). For each edit it prints one JSON line:

    {"intent": EVENT}    before the edit is tried
    {"done": EVENT}      after ``Store.apply`` (or an import batch) returned: it is committed
    {"refused": ...}     the store refused it (a stale undo, a label in use): nothing written

and flushes. EVENT is ``{"kind": "apply", "mode", "entry", "edit"}`` or ``{"kind": "import",
"docs", "batch"}`` (intent) / ``{"kind": "import", "added": [ids so far]}`` (one per batch).
The parent kills it with SIGKILL and checks the file against the lines it got.
"""
from __future__ import annotations

import json
import random
import sys
import tempfile
from pathlib import Path

from models import edits as E
from models.importer import import_paths
from models.labels import Label, LabelError
from models.spans import MANUAL, Span
from models.store import Store, StoreError

MODEL_SOURCE = "kill-model"
WORDS = ("Seoul Tokyo Korea Apple Monday officials met talks rose shares the in on and "
         "Kim Jong Un 😀 Café\u0301 𠮷 Nero\r\n").split(" ")


def say(**line) -> None:
    sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def apply(store: Store, edit, mode: str = "do", entry: int | None = None) -> bool:
    event = {"kind": "apply", "mode": mode, "entry": entry, "edit": edit.to_json()}
    say(intent=event)
    try:
        got = store.apply(edit, mode=mode, entry=entry)
    except (StoreError, LabelError) as e:
        say(refused=str(e))
        return False
    say(done={**event, "entry": got})
    return True


class Driver:
    def __init__(self, store: Store, rng: random.Random, tag: str):
        self.store, self.rng, self.tag = store, rng, tag
        self.n = 0
        self.touched: list[int] = []        # documents this run edited (undo/redo go there)

    def apply(self, edit, mode: str = "do", entry: int | None = None) -> None:
        if apply(self.store, edit, mode, entry) and edit.doc_id is not None:
            self.touched.append(edit.doc_id)

    def doc(self, recent: bool = False) -> int:
        if recent and self.touched and self.rng.random() < 0.8:
            return self.rng.choice(self.touched[-5:])
        return self.rng.choice([r[0] for r in self.store.document_rows()])

    def some_span(self, doc: int, length: int, labels: list[str]) -> Span:
        rng = self.rng
        start = rng.randrange(0, length - 1)
        end = min(length, start + rng.randint(1, 12))
        source = MANUAL if rng.random() < 0.7 else MODEL_SOURCE
        return Span(start, end, rng.choice(labels), source)

    def step(self) -> None:
        rng = self.rng
        ops = [self.add] * 30 + [self.remove] * 10 + [self.relabel] * 10 + [self.confirm] * 4 + \
              [self.resize] * 5 + [self.status] * 8 + [self.finish] * 4 + [self.batch] * 7 + \
              [self.labels] * 4 + [self.undo] * 10 + [self.redo] * 7 + [self.import_] * 1
        rng.choice(ops)()

    def _doc_state(self):
        doc = self.doc()
        length = len(self.store.document(doc).text)
        return doc, length, self.store.spans(doc)

    def add(self) -> None:
        doc, length, spans = self._doc_state()
        labels = self.store.labels().names()
        self.apply(E.add_span(doc, self.some_span(doc, length, labels), spans))

    def remove(self) -> None:
        doc, _, spans = self._doc_state()
        if spans:
            self.apply(E.remove_span(doc, self.rng.choice(spans)))

    def relabel(self) -> None:
        doc, _, spans = self._doc_state()
        if spans:
            self.apply(E.relabel(doc, self.rng.choice(spans), self.rng.choice(self.store.labels().names())))

    def confirm(self) -> None:
        doc, _, spans = self._doc_state()
        model = [s for s in spans if not s.is_manual]
        if model:
            self.apply(E.confirm(doc, self.rng.choice(model)))

    def resize(self) -> None:
        doc, length, spans = self._doc_state()
        if spans:
            s = self.rng.choice(spans)
            start = max(0, s.start + self.rng.randint(-3, 3))
            end = min(length, max(start + 1, s.end + self.rng.randint(-3, 3)))
            if (start, end) != (s.start, s.end):
                self.apply(E.resize(doc, s, start, end, spans))

    def status(self) -> None:
        doc = self.doc()
        old = self.store.document_status(doc)
        new = self.rng.choice([s for s in ("new", "in progress", "done", "skipped") if s != old])
        self.apply(E.SetStatus(doc, old, new))

    def finish(self) -> None:
        doc, _, spans = self._doc_state()
        old = self.store.document_status(doc)
        new = self.rng.choice(["done", "skipped"])
        if old != new:
            self.apply(E.finish(doc, spans, old, new, "Mark done"))

    def batch(self) -> None:
        doc, length, spans = self._doc_state()
        labels = self.store.labels().names()
        subs = []
        for _ in range(self.rng.randint(2, 4)):
            sub = E.add_span(doc, self.some_span(doc, length, labels), spans)
            spans = E.replaced(spans, sub)
            subs.append(sub)
        self.apply(E.Batch(doc, tuple(subs), "Several spans"))

    def labels(self) -> None:
        mine = [lab for lab in self.store.labels() if lab.name.startswith("K")]
        doc = self.doc()
        if mine and self.rng.random() < 0.4:
            self.apply(E.ChangeLabels(doc, (), (self.rng.choice(mine),), "Remove label"))
        else:
            self.n += 1
            lab = Label(f"K{self.tag}x{self.n}", "#%06x" % self.rng.randrange(1 << 24), "", "", 100 + self.n)
            self.apply(E.ChangeLabels(doc, (lab,), (), "Add label"))

    def _history(self):
        return self.store.history(self.doc(recent=True))

    def undo(self) -> None:
        done = [(entry, edit) for entry, edit, undone in self._history() if not undone]
        if done:
            entry, edit = done[-1]
            self.apply(edit.inverse(), "undo", entry)

    def redo(self) -> None:
        undone = [(entry, edit) for entry, edit, undone in self._history() if undone]
        if undone:
            entry, edit = undone[0]
            self.apply(edit, "redo", entry)

    def import_(self) -> None:
        rng = self.rng
        docs = []
        labels = self.store.labels().names()
        for i in range(rng.randint(2, 7)):
            self.n += 1
            text = f"Import {self.tag}.{self.n}: " + " ".join(rng.choice(WORDS) for _ in range(12))
            spans, at = [], 0
            while rng.random() < 0.6 and at < len(text) - 2:
                start = rng.randrange(at, len(text) - 1)
                end = min(len(text), start + rng.randint(1, 6))
                label = f"I{self.tag}x{self.n}" if rng.random() < 0.15 else rng.choice(labels)
                spans.append({"start": start, "end": end, "label": label})
                at = end
            doc = {"text": text, "title": f"imp {self.n}", "spans": spans}
            if rng.random() < 0.3:
                doc["answer"] = "accept"
            docs.append(doc)
        batch = rng.randint(1, 3)
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "docs.jsonl"
            src.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), "utf-8")
            say(intent={"kind": "import", "docs": docs, "batch": batch})
            def committed(*_):      # a batch is committed: the ids its documents got, so far
                ids = (self.store.find_text(d["text"]) for d in docs)
                say(done={"kind": "import", "added": [i for i in ids if i is not None]})
            report = import_paths(self.store, [src], batch_size=batch, progress=committed)
        assert not report.problems and not report.duplicates, report.summary()


def run(driver_class, path: str, seed: str) -> None:
    """Open the project, say ready, and take the driver's steps until killed."""
    rng = random.Random(int(seed))
    store = Store(path)
    say(ready=True)
    driver = driver_class(store, rng, seed)
    while True:
        driver.step()


def main(path: str, seed: str) -> None:
    run(Driver, path, seed)


if __name__ == "__main__":
    main(*sys.argv[1:3])
