"""PNG plots of archived parameters and events."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from matplotlib.dates import num2date

from ccsds.mission_db import Limits, MissionDatabase, Parameter
from ground_sw.archive import Archive
from ground_sw.plot import DPI, SIZE_INCHES, PlotError, plot_events, plot_parameter
from ground_sw.records import EventRecord, ParameterSample

T0 = 1_750_000_000.0
DB = MissionDatabase("plot_test", "1", 100, parameters=(
    Parameter(name="CPU_TEMP", type="uint16", id=1, unit="degC",
              limits=Limits(warning_high=70.0, alarm_high=85.0)),))


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height from the IHDR chunk (PNG spec 11.2.2), checking its CRC."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR"
    body, (crc,) = data[16:16 + length], struct.unpack(">I", data[16 + length:20 + length])
    assert zlib.crc32(kind + body) == crc
    width, height = struct.unpack(">II", body[:8])
    return width, height


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    with Archive(tmp_path / "a.db") as archive:
        for t in range(20):
            archive.on_record(ParameterSample(T0 + t, "CPU_TEMP", 40 + 3 * t, 40.0 + 3 * t))
        archive.on_record(ParameterSample(T0, "LABEL", "text", "text"))
        archive.on_record(EventRecord(T0 + 2, "BOOT", "INFO"))
        archive.on_record(EventRecord(T0 + 9, "OVER_TEMP", "HIGH"))
        archive.flush(timeout=30)
        yield archive


def test_parameter_plot_with_limits(archive: Archive, tmp_path: Path) -> None:
    png = tmp_path / "cpu.png"
    figure = plot_parameter(archive, "CPU_TEMP", png, start=T0 + 5, end=T0 + 15, database=DB)
    assert _png_size(png) == (round(SIZE_INCHES[0] * DPI), round(SIZE_INCHES[1] * DPI))
    assert png.stat().st_size > 5000
    axes = figure.axes[0]
    *limits, data = axes.get_lines()
    assert list(data.get_ydata()) == [40.0 + 3 * t for t in range(5, 15)]
    times = [num2date(x).timestamp() for x in data.get_xdata()]
    assert times == pytest.approx([T0 + t for t in range(5, 15)], abs=1e-3)
    assert sorted(line.get_ydata()[0] for line in limits) == [70.0, 85.0]
    assert axes.get_ylabel() == "CPU_TEMP [degC]"


def test_parameter_plot_without_a_dictionary(archive: Archive, tmp_path: Path) -> None:
    figure = plot_parameter(archive, "CPU_TEMP", tmp_path / "p.png")
    assert len(figure.axes[0].get_lines()) == 1
    assert _png_size(tmp_path / "p.png")[0] > 0


def test_nothing_numeric_to_plot_is_an_error(archive: Archive, tmp_path: Path) -> None:
    with pytest.raises(PlotError):
        plot_parameter(archive, "LABEL", tmp_path / "x.png")
    with pytest.raises(PlotError):
        plot_parameter(archive, "MISSING", tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_event_plot(archive: Archive, tmp_path: Path) -> None:
    figure = plot_events(archive, tmp_path / "e.png")
    assert _png_size(tmp_path / "e.png") == (1000, 400)
    rows = {line.get_label(): len(line.get_xdata()) for line in figure.axes[0].get_lines()}
    assert rows == {"HIGH": 1, "INFO": 1}
    with pytest.raises(PlotError):
        plot_events(archive, tmp_path / "none.png", start=T0 + 100)
