"""`article-annotator split PROJECT OUT_DIR --annotators a,b,c --overlap 0.2 [--seed N]`: one
project file per annotator (``models/split.py``). Exit 0, 2 when nothing could be written."""
from __future__ import annotations

import sys

from models.display import echo, path_shown


def _names(value: str) -> list[str]:
    return [n.strip() for n in value.split(",") if n.strip()]


def add_parser(subparsers):
    p = subparsers.add_parser(
        "split", help="one project file per annotator, with a shared sample for agreement",
        description="Write OUT_DIR/PROJECT.NAME.annotator for each annotator: every document goes "
        "to one of them, and a stable sample (--overlap of the documents, chosen by --seed) to "
        "every one. Labels, entities and the model's suggestions travel along; every document is "
        "new there. Existing files are never overwritten.")
    p.add_argument("project")
    p.add_argument("out_dir", metavar="OUT_DIR")
    p.add_argument("--annotators", type=_names, required=True, metavar="A,B,C",
                   help="the annotators' names, separated by commas")
    p.add_argument("--overlap", type=float, default=0.2, metavar="F",
                   help="the share of documents every annotator gets (default: 0.2)")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="which sample (default: 0)")
    return p


def attempt(fn) -> tuple[object, int | None]:
    """(what ``fn()`` wrote, None), or (None, the exit status) with the reason on stderr: a
    command that writes new files whole (split, merge) — nothing is left when it fails."""
    from models.cli import INTERRUPTED
    from models.store import StoreError
    try:
        return fn(), None
    except StoreError as e:
        echo(f"error: {e}; nothing was written", file=sys.stderr)
    except OSError as e:
        echo(f"error: nothing was written: {e}", file=sys.stderr)
    except KeyboardInterrupt:
        echo("interrupted: nothing was written", file=sys.stderr)
        return None, INTERRUPTED
    return None, 2


def run(args) -> int:
    from models.split import split
    files, failed = attempt(lambda: split(args.project, args.out_dir, args.annotators, args.overlap, args.seed))
    if failed is not None:
        return failed
    for name, (path, n) in files.items():
        echo(f"{name}: {n} documents in {path_shown(path)}")
    return 0


__all__ = ["add_parser", "run"]
