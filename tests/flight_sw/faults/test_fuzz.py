"""Fuzz: the positions and report decoders, and service 131 on arbitrary application data."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ccsds.errors import DecodeError
from flight_sw.faults.positions import PositionsLengthError, decode_positions, encode_positions
from flight_sw.faults.report import FaultReport
from tests.flight_sw.faults.bench import FaultBench

_POSITIONS = st.lists(st.integers(0, 2**63 - 1), max_size=50)


@given(st.binary(max_size=200))
def test_positions_decoder_takes_any_octets(data: bytes) -> None:
    try:
        positions = decode_positions(data)
    except PositionsLengthError:
        assert len(data) % 8
        return
    assert len(positions) == len(data) // 8
    addressable = [int.from_bytes(data[i:i + 8], "big") for i in range(0, len(data), 8)]
    assert positions.tolist() == [p if p < 2**63 else -1 for p in addressable]


@given(_POSITIONS)
def test_positions_round_trip(positions: list[int]) -> None:
    assert decode_positions(encode_positions(positions)).tolist() == positions


@given(st.binary(max_size=200))
def test_report_decoder_takes_any_octets(data: bytes) -> None:
    try:
        report = FaultReport.decode(data)
    except DecodeError:
        return
    assert report.encode() == data


@given(st.binary(min_size=4, max_size=4), st.integers(0, 255), st.integers(0, 2**32 - 1),
       st.integers(0, 2**32 - 1), _POSITIONS)
def test_report_round_trip(request: bytes, kind: int, total: int, first: int,
                           positions: list[int]) -> None:
    report = FaultReport(request, kind, total, first, tuple(positions))
    assert FaultReport.decode(report.encode()) == report


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 8), st.binary(max_size=60))
def test_any_application_data_gets_a_verdict(subtype: int, data: bytes) -> None:
    """Whatever arrives, the request ends in one final service 1 report; never a crash."""
    with tempfile.TemporaryDirectory() as state:
        bench = FaultBench(Path(state))
        tc = bench.raw(131, subtype, data)
        final, _ = bench.outcome(tc)
        assert final in (2, 7, 8)
