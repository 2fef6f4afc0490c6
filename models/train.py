"""Train a spaCy NER model from the project's done documents (``article-annotator train``).

The done documents are split into train and dev by document (``split``: the same rule the
``.spacy`` export uses), turned into spaCy ``Doc`` objects with the tokenizer of the pipeline
being trained, written as ``DocBin`` files to a temporary directory and trained with spaCy's own
machinery (``init_nlp`` + ``spacy.training.loop.train``) on a config from ``spacy init config``
for NER. With ``base``, the base pipeline's ``ner`` (and the tok2vec it listens to, if any) is
sourced and trained further, with the base's tokenizer and vocab; without it, NER starts from
scratch on a blank English pipeline.

spaCy writes ``OUT_DIR/model-best`` (best dev score so far) and ``OUT_DIR/model-last``; the
result is whichever scores better on dev, evaluated again from disk with ``nlp.evaluate``.
Nothing here imports Qt, and spaCy is imported only when a model is trained.
"""
from __future__ import annotations

import io
import re
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from models.document import DONE
from models.train_docs import Cancelled, SpanChange, make_docs

DEFAULT_MAX_STEPS = 20000        # spaCy's own default for a generated NER config
DEFAULT_DEV_FRACTION = 0.2
EVAL_FREQUENCY = 200             # spaCy's default: evaluate on dev every 200 steps
LOGGER_NAME = "article_annotator.train_logger.v1"


class TrainError(Exception):
    """A project or request that cannot be trained on (the message says why)."""


# -- the train/dev split ------------------------------------------------------------------------
def split(docs: Iterable[tuple[int, str]], dev_fraction: float = DEFAULT_DEV_FRACTION,
          seed: int = 0) -> tuple[list[int], list[int]]:
    """Split documents, given as (doc id, text hash) pairs, into (train ids, dev ids), both in
    the order given.

    The rule is the ``.spacy`` export's (``models.exporter.split_dev``), so a model trained here
    and one trained with ``spacy train`` on an export with the same fraction and seed hold out the
    same documents: a document is in dev when a hash of the seed and its text, read as a number in
    [0, 1), is below ``dev_fraction``. Its side depends on nothing else: it is the same on every
    run, does not move when documents are added, and follows the text into another project.
    With two documents or more and 0 < fraction < 1, neither side is left empty.
    """
    from models.exporter import split_dev
    items = list(docs)
    dev = split_dev(items, dev_fraction, seed)
    return [i for i, _ in items if i not in dev], [i for i, _ in items if i in dev]


# -- training ----------------------------------------------------------------------------------------
Progress = Callable[[int, int, dict], "bool | None"]
Checkpoint = Callable[[int, dict, dict], None]


@dataclass
class TrainResult:
    """What ``train_project`` made.

    ``model_path``: the trained pipeline directory (``OUT_DIR/model-best`` or ``model-last``,
    whichever scores better on dev); None only if training was cancelled before it began.
    ``scores``: dev scores of that model, fractions 0-1 (None where spaCy has none)::

        {"overall": {"p": .., "r": .., "f": .., "n": gold entities},
         "per_label": {"GPE": {"p": .., "r": .., "f": .., "n": ..}, ...}}
    """
    model_path: Path | None
    scores: dict
    n_train: int
    n_dev: int
    expanded_spans: list[SpanChange] = field(default_factory=list)
    dropped_spans: list[SpanChange] = field(default_factory=list)
    steps: int = 0                  # spaCy's last step (0-based), max_steps when it ran to the end
    cancelled: bool = False
    base: str | None = None
    labels: list[str] = field(default_factory=list)     # the labels trained (train documents)
    seconds: float = 0.0


class _Run:
    """The hooks of one training run, called by spaCy's loop through the registered logger."""

    def __init__(self, max_steps: int, progress: Progress | None, checkpoint: Checkpoint | None,
                 cancelled: Callable[[], bool] | None):
        self.max_steps = max_steps
        self.progress, self.checkpoint, self.cancelled = progress, checkpoint, cancelled
        self.step = -1                    # last step finished
        self.evaluated = -1               # last step evaluated on dev (and saved)
        self.losses: dict = {}
        self.stopped = False

    def log_step(self, info: dict | None) -> None:
        # spaCy calls this after every step; ``info`` only after an evaluation on dev.
        self.step += 1
        if info is not None:
            self.step = self.evaluated = info["step"]
            self.losses = {k: float(v) for k, v in info["losses"].items()}
            if self.checkpoint:
                self.checkpoint(self.step, dict(self.losses), _overall(info["other_scores"] or {}))
        stop = False
        if self.progress and self.progress(self.step, self.max_steps, dict(self.losses)) is False:
            stop = True
        if self.cancelled and self.cancelled():
            stop = True
        if stop:
            self.stopped = True
            raise Cancelled()          # spaCy saves model-last on the way out

    def finalize(self) -> None:
        pass


_RUNS: dict[str, _Run] = {}
_REGISTER_LOCK = threading.Lock()
_registered = False


def _register() -> None:
    """Register the logger that connects spaCy's training loop to a run's hooks (once)."""
    global _registered
    with _REGISTER_LOCK:
        if _registered:
            return
        from spacy.util import registry

        def make_logger(run: str):
            def setup(nlp, stdout=None, stderr=None):
                hooks = _RUNS[run]
                return hooks.log_step, hooks.finalize
            return setup

        registry.loggers.register(LOGGER_NAME, func=make_logger)
        _registered = True


def _overall(raw: dict) -> dict:
    return {"p": raw.get("ents_p"), "r": raw.get("ents_r"), "f": raw.get("ents_f")}


def _done_items(store_or_path) -> list:
    from models.store import Store, StoreError
    if isinstance(store_or_path, Store):
        return list(store_or_path.iter_documents((DONE,)))
    path = Path(store_or_path)
    if not path.is_file():
        raise TrainError(f"no project file {path}")
    try:
        store = Store(path)
    except StoreError as e:
        raise TrainError(str(e)) from e
    try:
        return list(store.iter_documents((DONE,)))
    finally:
        store.close()


def _load_base(base: str):
    import spacy
    name = str(Path(base).expanduser().resolve()) if Path(base).expanduser().is_dir() else base
    try:
        nlp = spacy.load(name)
    except Exception as e:      # OSError, ValueError, ... for a bad pipeline
        raise TrainError(f"cannot load base pipeline {base!r}: {e}") from e
    if "ner" not in nlp.pipe_names:
        raise TrainError(f"base pipeline {base!r} has no 'ner' component")
    return name, nlp


def make_config(base: str | None, base_nlp, *, max_steps: int, seed: int, train_path, dev_path,
                run: str | None = None, lang: str = "en"):
    """The training config: ``spacy init config`` for NER (efficiency), NER sourced from
    ``base`` (with the tok2vec it listens to, the base's tokenizer and vocab) if given."""
    from spacy.cli.init_config import init_config
    config = init_config(lang=base_nlp.lang if base else lang, pipeline=["ner"],
                         optimize="efficiency")
    if base:
        listened = [name for name, pipe in base_nlp.pipeline
                    if "ner" in getattr(pipe, "listening_components", ())]
        names = [*listened, "ner"]
        config["nlp"]["pipeline"] = names
        config["components"] = {name: {"source": base} for name in names}
        config["nlp"]["tokenizer"] = base_nlp.config["nlp"]["tokenizer"]
        config["initialize"]["before_init"] = {"@callbacks": "spacy.copy_from_base_model.v1",
                                               "tokenizer": base, "vocab": base}
        if base_nlp.vocab.vectors.shape[0]:
            config["paths"]["vectors"] = base          # a tok2vec with static vectors needs them
    config["paths"]["train"] = str(train_path)
    config["paths"]["dev"] = str(dev_path)
    config["system"]["seed"] = seed
    config["training"]["max_steps"] = max_steps
    config["training"]["eval_frequency"] = min(EVAL_FREQUENCY, max_steps)
    if run is not None:
        config["training"]["logger"] = {"@loggers": LOGGER_NAME, "run": run}
    return config


def _clean_saved_config(model_dir: Path) -> None:
    """The saved config as ``spacy train`` would leave it: spaCy's console logger instead of
    this run's hooks (unknown to any other process) and no paths to the deleted DocBins."""
    from thinc.api import Config
    path = model_dir / "config.cfg"
    if not path.is_file():
        return
    config = Config().from_disk(path, interpolate=False)
    config["training"]["logger"] = {"@loggers": "spacy.ConsoleLogger.v1", "progress_bar": False}
    config["paths"]["train"] = None
    config["paths"]["dev"] = None
    config.to_disk(path, interpolate=False)


def evaluate(model_path: str | Path, dev_path: str | Path) -> dict:
    """Dev scores of a saved pipeline (``nlp.evaluate``), in ``TrainResult.scores`` form."""
    import spacy
    from spacy.training import Corpus
    nlp = spacy.load(model_path)
    examples = list(Corpus(str(dev_path))(nlp))
    raw = nlp.evaluate(examples)
    support: dict[str, int] = {}
    for eg in examples:
        for ent in eg.reference.ents:
            support[ent.label_] = support.get(ent.label_, 0) + 1
    per_type = raw.get("ents_per_type") or {}
    per_label = {}
    for label in sorted(set(per_type) | set(support)):
        prf = per_type.get(label, {"p": 0.0, "r": 0.0, "f": 0.0})
        per_label[label] = {"p": prf["p"], "r": prf["r"], "f": prf["f"], "n": support.get(label, 0)}
    return {"overall": {**_overall(raw), "n": sum(support.values())}, "per_label": per_label}


def _f(scores: dict) -> float:
    return scores["overall"]["f"] or 0.0


def _name(project: str) -> str:
    return (re.sub(r"\W+", "_", Path(project).stem).strip("_") or "project") + "_ner"


def train_project(store_path, out_dir, base: str | None = None, max_steps: int = DEFAULT_MAX_STEPS,
                  dev_fraction: float = DEFAULT_DEV_FRACTION, seed: int = 0,
                  progress: Progress | None = None, cancelled: Callable[[], bool] | None = None,
                  checkpoint: Checkpoint | None = None, lang: str = "en") -> TrainResult:
    """Train an NER pipeline on the project's done documents; write it under ``out_dir``.

    ``store_path``: the project file (or an open ``Store``; a worker thread should pass the
    path and so get its own connection). ``base``: a pipeline name or directory whose ``ner``
    is trained further; None trains from scratch (blank ``lang``).
    ``progress(step, max_steps, losses)`` is called after every training step (spaCy's step,
    0-based: the last is ``max_steps``; ``losses`` as of the last evaluation, e.g.
    ``{"ner": 12.3}``); returning False stops, as does ``cancelled()`` returning true.
    ``checkpoint(step, losses, {"p", "r", "f"})`` after each evaluation on dev.
    A stopped run keeps what it learnt: spaCy saves model-last, and the result (with
    ``cancelled=True``) holds the better of model-best and model-last, evaluated.
    Raises TrainError when the project cannot be trained on (too few done documents, no
    entities, a base pipeline that does not load or has no NER, a bad argument).
    """
    t0 = time.perf_counter()
    if max_steps < 1:
        raise TrainError(f"max steps must be at least 1, not {max_steps}")
    if not 0.0 < dev_fraction < 1.0:
        raise TrainError(f"dev fraction must be between 0 and 1 (exclusive), not {dev_fraction}")
    stop = cancelled or (lambda: False)
    items = _done_items(store_path)
    if len(items) < 2:
        raise TrainError(f"training needs at least 2 done documents (one for dev); "
                         f"the project has {len(items)}")
    train_ids, dev_ids = split([(doc.id, doc.text_hash) for doc, _ in items], dev_fraction, seed)
    by_id = {doc.id: (doc, spans) for doc, spans in items}

    import spacy
    from spacy.tokens import DocBin
    from spacy.training import loop
    from spacy.training.initialize import init_nlp

    if base:
        base, base_nlp = _load_base(base)
    else:
        base_nlp = spacy.blank(lang)
    expanded: list[SpanChange] = []
    dropped: list[SpanChange] = []
    labels: list[str] = []

    def result(model_path=None, scores=None, steps=0, was_cancelled=False) -> TrainResult:
        return TrainResult(model_path, scores or {"overall": {}, "per_label": {}},
                           len(train_ids), len(dev_ids), expanded, dropped, steps,
                           was_cancelled, base, labels, time.perf_counter() - t0)

    try:
        train_docs, expanded, dropped = make_docs([by_id[i] for i in train_ids], base_nlp, stop)
        dev_docs, dev_expanded, dev_dropped = make_docs([by_id[i] for i in dev_ids], base_nlp, stop)
    except Cancelled:
        return result(was_cancelled=True)
    expanded += dev_expanded
    dropped += dev_dropped
    labels = sorted({ent.label_ for doc in train_docs for ent in doc.ents})
    if not labels:
        raise TrainError(f"the {len(train_docs)} training documents have no entities")
    if stop():
        return result(was_cancelled=True)
    out_dir = Path(out_dir).expanduser().resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    _register()
    run_id = uuid.uuid4().hex
    hooks = _Run(max_steps, progress, checkpoint, stop)
    with tempfile.TemporaryDirectory(prefix="annotator-train-") as tmp:
        train_path, dev_path = Path(tmp) / "train.spacy", Path(tmp) / "dev.spacy"
        DocBin(docs=train_docs).to_disk(train_path)
        DocBin(docs=dev_docs).to_disk(dev_path)
        config = make_config(base, base_nlp, max_steps=max_steps, seed=seed, train_path=train_path,
                             dev_path=dev_path, run=run_id, lang=lang)
        del base_nlp
        _RUNS[run_id] = hooks
        try:
            nlp = init_nlp(config)
            nlp.meta["name"] = _name(str(getattr(store_path, "path", store_path)))
            nlp.meta["version"] = time.strftime("%Y.%m.%d.%H%M%S")
            nlp.meta["description"] = (
                f"NER trained by article-annotator on {len(train_docs)} done documents "
                f"({len(dev_docs)} dev) of {Path(str(getattr(store_path, 'path', store_path))).name}"
                + (f", from {base}" if base else ", from scratch"))
            if stop():
                return result(was_cancelled=True)
            try:
                loop.train(nlp, out_dir, stdout=io.StringIO(), stderr=io.StringIO())
            except Cancelled:
                pass
        finally:
            del _RUNS[run_id]
        best, last = out_dir / loop.DIR_MODEL_BEST, out_dir / loop.DIR_MODEL_LAST
        for model_dir in (best, last):
            _clean_saved_config(model_dir)
        candidates = [p for p in (best, last) if p.is_dir()]
        if hooks.evaluated == hooks.step and best.is_dir():
            candidates = [best]         # model-last is a checkpoint no better than model-best
        scored = [(path, evaluate(path, dev_path)) for path in candidates]
    # The best dev F; on a tie the earlier checkpoint (model-best).
    path, scores = max(scored, key=lambda ps: _f(ps[1]))
    return result(path, scores, max(hooks.step, 0), hooks.stopped)


def use_model(store_or_path, model_path: str | Path) -> str:
    """Make ``model_path`` the project's pre-annotation model (the setting ``model``)."""
    from models.store import Store
    value = str(Path(model_path).expanduser().resolve())
    if isinstance(store_or_path, Store):
        store_or_path.set_setting("model", value)
        return value
    store = Store(store_or_path)
    try:
        store.set_setting("model", value)
    finally:
        store.close()
    return value


def _pct(x) -> str:
    return "     -" if x is None else f"{100 * x:6.1f}"


def format_scores(scores: dict) -> str:
    """The dev scores as a table: one row per label, then all labels together."""
    rows = list(scores.get("per_label", {}).items()) + [("all", scores.get("overall", {}))]
    width = max([5] + [len(label) for label, _ in rows])
    lines = [f"{'label':<{width}}       P       R       F       n"]
    for label, s in rows:
        lines.append(f"{label:<{width}}  {_pct(s.get('p'))}  {_pct(s.get('r'))}  {_pct(s.get('f'))}"
                     f"  {s.get('n', 0):6d}")
    return "\n".join(lines)
