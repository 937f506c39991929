"""Plots of archived telemetry as PNG files (matplotlib, Agg backend: no display needed).

:func:`plot_parameter` draws a parameter's engineering values against UTC time, with the
monitoring limits of the mission database (warning and alarm bounds, ECSS-E-ST-70-41C 6.12
parameter monitoring) as horizontal lines; :func:`plot_events` marks event reports by
severity. Both return the figure (closed after saving) so callers can inspect its data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from matplotlib.dates import DateFormatter, date2num
from matplotlib.figure import Figure

from ccsds.mission_db import DictionaryError, MissionDatabase
from ccsds.timecode import CucTime
from ground_sw.archive_reader import ArchiveReader

SIZE_INCHES = (10.0, 4.0)
DPI = 100
_LIMIT_STYLES = {"alarm_low": "red", "warning_low": "orange", "warning_high": "orange",
                 "alarm_high": "red"}


class PlotError(ValueError):
    """Nothing to plot: no sample of the parameter, or values that are not numbers."""


def _number(value: object) -> float | None:
    if isinstance(value, CucTime):
        return value.seconds
    if isinstance(value, int | float):
        return float(value)
    return None


def _utc(time: float) -> float | None:
    """Matplotlib's date number of a Unix time (None when it is not a calendar date)."""
    try:
        return float(date2num(datetime.fromtimestamp(time, UTC)))  # type: ignore[no-untyped-call]
    except (OverflowError, ValueError, OSError):
        return None


def _new_figure(title: str) -> Figure:
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI)
    axes = figure.add_subplot()
    axes.set_title(title)
    axes.set_xlabel("time (UTC)")
    axes.xaxis.set_major_formatter(DateFormatter("%H:%M:%S", tz=UTC))  # type: ignore[no-untyped-call]
    axes.grid(True, alpha=0.3)
    return figure


def plot_parameter(archive: ArchiveReader, name: str, png_path: str | Path, *,
                   start: float | None = None, end: float | None = None,
                   database: MissionDatabase | None = None) -> Figure:
    """Plot ``name``'s engineering values in [start, end) to ``png_path`` (PNG)."""
    points = [(_utc(s.time), _number(s.engineering)) for s in archive.parameters(name, start, end)]
    numeric = [(t, v) for t, v in points if t is not None and v is not None]
    if not numeric:
        raise PlotError(f"no numeric sample of {name!r} in the archive span asked for")
    unit = ""
    figure = _new_figure(name)
    axes = figure.axes[0]
    if database is not None:
        try:
            parameter = database.parameter(name)
        except DictionaryError:
            parameter = None
        if parameter is not None:
            unit = parameter.unit
            for bound, colour in _LIMIT_STYLES.items():
                level = getattr(parameter.limits, bound, None) if parameter.limits else None
                if level is not None:
                    axes.axhline(level, color=colour, linestyle="--", linewidth=1, label=bound)
    times, values = zip(*numeric, strict=True)
    axes.plot(times, values, marker=".", linewidth=1, label=name)
    axes.set_ylabel(f"{name} [{unit}]" if unit else name)
    axes.legend(loc="best", fontsize="small")
    figure.savefig(png_path, format="png")
    return figure


def plot_events(archive: ArchiveReader, png_path: str | Path, *, start: float | None = None,
                end: float | None = None) -> Figure:
    """Plot event reports in [start, end) as markers, one row per severity."""
    events = archive.events(start, end)
    if not events:
        raise PlotError("no event in the archive span asked for")
    severities = sorted({event.severity for event in events})
    figure = _new_figure("events")
    axes = figure.axes[0]
    for row, severity in enumerate(severities):
        times = [t for event in events
                 if event.severity == severity and (t := _utc(event.time)) is not None]
        axes.plot(times, [row] * len(times), linestyle="none", marker="o", label=severity)
    axes.set_yticks(range(len(severities)), severities)
    figure.savefig(png_path, format="png")
    return figure
