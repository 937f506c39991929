"""The command line of the console: completion and argument help from the dictionary.

Typing shows the completion in grey (command names, then ``argument=`` names not given
yet, then enumeration labels and booleans); Tab or the right arrow accepts it. The help
line under the input shows the command's service, criticality and every argument's type,
unit and range (:class:`ground_sw.console.arguments.CommandParser`).
"""

from __future__ import annotations

from textual.binding import Binding
from textual.suggester import Suggester
from textual.widgets import Input, Static

from ccsds.errors import LocalProtocolError
from ground_sw.console.arguments import CommandParser

DIRECTIVES = (":help", ":upload ", ":download ", ":unlock", ":quit")
"""Console directives (not telecommands): they start with a colon."""
PROMPT = "NAME arg=value ...  (Tab completes, :help for directives)"
INTRODUCTION = ("Type a command: Tab completes names, arguments and labels from the dictionary;"
                " critical commands ask for confirmation. F1 help.")


class DictionarySuggester(Suggester):
    """Completions from the mission dictionary (case as typed, so they extend the input)."""

    def __init__(self, parser: CommandParser) -> None:
        super().__init__(use_cache=True, case_sensitive=True)
        self.parser = parser

    async def get_suggestion(self, value: str) -> str | None:
        """The completed line, or None."""
        if value.startswith(":"):
            return next((d for d in DIRECTIVES if d.startswith(value) and d != value), None)
        return self.parser.complete(value)


class CommandInput(Input):
    """The input with Tab accepting the completion."""

    BINDINGS = [Binding("tab", "complete", "complete", show=False, priority=True)]

    def __init__(self, parser: CommandParser, *, id: str | None = None) -> None:
        super().__init__(placeholder=PROMPT, suggester=DictionarySuggester(parser), id=id)

    def action_complete(self) -> None:
        """Accept the completion shown, if any."""
        if self._suggestion:
            self.value = self._suggestion
            self.cursor_position = len(self.value)


class ArgumentHelp(Static):
    """Help for the command being typed."""

    def __init__(self, parser: CommandParser, *, id: str | None = None) -> None:
        super().__init__(INTRODUCTION, id=id, markup=False)
        self.parser = parser
        self.text = INTRODUCTION

    def explain(self, line: str) -> str:
        """Show (and return) the help for the command at the start of ``line``."""
        name = line.split(maxsplit=1)[0] if line.strip() else ""
        if line.startswith(":"):
            text = ":upload LOCAL OBJECT [1|2]  :download OBJECT LOCAL [1|2]  :unlock  :quit"
        elif not name:
            text = INTRODUCTION
        else:
            try:
                text = self.parser.help(self.parser.database.command(name))
            except LocalProtocolError:
                matches = [c.name for c in self.parser.database.commands
                           if c.name.startswith(name.upper())]
                text = (f"no command {name!r}" if not matches
                        else "commands: " + " ".join(matches[:12]))
        self.text = text
        self.update(text)
        return text
