"""File checksums (CCSDS 727.0-B-5 4.2.2) by checksum type.

Identifiers follow the SANA checksum registry that 727.0-B-5 refers to: 0 modular, 2 CRC-32C,
3 CRC-32 (IEEE 802.3, as zlib), 15 null; the ICD default is 3. Type 1 (Proximity-1 CRC-32) is
not implemented: a transaction asking for it meets the "unsupported checksum type" fault.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

from ccsds.cfdp.defs import ChecksumType
from ccsds.crc import crc32, crc32c

ChecksumFunction = Callable[[Iterable[tuple[int, bytes]]], int]
"""Checksum of a file given as (offset, segment) pairs in ascending, gap-free offset order."""


def modular_checksum(segments: Iterable[tuple[int, bytes]]) -> int:
    """Modular checksum (727.0-B-5 4.2.2.2): the sum modulo 2**32 of the file's 4-octet
    big-endian words, aligned from the start of the file and zero-padded at the end."""
    total = 0
    for offset, data in segments:
        lead = offset % 4
        padded = bytes(lead) + data + bytes(-(lead + len(data)) % 4)
        total += sum(struct.unpack(f">{len(padded) // 4}I", padded))
    return total & 0xFFFFFFFF


def _streaming(function: Callable[[bytes, int], int]) -> ChecksumFunction:
    def checksum(segments: Iterable[tuple[int, bytes]]) -> int:
        value = 0
        for _offset, data in segments:
            value = function(data, value)
        return value

    return checksum


def null_checksum(segments: Iterable[tuple[int, bytes]]) -> int:
    """Null checksum (type 15): always zero, the receiver does not verify."""
    del segments
    return 0


SANA_CHECKSUMS: Mapping[int, ChecksumFunction] = MappingProxyType({
    ChecksumType.MODULAR: modular_checksum,
    ChecksumType.CRC32C: _streaming(crc32c),
    ChecksumType.CRC32: _streaming(crc32),
    ChecksumType.NULL: null_checksum,
})
"""The SANA registry's table: 0 modular, 2 CRC-32C, 3 CRC-32, 15 null."""
