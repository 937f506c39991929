"""Import of the compiled cffi kernels, failing loudly when one was not built."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class KernelNotBuiltError(ImportError):
    """A C kernel's extension module is missing: the package was not built."""


def load_kernel(name: str) -> tuple[Any, Any]:
    """Return ``(ffi, lib)`` of the compiled kernel ``firmware_stubs._kernel_<name>``."""
    module_name = f"firmware_stubs._kernel_{name}"
    try:
        module: ModuleType = importlib.import_module(module_name)
    except ImportError as exc:
        raise KernelNotBuiltError(
            f"C kernel {module_name!r} is not built ({exc}). Build it with "
            "'pip install .' (or 'make install' in a checkout, or "
            f"'python src/firmware_stubs/_build_{name}.py' for an in-place build)."
        ) from exc
    return module.ffi, module.lib
