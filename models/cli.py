"""Headless commands: import, preannotate, export. No Qt is imported on this path."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

COMMANDS = ("import", "preannotate", "export")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="article-annotator",
                                description="Annotate named entities in news articles.")
    sub = p.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="import .txt / .jsonl files into a project")
    imp.add_argument("project")
    imp.add_argument("sources", nargs="+")
    pre = sub.add_parser("preannotate", help="run the model over documents with no spans")
    pre.add_argument("project")
    pre.add_argument("--model", help="spaCy pipeline name or directory (default: the "
                     "project's model, else the best installed English pipeline)")
    pre.add_argument("--batch-size", type=int, default=64)
    exp = sub.add_parser("export", help="export annotations as Prodigy-style JSONL")
    exp.add_argument("project")
    exp.add_argument("out", help="output .jsonl file ('-' for standard output)")
    exp.add_argument("--all", action="store_true", help="every document, not only those done")
    return p


def _open(path: str, create: bool = False):
    from models.store import Store, StoreError
    if not Path(path).exists():
        if not create:
            sys.exit(f"error: no project file {path}")
        print(f"creating project {path}", file=sys.stderr)
    try:
        return Store(path)
    except StoreError as e:
        sys.exit(f"error: {e}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "import":
        from models.importer import import_paths
        store = _open(args.project, create=True)
        report = import_paths(store, args.sources)
        for problem in report.problems:
            print(f"warning: {problem}", file=sys.stderr)
        print(report.summary())
        return 1 if report.problems and not report.added else 0
    if args.command == "preannotate":
        return _preannotate(args)
    if args.command == "export":
        return _export(args)
    return 2


def _preannotate(args) -> int:
    from models import annotate, ner
    store = _open(args.project)
    try:
        pipe = ner.load(args.model or store.setting("model"))
    except ner.ModelError as e:
        sys.exit(f"error: {e}")
    todo = annotate.pending(store)
    t0 = time.perf_counter()

    def progress(done: int, total: int) -> None:
        rate = done / max(time.perf_counter() - t0, 1e-9)
        left = (total - done) / rate if rate else 0
        print(f"\r{done}/{total} documents  {rate:.1f} docs/s  {left:.0f} s left ",
              end="", file=sys.stderr, flush=True)

    added = annotate.preannotate(store, pipe, todo, args.batch_size, progress)
    print(file=sys.stderr)
    print(f"{len(todo)} documents pre-annotated with {pipe.source}: {added} spans")
    return 0


def _export(args) -> int:
    from models.exporter import export_jsonl
    from models.formats.jsonl import write_jsonl
    from models.store import DONE
    store = _open(args.project)
    if args.out == "-":
        n = write_jsonl(store.iter_documents(None if args.all else (DONE,)), sys.stdout)
    else:
        n = export_jsonl(store, args.out, args.all)   # atomic: never a half-written export
    print(f"{n} documents exported", file=sys.stderr)
    return 0
