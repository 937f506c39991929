"""Raw captures of the link as the receivers saw it: ``up.bin``/``.idx``, ``down.bin``/``.idx``.

"Exactly as on the wire" means the octet stream each receiver got from the channel, after
the impairments (the CLTU stream the board read, the CADU stream the ground read), so that a
replay meets what the decoders met. Each ``.idx`` is UTF-8 text, one line per delivery:
``<time_s> <offset_octets>`` -- the octets of the ``.bin`` from ``offset`` up to the next line's
offset arrived at ``time_s`` (Unix seconds UTC, ``repr`` of a float); offsets never decrease.
This is the format ``ground_sw.archive_capture`` reads (docs/archive.md).
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType


class CaptureError(OSError):
    """A capture file cannot be created or written."""


class CaptureWriter:
    """Appends one direction's received octets and index lines: ``<dir>/<name>.bin/.idx``."""

    def __init__(self, directory: str | Path, name: str) -> None:
        directory = Path(directory)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self._data = (directory / f"{name}.bin").open("xb")
            self._index = (directory / f"{name}.idx").open("x", encoding="utf-8")
        except OSError as exc:
            raise CaptureError(f"cannot start capture {name} in {directory}: {exc}") from exc
        self.octets = 0
        self.chunks = 0

    def write(self, time_s: float, data: bytes) -> None:
        """Record ``data`` received at ``time_s`` (Unix seconds); empty data is skipped."""
        if not data:
            return
        try:
            self._index.write(f"{time_s!r} {self.octets}\n")
            self._data.write(data)
        except (OSError, ValueError) as exc:  # ValueError: written after close
            raise CaptureError(f"capture write failed: {exc}") from exc
        self.octets += len(data)
        self.chunks += 1

    def flush(self) -> None:
        """Push buffered octets and index lines to the files."""
        self._data.flush()
        self._index.flush()

    def close(self) -> None:
        """Flush and close both files (idempotent)."""
        if not self._data.closed:
            self.flush()
        self._data.close()
        self._index.close()

    def __enter__(self) -> CaptureWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
