"""Fuzz: every service 128 request fed random application data, and well-typed arguments with
random names and contents, ends in exactly one verification outcome with a documented code;
nothing escapes the dispatcher."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccsds.mission_db import ArgumentError, Command, encode_command
from ccsds.pus_types import Value
from flight_sw.services.verification import ErrorCode
from tests.flight_sw.services.helpers import GROUND_DB
from tests.flight_sw.storage_service.helpers import StorageBench

COMMANDS = [c for c in GROUND_DB.commands if c.service == 128]
ACCEPTANCE = {ErrorCode.INVALID_APPLICATION_DATA, ErrorCode.ARGUMENT_OUT_OF_RANGE}
COMPLETION = {ErrorCode.OBJECT_NOT_FOUND, ErrorCode.STORE_FULL, ErrorCode.DATA_LOST,
              ErrorCode.INVALID_OBJECT_NAME, ErrorCode.BUSY, ErrorCode.ARGUMENT_OUT_OF_RANGE}


def _check(bench: StorageBench, command: Command, data: bytes) -> None:
    bench.reports.clear()
    tc = bench.send(bench.raw(command.service, command.subtype, data))
    subtype, code = bench.outcome(tc)
    if subtype == 2:
        assert code in ACCEPTANCE
    elif subtype == 8:
        assert code in COMPLETION
    else:
        assert subtype == 7


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_random_application_data(command: Command) -> None:
    bench = StorageBench(None)
    bench.store.put("a", b"content")

    @given(st.binary(max_size=40))
    def check(data: bytes) -> None:
        _check(bench, command, data)

    check()
    counters = bench.dispatcher.counters
    assert counters.packets == counters.accepted + counters.rejected


NAMES = st.one_of(st.sampled_from(["a", "b/c", "", "/x"]), st.text(max_size=70))


def _values(command: Command) -> st.SearchStrategy[dict[str, Value]]:
    fields: dict[str, st.SearchStrategy[Value]] = {}
    for argument in command.arguments:
        kind = argument.type
        if kind == "string":
            fields[argument.name] = NAMES
        elif kind == "bytes":
            fields[argument.name] = st.binary(max_size=200)
        elif kind == "bool":
            fields[argument.name] = st.booleans()
        elif argument.enumeration:
            fields[argument.name] = st.sampled_from([v for _, v in argument.enumeration])
        else:
            bits = argument.pus_type.bits
            fields[argument.name] = st.integers(0, 2**bits - 1)
    return st.fixed_dictionaries(fields)


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.arguments], ids=lambda c: c.name)
@settings(max_examples=60)
@given(data=st.data())
def test_well_typed_arguments(command: Command, data: st.DataObject) -> None:
    bench = StorageBench(None)
    bench.store.put("a", b"content")
    values = data.draw(_values(command))
    try:
        encoded = encode_command(GROUND_DB, command, values)
    except ArgumentError:  # a value the ground itself refuses (out of range): not sent
        return
    _check(bench, command, encoded)
