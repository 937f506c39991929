"""cffi build script of the BCH(63,56) kernel (run by setup.py, or directly to build in place)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _buildutil import build_in_place, make_builder

ffibuilder = make_builder(
    "bch",
    """
    void fw_bch_init(void);
    void fw_bch_encode(const uint8_t *info, size_t nblocks, uint8_t *out);
    size_t fw_bch_decode(const uint8_t *codeblocks, size_t nblocks, uint8_t *out,
                         size_t *corrected, int *stopped);
    """,
    ["bch.c"],
)

if __name__ == "__main__":
    build_in_place(ffibuilder)
