"""Communications Link Control Word, CCSDS 232.0-B-4 4.2.1.4 and 232.1-B-2 4.2.

Four octets, most significant bit first:

====================  ====  ==========================================================
field                 bits  meaning
====================  ====  ==========================================================
control word type     1     0 = CLCW (1 would be another report, not understood here)
CLCW version          2     '00'
status field          3     mission specific
COP in effect         2     '01' = COP-1
virtual channel id    6     the TC virtual channel this report is about
spare                 2     '00'
no RF available       1
no bit lock           1
lockout               1     FARM-1 Lockout_Flag
wait                  1     FARM-1 Wait_Flag
retransmit            1     FARM-1 Retransmit_Flag
FARM-B counter        2     two least significant bits of the FARM-B counter
spare                 1     '0'
report value N(R)     8     FARM-1 V(R), the next expected frame sequence number
====================  ====  ==========================================================
"""

from __future__ import annotations

from dataclasses import dataclass

from ccsds.errors import (
    DecodeError,
    LengthError,
    LocalProtocolError,
    TruncatedError,
    VersionError,
)

CLCW_LENGTH = 4
COP_1 = 1


class ControlWordTypeError(DecodeError):
    """The operational control field holds a type-1 report, not a CLCW (232.0-B-4 4.2.1.4.1)."""


def _check_field(name: str, value: int, bits: int) -> None:
    if not 0 <= value < (1 << bits):
        raise LocalProtocolError(f"CLCW {name} {value} does not fit in {bits} bits")


@dataclass(frozen=True, slots=True)
class Clcw:
    """One CLCW; ``encode()`` and ``decode()`` are exact inverses on valid words."""

    virtual_channel: int
    report_value: int
    lockout: bool = False
    wait: bool = False
    retransmit: bool = False
    farm_b_counter: int = 0
    no_rf_available: bool = False
    no_bit_lock: bool = False
    status_field: int = 0
    cop_in_effect: int = COP_1

    def __post_init__(self) -> None:
        _check_field("virtual channel", self.virtual_channel, 6)
        _check_field("report value", self.report_value, 8)
        _check_field("FARM-B counter", self.farm_b_counter, 2)
        _check_field("status field", self.status_field, 3)
        _check_field("COP in effect", self.cop_in_effect, 2)

    def encode(self) -> bytes:
        """The four octets of the word (type 0, version 0, spare bits zero)."""
        word = (
            (self.status_field << 26)
            | (self.cop_in_effect << 24)
            | (self.virtual_channel << 18)
            | (int(self.no_rf_available) << 15)
            | (int(self.no_bit_lock) << 14)
            | (int(self.lockout) << 13)
            | (int(self.wait) << 12)
            | (int(self.retransmit) << 11)
            | (self.farm_b_counter << 9)
            | self.report_value
        )
        return word.to_bytes(CLCW_LENGTH, "big")

    @classmethod
    def decode(cls, raw: bytes | bytearray | memoryview) -> Clcw:
        """Parse exactly four octets.

        Raises :class:`TruncatedError` (short), :class:`LengthError` (long),
        :class:`ControlWordTypeError` (type bit 1) or :class:`VersionError` (version not 0).
        Spare bits are ignored, as receivers must (232.0-B-4 4.2.1.4.6).
        """
        if len(raw) < CLCW_LENGTH:
            raise TruncatedError(f"CLCW needs {CLCW_LENGTH} octets, got {len(raw)}")
        if len(raw) > CLCW_LENGTH:
            raise LengthError(f"CLCW is {CLCW_LENGTH} octets, got {len(raw)}")
        word = int.from_bytes(raw, "big")
        if word >> 31:
            raise ControlWordTypeError("control word type 1 is not a CLCW")
        version = (word >> 29) & 0x3
        if version:
            raise VersionError(f"CLCW version {version}, expected 0")
        return cls(
            virtual_channel=(word >> 18) & 0x3F,
            report_value=word & 0xFF,
            lockout=bool(word & (1 << 13)),
            wait=bool(word & (1 << 12)),
            retransmit=bool(word & (1 << 11)),
            farm_b_counter=(word >> 9) & 0x3,
            no_rf_available=bool(word & (1 << 15)),
            no_bit_lock=bool(word & (1 << 14)),
            status_field=(word >> 26) & 0x7,
            cop_in_effect=(word >> 24) & 0x3,
        )
