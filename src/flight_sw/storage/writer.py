"""Streamed puts (api.ObjectWriter) for file transfer: octets arrive at offsets, in any order,
and are held in memory until :meth:`BufferedWriter.commit` stores them with one atomic put.
Nothing reaches the medium before the commit, so an abort or a power cut changes nothing."""

from __future__ import annotations

from collections.abc import Callable

from flight_sw.storage.api import Buffer, ObjectInfo, StoreFullError
from flight_sw.storage.errors import WriterClosedError, as_count, as_octets


class BufferedWriter:
    """An :class:`api.ObjectWriter` holding the object in memory until commit."""

    def __init__(self, name: str, capacity: int,
                 put: Callable[[str, Buffer], ObjectInfo]) -> None:
        self.name = name
        self._capacity = capacity
        self._put = put
        self._data: bytearray | None = bytearray()

    def _buffer(self) -> bytearray:
        if self._data is None:
            raise WriterClosedError(f"the streamed put of {self.name!r} is finished")
        return self._data

    def write(self, offset: int, data: Buffer) -> None:
        """Store ``data`` at ``offset`` (a gap before it reads as zeros)."""
        buffer = self._buffer()
        view = as_octets(data)
        offset = as_count(offset, "offset")
        end = offset + len(view)
        if end > self._capacity:
            raise StoreFullError(f"an object of {end} octets exceeds the store's "
                                 f"{self._capacity}")
        if end > len(buffer):
            buffer.extend(bytes(end - len(buffer)))
        buffer[offset:end] = view

    def commit(self) -> ObjectInfo:
        """Store the object atomically (replacing one of the same name)."""
        info = self._put(self.name, self._buffer())
        self._data = None
        return info

    def abort(self) -> None:
        """Drop what was written."""
        self._data = None
