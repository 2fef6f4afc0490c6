"""`article-annotator train`: the command line over ``models.train`` (registered in cli.py)."""
from __future__ import annotations

from models.display import echo, shown
from models.train import (DEFAULT_DEV_FRACTION, DEFAULT_MAX_STEPS, TrainError, _pct, format_scores,
                          train_project, use_model)

# -- the command line (registered in models/cli.py) ---------------------------------------------------
SHOW_CHANGES = 20           # span changes listed one by one on the command line; the rest counted


def _fraction(value: str) -> float:
    import argparse
    x = float(value)
    if not 0.0 < x < 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (exclusive), not {value}")
    return x


def add_parser(subparsers):
    from models.cli import _positive
    """Add the ``train`` command to ``article-annotator``'s subparsers; return its parser."""
    p = subparsers.add_parser(
        "train", help="train a spaCy NER model from the done documents",
        description="Train a spaCy NER model from the project's done documents (split into train "
        "and dev by document), print its dev precision/recall/F1 per label and write it to "
        "OUT_DIR/model-best (or model-last, if that scores better).")
    p.add_argument("project")
    p.add_argument("out_dir", metavar="OUT_DIR", help="directory for model-best and model-last")
    p.add_argument("--base", metavar="MODEL",
                   help="spaCy pipeline (name or directory) whose NER is trained further "
                   "(default: train NER from scratch)")
    p.add_argument("--max-steps", type=_positive, default=DEFAULT_MAX_STEPS, metavar="N",
                   help=f"training steps (default: {DEFAULT_MAX_STEPS}; it stops earlier when the "
                   "dev score has not improved for 1600 steps)")
    p.add_argument("--dev-fraction", type=_fraction, default=DEFAULT_DEV_FRACTION, metavar="F",
                   help=f"share of documents held out for dev (default: {DEFAULT_DEV_FRACTION})")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the train/dev split and of training (default: 0)")
    p.add_argument("--use", action="store_true",
                   help="make the trained model the project's pre-annotation model")
    return p


def run(args) -> int:
    """``article-annotator train``: 0 when trained, 130 when stopped by Ctrl+C, 1 on error."""
    import sys
    from models.cli import INTERRUPTED, CtrlC, ProgressBar
    err = sys.stderr
    bar = ProgressBar(err)

    def say(line: str) -> None:
        if bar.tty and bar.shown:       # clear the bar's line first; it is redrawn next step
            err.write("\r\033[K")
        echo(line, file=err, flush=True)

    def progress(step: int, total: int, losses: dict) -> None:
        loss = f"  loss {losses['ner']:.2f}" if "ner" in losses else ""
        bar.update(step, total, f"step {step}/{total}{loss}")

    def checkpoint(step: int, losses: dict, s: dict) -> None:
        say(f"step {step:>6}  loss {losses.get('ner', 0.0):10.2f}  "
            f"dev P {_pct(s['p'])}  R {_pct(s['r'])}  F {_pct(s['f'])}")

    echo(f"training NER {'from ' + args.base if args.base else 'from scratch'} on the done "
         f"documents of {args.project}, at most {args.max_steps} steps", file=err, flush=True)
    try:
        with CtrlC() as ctrl_c:
            result = train_project(args.project, args.out_dir, base=args.base,
                                   max_steps=args.max_steps, dev_fraction=args.dev_fraction,
                                   seed=args.seed, progress=progress, checkpoint=checkpoint,
                                   cancelled=lambda: ctrl_c.pressed)
    except TrainError as e:
        bar.close()
        echo(f"error: {e}", file=err)
        return 1
    except KeyboardInterrupt:
        bar.close()
        echo("", f"interrupted: spaCy saved what it had as model-last in {args.out_dir}", file=err)
        return INTERRUPTED
    bar.close()
    for title, changes in (("changed to line up with tokens", result.expanded_spans),
                           ("left out", result.dropped_spans)):
        for change in changes[:SHOW_CHANGES]:
            say(f"warning: span {change}")
        if len(changes) > SHOW_CHANGES:
            say(f"warning: ... and {len(changes) - SHOW_CHANGES} more spans {title}")
    if result.model_path is None:
        echo("stopped before training began; nothing was written", file=err)
        return INTERRUPTED
    n_ents = result.scores["overall"].get("n", 0)
    echo(f"{result.n_train} training documents, {result.n_dev} dev documents ({n_ents} entities); "
         f"{result.steps} steps in {result.seconds:.1f} s"
         + (" (stopped early)" if result.cancelled else ""))
    echo(*_score_lines(result.scores))
    echo(f"model: {result.model_path}")
    if result.cancelled:
        if args.use:
            echo("stopped early: the project's model is not changed", file=err)
        return INTERRUPTED
    if args.use:
        echo(f"the project now pre-annotates with {use_model(args.project, result.model_path)}")
    else:
        echo(f"to pre-annotate with it: article-annotator preannotate {args.project} "
             f"--model {result.model_path}   (or train with --use)")
    return 0


def _score_lines(scores: dict) -> list[str]:
    """The score table's lines, each label name shown first (a label from a project file
    cannot break the table into forged lines; the columns line up on what is printed)."""
    safe = {**scores, "per_label": {shown(k): v for k, v in scores.get("per_label", {}).items()}}
    return format_scores(safe).split("\n")
