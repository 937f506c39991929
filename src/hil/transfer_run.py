"""The file-transfer reliability run: many files up to the payload's object store and back by
CFDP class 2 (CCSDS 727.0-B-5) over a noisy, lossy, interrupted link, in simulated time.

Both ends run the project's real code: on the ground the station's CFDP entity
(:class:`ground_sw.transfers.FileTransfers`) over :class:`ccsds.ground_link.GroundLink`
(FOP-1, CLTUs); on board the flight software's
:class:`~flight_sw.file_transfer.FileTransfer` over an
:class:`~flight_sw.storage.store.ObjectStore`, behind :class:`ccsds.board_link.BoardUplink`
(FARM-1) and :class:`~ccsds.board_link.BoardDownlink` (VC mux, RS, ASM). Between them two
:class:`hil.sim_link.SimulatedLink` directions carry the octets at their line rates with the
one-way light time, independent bit errors and loss-of-signal windows; on top of that each
frame (one CLTU up, one CADU down) is erased with a given probability: its line time is spent
but its octets arrive as zeros, so the receiver finds no start sequence / fails the RS decode
and the frame is lost, as when the decoder gives up on it (PROFILES.md, Links: frame error
rates up to 1e-2..1 near acquisition and loss of signal). Every file is checked by SHA-256 in
the object store after the upload and in the ground filestore after the download.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from ccsds.board_link import BoardDownlink, BoardUplink
from ccsds.cfdp import MemoryFilestore
from ccsds.config import LinkConfig
from ccsds.cop1 import AlertReason, Directive
from ccsds.ground_link import GroundLink
from firmware_stubs.board.memory import MemoryRegion, RegionKind
from flight_sw.file_transfer import FileTransfer, TransferBusyError, TransferSettings
from flight_sw.storage.api import StorageError
from flight_sw.storage.config import StoreConfig
from flight_sw.storage.store import ObjectStore
from ground_sw.transfers import FileTransfers, Transfer
from hil.sim_link import Outage, SimulatedLink

TC_CODEBLOCK = (7, 8)
"""BCH(63,56) codeblock: 7 information octets in 8 on the line (CCSDS 231.0-B-4 3.3)."""
CLTU_FRAMING = 2 + 8
"""CLTU start sequence and tail sequence octets (231.0-B-4 4.3)."""


class TransferRunError(ValueError):
    """Settings the run cannot use."""


@dataclass(frozen=True)
class LinkSettings:
    """The simulated link (defaults: lunar S-band, PROFILES.md Links; 10 % frame loss)."""

    uplink_bps: float = 100_000.0
    downlink_bps: float = 1_000_000.0
    one_way_delay_s: float = 1.28
    uplink_ber: float = 1e-5
    downlink_ber: float = 1e-5
    frame_loss: float = 0.10
    """Probability that one CLTU (up) or CADU (down) is erased."""
    tick_s: float = 0.01
    idle_frame_interval_s: float = 0.1
    fop_window: int | None = None
    """FOP-1 sliding window K (None: sized for the round trip, see :func:`link_config`)."""
    rs_check_symbols: int | None = None
    """TM Reed-Solomon 2E: 32 or 16 (None: the ICD baseline); the frame length follows
    (131.0-B-5 4.3: (255 - 2E) x interleave depth)."""

    def __post_init__(self) -> None:
        for name in ("uplink_bps", "downlink_bps", "tick_s", "idle_frame_interval_s"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) > 0):
                raise TransferRunError(f"{name} must be positive, not {getattr(self, name)}")
        if not (math.isfinite(self.one_way_delay_s) and self.one_way_delay_s >= 0):
            raise TransferRunError(f"one_way_delay_s {self.one_way_delay_s} must be >= 0")
        for name in ("uplink_ber", "downlink_ber", "frame_loss"):
            if not 0 <= getattr(self, name) < 1:
                raise TransferRunError(f"{name} {getattr(self, name)} outside [0, 1)")
        if self.fop_window is not None and not 1 <= self.fop_window <= 127:
            raise TransferRunError(f"fop_window {self.fop_window} outside 1..127")
        if self.rs_check_symbols not in (None, 16, 32):
            raise TransferRunError(f"rs_check_symbols {self.rs_check_symbols}: 16 or 32")


def cltu_octets(config: LinkConfig) -> int:
    """Line octets of a CLTU carrying a TC frame of the maximum length (231.0-B-4)."""
    info, coded = TC_CODEBLOCK
    return CLTU_FRAMING + -(-config.tc.max_frame_length // info) * coded


def link_config(link: LinkSettings) -> LinkConfig:
    """The ICD baseline with the COP-1 window and timer sized for the link (232.1-B-2 5.1.9:
    FARM-1 window W = 2 K). K covers the frames sent during a round trip (plus 0.5 s of CLCW
    reporting latency) and 4 more, so FOP-1 never stalls waiting for a CLCW, yet no more:
    a lost frame makes FOP-1 go back and resend all K (go-back-N). T1 is the round trip plus
    the window's own line time plus 2 s."""
    baseline = LinkConfig.baseline()
    frame_time = cltu_octets(baseline) * 8 / link.uplink_bps
    round_trip = 2 * link.one_way_delay_s + 0.5
    window = link.fop_window or min(127, max(5, math.ceil(round_trip / frame_time) + 4))
    overrides: dict[str, dict[str, object]] = {"tc": {
        "farm_window": min(254, 2 * window),
        "fop_window": window,
        "fop_timer_initial_s": round_trip + 2.0 + window * frame_time,
    }}
    if link.rs_check_symbols is not None:
        overrides["tm"] = {"rs_check_symbols": link.rs_check_symbols,
                           "frame_length": (255 - link.rs_check_symbols)
                           * baseline.tm.rs_interleave}
    return LinkConfig.from_dict(overrides)


class FrameErasure:
    """A :class:`SimulatedLink` whose frames (one :meth:`send` each) are erased with
    ``probability``: the line time is spent, zeros arrive instead of the frame."""

    def __init__(self, link: SimulatedLink, probability: float, seed: int) -> None:
        self.link = link
        self.probability = probability
        self.frames = 0
        self.erased = 0
        self._rng = np.random.default_rng(seed)

    def send(self, frame: bytes, now: float) -> None:
        self.frames += 1
        if self.probability and self._rng.random() < self.probability:
            self.erased += 1
            frame = bytes(len(frame))
        self.link.send(frame, now)


class GroundEnd:
    """The station's CFDP entity and uplink/downlink stack, with a modem queue of CLTUs."""

    def __init__(self, config: LinkConfig, up: FrameErasure, tick_s: float) -> None:
        self.config = config
        self.link = GroundLink(config)
        self.files = MemoryFilestore()
        self.transfers = FileTransfers(config, self.files, self._send_packet,
                                       uplink_backlog=lambda: self.link.uplink.queued,
                                       ack_interval=8.0, ack_limit=30, nak_interval=8.0,
                                       nak_limit=30, check_interval=8.0, check_limit=30,
                                       inactivity_interval=900.0)
        self.up = up
        self.tick_s = tick_s
        self.modem: deque[bytes] = deque()
        self.fop_restarts = 0
        self._now = 0.0

    def _send_packet(self, packet: bytes) -> None:
        self.modem.extend(self.link.uplink.send_packet(packet, self._now))

    def start(self, now: float) -> None:
        """Initiate the AD service of COP-1."""
        self.modem.extend(self.link.uplink.start(now))

    def _restart(self, now: float) -> list[bytes]:
        """A FOP-1 alert ended the AD service (232.1-B-2 5.2.15): initiate it again. After a
        lockout with Unlock (FARM-1 ignores Set V(R) while locked out); otherwise with Set
        V(R) := V(S), which FARM-1 takes whatever frames the alert purged, so FOP-1 and
        FARM-1 agree on the next frame number at once. CFDP recovers the purged data."""
        uplink = self.link.uplink
        lockout = AlertReason.LOCKOUT in uplink.alerts
        uplink.alerts.clear()
        self.fop_restarts += 1
        if lockout:
            return uplink.start(now, Directive.INITIATE_AD_WITH_UNLOCK)
        return uplink.start(now, Directive.INITIATE_AD_WITH_SET_VR, uplink.fop.vs)

    def step(self, now: float, downlinked: bytes) -> None:
        """Take downlink octets, run FOP-1 and CFDP, put CLTUs on the line."""
        self._now = now
        uplink = self.link.uplink
        packets, cltus = self.link.receive(downlinked, now)
        self.modem.extend(cltus)
        for received in packets:
            if received.virtual_channel == self.config.tm.vc_bulk:
                self.transfers.receive(received.packet, now)
        if uplink.alerts:
            self.modem.extend(self._restart(now))
        self.modem.extend(uplink.poll(now))
        self.transfers.poll(now)
        link = self.up.link
        while self.modem and link.backlog_s(now) < self.tick_s:
            self.up.send(self.modem.popleft(), now)


class BoardEnd:
    """The flight software's file transfer over its object store, behind the board link."""

    def __init__(self, config: LinkConfig, down: FrameErasure, link: LinkSettings,
                 store_octets: int, *, settings: TransferSettings | None = None) -> None:
        self.config = config
        region = MemoryRegion.in_memory("mass", RegionKind.NAND, store_octets)
        self.now = 0.0
        self.store = ObjectStore.open(region, StoreConfig(), clock=lambda: self.now)
        self.uplink = BoardUplink(config)
        self.downlink = BoardDownlink(config)
        self.transfer = FileTransfer(
            config, self.store,
            lambda packet: self.downlink.queue_packet(config.tm.vc_bulk, packet),
            settings=settings or TransferSettings(ack_limit=30, nak_limit=30, check_limit=30,
                                                  inactivity_interval=900.0))
        self.down = down
        self.tick_s = link.tick_s
        self.idle_interval_s = link.idle_frame_interval_s
        self._last_cadu = -math.inf

    def step(self, now: float, uplinked: bytes) -> None:
        """Take uplink octets, run CFDP, put CADUs (data, else idle with the CLCW) on the line."""
        self.now = now
        for packet in self.uplink.feed(uplinked):
            self.transfer.receive_packet(packet, now)
        self.transfer.poll(now, self.transfer.budget(self.downlink.pending()))
        link = self.down.link
        while link.backlog_s(now) < self.tick_s:
            cadu = self.downlink.take_cadus(self.uplink.clcw(), max_frames=1)
            if not cadu:
                if now - self._last_cadu < self.idle_interval_s:
                    break
                cadu = self.downlink.idle_cadu(self.uplink.clcw())
            self.down.send(cadu, now)
            self._last_cadu = now


@dataclass
class PhaseResult:
    """One direction's transfers."""

    files: int = 0
    octets: int = 0
    intact: int = 0
    failed: list[str] = field(default_factory=list)
    """Names whose transfer ended with a fault, or arrived different."""
    unfinished: list[str] = field(default_factory=list)
    start_s: float = 0.0
    end_s: float = 0.0

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def goodput_bps(self) -> float:
        """File bits delivered intact per second of the phase."""
        return 0.0 if self.duration_s <= 0 else self.octets * 8 / self.duration_s * (
            self.intact / self.files if self.files else 0.0)


class TransferRig:
    """Ground and board ends joined by the two simulated, impaired link directions."""

    def __init__(self, link: LinkSettings, *, seed: int = 1, store_octets: int = 64 << 20,
                 outages: tuple[Outage, ...] = (),
                 board_settings: TransferSettings | None = None) -> None:
        self.settings = link
        self.config = link_config(link)
        self.up = FrameErasure(SimulatedLink(link.uplink_bps, link.one_way_delay_s,
                                             link.uplink_ber, outages, seed=seed),
                               link.frame_loss, seed + 2)
        self.down = FrameErasure(SimulatedLink(link.downlink_bps, link.one_way_delay_s,
                                               link.downlink_ber, outages, seed=seed + 1),
                                 link.frame_loss, seed + 3)
        self.ground = GroundEnd(self.config, self.up, link.tick_s)
        self.board = BoardEnd(self.config, self.down, link, store_octets,
                              settings=board_settings)
        self.now = 0.0
        self.ground.start(self.now)

    def add_outage(self, outage: Outage) -> None:
        """Loss of signal in both directions from ``outage.start`` (simulated seconds)."""
        for direction in (self.up.link, self.down.link):
            direction.outages = (*direction.outages, outage)

    def tick(self) -> None:
        """Advance the simulated clock one tick and run both ends."""
        self.now += self.settings.tick_s
        self.ground.step(self.now, self.down.link.receive(self.now))
        self.board.step(self.now, self.up.link.receive(self.now))

    def _run_phase(self, sizes: Mapping[str, int], start: Callable[[str], Transfer],
                   check: Callable[[str], bool], *, concurrency: int,
                   deadline: float) -> PhaseResult:
        """Run transfers of ``sizes``' names, ``concurrency`` at a time, until all ended or
        the simulated clock reaches ``deadline``."""
        result = PhaseResult(len(sizes), sum(sizes.values()), start_s=self.now)
        waiting: deque[str] = deque(sizes)
        active: dict[str, Transfer] = {}
        while (waiting or active) and self.now < deadline:
            while waiting and len(active) < concurrency:
                name = waiting.popleft()
                try:
                    active[name] = start(name)
                except TransferBusyError:  # the board's transactions are all taken: later
                    waiting.appendleft(name)
                    break
                except StorageError:  # the object is gone or lost: nothing to send
                    result.failed.append(name)
            self.tick()
            for name in [name for name, transfer in active.items() if transfer.finished]:
                if active.pop(name).succeeded and check(name):
                    result.intact += 1
                else:
                    result.failed.append(name)
        result.unfinished = sorted([*waiting, *active])
        result.end_s = self.now
        return result

    def upload(self, files: Mapping[str, bytes], *, concurrency: int = 4,
               deadline: float = math.inf) -> PhaseResult:
        """Put every file into the object store by CFDP class 2 and check it there."""
        digests = {name: hashlib.sha256(data).digest() for name, data in files.items()}
        for name, data in files.items():
            self.ground.files.files[name] = bytearray(data)

        def start(name: str) -> Transfer:
            return self.ground.transfers.upload(name, name, self.now, class_=2)

        def check(name: str) -> bool:
            try:
                return hashlib.sha256(self.board.store.get(name)).digest() == digests[name]
            except StorageError:
                return False

        return self._run_phase({name: len(data) for name, data in files.items()}, start, check,
                               concurrency=concurrency, deadline=deadline)

    def download(self, digests: Mapping[str, bytes], sizes: Mapping[str, int], *,
                 concurrency: int = 4, deadline: float = math.inf) -> PhaseResult:
        """Downlink every object by a board-initiated class 2 put; check it on the ground."""

        def start(name: str) -> Transfer:
            local = f"down/{name}"
            transfer = self.ground.transfers.expect(name, local)
            try:
                self.board.transfer.downlink(name, 2, self.now, destination_name=local)
            except (TransferBusyError, StorageError):
                self.ground.transfers.forget(transfer)
                raise
            return transfer

        def check(name: str) -> bool:
            data = self.ground.files.files.get(f"down/{name}", b"")
            return hashlib.sha256(data).digest() == digests[name]

        return self._run_phase({name: sizes[name] for name in digests}, start, check,
                               concurrency=concurrency, deadline=deadline)

    def link_counters(self) -> dict[str, int]:
        """What the link and its layers did."""
        board, ground = self.board, self.ground
        sync, demux = ground.link.downlink.sync.counters, ground.link.downlink.demux.counters
        return {
            "uplink_cltus": self.up.frames, "uplink_cltus_erased": self.up.erased,
            "uplink_bits_flipped": self.up.link.stats.bits_flipped,
            "uplink_octets_lost_in_outage": self.up.link.stats.octets_lost_in_outage,
            "farm_frames_accepted": board.uplink.counters.frames_accepted,
            "farm_frames_rejected": board.uplink.counters.frames_rejected,
            "fop_frames_sent": ground.link.uplink.frames_sent,
            "fop_retransmissions": ground.link.uplink.retransmissions,
            "fop_restarts": ground.fop_restarts,
            "downlink_cadus": self.down.frames, "downlink_cadus_erased": self.down.erased,
            "downlink_bits_flipped": self.down.link.stats.bits_flipped,
            "downlink_octets_lost_in_outage": self.down.link.stats.octets_lost_in_outage,
            "rs_corrected_symbols": sync.corrected_symbols,
            "rs_uncorrectable_codeblocks": sync.uncorrectable,
            "tm_frames_lost": demux.master_frames_lost,
            "board_cfdp_completed": board.transfer.counters.completed,
            "board_cfdp_failed": board.transfer.counters.failed,
            "board_pdus_rejected": board.transfer.counters.rejected_packets,
        }


# -- the reliability run ---------------------------------------------------------------------


@dataclass(frozen=True)
class TransferRunSettings:
    """The issue's transfer run: N seeded files of varied sizes up and back."""

    files: int = 100
    min_file_octets: int = 1
    max_file_octets: int = 64 * 1024
    link: LinkSettings = field(default_factory=LinkSettings)
    outage_s: float = 30.0
    """One loss of signal in each phase, both directions, starting half-way through the
    phase's estimated line time."""
    concurrency: int = 4
    seed: int = 1
    time_limit_s: float = 7200.0

    def __post_init__(self) -> None:
        if self.files < 1 or not 0 <= self.min_file_octets <= self.max_file_octets:
            raise TransferRunError("need files >= 1 and 0 <= min_file_octets <= max")
        if not (math.isfinite(self.outage_s) and self.outage_s >= 0):
            raise TransferRunError(f"outage_s {self.outage_s} must be >= 0")
        if not 1 <= self.concurrency <= 8:
            raise TransferRunError(f"concurrency {self.concurrency} outside 1..8")


@dataclass
class TransferRunResult:
    """Outcome of the run."""

    settings: dict[str, object]
    upload: PhaseResult
    download: PhaseResult
    outages: list[dict[str, float]]
    link: dict[str, int]
    simulated_s: float
    wall_s: float

    @property
    def passed(self) -> bool:
        """Every file intact in the store and back on the ground."""
        return (self.upload.intact == self.upload.files
                and self.download.intact == self.download.files)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready record and the verdict."""
        return {**asdict(self), "passed": self.passed,
                "upload_goodput_bps": round(self.upload.goodput_bps),
                "download_goodput_bps": round(self.download.goodput_bps)}


def seeded_files(count: int, low: int, high: int, seed: int) -> dict[str, bytes]:
    """``count`` files of sizes drawn log-uniformly in ``[low, high]`` octets."""
    rng = np.random.default_rng(seed)
    sizes = np.exp(rng.uniform(math.log(max(low, 1)), math.log(max(high, 1)), count))
    return {f"run/file{index:03d}.bin": rng.bytes(max(low, int(size)))
            for index, size in enumerate(sizes)}


def _phase_outage(rig: TransferRig, octets: int, rate_bps: float, duration: float) -> Outage:
    outage = Outage(rig.now + 0.5 * octets * 8 / rate_bps, duration)
    if duration > 0:
        rig.add_outage(outage)
    return outage


def run_transfers(settings: TransferRunSettings) -> TransferRunResult:
    """Upload then download every file (see the module docstring)."""
    wall = time.perf_counter()
    files = seeded_files(settings.files, settings.min_file_octets, settings.max_file_octets,
                         settings.seed)
    total = sum(len(data) for data in files.values())
    rig = TransferRig(settings.link, seed=settings.seed, store_octets=max(16 << 20, 4 * total))
    outages = [_phase_outage(rig, total, settings.link.uplink_bps, settings.outage_s)]
    upload = rig.upload(files, concurrency=settings.concurrency,
                        deadline=settings.time_limit_s)
    stored = [name for name in files if name not in upload.failed + upload.unfinished]
    outages.append(_phase_outage(rig, total, settings.link.downlink_bps, settings.outage_s))
    download = rig.download({name: hashlib.sha256(files[name]).digest() for name in stored},
                            {name: len(files[name]) for name in stored},
                            concurrency=settings.concurrency,
                            deadline=rig.now + settings.time_limit_s)
    download.files = settings.files  # files lost on the way up count as not downloaded
    return TransferRunResult(
        {**asdict(settings), "fop_window": rig.config.tc.fop_window,
         "fop_timer_s": round(rig.config.tc.fop_timer_initial_s, 2)},
        upload, download, [asdict(outage) for outage in outages], rig.link_counters(),
        rig.now, time.perf_counter() - wall)


# -- command line (``hil transfer-run``) -----------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``hil transfer-run``."""
    run_defaults, link_defaults = TransferRunSettings(), LinkSettings()
    parser.add_argument("--files", type=int, default=run_defaults.files)
    parser.add_argument("--max-file-octets", type=int, default=run_defaults.max_file_octets)
    parser.add_argument("--outage", type=float, default=run_defaults.outage_s, dest="outage_s",
                        help="loss of signal in each phase, s (default %(default)s)")
    parser.add_argument("--frame-loss", type=float, default=link_defaults.frame_loss)
    parser.add_argument("--ber", type=float, default=link_defaults.uplink_ber)
    parser.add_argument("--delay", type=float, default=link_defaults.one_way_delay_s)
    parser.add_argument("--uplink-bps", type=float, default=link_defaults.uplink_bps)
    parser.add_argument("--downlink-bps", type=float, default=link_defaults.downlink_bps)
    parser.add_argument("--seed", type=int, default=run_defaults.seed)
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the result as JSON")


def _summary(result: TransferRunResult) -> str:
    up, down, link = result.upload, result.download, result.link
    return (f"{'PASS' if result.passed else 'FAIL'}: {up.files} files, {up.octets} octets; "
            f"upload {up.intact} intact in {up.duration_s:.0f} s, download {down.intact} "
            f"intact in {down.duration_s:.0f} s (simulated; {result.wall_s:.1f} s wall); "
            f"CLTUs erased {link['uplink_cltus_erased']}/{link['uplink_cltus']}, CADUs erased "
            f"{link['downlink_cadus_erased']}/{link['downlink_cadus']}, FOP-1 "
            f"retransmissions {link['fop_retransmissions']}; failed "
            f"{up.failed + down.failed}, unfinished {up.unfinished + down.unfinished}")


def run(args: argparse.Namespace) -> int:
    """Run ``hil transfer-run``; 0 when every file came back intact."""
    try:
        link = LinkSettings(uplink_bps=args.uplink_bps, downlink_bps=args.downlink_bps,
                            one_way_delay_s=args.delay, uplink_ber=args.ber,
                            downlink_ber=args.ber, frame_loss=args.frame_loss)
        known = {item.name for item in fields(TransferRunSettings)}
        settings = TransferRunSettings(link=link, **{
            name: value for name, value in vars(args).items() if name in known})
    except TransferRunError as exc:
        print(f"hil transfer-run: {exc}")
        return 2
    result = run_transfers(settings)
    print(_summary(result))
    if args.json:
        args.json.write_text(json.dumps(result.as_dict(), indent=1))
    return 0 if result.passed else 1
