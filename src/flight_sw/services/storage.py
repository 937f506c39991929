"""Storage, mission service 128 (ECSS-E-ST-70-41C 5.3.3 mission service types; docs/icd.md 11).

Requests put, list, inspect, read, downlink (CFDP), delete and verify objects of the payload
store, and control its patrol scrub. Verification follows service 1 (6.1): a store error ends
the request with a completion failure (1,8) carrying its code (OBJECT_NOT_FOUND, STORE_FULL,
DATA_LOST, INVALID_OBJECT_NAME, KEY_UNAVAILABLE; BUSY while a verify-all or too many
transfers run). Bulk data (128,7) goes on the bulk virtual channel; the other reports on the
real-time one. Objects from the ground (put inline, CFDP uplinks) are sealed at rest under
the key of the STORE_UPLINK_KEY_ID setting (docs/storage.md, "Data at rest").

The scrubber and the background verify-all run from scheduler rate groups in short slices, so
no request holds the main loop for longer than one object's verification.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from functools import partial
from typing import Any, ParamSpec, Protocol, TypeVar

from ccsds.mission_db import Argument, ArgumentError, DictionaryError, MissionDatabase
from ccsds.mission_db.codec import encode_fields
from ccsds.pus_types import Value
from flight_sw.clock import Clock
from flight_sw.dispatch import CommandError, Dispatcher
from flight_sw.file_transfer import FileTransfer, TransferBusyError
from flight_sw.parameters import ParameterPool
from flight_sw.scheduler import Scheduler
from flight_sw.services.arguments import Arguments, Rejections, integer, request_parser
from flight_sw.services.events import EventService
from flight_sw.services.verification import Emit, ErrorCode, Verification
from flight_sw.storage import dictionary as layout
from flight_sw.storage.api import (
    DataLostError,
    InvalidNameError,
    KeyUnavailableError,
    ObjectInfo,
    ObjectNotFoundError,
    ObjectState,
    StorageError,
    StoreFullError,
    StoreHealth,
)
from flight_sw.storage.api import Store as ObjectStore
from flight_sw.storage.config import StoreConfig

SERVICE = layout.SERVICE
MAX_REPORT_DATA = 1024
"""Largest source data of a list report (several reports when the list is longer)."""
DATA_CHUNK = 1024
"""Object octets per (128,7) data report."""
MAX_INLINE_GET = 64 * 1024
"""Largest read of one get-inline request; larger objects go by CFDP downlink."""
SCRUB_STEP_PERIOD_S = 0.1
"""Period of the scrub rate group."""
SCRUB_BUDGET_S = 0.005
"""Time one scrub slice may take."""
VERIFY_STEP_PERIOD_S = 0.1
"""Period of the verify-all rate group (one object per run)."""
UINT32_MAX = 0xFFFF_FFFF

P = ParamSpec("P")
R = TypeVar("R")


class Subtype(IntEnum):
    """Service 128 request and report subtypes."""

    PUT_INLINE = 1
    LIST = 2
    LIST_REPORT = 3
    INFO = 4
    INFO_REPORT = 5
    GET_INLINE = 6
    DATA_REPORT = 7
    DOWNLINK = 8
    DOWNLINK_REPORT = 9
    DELETE = 10
    VERIFY = 11
    VERIFY_REPORT = 12
    VERIFY_ALL = 13
    VERIFY_ALL_REPORT = 14
    SCRUB_CONTROL = 15
    SCRUB_REPORT_REQUEST = 16
    SCRUB_REPORT = 17


class Scrubber(Protocol):
    """What the service needs of the patrol scrubber (flight_sw.storage.scrubber.Scrubber):
    its slices, its configuration (base period) and its current, adaptive period."""

    config: StoreConfig
    period_s: float

    def step(self, now: float, budget_s: float) -> object:
        """Scrub a slice of the medium taking at most about ``budget_s``."""
        ...

    def set_base_period(self, period_s: float) -> None:
        """Make ``period_s`` the base patrol period and run at it from now on."""
        ...


_STORE_ERRORS: tuple[tuple[type[StorageError], ErrorCode], ...] = (
    (ObjectNotFoundError, ErrorCode.OBJECT_NOT_FOUND),
    (StoreFullError, ErrorCode.STORE_FULL),
    (DataLostError, ErrorCode.DATA_LOST),
    (InvalidNameError, ErrorCode.INVALID_OBJECT_NAME),
    (KeyUnavailableError, ErrorCode.KEY_UNAVAILABLE),
)


def store_error_code(error: StorageError) -> ErrorCode:
    """The verification error code of a store error (EXECUTION_FAILED for any other)."""
    for kind, code in _STORE_ERRORS:
        if isinstance(error, kind):
            return code
    return ErrorCode.EXECUTION_FAILED


@dataclass
class VerifyRun:
    """A verify-all in progress: the names still to verify and the counts so far."""

    pending: deque[str]
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        (a.name for a in layout.VERIFY_ALL_REPORT), 0))


@dataclass
class StorageCounters:
    """Request outcomes and background work of the service."""

    rejected: Rejections = field(default_factory=Rejections)
    store_errors: int = 0
    scrub_steps: int = 0
    scrub_failures: int = 0
    verify_runs: int = 0
    event_failures: int = 0
    """Scrubber events whose values did not fit their dictionary definition."""


def encode_report(fields: Sequence[Argument], values: Mapping[str, Value]) -> bytes:
    """Source data of a service 128 report laid out as ``fields``."""
    return encode_fields(fields, values, f"({SERVICE}) report")


class StorageService:
    """Service 128 over an object store, with its scrub and verify-all rate groups."""

    def __init__(self, emit: Emit, send_bulk: Emit, events: EventService, *,
                 store: ObjectStore, scrubber: Scrubber, clock: Clock,
                 file_transfer: FileTransfer | None = None) -> None:
        self.emit = emit
        self.send_bulk = send_bulk
        self.events = events
        self.store = store
        self.scrubber = scrubber
        self.clock = clock
        self.file_transfer = file_transfer
        self.counters = StorageCounters()
        self.scrub_enabled = True
        self.verify_run: VerifyRun | None = None
        self.uplink_key_id: Callable[[], int | None] = lambda: None
        """Key sealing objects from the ground (the STORE_UPLINK_KEY_ID setting)."""

    # -- requests --------------------------------------------------------------------------

    def put_inline(self, arguments: tuple[str, bytes], _: Verification) -> None:
        """Store the object, sealed under the STORE_UPLINK_KEY_ID key when one is set."""
        name, data = arguments
        key_id = self.uplink_key_id()
        if key_id is None:
            self._store_call(self.store.put, name, data)
        else:
            self._store_call(self.store.put, name, data, key_id=key_id)

    def list_objects(self, prefix: str, _: Verification) -> None:
        entries = self._store_call(self.store.list, prefix)
        for report in _list_reports(entries):
            self.emit(SERVICE, Subtype.LIST_REPORT, report)

    def info(self, name: str, _: Verification) -> None:
        info = self._store_call(self.store.info, name)
        self.emit(SERVICE, Subtype.INFO_REPORT, encode_report(layout.INFO_REPORT, {
            "object_name": info.name, "size": info.size, "sha256": info.sha256,
            "state": int(info.state), "blocks": info.blocks, "created_s": float(info.created),
            **_at_rest_fields(info)}))

    def get_inline(self, arguments: tuple[str, int, int], _: Verification) -> None:
        name, offset, length = arguments
        size = self._store_call(self.store.info, name).size
        if offset > size:
            raise CommandError(ErrorCode.ARGUMENT_OUT_OF_RANGE,
                               f"offset {offset} beyond the {size} octets of {name!r}")
        length = size - offset if length == 0 else min(length, size - offset)
        if length > MAX_INLINE_GET:
            raise CommandError(ErrorCode.ARGUMENT_OUT_OF_RANGE,
                               f"{length} octets: more than {MAX_INLINE_GET}, use a downlink")
        data = self._store_call(self.store.read, name, offset, length)
        for start in range(0, max(len(data), 1), DATA_CHUNK):
            self.send_bulk(SERVICE, Subtype.DATA_REPORT, encode_report(layout.DATA_REPORT, {
                "object_name": name, "offset": offset + start,
                "data": data[start:start + DATA_CHUNK]}))

    def downlink(self, arguments: tuple[str, str, int], _: Verification) -> None:
        name, destination, class_ = arguments
        if self.file_transfer is None:
            raise CommandError(ErrorCode.EXECUTION_FAILED, "no file transfer entity")
        try:
            transaction = self._store_call(self.file_transfer.downlink, name, class_,
                                           self.clock.monotonic(), destination)
        except TransferBusyError as exc:
            raise CommandError(ErrorCode.BUSY, str(exc)) from None
        self.emit(SERVICE, Subtype.DOWNLINK_REPORT, encode_report(layout.DOWNLINK_REPORT, {
            "object_name": name, "source_entity": transaction.source_entity_id,
            "sequence_number": transaction.sequence_number, "transmission_class": class_}))

    def delete(self, name: str, _: Verification) -> None:
        self._store_call(self.store.delete, name)

    def verify(self, name: str, _: Verification) -> None:
        """(128,12) with the outcome; a LOST object also fails the request with DATA_LOST."""
        result = self._store_call(self.store.verify, name)
        self.emit(SERVICE, Subtype.VERIFY_REPORT, encode_report(layout.VERIFY_REPORT, {
            "object_name": result.name, "state": int(result.state),
            "corrected_words": _u32(result.corrected_words),
            "repaired_blocks": _u32(result.repaired_blocks)}))
        if result.state is ObjectState.LOST:
            raise CommandError(ErrorCode.DATA_LOST, f"{name!r} is lost")

    def verify_all(self, _: None, __: Verification) -> None:
        """Start a background verification of every object, reported in (128,14)."""
        if self.verify_run is not None:
            raise CommandError(ErrorCode.BUSY, "a verify-all is running")
        self.verify_run = VerifyRun(deque(self._store_call(self.store.names)))
        self.counters.verify_runs += 1

    def scrub_control(self, arguments: tuple[bool, int], _: Verification) -> None:
        enabled, base_period_s = arguments
        self._store_call(self.scrubber.set_base_period, float(base_period_s))
        self.scrub_enabled = enabled

    def scrub_report(self, _: None, __: Verification) -> None:
        health = self._store_call(self.store.health)
        base_period_s = self.scrubber.config.scrub_period_s
        self.emit(SERVICE, Subtype.SCRUB_REPORT, encode_report(layout.SCRUB_REPORT, {
            "enabled": self.scrub_enabled, "base_period_s": _u32(round(base_period_s)),
            "period_s": _u32(round(health.scrub_period_s)), "passes": _u32(health.scrub_passes),
            "progress": _progress(health),
            "last_pass_duration_ms": _u32(round(health.last_pass_duration_s * 1000)),
            "corrected_words": _u32(health.corrected_words),
            "uncorrectable_words": _u32(health.uncorrectable_words),
            "repaired_blocks": _u32(health.repaired_blocks),
            "lost_blocks": _u32(health.lost_blocks)}))

    def _store_call(self, operation: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run a store operation; its error ends the request with the matching code."""
        try:
            return operation(*args, **kwargs)
        except StorageError as exc:
            self.counters.store_errors += 1
            raise CommandError(store_error_code(exc), str(exc)) from None

    # -- background work -------------------------------------------------------------------

    def scrub_step(self, now: float) -> None:
        """Rate group task: one scrub slice when the patrol is enabled. A failing slice is
        counted; the patrol goes on at the next period."""
        if not self.scrub_enabled:
            return
        try:
            self.scrubber.step(now, SCRUB_BUDGET_S)
        except StorageError:
            self.counters.scrub_failures += 1
            return
        self.counters.scrub_steps += 1

    def verify_step(self, now: float) -> None:
        """Rate group task: verify the next object of a verify-all; report at the end."""
        del now
        run = self.verify_run
        if run is None:
            return
        if run.pending:
            self._verify_one(run, run.pending.popleft())
            return
        self.verify_run = None
        self.emit(SERVICE, Subtype.VERIFY_ALL_REPORT, encode_report(
            layout.VERIFY_ALL_REPORT, {k: _u32(v) for k, v in run.counts.items()}))

    def _verify_one(self, run: VerifyRun, name: str) -> None:
        counts = run.counts
        try:
            result = self.store.verify(name)
        except ObjectNotFoundError:
            counts["vanished"] += 1
            return
        except DataLostError:
            counts["objects"] += 1
            counts["lost"] += 1
            return
        except KeyUnavailableError:  # crypto-erased: counted in objects only
            counts["objects"] += 1
            return
        except StorageError:
            self.counters.store_errors += 1
            counts["vanished"] += 1
            return
        counts["objects"] += 1
        counts[_STATE_COUNT[result.state]] += 1
        counts["corrected_words"] += result.corrected_words
        counts["repaired_blocks"] += result.repaired_blocks

    def on_scrub_event(self, name: str, /, **values: Value) -> None:
        """The store's and scrubber's event sink: raise the dictionary event ``name`` now
        (values converted by _EVENT_FIELDS). Values that are missing or do not fit their
        definition are counted, never raised as an exception."""
        convert = _EVENT_FIELDS.get(name)
        try:
            fields = dict(values) if convert is None else convert(values)
            self.events.raise_event(name, self.clock.monotonic(), **fields)
        except (ArgumentError, DictionaryError, KeyError, TypeError):
            self.counters.event_failures += 1

    # -- telemetry -------------------------------------------------------------------------

    def telemetry(self, now: float) -> dict[str, Value]:
        """Parameters of housekeeping structure 4 and the EDAC counters of structure 3
        (a ParameterPool source)."""
        del now
        health = self.store.health()
        return {
            "STORE_CAPACITY": health.capacity_bytes,
            "STORE_USED": health.used_bytes,
            "STORE_FREE": health.free_bytes,
            "STORE_OBJECTS": _u32(health.objects),
            "STORE_BAD_BLOCKS": _u32(health.bad_blocks),
            "EDAC_CORRECTED": _u32(health.corrected_words),
            "EDAC_UNCORRECTABLE": _u32(health.uncorrectable_words),
            "STORE_REPAIRED_BLOCKS": _u32(health.repaired_blocks),
            "STORE_LOST_BLOCKS": _u32(health.lost_blocks),
            "SCRUB_PASSES": _u32(health.scrub_passes),
            "SCRUB_LAST_PASS_DURATION": _u32(round(health.last_pass_duration_s * 1000)),
            "SCRUB_PROGRESS": _progress(health),
            "SCRUB_PERIOD": _u32(round(health.scrub_period_s)),
            "SCRUB_ENABLED": self.scrub_enabled,
            "STORE_VERIFY_RUNNING": self.verify_run is not None,
        }

    # -- routing ---------------------------------------------------------------------------

    def register(self, dispatcher: Dispatcher, database: MissionDatabase) -> None:
        """Route the service 128 requests as the dictionary defines them."""
        routes: tuple[tuple[Subtype, Callable[[Any, Verification], None],
                            Callable[[Arguments], object]], ...] = (
            (Subtype.PUT_INLINE, self.put_inline, lambda a: (_text(a, "object_name"), _octets(a))),
            (Subtype.LIST, self.list_objects, lambda a: _text(a, "prefix")),
            (Subtype.INFO, self.info, _object_name),
            (Subtype.GET_INLINE, self.get_inline, lambda a: (
                _text(a, "object_name"), integer(a, "offset"), integer(a, "length"))),
            (Subtype.DOWNLINK, self.downlink, lambda a: (
                _text(a, "object_name"), _text(a, "destination_name"),
                integer(a, "transmission_class"))),
            (Subtype.DELETE, self.delete, _object_name),
            (Subtype.VERIFY, self.verify, _object_name),
            (Subtype.VERIFY_ALL, self.verify_all, lambda a: None),
            (Subtype.SCRUB_CONTROL, self.scrub_control, lambda a: (
                bool(a["enabled"]), integer(a, "base_period_s"))),
            (Subtype.SCRUB_REPORT_REQUEST, self.scrub_report, lambda a: None),
        )
        for subtype, execute, check in routes:
            if subtype is Subtype.DOWNLINK and self.file_transfer is None:
                continue  # without an entity, (128,8) is an unknown subtype
            dispatcher.register(SERVICE, subtype, execute, parse=request_parser(
                database, SERVICE, subtype, self.counters.rejected, check))


def install_storage(  # noqa: PLR0917 (the positional order is the wiring contract)
        dispatcher: Dispatcher, emit: Emit, send_bulk: Emit, events: EventService,
        store: ObjectStore, scrubber: Scrubber, scheduler: Scheduler, clock: Clock,
        database: MissionDatabase, *, file_transfer: FileTransfer | None = None,
        pool: ParameterPool | None = None,
) -> StorageService:
    """Create service 128, route its requests, start its scrub and verify-all rate groups
    and, given a ``pool``, add its telemetry source (structure 4 and the EDAC counters)."""
    service = StorageService(emit, send_bulk, events, store=store, scrubber=scrubber,
                             clock=clock, file_transfer=file_transfer)
    service.register(dispatcher, database)
    start = clock.monotonic()
    scheduler.add("scrub", SCRUB_STEP_PERIOD_S, service.scrub_step, start=start)
    scheduler.add("storage_verify", VERIFY_STEP_PERIOD_S, service.verify_step, start=start)
    if pool is not None:
        pool.add_source(service.telemetry)
        service.uplink_key_id = partial(uplink_key_setting, pool)
    if file_transfer is not None:
        file_transfer.filestore.uplink_key_id = service.uplink_key_id
    return service


def key_from_field(value: int) -> int | None:
    """A key id field of the dictionary as the store's key id (0: none, plaintext)."""
    return None if value == layout.NO_KEY else value


def uplink_key_setting(pool: ParameterPool) -> int | None:
    """The STORE_UPLINK_KEY_ID setting (None when 0, or when the dictionary lacks it)."""
    try:
        value = pool.get(layout.UPLINK_KEY_SETTING)
    except ArgumentError:
        return None
    return key_from_field(value) if isinstance(value, int) else None


_AT_REST = dict(layout.AT_REST)


def _at_rest_fields(info: ObjectInfo) -> dict[str, Value]:
    """The key_id and at_rest fields of list and info reports."""
    if info.key_id is None:
        return {"key_id": layout.NO_KEY, "at_rest": _AT_REST["PLAINTEXT"]}
    return {"key_id": info.key_id,
            "at_rest": _AT_REST["SEALED" if info.readable else "UNREADABLE"]}


def _name_field(values: Mapping[str, Value]) -> str:
    """An object name NUL-padded to its fixed event field."""
    name = str(values["name"])
    return name + "\0" * (layout.NAME_FIELD_OCTETS - len(name.encode()))


def _milliseconds(value: Value) -> int:
    return _u32(round(float(value) * 1000)) if isinstance(value, int | float) else 0


def _seconds(value: Value) -> int:
    return _u32(round(value)) if isinstance(value, int | float) else 0


_EVENT_FIELDS: dict[str, Callable[[Mapping[str, Value]], dict[str, Value]]] = {
    "MEMORY_UNCORRECTABLE": lambda v: {"address": v["offset"], "count": v["words"]},
    "BLOCK_REPAIRED": lambda v: {"block": v["block"], "object_name": _name_field(v),
                                 "relocated": v["relocated"]},
    "BLOCK_LOST": lambda v: {"block": v["block"], "object_name": _name_field(v)},
    "SCRUB_PASS_DONE": lambda v: {
        "passes": v["passes"], "duration_ms": _milliseconds(v["duration_s"]),
        "corrected": v["corrected"], "uncorrectable": v["uncorrectable"],
        "repaired": v["repaired"], "lost": v["lost"], "period_s": _seconds(v["period_s"])},
}
"""Store event values (flight_sw.storage.store / scrubber) as the dictionary's fields: the core
event 5 has (address, count); names are fixed fields; durations whole milliseconds."""

_STATE_COUNT = {ObjectState.INTACT: "intact", ObjectState.REPAIRED: "repaired",
                ObjectState.LOST: "lost"}


def _list_reports(entries: Sequence[ObjectInfo]) -> Iterator[bytes]:
    """(128,3) reports of at most MAX_REPORT_DATA octets (one, empty, for no entry)."""
    encoded = [encode_report(layout.LIST_ENTRY, {
        "object_name": e.name, "size": e.size, "state": int(e.state), **_at_rest_fields(e)})
        for e in entries]
    room = MAX_REPORT_DATA - len(encode_report(layout.LIST_HEADER, {
        "total": 0, "first": 0, "count": 0}))
    first = 0
    while True:
        end, used = first, 0
        while end < len(encoded) and (end == first or used + len(encoded[end]) <= room):
            used += len(encoded[end])
            end += 1
        yield encode_report(layout.LIST_HEADER, {
            "total": len(encoded), "first": first, "count": end - first,
        }) + b"".join(encoded[first:end])
        first = end
        if first >= len(encoded):
            return


def _text(arguments: Arguments, name: str) -> str:
    value = arguments[name]
    if not isinstance(value, str):
        raise CommandError(ErrorCode.INVALID_APPLICATION_DATA, f"{name} is not a string")
    return value


def _octets(arguments: Arguments) -> bytes:
    value = arguments["data"]
    if not isinstance(value, bytes):
        raise CommandError(ErrorCode.INVALID_APPLICATION_DATA, "data is not an octet string")
    return value


def _object_name(arguments: Arguments) -> str:
    return _text(arguments, "object_name")


def _u32(value: int) -> int:
    """A counter clamped into a uint32 field."""
    return min(max(int(value), 0), UINT32_MAX)


def _progress(health: StoreHealth) -> int:
    """Scrub progress in 0.5 % steps (0..200)."""
    fraction = health.scrub_progress if math.isfinite(health.scrub_progress) else 0.0
    return min(max(round(fraction * 200), 0), 200)
