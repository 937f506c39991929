"""TM transfer frames, CCSDS 132.0-B-3 section 4.1.

Primary header (6 octets, 4.1.2): version (2 bits, '00'), spacecraft id (10), virtual channel
id (3), operational control field flag (1), master channel frame count (8), virtual channel
frame count (8), data field status (16: secondary header flag, synchronisation flag, packet
order flag, segment length id (2), first header pointer (11)). The data field follows, then the
optional operational control field (4 octets, 4.1.5; the CLCW here) and the optional frame
error control field (CRC-16/CCITT-FALSE over everything before it, 4.1.6). Frames are of fixed
length on a physical channel (4.1.1), given by the mission configuration.

The ICD has no transfer frame secondary header: a frame whose secondary header flag is set is
rejected with :class:`FrameFormatError` rather than skipped, so that a misconfigured spacecraft
is noticed instead of its data being silently misread.
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

PRIMARY_HEADER_LENGTH = 6
OCF_LENGTH = 4
FECF_LENGTH = 2

FHP_NO_PACKET_START = 0x7FF
"""First header pointer: no packet starts in this frame (132.0-B-3 4.1.2.7.6.4)."""
FHP_IDLE_DATA = 0x7FE
"""First header pointer: the data field holds only idle data (132.0-B-3 4.1.2.7.6.5)."""

SEGMENT_LENGTH_ID = 0b11
"""Segment length identifier required when the synchronisation flag is 0 (4.1.2.7.5.2)."""

_HEADER = struct.Struct(">HBBH")


class FrameFormatError(DecodeError):
    """A header field has a value this link does not carry (secondary header, segment id)."""


def data_field_length(frame_length: int, *, ocf: bool, fecf: bool) -> int:
    """Octets of transfer frame data field in a frame of ``frame_length`` octets."""
    return (
        frame_length
        - PRIMARY_HEADER_LENGTH
        - (OCF_LENGTH if ocf else 0)
        - (FECF_LENGTH if fecf else 0)
    )


def fecf_valid(raw: bytes | bytearray | memoryview) -> bool:
    """Whether the last two octets of ``raw`` are the CRC of the rest (132.0-B-3 4.1.6.2)."""
    if len(raw) < FECF_LENGTH:
        return False
    return crc16_ccitt(raw[:-FECF_LENGTH]) == int.from_bytes(raw[-FECF_LENGTH:], "big")


def build_frame(
    spacecraft_id: int,
    virtual_channel: int,
    *,
    master_frame_count: int,
    vc_frame_count: int,
    data_field_status: int,
    data: bytes | bytearray | memoryview,
    ocf: bytes | None,
    fecf: bool,
) -> bytes:
    """Serialise a frame from already-validated field values (the multiplexer's fast path)."""
    first = (spacecraft_id << 4) | (virtual_channel << 1) | (ocf is not None)
    raw = _HEADER.pack(first, master_frame_count, vc_frame_count, data_field_status) + data
    if ocf is not None:
        raw += ocf
    if fecf:
        raw += crc16_ccitt(raw).to_bytes(FECF_LENGTH, "big")
    return raw


def packet_data_field_status(first_header_pointer: int) -> int:
    """Data field status of a packet-service frame: flags 0, segment length id '11'."""
    return (SEGMENT_LENGTH_ID << 11) | first_header_pointer


@dataclass(frozen=True, slots=True)
class TmFrame:
    """One TM transfer frame (without secondary header).

    ``ocf`` is the operational control field (the 4-octet CLCW) or None when absent.
    ``sync_flag`` 0 means packets (or idle data) in the data field, with ``packet_order``
    reserved 0 and the first header pointer meaningful (132.0-B-3 4.1.2.7.3-6).
    """

    spacecraft_id: int
    virtual_channel: int
    master_frame_count: int
    vc_frame_count: int
    first_header_pointer: int
    data: bytes
    ocf: bytes | None = None
    sync_flag: bool = False
    packet_order: bool = False

    def __post_init__(self) -> None:
        _check_field("spacecraft id", self.spacecraft_id, 0x3FF)
        _check_field("virtual channel", self.virtual_channel, 7)
        _check_field("master channel frame count", self.master_frame_count, 0xFF)
        _check_field("virtual channel frame count", self.vc_frame_count, 0xFF)
        _check_field("first header pointer", self.first_header_pointer, 0x7FF)
        if self.ocf is not None and len(self.ocf) != OCF_LENGTH:
            raise LocalProtocolError(f"operational control field must be {OCF_LENGTH} octets")

    @property
    def is_idle(self) -> bool:
        """An OID frame: the data field carries only idle data (132.0-B-3 4.1.2.7.6.5)."""
        return not self.sync_flag and self.first_header_pointer == FHP_IDLE_DATA

    def encode(self, frame_length: int, *, ocf: bytes | None = None, fecf: bool = True) -> bytes:
        """Serialise into a frame of exactly ``frame_length`` octets.

        ``ocf`` (default: the frame's own ``ocf``) is appended as the operational control
        field; the data must exactly fill the data field that remains.
        """
        field = self.ocf if ocf is None else ocf
        if field is not None and len(field) != OCF_LENGTH:
            raise LocalProtocolError(f"operational control field must be {OCF_LENGTH} octets")
        expected = data_field_length(frame_length, ocf=field is not None, fecf=fecf)
        if len(self.data) != expected:
            raise LocalProtocolError(
                f"TM frame of {frame_length} octets needs a {expected}-octet data field, "
                f"got {len(self.data)}"
            )
        status = (
            (int(self.sync_flag) << 14)
            | (int(self.packet_order) << 13)
            | (SEGMENT_LENGTH_ID << 11)
            | self.first_header_pointer
        )
        return build_frame(
            self.spacecraft_id,
            self.virtual_channel,
            master_frame_count=self.master_frame_count,
            vc_frame_count=self.vc_frame_count,
            data_field_status=status,
            data=self.data,
            ocf=field,
            fecf=fecf,
        )

    @classmethod
    def decode(
        cls,
        raw: bytes | bytearray | memoryview,
        *,
        frame_length: int,
        has_ocf: bool,
        has_fecf: bool,
    ) -> TmFrame:
        """Parse one frame of the configured fixed length.

        Raises :class:`TruncatedError` (too short), :class:`LengthError` (too long),
        :class:`VersionError`, :class:`ChecksumError` (FECF) or :class:`FrameFormatError`
        (secondary header present, OCF flag disagreeing with the configuration, or a
        segment length id other than '11' in a packet-service frame).
        """
        if frame_length < PRIMARY_HEADER_LENGTH + OCF_LENGTH + FECF_LENGTH:
            raise LocalProtocolError(f"TM frame length {frame_length} too short for a header")
        if len(raw) < frame_length:
            raise TruncatedError(f"TM frame of {len(raw)} octets, expected {frame_length}")
        if len(raw) > frame_length:
            raise LengthError(f"TM frame of {len(raw)} octets, expected {frame_length}")
        first, master, vc_count, status = _HEADER.unpack_from(raw)
        if first >> 14:
            raise VersionError(f"TM frame version {first >> 14}, expected 0")
        if has_fecf and not fecf_valid(raw):
            raise ChecksumError("TM frame error control field mismatch")
        if bool(first & 1) != has_ocf:
            raise FrameFormatError("TM frame OCF flag disagrees with the link configuration")
        if status & 0x8000:
            raise FrameFormatError("TM frame secondary header present; the ICD has none")
        sync_flag = bool(status & 0x4000)
        if not sync_flag and (status >> 11) & 0b11 != SEGMENT_LENGTH_ID:
            raise FrameFormatError("TM frame segment length id is not '11'")
        data_end = frame_length - (FECF_LENGTH if has_fecf else 0)
        ocf_start = data_end - (OCF_LENGTH if has_ocf else 0)
        return cls(
            spacecraft_id=(first >> 4) & 0x3FF,
            virtual_channel=(first >> 1) & 0x7,
            master_frame_count=master,
            vc_frame_count=vc_count,
            first_header_pointer=status & 0x7FF,
            data=bytes(raw[PRIMARY_HEADER_LENGTH:ocf_start]),
            ocf=bytes(raw[ocf_start:data_end]) if has_ocf else None,
            sync_flag=sync_flag,
            packet_order=bool(status & 0x2000),
        )


def _check_field(name: str, value: int, maximum: int) -> None:
    if not 0 <= value <= maximum:
        raise LocalProtocolError(f"{name} {value} outside 0..{maximum}")
