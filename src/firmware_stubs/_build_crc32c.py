"""cffi build script of the CRC-32C kernel (run by setup.py, or directly for an in-place build)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _buildutil import build_in_place, make_builder

ffibuilder = make_builder(
    "crc32c",
    "uint32_t fw_crc32c(uint32_t crc, const uint8_t *data, size_t len);",
    ["crc32c.c"],
)

if __name__ == "__main__":
    build_in_place(ffibuilder)
