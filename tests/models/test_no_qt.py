"""models/ must never import Qt or gui/: the CLI and the domain run headless."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import models

MODELS_DIR = Path(models.__file__).resolve().parent
FORBIDDEN = ("PySide6", "shiboken6", "gui")
_TEXT = re.compile(r"^\s*(?:from|import)\s+(?:PySide6|shiboken6|gui)\b|shiboken6|PySide6",
                   re.MULTILINE)


def forbidden_imports(path: Path, root: Path = MODELS_DIR) -> list[str]:
    """Lines of ``path`` that import Qt or gui/ (by AST, and by text for dynamic imports)."""
    source = path.read_text("utf-8")
    found = []
    for node in ast.walk(ast.parse(source, str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            # `from .. import x` inside models/ stays in models/; a relative import that
            # climbs out of the package is as bad as an absolute one.
            names = [node.module or ""] if node.level == 0 else []
            if node.level > len(path.relative_to(root).parts):
                names.append(f"<relative import level {node.level}>")
        else:
            continue
        for name in names:
            if name.split(".")[0] in FORBIDDEN or name.startswith("<"):
                found.append(f"{path.name}:{node.lineno}: {name}")
    found += [f"{path.name}: text {m.group(0).strip()!r}" for m in _TEXT.finditer(source)]
    return found


def test_models_modules_do_not_import_qt_in_a_fresh_interpreter():
    code = ("import models.store, models.cli, models.importer, models.annotate, "
            "models.formats.jsonl, models.ner, models.formats.txt, models.edits, models.spans; "
            "import sys; bad = sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('PySide6', 'shiboken6', 'gui')); "
            "assert not bad, bad")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=MODELS_DIR.parent, timeout=60)
    assert r.returncode == 0, r.stderr


def test_models_sources_have_no_qt_or_gui_imports():
    files = sorted(MODELS_DIR.rglob("*.py"))
    assert len(files) >= 12          # the scan really looked at the package
    problems = [p for f in files for p in forbidden_imports(f)]
    assert problems == []


def test_scanner_catches_each_forbidden_form(tmp_path):
    # The scan above is only worth something if it can fail.
    pkg = tmp_path / "fake"
    pkg.mkdir()
    samples = {
        "a.py": "from PySide6.QtCore import QObject\n",
        "b.py": "import PySide6\n",
        "c.py": "import shiboken6\n",
        "d.py": "from gui.session import Session\n",
        "e.py": "import gui.offsets as o\n",
        "f.py": "import importlib\nQt = importlib.import_module('PySide6.QtCore')\n",
        "g.py": "def f():\n    from gui import app\n",
    }
    for name, src in samples.items():
        (pkg / name).write_text(src)
    for name in samples:
        assert forbidden_imports(pkg / name, tmp_path), name
    (pkg / "h.py").write_text("from ... import gui\n")          # climbs out of the package
    assert forbidden_imports(pkg / "h.py", tmp_path)
    (pkg / "ok.py").write_text("import json\nfrom models.spans import Span\nfrom . import b\n")
    assert forbidden_imports(pkg / "ok.py", tmp_path) == []


def test_headless_entry_point_does_not_import_qt(tmp_path):
    """The console script routes import/export to models.cli before any Qt import."""
    src = tmp_path / "a.txt"
    src.write_text("Kim met Putin in Moscow.", encoding="utf-8")
    proj = tmp_path / "p.annot"
    code = ("import sys; from gui.launcher import main; "
            f"assert main(['import', {str(proj)!r}, {str(src)!r}]) == 0; "
            f"assert main(['export', {str(proj)!r}, '-', '--all']) == 0; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6')); "
            "assert not bad, bad")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=MODELS_DIR.parent, timeout=120)
    assert r.returncode == 0, r.stderr
    assert '"text": "Kim met Putin in Moscow."' in r.stdout
