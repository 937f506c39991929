"""Buffer conversions shared by the kernel wrappers: bytes, bytearray, memoryview or numpy."""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

Buffer: TypeAlias = bytes | bytearray | memoryview | npt.NDArray[np.generic]


def as_uint8(data: Buffer) -> memoryview:
    """A flat, C-contiguous octet view of ``data`` without copying when possible."""
    if isinstance(data, np.ndarray):
        data = np.ascontiguousarray(data)
        return data.reshape(-1).view(np.uint8).data
    view = memoryview(data)
    if view.ndim != 1 or view.itemsize != 1 or not view.c_contiguous:
        view = memoryview(view.tobytes())
    return view.cast("B")
