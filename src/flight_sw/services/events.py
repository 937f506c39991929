"""Event reporting, PUS service 5 (ECSS-E-ST-70-41C 6.5).

An event raised on board is reported in TM(5, severity): (5,1) informative, (5,2) low,
(5,3) medium, (5,4) high severity (6.5.4.1), the event definition id followed by its data
(8.5.2). Report generation is enabled or disabled per event definition with (5,5)/(5,6)
(6.5.5.2, 6.5.5.3); a disabled event is counted as suppressed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import IntEnum

from ccsds.mission_db import DictionaryError, Event, MissionDatabase, Severity, encode_event
from ccsds.pus_types import Value
from flight_sw.dispatch import Dispatcher
from flight_sw.services.arguments import Arguments, Rejections, integer, request_parser
from flight_sw.services.verification import Emit, Verification

SERVICE = 5


class Subtype(IntEnum):
    """Service 5 request subtypes."""

    ENABLE = 5
    DISABLE = 6


@dataclass
class EventCounters:
    """Reports by severity, suppressed events and request outcomes."""

    reported: Counter[Severity] = field(default_factory=Counter)
    suppressed: int = 0
    enables: int = 0
    disables: int = 0
    rejected: Rejections = field(default_factory=Rejections)


class EventService:
    """Raises the dictionary's events and keeps their enabled flags (all enabled at start)."""

    def __init__(self, database: MissionDatabase, emit: Emit) -> None:
        self.database = database
        self.emit = emit
        self.counters = EventCounters()
        self._by_name = {e.name: e for e in database.events}
        self._by_id = {e.id: e for e in database.events}
        self.enabled = dict.fromkeys(self._by_id, True)
        self.last_raised: dict[str, float] = {}
        """When each event was last raised (reported or suppressed)."""

    def event(self, name: str) -> Event:
        """The definition of ``name`` (DictionaryError, a LocalProtocolError, if none)."""
        try:
            return self._by_name[name]
        except KeyError:
            raise DictionaryError(f"no event {name!r}") from None

    def raise_event(self, name: str, now: float, **values: Value) -> bool:
        """Report event ``name`` with its data ``values`` unless it is disabled; returns
        whether a report went out. Wrong values are the caller's error (ArgumentError)."""
        event = self.event(name)
        data = encode_event(self.database, event, values)
        self.last_raised[name] = now
        if not self.enabled[event.id]:
            self.counters.suppressed += 1
            return False
        self.counters.reported[event.severity] += 1
        self.emit(SERVICE, event.subtype, data)
        return True

    def set_enabled(self, event_id: int, enabled: bool) -> None:
        """Enable or disable the reports of one event definition."""
        if event_id not in self.enabled:
            raise DictionaryError(f"no event id {event_id}")
        if enabled:
            self.counters.enables += 1
        else:
            self.counters.disables += 1
        self.enabled[event_id] = enabled

    def register(self, dispatcher: Dispatcher) -> None:
        """Route (5,5) and (5,6) as the dictionary defines them."""
        for subtype, enabled in ((Subtype.ENABLE, True), (Subtype.DISABLE, False)):
            def execute(event_id: int, _: Verification, enabled: bool = enabled) -> None:
                self.set_enabled(event_id, enabled)

            dispatcher.register(SERVICE, subtype, execute, parse=request_parser(
                self.database, SERVICE, subtype, self.counters.rejected, self._event_id))

    def _event_id(self, arguments: Arguments) -> int:
        event_id = integer(arguments, "event_id")
        if event_id not in self._by_id:
            raise self.counters.rejected.unknown("event", event_id)
        return event_id
