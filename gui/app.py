"""Start the window: `article-annotator [PROJECT] [FILE ...] [--model NAME_OR_PATH]`."""
from __future__ import annotations

import argparse
import os
import sys
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import QApplication, QFileDialog

from gui import dialogs, project_lock
from gui.main_window import MainWindow
from gui.project_lock import ProjectLock
from models.importer import import_paths
from models.store import INTERACTIVE_TIMEOUT, ReadOnlyLocation, Store, StoreError

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
    p.add_argument("--annotator", metavar="NAME", help="who annotates (kept in the project; by "
                   "default the project's, asked once, the system user's offered)")
    return p.parse_args(argv)


class App:
    """Keeps one window per open project; File > Open replaces it.

    A window that can write holds the project's lock (``PROJECT.lock``): a second window on
    the same project is offered read-only; so is a project that cannot be written where it is.
    """

    def __init__(self, model: str | None, annotator: str | None = None, ask_name: bool = False):
        self.model = model
        self.annotator = annotator      # --annotator: set in each project opened
        self.ask_name = ask_name        # ask once in a project that names nobody
        self.window: MainWindow | None = None
        self.lock: ProjectLock | None = None

    def open(self, path: str | Path, files: list[str] = (), readonly: bool = False) -> bool:
        path = Path(path)
        store, lock = self._open_store(path, readonly)
        if store is None:
            return False
        recent = [str(path)] + [p for p in (QSettings().value("recent_projects", [], list) or [])
                                if p != str(path)]
        QSettings().setValue("recent_projects", recent[:10])
        if files and store.readonly:
            dialogs.show_error(self.window, "Not imported", f"{path.name} is open read-only: "
                               f"{len(files)} file(s) were not imported.")
            files = []
        elif not files and not store.readonly and not store.document_count():
            import_paths(store, [sample_article()])
        if not self._name(store):
            store.close()
            if lock is not None and lock is not self.lock:
                lock.release()
            return False
        old, old_lock = self.window, self.lock
        self.window, self.lock = MainWindow(store, self.model), lock
        self.window.project_requested.connect(self.open)
        if old is not None:
            old.close()
        if old_lock is not None and old_lock is not lock:
            old_lock.release()
        self.window.show()
        self.window.start()
        if self.ask_name and not store.readonly and not store.has_annotator():
            from gui.features.team import ask_annotator
            ask_annotator(self.window)          # not waiting: answered when the person can
        if files:       # as File ▸ Import: in the background, asking about other encodings
            self.window.import_files(list(files))
        if store.upgraded:
            self.window.statusBar().showMessage(
                f"Upgraded from schema {store.upgraded[0]}; the file as it was is kept as "
                f"{store.upgraded[1]}", 30000)
        return True

    def _name(self, store: Store) -> bool:
        """--annotator: kept in the project (this session only in a read-only one)."""
        if not self.annotator:
            return True
        from models.team import name_problem
        why = name_problem(self.annotator)
        try:
            if why:
                raise StoreError(why)
            if store.readonly:
                store.annotator_override = self.annotator
            else:
                store.set_annotator(self.annotator)
        except StoreError as e:
            dialogs.show_error(self.window, "Annotator not set", str(e))
            return False
        return True

    def _open_store(self, path: Path, readonly: bool) -> tuple[Store | None, ProjectLock | None]:
        """The store (and the lock, when writable), or (None, None) after telling the user."""
        lock = None
        if not readonly:
            same = self.lock is not None and self.lock.path.resolve() == Path(f"{path}.lock").resolve()
            lock = self.lock if same else ProjectLock(path)
            if not same and not lock.acquire():
                if lock.held_elsewhere:
                    if not project_lock.ask_read_only(self.window, "Project in use",
                                                      project_lock.held_message(path, lock)):
                        return None, None
                    readonly = True
                lock = None        # no lock file possible here: the store says why, if it matters
        try:
            return Store(path, readonly=readonly, timeout=INTERACTIVE_TIMEOUT), lock
        except ReadOnlyLocation as e:
            if lock is not None and lock is not self.lock:
                lock.release()
            if readonly or not project_lock.ask_read_only(self.window, "Project cannot be changed", str(e)):
                return None, None
            return self._open_store(path, True)
        except StoreError as e:
            if lock is not None and lock is not self.lock:
                lock.release()
            dialogs.show_error(self.window, "Cannot open project", str(e))
            return None, None


def ask_other_project(reason: str) -> str | None:
    """At start, when the project could not be opened: choose another (tests replace this)."""
    path, _ = QFileDialog.getOpenFileName(None, f"Open another project — {reason}", str(Path.home()),
                                          "Annotation projects (*.annotator *.db);;All files (*)")
    return path or None


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
    main = App(args.model, args.annotator, ask_name=True)
    app.aboutToQuit.connect(lambda: main.lock and main.lock.release())
    while not main.open(project, files):      # the reason was shown; offer another project
        project, files = ask_other_project(Path(project).name), []
        if not project:
            return 1
    return app.exec()
