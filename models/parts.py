"""Files written as a whole or not at all: each to ``<name>.part`` beside its target, renamed
into place when every file of the set is complete (an export's files)."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from models.project_file import sync_folder


class Parts:
    """Files of one export: each written to ``<name>.part`` beside its target and synced to
    disk; all renamed into place by ``commit()`` only once every one is complete; ``discard()``
    removes the parts.

    ``many`` (brat: two files per document): no fsync per file — one ``os.sync()`` before the
    renames flushes them all at once (20,000 fsyncs took 5 s; one sync, a few ms)."""

    def __init__(self, many: bool = False):
        self.parts: list[tuple[Path, Path]] = []
        self.many = many

    def _sync(self, f) -> None:
        f.flush()
        if not self.many:
            os.fsync(f.fileno())

    @contextmanager
    def text(self, path: Path) -> Iterator[IO[str]]:
        tmp = self._part(path)
        with tmp.open("w", encoding="utf-8", newline="") as f:
            yield f
            self._sync(f)

    @contextmanager
    def binary(self, path: Path) -> Iterator[IO[bytes]]:
        tmp = self._part(path)
        with tmp.open("wb") as f:
            yield f
            self._sync(f)

    def data(self, path: Path, data: bytes | str) -> None:
        tmp = self._part(path)
        with tmp.open("wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            self._sync(f)

    def _part(self, path: Path) -> Path:
        tmp = path.with_name(path.name + ".part")
        self.parts.append((tmp, path))
        return tmp

    def commit(self) -> list[Path]:
        if self.many and self.parts:
            os.sync()
        for tmp, path in self.parts:
            tmp.replace(path)
        done = [path for _, path in self.parts]
        self.parts = []
        if done:
            sync_folder(done[0].parent)
        return done

    def discard(self) -> None:
        for tmp, _ in self.parts:
            tmp.unlink(missing_ok=True)
        self.parts = []


__all__ = ["Parts"]
