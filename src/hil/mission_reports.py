"""The mission reports the ground's decommutator leaves as packets, decoded for the demo:
TM(129,8) compute job report (docs/compute.md, "Reports"), TM(128,14) verify-all report and
TM(128,17) scrub report (docs/icd.md section 11), and :class:`MissionReports`, the ground
listener keeping them (ECSS-E-ST-70-41C 7.4.3: services 128 and 129 are mission-specific).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ccsds.errors import DecodeError
from ccsds.pus import PusTm
from ccsds.timecode import CucFormat
from ground_sw.records import PacketRecord, Record

Layout = tuple[tuple[str, str], ...]
"""(field name, kind) pairs; kinds: u8, u16, u32, u64, sha256 (32 octets) and string."""
_FIXED = {"u8": 1, "u16": 2, "u32": 4, "u64": 8, "sha256": 32}

JOB_REPORT: Layout = (
    ("job_id", "u16"), ("request_id", "u32"), ("kind", "u8"), ("state", "u8"),
    ("priority", "u8"), ("dmr", "u8"), ("progress", "u8"), ("cpu_time_ms", "u32"),
    ("result_size", "u64"), ("result_sha256", "sha256"), ("error_code", "u16"),
    ("input", "string"), ("output", "string"))
"""TM(129,8) compute job report (docs/compute.md, "Reports")."""
VERIFY_ALL_REPORT: Layout = tuple((name, "u32") for name in (
    "objects", "intact", "repaired", "lost", "vanished", "corrected_words", "repaired_blocks"))
"""TM(128,14) verify-all report (docs/icd.md section 11)."""
SCRUB_REPORT: Layout = (
    ("enabled", "u8"), ("base_period_s", "u32"), ("period_s", "u32"), ("passes", "u32"),
    ("progress", "u8"), ("last_pass_duration_ms", "u32"), ("corrected_words", "u32"),
    ("uncorrectable_words", "u32"), ("repaired_blocks", "u32"), ("lost_blocks", "u32"))
"""TM(128,17) scrub report (docs/icd.md section 11)."""
LAYOUTS: dict[tuple[int, int], Layout] = {
    (129, 8): JOB_REPORT, (128, 14): VERIFY_ALL_REPORT, (128, 17): SCRUB_REPORT}
JOB_STATES = ("QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED")
"""The job report's ``state`` enumeration (docs/compute.md)."""


class ReportDecodeError(DecodeError):
    """A mission report whose source data does not match its layout."""


def decode_fields(layout: Layout, data: bytes) -> dict[str, int | str | bytes]:
    """Big-endian fields of ``layout`` (``string``: 16-bit octet count then UTF-8, the PUS
    variable string of the ICD); ReportDecodeError when short, trailing or not UTF-8."""
    values: dict[str, int | str | bytes] = {}
    offset = 0
    for name, kind in layout:
        size = _FIXED.get(kind)
        if size is None:  # string
            if offset + 2 > len(data):
                raise ReportDecodeError(f"{name}: length missing at octet {offset}")
            size = int.from_bytes(data[offset:offset + 2], "big")
            offset += 2
        if offset + size > len(data):
            raise ReportDecodeError(f"{name}: {size} octets needed at {offset}, "
                                    f"{len(data) - offset} left")
        raw = data[offset:offset + size]
        offset += size
        if kind == "sha256":
            values[name] = bytes(raw)
        elif kind == "string":
            try:
                values[name] = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ReportDecodeError(f"{name}: not UTF-8 ({exc.reason})") from None
        else:
            values[name] = int.from_bytes(raw, "big")
    if offset != len(data):
        raise ReportDecodeError(f"{len(data) - offset} trailing octets")
    return values


def job_state_name(state: int) -> str:
    """The label of a job report's ``state`` (its number when outside the enumeration)."""
    return JOB_STATES[state] if 0 <= state < len(JOB_STATES) else str(state)


class MissionReports:
    """A ground listener keeping the decoded mission reports of :data:`LAYOUTS`."""

    def __init__(self, apid: int, time_format: CucFormat) -> None:
        self._apid = apid
        self._time_format = time_format
        self._condition = threading.Condition()
        self._reports: list[tuple[float, tuple[int, int], dict[str, Any]]] = []
        self.rejected = 0
        """Reports of a known kind whose data did not decode (counted, not raised)."""
        self.last_error = ""

    def on_record(self, record: Record) -> None:
        if not isinstance(record, PacketRecord) or record.apid != self._apid:
            return
        if record.service is None or record.subtype is None:
            return
        kind = (record.service, record.subtype)
        layout = LAYOUTS.get(kind)
        if layout is None:
            return
        try:
            tm = PusTm.decode(record.packet, time_format=self._time_format)
            values = decode_fields(layout, tm.source_data)
        except DecodeError as exc:
            with self._condition:
                self.rejected += 1
                self.last_error = f"TM{kind}: {exc}"
            return
        with self._condition:
            self._reports.append((record.time, (tm.service, tm.subtype), values))
            self._condition.notify_all()

    def wait(self, kind: tuple[int, int], timeout: float, *, since: float = 0.0,
             match: Callable[[dict[str, Any]], bool] = lambda _: True) -> dict[str, Any]:
        """The first report of ``kind`` received at or after ``since`` satisfying ``match``
        (TimeoutError when none comes within ``timeout`` s)."""
        def found() -> dict[str, Any] | None:
            return next((values for when, got, values in self._reports
                         if got == kind and when >= since and match(values)), None)

        with self._condition:
            report = self._condition.wait_for(found, timeout)
        if report is None:
            raise TimeoutError(f"no TM{kind} report within {timeout} s")
        return report
