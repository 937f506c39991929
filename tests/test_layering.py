"""The dependency rules of docs/architecture.md, checked on every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGES = ("ccsds", "firmware_stubs", "flight_sw", "ground_sw", "hil")
MAY_IMPORT = {
    "firmware_stubs": {"firmware_stubs"},
    "ccsds": {"ccsds", "firmware_stubs"},
    "flight_sw": {"flight_sw", "ccsds", "firmware_stubs"},
    "ground_sw": {"ground_sw", "ccsds"},
    "hil": set(PACKAGES),
}
# the sans-I/O core: no ports, sockets, processes, threads, sleeps or wall clock
IO_MODULES = {"serial", "socket", "socketserver", "select", "selectors", "asyncio",
              "threading", "multiprocessing", "subprocess", "time", "os", "io", "logging"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _modules(package: str) -> list[Path]:
    return [p for p in (SRC / package).rglob("*.py") if not p.name.startswith("_build")]


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_only_layers_below(package: str) -> None:
    forbidden = set(PACKAGES) - MAY_IMPORT[package]
    offenders = {str(path.relative_to(SRC)): sorted(_imports(path) & forbidden)
                 for path in _modules(package) if _imports(path) & forbidden}
    assert offenders == {}


def test_protocol_core_does_no_io() -> None:
    offenders = {str(path.relative_to(SRC)): sorted(_imports(path) & IO_MODULES)
                 for path in _modules("ccsds") if _imports(path) & IO_MODULES}
    assert offenders == {}


def test_library_code_neither_prints_nor_exits() -> None:
    offenders = []
    for package in ("ccsds", "firmware_stubs"):
        for path in _modules(package):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                        and node.func.id in {"print", "exit"}:
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []
