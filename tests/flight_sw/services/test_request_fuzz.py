"""Every request of services 3, 5, 9 and 20 fed random application data, and encoded
arguments drawn over their whole type range: each request ends in exactly one verification
outcome, refusals are (1,2) with a data or range code, and nothing escapes dispatch."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.mission_db import Command, encode_command
from ccsds.pus_types import Ptc, Value
from ccsds.timecode import CucTime
from flight_sw.services.verification import ErrorCode
from tests.flight_sw.services.helpers import GROUND_DB, Bench

SERVICES = (3, 5, 9, 20)
COMMANDS = [c for c in GROUND_DB.commands if c.service in SERVICES]
REFUSALS = {ErrorCode.INVALID_APPLICATION_DATA, ErrorCode.ARGUMENT_OUT_OF_RANGE}
REPORTS = {(3, 25), (20, 2)}


def _check(bench: Bench, command: Command, data: bytes) -> tuple[int, int | None]:
    bench.reports.clear()
    tc = bench.send(bench.raw(command.service, command.subtype, data))
    subtype, code = bench.outcome(tc)
    assert subtype in (2, 7)
    if subtype == 2:
        assert code in REFUSALS
        assert [r[:2] for r in bench.reports] == [(1, 2)]
    else:
        assert {r[:2] for r in bench.reports} <= {(1, 1), (1, 3), (1, 7)} | REPORTS
    return subtype, code


def _argument(pus_type_ptc: int, bits: int) -> st.SearchStrategy[Value]:
    if pus_type_ptc == Ptc.ABSOLUTE_TIME:
        return st.builds(CucTime, st.integers(0, 2**32 - 1), st.integers(0, 0xFFFF))
    return st.integers(0, 2**bits - 1)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_random_application_data(tmp_path: Path, command: Command) -> None:
    bench = Bench(tmp_path)

    @given(st.binary(max_size=24))
    def check(data: bytes) -> None:
        _check(bench, command, data)

    check()
    counters = bench.dispatcher.counters
    assert counters.packets == counters.accepted + counters.rejected


@pytest.mark.parametrize("command", [c for c in COMMANDS if not c.deduced],
                         ids=lambda c: c.name)
def test_arguments_over_their_whole_type_range(tmp_path: Path, command: Command) -> None:
    bench = Bench(tmp_path)
    fields = {a.name: _argument(a.pus_type.ptc, a.pus_type.bits) for a in command.arguments}

    @given(st.fixed_dictionaries(fields))
    def check(values: dict[str, Value]) -> None:
        data = _raw(command, values)
        outside = any(a.range_problem(values[a.name]) for a in command.arguments)
        if not outside:  # the codec agrees with the hand packing
            assert encode_command(GROUND_DB, command, values) == data
        subtype, code = _check(bench, command, data)
        if outside:
            assert (subtype, code) == (2, ErrorCode.ARGUMENT_OUT_OF_RANGE)

    check()


def _raw(command: Command, values: dict[str, Value]) -> bytes:
    """Arguments packed by their type only (no range check), as a faulty ground would."""
    parts = []
    for argument in command.arguments:
        value = values[argument.name]
        parts.append(value.encode() if isinstance(value, CucTime)
                     else int(value).to_bytes(argument.pus_type.bits // 8, "big"))
    return b"".join(parts)


@given(st.dictionaries(st.sampled_from([p.name for p in GROUND_DB.parameters]),
                       st.integers(0, 0xFF), min_size=1, max_size=4))
def test_parameter_sets_over_the_whole_table(tmp_path_factory: pytest.TempPathFactory,
                                             values: dict[str, Value]) -> None:
    bench = Bench(tmp_path_factory.mktemp("set"))
    settable = {p.name for p in GROUND_DB.parameters if p.settable}
    try:
        data = encode_command(GROUND_DB, "PARAM_SET", values)
        in_range = True
    except ValueError:  # a value outside its parameter's range: pack it by hand
        in_range = False
        data = bytes([len(values)]) + b"".join(
            GROUND_DB.parameter(n).id.to_bytes(2, "big")
            + int(v).to_bytes(GROUND_DB.parameter(n).pus_type.bits // 8, "big")
            for n, v in values.items())
    subtype, code = _check(bench, GROUND_DB.command("PARAM_SET"), data)
    accepted = in_range and set(values) <= settable
    assert (subtype == 7) == accepted
    if accepted:
        assert bench.pool.values(values) == values
    elif in_range:  # refused only for naming a parameter outside the settable table
        assert code == ErrorCode.ARGUMENT_OUT_OF_RANGE
