"""Dictionary entries of the storage payload: storage service 128, file transfer, store
housekeeping and events.
Ids: parameters 128..159 (settings 101..115), events 16..31, housekeeping structures 4 and 6.
"""

from __future__ import annotations

from ccsds.mission_db import Command, Event, HousekeepingStructure, Parameter

COMMANDS: tuple[Command, ...] = ()
PARAMETERS: tuple[Parameter, ...] = ()
EVENTS: tuple[Event, ...] = ()
HOUSEKEEPING: tuple[HousekeepingStructure, ...] = ()
