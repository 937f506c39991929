"""Catalogue checkpoints (docs/storage.md, "Checkpoints"): the whole catalogue sealed in a
frame, in two generations (even, odd) of two copies each.

A new checkpoint goes to both copies of the generation not holding the newest one, so a power
cut while writing it leaves the previous generation and the journal (not yet reset) intact.
Loading takes the valid copy with the highest generation.
"""

from __future__ import annotations

from dataclasses import dataclass

from flight_sw.storage.framing import Frame, read_frame, seal
from flight_sw.storage.layout import Layout
from flight_sw.storage.medium import Medium
from flight_sw.storage.records import RecordError, Snapshot, decode_snapshot, encode_snapshot

CHECKPOINT_MAGIC = b"SCKP"


@dataclass(frozen=True)
class Checkpoint:
    """A loaded checkpoint: its generation, the last journal sequence it covers, the state."""

    generation: int
    sequence: int
    snapshot: Snapshot


def load_checkpoint(medium: Medium, layout: Layout, unit: int) -> Checkpoint | None:
    """The newest valid checkpoint copy, or None when no copy is valid."""
    best: Checkpoint | None = None
    for offset in layout.checkpoint_slots:
        found = read_frame(medium, offset, layout.checkpoint_octets, magic=CHECKPOINT_MAGIC,
                           format_id=layout.geometry.format_id, unit=unit)
        if found is None or (best is not None and found[0].generation <= best.generation):
            continue
        try:
            snapshot = decode_snapshot(found[0].payload)
        except RecordError:
            continue
        best = Checkpoint(found[0].generation, found[0].sequence, snapshot)
    return best


def write_checkpoint(medium: Medium, layout: Layout, unit: int, checkpoint: Checkpoint) -> None:
    """Write ``checkpoint`` durably to both copies of its generation's pair of slots."""
    octets = seal(Frame(CHECKPOINT_MAGIC, layout.geometry.format_id, checkpoint.sequence,
                        checkpoint.generation, 0, encode_snapshot(checkpoint.snapshot)), unit)
    if len(octets) > layout.checkpoint_octets:
        raise RecordError(f"a checkpoint of {len(octets)} octets exceeds its slot of "
                          f"{layout.checkpoint_octets}")
    pair = checkpoint.generation % 2
    first, second = layout.checkpoint_slots[2 * pair:2 * pair + 2]
    for offset in (first, second):
        medium.write(offset, octets)
    medium.flush(first, second - first + len(octets))
