"""Emulated board hardware: memory regions, thermal and power models, watchdog, resets.

The flight software reaches it through :mod:`flight_sw.hal` (backend ``emulated``); fault
injection works on the same :class:`MemoryRegion` objects on emulated and real boards.
"""

from firmware_stubs.board.board import BoardSpec, EmulatedBoard, RegionSpec
from firmware_stubs.board.errors import BoardArgumentError, BoardError, BoardStateError
from firmware_stubs.board.memory import MemoryRegion, RegionKind
from firmware_stubs.board.power import PowerModel, PowerParameters
from firmware_stubs.board.reset import BootInfo, BootStore, ResetCause, ResetRequest
from firmware_stubs.board.supervisor import WatchdogSupervisor
from firmware_stubs.board.thermal import ThermalNode, ThermalParameters
from firmware_stubs.board.watchdog import Watchdog

__all__ = [
    "BoardArgumentError", "BoardError", "BoardSpec", "BoardStateError", "BootInfo", "BootStore",
    "EmulatedBoard", "MemoryRegion", "PowerModel", "PowerParameters", "RegionKind", "RegionSpec",
    "ResetCause", "ResetRequest", "ThermalNode", "ThermalParameters", "Watchdog",
    "WatchdogSupervisor",
]
