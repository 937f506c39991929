"""The log panel: on-board events (service 5, coloured by severity), command verification
steps (service 1) and the console's own messages, newest at the bottom."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import RichLog

from ground_sw.console.formatting import (
    OUTCOME_STYLES,
    SEVERITY_STYLES,
    command_line,
    event_line,
    utc_time_of_day,
)
from ground_sw.records import CommandRecord, EventRecord

MAX_LINES = 2000


class EventsLog(RichLog):
    """Events, command steps and messages; :attr:`texts` keeps the plain lines."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, max_lines=MAX_LINES, wrap=True, markup=False, min_width=20)
        self.texts: list[str] = []

    def add(self, text: str, style: str = "") -> None:
        """Append one line."""
        self.texts.append(text)
        del self.texts[:-MAX_LINES]
        self.write(Text(text, style=style))

    def add_event(self, event: EventRecord) -> None:
        """An event report, coloured by severity."""
        self.add(event_line(event, utc_time_of_day), SEVERITY_STYLES.get(event.severity, ""))

    def add_command(self, record: CommandRecord) -> None:
        """A command sent or one of its verification steps."""
        style = OUTCOME_STYLES.get(record.outcome.value, "")
        self.add(command_line(record, utc_time_of_day), style)

    def error(self, text: str) -> None:
        """A console message about something refused."""
        self.add(text, "bold red")
