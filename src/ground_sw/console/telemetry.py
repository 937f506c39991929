"""The telemetry table: one row per dictionary parameter, engineering value with its unit,
limit state in colour for the parameters that have limits (ECSS-E-ST-70-41C 6.12 on-board
monitoring: warning and alarm limits of the mission database) and the time of the sample.

Rows are made once, in dictionary order, so the table does not jump while values arrive.
The widget draws with textual's line API: a sample only updates the row model, and a
repaint renders just the rows on screen, so a thousand parameters changing at 10 Hz cost
about as much as the forty visible ones (benchmarks/bench_console.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ccsds.mission_db import MissionDatabase
from ground_sw.console.formatting import LIMIT_STYLES, utc_time_of_day, value_text
from ground_sw.records import ParameterSample

COLUMNS = ("name", "value", "unit", "limit", "time")
HEADERS = {"name": "Parameter", "value": "Value", "unit": "Unit", "limit": "Limit",
           "time": "UTC"}
VALUE_WIDTH = 16
LIMIT_WIDTH = 12
TIME_WIDTH = 12
NAME_WIDTH_MAX = 32
UNKNOWN_LIMIT_STYLE = "bold magenta"
HEADER_STYLE = Style(bold=True)


@dataclass
class _Row:
    """What one row shows."""

    name: str
    unit: str
    monitored: bool
    value: str = "-"
    limit: str = ""
    time: str = ""


class TelemetryTable(ScrollView, can_focus=True):
    """Latest value of every parameter of the dictionary (scroll with the keys or wheel)."""

    DEFAULT_CSS = "TelemetryTable { scrollbar-gutter: stable; }"

    def __init__(self, database: MissionDatabase, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.database = database
        self.shown: dict[str, ParameterSample] = {}
        self._rows = [_Row(p.name, p.unit, p.limits is not None) for p in database.parameters]
        self._index = {row.name: index for index, row in enumerate(self._rows)}
        self.unknown_names = 0
        """Samples of names this dictionary does not define (not shown)."""
        names = max((len(row.name) for row in self._rows), default=8)
        units = max((len(row.unit) for row in self._rows), default=4)
        self._widths = {"name": min(max(names, 9), NAME_WIDTH_MAX), "value": VALUE_WIDTH,
                        "unit": max(units, 4), "limit": LIMIT_WIDTH, "time": TIME_WIDTH}
        self._styles = {limit: Style.parse(style) for limit, style in LIMIT_STYLES.items()}
        width = sum(self._widths.values()) + 2 * len(COLUMNS)
        self.virtual_size = Size(width, len(self._rows) + 1)

    @property
    def row_count(self) -> int:
        """One row per dictionary parameter."""
        return len(self._rows)

    def show(self, samples: Iterable[ParameterSample]) -> int:
        """Show the latest of ``samples`` per parameter; returns the rows updated."""
        updated = 0
        for sample in samples:
            index = self._index.get(sample.name)
            if index is None:
                self.unknown_names += 1
                continue
            row = self._rows[index]
            self.shown[sample.name] = sample
            row.value = value_text(sample.engineering)
            if row.monitored or sample.limit != "NOMINAL":
                row.limit = sample.limit
            row.time = utc_time_of_day(sample.time)
            updated += 1
        if updated:
            self.refresh()
        return updated

    def cell(self, name: str, column: str) -> Text:
        """What a cell shows, with its style (for tests and tools)."""
        row = self._rows[self._index[name]]
        text = getattr(row, column)
        return Text(text, style=self._style(row, column) or "")

    def _style(self, row: _Row, column: str) -> Style | None:
        if column in ("value", "limit") and row.limit:
            return self._styles.get(row.limit, Style.parse(UNKNOWN_LIMIT_STYLE))
        return None

    def render_line(self, y: int) -> Strip:
        """The header on the first line; rows under it, scrolled."""
        scroll_x, scroll_y = self.scroll_offset
        if y == 0:
            segments = self._segments({c: HEADERS[c] for c in COLUMNS}, lambda _: HEADER_STYLE)
        else:
            index = scroll_y + y - 1
            if index >= len(self._rows):
                return Strip.blank(self.size.width, self.rich_style)
            row = self._rows[index]
            segments = self._segments({c: getattr(row, c) for c in COLUMNS},
                                      lambda column: self._style(row, column))
        strip = Strip(segments)
        return strip.crop_extend(scroll_x, scroll_x + self.size.width, self.rich_style)

    def _segments(self, texts: dict[str, str],
                  style_of: Callable[[str], Style | None]) -> list[Segment]:
        segments = []
        for column in COLUMNS:
            width = self._widths[column]
            text = texts[column][:width]
            padded = text.rjust(width) if column == "value" else text.ljust(width)
            segments.append(Segment(" "))
            segments.append(Segment(padded, style_of(column)))
            segments.append(Segment(" "))
        return segments
