"""The scripting API: a ground station connected to a board, for operators and tests.

    with GroundStation.connect("/dev/ttyUSB0", dictionary="mission.json") as gs:
        gs.send_and_assert("TEST_ARE_YOU_ALIVE")
        gs.wait_telemetry("MODE", "NOMINAL", timeout=5)
        gs.await_event("BOOT", timeout=30)

Commands are sent by name with typed arguments validated against the mission dictionary
before anything is sent; service 1 reports (ECSS-E-ST-70-41C 6.1) are tracked per command;
telemetry and events are decoded from TM(3,25), TM(20,2) and TM(5,x); files move by CFDP
(CCSDS 727.0-B-5) class 1 or 2. Every wait takes a timeout and raises a
:class:`~ground_sw.errors.GroundTimeoutError` subclass when it runs out.
"""

from __future__ import annotations

import itertools
import logging
import shutil
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from ccsds.config import LinkConfig
from ccsds.mission_db import DictionaryError
from ccsds.pus import AckFlags
from ccsds.pus_types import Value
from ground_sw.commanding import Commander
from ground_sw.decom import Decoded, DecomCounters, Decommutator, VerificationReport
from ground_sw.dictionary import (
    Dictionary,
    DictionaryMismatch,
    DictionarySource,
    resolve_dictionary,
)
from ground_sw.errors import (
    CriticalCommandError,
    EventTimeout,
    LinkError,
    TelemetryAssertionError,
    TelemetryTimeout,
    UnknownTelemetryError,
)
from ground_sw.filestore import DirectoryFilestore
from ground_sw.link import LinkPort, LinkStatus
from ground_sw.records import (
    CommandRecord,
    EventRecord,
    Listener,
    Outcome,
    PacketRecord,
    ParameterSample,
    Record,
)
from ground_sw.transfers import FileTransfers, ProgressCallback, Transfer
from ground_sw.verification import CommandHandle, outcome_of

log = logging.getLogger(__name__)

BOOT_EVENT = "BOOT"
HASH_FIELD = "dictionary_hash"
HASH_PARAMETER = "DICTIONARY_HASH"
"""A housekeeping parameter carrying the hash, checked when the dictionary defines it."""
EVENT_HISTORY = 4096
COMMAND_HISTORY = 4096
"""Sent commands whose verification reports are still matched to their handles."""
DOWNLINK_COMMAND = "STORE_DOWNLINK"
"""The storage service command (128,8) that starts a board-initiated CFDP put."""

ANY: Any = object()
"""The default ``value`` of the telemetry waits: any value."""
TelemetryPredicate = Callable[[Value], bool]


OFFLINE_URL = "loop://"
"""The port of an offline station (never opened)."""


class GroundStation:
    """One ground station session on one link port."""

    def __init__(self, url: str, dictionary: DictionarySource = None,
                 config: LinkConfig | None = None, *, files_dir: str | Path | None = None,
                 baudrate: int = 115200, clock: Callable[[], float] = time.time) -> None:
        self.dictionary: Dictionary = resolve_dictionary(dictionary)
        self.config = config or LinkConfig.baseline()
        self.clock = clock
        database = self.dictionary.database
        self.commander = Commander(database, self.config)
        self.decom = Decommutator(database, self.config)
        self._condition = threading.Condition()
        self._listeners: list[Listener] = []
        self._handles: dict[tuple[int, int], CommandHandle] = {}
        self._latest: dict[str, ParameterSample] = {}
        self._events: deque[EventRecord] = deque(maxlen=EVENT_HISTORY)
        self._mismatch: DictionaryMismatch | None = None
        self._board_hash: str | None = None
        self._temporary: tempfile.TemporaryDirectory[str] | None = None
        if files_dir is None:
            self._temporary = tempfile.TemporaryDirectory(prefix="ground-files-")
            files_dir = self._temporary.name
        self.files = DirectoryFilestore(files_dir)
        self._staged = itertools.count()
        self.link = LinkPort(url, self.config, on_frame=self._dispatch,
                             on_packet=self._on_packet, on_tick=self._on_tick,
                             baudrate=baudrate, clock=clock)
        self.transfers = FileTransfers(self.config, self.files, self.link.send_packet,
                                       uplink_backlog=lambda: self.link.link.uplink.queued)

    # -- life cycle ------------------------------------------------------------------------

    @classmethod
    def connect(cls, url: str, dictionary: DictionarySource = None,
                config: LinkConfig | None = None, *, link_timeout: float | None = None,
                **options: Any) -> GroundStation:
        """Open a station on ``url`` (any pyserial URL: a device, a pty path, socket://).

        ``dictionary``: a JSON export path, a MissionDatabase, a Dictionary, or None for
        the installed flight software's export. With ``link_timeout``, also wait until
        FOP-1 is initialised from the board's CLCW (LinkError otherwise).
        """
        station = cls(url, dictionary, config, **options)
        station.start(link_timeout)
        return station

    @classmethod
    def offline(cls, dictionary: DictionarySource = None,
                config: LinkConfig | None = None) -> GroundStation:
        """A station that opens no port: feed it recorded packets through :meth:`on_record`
        (a replay of an archive or of a raw capture) and use the same telemetry and event
        API as on a live link."""
        return cls(OFFLINE_URL, dictionary, config)

    def on_record(self, record: Record) -> None:
        """Take a replayed record as if it had come from the link: packets are decoded and
        update telemetry, events and waiters; decoded records are left alone, since the
        packets they came from are decoded here again."""
        if isinstance(record, PacketRecord):
            self._on_packet(record)

    def open(self) -> None:
        """Open the port and start the link threads (LinkError if the port cannot open)."""
        self.link.open()

    def start(self, link_timeout: float | None = None) -> None:
        """:meth:`open`, then with ``link_timeout`` :meth:`wait_link`; closed again if
        either fails, so a station that did not start holds no port or thread."""
        try:
            self.open()
            if link_timeout is not None:
                self.wait_link(link_timeout)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop the link and release the port (and the temporary file directory)."""
        self.link.close()
        if self._temporary is not None:
            self._temporary.cleanup()
            self._temporary = None

    def __enter__(self) -> GroundStation:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def add_listener(self, listener: Listener) -> None:
        """Give every record from now on to ``listener`` (archive, console, bridge)."""
        with self._condition:
            self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        """Stop giving records to ``listener``."""
        with self._condition:
            self._listeners.remove(listener)

    def wait_link(self, timeout: float = 10.0) -> LinkStatus:
        """Wait until the uplink is usable (FOP-1 initialised from a CLCW)."""
        if not self.link.wait_ready(timeout):
            status = self.link.status()
            reason = "FARM-1 lockout: confirm with unlock()" if status.awaiting_unlock \
                else f"{status.frames} frames received"
            raise LinkError(f"link {self.link.url} not ready within {timeout} s ({reason})")
        return self.link.status()

    def link_status(self) -> LinkStatus:
        """Sync lock, RS corrections, lost frames, FOP-1 state, V(S), N(R), CLCW flags."""
        return self.link.status()

    @property
    def decom_counters(self) -> DecomCounters:
        """Packets decoded and rejected by reason."""
        return self.decom.counters

    def unlock(self, *, confirm: bool = False) -> None:
        """Recover from a FARM-1 lockout (BC Unlock); the operator must confirm."""
        if not confirm:
            raise CriticalCommandError("unlock needs confirm=True (operator confirmation)")
        self.link.unlock()

    # -- dictionary check ------------------------------------------------------------------

    @property
    def dictionary_mismatch(self) -> DictionaryMismatch | None:
        """Set when the board reported another dictionary hash than the ground's."""
        return self._mismatch

    @property
    def board_dictionary_hash(self) -> str | None:
        """The hash the board last reported (hex), None before its BOOT event."""
        return self._board_hash

    def _check_hash(self, reported: Value, where: str) -> None:
        if not isinstance(reported, bytes | str):
            return
        hex_hash = reported.hex() if isinstance(reported, bytes) else reported.lower()
        self._board_hash = hex_hash
        if self.dictionary.matches(reported):
            self._mismatch = None
            return
        self._mismatch = DictionaryMismatch(self.dictionary.hash, hex_hash, where)
        log.warning("%s", self._mismatch)

    # -- commanding ------------------------------------------------------------------------

    def send(self, command: str, /, arguments: Mapping[str, Value] | None = None, *,
             confirm: bool = False, expedited: bool = False, ack: AckFlags = AckFlags.ALL,
             **values: Value) -> CommandHandle:
        """Validate and send a command by name; returns its handle at once.

        Arguments come as keywords or (for names such as ``class`` or ``timeout``) in
        ``arguments``. Raises UnknownCommandError, ArgumentValidationError or
        CriticalCommandError (critical without ``confirm=True``) before sending anything.
        ``expedited`` sends on the BD service (232.1-B-2), bypassing FOP-1 sequence control.
        """
        merged = {**(arguments or {}), **values}
        prepared = self.commander.prepare(command, merged, confirm=confirm, ack=ack)
        now = self.clock()
        handle = CommandHandle(prepared, now, self._condition)
        with self._condition:
            self._handles.pop(prepared.request, None)  # a sequence count used again
            self._handles[prepared.request] = handle
            if len(self._handles) > COMMAND_HISTORY:
                del self._handles[next(iter(self._handles))]
        self._dispatch(CommandRecord(now, prepared.request, handle.name, prepared.arguments,
                                     Outcome.SENT))
        self.link.send_packet(prepared.tc.encode(), expedited=expedited)
        return handle

    def send_and_assert(self, command: str, /, arguments: Mapping[str, Value] | None = None,
                        *, timeout: float = 10.0, confirm: bool = False,
                        **values: Value) -> CommandHandle:
        """Send a command and wait for its completion report: VerificationFailed (with the
        error code name) on a failure report, VerificationTimeout when none arrives."""
        handle = self.send(command, {**(arguments or {}), **values}, confirm=confirm)
        try:
            return handle.wait_completed(timeout)
        finally:
            if handle.outcome is Outcome.TIMED_OUT:
                self._dispatch(CommandRecord(self.clock(), handle.request, handle.name,
                                             handle.arguments, Outcome.TIMED_OUT))

    # -- telemetry -------------------------------------------------------------------------

    def _parameter_name(self, name: str) -> str:
        try:
            return self.dictionary.database.parameter(name).name
        except DictionaryError:
            raise UnknownTelemetryError(f"no parameter {name!r} in the dictionary") from None

    def latest(self, name: str) -> ParameterSample | None:
        """The last sample of a parameter, None before the first one."""
        name = self._parameter_name(name)
        with self._condition:
            return self._latest.get(name)

    def telemetry(self, name: str) -> Value | None:
        """The latest engineering value of a parameter (None before the first sample)."""
        sample = self.latest(name)
        return None if sample is None else sample.engineering

    def wait_telemetry(self, name: str, value: Value = ANY, *,
                       predicate: TelemetryPredicate | None = None, timeout: float = 10.0,
                       since: float | None = None) -> ParameterSample:
        """Wait for a sample of ``name`` (received at or after ``since``, when given) whose
        engineering value equals ``value`` and satisfies ``predicate``; TelemetryTimeout."""
        name = self._parameter_name(name)

        def wanted() -> ParameterSample | None:
            sample = self._latest.get(name)
            if sample is None or (since is not None and sample.time < since):
                return None
            if value is not ANY and sample.engineering != value:
                return None
            if predicate is not None and not predicate(sample.engineering):
                return None
            return sample

        with self._condition:
            found = self._condition.wait_for(wanted, timeout)
            last = self._latest.get(name)
        if found is None:
            seen = "no sample" if last is None else f"last value {last.engineering!r}"
            wanted_text = "" if value is ANY else f" == {value!r}"
            raise TelemetryTimeout(f"{name}{wanted_text}: not within {timeout} s ({seen})")
        return found

    def assert_telemetry(self, name: str, value: Value = ANY, *,
                         predicate: TelemetryPredicate | None = None, timeout: float = 10.0,
                         since: float | None = None, limit: str | None = None,
                         ) -> ParameterSample:
        """pytest-style: the value (and limit state, e.g. "NOMINAL") is seen within
        ``timeout``, else TelemetryAssertionError (an AssertionError)."""
        def meets(engineering: Value) -> bool:
            return predicate is None or predicate(engineering)

        try:
            sample = self.wait_telemetry(name, value, predicate=meets, timeout=timeout,
                                         since=since)
        except TelemetryTimeout as exc:
            raise TelemetryAssertionError(str(exc)) from None
        if limit is not None and sample.limit != limit:
            raise TelemetryAssertionError(f"{name} = {sample.engineering!r} is {sample.limit},"
                                          f" expected {limit}")
        return sample

    # -- events ----------------------------------------------------------------------------

    def events(self, name: str | None = None) -> list[EventRecord]:
        """The events kept (the last EVENT_HISTORY), optionally only those called ``name``."""
        with self._condition:
            return [e for e in self._events if name is None or e.name == name]

    def await_event(self, name: str, timeout: float = 10.0, *, since: float | None = None,
                    **match: Value) -> EventRecord:
        """The first event ``name`` (received at or after ``since``; None: any kept) whose
        values include ``match`` (enumerations by label); EventTimeout otherwise."""
        try:
            self.dictionary.database.event(name)
        except DictionaryError:
            raise UnknownTelemetryError(f"no event {name!r} in the dictionary") from None

        def found() -> EventRecord | None:
            return next((e for e in self._events
                         if e.name == name and (since is None or e.time >= since)
                         and all(e.values.get(k) == v for k, v in match.items())), None)

        with self._condition:
            event = self._condition.wait_for(found, timeout)
        if event is None:
            raise EventTimeout(f"event {name}{' ' + str(match) if match else ''} not received "
                               f"within {timeout} s")
        return event

    # -- files -----------------------------------------------------------------------------

    def upload(self, local_path: str | Path, object_name: str, *, class_: int = 2,
               timeout: float = 120.0, progress: ProgressCallback | None = None) -> Transfer:
        """Send a local file to the payload by CFDP (Put.request); waits for the end.

        Raises TransferTimeout or TransferFailed (fault condition); the staged copy in the
        ground filestore is removed afterwards.
        """
        staged = f"outgoing/{next(self._staged)}-{Path(local_path).name}"
        shutil.copyfile(local_path, self._staged_path(staged))
        try:
            transfer = self.transfers.upload(staged, object_name, self.link.monotonic(),
                                             class_=class_, progress=progress)
            return transfer.wait(timeout)
        finally:
            self.files.path(staged).unlink(missing_ok=True)

    def _staged_path(self, name: str) -> Path:
        path = self.files.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def download(self, object_name: str, local_path: str | Path, *, class_: int = 2,
                 timeout: float = 120.0, progress: ProgressCallback | None = None,
                 command: str = DOWNLINK_COMMAND,
                 arguments: Mapping[str, Value] | None = None) -> Transfer:
        """Ask the board to send ``object_name`` and receive its CFDP transaction into
        ``local_path``; waits for the end.

        ``command`` (STORE_DOWNLINK, (128,8)) gets object_name, destination_name (a staging
        name in the ground filestore) and transmission_class unless ``arguments`` are given.
        Raises VerificationFailed if the board refuses the command, TransferTimeout or
        TransferFailed as :meth:`upload` does.
        """
        staged = f"incoming/{next(self._staged)}-{Path(object_name).name or 'object'}"
        values: dict[str, Value] = dict(arguments) if arguments is not None else {
            "object_name": object_name, "destination_name": staged,
            "transmission_class": class_}
        expected = self.transfers.expect(object_name, staged, progress)
        try:
            self.send(command, values).wait_completed(timeout)
        except Exception:
            self.transfers.forget(expected)
            raise
        transfer = expected.wait(timeout)
        stored = self.files.path(transfer.stored_name or staged)
        Path(local_path).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(stored, local_path)
        return transfer

    # -- reader thread ---------------------------------------------------------------------

    def _on_tick(self, _: float) -> None:
        self.transfers.poll(self.link.monotonic())

    def _on_packet(self, received: PacketRecord) -> None:
        if received.apid == self.config.packets.apid_cfdp:
            self.transfers.receive(received.packet, self.link.monotonic())
            self._dispatch(received)
            return
        decoded = self.decom.decode(received.virtual_channel, received.packet, received.time)
        records: list[Record] = [decoded.packet]
        with self._condition:
            records += self._take(decoded)
            self._condition.notify_all()
        for record in records:
            self._dispatch(record)

    def _take(self, decoded: Decoded) -> list[Record]:
        """Update the station's state from a decoded packet (condition held)."""
        records: list[Record] = []
        for sample in decoded.samples:
            self._latest[sample.name] = sample
            if sample.name == HASH_PARAMETER:
                self._check_hash(sample.raw, "housekeeping")
            records.append(sample)
        if decoded.event is not None:
            self._events.append(decoded.event)
            if decoded.event.name == BOOT_EVENT and HASH_FIELD in decoded.event.values:
                self._check_hash(decoded.event.values[HASH_FIELD], "the BOOT event")
            records.append(decoded.event)
        if decoded.verification is not None:
            records.append(self._verified(decoded.verification))
        return records

    def _verified(self, report: VerificationReport) -> CommandRecord:
        handle = self._handles.get(report.request)
        if handle is not None:
            handle.add(report)
        name = handle.name if handle is not None else "UNKNOWN"
        arguments = handle.arguments if handle is not None else {}
        return CommandRecord(report.time, report.request, name, arguments, outcome_of(report),
                             report.subtype, report.error_code)

    def _dispatch(self, record: Record) -> None:
        with self._condition:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener.on_record(record)
            except Exception:  # one faulty listener must not stop the others or the link
                log.exception("listener %r failed", listener)
