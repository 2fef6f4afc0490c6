"""`article-annotator stats PROJECT [--json] [--report OUT.html]`: the statistics on the command
line (registered in models/cli.py; figures from ``models/stats_read.py``).

Text tables on stdout, or with ``--json`` one JSON object (the figures the window shows);
``--report OUT.html`` writes one self-contained HTML file with the charts (and prints the
tables too unless ``--json``). The project is only read (opened read-only): it can run beside
an open window. Exit status 0, 2 for a project that cannot be read or a report not written.
"""
from __future__ import annotations

import json
import sys

from models.display import echo, path_shown


def add_parser(subparsers):
    p = subparsers.add_parser(
        "stats", help="labels, progress and the model against the people, as tables, JSON or a report",
        description="The project's figures: spans per label (in done documents and in all), distinct "
        "and top strings, documents by status and done per day, the people's pace, and per model "
        "(or patterns run) its precision, recall and F1 against the final spans of done "
        "documents, the correction rate, relabellings, most corrected strings and boundary errors.")
    p.add_argument("project")
    p.add_argument("--json", action="store_true", help="one JSON object instead of tables")
    p.add_argument("--report", metavar="OUT.html", help="write a self-contained HTML report with charts")
    return p


def run(args) -> int:
    from models.cli import INTERRUPTED, open_to_read
    from models.queue import connect_reader
    from models.stats_read import figures
    err = sys.stderr
    store = open_to_read(args.project)
    if store is None:
        return 2
    try:
        conn = connect_reader(store.path)
        try:
            figs = figures(conn)
        finally:
            conn.close()
    except KeyboardInterrupt:
        echo("interrupted: nothing was written", file=err)
        return INTERRUPTED
    finally:
        store.close()
    if args.json:
        sys.stdout.write(json.dumps(figs, ensure_ascii=True, allow_nan=False) + "\n")
    else:
        from models.stats_report import text
        sys.stdout.write(text(figs))
    if args.report:
        from models.stats_report import write_report
        try:
            out = write_report(figs, args.project, args.report)
        except OSError as e:
            echo(f"error: the report was not written: {e}", file=err)
            return 2
        echo(f"report written: {path_shown(out)}", file=err)
    return 0


__all__ = ["add_parser", "run"]
