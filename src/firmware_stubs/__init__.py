"""What the flight unit's FPGA and firmware do, standing in on a dev board or in emulation.

C kernels (Reed-Solomon, SECDED EDAC, BCH, CRC-32C) are compiled by cffi when the package
is installed; each ``firmware_stubs.<kernel>`` module wraps one of them. There is no
pure-Python fallback: importing a kernel that was not built raises
:class:`KernelNotBuiltError` saying how to build it.
"""

from firmware_stubs._loader import KernelNotBuiltError, load_kernel

__all__ = ["KernelNotBuiltError", "load_kernel"]
