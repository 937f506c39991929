"""The virtual filestore a CFDP entity reads and writes (CCSDS 727.0-B-5 4.1.4, 6.1.5).

:class:`Filestore` is the interface; :class:`MemoryFilestore` keeps files in memory (tests,
ground tools). The flight software supplies an implementation over its object store.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from ccsds.errors import CcsdsError

READ_CHUNK = 1 << 16


class FilestoreError(CcsdsError):
    """A filestore operation failed (missing file, name in use, ...)."""


class Filestore(Protocol):
    """Operations the entity needs, including the filestore requests of 727.0-B-5 table 5-16."""

    def exists(self, name: str) -> bool:
        """Whether a file called ``name`` exists."""
        ...

    def size(self, name: str) -> int:
        """Octets in file ``name``."""
        ...

    def read(self, name: str, offset: int, length: int) -> bytes:
        """Up to ``length`` octets of ``name`` from ``offset``."""
        ...

    def create(self, name: str) -> None:
        """Create ``name`` empty, truncating an existing file."""
        ...

    def write(self, name: str, offset: int, data: bytes) -> None:
        """Write ``data`` at ``offset`` of ``name`` (created if missing, zero-filled holes)."""
        ...

    def delete(self, name: str) -> None:
        """Remove file ``name``."""
        ...

    def rename(self, old: str, new: str) -> None:
        """Rename ``old`` to ``new`` (which must not exist)."""
        ...

    def append(self, target: str, source: str) -> None:
        """Append the contents of ``source`` to ``target``."""
        ...

    def replace(self, target: str, source: str) -> None:
        """Replace the contents of ``target`` with those of ``source``."""
        ...

    def create_directory(self, name: str) -> None:
        """Create directory ``name``."""
        ...

    def remove_directory(self, name: str) -> None:
        """Remove (empty) directory ``name``."""
        ...

    def directory_exists(self, name: str) -> bool:
        """Whether directory ``name`` exists."""
        ...


def read_segments(
    store: Filestore, name: str, size: int, chunk: int = READ_CHUNK
) -> Iterator[tuple[int, bytes]]:
    """(offset, data) chunks of the first ``size`` octets of ``name``, in order."""
    for offset in range(0, size, chunk):
        yield offset, store.read(name, offset, min(chunk, size - offset))


class MemoryFilestore:
    """Files and directories held in memory; names are plain strings.

    Files are contiguous buffers, so a write far beyond the end would allocate the hole:
    writes that would grow a file past ``max_file_size`` raise FilestoreError instead.
    """

    def __init__(self, max_file_size: int = 1 << 28) -> None:
        self.files: dict[str, bytearray] = {}
        self.directories: set[str] = set()
        self.max_file_size = max_file_size

    def _file(self, name: str) -> bytearray:
        try:
            return self.files[name]
        except KeyError:
            raise FilestoreError(f"no file {name!r}") from None

    def exists(self, name: str) -> bool:
        return name in self.files

    def size(self, name: str) -> int:
        return len(self._file(name))

    def read(self, name: str, offset: int, length: int) -> bytes:
        return bytes(self._file(name)[offset : offset + length])

    def create(self, name: str) -> None:
        self.files[name] = bytearray()

    def write(self, name: str, offset: int, data: bytes) -> None:
        if offset + len(data) > self.max_file_size:
            raise FilestoreError(f"{name!r} would exceed {self.max_file_size} octets")
        content = self.files.setdefault(name, bytearray())
        if offset > len(content):
            content.extend(bytes(offset - len(content)))
        content[offset : offset + len(data)] = data

    def delete(self, name: str) -> None:
        self._file(name)
        del self.files[name]

    def rename(self, old: str, new: str) -> None:
        if new in self.files:
            raise FilestoreError(f"{new!r} exists")
        self.files[new] = self.files.pop(old) if old in self.files else self._file(old)

    def append(self, target: str, source: str) -> None:
        self._file(target).extend(self._file(source))

    def replace(self, target: str, source: str) -> None:
        self._file(target)
        self.files[target] = bytearray(self._file(source))

    def create_directory(self, name: str) -> None:
        if name in self.directories:
            raise FilestoreError(f"directory {name!r} exists")
        self.directories.add(name)

    def remove_directory(self, name: str) -> None:
        if name not in self.directories:
            raise FilestoreError(f"no directory {name!r}")
        self.directories.remove(name)

    def directory_exists(self, name: str) -> bool:
        return name in self.directories
