"""Backends by name: built-ins, entry points, and clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flight_sw.hal import (
    BackendUnavailableError,
    Hal,
    UnknownBackendError,
    available_backends,
    get_hal,
    registry,
)
from flight_sw.hal.emulated import EmulatedHal
from tests.flight_sw.hal.fakes import FakeClock


def test_builtin_backends_are_listed() -> None:
    assert {"emulated", "linux"} <= set(available_backends())


def test_get_hal_builds_the_named_backend(tmp_path: Path) -> None:
    hal = get_hal("emulated", state_dir=tmp_path, clock=FakeClock(3.0))
    assert isinstance(hal, EmulatedHal) and isinstance(hal, Hal)
    assert hal.boot_info().booted_at == 3.0
    hal.close()


def test_unknown_backend_names_the_available_ones(tmp_path: Path) -> None:
    with pytest.raises(UnknownBackendError, match=r"'jetson-nano'.*emulated.*linux"):
        get_hal("jetson-nano", state_dir=tmp_path, clock=FakeClock())
    assert not any(tmp_path.iterdir())  # nothing was created


def test_unknown_backend_is_a_lookup_error(tmp_path: Path) -> None:
    with pytest.raises(LookupError):
        get_hal("", state_dir=tmp_path, clock=FakeClock())


class _EntryPoint:
    def __init__(self, name: str, target: Any) -> None:
        self.name, self._target = name, target

    def load(self) -> Any:
        if isinstance(self._target, Exception):
            raise self._target
        return self._target


def test_entry_point_backends_are_found_and_loaded_lazily(monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    built: list[dict[str, Any]] = []

    def factory(**kwargs: Any) -> str:
        built.append(kwargs)
        return "a board"

    plugins = [_EntryPoint("custom", factory), _EntryPoint("broken", ImportError("no smbus"))]
    monkeypatch.setattr(registry, "entry_points",
                        lambda group: plugins if group == registry.ENTRY_POINT_GROUP else [])
    assert {"custom", "broken"} <= set(available_backends())
    clock = FakeClock()
    assert get_hal("custom", state_dir=tmp_path, clock=clock, speed=2) == "a board"
    assert built == [{"state_dir": tmp_path, "clock": clock, "speed": 2}]
    with pytest.raises(BackendUnavailableError, match=r"'broken'.*no smbus"):
        get_hal("broken", state_dir=tmp_path, clock=clock)


def test_builtin_import_failure_is_reported(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    monkeypatch.setitem(registry.BUILTIN_BACKENDS, "ghost", "flight_sw.hal.no_such_module:X")
    with pytest.raises(BackendUnavailableError, match="ghost"):
        get_hal("ghost", state_dir=tmp_path, clock=FakeClock())
