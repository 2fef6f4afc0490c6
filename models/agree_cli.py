"""`article-annotator agree A.annotator B.annotator [C.annotator ...] [--json]`: how far
several people's project files of the same articles agree (registered in models/cli.py; the
figures are ``models/agreement.py``'s).

Text tables on stdout (per pair: exact and overlap span F1, precision, recall and Cohen's
kappa; Krippendorff's alpha; per label; the documents with most disagreement first), or with
``--json`` one JSON object. Only documents that every annotator has and marked done count. The
projects are only read (opened read-only). Exit status 0, 2 for a usage error or a project
that cannot be read (``article-annotator: FILE: why`` on stderr), 130 when stopped by Ctrl+C.
"""
from __future__ import annotations

import json
import sys

from models.display import echo

PROG = "article-annotator"


def add_parser(subparsers):
    p = subparsers.add_parser(
        "agree", help="inter-annotator agreement of several people's project files",
        description="Compare the project files of several annotators who labelled the same "
        "articles (matched by their exact text; only documents every one marked done count): "
        "per pair exact and overlap span F1, precision, recall, per label, and Cohen's kappa "
        "over token labels; Krippendorff's alpha of all of them; and the documents ranked by "
        "disagreement. Each file's annotator is its 'annotator' setting, else the file's name.")
    p.add_argument("projects", nargs="+", metavar="PROJECT",
                   help="two or more project files, one per annotator, or one merged project "
                   "(article-annotator merge)")
    p.add_argument("--json", action="store_true", help="one JSON object instead of tables")
    return p


def run(args) -> int:
    from models.agreement import AgreementError, agreement, from_projects, text
    from models.cli import INTERRUPTED
    err = sys.stderr
    try:
        if len(args.projects) == 1:
            names, units = _merged(args.projects[0])
        else:
            names, units = from_projects(args.projects)
        report = agreement(names, units)
    except AgreementError as e:
        echo(f"{PROG}: {e}", file=err)
        return 2
    except KeyboardInterrupt:
        echo("interrupted: nothing was compared", file=err)
        return INTERRUPTED
    if args.json:
        sys.stdout.write(json.dumps(report, ensure_ascii=True, allow_nan=False) + "\n")
    else:
        sys.stdout.write(text(report))
    if not report["documents"]:
        echo("note: no document is done in every one of the projects: nothing was compared",
             file=err)
    return 0


def _merged(path: str):
    """A merged project's people's versions (``AgreementError`` when it is not one)."""
    from models.adjudicate import from_merged
    from models.agreement import AgreementError
    from models.display import about_file
    from models.store import Store, StoreError
    try:
        store = Store(path, readonly=True)
    except (StoreError, OSError) as e:
        raise AgreementError(about_file(path, e), path) from None
    try:
        if not store.is_merged():
            raise AgreementError(f"agree needs at least two project files (one per annotator), "
                                 f"or one merged project; {path} is not merged", path)
        return from_merged(store)
    except StoreError as e:
        raise AgreementError(about_file(path, e), path) from None
    finally:
        store.close()


__all__ = ["add_parser", "run"]
