"""TC transfer frames, CCSDS 232.0-B-4 section 4.1.

Primary header (5 octets, 4.1.2): version (2 bits, '00'), bypass flag, control command flag,
2 spare bits, spacecraft id (10), virtual channel id (6), frame length (10, total octets
minus one), frame sequence number N(S) (8). An optional frame error control field
(CRC-16/CCITT-FALSE over everything before it, 4.1.4) closes the frame.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ccsds.crc import crc16_ccitt
from ccsds.errors import (
    ChecksumError,
    DecodeError,
    LengthError,
    LocalProtocolError,
    TruncatedError,
    VersionError,
)

PRIMARY_HEADER_LENGTH = 5
FECF_LENGTH = 2
MAX_FRAME_LENGTH = 1024

_HEADER = struct.Struct(">HHB")


class FrameTypeError(DecodeError):
    """Bypass flag '0' with control command flag '1': no such frame type (232.0-B-4 4.1.2.4)."""


@dataclass(frozen=True, slots=True)
class TcFrame:
    """One TC transfer frame.

    ``bypass`` selects the service: False = type-A (AD, sequence-controlled),
    True = type-B (BD, expedited). ``control_command`` marks COP-1 control commands
    (Unlock, Set V(R)) whose data field is the control command itself; control commands
    always bypass acceptance checks, so a control command without bypass is not a valid
    frame type (232.0-B-4 4.1.2.3, 4.1.2.4: flags '01' are not defined).
    """

    spacecraft_id: int
    virtual_channel: int
    sequence_number: int
    data: bytes
    bypass: bool = False
    control_command: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.spacecraft_id <= 0x3FF:
            raise LocalProtocolError(f"spacecraft id {self.spacecraft_id} outside 0..1023")
        if not 0 <= self.virtual_channel <= 63:
            raise LocalProtocolError(f"virtual channel {self.virtual_channel} outside 0..63")
        if not 0 <= self.sequence_number <= 255:
            raise LocalProtocolError(f"sequence number {self.sequence_number} outside 0..255")
        if self.control_command and not self.bypass:
            raise LocalProtocolError("a control command frame must have the bypass flag set")

    @property
    def is_ad(self) -> bool:
        """A sequence-controlled (type-AD) data frame."""
        return not self.bypass and not self.control_command

    def encode(self, *, fecf: bool = True) -> bytes:
        """Serialise, appending the frame error control field when ``fecf``."""
        total = PRIMARY_HEADER_LENGTH + len(self.data) + (FECF_LENGTH if fecf else 0)
        if total > MAX_FRAME_LENGTH:
            raise LocalProtocolError(f"TC frame of {total} octets exceeds {MAX_FRAME_LENGTH}")
        first = (
            (int(self.bypass) << 13) | (int(self.control_command) << 12) | self.spacecraft_id
        )
        second = (self.virtual_channel << 10) | (total - 1)
        raw = _HEADER.pack(first, second, self.sequence_number) + self.data
        if fecf:
            raw += crc16_ccitt(raw).to_bytes(2, "big")
        return raw

    @classmethod
    def decode(cls, raw: bytes | bytearray | memoryview, *, fecf: bool = True) -> TcFrame:
        """Parse one frame; ``raw`` may carry trailing octets (e.g. CLTU fill) beyond it.

        Raises :class:`TruncatedError`, :class:`VersionError`, :class:`FrameTypeError`,
        :class:`LengthError` or :class:`ChecksumError`; the spare bits are not checked.
        """
        minimum = PRIMARY_HEADER_LENGTH + (FECF_LENGTH if fecf else 0)
        if len(raw) < PRIMARY_HEADER_LENGTH:
            raise TruncatedError(f"TC frame needs {PRIMARY_HEADER_LENGTH} header octets")
        first, second, sequence = _HEADER.unpack_from(raw)
        version = first >> 14
        if version != 0:
            raise VersionError(f"TC frame version {version}, expected 0")
        if first & 0x3000 == 0x1000:
            raise FrameTypeError("TC frame with control command flag but no bypass flag")
        total = (second & 0x3FF) + 1
        if total < minimum:
            raise LengthError(f"TC frame length {total} shorter than its header and FECF")
        if total > len(raw):
            raise TruncatedError(f"TC frame length field {total} exceeds {len(raw)} octets")
        body_end = total - (FECF_LENGTH if fecf else 0)
        if fecf:
            expected = int.from_bytes(raw[body_end:total], "big")
            if crc16_ccitt(raw[:body_end]) != expected:
                raise ChecksumError("TC frame error control field mismatch")
        return cls(
            spacecraft_id=first & 0x3FF,
            virtual_channel=second >> 10,
            sequence_number=sequence,
            data=bytes(raw[PRIMARY_HEADER_LENGTH:body_end]),
            bypass=bool(first & 0x2000),
            control_command=bool(first & 0x1000),
        )


def frame_length_field(raw: bytes | bytearray | memoryview) -> int:
    """Total frame length announced by a header (without validating anything else)."""
    if len(raw) < PRIMARY_HEADER_LENGTH:
        raise TruncatedError("TC frame header incomplete")
    return (int.from_bytes(raw[2:4], "big") & 0x3FF) + 1
