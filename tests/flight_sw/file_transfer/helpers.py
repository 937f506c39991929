"""A ground CFDP entity (ccsds.cfdp, MemoryFilestore) and the board's FileTransfer exchanging
space packets in-process, in simulated time, through a lossy channel: each packet is dropped
with a seeded probability, and every packet is dropped during outage windows. The channel has
no delay, reordering or bit errors (the link layers below CFDP are out of scope here)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from ccsds.cfdp import (
    Entity,
    EntityConfig,
    IndicationKind,
    MemoryFilestore,
    TransactionId,
    TransmissionMode,
)
from ccsds.cfdp.indications import Indication
from ccsds.config import LinkConfig
from ccsds.spacepacket import PacketType, SpacePacket
from flight_sw.file_transfer import FileTransfer, TransferSettings
from tests.flight_sw.storage_service.fakes import FakeStore

CONFIG = LinkConfig.baseline()
TICK = 0.25
BUDGET = 2_000
"""Octets each end may send per tick (an 64 kbit/s line)."""
FAST = TransferSettings(segment_size=256, ack_interval=2.0, nak_interval=2.0,
                        check_interval=2.0, ack_limit=8, nak_limit=8, check_limit=3,
                        inactivity_interval=60.0)
"""Board timers scaled down for in-process tests (same procedures, shorter intervals)."""


@dataclass
class Channel:
    """Drops packets at ``loss`` (seeded) and all of them inside the outage windows."""

    loss: float = 0.0
    outages: tuple[tuple[float, float], ...] = ()
    seed: int = 1
    dropped: int = 0
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def passes(self, now: float) -> bool:
        if any(start <= now < end for start, end in self.outages) or (
                self.loss and self.rng.random() < self.loss):
            self.dropped += 1
            return False
        return True


class Exchange:
    """Ground entity 1 and board FileTransfer (entity 2) wired back to back."""

    def __init__(self, store: FakeStore | None = None, *, up: Channel | None = None,
                 down: Channel | None = None, settings: TransferSettings = FAST) -> None:
        self.now = 0.0
        self.store = store if store is not None else FakeStore(capacity=1 << 22)
        self.up = up or Channel()
        self.down = down or Channel(seed=2)
        self.downlinked: list[bytes] = []
        self.events: list[tuple[str, dict[str, object]]] = []
        self.board = FileTransfer(CONFIG, self.store, self.downlinked.append, settings=settings,
                                  raise_event=self._event)
        self.ground_files = MemoryFilestore()
        self.ground = Entity(EntityConfig.from_link(
            CONFIG.cfdp, CONFIG.cfdp.ground_entity_id, segment_size=256, ack_interval=2.0,
            nak_interval=2.0, check_interval=2.0, ack_limit=8, nak_limit=8, check_limit=3,
            inactivity_interval=60.0), self.ground_files)
        self.ground_indications: list[Indication] = []
        self.sequence = 0

    def _event(self, name: str, now: float, **values: object) -> None:
        self.events.append((name, values))

    def step(self) -> None:
        self.now += TICK
        self.ground.poll(self.now, BUDGET)
        for pdu in self.ground.pdus_to_send():
            packet = SpacePacket(PacketType.TC, CONFIG.packets.apid_cfdp, self.sequence, pdu)
            self.sequence = (self.sequence + 1) % 16384
            if self.up.passes(self.now):
                self.board.receive_packet(packet.encode(), self.now)
        self.board.poll(self.now, BUDGET)
        for raw in self.downlinked:
            packet = SpacePacket.decode(raw)
            assert (packet.packet_type, packet.apid) == (PacketType.TM, CONFIG.packets.apid_cfdp)
            if self.down.passes(self.now):
                self.ground.receive_pdu(packet.data, self.now)
        self.downlinked.clear()
        self.ground_indications += self.ground.indications()

    def run_until(self, done: Callable[[], bool], limit_s: float = 600.0) -> None:
        end = self.now + limit_s
        while not done():
            assert self.now < end, "transfer did not end in time"
            self.step()

    def ground_finished(self, transaction: TransactionId) -> Indication | None:
        return next((i for i in self.ground_indications
                     if i.kind is IndicationKind.FINISHED and i.transaction_id == transaction),
                    None)

    def idle(self) -> bool:
        """Both ends have no transaction left."""
        return not self.ground.active_transactions and not self.board.entity.active_transactions

    def upload(self, name: str, data: bytes, class_: int = 2) -> TransactionId:
        source = f"ground/{self.sequence}/{name}"
        self.ground_files.files[source] = bytearray(data)
        mode = TransmissionMode.ACKNOWLEDGED if class_ == 2 else TransmissionMode.UNACKNOWLEDGED
        return self.ground.put(CONFIG.cfdp.payload_entity_id, source, name, self.now,
                               transmission_mode=mode)
