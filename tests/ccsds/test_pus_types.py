"""PUS parameter types (ECSS-E-ST-70-41C 7.3): aliases, encoding against construct, decoding
of whole, truncated and corrupted input."""

from __future__ import annotations

import contextlib

import construct as cs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from spacepackets.ecss import fields as sp_fields

from ccsds.errors import DecodeError, LocalProtocolError, TruncatedError
from ccsds.pus_types import (
    Ptc,
    PusType,
    PusValueError,
    decode_from,
    encode,
    encode_all,
    parse_type,
)
from ccsds.timecode import CucTime
from tests.ccsds.mission_db.strategies import type_values

# alias -> (PTC, PFC) from the standard's tables, and an independent construct codec
REFERENCE = {
    "bool": (1, 8, cs.Flag),
    "enum8": (2, 8, cs.Int8ub), "enum16": (2, 16, cs.Int16ub), "enum32": (2, 32, cs.Int32ub),
    "uint8": (3, 4, cs.Int8ub), "uint16": (3, 12, cs.Int16ub), "uint24": (3, 13, cs.Int24ub),
    "uint32": (3, 14, cs.Int32ub), "uint48": (3, 15, cs.BytesInteger(6)),
    "uint64": (3, 16, cs.Int64ub),
    "int8": (4, 4, cs.Int8sb), "int16": (4, 12, cs.Int16sb), "int24": (4, 13, cs.Int24sb),
    "int32": (4, 14, cs.Int32sb), "int48": (4, 15, cs.BytesInteger(6, signed=True)),
    "int64": (4, 16, cs.Int64sb),
    "float32": (5, 1, cs.Float32b), "float64": (5, 2, cs.Float64b),
    "bytes:5": (7, 5, cs.Bytes(5)), "bytes": (7, 0, cs.Prefixed(cs.Int16ub, cs.GreedyBytes)),
    "string:3": (8, 3, cs.PaddedString(3, "utf8")),
    "string": (8, 0, cs.PascalString(cs.Int16ub, "utf8")),
}
ALL_TYPES = [parse_type(name) for name in (*REFERENCE, "cuc4.2")]


@pytest.mark.parametrize("name", REFERENCE)
def test_alias_codes_and_canonical_name(name: str) -> None:
    ptc, pfc, _ = REFERENCE[name]
    pus_type = parse_type(name)
    assert (pus_type.ptc, pus_type.pfc) == (ptc, pfc)
    assert parse_type(pus_type.name) == pus_type == parse_type(f"{ptc}/{pfc}")


SP_WIDTHS = {8: "ONE_BYTE", 16: "TWO_BYTES", 24: "THREE_BYTES", 32: "FOUR_BYTES",
             48: "SIX_BYTES", 64: "EIGHT_BYTES"}


@pytest.mark.interop
@pytest.mark.parametrize("bits", SP_WIDTHS)
def test_codes_agree_with_spacepackets(bits: int) -> None:
    unsigned, signed = parse_type(f"uint{bits}"), parse_type(f"int{bits}")
    assert (unsigned.ptc, signed.ptc) == (sp_fields.Ptc.UNSIGNED, sp_fields.Ptc.SIGNED)
    assert unsigned.pfc == sp_fields.PfcUnsigned[SP_WIDTHS[bits]]
    assert signed.pfc == sp_fields.PfcSigned[SP_WIDTHS[bits]]
    assert parse_type("float32").pfc == sp_fields.PfcReal.FLOAT_SIMPLE_PRECISION_IEEE
    assert parse_type("float64").pfc == sp_fields.PfcReal.DOUBLE_PRECISION_IEEE
    assert {int(p) for p in Ptc} <= {int(p) for p in sp_fields.Ptc}
    assert all(sp_fields.Ptc[p.name] == p for p in Ptc)


def test_other_aliases() -> None:
    assert parse_type("boolean") == parse_type("bool")
    assert parse_type("double") == parse_type("float64")
    assert parse_type("time") == PusType(Ptc.ABSOLUTE_TIME, 17)
    assert parse_type("cuc4.2").fixed_size == 6
    assert parse_type("string").fixed_size is None


@pytest.mark.parametrize("name", ["uint7", "bytes:0", "bytes:x", "text", "3/99", "6/1", "", "9/0"])
def test_unknown_types_rejected(name: str) -> None:
    with pytest.raises(LocalProtocolError):
        parse_type(name)


@pytest.mark.parametrize("name", REFERENCE)
@given(data=st.data())
def test_encoding_matches_construct(name: str, data: st.DataObject) -> None:
    pus_type = parse_type(name)
    value = data.draw(type_values(pus_type))
    reference = REFERENCE[name][2]
    assert encode(pus_type, value) == reference.build(value)


@given(coarse=st.integers(0, 2**32 - 1), fine=st.integers(0, 2**16 - 1))
def test_absolute_time_is_cuc_4_2(coarse: int, fine: int) -> None:
    octets = encode(parse_type("cuc4.2"), CucTime(coarse, fine))
    assert octets == coarse.to_bytes(4, "big") + fine.to_bytes(2, "big")
    assert decode_from([parse_type("cuc4.2")], octets) == ([CucTime(coarse, fine)], 6)


@given(data=st.data(), types=st.lists(st.sampled_from(ALL_TYPES), max_size=6),
       prefix=st.binary(max_size=4))
def test_round_trip_sequence(data: st.DataObject, types: list[PusType], prefix: bytes) -> None:
    values = [data.draw(type_values(t)) for t in types]
    encoded = prefix + encode_all(types, values)
    assert decode_from(types, encoded, len(prefix)) == (values, len(encoded))


@given(data=st.data(), types=st.lists(st.sampled_from(ALL_TYPES), min_size=1, max_size=5))
def test_every_truncation_is_a_truncated_error(data: st.DataObject,
                                              types: list[PusType]) -> None:
    encoded = encode_all(types, [data.draw(type_values(t)) for t in types])
    for cut in range(len(encoded)):  # byte at a time: every strict prefix is incomplete
        with pytest.raises(TruncatedError):
            decode_from(types, encoded[:cut])


@given(types=st.lists(st.sampled_from(ALL_TYPES), min_size=1, max_size=5),
       garbage=st.binary(max_size=64))
def test_garbage_gives_only_decode_errors(types: list[PusType], garbage: bytes) -> None:
    try:
        values, end = decode_from(types, garbage)
    except DecodeError:
        return
    assert len(values) == len(types) and end <= len(garbage)


@given(data=st.data(), types=st.lists(st.sampled_from(ALL_TYPES), min_size=1, max_size=5),
       bit=st.integers(0, 10_000))
def test_bit_errors_give_only_decode_errors(data: st.DataObject, types: list[PusType],
                                            bit: int) -> None:
    encoded = bytearray(encode_all(types, [data.draw(type_values(t)) for t in types]))
    if not encoded:
        return
    bit %= 8 * len(encoded)
    encoded[bit // 8] ^= 0x80 >> (bit % 8)
    with contextlib.suppress(DecodeError):
        decode_from(types, bytes(encoded))


def test_invalid_received_values() -> None:
    with pytest.raises(PusValueError):
        decode_from([parse_type("bool")], b"\x02")
    with pytest.raises(PusValueError):
        decode_from([parse_type("string:2")], b"\xff\xfe")
    with pytest.raises(TruncatedError):  # length field points past the end
        decode_from([parse_type("bytes")], b"\x00\x05abc")


@pytest.mark.parametrize(("name", "value"), [
    ("uint8", 256), ("uint8", -1), ("int8", 128), ("int24", -(2**23) - 1), ("uint48", 2**48),
    ("uint64", 2**64), ("uint16", 1.5), ("uint16", True), ("uint16", "7"), ("bool", 1),
    ("float32", 1e39), ("float64", "x"), ("float32", True), ("bytes:2", b"abc"),
    ("bytes", "text"), ("string:2", "abc"), ("string", b"raw"), ("bytes", b"x" * 65536),
    ("cuc4.2", 5), ("enum8", 300),
])
def test_encode_rejects_bad_values(name: str, value: object) -> None:
    with pytest.raises(LocalProtocolError):
        encode(parse_type(name), value)  # type: ignore[arg-type]


def test_value_range() -> None:
    assert parse_type("int16").value_range() == (-32768, 32767)
    assert parse_type("uint24").value_range() == (0, 2**24 - 1)
    with pytest.raises(LocalProtocolError):
        parse_type("float32").value_range()
