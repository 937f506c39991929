"""Housekeeping (PUS service 3) CPU budget: one 100-parameter structure at 10 Hz.

The HK rate group runs on a simulated clock for N periods: each period samples the pool
(one source refreshing all 100 values, validated), encodes the TM(3,25) source data with the
mission database codec and builds the PUS TM packet. CPU time (time.process_time) per report
times 10 reports/s is the share of one core the structure costs at 10 Hz.
"""

from __future__ import annotations

import time

from benchmarks.harness import Recorder
from ccsds.config import LinkConfig
from ccsds.mission_db import HousekeepingStructure, MissionDatabase, Parameter
from ccsds.pus_types import Value
from flight_sw.clock import SimulatedClock
from flight_sw.parameters import ParameterPool
from flight_sw.scheduler import Scheduler
from flight_sw.services.housekeeping import HousekeepingService
from flight_sw.telemetry import TelemetryFactory

RATE_HZ = 10
PARAMETERS = 100
TARGET_PERCENT = 10.0
_TYPES = ("uint8", "uint16", "uint32", "int16", "float32")


def _database() -> MissionDatabase:
    parameters = tuple(Parameter(id=i + 1, name=f"P{i:03d}", type=_TYPES[i % len(_TYPES)],
                                 minimum=0 if i % 7 == 0 else None)
                       for i in range(PARAMETERS))
    structure = HousekeepingStructure(1, "bench", tuple(p.name for p in parameters),
                                      1 / RATE_HZ, True)
    return MissionDatabase(name="hk_bench", version="1", apid=100, parameters=parameters,
                           housekeeping=(structure,))


def _source(database: MissionDatabase) -> dict[str, Value]:
    return {p.name: (1.5 if p.type == "float32" else 1) for p in database.parameters}


def run(recorder: Recorder) -> None:
    periods = 2_000 if recorder.quick else 20_000
    database = _database()
    clock = SimulatedClock()
    telemetry = TelemetryFactory(LinkConfig.baseline(), clock)
    sent = []
    pool = ParameterPool(database)
    values = _source(database)
    pool.add_source(lambda now: values)
    scheduler = Scheduler()
    service = HousekeepingService(database, pool, scheduler,
                                  lambda s, t, d: sent.append(telemetry.make(s, t, d)), clock)
    period = 1 / RATE_HZ
    start = time.process_time()
    for _ in range(periods):
        clock.advance(period)
        scheduler.run_due(clock.now)
        sent.clear()
    cpu = time.process_time() - start
    reports = service.counters.reports
    if reports < periods - 1:
        raise RuntimeError(f"{reports} reports in {periods} periods")
    per_report = cpu / reports
    recorder.add(f"HK {PARAMETERS} params at {RATE_HZ} Hz (CPU share)",
                 100 * per_report * RATE_HZ, "% of one core", target=TARGET_PERCENT,
                 higher_is_better=False,
                 note=f"{per_report * 1e6:.0f} us CPU per report: pool sample + codec encode "
                      f"+ PUS TM packet, {reports} reports")
