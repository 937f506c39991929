"""The boot record against a model, and its file fed truncated, bit-flipped and garbage data."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_stubs.board import BoardStateError, BootStore, ResetCause

OPERATIONS = st.lists(st.one_of(st.just("boot"), st.sampled_from(list(ResetCause))),
                      max_size=25)


@settings(max_examples=60)
@given(OPERATIONS)
def test_store_matches_a_model_across_restarts(operations: list[object]) -> None:
    """Each operation uses a fresh BootStore (a new process); a boot reports the last cause
    requested since the previous boot, power_on first, unknown when nothing was asked."""
    with tempfile.TemporaryDirectory() as state:
        count, pending, now = 0, None, 0.0
        for operation in operations:
            now += 1.0
            if operation == "boot":
                info = BootStore(state).boot(now)
                expected = pending or (ResetCause.POWER_ON if count == 0 else ResetCause.UNKNOWN)
                count, pending = count + 1, None
                assert (info.boot_count, info.cause, info.booted_at) == (count, expected, now)
                assert BootStore(state).info() == info
            else:
                BootStore(state).request(operation, now)  # type: ignore[arg-type]
                pending = operation
            assert BootStore(state).pending() == pending


def _valid_record(state: Path) -> bytes:
    store = BootStore(state)
    store.boot(1.0, marker="0f3c")
    store.request(ResetCause.COMMANDED, 2.0)
    store.boot(3.0, marker="0f3c")
    store.request(ResetCause.LATCH_UP, 4.0)
    return (state / "boot.json").read_bytes()


def _survives(state: Path, content: bytes) -> None:
    """Reading either works or raises BoardStateError; booting always works."""
    (state / "boot.json").write_bytes(content)
    store = BootStore(state)
    try:
        store.info()
        store.pending()
    except BoardStateError:
        pass
    info = store.boot(9.0)
    assert info.boot_count >= 1 and isinstance(info.cause, ResetCause)


def test_every_truncation(tmp_path: Path) -> None:
    valid = _valid_record(tmp_path)
    for end in range(len(valid)):
        _survives(tmp_path, valid[:end])


@settings(max_examples=150)
@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=3))
def test_bit_errors(bits: list[int]) -> None:
    with tempfile.TemporaryDirectory() as state:
        raw = bytearray(_valid_record(Path(state)))
        for bit in bits:
            raw[(bit // 8) % len(raw)] ^= 1 << (bit % 8)
        _survives(Path(state), bytes(raw))


@settings(max_examples=100)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_garbage(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as state:
        _survives(Path(state), content)
