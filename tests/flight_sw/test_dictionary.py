"""The mission dictionary: standard PUS-C subtypes, contents, and XTCE interop."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.mission_db import (
    Severity,
    decode_command,
    decode_event,
    decode_housekeeping,
    dictionary_digest,
    encode_command,
    encode_event,
    encode_housekeeping,
    engineering,
    loads,
)
from ccsds.pus import PusTc
from ccsds.timecode import CucTime
from flight_sw.dictionary import APID, MISSION
from tests.ccsds.mission_db.strategies import fields_values
from tests.ccsds.mission_db.xtce_peer import load_peer, peer_decode, tm_packet

# (service, subtype) of each telecommand, ECSS-E-ST-70-41C 6.3 / 6.5 / 6.9 / 6.17 / 6.20
STANDARD = {
    "TEST_ARE_YOU_ALIVE": (17, 1), "TEST_ON_BOARD_CONNECTION": (17, 3),
    "HK_ENABLE_PERIODIC": (3, 5), "HK_DISABLE_PERIODIC": (3, 6), "HK_ONE_SHOT": (3, 27),
    "HK_MODIFY_INTERVAL": (3, 31), "EVENT_ENABLE": (5, 5), "EVENT_DISABLE": (5, 6),
    "TIME_SET_REPORT_RATE": (9, 1), "PARAM_REPORT": (20, 1), "PARAM_SET": (20, 3),
}


@pytest.mark.parametrize(("name", "service_subtype"), STANDARD.items())
def test_standard_subtypes(name: str, service_subtype: tuple[int, int]) -> None:
    command = MISSION.command(name)
    assert (command.service, command.subtype) == service_subtype
    assert not command.critical


def test_board_control_is_critical() -> None:
    assert {c.name for c in MISSION.commands if c.service == 130} == {"BOARD_SET_MODE",
                                                                       "BOARD_RESET"}
    assert all(c.critical for c in MISSION.commands if c.service == 130)
    assert dict(MISSION.command("BOARD_SET_MODE").argument("mode").enumeration) == {
        "SAFE": 0, "NOMINAL": 1}


def test_contents() -> None:
    assert MISSION.apid == APID == 100
    in_structures = [n for s in MISSION.housekeeping for n in s.parameters]
    assert len(in_structures) >= 20
    assert len(in_structures) == len(set(in_structures))
    core = [(s.name, s.interval_s, s.enabled) for s in MISSION.housekeeping[:3]]
    assert core == [("board", 1.0, True), ("link", 1.0, True), ("diagnostics", 10.0, False)]
    payload = {s.name: s.id for s in MISSION.housekeeping[3:]}
    assert payload == {"storage": 4, "compute": 5, "file_transfer": 6, "security": 7}
    assert {c.service for c in MISSION.commands} >= {128, 129, 130, 131, 140}
    assert {e.severity for e in MISSION.events} == set(Severity)
    settable = MISSION.settable_parameters
    assert settable and all(p.minimum is not None and p.maximum is not None for p in settable)


def test_json_export_round_trips_with_the_same_hash() -> None:
    from ccsds.mission_db import dumps  # noqa: PLC0415

    loaded = loads(dumps(MISSION))
    assert loaded == MISSION and loaded.hash() == MISSION.hash()


def test_boot_event_carries_the_dictionary_hash() -> None:
    values = {"software_version": "1.0.0".ljust(16, "\0"), "boot_count": 3,
              "reset_cause": "WATCHDOG", "dictionary_hash": dictionary_digest(MISSION)}
    event, decoded = decode_event(MISSION, encode_event(MISSION, "BOOT", values))
    assert event.severity is Severity.INFO
    assert decoded["dictionary_hash"].hex() == MISSION.hash()  # type: ignore[union-attr]


@given(data=st.data())
def test_every_command_round_trips_through_a_pus_tc(data: st.DataObject) -> None:
    command = data.draw(st.sampled_from(MISSION.commands))
    if command.deduced:
        parameter = data.draw(st.sampled_from(MISSION.settable_parameters))
        values: dict[str, Any] = data.draw(fields_values((parameter,)))
    else:
        values = data.draw(fields_values(command.arguments))
    tc = PusTc(APID, 1, command.service, command.subtype,
               encode_command(MISSION, command, values))
    received = PusTc.decode(tc.encode())
    board_command = MISSION.command_by_type(received.service, received.subtype)
    assert decode_command(MISSION, board_command, received.application_data) == values


@pytest.fixture(scope="module")
def peer() -> Any:
    return load_peer(MISSION)


@pytest.mark.interop
@given(data=st.data(), coarse=st.integers(0, 2**32 - 1))
def test_housekeeping_decodes_in_the_xtce_peer(peer: Any, data: st.DataObject,
                                               coarse: int) -> None:
    structure = data.draw(st.sampled_from(MISSION.housekeeping))
    values = data.draw(fields_values(MISSION.structure_parameters(structure)))
    source = encode_housekeeping(MISSION, structure, values)
    assert decode_housekeeping(MISSION, source) == (structure, values)
    decoded = peer_decode(peer, tm_packet(MISSION, 3, 25, source, CucTime(coarse)))
    assert decoded["HK_STRUCTURE_ID"] == structure.id
    assert decoded["PUS_TIME"] == coarse
    for name, raw in values.items():
        parameter = MISSION.parameter(name)
        assert getattr(decoded[name], "raw_value", decoded[name]) == raw
        if parameter.enumeration:
            assert decoded[name] == parameter.label_of(raw)
        elif parameter.pus_type.is_numeric:
            assert decoded[name] == pytest.approx(engineering(parameter, raw), rel=1e-12)
        elif isinstance(raw, bool):
            assert bool(decoded[name]) is raw


@pytest.mark.interop
@given(data=st.data())
def test_events_decode_in_the_xtce_peer(peer: Any, data: st.DataObject) -> None:
    event = data.draw(st.sampled_from(MISSION.events))
    values = data.draw(fields_values(event.parameters))
    decoded = peer_decode(peer, tm_packet(MISSION, 5, event.subtype,
                                          encode_event(MISSION, event, values)))
    assert decoded["EVENT_ID"] == event.id
    for item in event.parameters:
        peer_value = decoded[f"{event.name}__{item.name}"]
        raw = getattr(peer_value, "raw_value", peer_value)
        expected = values[item.name]
        assert (raw.decode() if isinstance(expected, str) else raw) == expected


def test_mode_and_reset_cause_enumerations_match_the_software() -> None:
    from firmware_stubs.board.reset import ResetCause  # noqa: PLC0415
    from flight_sw.dictionary import MODES, RESET_CAUSES  # noqa: PLC0415
    from flight_sw.modes import Mode  # noqa: PLC0415

    assert dict(MODES) == {mode.name: mode.value for mode in Mode}
    assert [name for name, _ in RESET_CAUSES] == [cause.name for cause in ResetCause]
    assert [value for _, value in RESET_CAUSES] == list(range(len(ResetCause)))
