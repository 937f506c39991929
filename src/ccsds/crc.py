"""Cyclic redundancy checks used on the link.

* CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF): TC/TM frame error control field
  (CCSDS 232.0-B-4 4.1.4.2, 132.0-B-3 4.1.6) and PUS packet error control
  (ECSS-E-ST-70-41C 7.4.3.1); computed by the firmware kernel.
* CRC-32 (ISO-HDLC, as zlib): CFDP file checksum type 3 (CCSDS 727.0-B-5, SANA registry).
* CRC-32C (Castagnoli): CFDP checksum type 2 and per-block store checksums; computed by the
  firmware kernel.
"""

from __future__ import annotations

import zlib

from firmware_stubs.crc16 import crc16_ccitt
from firmware_stubs.crc32c import crc32c as _crc32c_kernel

__all__ = ["crc16_ccitt", "crc32", "crc32c"]


def crc32(data: bytes | bytearray | memoryview, value: int = 0) -> int:
    """CRC-32 (ISO-HDLC, reflected, as zlib) of ``data``, continuing from ``value``."""
    return zlib.crc32(data, value) & 0xFFFFFFFF


def crc32c(data: bytes | bytearray | memoryview, value: int = 0) -> int:
    """CRC-32C (Castagnoli) of ``data``, continuing from ``value``; runs in the C kernel."""
    return _crc32c_kernel(data, value)
