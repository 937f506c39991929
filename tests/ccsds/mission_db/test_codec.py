"""Value codec: command, housekeeping, event and parameter-value data fields."""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.errors import DecodeError, LengthError, TruncatedError
from ccsds.mission_db import (
    ArgumentError,
    LimitState,
    UnknownIdError,
    ValueRangeError,
    check_limits,
    decode_command,
    decode_event,
    decode_housekeeping,
    decode_parameter_values,
    encode_command,
    encode_event,
    encode_housekeeping,
    encode_parameter_values,
    engineering,
)
from ccsds.pus_types import PusValueError
from ccsds.timecode import CucTime
from tests.ccsds.mission_db.sample_db import SAMPLE
from tests.ccsds.mission_db.strategies import field_values, fields_values

CONFIGURE = SAMPLE.command("CONFIGURE")
GOOD = {"mode": "SCIENCE", "level": -3, "gain": 0.25, "flag": True, "key": b"\x01\x02\x03\x04",
        "label": "hello", "blob": b"", "at": CucTime(10, 5), "offset": -(2**40), "count": 7}


def test_command_layout_by_hand() -> None:
    data = encode_command(SAMPLE, "CONFIGURE", GOOD)
    expected = (b"\x07" + struct.pack(">hd?", -3, 0.25, True) + b"\x01\x02\x03\x04"
                + b"\x00\x05hello" + b"\x00\x00" + struct.pack(">IH", 10, 5)
                + (-(2**40)).to_bytes(6, "big", signed=True) + (7).to_bytes(3, "big"))
    assert data == expected
    assert decode_command(SAMPLE, CONFIGURE, data) == {**GOOD, "mode": 7}


def test_empty_command() -> None:
    assert encode_command(SAMPLE, "PING", {}) == b""
    assert decode_command(SAMPLE, "PING", b"") == {}
    with pytest.raises(LengthError):
        decode_command(SAMPLE, "PING", b"\x00")


@given(values=fields_values(CONFIGURE.arguments))
def test_command_round_trip(values: dict[str, Any]) -> None:
    data = encode_command(SAMPLE, CONFIGURE, values)
    assert decode_command(SAMPLE, CONFIGURE, data) == values


@pytest.mark.parametrize(("change", "names"), [
    ({"mode": "OFF"}, "mode"), ({"mode": 3}, "mode"), ({"level": 101}, "level"),
    ({"level": "x"}, "level"), ({"gain": 2.6}, "gain"), ({"flag": 1}, "flag"),
    ({"key": b"123"}, "key"), ({"label": b"raw"}, "label"), ({"count": 2**24}, "count"),
    ({"extra": 1}, "extra"), ({"at": 1.5}, "at"),
])
def test_command_encode_errors_name_the_argument(change: dict[str, Any], names: str) -> None:
    with pytest.raises(ArgumentError, match=names):
        encode_command(SAMPLE, CONFIGURE, {**GOOD, **change})


def test_missing_argument_is_named() -> None:
    values = dict(GOOD)
    del values["gain"]
    with pytest.raises(ArgumentError, match="missing gain"):
        encode_command(SAMPLE, CONFIGURE, values)


def test_received_out_of_range_values_are_rejected() -> None:
    data = bytearray(encode_command(SAMPLE, CONFIGURE, GOOD))
    data[0] = 3  # no such mode
    with pytest.raises(ValueRangeError, match="mode"):
        decode_command(SAMPLE, CONFIGURE, bytes(data))
    data[0] = 0
    data[1:3] = struct.pack(">h", 500)  # level above maximum
    with pytest.raises(ValueRangeError, match="level"):
        decode_command(SAMPLE, CONFIGURE, bytes(data))
    data[1:3] = b"\x00\x00"
    data[11] = 2  # boolean neither 0 nor 1
    with pytest.raises(PusValueError, match="flag"):
        decode_command(SAMPLE, CONFIGURE, bytes(data))


HK_FAST = SAMPLE.structure("fast")
HK_SLOW = SAMPLE.structure("slow")


def test_received_housekeeping_values_are_checked() -> None:
    fast = {"TEMP": 1, "VOLTAGE": 2, "RATIO": 0.5, "MODE": 7, "OK": True}
    data = bytearray(encode_housekeeping(SAMPLE, "fast", fast))
    data[-1] = 2  # OK: boolean neither 0 nor 1
    with pytest.raises(PusValueError, match="OK"):
        decode_housekeeping(SAMPLE, bytes(data))
    data[-1], data[-2] = 1, 3  # MODE: no label for 3
    with pytest.raises(ValueRangeError, match="MODE"):
        decode_housekeeping(SAMPLE, bytes(data))


@given(values=fields_values(SAMPLE.structure_parameters(HK_FAST)),
       slow=fields_values(SAMPLE.structure_parameters(HK_SLOW)))
def test_housekeeping_round_trip(values: dict[str, Any], slow: dict[str, Any]) -> None:
    for structure, raw in ((HK_FAST, values), (HK_SLOW, slow)):
        data = encode_housekeeping(SAMPLE, structure.name, raw)
        assert data[0] == structure.id
        assert decode_housekeeping(SAMPLE, data) == (structure, raw)


@given(values=fields_values(SAMPLE.event("BOOT").parameters))
def test_event_round_trip(values: dict[str, Any]) -> None:
    data = encode_event(SAMPLE, "BOOT", values)
    assert data[:2] == b"\x00\x01"
    assert decode_event(SAMPLE, data) == (SAMPLE.event("BOOT"), values)
    assert decode_event(SAMPLE, encode_event(SAMPLE, "TICK", {})) == (SAMPLE.event("TICK"), {})


SETTABLE = SAMPLE.settable_parameters


@given(threshold=field_values(SETTABLE[0]), precise=field_values(SETTABLE[1]))
def test_parameter_values_round_trip(threshold: int, precise: float) -> None:
    values = {"THRESHOLD": threshold, "PRECISE": precise}
    data = encode_parameter_values(SAMPLE, values)
    assert data[:3] == b"\x02\x00\x0a"  # N = 2, then parameter id 10
    assert decode_parameter_values(SAMPLE, data) == values
    assert encode_command(SAMPLE, "SET_PARAMS", values) == data
    assert decode_command(SAMPLE, "SET_PARAMS", data) == values


def test_parameter_value_errors() -> None:
    with pytest.raises(ArgumentError, match="NOPE"):
        encode_parameter_values(SAMPLE, {"NOPE": 1})
    with pytest.raises(ArgumentError, match="THRESHOLD"):
        encode_parameter_values(SAMPLE, {"THRESHOLD": 5})
    with pytest.raises(UnknownIdError):
        decode_parameter_values(SAMPLE, b"\x01\x00\x63\x00")
    with pytest.raises(TruncatedError):
        decode_parameter_values(SAMPLE, b"\x02\x00\x0a\x00\x00\x00\x0b")


def test_unknown_ids_are_decode_errors() -> None:
    with pytest.raises(UnknownIdError):
        decode_housekeeping(SAMPLE, b"\x09")
    with pytest.raises(UnknownIdError):
        decode_event(SAMPLE, b"\x00\x09")
    with pytest.raises(TruncatedError):
        decode_event(SAMPLE, b"\x00")


def _valid_units() -> list[tuple[Callable[[bytes], object], bytes]]:
    """A valid data field of every layout, with its decoder."""
    fast = {"TEMP": 30000, "VOLTAGE": -2, "RATIO": 0.5, "MODE": 1, "OK": False}
    return [
        (lambda d: decode_command(SAMPLE, CONFIGURE, d),
         encode_command(SAMPLE, CONFIGURE, GOOD)),
        (lambda d: decode_housekeeping(SAMPLE, d), encode_housekeeping(SAMPLE, "fast", fast)),
        (lambda d: decode_event(SAMPLE, d),
         encode_event(SAMPLE, "NOTE", {"text": "né", "data": b"\x00\x01"})),
        (lambda d: decode_parameter_values(SAMPLE, d),
         encode_parameter_values(SAMPLE, {"THRESHOLD": 11, "PRECISE": 1.0})),
    ]


@pytest.mark.parametrize("index", range(4))
def test_truncation_byte_at_a_time_and_trailing_octets(index: int) -> None:
    decoder, data = _valid_units()[index]
    decoder(data)
    for cut in range(len(data)):
        with pytest.raises(TruncatedError):
            decoder(data[:cut])
    with pytest.raises(LengthError):
        decoder(data + b"\x00")


@pytest.mark.parametrize("index", range(4))
@given(garbage=st.binary(max_size=80), bit=st.integers(0, 10_000))
def test_garbage_and_bit_errors_give_only_decode_errors(index: int, garbage: bytes,
                                                       bit: int) -> None:
    decoder, data = _valid_units()[index]
    corrupted = bytearray(data)
    bit %= 8 * len(corrupted)
    corrupted[bit // 8] ^= 0x80 >> (bit % 8)
    for unit in (garbage, bytes(corrupted), data[: len(garbage) % (len(data) + 1)] + garbage):
        with contextlib.suppress(DecodeError):
            decoder(unit)


def test_engineering_values_and_limits() -> None:
    temp = SAMPLE.parameter("TEMP")
    assert engineering(temp, 30000) == pytest.approx(26.85)
    assert engineering(SAMPLE.parameter("MODE"), 1) == 1
    assert engineering(SAMPLE.parameter("SERIAL"), b"x" * 8) == b"x" * 8
    assert engineering(SAMPLE.parameter("SMALL"), -3) == -6.0
    states = check_limits(SAMPLE, {"TEMP": 27315 + 6000, "VOLTAGE": 8000, "RATIO": 0.95,
                                   "MODE": 1, "COUNTER": 5})
    assert states == {"TEMP": LimitState.WARNING_HIGH, "VOLTAGE": LimitState.ALARM_HIGH,
                      "RATIO": LimitState.WARNING_HIGH}
    assert check_limits(SAMPLE, {"TEMP": 27315})["TEMP"] is LimitState.NOMINAL
