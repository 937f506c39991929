"""Sealed metadata frames on the medium: a header, the payload and a CRC-32C over both
(Castagnoli, the iSCSI polynomial of RFC 3720 section 12.1), zero-padded to the EDAC write
unit. The journal records and the checkpoints use them; a frame that is torn (power cut
mid-write), damaged past EDAC, of another format or of another sequence reads back as None,
never as a wrong record."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from firmware_stubs.crc32c import crc32c
from flight_sw.storage.medium import Medium

_HEADER = struct.Struct("<4sQQQBxxxI")
_CRC = struct.Struct("<I")


@dataclass(frozen=True)
class Frame:
    """A frame's header fields and payload."""

    magic: bytes
    format_id: int
    sequence: int
    generation: int
    kind: int
    payload: bytes


def _round_up(value: int, unit: int) -> int:
    return -(-value // unit) * unit


def frame_octets(payload_length: int, unit: int) -> int:
    """Octets a frame of ``payload_length`` takes on the medium."""
    return _round_up(_HEADER.size + payload_length + _CRC.size, unit)


def seal(frame: Frame, unit: int) -> bytes:
    """The frame's octets, padded to a multiple of ``unit``."""
    head = _HEADER.pack(frame.magic, frame.format_id, frame.sequence, frame.generation,
                        frame.kind, len(frame.payload)) + frame.payload
    sealed = head + _CRC.pack(crc32c(head))
    return sealed + bytes(frame_octets(len(frame.payload), unit) - len(sealed))


def read_frame(medium: Medium, offset: int, room: int, *, magic: bytes, format_id: int,
               unit: int) -> tuple[Frame, int] | None:
    """The valid frame at ``offset`` (at most ``room`` octets long) and its length on the
    medium, or None if there is none: wrong magic or format, torn, or damaged."""
    first = _round_up(_HEADER.size, unit)
    if room < first:
        return None
    head = medium.read(offset, first)
    if head.uncorrectable_words:
        return None
    found, fid, sequence, generation, kind, length = _HEADER.unpack_from(head.data)
    if found != magic or fid != format_id:
        return None
    total = frame_octets(length, unit)
    if total > room:
        return None
    whole = medium.read(offset, total)
    if whole.uncorrectable_words:
        return None
    end = _HEADER.size + length
    (crc,) = _CRC.unpack_from(whole.data, end)
    if crc32c(whole.data[:end]) != crc:
        return None
    payload = whole.data[_HEADER.size:end]
    return Frame(found, fid, sequence, generation, kind, payload), total
