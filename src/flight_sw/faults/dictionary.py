"""Dictionary entries of the fault-injection service 131 and of the power FDIR rule.
Ids: parameters 192..207, events 48..63.

Bit positions travel as an octet string of N x uint64, big-endian (docs/icd.md 13): the
dictionary's types have no arrays, so :mod:`flight_sw.faults.positions` codes them.
"""

from __future__ import annotations

from ccsds.mission_db import Argument, Command, Event, HousekeepingStructure, Parameter, Severity

SERVICE = 131
"""Mission service: fault injection below the EDAC layer."""
REPORT_SUBTYPE = 128
"""TM(131,128): the bit positions an injection touched (docs/icd.md 13)."""

FAULT_KINDS = (("FLIP_BITS", 1), ("FLIP_RANDOM", 2), ("FLIP_CLUSTERS", 3), ("STICK_BITS", 4),
               ("RELEASE_BITS", 5), ("HANG", 6), ("LATCH_UP", 7))
"""The request subtypes of service 131, also the ``kind`` of reports and events."""


def _region() -> Argument:
    return Argument(name="region", type="string",
                    description="memory region name (sram, dram, nand emulated; storage linux)")


def _positions() -> Argument:
    return Argument(name="positions", type="bytes",
                    description="N x uint64 big-endian bit positions (bit p: octet p//8, "
                                "bit p%8 from the least significant)")


def _seed() -> Argument:
    return Argument(name="seed", type="uint32", description="seed of the position draw")


COMMANDS: tuple[Command, ...] = (
    Command("FAULT_FLIP_BITS", SERVICE, 1, (_region(), _positions()), critical=True,
            description="invert the given bits of a region (single event upsets)"),
    Command("FAULT_FLIP_RANDOM", SERVICE, 2, (
        _region(),
        Argument(name="count", type="uint32", minimum=1, maximum=65_536,
                 description="bits to flip, drawn uniformly with replacement"),
        _seed()), critical=True,
        description="flip N seeded random bits; positions reported in TM(131,128)"),
    Command("FAULT_FLIP_CLUSTERS", SERVICE, 3, (
        _region(),
        Argument(name="clusters", type="uint16", minimum=1, maximum=4096,
                 description="number of clusters"),
        Argument(name="cluster_bits", type="uint8", minimum=1, maximum=64,
                 description="adjacent bits per cluster (multi-bit upset)"),
        _seed()), critical=True,
        description="flip C seeded clusters of S adjacent bits; positions in TM(131,128)"),
    Command("FAULT_STICK_BITS", SERVICE, 4, (
        _region(), Argument(name="value", type="uint8", minimum=0, maximum=1,
                            description="level the bits are stuck at"), _positions()),
            critical=True, description="make bits stuck at 0 or 1 (permanent damage)"),
    Command("FAULT_RELEASE_BITS", SERVICE, 5, (_region(), _positions()), critical=True,
            description="release stuck bits (no positions: every stuck bit of the region)"),
    Command("FAULT_HANG", SERVICE, 6, critical=True,
            description="functional interrupt: the software stops serving and kicking "
                        "the watchdog, whose expiry resets the board"),
    Command("FAULT_LATCH_UP", SERVICE, 7, (
        Argument(name="step_mw", type="uint32", unit="mW", minimum=100, maximum=60_000,
                 description="extra supply power drawn until a power cycle"),),
            critical=True, description="single event latch-up (emulated board only)"),
)


def _counter(pid: int, name: str, description: str) -> Parameter:
    return Parameter(id=pid, name=name, type="uint32", description=description)


PARAMETERS: tuple[Parameter, ...] = (
    Parameter(id=192, name="FAULT_INJECTION_ENABLED", type="bool",
              description="started with --allow-fault-injection"),
    _counter(193, "FAULTS_INJECTED", "fault-injection requests carried out"),
    _counter(194, "FAULT_BITS_FLIPPED", "bits flipped by fault injection"),
    _counter(195, "FAULTS_REFUSED", "fault-injection requests refused"),
    Parameter(id=196, name="POWER_LIMIT_MW", type="uint32", unit="mW", minimum=0,
              maximum=100_000, settable=True,
              description="FDIR: power above this for POWER_LIMIT_TIME_MS power-cycles the "
                          "board (0: the built-in 9 W)"),
    Parameter(id=197, name="POWER_LIMIT_TIME_MS", type="uint32", unit="ms", minimum=0,
              maximum=60_000, settable=True,
              description="FDIR: how long power may exceed POWER_LIMIT_MW (0: the built-in "
                          "2 s)"),
)

_KIND = Argument(name="kind", type="enum8", enumeration=FAULT_KINDS)

EVENTS: tuple[Event, ...] = (
    Event(48, "FAULT_INJECTED", Severity.LOW, (
        _KIND, Argument(name="count", type="uint32", description="bits touched (0: none)")),
        "a fault was injected on request (service 131)"),
    Event(49, "LATCH_UP_DETECTED", Severity.HIGH, (
        Argument(name="power_mw", type="uint32", unit="mW"),
        Argument(name="current_limiter", type="enum8",
                 enumeration=(("CLEAR", 0), ("TRIPPED", 1))),
    ), "FDIR: over-power or current limiter trip; the board power-cycles"),
    Event(50, "MEMORY_ERRORS_LIMIT", Severity.HIGH, (
        Argument(name="count", type="uint32",
                 description="uncorrectable errors within the window"),
        Argument(name="window_s", type="uint32", unit="s"),
    ), "FDIR: too many uncorrectable memory errors; the board goes SAFE"),
)
HOUSEKEEPING: tuple[HousekeepingStructure, ...] = ()
