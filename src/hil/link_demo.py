"""The end-to-end link demo: a file up to the payload and back over a coded, noisy lunar link.

Both ends run the project's protocol stack (ccsds.board_link / ccsds.ground_link): CFDP
class 2 in space packets (APID 101), segmented TC frames under COP-1 (FOP-1 on ground,
FARM-1 on board) in randomized BCH-coded CLTUs up; VC 1 TM frames carrying the CLCW,
RS(255,223) I=5, randomized, with ASMs down. The link between them is simulated in time:
line rates, one-way light time, independent bit errors and a loss-of-signal window.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from ccsds.board_link import BoardDownlink, BoardUplink
from ccsds.cfdp import Entity, EntityConfig, MemoryFilestore
from ccsds.cfdp.indications import IndicationKind, TransactionId
from ccsds.config import LinkConfig
from ccsds.ground_link import GroundLink
from ccsds.spacepacket import PRIMARY_HEADER_LENGTH, PacketType, SpacePacket
from ccsds.tc_uplink import max_segment_portion
from hil.sim_link import Outage, SimulatedLink

_CFDP_PDU_OVERHEAD = 4 + 2 * 2 + 4 + 4  # fixed header, two entity ids, sequence number, offset


@dataclass
class LinkDemoSettings:
    """What the demo transfers and over which link (defaults: lunar transit, ICD baseline)."""

    file_size: int = 192 * 1024
    uplink_bps: float = 100_000.0
    downlink_bps: float = 1_000_000.0
    one_way_delay_s: float = 1.28
    uplink_ber: float = 1e-5
    downlink_ber: float = 1e-6
    outage: Outage | None = field(default_factory=lambda: Outage(start=6.0, duration=3.0))
    seed: int = 1
    tick_s: float = 0.01
    idle_frame_interval_s: float = 0.1
    time_limit_s: float = 900.0


def lunar_link_config(settings: LinkDemoSettings) -> LinkConfig:
    """The ICD baseline with COP-1 windows and timer sized for the round-trip light time."""
    frame_time = LinkConfig.baseline().tc.max_frame_length * 8 * 8 / 7 / settings.uplink_bps
    in_flight = int(2 * settings.one_way_delay_s / frame_time) + 4
    window = min(127, max(5, 2 * in_flight))
    return LinkConfig.from_dict({"tc": {
        "farm_window": 2 * window,
        "fop_window": window,
        "fop_timer_initial_s": 2 * settings.one_way_delay_s + 2.0 + window * frame_time,
    }})


class _End:
    """What both ends share: a CFDP entity with its in-memory filestore."""

    def __init__(self, config: LinkConfig, entity_id: int) -> None:
        # one file data PDU per TC frame: the frame's packet room less the PDU's own headers
        segment_size = (max_segment_portion(config.tc) - PRIMARY_HEADER_LENGTH
                        - _CFDP_PDU_OVERHEAD)
        self.files = MemoryFilestore()
        self.cfdp = Entity(EntityConfig.from_link(
            config.cfdp, entity_id, segment_size=segment_size, ack_interval=8.0,
            nak_interval=8.0, check_interval=8.0, ack_limit=10, nak_limit=10), self.files)
        self.finished: dict[TransactionId, Any] = {}
        self.apid = config.packets.apid_cfdp

    def collect_indications(self) -> None:
        for indication in self.cfdp.indications():
            if indication.kind is IndicationKind.FINISHED:
                self.finished[indication.transaction_id] = indication


class _Ground(_End):
    def __init__(self, config: LinkConfig) -> None:
        super().__init__(config, config.cfdp.ground_entity_id)
        self.link = GroundLink(config)
        self.uplink = self.link.uplink
        self.downlink = self.link.downlink
        self.modem: deque[bytes] = deque()

    def step(self, now: float, up: SimulatedLink, down: SimulatedLink, tick: float) -> None:
        packets, cltus = self.link.receive(down.receive(now), now)
        self.modem.extend(cltus)
        for received in packets:
            if received.virtual_channel == self.link.config.tm.vc_bulk:
                self.cfdp.receive_pdu(received.packet[PRIMARY_HEADER_LENGTH:], now)
        if self.uplink.alerts:
            self.uplink.alerts.clear()
            self.modem.extend(self.uplink.start(now))
        self.modem.extend(self.uplink.poll(now))
        if not self.uplink.queued and not self.modem:
            self.cfdp.poll(now, budget=int(up.rate_bps / 8 * tick * 0.8))
        else:
            self.cfdp.poll(now, budget=0)
        for pdu in self.cfdp.pdus_to_send():
            packet = SpacePacket(PacketType.TC, self.apid, 0, pdu).encode()
            self.modem.extend(self.uplink.send_packet(packet, now))
        while self.modem and up.backlog_s(now) < tick:
            up.send(self.modem.popleft(), now)
        self.collect_indications()


class _Board(_End):
    def __init__(self, config: LinkConfig, idle_interval: float) -> None:
        super().__init__(config, config.cfdp.payload_entity_id)
        self.uplink = BoardUplink(config)
        self.downlink = BoardDownlink(config)
        self.idle_interval = idle_interval
        self.last_cadu = -1e9
        self.sequence = 0

    def step(self, now: float, up: SimulatedLink, down: SimulatedLink, tick: float) -> None:
        for packet in self.uplink.feed(up.receive(now)):
            self.cfdp.receive_pdu(packet[PRIMARY_HEADER_LENGTH:], now)
        self.cfdp.poll(now, budget=int(down.rate_bps / 8 * tick * 0.8))
        for pdu in self.cfdp.pdus_to_send():
            packet = SpacePacket(PacketType.TM, self.apid, self.sequence, pdu).encode()
            self.sequence = (self.sequence + 1) % 16384
            self.downlink.queue_packet(1, packet)
        if down.backlog_s(now) < tick:
            cadus = self.downlink.take_cadus(self.uplink.clcw(), max_frames=1)
            if not cadus and now - self.last_cadu >= self.idle_interval:
                cadus = self.downlink.idle_cadu(self.uplink.clcw())
            if cadus:
                down.send(cadus, now)
                self.last_cadu = now
        self.collect_indications()


class LinkDemo:
    """One run of the demo: both ends, the two link directions and the file."""

    def __init__(self, settings: LinkDemoSettings) -> None:
        self.settings = settings
        self.config = lunar_link_config(settings)
        outages = (settings.outage,) if settings.outage else ()
        self.up = SimulatedLink(settings.uplink_bps, settings.one_way_delay_s,
                                settings.uplink_ber, outages, seed=settings.seed)
        self.down = SimulatedLink(settings.downlink_bps, settings.one_way_delay_s,
                                  settings.downlink_ber, outages, seed=settings.seed + 1)
        self.ground = _Ground(self.config)
        self.board = _Board(self.config, settings.idle_frame_interval_s)
        self.original = random.Random(settings.seed).randbytes(settings.file_size)
        self.ground.files.files["archive.bin"] = bytearray(self.original)
        self.phases: dict[str, float] = {}
        self.now = 0.0
        self.wall_s = 0.0

    def run(self, report: Callable[[str], None]) -> None:
        """Upload by CFDP class 2, then download back, in simulated time."""
        wall_start = time.perf_counter()
        cfdp, tick = self.config.cfdp, self.settings.tick_s
        self.ground.modem.extend(self.ground.uplink.start(self.now))
        upload = self.ground.cfdp.put(cfdp.payload_entity_id, "archive.bin", "stored.bin",
                                      self.now)
        self.phases["upload_start"] = self.now
        download: TransactionId | None = None
        next_report = 0.0
        while self.now < self.settings.time_limit_s:
            self.now += tick
            self.ground.step(self.now, self.up, self.down, tick)
            self.board.step(self.now, self.up, self.down, tick)
            if download is None and upload in self.ground.finished:
                self.phases["upload_done"] = self.now
                download = self.board.cfdp.put(cfdp.ground_entity_id, "stored.bin",
                                               "restored.bin", self.now)
            if download is not None and download in self.board.finished:
                self.phases["download_done"] = self.now
                break
            if self.now >= next_report:
                report(self._progress_line(upload, download))
                next_report += 5.0
        self.wall_s = time.perf_counter() - wall_start

    def _progress_line(self, upload: TransactionId, download: TransactionId | None) -> str:
        if download is None:
            entity, transaction, where = self.board.cfdp, upload, "upload: at the payload"
        else:
            entity, transaction, where = self.ground.cfdp, download, "download: on the ground"
        received = (entity.progress(transaction).bytes_received
                    if transaction in entity.active_transactions else 0)
        return f"t={self.now:6.1f} s  {where} {received} octets"

    def summary(self) -> dict[str, Any]:
        """What was transferred, whether it arrived intact, and what each layer did."""
        settings, ground, board = self.settings, self.ground, self.board
        digest = hashlib.sha256(self.original).hexdigest()
        stored = bytes(board.files.files.get("stored.bin", b""))
        restored = bytes(ground.files.files.get("restored.bin", b""))
        upload_done = self.phases.get("upload_done", self.now)
        upload_time = upload_done - self.phases["upload_start"]
        download_time = self.phases.get("download_done", self.now) - upload_done
        size_bits = len(self.original) * 8
        extractor = board.uplink.receiver.extractor.counters
        sync, demux = ground.downlink.sync.counters, ground.downlink.demux.counters
        return {
            "settings": {**asdict(settings),
                         "outage": asdict(settings.outage) if settings.outage else None},
            "cop1": {"farm_window": self.config.tc.farm_window,
                     "fop_window": self.config.tc.fop_window,
                     "fop_timer_s": round(self.config.tc.fop_timer_initial_s, 2)},
            "simulated_time_s": round(self.now, 2),
            "wall_time_s": round(self.wall_s, 2),
            "file_sha256": digest,
            "upload_intact": hashlib.sha256(stored).hexdigest() == digest,
            "download_intact": hashlib.sha256(restored).hexdigest() == digest,
            "upload_time_s": round(upload_time, 2),
            "upload_goodput_bps": round(size_bits / upload_time) if upload_time else 0,
            "download_time_s": round(download_time, 2),
            "download_goodput_bps": round(size_bits / download_time) if download_time else 0,
            "uplink": {
                "octets_sent": self.up.stats.octets_sent,
                "bits_flipped": self.up.stats.bits_flipped,
                "octets_lost_in_outage": self.up.stats.octets_lost_in_outage,
                "cltus": extractor.cltus, "bch_corrected_codeblocks": extractor.corrected,
                "cltus_ended_uncorrectable": extractor.uncorrectable,
                "frames_accepted": board.uplink.counters.frames_accepted,
                "frames_rejected_by_farm": board.uplink.counters.frames_rejected,
                "fop_frames_sent": ground.uplink.frames_sent,
                "fop_retransmissions": ground.uplink.retransmissions,
            },
            "downlink": {
                "octets_sent": self.down.stats.octets_sent,
                "bits_flipped": self.down.stats.bits_flipped,
                "octets_lost_in_outage": self.down.stats.octets_lost_in_outage,
                "frames": sync.frames, "rs_corrected_symbols": sync.corrected_symbols,
                "uncorrectable_codeblocks": sync.uncorrectable,
                "sync_losses": sync.sync_losses,
                "frames_lost": demux.master_frames_lost, "packets": demux.packets,
            },
        }


def run_link_demo(settings: LinkDemoSettings,
                  report: Callable[[str], None] = lambda line: None) -> dict[str, Any]:
    """Run the demo with ``settings``; ``report`` receives a progress line every 5 s."""
    demo = LinkDemo(settings)
    demo.run(report)
    return demo.summary()
