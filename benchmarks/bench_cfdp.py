"""CFDP: PDU encode/decode rates against spacepackets.cfdp, and the goodput of an in-memory
class 2 transfer between two of our entities (no loss, 1 KiB segments, CRC-32)."""

from __future__ import annotations

import time

from spacepackets.cfdp import pdu as sp
from spacepackets.cfdp.defs import TransmissionMode as SpMode
from spacepackets.util import UnsignedByteField

from benchmarks.harness import Recorder, best_rate
from ccsds.cfdp import (
    Entity,
    EntityConfig,
    FileDataPdu,
    MemoryFilestore,
    PduHeader,
    TransmissionMode,
    decode_pdu,
    encode_pdu,
)

SEGMENT = bytes(range(256)) * 4
HEADER = PduHeader(1, 7, 2, crc=True)
RAW = encode_pdu(FileDataPdu(HEADER, 4096, SEGMENT))
SP_CONF = sp.PduConfig(UnsignedByteField(1, 2), UnsignedByteField(2, 2),
                       UnsignedByteField(7, 4), SpMode.ACKNOWLEDGED)


def _goodput(size: int) -> float:
    """Octets of file per second of CPU through a class 2 transfer, both entities in one loop."""
    ground, payload = MemoryFilestore(), MemoryFilestore()
    ground.files["f"] = bytearray(size)
    sender = Entity(EntityConfig(1, segment_size=1024), ground)
    receiver = Entity(EntityConfig(2, segment_size=1024), payload)
    start = time.perf_counter()
    sender.put(2, "f", "g", 0.0, transmission_mode=TransmissionMode.ACKNOWLEDGED)
    now = 0.0
    while sender.active_transactions or receiver.active_transactions:
        now += 0.01
        sender.poll(now)
        for raw in sender.pdus_to_send():
            receiver.receive_pdu(raw, now)
        receiver.poll(now)
        for raw in receiver.pdus_to_send():
            sender.receive_pdu(raw, now)
    return size / (time.perf_counter() - start)


def run(recorder: Recorder) -> None:
    seconds = 0.1 if recorder.quick else 0.5
    encode = best_rate(lambda: encode_pdu(FileDataPdu(HEADER, 4096, SEGMENT)), 1,
                       seconds=seconds)
    peer_encode = best_rate(
        lambda: sp.FileDataPdu(SP_CONF, sp.FileDataParams(SEGMENT, 4096)).pack(), 1,
        seconds=seconds,
    )
    recorder.add("cfdp file data PDU encode (1 KiB, CRC)", encode, "PDU/s",
                 peer="spacepackets", peer_value=peer_encode)
    decode = best_rate(lambda: decode_pdu(RAW), 1, seconds=seconds)
    peer_decode = best_rate(lambda: sp.PduFactory.from_raw(RAW), 1, seconds=seconds)
    recorder.add("cfdp file data PDU decode (1 KiB, CRC)", decode, "PDU/s",
                 peer="spacepackets", peer_value=peer_decode)
    size = (1 << 20) if recorder.quick else (8 << 20)
    recorder.add("cfdp class 2 in-memory goodput", _goodput(size) / 1e6, "MB/s",
                 note=f"{size >> 20} MiB file, 1 KiB segments, sender and receiver in one thread")
