"""Captures: the bytes and index lines the ground archive reads back."""

from __future__ import annotations

from pathlib import Path

import pytest

from ground_sw.archive_capture import read_capture
from hil.channel import CaptureError, CaptureWriter


def test_capture_reads_back_through_the_ground_archive_reader(tmp_path: Path) -> None:
    chunks = [(1750000000.125, b"\x1a\xcf\xfc\x1d" + bytes(10)), (1750000000.5, b""),
              (1750000001.0, b"tail")]
    with CaptureWriter(tmp_path, "down") as writer:
        for time_s, data in chunks:
            writer.write(time_s, data)
    assert (tmp_path / "down.bin").read_bytes() == b"".join(data for _, data in chunks)
    assert (tmp_path / "down.idx").read_text() == "1750000000.125 0\n1750000001.0 14\n"
    read = [(chunk.time, chunk.data) for chunk in read_capture(tmp_path)]
    assert read == [(t, d) for t, d in chunks if d]


def test_an_existing_capture_is_not_overwritten(tmp_path: Path) -> None:
    CaptureWriter(tmp_path, "up").close()
    with pytest.raises(CaptureError, match="cannot start"):
        CaptureWriter(tmp_path, "up")


def test_writing_after_close_is_a_capture_error(tmp_path: Path) -> None:
    writer = CaptureWriter(tmp_path, "up")
    writer.close()
    writer.close()
    with pytest.raises(CaptureError):
        writer.write(1.0, b"x")
