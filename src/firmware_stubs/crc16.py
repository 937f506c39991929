"""CRC-16/CCITT-FALSE kernel: TC/TM frame error control and PUS packet error control."""

from __future__ import annotations

from firmware_stubs._buffers import Buffer, as_uint8
from firmware_stubs._loader import load_kernel

_ffi, _lib = load_kernel("crc16")
_crc16 = _lib.fw_crc16_ccitt


def crc16_ccitt(data: Buffer, value: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE of ``data`` continuing from ``value`` (0xFFFF to start).

    ``bytes`` go to C without a copy or a buffer object (the hot path of every packet
    and frame); other buffers through a zero-copy view. cffi releases the GIL.
    """
    try:
        result: int = _crc16(value, data, len(data))  # accepted as is: bytes only
    except TypeError:
        view = as_uint8(data)
        result = _crc16(value, _ffi.from_buffer("char[]", view), len(view))
    return result
