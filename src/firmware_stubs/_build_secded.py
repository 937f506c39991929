"""cffi build script of the SECDED (72,64) kernel (run by setup.py, or directly to build)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _buildutil import build_in_place, make_builder

ffibuilder = make_builder(
    "secded",
    """
    void fw_secded_init(void);
    const char *fw_secded_path(void);
    int fw_secded_select(int fastest);
    void fw_secded_encode(const uint64_t *words, size_t n, uint8_t *checks);
    void fw_secded_check(uint64_t *words, uint8_t *checks, size_t n, int correct,
                         int64_t *corrected_idx, int64_t *uncorrectable_idx, size_t max_report,
                         size_t *n_corrected, size_t *n_uncorrectable);
    const char *fw_secded_il_path(void);
    int fw_secded_il_select(int fastest);
    void fw_secded_encode_il(const uint64_t *logical, size_t n, unsigned depth, uint64_t *phys,
                             uint8_t *checks);
    void fw_secded_check_il(uint64_t *phys, uint8_t *checks, size_t n, unsigned depth,
                            int correct, uint64_t *logical, int64_t *corrected_idx,
                            int64_t *uncorrectable_idx, size_t max_report,
                            size_t *n_corrected, size_t *n_uncorrectable);
    """,
    ["secded.c"],
)

if __name__ == "__main__":
    build_in_place(ffibuilder)
