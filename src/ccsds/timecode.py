"""Time codes, CCSDS 301.0-B-4: CUC (3.2) and CDS (3.3), both on the 1958-01-01 TAI epoch.

A time code is a T-field, optionally preceded by a P-field (preamble) that describes it.
With an implicit P-field the format is agreed in advance (the mission configuration);
with an explicit one the decoder reads the format from the preamble.

Conversions to :class:`~datetime.datetime` take the TAI-UTC offset as an argument (37 s
since 2017-01-01); one offset applies to the whole conversion, so times in another
leap-second era need that era's offset. The core never reads the wall clock.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from ccsds.errors import DecodeError, LengthError, LocalProtocolError, TruncatedError

EPOCH_1958 = datetime(1958, 1, 1, tzinfo=UTC)
"""The CCSDS epoch 1958-01-01T00:00:00 (TAI; UTC and TAI agreed then, 301.0-B-4 3.2.3)."""
TAI_MINUS_UTC = 37.0
"""TAI-UTC in seconds since 2017-01-01 (IERS Bulletin C)."""

CUC_CCSDS_EPOCH_ID = 0b001
CUC_AGENCY_EPOCH_ID = 0b010
CDS_ID = 0b100
MICROSECONDS = 1_000_000
SECONDS_PER_DAY = 86_400
MS_PER_DAY = SECONDS_PER_DAY * 1000
_LEAP_SECOND_MS = 1000


class TimeCodeError(DecodeError):
    """A P-field or T-field that 301.0-B-4 does not allow (or this codec does not support)."""


def _tai_microseconds(moment: datetime, tai_utc: float) -> int:
    """Microseconds since the 1958 TAI epoch of an aware UTC datetime."""
    if moment.tzinfo is None:
        raise LocalProtocolError("time code conversion needs a timezone-aware datetime")
    elapsed = (moment - EPOCH_1958) // timedelta(microseconds=1)
    return elapsed + round(tai_utc * MICROSECONDS)


def _utc_datetime(tai_microseconds: int, tai_utc: float) -> datetime:
    """The UTC datetime of a count of microseconds since the 1958 TAI epoch."""
    try:
        return EPOCH_1958 + timedelta(
            microseconds=tai_microseconds - round(tai_utc * MICROSECONDS))
    except OverflowError:
        raise LocalProtocolError("time code beyond the range of datetime (year 9999)") from None


def _check_seconds(seconds: float | Fraction, code: str) -> None:
    if not 0 <= seconds < math.inf:  # also rejects NaN
        raise LocalProtocolError(f"{code} time {seconds} is not a finite time after the epoch")


def _round_ratio(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded to the nearest integer, halves up (both >= 0)."""
    return (2 * numerator + denominator) // (2 * denominator)


def _take(buf: bytes | bytearray | memoryview, offset: int, count: int, what: str) -> int:
    """Big-endian unsigned integer of ``count`` octets at ``offset``."""
    end = offset + count
    if end > len(buf):
        raise TruncatedError(f"{what} needs {end - offset} octets, {len(buf) - offset} left")
    return int.from_bytes(buf[offset:end], "big")


def _check_whole(end: int, buf: bytes | bytearray | memoryview, what: str) -> None:
    if end != len(buf):
        raise LengthError(f"{len(buf) - end} octets after a {end}-octet {what}")


# --------------------------------------------------------------------------- CUC (3.2)


@dataclass(frozen=True, slots=True)
class CucFormat:
    """Octets of coarse (whole seconds) and fine (binary fraction) time, 301.0-B-4 3.2.2.

    One P-field octet describes 1-4 coarse and 0-3 fine octets; the extension octet adds
    up to 3 coarse and 7 fine octets more.
    """

    coarse_octets: int = 4
    fine_octets: int = 2
    fine_bits: int = field(init=False, repr=False, compare=False)
    """Bits of the binary fraction of a second."""
    coarse_limit: int = field(init=False, repr=False, compare=False)
    """One more than the largest coarse time."""
    length: int = field(init=False, repr=False, compare=False)
    """Octets of the T-field."""

    def __post_init__(self) -> None:
        if not 1 <= self.coarse_octets <= 7 or not 0 <= self.fine_octets <= 10:
            raise LocalProtocolError(
                f"CUC {self.coarse_octets}+{self.fine_octets} octets outside 1..7 + 0..10"
            )
        object.__setattr__(self, "fine_bits", 8 * self.fine_octets)
        object.__setattr__(self, "coarse_limit", 1 << (8 * self.coarse_octets))
        object.__setattr__(self, "length", self.coarse_octets + self.fine_octets)

    @property
    def extended(self) -> bool:
        """Whether the P-field needs its extension octet."""
        return self.coarse_octets > 4 or self.fine_octets > 3

    def p_field(self) -> bytes:
        """The P-field (time code id 001, 1958 TAI epoch), one or two octets."""
        coarse_first = min(self.coarse_octets, 4)
        fine_first = min(self.fine_octets, 3)
        first = (CUC_CCSDS_EPOCH_ID << 4) | ((coarse_first - 1) << 2) | fine_first
        if not self.extended:
            return bytes([first])
        extra_coarse = self.coarse_octets - coarse_first
        extra_fine = self.fine_octets - fine_first
        return bytes([0x80 | first, (extra_coarse << 5) | (extra_fine << 2)])

    @classmethod
    def unpack_p_field(cls, buf: bytes | bytearray | memoryview,
                       offset: int = 0) -> tuple[CucFormat, int]:
        """Read a CUC P-field at ``offset``; return the format and the offset after it."""
        first = _take(buf, offset, 1, "CUC P-field")
        code_id = (first >> 4) & 0b111
        if code_id != CUC_CCSDS_EPOCH_ID:
            raise TimeCodeError(f"time code id {code_id:03b} is not CUC on the 1958 epoch (001)")
        coarse = ((first >> 2) & 0b11) + 1
        fine = first & 0b11
        if not first & 0x80:
            return cls(coarse, fine), offset + 1
        second = _take(buf, offset + 1, 1, "CUC P-field extension")
        if second & 0x80:
            raise TimeCodeError("CUC P-field with a second extension octet is not supported")
        return cls(coarse + ((second >> 5) & 0b11), fine + ((second >> 2) & 0b111)), offset + 2


CUC_4_2 = CucFormat(4, 2)
"""The ICD baseline: 4 coarse + 2 fine octets (resolution 2^-16 s)."""


@dataclass(frozen=True, init=False)
class CucTime:
    """CCSDS unsegmented time code: seconds since 1958-01-01 TAI plus a binary fraction."""

    coarse: int
    fine: int = 0
    fmt: CucFormat = CUC_4_2

    def __init__(self, coarse: int, fine: int = 0, fmt: CucFormat = CUC_4_2) -> None:
        if not 0 <= coarse < fmt.coarse_limit:
            raise LocalProtocolError(f"CUC coarse time {coarse} overflows its octets")
        if fine >> fmt.fine_bits or fine < 0:
            raise LocalProtocolError(f"CUC fine time {fine} overflows its octets")
        # one call instead of one per field (see ccsds.spacepacket.trusted_instance)
        object.__setattr__(self, "__dict__", {"coarse": coarse, "fine": fine, "fmt": fmt})

    @classmethod
    def from_seconds(cls, seconds: float, fmt: CucFormat = CUC_4_2) -> CucTime:
        """The nearest code to ``seconds`` since the epoch (fine time rounded to nearest)."""
        _check_seconds(seconds, "CUC")
        coarse = int(seconds)
        ticks = (seconds - coarse) * (1 << fmt.fine_bits)  # both steps exact for floats
        fine = math.floor(ticks)
        return cls._carry(coarse, fine + (ticks - fine >= 0.5), fmt)  # nearest, halves up

    @classmethod
    def from_datetime(cls, moment: datetime, tai_utc: float = TAI_MINUS_UTC,
                      fmt: CucFormat = CUC_4_2) -> CucTime:
        """The code of an aware UTC datetime, given TAI-UTC in seconds."""
        micro = _tai_microseconds(moment, tai_utc)
        if micro < 0:
            raise LocalProtocolError(f"{moment} is before the CUC epoch")
        coarse, rest = divmod(micro, MICROSECONDS)
        return cls._carry(coarse, _round_ratio(rest << fmt.fine_bits, MICROSECONDS), fmt)

    @classmethod
    def _carry(cls, coarse: int, fine: int, fmt: CucFormat) -> CucTime:
        """Build, carrying a fine time rounded up to a whole second into the coarse time."""
        if fine >> fmt.fine_bits:
            coarse, fine = coarse + 1, 0
        return cls(coarse, fine, fmt)

    @property
    def seconds(self) -> float:
        """Seconds since the epoch (exact when coarse and fine bits total at most 53)."""
        return self.coarse + self.fine / (1 << self.fmt.fine_bits)

    def to_datetime(self, tai_utc: float = TAI_MINUS_UTC) -> datetime:
        """The UTC datetime (to the nearest microsecond), given TAI-UTC in seconds."""
        micro = _round_ratio(self.fine * MICROSECONDS, 1 << self.fmt.fine_bits)
        return _utc_datetime(self.coarse * MICROSECONDS + micro, tai_utc)

    def encode(self, *, p_field: bool = False) -> bytes:
        """The T-field, preceded by the P-field when ``p_field`` (explicit preamble)."""
        fmt = self.fmt
        t_field = ((self.coarse << fmt.fine_bits) | self.fine).to_bytes(fmt.length, "big")
        return fmt.p_field() + t_field if p_field else t_field

    @classmethod
    def unpack_from(cls, buf: bytes | bytearray | memoryview, offset: int = 0,
                    fmt: CucFormat | None = None) -> tuple[CucTime, int]:
        """Read a code at ``offset``: implicit P-field when ``fmt`` is given, else explicit.

        Returns the time and the offset after it.
        """
        if fmt is None:
            fmt, offset = CucFormat.unpack_p_field(buf, offset)
        value = _take(buf, offset, fmt.length, "CUC T-field")
        bits = fmt.fine_bits
        return cls(value >> bits, value & ((1 << bits) - 1), fmt), offset + fmt.length

    @classmethod
    def decode(cls, raw: bytes | bytearray | memoryview,
               fmt: CucFormat | None = None) -> CucTime:
        """Decode exactly one code (see :meth:`unpack_from`); extra octets are a LengthError."""
        time, end = cls.unpack_from(raw, 0, fmt)
        _check_whole(end, raw, "CUC time code")
        return time


# --------------------------------------------------------------------------- CDS (3.3)

_SUBMS_CODES = {0: 0b00, 2: 0b01, 4: 0b10}
_SUBMS_OCTETS = {code: octets for octets, code in _SUBMS_CODES.items()}
_SUBMS_PER_MS = {0: 1, 2: 1000, 4: 1_000_000_000}


@dataclass(frozen=True, slots=True)
class CdsFormat:
    """Day segment of 2 or 3 octets; sub-millisecond segment of 0, 2 (us) or 4 (ps) octets."""

    day_octets: int = 2
    submillisecond_octets: int = 0

    def __post_init__(self) -> None:
        if self.day_octets not in (2, 3) or self.submillisecond_octets not in _SUBMS_CODES:
            raise LocalProtocolError(
                f"CDS day {self.day_octets} / sub-ms {self.submillisecond_octets} octets "
                "not in (2, 3) / (0, 2, 4) (301.0-B-4 3.3.2)"
            )

    @property
    def length(self) -> int:
        """Octets of the T-field."""
        return self.day_octets + 4 + self.submillisecond_octets

    @property
    def units_per_ms(self) -> int:
        """Sub-millisecond units in one millisecond (1 when there is no such segment)."""
        return _SUBMS_PER_MS[self.submillisecond_octets]

    def p_field(self) -> bytes:
        """The P-field: code id 100, epoch 1958 (bit 4 clear), day and sub-ms lengths."""
        return bytes([(CDS_ID << 4) | ((self.day_octets - 2) << 2)
                      | _SUBMS_CODES[self.submillisecond_octets]])

    @classmethod
    def unpack_p_field(cls, buf: bytes | bytearray | memoryview,
                       offset: int = 0) -> tuple[CdsFormat, int]:
        """Read a CDS P-field at ``offset``; return the format and the offset after it."""
        octet = _take(buf, offset, 1, "CDS P-field")
        if octet & 0x80 or (octet >> 4) & 0b111 != CDS_ID:
            raise TimeCodeError(f"P-field {octet:#04x} is not a one-octet CDS preamble")
        if octet & 0x08:
            raise TimeCodeError("CDS with an agency-defined epoch is not supported")
        if octet & 0b11 not in _SUBMS_OCTETS:
            raise TimeCodeError("CDS sub-millisecond resolution code 11 is reserved")
        return cls(2 + ((octet >> 2) & 1), _SUBMS_OCTETS[octet & 0b11]), offset + 1


CDS_SHORT = CdsFormat(2, 0)
"""Day segment of 16 bits, milliseconds of day, no sub-milliseconds."""

_MS_STRUCT = struct.Struct(">I")


@dataclass(frozen=True, slots=True)
class CdsTime:
    """CCSDS day segmented time code: days since 1958-01-01, milliseconds of day, sub-ms.

    ``submilliseconds`` counts microseconds (2 octets) or picoseconds (4 octets) within the
    millisecond. The milliseconds of day may reach 86 400 999 during a leap second.
    """

    day: int
    ms_of_day: int
    submilliseconds: int = 0
    fmt: CdsFormat = CDS_SHORT

    def __post_init__(self) -> None:
        problem = _cds_range_problem(self.day, self.ms_of_day, self.submilliseconds, self.fmt)
        if problem:
            raise LocalProtocolError(problem)

    @classmethod
    def from_seconds(cls, seconds: float | Fraction, fmt: CdsFormat = CDS_SHORT) -> CdsTime:
        """The nearest code to ``seconds`` since the epoch (TAI, so no leap seconds)."""
        _check_seconds(seconds, "CDS")
        units = Fraction(seconds) * (1000 * fmt.units_per_ms)
        return cls._from_units(_round_ratio(units.numerator, units.denominator), fmt)

    @classmethod
    def from_datetime(cls, moment: datetime, tai_utc: float = TAI_MINUS_UTC,
                      fmt: CdsFormat = CDS_SHORT) -> CdsTime:
        """The code of an aware UTC datetime, given TAI-UTC in seconds."""
        micro = _tai_microseconds(moment, tai_utc)
        if micro < 0:
            raise LocalProtocolError(f"{moment} is before the CDS epoch")
        return cls._from_units(_round_ratio(micro * fmt.units_per_ms, 1000), fmt)

    @classmethod
    def _from_units(cls, units: int, fmt: CdsFormat) -> CdsTime:
        ms, sub = divmod(units, fmt.units_per_ms)
        day, ms_of_day = divmod(ms, MS_PER_DAY)
        return cls(day, ms_of_day, sub, fmt)

    @property
    def units(self) -> int:
        """The whole code as a count of its smallest unit since the epoch."""
        ms = self.day * MS_PER_DAY + self.ms_of_day
        return ms * self.fmt.units_per_ms + self.submilliseconds

    @property
    def seconds(self) -> float:
        """Seconds since the epoch."""
        return float(Fraction(self.units, 1000 * self.fmt.units_per_ms))

    def to_datetime(self, tai_utc: float = TAI_MINUS_UTC) -> datetime:
        """The UTC datetime (to the nearest microsecond), given TAI-UTC in seconds."""
        return _utc_datetime(_round_ratio(self.units * 1000, self.fmt.units_per_ms), tai_utc)

    def encode(self, *, p_field: bool = False) -> bytes:
        """The T-field, preceded by the P-field when ``p_field``."""
        fmt = self.fmt
        t_field = (self.day.to_bytes(fmt.day_octets, "big") + _MS_STRUCT.pack(self.ms_of_day)
                   + self.submilliseconds.to_bytes(fmt.submillisecond_octets, "big"))
        return fmt.p_field() + t_field if p_field else t_field

    @classmethod
    def unpack_from(cls, buf: bytes | bytearray | memoryview, offset: int = 0,
                    fmt: CdsFormat | None = None) -> tuple[CdsTime, int]:
        """Read a code at ``offset``: implicit P-field when ``fmt`` is given, else explicit.

        Raises :class:`TimeCodeError` for a millisecond or sub-millisecond count out of range.
        """
        if fmt is None:
            fmt, offset = CdsFormat.unpack_p_field(buf, offset)
        day = _take(buf, offset, fmt.day_octets, "CDS day segment")
        offset += fmt.day_octets
        ms_of_day = _take(buf, offset, 4, "CDS milliseconds of day")
        offset += 4
        sub = _take(buf, offset, fmt.submillisecond_octets, "CDS sub-milliseconds")
        problem = _cds_range_problem(day, ms_of_day, sub, fmt)
        if problem:
            raise TimeCodeError(problem)
        return cls(day, ms_of_day, sub, fmt), offset + fmt.submillisecond_octets

    @classmethod
    def decode(cls, raw: bytes | bytearray | memoryview,
               fmt: CdsFormat | None = None) -> CdsTime:
        """Decode exactly one code (see :meth:`unpack_from`); extra octets are a LengthError."""
        time, end = cls.unpack_from(raw, 0, fmt)
        _check_whole(end, raw, "CDS time code")
        return time


def _cds_range_problem(day: int, ms_of_day: int, sub: int, fmt: CdsFormat) -> str:
    """Why these CDS fields are out of range (301.0-B-4 3.3.1), or '' when they are fine."""
    if not 0 <= day < 1 << (8 * fmt.day_octets):
        return f"CDS day {day} does not fit {fmt.day_octets} octets"
    if not 0 <= ms_of_day < MS_PER_DAY + _LEAP_SECOND_MS:
        return f"CDS milliseconds of day {ms_of_day} outside 0..86400999"
    if not 0 <= sub < fmt.units_per_ms:
        return f"CDS sub-millisecond count {sub} outside 0..{fmt.units_per_ms - 1}"
    return ""
