"""One window writes a project: a lock file beside it (``PROJECT.annotator.lock``).

``QLockFile`` writes the holder's pid, host and application name into the file. A lock whose
process is gone (a crash, a kill) is taken over at once; a live holder's is never taken, however
old it is (stale time 0). The CLI takes no lock: it writes in short ``BEGIN IMMEDIATE``
transactions and ``Store.apply`` refuses edits made on what is no longer stored.
"""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QLockFile, QSysInfo, Qt
from PySide6.QtWidgets import QMessageBox


class ProjectLock:
    def __init__(self, project: str | Path):
        self.path = Path(str(project) + ".lock")
        self._file = QLockFile(str(self.path))
        self._file.setStaleLockTime(0)       # only a dead holder's lock is stale

    def acquire(self) -> bool:
        return self._file.tryLock(0)

    @property
    def held_elsewhere(self) -> bool:
        """The last ``acquire`` failed because a live process holds the lock (not because
        the folder cannot hold a lock file)."""
        return self._file.error() == QLockFile.LockError.LockFailedError

    def holder(self) -> str:
        info = self._file.getLockInfo()          # (pid, host, application) when readable
        if isinstance(info, tuple) and len(info) >= 2:
            return f"pid {info[0]}, host {info[1] or '?'}"
        return "another process"

    def free(self) -> bool:
        """Whether the lock could be taken now — without taking it (another window may be
        opening the project this very moment): no lock file, or one left by a process of this
        host that has ended."""
        if not self.path.exists():
            return True
        info = self._file.getLockInfo()
        if not (isinstance(info, tuple) and len(info) >= 2):
            return False
        pid, host = info[0], info[1]
        if host and host != QSysInfo.machineHostName():
            return False
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except (OSError, ValueError, TypeError):
            return False
        return False

    def release(self) -> None:
        if self._file.isLocked():
            self._file.unlock()


def held_message(project: Path, lock: ProjectLock) -> str:
    return (f"{project.name} is open in another article-annotator window ({lock.holder()}).\n\n"
            "Open it read-only? You can read and export it, and it follows the changes made "
            "in the other window; to edit it, close it there first.")


def ask_read_only(parent, title: str, message: str) -> bool:
    """'Open read-only' or Cancel (tests replace this)."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, parent=parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    read_only = box.addButton("Open read-only", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is read_only
