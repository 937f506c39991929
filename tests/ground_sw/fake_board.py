"""An in-process board on a real TCP socket (the ground opens ``socket://127.0.0.1:PORT``).

It runs the ccsds board side of the link (CLTU decoding, FARM-1, segment reassembly, VC
multiplexing, RS coding), answers (17,1) with (1,1), (17,2), (1,7), and serves CFDP
(a ccsds.cfdp entity over a MemoryFilestore on APID 101, TM on the bulk VC); the download
command given to it starts a put of the named object to the ground.

Not modelled: the flight software's services, modes, housekeeping, events and persistence,
line rates and delays (CADUs go out as fast as the socket takes them), bit errors.
"""

from __future__ import annotations

import select
import socket
import threading
import time

from ccsds.board_link import BoardDownlink, BoardUplink
from ccsds.cfdp import Entity, EntityConfig, MemoryFilestore, TransmissionMode
from ccsds.config import LinkConfig
from ccsds.errors import DecodeError
from ccsds.mission_db import MissionDatabase, decode_command
from ccsds.pus import PusTc, PusTm
from ccsds.spacepacket import PRIMARY_HEADER_LENGTH, PacketType, SpacePacket
from ccsds.tc_frame import TcFrame

IDLE_INTERVAL_S = 0.1


class FakeBoard:
    """The board end of one link, served to one TCP connection at a time."""

    def __init__(self, database: MissionDatabase, *, downlink_command: str = "STORE_DOWNLINK",
                 config: LinkConfig | None = None, **cfdp_settings: object) -> None:
        self.config = config or LinkConfig.baseline()
        self.database = database
        self.downlink_command = downlink_command
        self.uplink = BoardUplink(self.config)
        self.downlink = BoardDownlink(self.config)
        self.files = MemoryFilestore()
        self.cfdp = Entity(EntityConfig.from_link(
            self.config.cfdp, self.config.cfdp.payload_entity_id, segment_size=512,
            **cfdp_settings), self.files)
        self.lock = threading.Lock()
        self.received: list[PusTc] = []
        self.drop_next_frames = 0
        self._sequence = 0
        self._stop = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"socket://127.0.0.1:{self.server.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._stop.set()
        self.thread.join(timeout=5)
        self.server.close()

    def force_lockout(self) -> None:
        """Make FARM-1 enter lockout: an AD frame far outside its window (232.1-B-2 6.3)."""
        with self.lock:
            farm = self.uplink.farm
            tc = self.config.tc
            farm.receive(TcFrame(tc.spacecraft_id, tc.virtual_channel, (farm.vr + 128) % 256,
                                 b"\x00"))
            assert farm.lockout

    # -- the board's work ------------------------------------------------------------------

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.server], [], [], 0.1)
            if ready:
                connection, _ = self.server.accept()
                with connection:
                    self._run(connection)

    def _run(self, connection: socket.socket) -> None:
        last_output = 0.0
        while not self._stop.is_set():
            ready, _, _ = select.select([connection], [], [], 0.02)
            now = time.monotonic()
            with self.lock:
                if ready:
                    data = connection.recv(65536)
                    if not data:
                        return
                    if self.drop_next_frames > 0:  # the uplink lost these CLTUs
                        self.drop_next_frames -= 1
                        data = b""
                    for packet in self.uplink.feed(data):
                        self._packet(packet, now)
                else:
                    for packet in self.uplink.flush():
                        self._packet(packet, now)
                self.cfdp.poll(now)
                for pdu in self.cfdp.pdus_to_send():
                    self._queue(self.config.tm.vc_bulk, SpacePacket(
                        PacketType.TM, self.config.packets.apid_cfdp, self._next(), pdu).encode())
                cadus = self.downlink.take_cadus(self.uplink.clcw(), max_frames=16)
                if not cadus and now - last_output >= IDLE_INTERVAL_S:
                    cadus = self.downlink.idle_cadu(self.uplink.clcw())
            if cadus:
                last_output = now
                connection.sendall(cadus)

    def _next(self) -> int:
        self._sequence = (self._sequence + 1) % 16384
        return self._sequence

    def _queue(self, virtual_channel: int, packet: bytes) -> None:
        self.downlink.queue_packet(virtual_channel, packet)

    def _report(self, service: int, subtype: int, data: bytes = b"") -> None:
        self._queue(self.config.tm.vc_realtime, PusTm(
            self.config.packets.apid_pus, self._next(), service, subtype,
            source_data=data).encode())

    def _packet(self, packet: bytes, now: float) -> None:
        apid = int.from_bytes(packet[:2], "big") & 0x7FF
        if apid == self.config.packets.apid_cfdp:
            self.cfdp.receive_pdu(packet[PRIMARY_HEADER_LENGTH:], now)
            return
        try:
            tc = PusTc.decode(packet)
        except DecodeError:
            return
        self.received.append(tc)
        request = tc.request_id.encode()
        command = self.database.command_by_type(tc.service, tc.subtype)
        self._report(1, 1, request)
        if (tc.service, tc.subtype) == (17, 1):
            self._report(17, 2)
        elif command.name == self.downlink_command:
            values = decode_command(self.database, command, tc.application_data)
            name = str(values["object_name"])
            if not self.files.exists(name):
                self._report(1, 8, request + (13).to_bytes(2, "big"))  # OBJECT_NOT_FOUND
                return
            mode = TransmissionMode.ACKNOWLEDGED if values["transmission_class"] == 2 \
                else TransmissionMode.UNACKNOWLEDGED
            self.cfdp.put(self.config.cfdp.ground_entity_id, name,
                          str(values["destination_name"]) or name, now,
                          transmission_mode=mode)
        self._report(1, 7, request)
