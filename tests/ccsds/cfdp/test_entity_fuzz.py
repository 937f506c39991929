"""Entities fed corrupted and random PDUs: nothing raises, nothing hangs, counters move."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from ccsds.cfdp import Entity, EntityConfig, MemoryFilestore, TransmissionMode

from .link import Channel, Deliver, Impairments


class Corrupting(Channel):
    """Delivers each PDU, plus a corrupted copy of some of them."""

    def carry(self, pdus: list[bytes], deliver: Deliver, now: float) -> None:
        out = []
        for raw in pdus:
            out.append(raw)
            if self.rng.random() < 0.3:
                bad = bytearray(raw)
                for _ in range(self.rng.randint(1, 3)):
                    bad[self.rng.randrange(len(bad))] = self.rng.randrange(256)
                out.append(bytes(bad))
            if self.rng.random() < 0.05:
                out.append(self.rng.randbytes(self.rng.randint(0, 40)))
        for raw in out:
            deliver(raw, now)


@settings(max_examples=20)
@given(seed=st.integers(0, 2**16), mode=st.sampled_from(TransmissionMode))
def test_corrupted_pdus_never_raise_or_hang(seed: int, mode: TransmissionMode) -> None:
    rng = random.Random(seed)
    timers = {"ack_interval": 1.0, "nak_interval": 1.0, "check_interval": 1.0,
              "inactivity_interval": 20.0, "segment_size": 50}
    ground_store, payload_store = MemoryFilestore(1 << 20), MemoryFilestore(1 << 20)
    ground = Entity(EntityConfig(1, transmission_mode=mode, **timers), ground_store)
    payload = Entity(EntityConfig(2, **timers), payload_store)
    ground_store.files["f"] = bytearray(rng.randbytes(rng.randint(0, 600)))
    ground.put(2, "f", "g", 0.0)
    up, down = Corrupting(Impairments(), rng), Corrupting(Impairments(), rng)
    now = 0.0
    for _ in range(5000):
        now += 0.1
        ground.poll(now)
        payload.poll(now)
        up.carry(ground.pdus_to_send(), payload.receive_pdu, now)
        down.carry(payload.pdus_to_send(), ground.receive_pdu, now)
        ground.indications()
        payload.indications()
        if not ground.active_transactions and not payload.active_transactions:
            break
    assert not ground.active_transactions and not payload.active_transactions
    rejected = payload.counters
    assert rejected.received > 0
