"""The console entry point: headless subcommands never import Qt."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from models.cli import COMMANDS
    if argv and argv[0] in COMMANDS:
        from models.cli import main as cli_main
        return cli_main(argv)
    from gui.app import run
    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
