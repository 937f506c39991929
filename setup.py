"""Build hook for the C kernels: every ``src/firmware_stubs/_build_*.py`` is a cffi module."""

from pathlib import Path

from setuptools import setup

_BUILDERS = sorted(Path("src/firmware_stubs").glob("_build_*.py"))

setup(cffi_modules=[f"{path.as_posix()}:ffibuilder" for path in _BUILDERS])
