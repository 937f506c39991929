"""PUS service 5: events reported by severity, enabled and disabled per event id."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.errors import LocalProtocolError
from ccsds.mission_db import Argument, Event, Severity, decode_event
from ccsds.pus_types import Ptc, Value
from flight_sw.dictionary import MISSION
from flight_sw.services.verification import ErrorCode
from tests.flight_sw.services.helpers import GROUND_DB, Bench


def _values(event: Event) -> st.SearchStrategy[dict[str, Value]]:
    """Valid data of an event, drawn from each field's type and enumeration."""
    def field(argument: Argument) -> st.SearchStrategy[Value]:
        pus_type = argument.pus_type
        if argument.enumeration:
            return st.sampled_from([value for _, value in argument.enumeration])
        if pus_type.ptc == Ptc.OCTET_STRING:
            return st.binary(min_size=pus_type.fixed_size, max_size=pus_type.fixed_size)
        if pus_type.ptc == Ptc.CHARACTER_STRING:
            return st.text(st.characters(max_codepoint=127), min_size=pus_type.fixed_size,
                           max_size=pus_type.fixed_size)
        low, high = pus_type.value_range()
        return st.integers(low, high)

    return st.fixed_dictionaries({a.name: field(a) for a in event.parameters})


@given(st.data())
def test_every_event_is_reported_with_its_severity_and_data(data: st.DataObject) -> None:
    bench = Bench(None)
    event = data.draw(st.sampled_from(MISSION.events))
    values = data.draw(_values(event))
    assert bench.services.events.raise_event(event.name, 1.5, **values)
    ((service, subtype, report),) = bench.reports
    decoded, decoded_values = decode_event(GROUND_DB, report)
    assert (service, subtype) == (5, GROUND_DB.event(event.name).severity)
    assert (decoded.name, decoded_values) == (event.name, values)
    assert bench.services.events.counters.reported == {event.severity: 1}


def test_counters_per_severity(bench: Bench) -> None:
    events = bench.services.events
    events.raise_event("MODE_CHANGED", 0.0, previous="SAFE", current="NOMINAL")
    events.raise_event("WATCHDOG_RESET", 0.0, uptime_s=5)
    events.raise_event("WATCHDOG_RESET", 1.0, uptime_s=6)
    assert events.counters.reported == {Severity.INFO: 1, Severity.HIGH: 2}
    assert [subtype for _, subtype, _ in bench.reports] == [1, 4, 4]


def test_a_disabled_event_is_suppressed_and_counted(bench: Bench) -> None:
    event_id = GROUND_DB.event("WATCHDOG_RESET").id
    assert bench.outcome(bench.command("EVENT_DISABLE", count=1, event_id=event_id))[0] == 7
    bench.reports.clear()
    events = bench.services.events
    assert not events.raise_event("WATCHDOG_RESET", 3.0, uptime_s=5)
    assert bench.reports == []
    assert events.counters.suppressed == 1
    assert events.last_raised["WATCHDOG_RESET"] == 3.0
    assert events.raise_event("MODE_CHANGED", 0.0, previous=0, current=1)  # others still on
    bench.command("EVENT_ENABLE", count=1, event_id=event_id)
    bench.reports.clear()
    assert events.raise_event("WATCHDOG_RESET", 4.0, uptime_s=5)
    assert len(bench.take(5, 4)) == 1
    assert (events.counters.enables, events.counters.disables) == (1, 1)


@pytest.mark.parametrize("name", ["EVENT_ENABLE", "EVENT_DISABLE"])
def test_an_unknown_event_id_is_refused_and_counted(bench: Bench, name: str) -> None:
    tc = bench.command(name, count=1, event_id=999)
    assert bench.outcome(tc) == (2, ErrorCode.ARGUMENT_OUT_OF_RANGE)
    assert bench.services.events.counters.rejected.unknown_id == 1


@pytest.mark.parametrize(("data", "code"), [
    (b"", ErrorCode.INVALID_APPLICATION_DATA),
    (b"\x01\x00", ErrorCode.INVALID_APPLICATION_DATA),
    (b"\x01\x00\x01\x00", ErrorCode.INVALID_APPLICATION_DATA),
    (b"\x00\x00\x01", ErrorCode.ARGUMENT_OUT_OF_RANGE),
])
def test_malformed_event_requests_are_refused(bench: Bench, data: bytes,
                                              code: ErrorCode) -> None:
    assert bench.outcome(bench.send(bench.raw(5, 5, data))) == (2, code)
    assert all(bench.services.events.enabled.values())


def test_raising_an_event_wrongly_is_a_local_error(bench: Bench) -> None:
    events = bench.services.events
    with pytest.raises(LocalProtocolError):
        events.raise_event("NO_SUCH_EVENT", 0.0)
    with pytest.raises(LocalProtocolError):
        events.raise_event("WATCHDOG_RESET", 0.0, uptime_s=-1)
    with pytest.raises(LocalProtocolError):
        events.raise_event("WATCHDOG_RESET", 0.0)
    with pytest.raises(LocalProtocolError):
        events.set_enabled(999, False)
    assert bench.reports == []
