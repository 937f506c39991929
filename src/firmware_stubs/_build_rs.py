"""cffi build script of the Reed-Solomon kernel (run by setup.py, or directly to build in place)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _buildutil import build_in_place, make_builder

ffibuilder = make_builder(
    "rs",
    """
    void fw_rs_init(void);
    const char *fw_rs_path(void);
    void fw_rs_generator(int nroots, uint8_t *out);
    void fw_rs_translate(uint8_t *data, size_t len, int to_dual);
    void fw_rs_encode(const uint8_t *messages, size_t nblocks, int nroots, int interleave,
                      int dual, uint8_t *out);
    size_t fw_rs_check(const uint8_t *codeblocks, size_t nblocks, int nroots, int interleave,
                       int dual);
    size_t fw_rs_decode(const uint8_t *codeblocks, size_t nblocks, int nroots, int interleave,
                        int dual, const int32_t *erasures, size_t n_erasures, uint8_t *out,
                        int32_t *corrected, uint8_t *failed);
    """,
    ["rs.c"],
)

if __name__ == "__main__":
    build_in_place(ffibuilder)
