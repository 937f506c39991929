"""Power loss: a real child process puts, replaces and deletes objects on a file-backed
store and is killed with SIGKILL at a seeded random point (after a random number of
acknowledged operations, so mid-way through the next one). After each kill the store is
reopened: every acknowledged change is there, the one in flight is either done or not,
nothing is torn (every object matches its SHA-256), and free space is consistent. The same
image is reused across trials, so recovery after recovery is exercised too."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from firmware_stubs.board.memory import MemoryRegion
from flight_sw.storage.catalogue import FREE
from flight_sw.storage.store import ObjectStore
from tests.flight_sw.storage import power_loss_worker
from tests.flight_sw.storage.store_support import Clock

WORKER = Path(power_loss_worker.__file__)
SIZE = 8 << 20

Expected = dict[str, str | None]
"""Name -> SHA-256 hex of its acknowledged content (None: deleted)."""


Operation = tuple[str, str, str]
"""("PUT", name, sha256 hex) or ("DEL", name, "")."""


def parse(lines: list[str]) -> tuple[list[Operation], Operation | None]:
    """The acknowledged operations and the one begun but not acknowledged."""
    done: list[Operation] = []
    pending: Operation | None = None
    for line in lines:
        words = line.split()
        if words and words[0] == "BEGIN":
            pending = (words[1], words[2], words[3] if len(words) > 3 else "")
        elif words == ["ACK"] and pending is not None:
            done.append(pending)
            pending = None
    return done, pending


def let_run(child: subprocess.Popen[str], seconds: float) -> None:
    """Give the worker ``seconds`` more before the kill (the fault's timing, drawn from the
    seed); it must still be running then, since it loops until killed."""
    with pytest.raises(subprocess.TimeoutExpired):
        child.wait(timeout=seconds)


def run_until_killed(path: Path, seed: int, rng: random.Random) -> list[str]:
    """Run the worker and SIGKILL it at a random moment: mostly while an operation runs
    (after a random number of acknowledgements plus a random fraction of a put), sometimes
    while it opens and recovers the store. Returns every line it printed."""
    child = subprocess.Popen(
        [sys.executable, str(WORKER), str(path), str(SIZE), str(seed)],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[3])
    assert child.stdout is not None
    lines: list[str] = []
    try:
        if rng.random() < 0.15:  # the kill lands while it opens and recovers the store
            let_run(child, rng.uniform(0.05, 0.5))
        else:
            acks = rng.randrange(0, 25)
            while lines.count("ACK\n") < acks or not lines or not lines[-1].startswith("BEGIN"):
                line = child.stdout.readline()
                assert line, "worker ended early"
                lines.append(line)
            let_run(child, rng.uniform(0, 0.002))  # the kill lands inside the operation
    finally:
        child.kill()
        child.wait()
    return lines + child.stdout.readlines()


def check_store(path: Path, expected: Expected, pending: Operation | None) -> None:
    with MemoryRegion.file_backed("mass", "storage", path, SIZE) as region:
        store = ObjectStore.open(region, power_loss_worker.CONFIG, clock=Clock())
        found = {name: hashlib.sha256(store.get(name)).hexdigest() for name in store.names()}
        if pending is not None:  # old or new, nothing else
            op, name, digest = pending
            new = None if op == "DEL" else digest
            assert found.get(name) in (expected.get(name), new)
            expected[name] = found.get(name)
        assert found == {name: digest for name, digest in expected.items() if digest}
        catalogue = store.catalogue
        owned = sum(len(entry.blocks) for entry in catalogue.entries.values())
        assert catalogue.used_blocks == owned  # no block shared, none leaked
        assert np.count_nonzero(catalogue.owner == FREE) == catalogue.total_blocks - owned
        store.close()


def trials(tmp_path: Path, count: int, seed: int) -> None:
    rng = random.Random(seed)
    path = tmp_path / "mass.img"
    expected: Expected = {}
    for trial in range(count):
        done, pending = parse(run_until_killed(path, seed * 10_000 + trial, rng))
        for op, name, digest in done:
            expected[name] = None if op == "DEL" else digest
        check_store(path, expected, pending)


def test_kill_during_writes_loses_nothing_acknowledged(tmp_path: Path) -> None:
    trials(tmp_path, 10, seed=1)


@pytest.mark.soak
def test_kill_during_writes_soak(tmp_path: Path) -> None:
    trials(tmp_path, int(os.environ.get("FLIGHT_POWER_LOSS_TRIALS", "200")), seed=2)
