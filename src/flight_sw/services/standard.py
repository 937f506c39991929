"""The standard PUS services 3, 5, 9 and 20 installed together and tied to the settings.

A housekeeping structure whose interval is a settable parameter (named
``HK_<STRUCTURE>_INTERVAL_MS``) follows it: a (20,3) set takes effect at once, and a (3,31)
request is stored through it (persisted by service 20, ECSS-E-ST-70-41C 6.20).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from ccsds.mission_db import HousekeepingStructure, MissionDatabase
from ccsds.pus_types import Value
from flight_sw.clock import Clock
from flight_sw.dispatch import Dispatcher
from flight_sw.parameters import ParameterPool
from flight_sw.scheduler import Scheduler
from flight_sw.services.events import EventService
from flight_sw.services.housekeeping import HousekeepingService
from flight_sw.services.parameter_management import ParameterManagement
from flight_sw.services.time_management import TimeService
from flight_sw.services.verification import Emit

SETTING_DEFAULTS: Mapping[str, Value] = {
    "OVERTEMP_THRESHOLD": 35_815,  # 85 degC, the CPU alarm limit
    "IDLE_FRAME_INTERVAL_MS": 1_000,
    "WATCHDOG_TIMEOUT_MS": 10_000,
    "POWER_LIMIT_MW": 9_000,
    "POWER_LIMIT_TIME_MS": 2_000,
    "COMPUTE_BUDGET_MS": 20,
}
"""Settings without a default in the dictionary (HK intervals default to the structures')."""


@dataclass
class StandardServices:
    """The installed services."""

    housekeeping: HousekeepingService
    events: EventService
    time: TimeService
    parameters: ParameterManagement


def interval_parameter(structure: HousekeepingStructure) -> str:
    """The name of the setting that holds a structure's collection interval."""
    return f"HK_{structure.name.upper()}_INTERVAL_MS"


def setting_defaults(database: MissionDatabase) -> dict[str, Value]:
    """Default values of the database's settable parameters that have one."""
    settable = {p.name for p in database.settable_parameters}
    defaults = {name: v for name, v in SETTING_DEFAULTS.items() if name in settable}
    for structure in database.housekeeping:
        name = interval_parameter(structure)
        if name in settable:
            defaults[name] = round(structure.interval_s * 1000)
    return defaults


def install_standard_services(  # noqa: PLR0917 (the positional order is the wiring contract)
        dispatcher: Dispatcher, emit: Emit, scheduler: Scheduler, clock: Clock,
        pool: ParameterPool, database: MissionDatabase, state_dir: Path | None,
) -> StandardServices:
    """Create services 3, 5, 9 and 20, route their requests and link HK to the settings."""
    parameters = ParameterManagement(database, pool, emit, clock, state_dir,
                                     defaults=setting_defaults(database))
    housekeeping = HousekeepingService(database, pool, scheduler, emit, clock)
    for structure in database.housekeeping:
        name = interval_parameter(structure)
        if name in parameters.settable:
            parameters.follow(name, partial(housekeeping.apply_interval_ms, structure.id))
            housekeeping.bind_interval(structure.id, partial(parameters.set, name))
    services = StandardServices(housekeeping, EventService(database, emit),
                                TimeService(scheduler, emit, clock), parameters)
    services.housekeeping.register(dispatcher)
    services.events.register(dispatcher)
    services.time.register(dispatcher, database)
    services.parameters.register(dispatcher)
    return services
