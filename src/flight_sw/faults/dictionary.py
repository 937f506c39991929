"""Dictionary entries of the fault-injection service 131.
Ids: parameters 192..207, events 48..63.
"""

from __future__ import annotations

from ccsds.mission_db import Command, Event, HousekeepingStructure, Parameter

COMMANDS: tuple[Command, ...] = ()
PARAMETERS: tuple[Parameter, ...] = ()
EVENTS: tuple[Event, ...] = ()
HOUSEKEEPING: tuple[HousekeepingStructure, ...] = ()
