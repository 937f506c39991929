"""Board contract: the object store of service 128, and bit flips repaired by the scrubber.

docs/icd.md sections 11 (storage) and 13 (fault injection); docs/storage.md (protection).
"""

from __future__ import annotations

import hashlib

import pytest

from ground_sw.errors import VerificationFailed
from ground_sw.records import EventRecord
from ground_sw.station import GroundStation
from tests.contract.reports import INTACT, collecting, get_object, verify_object

SCRUB_PERIOD_S = 10
"""The shortest patrol period the ICD allows (STORE_SCRUB_CONTROL base_period_s 10..86400)."""
FLIPS = 8
"""Bits flipped: fewer than the scrubber's tightening threshold, so the period stays put."""
STORAGE_REGIONS = ("nand", "storage")
"""The raw storage region of the emulated board, then of the linux board (ICD 13)."""


def _content(seed: str, size: int) -> bytes:
    """``size`` octets that differ from one object to the next (SHA-256 in counter mode)."""
    blocks = (hashlib.sha256(f"{seed}:{i}".encode()).digest() for i in range(size // 32 + 1))
    return b"".join(blocks)[:size]


@pytest.mark.parametrize("size", [0, 1, 1024, 2500])
def test_an_object_put_inline_reads_back_and_verifies(ground: GroundStation, size: int) -> None:
    """Put (128,1), get (128,6)/(128,7) and verify (128,11)/(128,12) round trip."""
    name = f"contract/object-{size}"
    data = _content(name, size)
    ground.send_and_assert("STORE_PUT_INLINE", object_name=name, data=data)
    assert get_object(ground, name, size) == data
    report = verify_object(ground, name)
    assert (report["object_name"], report["state"]) == (name, INTACT)


def test_a_put_replaces_an_object_of_that_name(ground: GroundStation) -> None:
    name = "contract/replaced"
    for data in (b"first version", b"second, longer version"):
        ground.send_and_assert("STORE_PUT_INLINE", object_name=name, data=data)
    assert get_object(ground, name, 22) == b"second, longer version"


def test_a_missing_object_and_a_bad_name_fail_with_their_codes(ground: GroundStation) -> None:
    with pytest.raises(VerificationFailed, match="OBJECT_NOT_FOUND"):
        ground.send_and_assert("STORE_VERIFY", object_name="contract/never-stored")
    with pytest.raises(VerificationFailed, match="INVALID_OBJECT_NAME"):
        ground.send_and_assert("STORE_PUT_INLINE", object_name="/contract", data=b"x")


def _flip_random(ground: GroundStation) -> float:
    """Flip FLIPS random bits of the raw storage region; the ground time of the request."""
    for region in STORAGE_REGIONS:
        try:
            with collecting(ground, 131, 128) as reports:
                handle = ground.send_and_assert("FAULT_FLIP_RANDOM", region=region, count=FLIPS,
                                                seed=20261121, confirm=True)
                reports.wait(1)
            return handle.time
        except VerificationFailed as failure:
            if failure.error_name != "UNKNOWN_MEMORY_REGION":
                raise
    raise AssertionError(f"the board has none of the storage regions {STORAGE_REGIONS}")


def _passes_after(ground: GroundStation, since: float, count: int) -> list[EventRecord]:
    """The first ``count`` SCRUB_PASS_DONE events received after ``since``."""
    passes: list[EventRecord] = []
    while len(passes) < count:
        event = ground.await_event("SCRUB_PASS_DONE", timeout=2.5 * SCRUB_PERIOD_S, since=since)
        passes.append(event)
        since = event.time + 1e-6
    return passes


def _count(event: EventRecord, name: str) -> int:
    value = event.values[name]
    assert isinstance(value, int)
    return value


@pytest.mark.needs_fault_injection
def test_flipped_storage_bits_are_corrected_by_the_patrol_scrub(ground: GroundStation) -> None:
    """Single-bit upsets on the medium are corrected by SECDED during the patrol scrub
    (docs/storage.md, protection 1) and stored objects stay intact."""
    name = "contract/scrubbed"
    data = _content(name, 3000)
    ground.send_and_assert("STORE_PUT_INLINE", object_name=name, data=data)
    ground.send_and_assert("STORE_SCRUB_CONTROL", enabled=True, base_period_s=SCRUB_PERIOD_S)
    flipped = _flip_random(ground)
    # flips behind the patrol's position when they happened wait for the next pass
    first = _passes_after(ground, flipped, 1)
    passes = first if _count(first[0], "corrected") else _passes_after(ground, flipped, 2)
    corrected = sum(_count(p, "corrected") for p in passes)
    assert 1 <= corrected <= FLIPS
    assert [(_count(p, "uncorrectable"), _count(p, "lost")) for p in passes] == \
        [(0, 0)] * len(passes)
    assert verify_object(ground, name)["state"] == INTACT
    assert get_object(ground, name, len(data)) == data
