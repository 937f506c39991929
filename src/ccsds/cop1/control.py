"""COP-1 control commands carried in type-BC frames, CCSDS 232.0-B-4 4.1.3.3.2.

Unlock is the single octet 0x00; Set V(R) is the three octets 0x82 0x00 V*(R).
"""

from __future__ import annotations

from dataclasses import dataclass

from ccsds.errors import LocalProtocolError

UNLOCK_DATA = b"\x00"
SET_VR_PREFIX = b"\x82\x00"


@dataclass(frozen=True, slots=True)
class Unlock:
    """The Unlock control command (232.1-B-2 table 6-1 event E7)."""

    def encode(self) -> bytes:
        """Data field of the BC frame."""
        return UNLOCK_DATA


@dataclass(frozen=True, slots=True)
class SetVr:
    """The Set V(R) control command with its new value V*(R) (232.1-B-2 table 6-1 event E8)."""

    value: int

    def __post_init__(self) -> None:
        if not 0 <= self.value <= 255:
            raise LocalProtocolError(f"Set V(R) value {self.value} outside 0..255")

    def encode(self) -> bytes:
        """Data field of the BC frame."""
        return SET_VR_PREFIX + bytes([self.value])


ControlCommand = Unlock | SetVr


def parse_control_command(data: bytes) -> ControlCommand | None:
    """The command a BC frame's data field holds, or None when it is not a valid one."""
    if data == UNLOCK_DATA:
        return Unlock()
    if len(data) == 3 and data[:2] == SET_VR_PREFIX:
        return SetVr(data[2])
    return None
