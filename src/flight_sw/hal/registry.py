"""HAL backends by name: the built-in ones plus entry points of group ``spacedc_hil.boards``.

Backends are imported only when asked for (as python-can does for its interfaces), so a
board without an optional dependency of another backend still starts. An entry point names
a class (or factory) taking ``state_dir=``, ``clock=`` and backend options as keywords.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, cast

from flight_sw.hal.base import Clock, Hal, HalError

ENTRY_POINT_GROUP = "spacedc_hil.boards"
BUILTIN_BACKENDS = {
    "emulated": "flight_sw.hal.emulated:EmulatedHal",
    "linux": "flight_sw.hal.linux:LinuxHal",
}


class UnknownBackendError(HalError, LookupError):
    """No backend of that name is built in or registered."""


class BackendUnavailableError(HalError, ImportError):
    """The backend exists but its module could not be imported."""


def _plugins() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available_backends() -> list[str]:
    """Names :func:`get_hal` accepts, sorted."""
    return sorted({*BUILTIN_BACKENDS, *_plugins()})


def _load(name: str) -> Any:
    target = BUILTIN_BACKENDS.get(name)
    try:
        if target is not None:
            module, _, attribute = target.partition(":")
            return getattr(importlib.import_module(module), attribute)
        plugin = _plugins().get(name)
        if plugin is None:
            raise UnknownBackendError(
                f"unknown board backend {name!r}; available: {', '.join(available_backends())}")
        return plugin.load()
    except ImportError as exc:
        raise BackendUnavailableError(f"board backend {name!r} cannot be loaded: {exc}") from exc


def get_hal(name: str, *, state_dir: str | Path, clock: Clock, **options: Any) -> Hal:
    """Build the backend ``name`` on ``state_dir`` with the injected ``clock``."""
    factory = _load(name)
    return cast(Hal, factory(state_dir=state_dir, clock=clock, **options))
