"""Headless commands: import, preannotate, export (and the commands other modules register
below). No Qt is imported on this path."""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from models.cli_progress import INTERRUPTED, CtrlC, ProgressBar  # noqa: F401 (the commands' own)
from models.display import echo, path_shown, shown

# ==== Other subcommands: REGISTER `train` HERE ======================================================
# name -> module. The module defines ``add_parser(subparsers)`` (adds its sub-parser, named as
# here) and ``run(args) -> int`` (the exit code); it is imported only when the command line is
# parsed, so ``import models.cli`` stays cheap. ``gui.launcher`` sends every name in COMMANDS
# here, never to the window. E.g.:  "train": "models.train",
PLUGINS: dict[str, str] = {
    "train": "models.train_cli",
    "check": "models.check_cli",
    "stats": "models.stats_cli",
    "agree": "models.agree_cli",
    "split": "models.split_cli",
    "merge": "models.merge_cli",
    "annotator": "models.annotator_cli",
}
# ====================================================================================================

COMMANDS = ("import", "preannotate", "export", *PLUGINS)


def _positive(value: str) -> int:
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {n}")
    return n


def _fraction(value: str) -> float:
    x = float(value)
    if not 0 <= x <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {value}")
    return x


class _Parser(argparse.ArgumentParser):
    """argparse whose error line is ``shown`` (an argument, e.g. a file name given on the
    command line, cannot forge lines or escape sequences); its sub-parsers are of this class."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, shown(f"{self.prog}: error: {message}") + "\n")


def _parser() -> argparse.ArgumentParser:
    from models.importer import FORMAT_CHOICES
    p = _Parser(prog="article-annotator", description="Annotate named entities in news articles.")
    sub = p.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="import articles (.txt, .md, .jsonl, .csv, .html, brat "
                         ".ann, .spacy, Label Studio .json, CoNLL .conll/.iob, folders) and "
                         "annotated data")
    imp.add_argument("project")
    imp.add_argument("sources", nargs="+", metavar="SOURCE",
                     help="files or folders (a folder brings its .txt, .md, .html, .htm files "
                     "and brat .ann/.txt pairs)")
    imp.add_argument("--format", choices=FORMAT_CHOICES, default="auto",
                     help="how to read the sources (default: by file ending; doccano JSONL "
                     "needs --format doccano)")
    imp.add_argument("--text-column", metavar="NAME",
                     help="the CSV column (or Label Studio data field) holding the article text "
                     "(default: text)")
    imp.add_argument("--offsets", choices=("codepoints", "utf16"),
                     help="doccano: what the offsets count (default: utf16, doccano's own; "
                     "codepoints for files other tools made counting code points)")
    imp.add_argument("--annotator", type=_annotator, metavar="N",
                     help="labelstudio: whose annotation of a task with several to import (user "
                     "id or e-mail; default: the first, the others are reported)")
    _ls_names(imp)
    imp.add_argument("--doc-per-sentence", action="store_true",
                     help="conll: every sentence (blank-line-separated block) its own document "
                     "(default: -DOCSTART- lines part documents, else the file is one)")
    imp.add_argument("--encoding", metavar="NAME",
                     help="what .txt, .md, .jsonl, .csv and .html files are in when not UTF-8 "
                     "(e.g. cp1252, latin-1, utf-16); a file that is not UTF-8 is refused and "
                     "the import says which encoding it looks like")
    imp.add_argument("--batch-size", type=_positive, default=500, help=argparse.SUPPRESS)
    importlib.import_module("models.preannotate_cli").add_parser(sub)
    from models.exporter import DIRECTORY_FORMATS, FORMATS
    exp = sub.add_parser("export", help="export annotations (Prodigy JSONL, spaCy .spacy, CoNLL, "
                         "doccano, brat, labels, patterns, entities)")
    exp.add_argument("project")
    exp.add_argument("out", help="output file ('-' for standard output); a folder for "
                     + " and ".join(DIRECTORY_FORMATS))
    exp.add_argument("--format", choices=FORMATS, default="jsonl", help="default: jsonl")
    exp.add_argument("--all", action="store_true", help="every document, not only those done")
    exp.add_argument("--dev-fraction", type=_fraction, metavar="F",
                     help="spacy: the share of documents in dev.spacy (default: 0.2)")
    exp.add_argument("--seed", type=int, metavar="N", help="spacy: seed of the train/dev split "
                     "(default: 0; the split is the same in every run)")
    exp.add_argument("--snap", choices=("expand", "contract"),
                     help="spacy: move spans that do not line up with spaCy's tokens to whole "
                     "tokens (and report each) instead of stopping")
    exp.add_argument("--offsets", choices=("codepoints", "utf16"),
                     help="doccano: what the offsets count (default: utf16, doccano's own)")
    _ls_names(exp)
    exp.add_argument("--annotator", metavar="NAME", dest="version",
                     help="a merged project: export NAME's version of each document instead of "
                     "the adjudicated gold")
    exp.add_argument("--include-rejected", action="store_true",
                     help="jsonl: add the model suggestions people rejected as "
                     '"answer": "reject" tasks')
    exp.add_argument("--no-tokens", action="store_true",
                     help="jsonl: no tokens, character offsets only (a tenth of the size; "
                     "Prodigy's manual views want the tokens)")
    for name, module in PLUGINS.items():
        importlib.import_module(module).add_parser(sub)
    return p


def _annotator(value: str) -> int | str:
    """--annotator: a Label Studio user id (a number) or e-mail address."""
    return int(value) if value.isdigit() else value


def _ls_names(parser) -> None:
    parser.add_argument("--from-name", metavar="NAME", help="labelstudio: the Labels tag's "
                        "name (the regions' from_name; default: label)")
    parser.add_argument("--to-name", metavar="NAME", help="labelstudio: the Text tag's name "
                        "(the regions' to_name; default: text)")


def _open(path: str, create: bool = False, read_only_ok: bool = False):
    """The project, or exit with the reason. ``read_only_ok`` (export): a project that cannot be
    written where it is (a read-only folder or file) is read read-only."""
    from models.store import ReadOnlyLocation, Store, StoreError
    if not Path(path).exists():
        if not create:
            _fail(f"error: no project file {path}")
        echo(f"creating project {path}", file=sys.stderr)
    try:
        try:
            store = Store(path)
        except ReadOnlyLocation:
            if not read_only_ok:
                raise
            echo(f"note: {path} cannot be written where it is; reading it read-only",
                 file=sys.stderr)
            return Store(path, readonly=True)
    except StoreError as e:
        _fail(f"error: {e}")
    if store.upgraded:
        old, copy = store.upgraded
        echo(f"note: upgraded {path} from schema {old}; the file as it was is kept as {copy}",
             file=sys.stderr)
    return store


def open_to_read(path: str):
    """The project opened read-only (a command that only reads can run beside a window), or
    None when it cannot be: the reason is on stderr (the caller exits with 2)."""
    from models.store import Store, StoreError
    if not Path(path).is_file():
        echo(f"error: no project file {path_shown(path)}", file=sys.stderr)
        return None
    try:
        return Store(path, readonly=True)
    except StoreError as e:
        echo(f"error: {e}", file=sys.stderr)
        return None


def _fail(message: str):
    """Exit with 1 and ``message`` (one line, shown), which Python prints on stderr."""
    raise SystemExit(shown(message))


def _quiet_stdout(stream=None) -> None:
    """After the reader of standard output (or ``stream``) closed it: point the descriptor at
    /dev/null, so the interpreter's last flush of what is still buffered does not fail again
    ("Exception ignored ... BrokenPipeError") — Python's recipe,
    docs.python.org/3/library/signal.html (note on SIGPIPE)."""
    try:
        fd = (sys.stdout if stream is None else stream).fileno()
    except (AttributeError, OSError, ValueError):       # not a real descriptor (a test's capture)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def main(argv: list[str] | None = None) -> int:
    """Run one command; its exit code. A reader that closes standard output early
    (``export P - | head``) ends it with one line on stderr and 1, never a traceback (nor when
    it is stderr's reader that left: then nothing more is said)."""
    try:
        code = _main(argv)
        if sys.stdout is not None:          # None: started with standard output closed
            sys.stdout.flush()
        return code
    except BrokenPipeError:
        try:
            sys.stdout.flush()
        except OSError:
            _quiet_stdout()
        try:
            echo("error: the reader of standard output closed it before the end (broken pipe)",
                 file=sys.stderr, flush=True)
        except OSError:
            _quiet_stdout(sys.stderr)
        return 1


def _main(argv: list[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "import":
            from models.importer import check_options
            try:
                check_options(args.format, args.offsets, args.encoding, **_reader_options(args))
            except ValueError as e:
                parser.error(str(e))
            return _import(args)
        if args.command == "preannotate":
            return importlib.import_module("models.preannotate_cli").run(args)
        if args.command == "export":
            return _export(args, parser)
        if args.command in PLUGINS:
            return importlib.import_module(PLUGINS[args.command]).run(args)
    except KeyboardInterrupt:
        # A second Ctrl+C: the batch being written was rolled back; committed ones stay.
        echo("", "interrupted: every batch committed before is kept", file=sys.stderr)
        return INTERRUPTED
    return 2


def _reader_options(args) -> dict:
    return {"annotator": args.annotator, "doc_per_sentence": args.doc_per_sentence,
            "from_name": args.from_name, "to_name": args.to_name}


def _import(args) -> int:
    from models.importer import import_paths
    store = _open(args.project, create=True)
    bar = ProgressBar()
    try:
        with CtrlC() as ctrl_c:
            report = import_paths(store, args.sources, fmt=args.format,
                                  text_column=args.text_column, offsets=args.offsets,
                                  encoding=args.encoding, batch_size=args.batch_size,
                                  **_reader_options(args),
                                  progress=lambda done, total, text: bar.update(done, total, text),
                                  cancelled=lambda: ctrl_c.pressed)
    finally:
        bar.close()
        store.close()
    for problem in report.problems:
        echo(f"warning: {problem}", file=sys.stderr)
    for name in report.new_labels:
        where = report.new_label_where.get(name)
        echo(f"note: label {name} added to the label set" + (f" (first: {where})" if where else ""),
             file=sys.stderr)
    echo(report.summary())
    if report.cancelled:
        return INTERRUPTED
    return 1 if report.rejected and not report.added and not report.duplicates else 0


def _export(args, parser) -> int:
    from models.exporter import DIRECTORY_FORMATS, OPTIONS, ExportError, MisalignedSpans, export
    from models.store import StoreError
    fmt = args.format
    options = {"all_documents": args.all, "dev_fraction": args.dev_fraction, "seed": args.seed,
               "snap": args.snap, "offsets": args.offsets, "include_rejected": args.include_rejected,
               "no_tokens": args.no_tokens, "from_name": args.from_name, "to_name": args.to_name,
               "annotator": args.version}
    flags = {"all_documents": "--all"}
    options = {k: v for k, v in options.items() if v is not None and v is not False}
    for name in options:
        if fmt not in OPTIONS[name]:
            flag = flags.get(name, "--" + name.replace("_", "-"))
            parser.error(f"{flag} applies to --format {' / '.join(OPTIONS[name])}, not {fmt}")
    if args.out == "-" and fmt in DIRECTORY_FORMATS:
        parser.error(f"--format {fmt} writes a folder; standard output cannot hold it")
    if args.out == "-" and sys.stdout is None:      # started with standard output closed (>&-)
        echo("error: not exported: standard output is closed; name a file instead of -",
             file=sys.stderr)
        return 1
    store = _open(args.project, read_only_ok=True)
    out = args.out
    if out == "-":
        out = sys.stdout
        if hasattr(out, "reconfigure"):     # the same UTF-8 bytes as a file, whatever the locale
            out.reconfigure(encoding="utf-8")
    try:
        # atomic: never a half-written export (standard output and pipes excepted)
        report = export(store, out, fmt, **options)
    except MisalignedSpans as e:
        for issue in e.report.misaligned:
            echo(f"  {issue}", file=sys.stderr)
        echo(f"error: {e}", file=sys.stderr)
        return 1
    except (ExportError, StoreError) as e:
        if args.out == "-" and isinstance(e.__cause__, BrokenPipeError):
            _quiet_stdout()
        echo(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        echo("", "interrupted: nothing was exported; the previous files are as they were",
             file=sys.stderr)
        return INTERRUPTED
    finally:
        store.close()
    for issue in report.changed:
        echo(f"changed: {issue}", file=sys.stderr)
    echo(report.summary(), file=sys.stderr)
    if not report.documents and not args.all and fmt != "labels":
        echo("note: only documents marked done are exported; --all exports every one", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
