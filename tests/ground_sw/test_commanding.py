"""Commands by name: validation before sending, TC layout, criticality, sequence counts."""

from __future__ import annotations

import struct

import pytest

from ccsds.config import LinkConfig
from ccsds.pus import AckFlags, PusTc
from ground_sw.commanding import Commander
from ground_sw.dictionary import Dictionary
from ground_sw.errors import (
    ArgumentValidationError,
    CriticalCommandError,
    UnknownCommandError,
)


@pytest.fixture
def commander(exported: Dictionary) -> Commander:
    return Commander(exported.database, LinkConfig.baseline())


def test_a_command_becomes_the_tc_the_icd_describes(commander: Commander) -> None:
    prepared = commander.prepare("HK_MODIFY_INTERVAL", {"count": 1, "structure_id": 2,
                                                        "interval_ms": 5000})
    tc = PusTc.decode(prepared.tc.encode())
    assert (tc.apid, tc.service, tc.subtype) == (100, 3, 31)
    assert tc.source_id == 1 and tc.ack_flags == AckFlags.ALL
    assert tc.application_data == struct.pack(">BBI", 1, 2, 5000)
    assert prepared.request == (100, tc.sequence_count)


def test_enumeration_labels_and_values_are_accepted(commander: Commander) -> None:
    by_label = commander.prepare("BOARD_SET_MODE", {"mode": "SAFE"}, confirm=True)
    by_value = commander.prepare("BOARD_SET_MODE", {"mode": 0}, confirm=True)
    assert by_label.tc.application_data == by_value.tc.application_data == b"\x00"


def test_unknown_command_names_suggest_close_ones(commander: Commander) -> None:
    with pytest.raises(UnknownCommandError, match="TEST_ARE_YOU_ALIVE"):
        commander.prepare("TEST_ARE_YOU_ALIV")
    with pytest.raises(KeyError):  # also a KeyError, for dictionary-style callers
        commander.prepare("NO_SUCH_THING")


@pytest.mark.parametrize(("arguments", "message"), [
    ({"apid": 5000}, "above maximum"),
    ({"apid": -1}, "apid"),
    ({"apid": "x"}, "apid"),
    ({}, "missing apid"),
    ({"apid": 1, "extra": 2}, "unknown fields"),
])
def test_bad_arguments_are_refused_before_sending(commander: Commander,
                                                  arguments: dict[str, object],
                                                  message: str) -> None:
    before = commander.prepare("TEST_ARE_YOU_ALIVE").tc.sequence_count
    with pytest.raises(ArgumentValidationError, match=message):
        commander.prepare("TEST_ON_BOARD_CONNECTION", arguments)  # type: ignore[arg-type]
    after = commander.prepare("TEST_ARE_YOU_ALIVE").tc.sequence_count
    assert after == before + 1  # the refused command consumed no sequence count


def test_bad_enumeration_label(commander: Commander) -> None:
    with pytest.raises(ArgumentValidationError, match="unknown label"):
        commander.prepare("BOARD_SET_MODE", {"mode": "PANIC"}, confirm=True)


def test_critical_commands_need_confirmation(commander: Commander) -> None:
    with pytest.raises(CriticalCommandError, match="confirm=True"):
        commander.prepare("BOARD_RESET", {"delay_s": 1})
    assert commander.prepare("BOARD_RESET", {"delay_s": 1}, confirm=True).command.critical


def test_parameter_set_only_takes_settable_parameters(commander: Commander) -> None:
    prepared = commander.prepare("PARAM_SET", {"OVERTEMP_THRESHOLD": 35815})
    assert prepared.tc.application_data == struct.pack(">BHI", 1, 96, 35815)
    with pytest.raises(ArgumentValidationError, match="not settable"):
        commander.prepare("PARAM_SET", {"CPU_TEMP": 3})


def test_sequence_counts_wrap_at_16384(commander: Commander) -> None:
    counts = [commander.prepare("TEST_ARE_YOU_ALIVE").tc.sequence_count for _ in range(16385)]
    assert counts[0] == counts[16384] and len(set(counts)) == 16384
