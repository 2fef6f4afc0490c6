"""All SQL is behind the store: no gui/ module imports sqlite3 or sqlite_utils or reaches into
the store's connection (``store.db``, ``.conn``, ``.execute(``). Checked here on the source
itself (so it cannot pass by not running), and by the import-linter contract in
pyproject.toml. And a failed write is told apart by SQLite's result code, not its words."""
from __future__ import annotations

import ast
import sqlite3
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUI = ROOT / "gui"
FORBIDDEN_MODULES = {"sqlite3", "sqlite_utils"}
# Attribute names that mean "the store's connection or a statement on it".
FORBIDDEN_ATTRIBUTES = {"db", "conn", "execute", "executemany", "executescript", "cursor_factory",
                        "row_factory", "interrupt_handler"}


def violations(source: str, name: str = "<source>") -> list[str]:
    """What in ``source`` talks to SQLite directly: imports (any form) and attribute uses
    (code only: a string or comment such as '*.db' is not one)."""
    found = []
    for node in ast.walk(ast.parse(source, name)):
        modules = []
        if isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str) and (
                    getattr(node.func, "id", None) == "__import__"
                    or getattr(node.func, "attr", None) == "import_module"):
            modules = [node.args[0].value]
        for m in modules:
            if m.split(".")[0] in FORBIDDEN_MODULES:
                found.append(f"{name}:{node.lineno}: imports {m}")
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            found.append(f"{name}:{node.lineno}: .{node.attr}")
    return found


def gui_files() -> list[Path]:
    files = sorted(GUI.glob("**/*.py"))
    assert len(files) > 15 and GUI / "document_list.py" in files and GUI / "follow.py" in files
    return files


def test_no_gui_module_imports_sqlite_or_touches_the_stores_connection():
    found = [v for p in gui_files() for v in violations(p.read_text(encoding="utf-8"),
                                                         str(p.relative_to(ROOT)))]
    assert found == []


@pytest.mark.parametrize("source", [
    "import sqlite3", "import sqlite3 as s", "from sqlite3 import connect", "import sqlite_utils",
    "from sqlite_utils.db import Database", "import os, sqlite3", "__import__('sqlite3')",
    "importlib.import_module('sqlite_utils')",
    "def f(self):\n    return self.store.db.execute('SELECT 1')",
    "conn = store.db", "x = self.store.db.conn", "cur.execute('x')", "c.executemany('x', [])",
    "if self.store.db.conn.in_transaction: pass", "self.conn.interrupt()",
])
def test_the_check_finds_each_way_of_talking_sql(source):
    assert violations(source)


@pytest.mark.parametrize("source", [
    "FILTER = 'Annotation projects (*.annotator *.db)'", "# store.db.execute(...) is not here",
    "self.store.list_ids(query)", "if store.in_transaction: pass", "import models.store",
    "reader.interrupt()", "self.view.textCursor()",
])
def test_the_check_leaves_what_is_not_sql(source):
    assert violations(source) == []


def test_the_import_linter_contracts_forbid_sqlite_in_gui_and_upward_imports_and_report_planted_ones(tmp_path):
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    assert config["include_external_packages"] is True        # sqlite3 is stdlib: needed to see it
    contract = next(c for c in config["contracts"] if c.get("source_modules") == ["gui"])
    assert contract["type"] == "forbidden"
    assert set(contract["forbidden_modules"]) == FORBIDDEN_MODULES
    # A copy of the packages with one planted import: lint-imports must break the contract.
    copy = tmp_path / "tree"
    for pkg in ("gui", "models", "resources"):
        shutil.copytree(ROOT / pkg, copy / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    lint = Path(sys.executable).with_name("lint-imports")

    def run() -> subprocess.CompletedProcess:
        return subprocess.run([str(lint)], cwd=copy, capture_output=True, text=True, timeout=300,
                              env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"})
    clean = run()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    follow = copy / "gui" / "follow.py"
    follow.write_text(follow.read_text(encoding="utf-8").replace(
        "import os\n", "import os\nimport sqlite3\n", 1), encoding="utf-8")
    planted = run()
    assert planted.returncode != 0 and "gui.follow -> sqlite3" in planted.stdout, planted.stdout
    # gui/'s layers: the span owner may not reach up to the session that keeps it
    layers = next(c for c in config["contracts"] if c["type"] == "layers")
    assert layers["containers"] == ["gui"] and layers["exhaustive"] is True
    follow.write_text(follow.read_text(encoding="utf-8").replace("import sqlite3\n", "", 1),
                      encoding="utf-8")
    owner = copy / "gui" / "span_model.py"
    owner.write_text(owner.read_text(encoding="utf-8").replace(
        "from __future__ import annotations\n", "from __future__ import annotations\n"
        "import gui.session\n", 1), encoding="utf-8")
    upward = run()
    assert upward.returncode != 0 and "gui.span_model -> gui.session" in upward.stdout, upward.stdout
    assert "gui.follow -> sqlite3" not in upward.stdout


# -- a failed write in words: by result code ------------------------------------------------

def sqlite_error(message: str, code: int) -> sqlite3.Error:
    e = sqlite3.OperationalError(message)
    e.sqlite_errorcode = code
    return e


def failed_write(store, error: sqlite3.Error):
    from models.store import WriteFailed
    with pytest.raises(WriteFailed) as caught:
        with store.write():
            raise error
    return caught.value


@pytest.mark.parametrize("message, code, words", [
    ("unusual wording", 13, "the disk is full"),
    ("unusual wording", 8, "cannot be written (read-only)"),
    ("unusual wording", 5, "(it is locked)"), ("unusual wording", 6, "(it is locked)"),
    ("unusual wording", 8 | (1 << 8), "cannot be written (read-only)"),     # READONLY_RECOVERY
])
def test_why_not_saved_tells_the_cause_by_its_code(tmp_path, message, code, words):
    from gui.session import WRITE_ERRORS, why_not_saved
    from models.store import Store
    store = Store(tmp_path / "p.annotator")
    try:
        e = failed_write(store, sqlite_error(message, code))
        assert isinstance(e, WRITE_ERRORS)
        text = why_not_saved(e)
        assert words in text and message in text
    finally:
        store.close()


@pytest.mark.parametrize("message, code", [
    ("database is locked", 1), ("database or disk is full", 1), ("attempt to write a readonly "
                                                                 "database", 10),
])
def test_why_not_saved_adds_no_reason_the_code_does_not_give(tmp_path, message, code):
    from gui.session import why_not_saved
    from models.store import Store
    store = Store(tmp_path / "p.annotator")
    try:
        text = why_not_saved(failed_write(store, sqlite_error(message, code)))
        assert text.startswith("p.annotator could not be written (") and message in text
        assert "free some space" not in text and "close it or wait" not in text \
            and "make it writable" not in text
    finally:
        store.close()
