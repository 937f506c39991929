"""The part of the EDAC memory (:class:`flight_sw.storage.edac_memory.EdacMemory`) the store
uses, as a protocol, so the store's logic does not depend on how the EDAC is built."""

from __future__ import annotations

from typing import Protocol


class ReadResult(Protocol):
    """Outcome of an EDAC read: octets after correction and the words it could not fix."""

    @property
    def data(self) -> bytes: ...

    @property
    def corrected(self) -> int: ...

    @property
    def uncorrectable_words(self) -> tuple[int, ...]: ...


class ScrubOutcome(Protocol):
    """Outcome of an EDAC scrub of a span: counts and indices of the words corrected and of
    those it could not fix."""

    @property
    def corrected(self) -> int: ...

    @property
    def uncorrectable_words(self) -> tuple[int, ...]: ...

    @property
    def corrected_words(self) -> tuple[int, ...]: ...


class Medium(Protocol):
    """EDAC-protected octets: aligned writes and reads, scrub and flush."""

    @property
    def data_octets(self) -> int: ...

    def write(self, offset: int, data: bytes | bytearray | memoryview) -> None: ...

    def read(self, offset: int, length: int) -> ReadResult: ...

    def scrub(self, offset: int, length: int) -> ScrubOutcome: ...

    def flush(self, offset: int = 0, length: int | None = None) -> None: ...
