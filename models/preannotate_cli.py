"""`article-annotator preannotate`: the model (and/or spaCy EntityRuler patterns) over the
documents still to do, resumable (registered in models/cli.py)."""
from __future__ import annotations

import sys
import time

from models.display import echo


def add_parser(subparsers):
    """Add the ``preannotate`` command to ``article-annotator``'s subparsers."""
    from models.cli import _positive
    pre = subparsers.add_parser("preannotate", help="run the model over documents with no spans")
    pre.add_argument("project")
    pre.add_argument("--model", help="spaCy pipeline name or directory (default: the "
                     "project's model, else the best installed English pipeline)")
    pre.add_argument("--batch-size", type=_positive, default=64,
                     help="documents per model batch (per worker with --workers) and per commit "
                     "(default: 64)")
    pre.add_argument("--workers", type=_positive, metavar="N",
                     help="model processes beside the one writer, which commits their results in "
                     "order; the pipeline is loaded once and the processes forked from it "
                     "(default: the cores; fewer than 200 documents: the model in this process); "
                     "with --dask local: the cluster's workers")
    pre.add_argument("--dask", metavar="ADDRESS",
                     help="run the model on a Dask cluster: its scheduler's address "
                     "(tcp://HOST:8786), or 'local' to start one on this machine; every worker "
                     "loads the pipeline once (installed there, or a directory at the same path)")
    pre.add_argument("--force", action="store_true",
                     help="also re-run documents whose spans all came from a model, replacing "
                     "those spans; a person's span is never touched")
    pre.add_argument("--patterns", metavar="FILE",
                     help="spaCy EntityRuler patterns (JSONL) to run with the model, on every "
                     "document not done that they have not run on; by default patterns win "
                     "over the model; suggestions are marked patterns:FILE")
    pre.add_argument("--patterns-only", action="store_true",
                     help="with --patterns: the patterns alone, no model")
    pre.add_argument("--model-wins", action="store_true",
                     help="with --patterns: the model's entities win, patterns fill in around them")
    return pre


def run(args) -> int:
    """``article-annotator preannotate``: 0 when every document is done, 130 when stopped by
    Ctrl+C (a second run resumes), 1 on error."""
    from models import annotate
    from models.cli import INTERRUPTED, CtrlC, ProgressBar, _fail, _open
    if (args.patterns_only or args.model_wins) and not args.patterns:
        _fail("error: --patterns-only and --model-wins go with --patterns FILE")
    if args.patterns_only and args.model_wins:
        _fail("error: --patterns-only runs no model: it cannot also say --model-wins")
    if args.patterns and args.force:
        _fail("error: --force re-runs the model alone; run --patterns without it")
    if args.dask and args.patterns:
        _fail("error: --patterns runs on this machine (its rules, entities and marks are read from "
              "the project as each batch is written); run it without --dask")
    if args.dask and args.workers and args.dask != "local":
        _fail("error: --workers goes with --dask local; a cluster's scheduler has its own workers")
    patterns = _patterns(args) if args.patterns else None
    store, pipe, todo = _model(args, _open(args.project), patterns)
    bar = ProgressBar()
    t0 = time.perf_counter()
    finished = 0

    def progress(done: int, total: int) -> bool:
        nonlocal finished
        finished = done
        rate = done / max(time.perf_counter() - t0, 1e-9)
        bar.update(done, total, f"{done}/{total} documents  {rate:.1f} docs/s")
        return not ctrl_c.pressed

    from models.dask_pipe import DaskError
    try:
        with CtrlC() as ctrl_c:
            if patterns is not None:
                try:
                    with pipe.active():
                        added = annotate.preannotate(store, pipe, todo, args.batch_size, progress)
                finally:
                    pipe.close()
            else:
                per_commit = args.batch_size * getattr(pipe, "workers", 1)
                added = annotate.preannotate(store, pipe, todo, per_commit, progress, force=args.force)
    except DaskError as e:
        _fail(f"error: {e} ({finished} documents were written; run again to resume)")
    finally:
        if patterns is None and hasattr(pipe, "close"):
            pipe.close()            # worker processes, a cluster's client
        bar.close()
        store.close()
    what = pipe.text if patterns is not None else pipe.source
    summary = f"{finished} documents pre-annotated with {what}: {added} spans"
    if finished < len(todo):
        echo(f"{summary} (stopped: {len(todo) - finished} left; run again to resume)")
        return INTERRUPTED
    echo(summary)
    return 0


def _model(args, store, patterns):
    """(store, the pipe to run, the documents to do). Model processes (``--workers N``, or a
    run long enough for the default) are forked from the pipeline loaded here before the
    project is opened again (a child never holds the connection); ``--dask`` connects to the
    cluster and checks the pipeline on its workers. Exits with the reason when it cannot."""
    from models import annotate, ner
    from models.cli import _fail, _open
    from models.dask_pipe import DaskError
    from models.parallel import ParallelPipeline, default_workers
    try:
        if patterns is None:
            todo = annotate.pending(store, force=args.force)
            workers = args.workers or default_workers(len(todo))
            name = ner.resolve(args.model or store.setting("model"))
            if args.dask:
                try:
                    from models.dask_pipe import DaskPipeline
                    return store, DaskPipeline(args.dask, name, args.workers), todo
                except ImportError as e:
                    raise DaskError(f"--dask needs Dask's distributed scheduler installed "
                                    f"(pip install 'dask[distributed]'): {e}") from e
            if todo and (args.workers or workers > 1):
                store.close()       # forked with no connection open; opened again after
                store = None
                pipe = ParallelPipeline(name, workers, start="fork")
                return _open(args.project), pipe, todo
            return store, ner.load(name), todo
        pipe = None if args.patterns_only else ner.load(args.model or store.setting("model"))
        from models import ruler
        mode = "alone" if args.patterns_only else "model" if args.model_wins else "patterns"
        lang = ruler.model_lang(args.model or store.setting("model"))
        pipe = ruler.build(patterns, mode, pipe, lang=lang)
        return store, pipe, annotate.pending(store, run=pipe)
    except (ner.ModelError, DaskError) as e:
        if store is not None:
            store.close()
        _fail(f"error: {e}")


def _patterns(args):
    from models.cli import _fail
    """The patterns file's valid patterns; each bad line said on stderr (file, line, why); a
    file with none valid (or unreadable) is an error exit."""
    from models import ruler
    try:
        patterns = ruler.read_patterns(args.patterns, trained=not args.patterns_only)
    except ruler.PatternsError as e:
        _fail(f"error: {e}")
    for p in patterns.problems:
        echo(f"warning: {p}", file=sys.stderr)
    if not patterns.patterns:
        _fail(f"error: {patterns.name}: no valid pattern ({len(patterns.problems)} bad lines)")
    return patterns
