"""Confirmation of critical commands: a modal the operator answers with y or n.

Critical commands (mission database flag ``critical``, e.g. mode changes, resets, store
deletion, fault injection) are sent only after this explicit confirmation
(``GroundStation.send(..., confirm=True)``); Escape or n cancels.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool]):
    """Asks "send this critical command?"; dismisses with True (y) or False (n, Escape)."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 72; height: auto; border: thick $error;
                               background: $surface; padding: 1 2; }
    ConfirmScreen Horizontal { height: auto; align: center middle; margin-top: 1; }
    ConfirmScreen Button { margin: 0 2; }
    """
    BINDINGS = [Binding("y", "answer(True)", "send"), Binding("n", "answer(False)", "cancel"),
                Binding("escape", "answer(False)", "cancel")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("CRITICAL COMMAND", id="title")
            yield Static(self.question, id="question", markup=False)
            with Horizontal():
                yield Button("Send (y)", variant="error", id="yes")
                yield Button("Cancel (n)", variant="primary", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """A button answers like its key."""
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        """Close with the operator's answer."""
        self.dismiss(answer)
