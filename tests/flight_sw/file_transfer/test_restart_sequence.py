"""Transaction ids stay unique across board restarts: each boot starts its CFDP transactions
in a range of its own (CCSDS 727.0-B-5, transaction identification)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ccsds.cfdp import TransmissionMode, restart_sequence
from ccsds.config import LinkConfig
from flight_sw.file_transfer import FileTransfer
from tests.flight_sw.storage_service.fakes import FakeStore


def _first_downlink_id(boot_count: int) -> int:
    store = FakeStore()
    store.put("object", b"payload")
    transfer = FileTransfer(LinkConfig.baseline(), store, lambda _packet: None,
                            boot_count=boot_count)
    return transfer.downlink("object", TransmissionMode.UNACKNOWLEDGED, 0.0).sequence_number


def test_each_boot_starts_a_new_range() -> None:
    ids = [_first_downlink_id(boot) for boot in (1, 2, 3)]
    assert len(set(ids)) == 3
    assert ids == [restart_sequence(boot, 4) for boot in (1, 2, 3)]


@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.integers(0, 0xFFFE))
def test_ranges_of_different_runs_do_not_meet(first: int, second: int, used: int) -> None:
    """A run that starts fewer than 65,536 transactions never reaches the next run's ids."""
    if first == second:
        return
    assert (restart_sequence(first, 4) + used) % (1 << 32) != restart_sequence(second, 4)


def test_short_sequence_numbers_wrap_within_their_length() -> None:
    assert restart_sequence(5, 2) == 5
    assert restart_sequence(0x1_0005, 2) == 5
    assert restart_sequence(3, 8) == 3 << 48
