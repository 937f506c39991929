"""The mission demo (``hil demo``): the payload's main job, end to end, with the real parts.

An emulated board (``flight-sw run`` in a subprocess behind a pty, fault injection allowed,
:class:`~hil.boards.emulated.EmulatedBoardSession`) sits behind the bench's link channel
(:class:`~hil.channel.SerialProxy`) at a profile's settings (lunar transit: 1.28 s one way,
64 kbit/s up at BER 1e-5, 2 Mbit/s down at BER 1e-6, Gilbert-Elliott bursts), and the ground
station (:class:`~ground_sw.station.GroundStation`, archive attached) drives the mission as
an operator would:

1. connect, see the BOOT event and check the dictionary hash it carries (docs/ground.md);
2. upload a generated file by CFDP class 2 (CCSDS 727.0-B-5);
3. run compute jobs on it (service 129: SHA-256 and zlib compression), checked locally;
4. an accelerated radiation soak: the profile's upset schedule (:mod:`hil.radiation`) over
   the store's raw region, delivered as fault-injection commands (service 131) while the
   patrol scrubber runs at a tightened period (service 128);
5. read back and verify every object (STORE_VERIFY_ALL), then the scrub report;
6. download the object by CFDP class 2 and compare SHA-256.

The result is a summary dictionary (JSON-ready); :mod:`hil.demo_report` draws it with the
archive. Progress goes to a callback; nothing here prints.
"""

from __future__ import annotations

import hashlib
import math
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ccsds.config import LinkConfig
from ccsds.errors import DecodeError
from ccsds.pus import PusTm
from ccsds.timecode import CucFormat
from ground_sw.archive import Archive
from ground_sw.records import PacketRecord, ParameterSample, Record
from ground_sw.station import GroundStation
from ground_sw.verification import CommandHandle
from hil.boards.emulated import EmulatedBoardSession
from hil.boards.relay import PtyRelay
from hil.channel import ChannelConfig, PassSchedule, SerialProxy, channel_config
from hil.demo_report import write_report
from hil.profiles import load_profile
from hil.radiation import EnvironmentModel, Injector, MemorySpec, UpsetKind, UpsetSchedule

Progress = Callable[[str], None]

STORE_REGION = "nand"
"""The raw region under the object store on the emulated board (docs/icd.md section 13)."""
OBJECT = "archive.dat"
POSITIONS_PER_COMMAND = 100
"""Bit positions per FAULT_FLIP_BITS / FAULT_STICK_BITS: one TC frame each (ICD section 2)."""
SECONDS_PER_YEAR = 365.25 * 86_400
DIAGNOSTICS_HK, STORAGE_HK, FILE_TRANSFER_HK = 3, 4, 6
"""Housekeeping structures with the EDAC, scrubber and CFDP counters (ICD sections 11, 12)."""
UPLOAD_RECEIVED = "CFDP_OCTETS_RECEIVED"
"""File data octets the board's CFDP entity received (ICD section 12)."""
PROGRESS_POINTS = 100
"""Transfer progress samples kept in the summary."""


class DemoSettingsError(ValueError):
    """A demo setting out of range (the message names each one)."""


class ReportDecodeError(DecodeError):
    """A mission report whose source data does not match its layout."""


# -- mission reports the ground's decommutator leaves as packets -----------------------------

Layout = tuple[tuple[str, str], ...]
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
        """The first report of ``kind`` received at or after ``since`` satisfying ``match``."""
        def found() -> dict[str, Any] | None:
            return next((values for when, got, values in self._reports
                         if got == kind and when >= since and match(values)), None)

        with self._condition:
            report = self._condition.wait_for(found, timeout)
        if report is None:
            raise TimeoutError(f"no TM{kind} report within {timeout} s")
        return report


# -- fault-injection commands from the radiation schedule -----------------------------------

@dataclass
class InjectionLog:
    """What the bench sent to the board as fault-injection commands."""

    events: int = 0
    bits_flipped: int = 0
    bits_stuck: int = 0
    commands: int = 0
    timeline: list[tuple[float, int]] = field(default_factory=list)
    """(ground time, bits touched by the commands sent then)."""


class FaultCommander:
    """The :class:`~hil.radiation.Injector`'s ``inject`` callable: collects each event's bit
    positions and, on :meth:`flush`, sends them as FAULT_FLIP_BITS (131,1) and
    FAULT_STICK_BITS (131,4) commands (critical, so confirmed), without waiting."""

    def __init__(self, station: GroundStation, schedule: UpsetSchedule) -> None:
        self.station = station
        self.log = InjectionLog()
        self.handles: list[CommandHandle] = []
        self.skipped: dict[str, int] = {}
        """Device events (SEFI, latch-up) the demo does not deliver, by kind."""
        self._flips: dict[str, list[int]] = {}
        self._stuck: dict[tuple[str, int], list[int]] = {}
        self._stuck_values = {(event.region, event.positions[0]): event.stuck_value or 0
                              for event in schedule if event.kind is UpsetKind.STUCK}

    def __call__(self, region: str, kind: UpsetKind, positions: NDArray[np.int64]) -> None:
        self.log.events += 1
        bits = [int(p) for p in positions]
        if kind in (UpsetKind.BIT, UpsetKind.CLUSTER):
            self._flips.setdefault(region, []).extend(bits)
        elif kind is UpsetKind.STUCK:
            value = self._stuck_values[(region, bits[0])]
            self._stuck.setdefault((region, value), []).extend(bits)
        else:
            self.skipped[kind.value] = self.skipped.get(kind.value, 0) + 1

    def flush(self) -> int:
        """Send what was collected; returns the bits sent."""
        sent = 0
        for region, positions in self._flips.items():
            sent += self._send("FAULT_FLIP_BITS", {"region": region}, positions)
            self.log.bits_flipped += len(positions)
        for (region, value), positions in self._stuck.items():
            sent += self._send("FAULT_STICK_BITS", {"region": region, "value": value},
                               positions)
            self.log.bits_stuck += len(positions)
        self._flips.clear()
        self._stuck.clear()
        if sent:
            self.log.timeline.append((self.station.clock(), sent))
        return sent

    def _send(self, command: str, arguments: dict[str, Any], positions: list[int]) -> int:
        for start in range(0, len(positions), POSITIONS_PER_COMMAND):
            chunk = positions[start:start + POSITIONS_PER_COMMAND]
            encoded = b"".join(p.to_bytes(8, "big") for p in chunk)
            self.handles.append(self.station.send(command, {**arguments, "positions": encoded},
                                                  confirm=True))
            self.log.commands += 1
        return len(positions)

    def wait_all(self, timeout: float) -> None:
        """Wait for every command's completion report (VerificationFailed on a failure)."""
        deadline = time.monotonic() + timeout
        for handle in self.handles:
            handle.wait_completed(max(0.1, deadline - time.monotonic()))


# -- settings and the run ---------------------------------------------------------------------

@dataclass(frozen=True)
class MissionDemoSettings:
    """What the demo does; the defaults are ``hil demo``'s (about 1.5 minutes here)."""

    file_size: int = 96 * 1024
    """At 64 kbit/s the upload takes about 18 s: the ground's CFDP entity emits its EOF at
    the start (it does not pace PDUs to the uplink) and gives up after 3 x 10 s without the
    EOF's ACK, so an upload must finish within 30 s on this link (128 KiB took 20-25 s)."""
    profile: str = "lunar-transit"
    condition: str = "worst-day"
    upset_bits: float = 8000.0
    """Expected upset bits over the soak: sets the acceleration factor of the environment."""
    soak_s: float = 30.0
    scrub_period_s: int = 10
    """STORE_SCRUB_CONTROL base period during the soak (the ICD's minimum, 10 s)."""
    storage_size: int = 4 << 20
    one_way_delay_s: float | None = None
    """Override of the profile's light time (tests); None: the profile's."""
    bursts: bool = True
    seed: int = 1
    compress_level: int = 6
    work_dir: Path | None = None
    """Board state, dictionary, mission file and archive (None: a temporary directory)."""
    capture_dir: Path | None = None
    """Keep the raw link captures (up.bin/.idx, down.bin/.idx) here."""
    report: Path | None = None
    """Write the PNG report here (None: no report)."""
    step_timeout_s: float = 150.0

    def __post_init__(self) -> None:
        problems = [text for bad, text in (
            (self.file_size < 1, f"file size {self.file_size} must be at least 1 octet"),
            (not self.soak_s > 0, f"soak {self.soak_s} s must be positive"),
            (not self.upset_bits >= 0, f"upset bits {self.upset_bits} must be >= 0"),
            (not 10 <= self.scrub_period_s <= 86_400,
             f"scrub period {self.scrub_period_s} s outside 10..86400 (ICD section 11)"),
            (self.storage_size <= 0 or self.storage_size % 8,
             f"storage size {self.storage_size} must be a positive multiple of 8"),
            (self.one_way_delay_s is not None and not self.one_way_delay_s >= 0,
             f"light time {self.one_way_delay_s} s must be >= 0")) if bad]
        if problems:
            raise DemoSettingsError("; ".join(problems))


def generated_file(size: int, seed: int) -> bytes:
    """``size`` octets of log-like text: compressible, as archive data usually is."""
    rng = np.random.default_rng(seed)
    words = np.array(["nominal", "thermal", "power", "link", "frame", "store", "scrub",
                      "upset", "repair", "job", "orbit", "lunar", "archive", "backup"])
    lines: list[str] = []
    total, index = 0, 0
    while total < size:
        picked = " ".join(words[rng.integers(0, len(words), 4)])
        line = f"{index:08d} {rng.integers(0, 1 << 20):07d} {picked} {rng.random():.6f}\n"
        lines.append(line)
        total += len(line)
        index += 1
    return "".join(lines).encode()[:size]


def mission_link_config(channel: ChannelConfig) -> LinkConfig:
    """The ICD baseline with COP-1 sized for the channel (CCSDS 232.1-B-2 5.1.9, 6.1.8.2):
    K frames cover the round trip plus 4, so the uplink stays busy (the baseline K = 5 idles
    it most of each lunar round trip); W = 2K; T1 = round trip + K frame times + 2 s. A
    larger K only lengthens go-back-N retransmissions after a lost frame."""
    baseline = LinkConfig.baseline()
    rate = channel.up.rate_bps or 1e9
    frame_s = cltu_length(baseline.tc.max_frame_length) * 8 / rate
    round_trip = channel.up.delay_s + channel.down.delay_s
    window = max(baseline.tc.fop_window, min(127, math.ceil(round_trip / frame_s) + 4))
    return LinkConfig.from_dict({"tc": {
        "farm_window": 2 * window, "fop_window": window,
        "fop_timer_initial_s": round(round_trip + window * frame_s + 2.0, 1)}})


def cltu_length(frame_octets: int) -> int:
    """Octets of the CLTU carrying a frame: start sequence, BCH(63,56) codeblocks of 7
    information octets in 8, tail (CCSDS 231.0-B-4 section 5)."""
    return 2 + math.ceil(frame_octets / 7) * 8 + 8


def mission_toml(config: LinkConfig) -> str:
    """The mission file (TOML over the ICD baseline) giving the flight software the same
    COP-1 settings as the ground."""
    tc = config.tc
    return (f"[tc]\nfarm_window = {tc.farm_window}\nfop_window = {tc.fop_window}\n"
            f"fop_timer_initial_s = {tc.fop_timer_initial_s!r}\n")


class _Steps:
    """Wall-clock spans of the demo's steps, for the summary and the report."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.start = time.time()
        self.spans: list[dict[str, Any]] = []

    @contextmanager
    def step(self, name: str, description: str) -> Iterator[None]:
        begin = time.time()
        self.progress(f"[{begin - self.start:6.1f} s] {description} ...")
        yield
        end = time.time()
        self.spans.append({"step": name, "start_s": round(begin - self.start, 2),
                           "duration_s": round(end - begin, 2)})
        self.progress(f"[{end - self.start:6.1f} s] {name}: done in {end - begin:.1f} s")


class _ProgressTracker:
    """A transfer's progress: samples for the report, a line every ``step`` of the file."""

    def __init__(self, name: str, steps: _Steps, step: float = 0.2) -> None:
        self.name, self.steps, self.step = name, steps, step
        self.samples: list[tuple[float, int]] = []
        self._next = step

    def __call__(self, octets: int, size: int | None) -> None:
        self.samples.append((round(time.time() - self.steps.start, 3), octets))
        if size and octets >= self._next * size:
            self.steps.progress(f"    {self.name}: {octets}/{size} octets")
            while self._next * size <= octets:
                self._next += self.step


class _BoardReceived:
    """A ground listener feeding an upload's tracker from the board's CFDP_OCTETS_RECEIVED
    housekeeping (the ground's own progress counts octets handed to the link)."""

    def __init__(self, tracker: _ProgressTracker, size: int, baseline: int) -> None:
        self.tracker, self.size, self.baseline = tracker, size, baseline
        self.octets = 0

    def on_record(self, record: Record) -> None:
        if isinstance(record, ParameterSample) and record.name == UPLOAD_RECEIVED:
            self.octets = min(self.size, max(0, _count(record.raw) - self.baseline))
            self.tracker(self.octets, self.size)


class MissionDemo:
    """One run of the demo; :meth:`run` returns the summary."""

    def __init__(self, settings: MissionDemoSettings, progress: Progress) -> None:
        self.settings = settings
        self.steps = _Steps(progress)
        self.profile = load_profile(settings.profile)
        channel = channel_config(self.profile, seed=settings.seed,
                                 schedule=PassSchedule.always_up(), bursts=settings.bursts)
        if settings.one_way_delay_s is not None:
            channel = replace(channel,
                              up=replace(channel.up, delay_s=settings.one_way_delay_s),
                              down=replace(channel.down, delay_s=settings.one_way_delay_s))
        self.channel = channel
        self.link_config = mission_link_config(channel)
        self.data = generated_file(settings.file_size, settings.seed)
        self.sha256 = hashlib.sha256(self.data).hexdigest()
        self.summary: dict[str, Any] = {"checks": {}}
        self.checks: dict[str, bool] = self.summary["checks"]

    # -- the bench ----------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        """Run every step; a step that fails ends the run with its check false and the
        error in the summary."""
        with ExitStack() as stack:
            work = self.settings.work_dir
            if work is None:
                work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hil-demo-")))
            work.mkdir(parents=True, exist_ok=True)
            self.work = work
            try:
                self._run_steps(stack)
            except Exception as exc:  # the summary says what failed; the CLI exits non-zero
                self.summary["error"] = f"{type(exc).__name__}: {exc}"
                self.steps.progress(f"FAILED: {self.summary['error']}")
            self._close_out()
            self.summary["verdict"] = bool(self.checks) and all(self.checks.values()) \
                and "error" not in self.summary
            self._write_report()
        return self.summary

    def _write_report(self) -> None:
        """The PNG report, drawn while the archive is still open."""
        path = self.settings.report
        if path is None or not hasattr(self, "archive"):
            return
        write_report(self.summary, self.archive, path)
        self.summary["report"] = str(path)
        self.steps.progress(f"report written to {path}")

    def _run_steps(self, stack: ExitStack) -> None:
        s = self.settings
        with self.steps.step("connect", "power on the board and connect through the link"):
            self._start(stack)
        with self.steps.step("upload", f"upload {len(self.data)} octets by CFDP class 2"):
            self._upload()
        with self.steps.step("compute", "compute jobs on board: SHA-256, zlib compression"):
            self._compute()
        with self.steps.step("radiation soak", f"radiation soak for {s.soak_s:g} s"):
            self._soak()
        with self.steps.step("verify", "read back and verify every object"):
            self._verify()
        with self.steps.step("download", "download the object by CFDP class 2"):
            self._download()

    def _start(self, stack: ExitStack) -> None:
        s = self.settings
        dictionary = self.work / "dictionary.json"
        subprocess.run([sys.executable, "-m", "flight_sw.cli", "dictionary", "--format", "json",
                        "--output", str(dictionary)], check=True, capture_output=True,
                       timeout=60)
        mission = self.work / "mission.toml"
        mission.write_text(mission_toml(self.link_config))
        down_rate = self.channel.down.rate_bps
        extra = ("--mission", str(mission)) + (
            ("--bit-rate", f"{down_rate:.0f}") if down_rate else ())
        self.board = EmulatedBoardSession(self.work / "board", storage_size=s.storage_size,
                                          extra_args=extra)
        board_url = self.board.open()
        stack.callback(self.board.close)
        relay = PtyRelay()  # the ground's port: a pty whose far end the channel opens
        relay.start()
        stack.callback(relay.close)
        self.proxy = SerialProxy(relay.board_path, board_url, self.channel,
                                 capture_dir=s.capture_dir).start()
        stack.callback(self.proxy.close)
        self.archive = Archive(self.work / "archive.sqlite")
        stack.callback(self.archive.close)
        self.station = GroundStation.connect(relay.ground_path, dictionary, self.link_config)
        stack.callback(self.station.close)
        self.station.add_listener(self.archive)
        self.reports = MissionReports(self.link_config.packets.apid_pus,
                                      self.station.decom.time_format)
        self.station.add_listener(self.reports)
        # the board booted before the channel opened its port (pyserial discards what came
        # before), so the bench power-cycles it with the ground listening
        since = self.station.clock()
        self.board.power_cycle()
        boot = self.station.await_event("BOOT", timeout=30, since=since)
        self.station.wait_link(30)
        self.checks["dictionary_hash"] = (self.station.dictionary_mismatch is None
                                          and self.station.board_dictionary_hash is not None)
        self.summary["boot"] = {"reset_cause": boot.values.get("reset_cause"),
                                "boot_count": boot.values.get("boot_count"),
                                "dictionary_hash": self.station.board_dictionary_hash}
        self.steps.progress(f"    BOOT ({boot.values.get('reset_cause')!s}), dictionary hash "
                            f"{'matches' if self.checks['dictionary_hash'] else 'DIFFERS'}")
        handles = [self.station.send("HK_MODIFY_INTERVAL", count=1, structure_id=structure,
                                     interval_ms=2000)  # EDAC, scrub and CFDP every 2 s
                   for structure in (DIAGNOSTICS_HK, STORAGE_HK, FILE_TRANSFER_HK)]
        handles.append(self.station.send("HK_ENABLE_PERIODIC", count=1,
                                         structure_id=DIAGNOSTICS_HK))
        for handle in handles:  # sent together: one round trip, not four
            handle.wait_completed(30)

    def _upload(self) -> None:
        local = self.work / "upload" / OBJECT
        local.parent.mkdir(exist_ok=True)
        local.write_bytes(self.data)
        tracker = _ProgressTracker("upload (received on board)", self.steps)
        received = _BoardReceived(tracker, len(self.data),
                                  _count(self.station.telemetry(UPLOAD_RECEIVED)))
        self.station.add_listener(received)
        begin = time.time()
        try:
            transfer = self.station.upload(local, OBJECT, class_=2,
                                           timeout=self.settings.step_timeout_s)
        finally:
            self.station.remove_listener(received)
        seconds = time.time() - begin
        tracker(len(self.data) if transfer.succeeded else received.octets, len(self.data))
        self.checks["upload"] = transfer.succeeded
        self.summary["upload"] = _transfer_summary(transfer.succeeded, len(self.data), seconds,
                                                   tracker.samples)

    def _compute(self) -> None:
        since = self.station.clock()
        submitted = {  # both jobs go up together: one round trip, not two
            "sha256": self._submit("COMPUTE_SUBMIT_SHA256", f"{OBJECT}.sha256", {}),
            "compress": self._submit("COMPUTE_SUBMIT_COMPRESS", f"{OBJECT}.zlib",
                                     {"algorithm": "ZLIB",
                                      "level": self.settings.compress_level})}
        jobs = {name: self._job_result(handle, output, since)
                for name, (handle, output) in submitted.items()}
        digest = hashlib.sha256(self.data).digest()
        self.checks["compute_sha256"] = (
            jobs["sha256"]["result_sha256"] == hashlib.sha256(digest).hexdigest()
            and jobs["sha256"]["result_size"] == len(digest))
        compressed = self.work / "download" / f"{OBJECT}.zlib"
        transfer = self.station.download(f"{OBJECT}.zlib", compressed, class_=2,
                                         timeout=self.settings.step_timeout_s)
        try:
            restored = zlib.decompress(compressed.read_bytes())
        except zlib.error:
            restored = b""
        self.checks["compute_compress"] = transfer.succeeded and restored == self.data
        packed = jobs["compress"]
        packed["ratio"] = round(len(self.data) / max(1, packed["result_size"]), 2)
        self.summary["compute"] = jobs
        self.steps.progress(f"    sha256 {jobs['sha256']['state']}, compress "
                            f"{packed['state']} ({packed['ratio']}:1, decompressed on the "
                            f"ground: {'identical' if restored == self.data else 'DIFFERS'})")

    def _submit(self, command: str, output: str,
                extra: dict[str, Any]) -> tuple[CommandHandle, str]:
        return self.station.send(command, {"input": OBJECT, "output": output, "priority": 4,
                                           "dmr": False, "progress_step": 0, **extra}), output

    def _job_result(self, handle: CommandHandle, output: str, since: float) -> dict[str, Any]:
        """Wait for the job's completion (1,7) and its final TM(129,8) report."""
        handle.wait_completed(self.settings.step_timeout_s)
        report = self.reports.wait((129, 8), 30, since=since,
                                   match=lambda r: r["output"] == output and r["state"] >= 2)
        state = report["state"]
        return {"output": output,
                "state": JOB_STATES[state] if state < len(JOB_STATES) else str(state),
                "result_size": report["result_size"],
                "result_sha256": bytes(report["result_sha256"]).hex(),
                "cpu_time_ms": report["cpu_time_ms"]}

    def _soak(self) -> None:
        s = self.settings
        station = self.station
        bits = s.storage_size * 8
        spec = MemorySpec(STORE_REGION, "nand", bits)
        rate = self.profile.radiation.rate_per_bit_s("nand", s.condition) * bits
        acceleration = s.upset_bits / (rate * s.soak_s)
        model = EnvironmentModel(self.profile, s.condition, acceleration)
        schedule = model.schedule([spec], s.soak_s, np.random.default_rng(s.seed), soc=None)
        commander = FaultCommander(station, schedule)
        injector = Injector(schedule, inject=commander)
        station.send_and_assert("STORE_SCRUB_CONTROL", enabled=True,
                                base_period_s=s.scrub_period_s, timeout=30)
        self.steps.progress(
            f"    {s.profile} {s.condition} x{acceleration:.3g} "
            f"({s.soak_s * acceleration / SECONDS_PER_YEAR:.3g} years in {s.soak_s:g} s): "
            f"{len(schedule)} events, {schedule.bits_hit()} bits "
            f"scheduled over {STORE_REGION} ({bits} bits)")
        start = time.monotonic()
        waiter = threading.Event()
        reported = 0.0
        while (elapsed := time.monotonic() - start) < s.soak_s:
            injector.advance(elapsed)
            commander.flush()
            if elapsed - reported >= 5.0:
                reported = elapsed
                self.steps.progress(f"    soak {elapsed:4.0f} s: {commander.log.bits_flipped} "
                                    f"bits flipped, {commander.log.bits_stuck} stuck, "
                                    f"EDAC corrected {station.telemetry('EDAC_CORRECTED')!s}")
            waiter.wait(min(1.0, max(0.0, s.soak_s - elapsed)))
        injector.advance(s.soak_s)
        commander.flush()
        commander.wait_all(s.step_timeout_s)
        injected_at = station.clock()
        touched = sum(_count(e.values.get("count")) for e in station.events("FAULT_INJECTED"))
        self.checks["injections_delivered"] = (
            injector.stats.inject_errors == 0
            and touched == commander.log.bits_flipped + commander.log.bits_stuck)
        station.await_event("SCRUB_PASS_DONE", timeout=4 * s.scrub_period_s + 10,
                            since=injected_at)
        self.summary["soak"] = {
            "profile": s.profile, "condition": s.condition, "acceleration": acceleration,
            "duration_s": s.soak_s, "region": STORE_REGION, "region_bits": bits,
            "events_scheduled": len(schedule), "bits_scheduled": schedule.bits_hit(),
            "events_injected": commander.log.events, "bits_flipped": commander.log.bits_flipped,
            "bits_stuck": commander.log.bits_stuck, "commands": commander.log.commands,
            "board_bits_touched": touched, "device_events_skipped": commander.skipped,
            "injector": asdict(injector.stats),
            "timeline": [(round(t - self.steps.start, 2), n) for t, n in commander.log.timeline]}

    def _verify(self) -> None:
        since = self.station.clock()
        self.station.send_and_assert("STORE_VERIFY_ALL", timeout=30)
        verify = self.reports.wait((128, 14), self.settings.step_timeout_s, since=since)
        since = self.station.clock()
        self.station.send_and_assert("STORE_SCRUB_REPORT", timeout=30)
        scrub = self.reports.wait((128, 17), 30, since=since)
        scrub["enabled"] = bool(scrub["enabled"])
        events = {name: len(self.station.events(name)) for name in (
            "BLOCK_REPAIRED", "BLOCK_LOST", "MEMORY_UNCORRECTABLE", "SCRUB_PASS_DONE")}
        self.checks["verify_no_loss"] = verify["lost"] == 0 and verify["objects"] == verify[
            "intact"] + verify["repaired"]
        self.summary["verify"] = {"verify_all": verify, "scrub": scrub, "events": events,
                                  "edac_corrected": self.station.telemetry("EDAC_CORRECTED"),
                                  "edac_uncorrectable":
                                      self.station.telemetry("EDAC_UNCORRECTABLE")}
        self.steps.progress(
            f"    {verify['objects']} objects: {verify['intact']} intact, {verify['repaired']} "
            f"repaired, {verify['lost']} lost; scrubber corrected {scrub['corrected_words']} "
            f"words, repaired {scrub['repaired_blocks']} blocks, lost {scrub['lost_blocks']}")

    def _download(self) -> None:
        local = self.work / "download" / OBJECT
        tracker = _ProgressTracker("download", self.steps)
        begin = time.time()
        transfer = self.station.download(OBJECT, local, class_=2,
                                         timeout=self.settings.step_timeout_s, progress=tracker)
        seconds = time.time() - begin
        intact = transfer.succeeded and hashlib.sha256(local.read_bytes()).hexdigest() \
            == self.sha256
        self.checks["download_sha256"] = intact
        self.summary["download"] = _transfer_summary(intact, len(self.data), seconds,
                                                     tracker.samples)

    # -- closing figures ------------------------------------------------------------------

    def _close_out(self) -> None:
        """Link figures and the archive's path, whatever happened before."""
        s = self.settings
        self.summary["start_time_unix"] = self.steps.start
        self.summary["steps"] = self.steps.spans
        self.summary["wall_time_s"] = round(time.time() - self.steps.start, 1)
        self.summary["file"] = {"name": OBJECT, "size": len(self.data), "sha256": self.sha256}
        up, down = self.channel.up, self.channel.down
        self.summary["link"] = {
            "profile": s.profile, "one_way_light_time_s": up.delay_s,
            "uplink_bps": up.rate_bps, "downlink_bps": down.rate_bps,
            "uplink_ber": up.ber, "downlink_ber": down.ber, "bursts": s.bursts,
            "fop_window": self.link_config.tc.fop_window,
            "fop_timer_s": self.link_config.tc.fop_timer_initial_s}
        if hasattr(self, "proxy"):
            self.proxy.close()  # final counters, equal to what the captures hold
            for name, stats in self.proxy.stats().items():
                self.summary["link"][f"channel_{name}"] = asdict(stats)
        if hasattr(self, "station"):
            status = self.station.link_status()
            self.summary["link"]["ground"] = {
                "frames_received": status.frames, "rs_corrected_symbols": status.rs_corrected,
                "rs_uncorrectable": status.rs_uncorrectable, "frames_lost": status.frames_lost,
                "frames_sent": status.frames_sent, "retransmissions": status.retransmissions,
                "fop_state": status.fop_state}
            self.summary["link"]["board"] = {
                name.lower(): self.station.telemetry(name)
                for name in ("CLTUS_RECEIVED", "FRAMES_ACCEPTED", "FRAMES_REJECTED",
                             "TM_FRAMES_SENT")}
            self.summary["reports_rejected"] = self.reports.rejected
            self.archive.flush(10)
            self.summary["archive"] = str(self.archive.path)
        if s.capture_dir is not None:
            self.summary["capture_dir"] = str(s.capture_dir)


def _count(value: object) -> int:
    """An integer event field (0 when absent or of another type)."""
    return value if isinstance(value, int) else 0


def _transfer_summary(ok: bool, size: int, seconds: float,
                      samples: Sequence[tuple[float, int]]) -> dict[str, Any]:
    stride = max(1, len(samples) // PROGRESS_POINTS)
    kept = list(samples[::stride])
    if samples and kept[-1] != samples[-1]:
        kept.append(samples[-1])
    return {"ok": ok, "octets": size, "time_s": round(seconds, 2),
            "goodput_bps": round(size * 8 / seconds) if seconds > 0 else None,
            "progress": kept}


def run_mission_demo(settings: MissionDemoSettings,
                     progress: Progress = lambda _: None) -> dict[str, Any]:
    """Run the mission demo; the summary's ``verdict`` is True when every check passed."""
    return MissionDemo(settings, progress).run()
