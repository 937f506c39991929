"""Shared helpers for the cffi build scripts (``_build_*.py``)."""

from __future__ import annotations

import platform
from pathlib import Path

from cffi import FFI

CSRC = Path(__file__).resolve().parent / "csrc"


def compile_args() -> list[str]:
    """Optimisation flags; portable (no -march=native) so a built wheel runs on its family."""
    args = ["-O3", "-std=c11", "-Wall", "-Wextra"]
    if platform.machine().lower() in {"x86_64", "amd64"}:
        args.append("-fno-strict-aliasing")
    return args


def make_builder(name: str, cdef: str, sources: list[str]) -> FFI:
    """A cffi builder for module ``firmware_stubs._kernel_<name>`` from ``csrc`` sources."""
    builder = FFI()
    builder.cdef(cdef)
    header = "\n".join(f'#include "{src.removesuffix(".c")}.h"' for src in sources)
    builder.set_source(
        f"firmware_stubs._kernel_{name}",
        header,
        sources=[_source_path(src) for src in sources],
        include_dirs=[str(CSRC)],
        extra_compile_args=compile_args(),
    )
    return builder


def _source_path(name: str) -> str:
    """Relative to the working directory when under it (setuptools wants that), else absolute."""
    path = CSRC / name
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def build_in_place(builder: FFI) -> None:
    """Compile next to the package sources (for ``python _build_x.py`` during development)."""
    src_root = Path(__file__).resolve().parent.parent
    builder.compile(tmpdir=str(src_root), verbose=False)
