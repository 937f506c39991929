"""How an object maps onto stripes (docs/storage.md, "Redundancy"): data blocks of
``block_size`` octets (the last zero-padded) grouped k at a time into stripes, each followed
by its m parity blocks; a final stripe of d < k data blocks is a shortened stripe of d + m
blocks. A stripe belongs to one object, so nothing is ever read-modified-written."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from firmware_stubs.crc32c import crc32c
from flight_sw.storage.erasure import StripeCoder


@dataclass(frozen=True)
class Stripe:
    """One stripe of an object: where its blocks sit in the entry's block list."""

    index: int
    first: int
    """Position of its first block in the entry's block list."""
    data_count: int
    parity_count: int

    @property
    def positions(self) -> range:
        return range(self.first, self.first + self.data_count + self.parity_count)

    @property
    def data_positions(self) -> range:
        return range(self.first, self.first + self.data_count)


@dataclass(frozen=True)
class StripeShape:
    """The stripe arithmetic of one store geometry."""

    block_size: int
    data_blocks: int
    parity_blocks: int

    def data_count(self, size: int) -> int:
        """Data blocks of an object of ``size`` octets."""
        return -(-size // self.block_size)

    def stripes(self, size: int) -> list[Stripe]:
        """The stripes of an object of ``size`` octets (none for an empty object)."""
        return [self.stripe(index, size)
                for index in range(-(-self.data_count(size) // self.data_blocks))]

    def stripe(self, index: int, size: int) -> Stripe:
        """Stripe ``index`` of an object of ``size`` octets."""
        data, k, m = self.data_count(size), self.data_blocks, self.parity_blocks
        return Stripe(index, index * (k + m), min(k, data - index * k), m)

    def block_count(self, size: int) -> int:
        """Physical blocks (data and parity) of an object of ``size`` octets."""
        data = self.data_count(size)
        return data + self.parity_blocks * -(-data // self.data_blocks)

    def stripe_of(self, position: int, size: int) -> Stripe:
        """The stripe holding block-list position ``position``."""
        return self.stripe(position // (self.data_blocks + self.parity_blocks), size)

    def position_of_data(self, data_index: int) -> int:
        """Block-list position of the object's data block ``data_index``."""
        k = self.data_blocks
        return (data_index // k) * (k + self.parity_blocks) + data_index % k

    def block_crcs(self, image: bytes | bytearray | memoryview) -> NDArray[np.uint32]:
        """CRC-32C of every block of a block image."""
        size = self.block_size
        view = memoryview(image)
        return np.fromiter((crc32c(view[start:start + size])
                            for start in range(0, len(view), size)),
                           dtype=np.uint32, count=len(view) // size)

    def encode(self, data: bytes | bytearray | memoryview,
               coder: StripeCoder) -> tuple[bytearray, NDArray[np.uint32]]:
        """The block image of an object (every stripe's data then parity blocks, in entry
        order) and the CRC-32C of each block."""
        size, view = self.block_size, memoryview(data).cast("B")
        image = bytearray(self.block_count(len(view)) * size)
        for stripe in self.stripes(len(view)):
            start = stripe.index * self.data_blocks * size
            chunk = view[start:start + stripe.data_count * size]
            at = stripe.first * size
            image[at:at + len(chunk)] = chunk
            blocks = [memoryview(image)[at + i * size:at + (i + 1) * size]
                      for i in range(stripe.data_count)]
            parity = b"".join(coder.encode(blocks))  # type: ignore[arg-type]  # buffers do
            del blocks  # release the views before the image is written to
            at += stripe.data_count * size
            image[at:at + len(parity)] = parity
        return image, self.block_crcs(image)


def runs(blocks: NDArray[np.uint32]) -> list[tuple[int, int, int]]:
    """Contiguous runs of a block list as (first position, first block, length)."""
    if len(blocks) == 0:
        return []
    values = blocks.astype(np.int64)
    breaks = np.flatnonzero(np.diff(values) != 1) + 1
    starts = np.concatenate(([0], breaks))
    ends = np.concatenate((breaks, [len(values)]))
    return [(int(s), int(values[s]), int(e - s)) for s, e in zip(starts, ends, strict=True)]
