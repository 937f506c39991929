"""The mission report decoders (TM(129,8), (128,14), (128,17)) against an independent
struct encoder, fuzzed, and the listener that keeps them."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.pus import PusTm
from ccsds.timecode import CUC_4_2
from ground_sw.records import PacketRecord
from hil.mission_reports import (
    JOB_REPORT,
    JOB_STATES,
    LAYOUTS,
    SCRUB_REPORT,
    VERIFY_ALL_REPORT,
    Layout,
    MissionReports,
    ReportDecodeError,
    decode_fields,
    job_state_name,
)

APID = 100


def _encode(layout: Layout, values: dict[str, Any]) -> bytes:
    """An independent encoder of the layouts, with struct."""
    formats = {"u8": ">B", "u16": ">H", "u32": ">I", "u64": ">Q"}
    out = b""
    for name, kind in layout:
        if kind == "string":
            raw = values[name].encode()
            out += struct.pack(">H", len(raw)) + raw
        elif kind == "sha256":
            out += values[name]
        else:
            out += struct.pack(formats[kind], values[name])
    return out


def _values(layout: Layout) -> st.SearchStrategy[dict[str, Any]]:
    kinds: dict[str, st.SearchStrategy[Any]] = {
        "u8": st.integers(0, 255), "u16": st.integers(0, 0xFFFF),
        "u32": st.integers(0, 0xFFFF_FFFF), "u64": st.integers(0, (1 << 64) - 1),
        "sha256": st.binary(min_size=32, max_size=32), "string": st.text(max_size=40)}
    return st.fixed_dictionaries({name: kinds[kind] for name, kind in layout})


@given(st.sampled_from(sorted(LAYOUTS)), st.data())
def test_reports_round_trip(kind: tuple[int, int], data: st.DataObject) -> None:
    layout = LAYOUTS[kind]
    values = data.draw(_values(layout))
    assert decode_fields(layout, _encode(layout, values)) == values


@given(st.sampled_from(sorted(LAYOUTS)), st.binary(max_size=200))
def test_any_octets_decode_or_raise_a_typed_error(kind: tuple[int, int], raw: bytes) -> None:
    try:
        values = decode_fields(LAYOUTS[kind], raw)
    except ReportDecodeError:
        return
    assert set(values) == {name for name, _ in LAYOUTS[kind]}


def test_truncated_and_trailing_data_are_refused() -> None:
    good = _encode(VERIFY_ALL_REPORT, dict.fromkeys((n for n, _ in VERIFY_ALL_REPORT), 1))
    with pytest.raises(ReportDecodeError, match="needed"):
        decode_fields(VERIFY_ALL_REPORT, good[:-1])
    with pytest.raises(ReportDecodeError, match="trailing"):
        decode_fields(VERIFY_ALL_REPORT, good + b"\0")


def _packet(service: int, subtype: int, data: bytes) -> PacketRecord:
    tm = PusTm(APID, 0, service, subtype, source_data=data)
    return PacketRecord(10.0, 0, APID, tm.encode(), service, subtype)


def test_listener_keeps_good_reports_and_counts_bad_ones() -> None:
    reports = MissionReports(APID, CUC_4_2)
    values = {name: index for index, (name, _) in enumerate(SCRUB_REPORT)}
    reports.on_record(_packet(128, 17, _encode(SCRUB_REPORT, values)[:-3]))
    reports.on_record(_packet(128, 17, _encode(SCRUB_REPORT, values)))
    reports.on_record(_packet(17, 2, b""))  # not a mission report: ignored
    assert reports.rejected == 1 and "TM(128, 17)" in reports.last_error
    assert reports.wait((128, 17), 0.1) == values
    with pytest.raises(TimeoutError):
        reports.wait((128, 14), 0.05)


def test_a_string_that_is_not_utf8_is_refused() -> None:
    values: dict[str, Any] = {name: 0 for name, kind in JOB_REPORT if kind.startswith("u")}
    values.update(result_sha256=bytes(32), input="archive.dat", output="x")
    raw = _encode(JOB_REPORT, values)
    broken = raw[:-1] + b"\xff"  # the last octet of the output string
    with pytest.raises(ReportDecodeError, match="not UTF-8"):
        decode_fields(JOB_REPORT, broken)


def test_job_states_are_named_and_unknown_ones_numbered() -> None:
    assert [job_state_name(n) for n in range(len(JOB_STATES))] == list(JOB_STATES)
    assert job_state_name(2) == "COMPLETED" and job_state_name(9) == "9"


def test_listener_only_waits_for_reports_received_since() -> None:
    reports = MissionReports(APID, CUC_4_2)
    values = {name: 1 for name, _ in VERIFY_ALL_REPORT}
    reports.on_record(_packet(128, 14, _encode(VERIFY_ALL_REPORT, values)))  # at 10.0 s
    assert reports.wait((128, 14), 0.05, since=10.0) == values
    with pytest.raises(TimeoutError):
        reports.wait((128, 14), 0.05, since=10.5)
    with pytest.raises(TimeoutError):
        reports.wait((128, 14), 0.05, match=lambda r: r["lost"] > 1)
