"""Board contract: ping, housekeeping, events, modes, parameters and bad input (docs/icd.md).

Runs on whatever board the hil plugin gives (emulated by default, ``--hil-port URL`` for an
attached one), through the ground station only, as an operator would.
"""

from __future__ import annotations

import pytest

from ccsds.pus import PusTc
from ground_sw.dictionary import Dictionary
from ground_sw.errors import ArgumentValidationError, VerificationFailed
from ground_sw.records import Outcome
from ground_sw.station import GroundStation
from tests.contract.reports import collecting

BOARD_STRUCTURE = "board"
LINK_STRUCTURE = "link"
STORAGE_STRUCTURE = "storage"


def _structure_id(dictionary: Dictionary, name: str) -> int:
    return dictionary.database.structure(name).id


def _one_shot(ground: GroundStation, dictionary: Dictionary, structure: str) -> float:
    """Ask for one report of a housekeeping structure (3,27); the ground time of the ask."""
    return ground.send_and_assert("HK_ONE_SHOT", count=1,
                                  structure_id=_structure_id(dictionary, structure)).time


def test_ping_is_accepted_started_completed_and_answered(ground: GroundStation) -> None:
    """Service 17 (ECSS-E-ST-70-41C 6.17.3): (17,2) for (17,1), verified by (1,1)(1,3)(1,7)."""
    with collecting(ground, 17, 2) as answers:
        handle = ground.send_and_assert("TEST_ARE_YOU_ALIVE")
        answers.wait(1)
    assert handle.outcome is Outcome.COMPLETED
    assert [report.subtype for report in handle.reports] == [1, 3, 7]


def test_a_connection_test_to_an_unknown_apid_fails(ground: GroundStation) -> None:
    """(17,3) to an APID the board does not serve ends in ILLEGAL_APID (6.17.4)."""
    with pytest.raises(VerificationFailed, match="ILLEGAL_APID"):
        ground.send_and_assert("TEST_ON_BOARD_CONNECTION", apid=5)


def test_housekeeping_comes_periodically_and_on_request(ground: GroundStation,
                                                        hil_dictionary: Dictionary) -> None:
    """Periodic (3,25) reports (6.3.3.3) and a one-shot report (3,27) on request."""
    first = ground.wait_telemetry("UPTIME", timeout=10)
    assert isinstance(first.raw, int)
    start = first.raw
    later = ground.wait_telemetry("UPTIME", predicate=lambda v: isinstance(v, int) and v > start,
                                  timeout=10)
    assert later.time > first.time
    ground.assert_telemetry("MODE", predicate=lambda mode: mode in {"SAFE", "NOMINAL"})
    asked = _one_shot(ground, hil_dictionary, STORAGE_STRUCTURE)
    capacity = ground.wait_telemetry("STORE_CAPACITY", since=asked, timeout=10)
    free = ground.wait_telemetry("STORE_FREE", since=asked, timeout=10)
    assert isinstance(capacity.raw, int) and isinstance(free.raw, int)
    assert 0 < free.raw <= capacity.raw


def test_a_mode_change_is_reported_by_event_and_housekeeping(
        ground: GroundStation, hil_dictionary: Dictionary) -> None:
    """BOARD_SET_MODE (130,1) raises MODE_CHANGED (5,1) and MODE follows."""
    for mode in ("SAFE", "NOMINAL"):
        handle = ground.send_and_assert("BOARD_SET_MODE", mode=mode, confirm=True)
        ground.await_event("MODE_CHANGED", since=handle.time, current=mode)
        asked = _one_shot(ground, hil_dictionary, BOARD_STRUCTURE)
        ground.assert_telemetry("MODE", mode, since=asked)


def test_a_disabled_event_is_not_reported(ground: GroundStation,
                                          hil_dictionary: Dictionary) -> None:
    """Service 5 disable/enable (6.5.5.5, 6.5.5.6): nothing while disabled, then again."""
    event_id = hil_dictionary.database.event("MODE_CHANGED").id
    ground.send_and_assert("EVENT_DISABLE", count=1, event_id=event_id)
    try:
        to_safe = ground.send_and_assert("BOARD_SET_MODE", mode="SAFE", confirm=True)
        asked = _one_shot(ground, hil_dictionary, BOARD_STRUCTURE)
        ground.assert_telemetry("MODE", "SAFE", since=asked)
    finally:
        ground.send_and_assert("EVENT_ENABLE", count=1, event_id=event_id)
    back = ground.send_and_assert("BOARD_SET_MODE", mode="NOMINAL", confirm=True)
    ground.await_event("MODE_CHANGED", since=back.time, current="NOMINAL")
    # events come in order on one virtual channel: a SAFE one would have arrived first
    changes = [e.values["current"] for e in ground.events("MODE_CHANGED") if e.time >= to_safe.time]
    assert changes == ["NOMINAL"]


def test_a_parameter_set_is_reported_back(ground: GroundStation,
                                          hil_dictionary: Dictionary) -> None:
    """PARAM_SET (20,3) then PARAM_REPORT (20,1) gives the value in (20,2) (6.20.3, 6.20.4)."""
    threshold = hil_dictionary.database.parameter("OVERTEMP_THRESHOLD")
    for value in (33_000, 34_000):
        ground.send_and_assert("PARAM_SET", OVERTEMP_THRESHOLD=value)
        report = ground.send_and_assert("PARAM_REPORT", count=1, parameter_id=threshold.id)
        ground.assert_telemetry("OVERTEMP_THRESHOLD", value, since=report.time)


def test_bad_parameter_values_are_refused_on_the_ground(ground: GroundStation) -> None:
    before = ground.link_status().frames_sent
    with pytest.raises(ArgumentValidationError):
        ground.send("PARAM_SET", OVERTEMP_THRESHOLD=50_000)  # above its maximum
    with pytest.raises(ArgumentValidationError, match="not settable"):
        ground.send("PARAM_SET", UPTIME=5)
    assert ground.link_status().frames_sent == before


def _link_counters(ground: GroundStation, hil_dictionary: Dictionary) -> dict[str, int]:
    asked = _one_shot(ground, hil_dictionary, LINK_STRUCTURE)
    counters = {}
    for name in ("BAD_PEC", "UNKNOWN_SERVICE", "TCS_REJECTED"):
        raw = ground.wait_telemetry(name, since=asked, timeout=10).raw
        assert isinstance(raw, int)
        counters[name] = raw
    return counters


def test_malformed_telecommands_are_refused_and_counted(ground: GroundStation,
                                                        hil_dictionary: Dictionary) -> None:
    """A TC with a bad PEC (ECSS-E-ST-70-41C 7.4.3.1) and one of an unknown service are
    refused and counted in the link housekeeping; the board keeps serving."""
    packets = ground.config.packets
    before = _link_counters(ground, hil_dictionary)
    good = PusTc(packets.apid_pus, 0x3FF0, 17, 1, source_id=packets.ground_source_id).encode()
    ground.link.send_packet(good[:-1] + bytes([good[-1] ^ 0xFF]))  # PEC broken
    unknown = PusTc(packets.apid_pus, 0x3FF1, 42, 1, source_id=packets.ground_source_id)
    ground.link.send_packet(unknown.encode())
    after = _link_counters(ground, hil_dictionary)
    assert after["BAD_PEC"] == before["BAD_PEC"] + 1
    assert after["UNKNOWN_SERVICE"] == before["UNKNOWN_SERVICE"] + 1
    assert after["TCS_REJECTED"] >= before["TCS_REJECTED"] + 1
    ground.send_and_assert("TEST_ARE_YOU_ALIVE")
