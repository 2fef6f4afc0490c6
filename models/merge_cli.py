"""`article-annotator merge OUT.annotator A.annotator B.annotator …`: the annotators' files
side by side in one project, for agreement and adjudication (``models/merge.py``). Exit 0; 2
when nothing could be written; a damaged document in a file is listed (its version left
out) and the merge still writes the rest."""
from __future__ import annotations

import sys

from models.display import echo


def add_parser(subparsers):
    p = subparsers.add_parser(
        "merge", help="bring annotators' files together for agreement and adjudication",
        description="Write OUT: every document of the files (matched by text), each annotator's "
        "version side by side (and the model's). Open it in the window to adjudicate; `agree "
        "OUT` measures the agreement; `export --annotator NAME` writes one version.")
    p.add_argument("out", metavar="OUT")
    p.add_argument("inputs", nargs="+", metavar="FILE")
    return p


def run(args) -> int:
    from models.merge import merge, summary
    from models.split_cli import attempt
    report, failed = attempt(lambda: merge(args.out, args.inputs))
    if failed is not None:
        return failed
    for p in report.notes:
        echo(f"note: {p}", file=sys.stderr)
    for p in report.problems:
        echo(f"left out: {p}", file=sys.stderr)
    echo(summary(report))
    return 0


__all__ = ["add_parser", "run"]
