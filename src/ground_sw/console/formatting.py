"""Ground records as operator text: one line per sample, event or command step.

Shared by the ``ground-sw`` command line (``tlm``, ``events``, ``replay``) and the console
panels, so both show the same thing the same way. Times are UTC (ISO 8601, milliseconds).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from ccsds.pus_types import Value
from ccsds.timecode import CucTime
from ground_sw.decom import error_name
from ground_sw.link import LinkStatus
from ground_sw.records import (
    CommandRecord,
    EventRecord,
    FrameRecord,
    PacketRecord,
    ParameterSample,
    Record,
)

LIMIT_STYLES = {"NOMINAL": "green", "WARNING_LOW": "bold yellow", "WARNING_HIGH": "bold yellow",
                "ALARM_LOW": "bold white on red", "ALARM_HIGH": "bold white on red"}
"""Rich styles of the limit states (ECSS-E-ST-70-41C 6.12 monitoring: warning, alarm)."""
SEVERITY_STYLES = {"INFO": "cyan", "LOW": "yellow", "MEDIUM": "bold yellow", "HIGH": "bold red"}
"""Rich styles of event severities (service 5 report subtypes 1..4, ECSS 6.5.4)."""
OUTCOME_STYLES = {"sent": "blue", "accepted": "cyan", "started": "cyan", "completed": "green",
                  "failed": "bold red", "timed out": "bold red"}


def utc_time(time: float) -> str:
    """``2030-01-01T00:00:00.000Z`` ('?' when the time is not a calendar date)."""
    try:
        moment = datetime.fromtimestamp(time, UTC)
    except (OverflowError, ValueError, OSError):
        return "?"
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def utc_time_of_day(time: float) -> str:
    """``23:59:59.999`` UTC, for panels where the date goes without saying."""
    full = utc_time(time)
    return full[11:23] if len(full) > 1 else full


Stamp = Callable[[float], str]


def value_text(value: Value | None) -> str:
    """A value for display: reals to 6 significant digits, octets in hex, CUC in seconds."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, CucTime):
        return f"{value.seconds:.3f}"
    return str(value)


def values_text(values: dict[str, Value]) -> str:
    """``name=value name=value`` in field order."""
    return " ".join(f"{name}={value_text(value)}" for name, value in values.items())


def sample_line(sample: ParameterSample, unit: str = "") -> str:
    """``time NAME = value unit [LIMIT]``."""
    shown = value_text(sample.engineering) + (f" {unit}" if unit else "")
    limit = "" if sample.limit == "NOMINAL" else f" [{sample.limit}]"
    return f"{utc_time(sample.time)} {sample.name} = {shown}{limit}"


def event_line(event: EventRecord, stamp: Stamp = utc_time) -> str:
    """``time SEVERITY NAME name=value ...``."""
    data = values_text(event.values)
    return f"{stamp(event.time)} {event.severity:<6} {event.name}" + (f" {data}" if data
                                                                      else "")


def command_line(record: CommandRecord, stamp: Stamp = utc_time) -> str:
    """``time NAME #seq outcome (stage, error)``."""
    apid, count = record.request
    detail = ""
    if record.stage is not None:
        detail = f" (1,{record.stage})"
    if record.error_code is not None:
        detail += f" error {record.error_code} {error_name(record.error_code)}"
    return (f"{stamp(record.time)} {record.name} [{apid}/{count}] "
            f"{record.outcome.value}{detail}")


def record_line(record: Record, unit: str = "") -> str:
    """Any record as one line (frames and packets briefly)."""
    if isinstance(record, ParameterSample):
        return sample_line(record, unit)
    if isinstance(record, EventRecord):
        return event_line(record)
    if isinstance(record, CommandRecord):
        return command_line(record)
    if isinstance(record, FrameRecord):
        return (f"{utc_time(record.time)} frame VC{record.virtual_channel} "
                f"{len(record.frame)} octets")
    assert isinstance(record, PacketRecord)
    kind = "" if record.service is None else f" ({record.service},{record.subtype})"
    return f"{utc_time(record.time)} packet APID {record.apid}{kind} {len(record.packet)} octets"


def link_lines(status: LinkStatus) -> list[str]:
    """The link status for a panel: port, sync and RS, COP-1 (FOP-1 and the CLCW flags)."""
    port = "connected" if status.connected else "DISCONNECTED (reconnecting)"
    flags = [name for name, on in (("LOCKOUT", status.lockout), ("WAIT", status.wait),
                                   ("RETRANSMIT", status.retransmit),
                                   ("NO_RF", status.no_rf_available),
                                   ("NO_BITLOCK", status.no_bit_lock)) if on]
    lines = [f"port {status.url}: {port}, reconnects {status.reconnects}",
             f"sync {status.sync_state}, frames {status.frames}, lost {status.frames_lost},"
             f" skipped {status.octets_skipped} octets",
             f"RS corrected {status.rs_corrected} symbols, uncorrectable "
             f"{status.rs_uncorrectable}",
             f"FOP-1 {status.fop_state} V(S)={status.vs} N(R)="
             f"{'-' if status.nr is None else status.nr} sent {status.frames_sent} "
             f"retx {status.retransmissions} queued {status.queued_segments}",
             f"CLCW {' '.join(flags) or 'ok'}"
             + (f", last alert {status.last_alert}" if status.last_alert else "")]
    if status.awaiting_unlock:
        lines.append("FARM-1 LOCKOUT: type :unlock to confirm the recovery")
    if status.last_error:
        lines.append(f"last error: {status.last_error}")
    return lines
