"""Child process of the power-loss test: opens the store on a file-backed region and runs
seeded puts, replaces and deletes until killed, printing ``BEGIN`` before and ``ACK`` after
each operation (an ACK means the call returned: the change is durable)."""

from __future__ import annotations

import hashlib
import random
import sys
import time

from firmware_stubs.board.memory import MemoryRegion
from flight_sw.storage.config import StoreConfig
from flight_sw.storage.store import ObjectStore

CONFIG = StoreConfig(max_objects=64)
NAMES = 10
MAX_SIZE = 96 * 1024


def main(path: str, size: int, seed: int) -> None:
    rng = random.Random(seed)
    region = MemoryRegion.file_backed("mass", "storage", path, size)
    store = ObjectStore.open(region, CONFIG, clock=time.monotonic)
    print("READY", flush=True)
    while True:
        name = f"obj-{rng.randrange(NAMES)}"
        if store.exists(name) and rng.random() < 0.2:
            print(f"BEGIN DEL {name}", flush=True)
            store.delete(name)
        else:
            data = rng.randbytes(rng.choice((0, rng.randrange(1, 5000),
                                             rng.randrange(MAX_SIZE))))
            print(f"BEGIN PUT {name} {hashlib.sha256(data).hexdigest()}", flush=True)
            store.put(name, data)
        print("ACK", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
