"""File transfers of the console (CFDP, CCSDS 727.0-B-5): one progress bar each."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, ProgressBar

from ground_sw.console.feed import TransferUpdate


class TransferRow(Horizontal):
    """A transfer's label, bar and outcome."""

    DEFAULT_CSS = """
    TransferRow { height: 1; }
    TransferRow > Label { width: 36; }
    TransferRow > .outcome { width: 1fr; margin-left: 1; }
    """

    def __init__(self, key: str, label: str) -> None:
        super().__init__()
        self.key = key
        self.label = label
        self.outcome = ""
        self._pending: TransferUpdate | None = None

    def compose(self) -> ComposeResult:
        yield Label(self.label, markup=False)
        yield ProgressBar(total=None, show_eta=False)
        yield Label("", classes="outcome", markup=False)

    def on_mount(self) -> None:
        """Show what arrived before the row was on screen."""
        if self._pending is not None:
            self.apply(self._pending)

    def apply(self, update: TransferUpdate) -> None:
        """Move the bar; show how it ended."""
        if not self.is_mounted:
            self._pending = update
            return
        bar = self.query_one(ProgressBar)
        bar.update(total=update.size if update.size else None, progress=update.octets)
        if update.finished:
            if update.succeeded and update.size:
                bar.update(total=update.size, progress=update.size)
            self.outcome = update.result
            self.query_one(".outcome", Label).update(update.result)


class TransfersPanel(VerticalScroll):
    """Every transfer started from this console."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: dict[str, TransferRow] = {}

    def start(self, key: str, label: str) -> TransferRow:
        """A new row for a transfer."""
        row = TransferRow(key, label)
        self.rows[key] = row
        self.mount(row)
        return row

    def apply(self, update: TransferUpdate) -> None:
        """Route an update to its row (updates of unknown transfers are ignored)."""
        row = self.rows.get(update.key)
        if row is not None:
            row.apply(update)
