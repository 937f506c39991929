"""A kernel that was not built fails loudly, saying how to build it."""

import pytest

from firmware_stubs import KernelNotBuiltError, load_kernel


def test_missing_kernel_raises_with_build_instructions() -> None:
    with pytest.raises(KernelNotBuiltError, match=r"pip install \.") as info:
        load_kernel("does_not_exist")
    assert "_build_does_not_exist.py" in str(info.value)


def test_built_kernel_loads() -> None:
    ffi, lib = load_kernel("crc32c")
    assert hasattr(lib, "fw_crc32c")
    assert ffi.sizeof("uint32_t") == 4
