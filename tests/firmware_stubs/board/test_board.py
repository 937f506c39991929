"""The emulated board: sensors from the models, watchdog resets, reboots and power cycles."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from firmware_stubs.board import (
    BoardArgumentError,
    BoardSpec,
    EmulatedBoard,
    PowerParameters,
    RegionKind,
    RegionSpec,
    ResetCause,
    ThermalParameters,
)

SPEC = BoardSpec(
    regions=(RegionSpec("sram", RegionKind.SRAM, 4096),
             RegionSpec("dram", RegionKind.DRAM, 1 << 16),
             RegionSpec("nand", RegionKind.NAND, 1 << 20, persistent=True)),
    thermal={"soc": ThermalParameters(10.0, 5.0, ambient_c=20.0)},
    power=PowerParameters(idle_w=1.0, full_load_w=3.0, latch_up_step_w=2.0),
    watchdog_timeout_s=4.0,
)


def test_default_spec_boots_with_the_documented_regions(tmp_path: Path) -> None:
    with EmulatedBoard(tmp_path, now=5.0) as board:
        layout = {name: (r.kind, r.size, r.path is not None) for name, r in board.regions.items()}
        assert layout == {"sram": (RegionKind.SRAM, 1 << 20, False),
                          "dram": (RegionKind.DRAM, 16 << 20, False),
                          "nand": (RegionKind.NAND, 256 << 20, True)}
        assert board.boot_info.cause == ResetCause.POWER_ON
        assert board.uptime_s(7.5) == 2.5
    assert (tmp_path / "nand.img").stat().st_blocks * 512 < 1 << 20  # sparse


def test_temperature_follows_load_through_the_thermal_model(tmp_path: Path) -> None:
    board = EmulatedBoard(tmp_path, SPEC)
    board.set_load(1.0, now=0.0)
    board.advance(50.0)  # one time constant at 3 W: 20 + 15 (1 - 1/e)
    assert board.temperatures_c["soc"] == pytest.approx(20.0 + 15.0 * (1 - math.exp(-1)))
    board.set_load(0.0, now=50.0)
    board.advance(1e6)
    assert board.temperatures_c["soc"] == pytest.approx(25.0)  # idle 1 W * 5 K/W
    board.advance(10.0)  # time running back is ignored
    assert board.temperatures_c["soc"] == pytest.approx(25.0)
    assert board.memory_used_fraction == pytest.approx(SPEC.idle_memory_fraction)


def test_latch_up_heats_and_a_power_cycle_clears_it(tmp_path: Path) -> None:
    board = EmulatedBoard(tmp_path, SPEC)
    board.latch_up()
    assert board.power_w == pytest.approx(3.0)
    board.regions["dram"].write(0, b"volatile")
    board.regions["nand"].write(0, b"kept")
    board.regions["dram"].stick_bits([7], 1)
    info = board.power_cycle(10.0, ResetCause.LATCH_UP)
    assert info.cause == ResetCause.LATCH_UP and info.boot_count == 2
    assert board.power_w == pytest.approx(1.0)
    assert board.regions["dram"].read(0, 8) == b"\x80" + bytes(7)  # zeroed, stuck bit stays
    assert board.regions["nand"].read(0, 4) == b"kept"
    with pytest.raises(BoardArgumentError):
        board.power_cycle(11.0, ResetCause.COMMANDED)


def test_watchdog_reset_is_reported_after_a_restart(tmp_path: Path) -> None:
    board = EmulatedBoard(tmp_path, SPEC, now=100.0)
    board.watchdog.kick(102.0)
    assert not board.check_watchdog(105.9)
    assert board.check_watchdog(106.0)  # the software hung: no kick for 4 s
    board.regions["nand"].write(16, b"journal")
    board.close()
    restarted = EmulatedBoard(tmp_path, SPEC, now=0.0)  # new process, same state dir
    assert restarted.boot_info.cause == ResetCause.WATCHDOG
    assert restarted.boot_info.boot_count == 2
    assert restarted.regions["nand"].read(16, 7) == b"journal"
    assert not restarted.check_watchdog(3.9)


def test_commanded_reboot_in_place_keeps_memory(tmp_path: Path) -> None:
    board = EmulatedBoard(tmp_path, SPEC)
    board.regions["sram"].write(0, b"warm")
    board.set_load(0.5)
    request = board.request_reset(ResetCause.COMMANDED, 1.0)
    assert not request.power_cycle
    assert board.boot_info.cause == ResetCause.POWER_ON  # nothing happens before the reboot
    info = board.reboot(2.0)
    assert info.cause == ResetCause.COMMANDED and board.load == 0.0
    assert board.regions["sram"].read(0, 4) == b"warm"
    assert board.uptime_s(3.0) == 1.0


def test_flip_random_into_a_named_region_leaves_others_alone(tmp_path: Path) -> None:
    board = EmulatedBoard(tmp_path, SPEC)
    board.regions["dram"].flip_random(100, np.random.default_rng(3))
    assert np.count_nonzero(board.regions["dram"].octets) > 0
    assert not np.count_nonzero(board.regions["sram"].octets)
    assert not np.count_nonzero(board.regions["nand"].octets)


def test_bad_specs_and_inputs(tmp_path: Path) -> None:
    with pytest.raises(BoardArgumentError):
        BoardSpec(regions=(RegionSpec("a", RegionKind.SRAM, 8), RegionSpec("a", "dram", 8)))
    with pytest.raises(BoardArgumentError):
        BoardSpec(idle_memory_fraction=2.0)
    board = EmulatedBoard(tmp_path, SPEC)
    for call in (lambda: board.set_load(1.5), lambda: board.advance(math.nan),
                 lambda: board.request_reset("nonsense", 0.0), lambda: board.uptime_s("x")):
        with pytest.raises(BoardArgumentError):
            call()
