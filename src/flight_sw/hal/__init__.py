"""The board HAL: one protocol (:class:`Hal`), backends ``emulated`` and ``linux`` by name."""

from flight_sw.hal.base import (
    STORAGE_REGION,
    BootInfo,
    Clock,
    Hal,
    HalError,
    HalWatchdog,
    MemoryRegion,
    RegionKind,
    ResetCause,
    ResetRequest,
    SensorReadError,
    SensorReadings,
    storage_region,
)
from flight_sw.hal.registry import (
    BackendUnavailableError,
    UnknownBackendError,
    available_backends,
    get_hal,
)

__all__ = [
    "STORAGE_REGION",
    "BackendUnavailableError",
    "BootInfo",
    "Clock",
    "Hal",
    "HalError",
    "HalWatchdog",
    "MemoryRegion",
    "RegionKind",
    "ResetCause",
    "ResetRequest",
    "SensorReadError",
    "SensorReadings",
    "UnknownBackendError",
    "available_backends",
    "get_hal",
    "storage_region",
]
