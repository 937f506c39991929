"""Service 131: each subtype, refusal without the flag, bad regions and bad arguments."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from flight_sw.faults.positions import encode_positions
from flight_sw.faults.report import MAX_POSITIONS_PER_REPORT
from flight_sw.hal.linux import LinuxHal
from flight_sw.services.verification import ErrorCode
from tests.flight_sw.faults.bench import FaultBench
from tests.flight_sw.hal.fakes import FakeLinuxTree

COMPLETED = (7, None)


@pytest.fixture
def bench(tmp_path: Path) -> FaultBench:
    return FaultBench(tmp_path)


def _changed_bits(before: bytes, after: bytes) -> set[int]:
    """Positions of the bits that differ, computed bit by bit."""
    return {octet * 8 + bit for octet, (a, b) in enumerate(zip(before, after, strict=True))
            for bit in range(8) if (a ^ b) >> bit & 1}


def _odd(positions: list[int]) -> set[int]:
    """Positions named an odd number of times (a double flip restores the bit)."""
    return {p for p, n in Counter(positions).items() if n % 2}


def test_every_request_is_refused_without_the_flag(tmp_path: Path) -> None:
    bench = FaultBench(tmp_path, enabled=False)
    sram = bench.hal.memory_regions()["sram"]
    requests = [
        bench.command("FAULT_FLIP_BITS", region="sram", positions=encode_positions([1])),
        bench.command("FAULT_FLIP_RANDOM", region="sram", count=5, seed=1),
        bench.command("FAULT_FLIP_CLUSTERS", region="sram", clusters=1, cluster_bits=2, seed=1),
        bench.command("FAULT_STICK_BITS", region="sram", value=1,
                      positions=encode_positions([1])),
        bench.command("FAULT_RELEASE_BITS", region="sram", positions=b""),
        bench.command("FAULT_HANG"),
        bench.command("FAULT_LATCH_UP", step_mw=3000),
        bench.raw(131, 1, b"\xff"),  # malformed data: still the same refusal
    ]
    assert [bench.outcome(tc) for tc in requests] == \
        [(2, ErrorCode.FAULT_INJECTION_DISABLED)] * len(requests)
    assert bench.service.counters.refused == len(requests)
    assert not any(sram.octets) and bench.hangs == 0 and not bench.events
    assert bench.service.telemetry() == {"FAULT_INJECTION_ENABLED": False, "FAULTS_INJECTED": 0,
                                         "FAULT_BITS_FLIPPED": 0,
                                         "FAULTS_REFUSED": len(requests)}


def test_flip_given_bits(bench: FaultBench) -> None:
    sram = bench.hal.memory_regions()["sram"]
    last = sram.bit_count - 1
    tc = bench.command("FAULT_FLIP_BITS", region="sram", positions=encode_positions([0, 9, last]))
    assert bench.outcome(tc) == COMPLETED
    assert sram.read(0, 2) == b"\x01\x02" and sram.read(sram.size - 1, 1) == b"\x80"
    assert bench.positions(tc) == [0, 9, last]
    assert bench.events == [("FAULT_INJECTED", {"kind": 1, "count": 3})]
    assert bench.service.counters.bits_flipped == 3


def test_random_flips_are_seeded_reported_and_applied(tmp_path: Path) -> None:
    first, second = FaultBench(tmp_path / "a"), FaultBench(tmp_path / "b")
    dram = first.hal.memory_regions()["dram"]
    before = dram.read(0, dram.size)
    tc = first.command("FAULT_FLIP_RANDOM", region="dram", count=500, seed=7)
    assert first.outcome(tc) == COMPLETED
    positions = first.positions(tc)
    assert len(positions) == 500
    assert all(0 <= p < dram.bit_count for p in positions)
    assert _changed_bits(before, dram.read(0, dram.size)) == _odd(positions)
    reports = first.fault_reports(tc)
    assert [r.first for r in reports] == list(range(0, 500, MAX_POSITIONS_PER_REPORT))
    assert {r.total for r in reports} == {500} and {r.kind for r in reports} == {2}
    same = second.command("FAULT_FLIP_RANDOM", region="dram", count=500, seed=7)
    other = second.command("FAULT_FLIP_RANDOM", region="dram", count=500, seed=8)
    assert second.positions(same) == positions != second.positions(other)
    assert first.events == [("FAULT_INJECTED", {"kind": 2, "count": 500})]


def test_clusters_are_runs_of_adjacent_bits(bench: FaultBench) -> None:
    nand = bench.hal.memory_regions()["nand"]
    before = nand.read(0, nand.size)
    tc = bench.command("FAULT_FLIP_CLUSTERS", region="nand", clusters=20, cluster_bits=5, seed=3)
    assert bench.outcome(tc) == COMPLETED
    positions = bench.positions(tc)
    runs = [positions[i:i + 5] for i in range(0, len(positions), 5)]
    assert len(runs) == 20
    assert all(run == list(range(run[0], run[0] + 5)) for run in runs)
    assert _changed_bits(before, nand.read(0, nand.size)) == _odd(positions)
    assert bench.service.counters.bits_flipped == 100


def test_stuck_bits_hold_through_writes_until_released(bench: FaultBench) -> None:
    sram = bench.hal.memory_regions()["sram"]
    stick = bench.command("FAULT_STICK_BITS", region="sram", value=1,
                          positions=encode_positions([3, 12]))
    assert bench.outcome(stick) == COMPLETED
    sram.write(0, bytes(2))
    assert sram.read(0, 2) == b"\x08\x10"
    one = bench.command("FAULT_RELEASE_BITS", region="sram", positions=encode_positions([12, 99]))
    assert bench.outcome(one) == COMPLETED and bench.positions(one) == [12]  # 99 was not stuck
    sram.write(0, bytes(2))
    assert sram.read(0, 2) == b"\x08\x00"
    every = bench.command("FAULT_RELEASE_BITS", region="sram", positions=b"")
    assert bench.positions(every) == [3]
    sram.write(0, bytes(2))
    assert sram.read(0, 2) == bytes(2) and sram.stuck_bits == {}
    assert bench.service.counters.bits_flipped == 0  # sticking is not flipping


def test_hang_completes_then_hangs(bench: FaultBench) -> None:
    tc = bench.command("FAULT_HANG")
    assert bench.outcome(tc) == COMPLETED and bench.hangs == 1
    assert bench.events == [("FAULT_INJECTED", {"kind": 6, "count": 0})]


def test_latch_up_on_the_emulated_board_raises_power_and_trips_the_limiter(
        bench: FaultBench) -> None:
    quiet = bench.hal.read_sensors(bench.clock.now)
    tc = bench.command("FAULT_LATCH_UP", step_mw=2500)
    assert bench.outcome(tc) == COMPLETED
    latched = bench.hal.read_sensors(bench.clock.now)
    assert quiet.power_w is not None and latched.power_w is not None
    assert latched.power_w - quiet.power_w == pytest.approx(2.5)
    assert (quiet.extras["current_limiter"], latched.extras["current_limiter"]) == (0.0, 1.0)


def test_latch_up_is_not_supported_on_the_linux_board(tmp_path: Path) -> None:
    tree = FakeLinuxTree(tmp_path / "root")
    clock_bench = FaultBench(tmp_path / "unused")
    hal = LinuxHal(state_dir=tmp_path / "state", clock=clock_bench.clock, root=tree.root,
                   storage_size=4096)
    try:
        bench = FaultBench(tmp_path, hal=hal)
        tc = bench.command("FAULT_LATCH_UP", step_mw=1000)
        subtype, code = bench.outcome(tc)
        assert (subtype, code) == (8, ErrorCode.EXECUTION_FAILED)
        assert bench.service.counters.refused == 1
        flip = bench.command("FAULT_FLIP_RANDOM", region="storage", count=3, seed=1)
        assert bench.outcome(flip) == COMPLETED and len(bench.positions(flip)) == 3
    finally:
        hal.close()


def test_unknown_region_is_refused(bench: FaultBench) -> None:
    tc = bench.command("FAULT_FLIP_RANDOM", region="eeprom", count=1, seed=0)
    assert bench.outcome(tc) == (2, ErrorCode.UNKNOWN_MEMORY_REGION)
    assert bench.service.counters.rejected.unknown_id == 1


@pytest.mark.parametrize(("positions", "code"), [
    (b"\x00" * 7, ErrorCode.INVALID_APPLICATION_DATA),  # not a multiple of 8 octets
    (b"", ErrorCode.INVALID_APPLICATION_DATA),  # no positions
    (encode_positions([8 * 1024]), ErrorCode.ARGUMENT_OUT_OF_RANGE),  # one past the end
    (encode_positions([2**64 - 1]), ErrorCode.ARGUMENT_OUT_OF_RANGE),
])
def test_bad_positions_are_refused(bench: FaultBench, positions: bytes, code: int) -> None:
    sram = bench.hal.memory_regions()["sram"]
    tc = bench.command("FAULT_FLIP_BITS", region="sram", positions=positions)
    assert bench.outcome(tc) == (2, code)
    assert not any(sram.octets) and not bench.events


@pytest.mark.parametrize(("subtype", "data", "code"), [
    (2, b"\x00\x04sram" + b"\x00" * 8, ErrorCode.ARGUMENT_OUT_OF_RANGE),  # count 0
    (2, b"\x00\x04sram\x00", ErrorCode.INVALID_APPLICATION_DATA),  # truncated
    (3, b"\x00\x04sram\x00\x01\x41\x00\x00\x00\x00", ErrorCode.ARGUMENT_OUT_OF_RANGE),  # 65 bits
    (4, b"\x00\x04sram\x02\x00\x00", ErrorCode.ARGUMENT_OUT_OF_RANGE),  # stuck at 2
    (6, b"\x00", ErrorCode.INVALID_APPLICATION_DATA),  # hang takes no data
    (7, b"\x00\x00\x00\x00", ErrorCode.ARGUMENT_OUT_OF_RANGE),  # 0 mW
    (9, b"", ErrorCode.UNKNOWN_SUBTYPE),
])
def test_bad_arguments_are_refused(bench: FaultBench, subtype: int, data: bytes,
                                   code: int) -> None:
    assert bench.outcome(bench.raw(131, subtype, data)) == (2, code)
    assert bench.hangs == 0 and not bench.events


def test_random_positions_follow_the_documented_generator(bench: FaultBench) -> None:
    """docs/icd.md 13: numpy PCG64 seeded with the request's seed, uniform over the bits."""
    sram = bench.hal.memory_regions()["sram"]
    tc = bench.command("FAULT_FLIP_RANDOM", region="sram", count=10, seed=1234)
    expected = np.random.Generator(np.random.PCG64(1234)).integers(0, sram.bit_count, 10)
    assert bench.positions(tc) == expected.tolist()
