"""A mission database that uses every PUS type, calibration, limits and layout."""

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

MODES = (("SAFE", 0), ("NOMINAL", 1), ("SCIENCE", 7))

SAMPLE = MissionDatabase(
    name="sample", version="0.1", apid=100,
    commands=(
        Command("PING", 17, 1),
        Command("CONFIGURE", 130, 5, (
            Argument(name="mode", type="enum8", enumeration=MODES),
            Argument(name="level", type="int16", unit="dB", minimum=-100, maximum=100),
            Argument(name="gain", type="float64", minimum=-1.5, maximum=2.5),
            Argument(name="flag", type="bool"),
            Argument(name="key", type="bytes:4"),
            Argument(name="label", type="string"),
            Argument(name="blob", type="bytes"),
            Argument(name="at", type="cuc4.2"),
            Argument(name="offset", type="int48"),
            Argument(name="count", type="uint24"),
        ), critical=True, description="every argument type"),
        Command("SET_PARAMS", 20, 3, deduced=True),
    ),
    parameters=(
        Parameter(id=1, name="TEMP", type="uint16", unit="degC", calibration=(-273.15, 0.01),
                  limits=Limits(warning_low=-10, warning_high=50, alarm_low=-30,
                                alarm_high=70)),
        Parameter(id=2, name="VOLTAGE", type="int16", unit="V", calibration=(0.5, 0.001, 1e-7),
                  limits=Limits(alarm_low=-5.0, alarm_high=5.0)),
        Parameter(id=3, name="RATIO", type="float32", limits=Limits(warning_high=0.9)),
        Parameter(id=4, name="MODE", type="enum8", enumeration=MODES),
        Parameter(id=5, name="OK", type="bool"),
        Parameter(id=6, name="COUNTER", type="uint64"),
        Parameter(id=7, name="SERIAL", type="bytes:8"),
        Parameter(id=8, name="NAME", type="string:6"),
        Parameter(id=9, name="SIGNED", type="int32", unit="m"),
        Parameter(id=10, name="THRESHOLD", type="uint32", minimum=10, maximum=1000,
                  settable=True),
        Parameter(id=11, name="PRECISE", type="float64", settable=True),
        Parameter(id=12, name="SMALL", type="int8", calibration=(0.0, 2.0)),
    ),
    events=(
        Event(1, "BOOT", Severity.INFO, (Argument(name="hash", type="bytes:32"),
                                         Argument(name="count", type="uint16"))),
        Event(2, "ALARM", Severity.HIGH, (Argument(name="mode", type="enum8",
                                                   enumeration=MODES),)),
        Event(3, "NOTE", Severity.LOW, (Argument(name="text", type="string"),
                                        Argument(name="data", type="bytes"))),
        Event(4, "TICK", Severity.MEDIUM),
    ),
    housekeeping=(
        HousekeepingStructure(1, "fast", ("TEMP", "VOLTAGE", "RATIO", "MODE", "OK"), 0.5),
        HousekeepingStructure(2, "slow", ("COUNTER", "SERIAL", "NAME", "SIGNED", "THRESHOLD",
                                          "PRECISE", "SMALL"), 10.0, False),
    ),
)
