"""The emulated payload computer: memory regions, sensors, watchdog and reset bookkeeping.

What it models: named SRAM/DRAM/NAND-like regions (non-volatile ones file-backed in the state
directory so they survive restarts), lumped thermal nodes heated by the power drawn
(:mod:`.thermal`), power from idle plus compute load plus latch-up (:mod:`.power`), a
watchdog (:mod:`.watchdog`) and the reset-cause record (:mod:`.reset`). A power cycle clears
latch-up and zeroes volatile regions; a warm reset (watchdog, commanded) keeps memory.
Time is the ``now`` passed to each call; the board never reads a clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, TracebackType

from firmware_stubs.board.errors import BoardArgumentError
from firmware_stubs.board.memory import MemoryRegion, RegionKind
from firmware_stubs.board.power import PowerModel, PowerParameters
from firmware_stubs.board.reset import BootInfo, BootStore, ResetCause, ResetRequest
from firmware_stubs.board.supervisor import WatchdogSupervisor
from firmware_stubs.board.thermal import ThermalNode, ThermalParameters
from firmware_stubs.board.validate import finite, fraction
from firmware_stubs.board.watchdog import Watchdog

KIB, MIB = 1 << 10, 1 << 20


@dataclass(frozen=True)
class RegionSpec:
    """One memory region of the board; ``persistent`` ones map ``<name>.img`` in the state dir."""

    name: str
    kind: RegionKind
    size: int
    persistent: bool = False


def _default_regions() -> tuple[RegionSpec, ...]:
    return (RegionSpec("sram", RegionKind.SRAM, 1 * MIB),
            RegionSpec("dram", RegionKind.DRAM, 16 * MIB),
            RegionSpec("nand", RegionKind.NAND, 256 * MIB, persistent=True))


def _default_thermal() -> Mapping[str, ThermalParameters]:
    return MappingProxyType({"soc": ThermalParameters(20.0, 4.0),
                             "board": ThermalParameters(300.0, 2.0)})


@dataclass(frozen=True)
class BoardSpec:
    """Configuration of an emulated board (sizes in octets, powers in W, times in s)."""

    regions: tuple[RegionSpec, ...] = field(default_factory=_default_regions)
    thermal: Mapping[str, ThermalParameters] = field(default_factory=_default_thermal)
    power: PowerParameters = field(default_factory=PowerParameters)
    watchdog_timeout_s: float = 8.0
    watchdog_enabled: bool = True
    idle_memory_fraction: float = 0.2
    full_load_memory_fraction: float = 0.7

    def __post_init__(self) -> None:
        names = [region.name for region in self.regions]
        if len(set(names)) != len(names):
            raise BoardArgumentError(f"region names must be unique: {names}")
        fraction(self.idle_memory_fraction, "idle memory fraction")
        fraction(self.full_load_memory_fraction, "full-load memory fraction")


class EmulatedBoard:
    """One emulated board on a state directory; constructing it is a boot at ``now``."""

    def __init__(self, state_dir: str | Path, spec: BoardSpec | None = None, *,
                 now: float = 0.0) -> None:
        self.spec = spec or BoardSpec()
        self.state_dir = Path(state_dir)
        self.regions: dict[str, MemoryRegion] = {}
        for region in self.spec.regions:
            self.regions[region.name] = (
                MemoryRegion.file_backed(region.name, region.kind,
                                         self.state_dir / f"{region.name}.img", region.size)
                if region.persistent
                else MemoryRegion.in_memory(region.name, region.kind, region.size))
        self.thermal = {name: ThermalNode(p) for name, p in self.spec.thermal.items()}
        self.power = PowerModel(self.spec.power)
        self.watchdog = Watchdog(self.spec.watchdog_timeout_s,
                                 enabled=self.spec.watchdog_enabled)
        self.boot_store = BootStore(self.state_dir)
        self.supervisor = WatchdogSupervisor(self.watchdog, self.boot_store)
        self.load = 0.0
        self._last_step = finite(now, "now")
        self.boot_info = self._start(now)

    def _start(self, now: float) -> BootInfo:
        info = self.boot_store.boot(now)
        self.load = 0.0
        self.supervisor.rearm(now)
        return info

    # -- sensors ---------------------------------------------------------------------------

    def advance(self, now: float) -> None:
        """Run the thermal model up to ``now`` at the current power (time never runs back)."""
        now = finite(now, "now")
        elapsed = max(0.0, now - self._last_step)
        power = self.power_w
        for node in self.thermal.values():
            node.step(elapsed, power)
        self._last_step = max(self._last_step, now)

    def set_load(self, load: float, now: float | None = None) -> None:
        """Set the compute load in [0, 1], first advancing the model to ``now`` if given."""
        load = fraction(load, "load")
        if now is not None:
            self.advance(now)
        self.load = load

    @property
    def power_w(self) -> float:
        """Power drawn now."""
        return self.power.draw_w(self.load)

    @property
    def temperatures_c(self) -> dict[str, float]:
        """Temperature of each thermal node, as of the last :meth:`advance`."""
        return {name: node.temperature_c for name, node in self.thermal.items()}

    @property
    def memory_used_fraction(self) -> float:
        """A model of memory use: linear in the load between the idle and full-load figures."""
        idle, full = self.spec.idle_memory_fraction, self.spec.full_load_memory_fraction
        return idle + (full - idle) * self.load

    def uptime_s(self, now: float) -> float:
        """Seconds since the current boot."""
        return max(0.0, finite(now, "now") - self.boot_info.booted_at)

    # -- faults, watchdog and resets -------------------------------------------------------

    def latch_up(self, step_w: float | None = None) -> None:
        """Inject a latch-up: a current step until the next power cycle."""
        self.power.latch_up(step_w)

    def check_watchdog(self, now: float) -> bool:
        """Whether the watchdog has expired; on expiry a watchdog reset is recorded as pending.

        The runtime carries the reset out (a process restart on the same state dir, or
        :meth:`reboot`), as the hardware would pull the reset line.
        """
        return self.supervisor.check(now)

    def request_reset(self, cause: ResetCause | str, now: float) -> ResetRequest:
        """Record ``cause`` for the next boot; nothing else changes until :meth:`reboot`."""
        return self.boot_store.request(cause, now)

    def reboot(self, now: float) -> BootInfo:
        """Go through reset in place: consume the pending cause, power cycle if it says so."""
        self.advance(now)
        self.boot_info = self._start(now)
        if self.boot_info.cause.power_cycles:
            self.power.power_cycle()
            for region in self.regions.values():
                if region.kind.volatile:
                    region.fill(0)
        return self.boot_info

    def power_cycle(self, now: float, cause: ResetCause = ResetCause.POWER_ON) -> BootInfo:
        """Remove and restore power (``cause`` latch_up when clearing a latch-up)."""
        if not cause.power_cycles:
            raise BoardArgumentError(f"a power cycle's cause is power_on or latch_up, not {cause}")
        self.request_reset(cause, now)
        return self.reboot(now)

    # -- life cycle ------------------------------------------------------------------------

    def close(self) -> None:
        """Flush and close every region."""
        for region in self.regions.values():
            region.close()

    def __enter__(self) -> EmulatedBoard:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
