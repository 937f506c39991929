"""Decommutation: received TM packets to ground records.

* TM(1,x) verification reports (ECSS-E-ST-70-41C 6.1.5, 8.1.2): request id, then for a
  failure the 16-bit error code (docs/icd.md section 8).
* TM(3,25) housekeeping (6.3.3.2) and TM(20,2) parameter values (6.20.4.3): one
  :class:`~ground_sw.records.ParameterSample` per parameter, calibrated and limit-checked.
* TM(5,x) event reports (6.5.4.2): :class:`~ground_sw.records.EventRecord`.

Bad packets never raise: they are counted by reason in :class:`DecomCounters` and the
packet's :class:`~ground_sw.records.PacketRecord` is still produced.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from ccsds.config import LinkConfig
from ccsds.errors import DecodeError
from ccsds.mission_db import (
    Argument,
    MissionDatabase,
    Parameter,
    UnknownIdError,
    decode_event,
    decode_housekeeping,
    decode_parameter_values,
    engineering,
)
from ccsds.pus import REQUEST_ID_LENGTH, PusTm, RequestId
from ccsds.pus_types import Value
from ccsds.spacepacket import trusted_instance
from ccsds.timecode import EPOCH_1958, TAI_MINUS_UTC, CucFormat
from ground_sw.records import EventRecord, PacketRecord, ParameterSample

UNIX_MINUS_CCSDS_EPOCH = -EPOCH_1958.timestamp()
"""Seconds from 1958-01-01 to 1970-01-01 (CCSDS 301.0-B-4 3.2.3 epoch to the Unix epoch)."""

ERROR_CODES: dict[int, str] = {
    1: "ILLEGAL_APID", 2: "INVALID_LENGTH", 3: "INCORRECT_CHECKSUM", 4: "ILLEGAL_PACKET_TYPE",
    5: "UNKNOWN_SERVICE", 6: "UNKNOWN_SUBTYPE", 7: "INVALID_APPLICATION_DATA",
    8: "ARGUMENT_OUT_OF_RANGE", 9: "NOT_ALLOWED_IN_MODE", 10: "EXECUTION_FAILED",
    11: "INVALID_PUS_VERSION", 12: "FAULT_INJECTION_DISABLED", 13: "OBJECT_NOT_FOUND",
    14: "STORE_FULL", 15: "DATA_LOST", 16: "INVALID_OBJECT_NAME", 17: "JOB_NOT_FOUND",
    18: "JOB_QUEUE_FULL", 19: "BUSY", 20: "UNKNOWN_MEMORY_REGION",
}
"""Verification failure codes of the ICD (docs/icd.md section 8)."""

STAGES = {1: "acceptance", 3: "start", 5: "progress", 7: "completion"}
"""Service 1 success subtypes and their stage; the failure subtype is one more."""

SERVICE_VERIFICATION = 1
SERVICE_HOUSEKEEPING = 3
SERVICE_EVENT = 5
SERVICE_PARAMETER = 20
HK_REPORT = 25
PARAMETER_VALUES_REPORT = 2
_ERROR_CODE = struct.Struct(">H")


def error_name(code: int) -> str:
    """The ICD name of a verification error code (UNKNOWN_ERROR_<n> if not listed)."""
    return ERROR_CODES.get(code, f"UNKNOWN_ERROR_{code}")


def onboard_unix_time(tm: PusTm) -> float | None:
    """The packet's on-board time (CUC, TAI since 1958) as UTC Unix seconds; None if unset."""
    if tm.time.coarse == 0 and tm.time.fine == 0:
        return None
    return tm.time.seconds - UNIX_MINUS_CCSDS_EPOCH - TAI_MINUS_UTC


@dataclass(frozen=True)
class VerificationReport:
    """One TM(1,x): which request, which stage, and the error code of a failure."""

    time: float
    request: tuple[int, int]
    """(APID, sequence count) of the verified telecommand."""
    subtype: int
    error_code: int | None = None
    onboard_time: float | None = None

    @property
    def success(self) -> bool:
        """Odd subtypes report success (ECSS 6.1.5)."""
        return self.subtype % 2 == 1

    @property
    def stage(self) -> str:
        """acceptance, start, progress or completion."""
        return STAGES.get(self.subtype - (0 if self.success else 1), f"subtype {self.subtype}")

    @property
    def error_name(self) -> str | None:
        """The ICD name of the error code of a failure."""
        return None if self.error_code is None else error_name(self.error_code)


@dataclass
class DecomCounters:
    """What the decommutator took and rejected, by reason (shown in the link status)."""

    packets: int = 0
    pus_errors: int = 0
    """Packets on the PUS APID that are no valid PUS TM (length, CRC, version)."""
    unknown_ids: int = 0
    """Housekeeping structure, event or parameter ids the dictionary does not define."""
    bad_values: int = 0
    """Reports whose data does not decode against the dictionary."""
    samples: int = 0
    events: int = 0
    verifications: int = 0
    last_error: str = ""


@dataclass
class Decoded:
    """What one packet gave: its record, the PUS TM, and the records decoded from it."""

    packet: PacketRecord
    tm: PusTm | None = None
    samples: list[ParameterSample] = field(default_factory=list)
    event: EventRecord | None = None
    verification: VerificationReport | None = None


class Decommutator:
    """Decodes the PUS packets of the mission APID against the mission database."""

    def __init__(self, database: MissionDatabase, config: LinkConfig | None = None) -> None:
        self.database = database
        self.config = config or LinkConfig.baseline()
        self.time_format = CucFormat(self.config.time.cuc_coarse_octets,
                                     self.config.time.cuc_fine_octets)
        self.counters = DecomCounters()
        self._parameters = {p.name: p for p in database.parameters}

    def decode(self, virtual_channel: int, packet: bytes, time: float) -> Decoded:
        """Decode one space packet received at ``time`` (ground Unix seconds)."""
        self.counters.packets += 1
        apid = int.from_bytes(packet[:2], "big") & 0x7FF if len(packet) >= 2 else -1
        if apid != self.config.packets.apid_pus:
            return Decoded(PacketRecord(time, virtual_channel, apid, packet))
        try:
            tm = PusTm.decode(packet, time_format=self.time_format)
        except DecodeError as exc:
            self._fail("pus_errors", f"PUS TM: {exc}")
            return Decoded(PacketRecord(time, virtual_channel, apid, packet))
        onboard = onboard_unix_time(tm)
        decoded = Decoded(PacketRecord(time, virtual_channel, apid, packet, tm.service,
                                       tm.subtype, onboard), tm)
        try:
            self._decode_report(tm, time, onboard, decoded)
        except UnknownIdError as exc:
            self._fail("unknown_ids", f"TM({tm.service},{tm.subtype}): {exc}")
        except DecodeError as exc:
            self._fail("bad_values", f"TM({tm.service},{tm.subtype}): {exc}")
        return decoded

    def _fail(self, counter: str, message: str) -> None:
        setattr(self.counters, counter, getattr(self.counters, counter) + 1)
        self.counters.last_error = message

    def _decode_report(self, tm: PusTm, time: float, onboard: float | None,
                       decoded: Decoded) -> None:
        kind = (tm.service, tm.subtype)
        db = self.database
        if tm.service == SERVICE_VERIFICATION:
            decoded.verification = self._verification(tm, time, onboard)
            self.counters.verifications += 1
        elif kind == (SERVICE_HOUSEKEEPING, HK_REPORT):
            _, values = decode_housekeeping(db, tm.source_data)
            decoded.samples = self._samples(values, time, onboard)
        elif kind == (SERVICE_PARAMETER, PARAMETER_VALUES_REPORT):
            decoded.samples = self._samples(decode_parameter_values(db, tm.source_data), time,
                                            onboard)
        elif tm.service == SERVICE_EVENT and 1 <= tm.subtype <= 4:
            event, values = decode_event(db, tm.source_data)
            labelled = {item.name: labelled_value(item, values[item.name])
                        for item in event.parameters}
            decoded.event = EventRecord(time, event.name, event.severity.name, labelled, onboard)
            self.counters.events += 1

    def _verification(self, tm: PusTm, time: float, onboard: float | None,
                      ) -> VerificationReport:
        data = tm.source_data
        request = RequestId.unpack_from(data)
        code = None
        if tm.subtype % 2 == 0:
            if len(data) < REQUEST_ID_LENGTH + _ERROR_CODE.size:
                raise _ShortReport(f"failure report of {len(data)} octets has no error code")
            code = _ERROR_CODE.unpack_from(data, REQUEST_ID_LENGTH)[0]
        return VerificationReport(time, (request.apid, request.sequence_count), tm.subtype,
                                  code, onboard)

    def _samples(self, values: dict[str, Value], time: float,
                 onboard: float | None) -> list[ParameterSample]:
        parameters = self._parameters
        samples = [sample(parameters[name], raw, time, onboard) for name, raw in values.items()]
        self.counters.samples += len(samples)
        return samples


class _ShortReport(DecodeError):
    """A verification failure report without its error code."""


def labelled_value(item: Argument | Parameter, raw: Value) -> Value:
    """The enumeration label of an enumerated integer, else the value itself."""
    if item.enumeration and isinstance(raw, int) and not isinstance(raw, bool):
        label = item.label_of(raw)
        if label is not None:
            return label
    return raw


def sample(parameter: Parameter, raw: Value, time: float,
           onboard: float | None = None) -> ParameterSample:
    """A parameter sample: calibrated (or labelled) engineering value and limit state."""
    value = labelled_value(parameter, engineering(parameter, raw))
    limit = "NOMINAL"
    if parameter.limits is not None and isinstance(value, int | float) \
            and not isinstance(value, bool):
        limit = parameter.limit_state(value).name
    # every field given, already valid: skip the frozen dataclass's per-field __setattr__
    return trusted_instance(ParameterSample, {
        "time": time, "name": parameter.name, "raw": raw, "engineering": value,
        "limit": limit, "onboard_time": onboard})
