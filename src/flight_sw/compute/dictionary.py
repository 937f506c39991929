"""Dictionary entries of the compute service 129.
Ids: parameters 160..191 (settings 116..121), events 32..47, housekeeping structure 5.
"""

from __future__ import annotations

from ccsds.mission_db import Command, Event, HousekeepingStructure, Parameter

COMMANDS: tuple[Command, ...] = ()
PARAMETERS: tuple[Parameter, ...] = ()
EVENTS: tuple[Event, ...] = ()
HOUSEKEEPING: tuple[HousekeepingStructure, ...] = ()
