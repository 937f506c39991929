"""The storage payload as FlightSoftware wires it, driven end to end in-process over the real
link stack (COP-1, TC frames and CLTUs up, RS-coded VC frames down) from a ground made of
ccsds.ground_link and a ccsds.cfdp entity: a CFDP class 2 uplink becomes an object, service
128 reads and downlinks it, housekeeping reports the progress."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from ccsds.cfdp import Entity, EntityConfig, IndicationKind, MemoryFilestore
from ccsds.config import LinkConfig
from ccsds.ground_link import GroundLink
from ccsds.mission_db import decode_housekeeping, encode_command
from ccsds.mission_db.codec import decode_fields
from ccsds.pus import AckFlags, PusTc, PusTm
from ccsds.spacepacket import PRIMARY_HEADER_LENGTH, PacketType, SpacePacket, peek_header
from flight_sw.app import FlightSoftware
from flight_sw.clock import SimulatedClock
from flight_sw.hal import get_hal
from flight_sw.storage import dictionary as layout
from flight_sw.storage.config import StoreConfig
from tests.flight_sw.services.helpers import GROUND_DB

CONFIG = LinkConfig.baseline()
TICK = 0.05
STORAGE_SIZE = 4 << 20


class Ground:
    """GroundLink with a CFDP entity: bulk-VC packets of APID 101 go to the entity, PUS TM
    of either VC to ``reports``."""

    def __init__(self) -> None:
        self.link = GroundLink(CONFIG)
        self.files = MemoryFilestore()
        self.cfdp = Entity(EntityConfig.from_link(
            CONFIG.cfdp, CONFIG.cfdp.ground_entity_id, segment_size=900), self.files)
        self.reports: list[tuple[int, PusTm]] = []
        self.finished: list[object] = []
        self.sequence = 0

    def telecommand(self, name: str, **values: object) -> bytes:
        command = GROUND_DB.command(name)
        self.sequence += 1
        return PusTc(CONFIG.packets.apid_pus, self.sequence, command.service, command.subtype,
                     encode_command(GROUND_DB, command, values),  # type: ignore[arg-type]
                     source_id=1, ack_flags=AckFlags.ALL).encode()

    def receive(self, data: bytes, now: float) -> list[bytes]:
        packets, cltus = self.link.receive(data, now)
        for received in packets:
            if peek_header(received.packet).apid == CONFIG.packets.apid_cfdp:
                self.cfdp.receive_pdu(received.packet[PRIMARY_HEADER_LENGTH:], now)
            else:
                self.reports.append((received.virtual_channel, PusTm.decode(received.packet)))
        self.finished += [i for i in self.cfdp.indications()
                          if i.kind is IndicationKind.FINISHED]
        return cltus

    def uplink(self, now: float) -> list[bytes]:
        cltus = self.link.uplink.poll(now)
        if not self.link.uplink.queued:
            self.cfdp.poll(now, budget=2 * 900)
            for pdu in self.cfdp.pdus_to_send():
                packet = SpacePacket(PacketType.TC, CONFIG.packets.apid_cfdp, 0, pdu).encode()
                cltus += self.link.uplink.send_packet(packet, now)
        return cltus

    def take(self, service: int, subtype: int) -> list[tuple[int, bytes]]:
        found = [(vc, r.source_data) for vc, r in self.reports
                 if (r.service, r.subtype) == (service, subtype)]
        self.reports = [(vc, r) for vc, r in self.reports
                        if (r.service, r.subtype) != (service, subtype)]
        return found


class Loop:
    def __init__(self, state_dir: Path) -> None:
        self.clock = SimulatedClock()
        hal = get_hal("emulated", state_dir=state_dir, clock=self.clock,
                      storage_size=STORAGE_SIZE)
        self.flight = FlightSoftware(CONFIG, self.clock, hal, state_dir, idle_interval_s=0.5,
                                     store_config=StoreConfig(max_objects=64))
        self.ground = Ground()
        self.flight.boot()
        self.flight.receive(b"".join(self.ground.link.uplink.start(0.0)))

    def command(self, packet: bytes) -> None:
        self.flight.receive(b"".join(self.ground.link.uplink.send_packet(packet,
                                                                          self.clock.now)))

    def run(self, seconds: float) -> None:
        end = self.clock.now + seconds
        while self.clock.now < end:
            self.clock.advance(TICK)
            now = self.clock.now
            cltus = self.ground.receive(self.flight.step(now), now)
            cltus += self.ground.uplink(now)
            self.flight.receive(b"".join(cltus))


@pytest.fixture
def loop(tmp_path: Path) -> Loop:
    return Loop(tmp_path)


def test_uplink_inspect_and_downlink_through_the_whole_stack(loop: Loop) -> None:
    data = random.Random(4).randbytes(12_000)
    loop.ground.files.files["scene.bin"] = bytearray(data)
    loop.ground.cfdp.put(CONFIG.cfdp.payload_entity_id, "scene.bin", "scenes/1", 0.0)
    loop.run(10.0)
    assert len(loop.ground.finished) == 1
    assert loop.flight.store.get("scenes/1") == data

    loop.command(loop.ground.telecommand("STORE_GET_INLINE", object_name="scenes/1",
                                         offset=0, length=3000))
    loop.command(loop.ground.telecommand("STORE_DOWNLINK", object_name="scenes/1",
                                         destination_name="back.bin", transmission_class=2))
    loop.command(loop.ground.telecommand("HK_ONE_SHOT", count=1, structure_id=6))
    loop.run(10.0)
    chunks = loop.ground.take(128, 7)
    assert {vc for vc, _ in chunks} == {CONFIG.tm.vc_bulk}
    read = b"".join(decode_fields(layout.DATA_REPORT, d, 0, "data")[0]["data"]  # type: ignore[misc]
                    for _, d in chunks)
    assert read == data[:3000]
    assert [vc for vc, _ in loop.ground.take(128, 9)] == [CONFIG.tm.vc_realtime]
    assert bytes(loop.ground.files.files["back.bin"]) == data
    progress = [values for structure, values in (
        decode_housekeeping(GROUND_DB, hk) for _, hk in loop.ground.take(3, 25))
        if structure.name == "file_transfer"]
    assert progress[-1]["CFDP_COMPLETED"] == 2 and progress[-1]["CFDP_ACTIVE"] == 0
    assert progress[-1]["CFDP_OCTETS_RECEIVED"] == len(data)
    assert progress[-1]["CFDP_OCTETS_SENT"] >= len(data)
