"""`article-annotator check PROJECT [--json]`: the consistency checker on the command line
(registered in models/cli.py; the checker is ``models/checker.py``).

One finding a line, ranked (most spans first): ``kind: N spans: description``, or with
``--json`` one JSON object a line: kind, key, spans, description, target, choices, items (and
per_doc for missed occurrences). Exit status: 0 when nothing is found, 1 when something is,
2 for a usage error or a project that cannot be read (130: stopped by Ctrl+C). Dismissed
findings are left out; ``--dismissed`` lists them too, marked (they never make the status 1).
The project is only read (opened read-only): a check can run beside an open window.
"""
from __future__ import annotations

import json
import re
import sys

from models.display import BIDI_CONTROLS, echo
from models.findings import KINDS

# Inside JSON strings, characters a terminal would act on are written as \u escapes (still the
# same JSON: json.loads gives them back).
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029" + BIDI_CONTROLS + "\ud800-\udfff]")


def add_parser(subparsers):
    p = subparsers.add_parser(
        "check", help="list what is inconsistent in the project's labels",
        description="The consistency checker: the same string with different labels, labelled "
        "strings left unlabelled elsewhere, boundary variants (\"North Korea\" / \"North Korea's\") "
        "and likely name variants not linked to one entity, ranked by the spans they touch. Exit "
        "status 0 when clean, 1 when something is found.")
    p.add_argument("project")
    p.add_argument("--json", action="store_true", help="one JSON object a line")
    p.add_argument("--kind", action="append", choices=KINDS, metavar="KIND",
                   help=f"only these kinds ({', '.join(KINDS)}; repeat for several; default: all)")
    p.add_argument("--dismissed", action="store_true", help="list dismissed findings too, marked")
    return p


def json_line(finding) -> str:
    text = json.dumps(finding.to_json(), ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def run(args) -> int:
    from models.checker import Cancelled, check
    from models.cli import INTERRUPTED, CtrlC, ProgressBar, open_to_read
    from models.store import StoreError
    err = sys.stderr
    store = open_to_read(args.project)
    if store is None:
        return 2
    bar = ProgressBar(err)
    try:
        with CtrlC() as ctrl_c:
            found = check(store, args.kind or KINDS, show_dismissed=args.dismissed, workers=-1,
                          progress=lambda done, total: bar.update(done, total, "checking"),
                          cancelled=lambda: ctrl_c.pressed)
    except (Cancelled, KeyboardInterrupt):
        bar.close()
        echo("interrupted: nothing was checked to the end", file=err)
        return INTERRUPTED
    except StoreError as e:
        bar.close()
        echo(f"error: {e}", file=err)
        return 2
    finally:
        store.close()
    bar.close()
    for f in found:
        echo(json_line(f) if args.json else f.line())
    live = [f for f in found if not f.dismissed]
    if not args.json:
        echo(summary(len(live), len(found) - len(live)), file=err)
    return 1 if live else 0


def summary(live: int, dismissed: int) -> str:
    """The last line on stderr: what was found, and the dismissed findings listed beside it
    (which never count: the status is 1 only for findings not dismissed)."""
    head = f"{live} finding{'s' if live != 1 else ''}" if live else "consistent: nothing found"
    if dismissed:
        head += f" ({dismissed} dismissed finding{'s' if dismissed != 1 else ''} listed too)"
    return head


__all__ = ["add_parser", "run", "json_line"]
