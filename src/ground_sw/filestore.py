"""A CFDP virtual filestore over a real directory (CCSDS 727.0-B-5 4.1.4, 6.1.5).

Names are relative paths under the root directory; absolute names and names that resolve
outside the root (``..``, symbolic links) are refused with FilestoreError, so a PDU from
the space link can never reach a file outside the ground's transfer directory.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ccsds.cfdp import FilestoreError

_T = TypeVar("_T")


class DirectoryFilestore:
    """Files under ``root`` (created if missing), satisfying :class:`ccsds.cfdp.Filestore`."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        """The local path of ``name`` (FilestoreError when it would leave the root)."""
        if not name or "\0" in name or Path(name).is_absolute() or os.path.isabs(name):
            raise FilestoreError(f"refused file name {name!r}: not a relative name")
        resolved = (self.root / name).resolve()
        if resolved == self.root or not resolved.is_relative_to(self.root):
            raise FilestoreError(f"refused file name {name!r}: outside the filestore")
        return resolved

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def size(self, name: str) -> int:
        return self._os(lambda: self.path(name).stat().st_size, name)

    def read(self, name: str, offset: int, length: int) -> bytes:
        def read() -> bytes:
            with self.path(name).open("rb") as file:
                file.seek(offset)
                return file.read(length)
        return self._os(read, name)

    def create(self, name: str) -> None:
        def create() -> None:
            target = self.path(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(b"")
        self._os(create, name)

    def write(self, name: str, offset: int, data: bytes) -> None:
        def write() -> None:
            target = self.path(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("r+b" if target.exists() else "w+b") as file:
                file.seek(offset)  # a seek past the end leaves a zero-filled hole
                file.write(data)
        self._os(write, name)

    def delete(self, name: str) -> None:
        self._os(self.path(name).unlink, name)

    def rename(self, old: str, new: str) -> None:
        target = self.path(new)
        if target.exists():
            raise FilestoreError(f"{new!r} exists")
        self._os(lambda: self.path(old).rename(target), old)

    def append(self, target: str, source: str) -> None:
        def append() -> None:
            with self.path(source).open("rb") as src, self.path(target).open("ab") as dst:
                shutil.copyfileobj(src, dst)
        self._os(append, target)

    def replace(self, target: str, source: str) -> None:
        destination = self.path(target)
        if not destination.is_file():
            raise FilestoreError(f"no file {target!r}")
        self._os(lambda: shutil.copyfile(self.path(source), destination), target)

    def create_directory(self, name: str) -> None:
        self._os(self.path(name).mkdir, name)

    def remove_directory(self, name: str) -> None:
        self._os(self.path(name).rmdir, name)

    def directory_exists(self, name: str) -> bool:
        return self.path(name).is_dir()

    @staticmethod
    def _os(operation: Callable[[], _T], name: str) -> _T:
        try:
            return operation()
        except OSError as exc:
            raise FilestoreError(f"{name!r}: {exc.strerror or exc}") from None
