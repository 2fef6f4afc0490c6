"""Start the window: `article-annotator [PROJECT] [FILE ...] [--model NAME_OR_PATH]`."""
from __future__ import annotations

import argparse
import os
import sys
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import QApplication

from gui import dialogs
from gui.main_window import MainWindow
from models.importer import import_paths
from models.store import Store, StoreError

PROJECT_SUFFIXES = (".annotator", ".db", ".sqlite", ".sqlite3")


def default_project() -> Path:
    base = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)) / "article-annotator"
    base.mkdir(parents=True, exist_ok=True)
    return base / "default.annotator"


def sample_article() -> Path:
    return Path(str(resources.files("resources").joinpath("sample_article.txt")))


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="article-annotator", epilog="Headless: article-annotator "
                                "{import,preannotate,export,train} --help")
    p.add_argument("paths", nargs="*", help="a project file (.annotator) and/or articles to import")
    p.add_argument("--model", help="spaCy pipeline name or model directory")
    return p.parse_args(argv)


class App:
    """Keeps one window per open project; File > Open replaces it."""

    def __init__(self, model: str | None):
        self.model = model
        self.window: MainWindow | None = None

    def open(self, path: str | Path, files: list[str] = ()) -> bool:
        try:
            store = Store(path)
        except StoreError as e:
            dialogs.show_error(self.window, "Cannot open project", str(e))
            return False
        recent = [str(path)] + [p for p in (QSettings().value("recent_projects", [], list) or [])
                                if p != str(path)]
        QSettings().setValue("recent_projects", recent[:10])
        open_doc = None
        if files:
            report = import_paths(store, files)
            open_doc = report.added[0] if report.added else None
        elif not store.document_count():
            import_paths(store, [sample_article()])
        old = self.window
        self.window = MainWindow(store, self.model)
        self.window.project_requested.connect(self.open)
        if old is not None:
            old.close()
        self.window.show()
        self.window.start(open_doc)
        if files and report.problems:
            dialogs.show_problems(self.window, "Import", report.summary(), report.problems)
        return True


def run(argv: list[str]) -> int:
    args = parse(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("article-annotator")
    app.setApplicationName("article-annotator")
    app.setApplicationDisplayName("Article Annotator")
    app.setStyleSheet(resources.files("resources").joinpath("style.qss").read_text("utf-8"))
    projects = [p for p in args.paths if p.lower().endswith(PROJECT_SUFFIXES)]
    files = [p for p in args.paths if p not in projects]
    project = projects[0] if projects else os.environ.get("ARTICLE_ANNOTATOR_PROJECT") or default_project()
    main = App(args.model)
    if not main.open(project, files):
        return 1
    return app.exec()
