"""Reusable per-thread output buffers of the kernel wrappers.

A fresh multi-megabyte buffer per call costs a page fault per 4 KiB page when the C kernel
first writes it (the allocator returns large freed blocks to the system); writing into a
buffer kept per thread and copying the result out avoids that. Buffers above
``MAX_KEPT`` octets are not kept.
"""

from __future__ import annotations

import threading
from typing import Any

MAX_KEPT = 64 << 20


class _Scratch(threading.local):
    def __init__(self) -> None:
        self.buffers: dict[tuple[int, str], Any] = {}


_scratch = _Scratch()


def output_buffer(ffi: Any, length: int, ctype: str = "uint8_t[]") -> Any:
    """A ``ctype`` array of at least ``length`` items for this thread (contents undefined)."""
    key = (id(ffi), ctype)
    buffer = _scratch.buffers.get(key)
    if buffer is None or len(buffer) < length:
        buffer = ffi.new(ctype, max(length, 1))
        if ffi.sizeof(buffer) <= MAX_KEPT:
            _scratch.buffers[key] = buffer
    return buffer
