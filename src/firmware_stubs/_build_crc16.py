"""cffi build script of the CRC-16/CCITT kernel (run by setup.py, or directly in place)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _buildutil import build_in_place, make_builder

ffibuilder = make_builder(
    "crc16",
    "uint16_t fw_crc16_ccitt(uint16_t crc, const char *data, size_t len);",
    ["crc16.c"],
)

if __name__ == "__main__":
    build_in_place(ffibuilder)
