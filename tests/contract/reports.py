"""Helpers of the contract suite: catch mission reports the ground does not decode itself.

Report layouts are written here from the ICD (docs/icd.md section 11), not taken from the
flight software, so the suite checks an attached board against the document.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ccsds.mission_db import Argument
from ccsds.mission_db.codec import decode_fields
from ccsds.pus import PusTm
from ccsds.pus_types import Value
from ground_sw.records import PacketRecord, Record
from ground_sw.station import GroundStation

OBJECT_NAME = Argument(name="object_name", type="string")
DATA_REPORT = (OBJECT_NAME, Argument(name="offset", type="uint32"),
               Argument(name="data", type="bytes"))
"""(128,7): object_name string, offset uint32, data bytes."""
VERIFY_REPORT = (OBJECT_NAME, Argument(name="state", type="uint8"),
                 Argument(name="corrected_words", type="uint32"),
                 Argument(name="repaired_blocks", type="uint32"))
"""(128,12): object_name string, state enum8 (0 INTACT, 1 REPAIRED, 2 LOST), counters."""
INTACT = 0


class PacketCollector:
    """A listener keeping the PUS TM reports of one service type/subtype."""

    def __init__(self, station: GroundStation, service: int, subtype: int) -> None:
        self._station = station
        self._kind = (service, subtype)
        self._condition = threading.Condition()
        self.reports: list[PusTm] = []

    def on_record(self, record: Record) -> None:
        if not isinstance(record, PacketRecord) or (record.service, record.subtype) != self._kind:
            return
        report = PusTm.decode(record.packet, time_format=self._station.decom.time_format)
        with self._condition:
            self.reports.append(report)
            self._condition.notify_all()

    def wait(self, count: int, timeout: float = 10.0) -> list[PusTm]:
        """The first ``count`` reports, waiting for them (TimeoutError)."""
        with self._condition:
            if not self._condition.wait_for(lambda: len(self.reports) >= count, timeout):
                raise TimeoutError(f"{len(self.reports)} of {count} ({self._kind}) reports")
            return self.reports[:count]


@contextmanager
def collecting(station: GroundStation, service: int, subtype: int) -> Iterator[PacketCollector]:
    collector = PacketCollector(station, service, subtype)
    station.add_listener(collector)
    try:
        yield collector
    finally:
        station.remove_listener(collector)


def fields(report: PusTm, layout: tuple[Argument, ...]) -> dict[str, Value]:
    """The report's source data decoded field by field (all of it)."""
    values, end = decode_fields(layout, report.source_data, 0, f"({report.service},"
                                f"{report.subtype})")
    assert end == len(report.source_data), "trailing octets in the report"
    return values


def get_object(station: GroundStation, name: str, size: int,
               timeout: float = 10.0) -> bytes:
    """Read ``size`` octets of an object with STORE_GET_INLINE (128,6): its (128,7) reports
    (1024 data octets each; one empty report for an empty object)."""
    with collecting(station, 128, 7) as data:
        station.send_and_assert("STORE_GET_INLINE", object_name=name, offset=0, length=0,
                                timeout=timeout)
        deadline = time.monotonic() + timeout
        chunks: dict[int, bytes] = {}
        while not chunks or sum(map(len, chunks.values())) < size:
            reports = data.wait(len(chunks) + 1, max(0.0, deadline - time.monotonic()))
            part = fields(reports[-1], DATA_REPORT)
            assert part["object_name"] == name
            assert isinstance(part["offset"], int) and isinstance(part["data"], bytes)
            chunks[part["offset"]] = part["data"]
    return b"".join(chunks[offset] for offset in sorted(chunks))


def verify_object(station: GroundStation, name: str, timeout: float = 10.0) -> dict[str, Value]:
    """STORE_VERIFY (128,11): its (128,12) report."""
    with collecting(station, 128, 12) as reports:
        station.send_and_assert("STORE_VERIFY", object_name=name, timeout=timeout)
        return fields(reports.wait(1, timeout)[0], VERIFY_REPORT)
