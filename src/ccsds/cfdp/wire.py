"""Octet-level reading and writing shared by every CFDP PDU and TLV codec.

Integers are big-endian, unsigned (727.0-B-5 1.6.2); LV objects are a one-octet length and
that many octets of value (727.0-B-5 5.1.7).
"""

from __future__ import annotations

from ccsds.errors import LengthError, LocalProtocolError, TruncatedError

LV_MAX = 255


def fss_width(large_file: bool) -> int:
    """Octets of a File-Size Sensitive field: 8 with the large file flag, else 4 (5.1.1)."""
    return 8 if large_file else 4


def uint_bytes(value: int, width: int, what: str) -> bytes:
    """``value`` as ``width`` big-endian octets, or LocalProtocolError when it does not fit."""
    if not 0 <= value < 1 << (8 * width):
        raise LocalProtocolError(f"{what} {value} does not fit in {width} octet(s)")
    return value.to_bytes(width, "big")


def lv_bytes(value: bytes, what: str) -> bytes:
    """An LV object (5.1.7): length octet then value (at most 255 octets)."""
    if len(value) > LV_MAX:
        raise LocalProtocolError(f"{what} is {len(value)} octets, an LV holds at most {LV_MAX}")
    return bytes((len(value),)) + value


class Reader:
    """A cursor over received octets; running short raises :class:`TruncatedError`."""

    __slots__ = ("_data", "_end", "pos")

    def __init__(self, data: bytes, start: int = 0, end: int | None = None) -> None:
        self._data = data
        self.pos = start
        self._end = len(data) if end is None else end

    @property
    def remaining(self) -> int:
        """Octets left before the end of the unit."""
        return self._end - self.pos

    def take(self, count: int, what: str) -> bytes:
        """The next ``count`` octets."""
        if count > self._end - self.pos:
            raise TruncatedError(f"{what}: need {count} octets, {self._end - self.pos} left")
        start = self.pos
        self.pos += count
        return self._data[start : self.pos]

    def u8(self, what: str) -> int:
        """The next octet as an integer."""
        if self.pos >= self._end:
            raise TruncatedError(f"{what}: no octets left")
        value = self._data[self.pos]
        self.pos += 1
        return value

    def uint(self, width: int, what: str) -> int:
        """The next ``width`` octets as a big-endian unsigned integer."""
        return int.from_bytes(self.take(width, what), "big")

    def lv(self, what: str) -> bytes:
        """The value of the next LV object."""
        return self.take(self.u8(what), what)

    def rest(self) -> bytes:
        """Every octet left."""
        return self.take(self.remaining, "rest")

    def expect_end(self, what: str) -> None:
        """Raise :class:`LengthError` when octets are left over."""
        if self.pos != self._end:
            raise LengthError(f"{what}: {self._end - self.pos} unexpected octet(s) at the end")
