"""CRC-32C (Castagnoli) kernel: per-block checksums of the mass memory."""

from __future__ import annotations

from firmware_stubs._buffers import Buffer, as_uint8
from firmware_stubs._loader import load_kernel

_ffi, _lib = load_kernel("crc32c")


def crc32c(data: Buffer, value: int = 0) -> int:
    """CRC-32C of ``data`` continuing from ``value`` (0 to start); releases the GIL."""
    view = as_uint8(data)
    result: int = _lib.fw_crc32c(value & 0xFFFFFFFF, _ffi.from_buffer("uint8_t[]", view), len(view))
    return result
