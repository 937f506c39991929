"""The link status panel: port and reconnections, frame sync and Reed-Solomon (CCSDS
131.0-B-5), lost frames (132.0-B-3), COP-1 (FOP-1 state, V(S), the CLCW's N(R) and flags,
232.1-B-2), the decommutator's rejections and any dictionary mismatch."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ground_sw.console.formatting import link_lines
from ground_sw.decom import DecomCounters
from ground_sw.dictionary import DictionaryMismatch
from ground_sw.link import LinkStatus

NO_LINK = "no link: replay"


class LinkPanel(Static):
    """What the link is doing; red when it is not usable."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(NO_LINK, id=id, markup=False)
        self.text = NO_LINK

    def show(self, status: LinkStatus | None, counters: DecomCounters | None = None,
             mismatch: DictionaryMismatch | None = None, unknown: int = 0) -> str:
        """Render a status snapshot (None: no link); returns the text shown."""
        lines = [NO_LINK] if status is None else link_lines(status)
        if counters is not None:
            lines.append(f"packets {counters.packets}: PUS errors {counters.pus_errors}, "
                         f"unknown ids {counters.unknown_ids}, bad values {counters.bad_values}")
        if unknown:
            lines.append(f"{unknown} samples of parameters unknown to this dictionary")
        if mismatch is not None:
            lines.append(f"DICTIONARY MISMATCH: {mismatch}")
        text = "\n".join(lines)
        healthy = status is not None and status.connected and status.sync_locked \
            and not status.awaiting_unlock and mismatch is None
        style = "" if status is None else ("green" if healthy else "bold red")
        if text != self.text:
            self.text = text
            self.update(Text(text, style=style))
        return text
