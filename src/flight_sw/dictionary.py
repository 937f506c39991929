"""The mission dictionary: every command, parameter, event and housekeeping structure of the
flight software core, defined once here and exported with ``flight-sw dictionary``.

Standard services use the ECSS-E-ST-70-41C subtypes: 3 housekeeping (6.3), 5 event
reporting (6.5), 9 time management (6.9), 17 test (6.17), 20 parameter management (6.20).
Mission service 130 is board control. Commands whose standard data field starts with a
count N (3,5 / 3,6 / 3,27 / 3,31 / 5,5 / 5,6 / 20,1) address one item per request here:
N is an argument fixed to 1, so the data field keeps the standard layout.
"""

from __future__ import annotations

from ccsds.mission_db import (
    Argument,
    Command,
    Event,
    HousekeepingStructure,
    Limits,
    MissionDatabase,
    Parameter,
    Severity,
)
from flight_sw.compute import dictionary as compute
from flight_sw.faults import dictionary as faults
from flight_sw.security import dictionary as security
from flight_sw.storage import dictionary as storage

APID = 100
"""PUS application of the payload (docs/icd.md 4)."""
BOARD_CONTROL_SERVICE = 130

COMMANDABLE_MODES = (("SAFE", 0), ("NOMINAL", 1))
MODES = (*COMMANDABLE_MODES, ("BOOT", 2))
"""The values of flight_sw.modes.Mode."""
RESET_CAUSES = (("POWER_ON", 0), ("WATCHDOG", 1), ("COMMANDED", 2), ("LATCH_UP", 3),
                ("UNKNOWN", 4))
"""firmware_stubs.board.reset.ResetCause, in this order."""

# ----------------------------------------------------------------------------- commands

_ONE = Argument(name="count", type="uint8", minimum=1, maximum=1,
                description="N: number of items in the request (one per request)")


def _structure_id() -> Argument:
    return Argument(name="structure_id", type="uint8", description="housekeeping structure id")


def _event_id() -> Argument:
    return Argument(name="event_id", type="uint16", description="event definition id")


COMMANDS = (
    Command("TEST_ARE_YOU_ALIVE", 17, 1, description="are-you-alive connection test (17,2)"),
    Command("TEST_ON_BOARD_CONNECTION", 17, 3, (
        Argument(name="apid", type="uint16", minimum=0, maximum=0x7FE,
                 description="application process to test"),),
        description="on-board connection test, reported in (17,4)"),
    Command("HK_ENABLE_PERIODIC", 3, 5, (_ONE, _structure_id()),
            description="enable periodic generation of a housekeeping structure"),
    Command("HK_DISABLE_PERIODIC", 3, 6, (_ONE, _structure_id()),
            description="disable periodic generation of a housekeeping structure"),
    Command("HK_ONE_SHOT", 3, 27, (_ONE, _structure_id()),
            description="generate one (3,25) report of a housekeeping structure now"),
    Command("HK_MODIFY_INTERVAL", 3, 31, (
        _ONE, _structure_id(),
        Argument(name="interval_ms", type="uint32", unit="ms", minimum=100, maximum=3_600_000,
                 description="new collection interval")),
        description="modify the collection interval of a housekeeping structure"),
    Command("EVENT_ENABLE", 5, 5, (_ONE, _event_id()),
            description="enable the report generation of an event definition"),
    Command("EVENT_DISABLE", 5, 6, (_ONE, _event_id()),
            description="disable the report generation of an event definition"),
    Command("TIME_SET_REPORT_RATE", 9, 1, (
        Argument(name="rate_exponent", type="uint8", minimum=0, maximum=8,
                 description="one CUC time report (9,2) every 2^n seconds"),),
        description="set the time report generation rate"),
    Command("TIME_SET_ONBOARD", 9, 128, (
        Argument(name="time", type="cuc4.2", description="new on-board time (TAI)"),),
        critical=True, description="mission extension: set the on-board time (correlation)"),
    Command("PARAM_REPORT", 20, 1, (
        _ONE, Argument(name="parameter_id", type="uint16", description="parameter to report")),
        description="report a parameter value in (20,2)"),
    Command("PARAM_SET", 20, 3, deduced=True,
            description="set settable parameters: N x (parameter id, value)"),
    Command("BOARD_SET_MODE", BOARD_CONTROL_SERVICE, 1, (
        Argument(name="mode", type="enum8", enumeration=COMMANDABLE_MODES,
                 description="target mode"),),
        critical=True, description="change the board mode"),
    Command("BOARD_RESET", BOARD_CONTROL_SERVICE, 2, (
        Argument(name="delay_s", type="uint16", unit="s", minimum=0, maximum=600,
                 description="delay before the reset"),),
        critical=True, description="reset the payload computer"),
)

# ----------------------------------------------------------------------------- parameters

_TEMPERATURE = (-273.15, 0.01)
"""Temperature sensors report centikelvin."""


def _counter(pid: int, name: str, description: str, bits: int = 32) -> Parameter:
    return Parameter(id=pid, name=name, type=f"uint{bits}", description=description)


def _setting(pid: int, name: str, unit: str, bounds: tuple[int, int],
             description: str) -> Parameter:
    low, high = bounds
    return Parameter(id=pid, name=name, type="uint32", unit=unit, minimum=low, maximum=high,
                     settable=True, description=description)


PARAMETERS = (
    # board (1..)
    Parameter(id=1, name="CPU_TEMP", type="uint16", unit="degC", calibration=_TEMPERATURE,
              limits=Limits(warning_low=-20.0, warning_high=70.0, alarm_low=-40.0,
                            alarm_high=85.0), description="CPU die temperature"),
    Parameter(id=2, name="BOARD_TEMP", type="uint16", unit="degC", calibration=_TEMPERATURE,
              limits=Limits(warning_low=-15.0, warning_high=60.0, alarm_low=-30.0,
                            alarm_high=75.0), description="board temperature"),
    Parameter(id=3, name="POWER", type="uint16", unit="W", calibration=(0.0, 0.001),
              limits=Limits(warning_high=18.0, alarm_high=22.0), description="input power"),
    Parameter(id=4, name="CPU_LOAD", type="uint8", unit="%", calibration=(0.0, 0.5),
              limits=Limits(warning_high=85.0, alarm_high=95.0),
              description="CPU load (0.5 % steps)"),
    Parameter(id=5, name="MEMORY_USED", type="uint8", unit="%", calibration=(0.0, 0.5),
              limits=Limits(warning_high=85.0, alarm_high=95.0),
              description="RAM in use (0.5 % steps)"),
    Parameter(id=6, name="UPTIME", type="uint32", unit="s", description="seconds since boot"),
    Parameter(id=7, name="MODE", type="enum8", enumeration=MODES, description="board mode"),
    Parameter(id=8, name="BOOT_COUNT", type="uint16", description="boots since manufacture"),
    Parameter(id=9, name="RESET_CAUSE", type="enum8", enumeration=RESET_CAUSES,
              description="cause of the last reset"),
    Parameter(id=10, name="DICTIONARY_HASH", type="bytes:32",
              description="SHA-256 of the canonical JSON dictionary the software was built "
                          "with (as in the BOOT event), so a ground that joins late can check "
                          "its own"),
    # link (32..)
    _counter(32, "CLTUS_RECEIVED", "CLTUs extracted from the uplink stream"),
    _counter(33, "FRAMES_ACCEPTED", "TC frames accepted by FARM-1"),
    _counter(34, "FRAMES_REJECTED", "TC frames rejected (FECF, SCID, FARM-1)"),
    _counter(35, "BAD_PACKETS", "TC packets that failed to decode"),
    _counter(36, "BAD_PEC", "TC packets with a bad packet error control"),
    _counter(37, "UNKNOWN_SERVICE", "TCs for a service or subtype the board lacks"),
    _counter(38, "TCS_ACCEPTED", "TCs accepted (1,1)"),
    _counter(39, "TCS_REJECTED", "TCs rejected (1,2)"),
    _counter(40, "TM_PACKETS_SENT", "TM packets queued for the downlink"),
    _counter(41, "TM_FRAMES_SENT", "TM frames sent"),
    Parameter(id=42, name="FARM_VR", type="uint8", description="FARM-1 V(R), next expected N(S)"),
    Parameter(id=43, name="FARM_LOCKOUT", type="bool", description="FARM-1 in lockout"),
    # diagnostics (64..)
    _counter(64, "EDAC_CORRECTED", "single-bit memory errors corrected"),
    _counter(65, "EDAC_UNCORRECTABLE", "uncorrectable memory errors"),
    _counter(66, "SCHEDULER_OVERRUNS", "scheduler cycles that overran"),
    _counter(67, "WATCHDOG_KICKS", "watchdog kicks since boot"),
    Parameter(id=68, name="MAX_CYCLE_TIME", type="uint32", unit="us",
              limits=Limits(warning_high=80_000.0, alarm_high=100_000.0),
              description="longest scheduler cycle since boot"),
    Parameter(id=70, name="TASKS", type="uint8", description="running tasks"),
    # service 20 table (96..): settable, persisted
    _setting(96, "OVERTEMP_THRESHOLD", "cK", (27_315, 37_315),
             "over-temperature event threshold (centikelvin)"),
    _setting(97, "HK_BOARD_INTERVAL_MS", "ms", (100, 3_600_000), "board structure interval"),
    _setting(98, "HK_LINK_INTERVAL_MS", "ms", (100, 3_600_000), "link structure interval"),
    _setting(99, "IDLE_FRAME_INTERVAL_MS", "ms", (50, 60_000),
             "longest gap between downlink frames (idle frame carries the CLCW)"),
    _setting(100, "WATCHDOG_TIMEOUT_MS", "ms", (500, 60_000), "hardware watchdog timeout"),
)

HOUSEKEEPING = (
    HousekeepingStructure(1, "board", ("CPU_TEMP", "BOARD_TEMP", "POWER", "CPU_LOAD",
                                       "MEMORY_USED", "UPTIME", "MODE", "BOOT_COUNT",
                                       "RESET_CAUSE", "DICTIONARY_HASH"),
                          1.0, True, "board health at 1 Hz"),
    HousekeepingStructure(2, "link", ("CLTUS_RECEIVED", "FRAMES_ACCEPTED", "FRAMES_REJECTED",
                                      "BAD_PACKETS", "BAD_PEC", "UNKNOWN_SERVICE",
                                      "TCS_ACCEPTED", "TCS_REJECTED", "TM_PACKETS_SENT",
                                      "TM_FRAMES_SENT", "FARM_VR", "FARM_LOCKOUT"),
                          1.0, True, "link counters at 1 Hz"),
    HousekeepingStructure(3, "diagnostics", ("EDAC_CORRECTED", "EDAC_UNCORRECTABLE",
                                             "SCHEDULER_OVERRUNS", "WATCHDOG_KICKS",
                                             "MAX_CYCLE_TIME", "TASKS"),
                          10.0, False, "software diagnostics, on request"),
)

# ----------------------------------------------------------------------------- events

EVENTS = (
    Event(1, "BOOT", Severity.INFO, (
        Argument(name="software_version", type="string:16", description="NUL-padded version"),
        Argument(name="boot_count", type="uint16"),
        Argument(name="reset_cause", type="enum8", enumeration=RESET_CAUSES),
        Argument(name="dictionary_hash", type="bytes:32",
                 description="SHA-256 of the canonical JSON dictionary"),
    ), "the flight software started"),
    Event(2, "MODE_CHANGED", Severity.INFO, (
        Argument(name="previous", type="enum8", enumeration=MODES),
        Argument(name="current", type="enum8", enumeration=MODES),
    ), "the board changed mode"),
    Event(3, "OVER_TEMPERATURE", Severity.MEDIUM, (
        Argument(name="sensor", type="enum8", enumeration=(("CPU", 0), ("BOARD", 1))),
        Argument(name="temperature_ck", type="uint16", unit="cK"),
    ), "a temperature crossed OVERTEMP_THRESHOLD"),
    Event(4, "WATCHDOG_RESET", Severity.HIGH, (
        Argument(name="uptime_s", type="uint32", unit="s"),
    ), "the previous run ended in a watchdog reset"),
    Event(5, "MEMORY_UNCORRECTABLE", Severity.HIGH, (
        Argument(name="address", type="uint32"),
        Argument(name="count", type="uint32"),
    ), "EDAC found an uncorrectable memory error"),
    Event(6, "BAD_TC_STATISTICS", Severity.LOW, (
        Argument(name="rejected_frames", type="uint32"),
        Argument(name="bad_packets", type="uint32"),
        Argument(name="bad_pec", type="uint32"),
        Argument(name="window_s", type="uint16", unit="s"),
    ), "telecommands were rejected during the last window"),
    Event(7, "SCHEDULER_OVERRUN", Severity.LOW, (
        Argument(name="task", type="uint8"),
        Argument(name="cycle_time_us", type="uint32", unit="us"),
    ), "a scheduler cycle overran"),
)

MISSION = MissionDatabase(
    name="spacedc_payload", version="1.0.0", apid=APID,
    commands=COMMANDS + storage.COMMANDS + compute.COMMANDS + faults.COMMANDS
    + security.COMMANDS,
    parameters=PARAMETERS + storage.PARAMETERS + compute.PARAMETERS + faults.PARAMETERS
    + security.PARAMETERS,
    events=EVENTS + storage.EVENTS + compute.EVENTS + faults.EVENTS + security.EVENTS,
    housekeeping=HOUSEKEEPING + storage.HOUSEKEEPING + compute.HOUSEKEEPING
    + faults.HOUSEKEEPING + security.HOUSEKEEPING,
)
"""The mission database: the core's entries here, the payload's in its packages."""
