"""`article-annotator annotator PROJECT [NAME]`: who annotates in a project (``models/team.py``):
prints it, or sets it. Exit 0; 2 for a bad name or a project that cannot be opened."""
from __future__ import annotations

import sys

from models.display import echo


def add_parser(subparsers):
    p = subparsers.add_parser("annotator", help="show or set the project's annotator name",
                              description="Every journal entry and span a person makes records "
                              "this name; exports carry it (_annotator_id in JSONL).")
    p.add_argument("project")
    p.add_argument("name", nargs="?", metavar="NAME")
    return p


def run(args) -> int:
    from models.cli import _open
    from models.store import StoreError
    store = _open(args.project)
    try:
        if args.name is None:
            from models import team
            try:
                set_ = store.setting(team.ANNOTATOR_KEY)
            except StoreError as e:
                set_ = e
            if set_ is None:
                echo(f"{store.annotator} (the system user: not set)")
            elif store.has_annotator():
                echo(store.annotator)
            else:
                why = team.name_problem(set_) if not isinstance(set_, Exception) else str(set_)
                echo(f"{store.annotator} (the system user: the project's name cannot be used: {why})")
            return 0
        store.set_annotator(args.name)
        echo(f"annotator: {args.name}")
        return 0
    except StoreError as e:
        echo(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        store.close()


__all__ = ["add_parser", "run"]
