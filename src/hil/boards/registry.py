"""The registry of board backends: built-in ones and entry points of group ``spacedc_hil.boards``.

As python-can's interface registry: a name maps to ``module:Class``; the module is imported
only when the backend is asked for. A third-party package adds a board with

    [project.entry-points."spacedc_hil.boards"]
    myboard = "mypackage.board:MyBoardSession"

where the class implements :class:`~hil.boards.base.BoardSession`. Entry points are read at
each lookup, so a package installed while the bench runs is found.
"""

from __future__ import annotations

import difflib
import importlib
from importlib.metadata import EntryPoint, entry_points

from hil.boards.base import BoardError, BoardOptions, BoardSession

ENTRY_POINT_GROUP = "spacedc_hil.boards"
BUILTIN_BOARDS = {
    "emulated": "hil.boards.emulated:EmulatedBoardSession",
    "serial": "hil.boards.serial:SerialBoardSession",
}
"""Found even before the package's entry points are installed."""


class UnknownBoardError(BoardError, LookupError):
    """No backend of that name is registered."""


class BoardBackendError(BoardError):
    """A registered backend cannot be loaded or is not a BoardSession."""


def _entry_points() -> dict[str, EntryPoint]:
    return {point.name: point for point in entry_points(group=ENTRY_POINT_GROUP)}


def available_boards() -> list[str]:
    """The names of every backend, built-in and registered, sorted."""
    return sorted(set(BUILTIN_BOARDS) | set(_entry_points()))


def _load(name: str, target: str) -> object:
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
        loaded: object = module
        for part in attribute.split(".") if attribute else []:
            loaded = getattr(loaded, part)
    except Exception as error:  # a third-party module may fail in any way while importing
        raise BoardBackendError(f"board backend {name!r} ({target}) cannot be loaded: "
                                f"{error}") from error
    return loaded


def lookup(name: str) -> type[BoardSession]:
    """The session class of backend ``name`` (entry points first, then the built-ins)."""
    points = _entry_points()
    if name in points:
        target = points[name].value
    elif name in BUILTIN_BOARDS:
        target = BUILTIN_BOARDS[name]
    else:
        known = available_boards()
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UnknownBoardError(f"no board backend {name!r} (known: {', '.join(known)}){hint}")
    loaded = _load(name, target)
    if not (isinstance(loaded, type) and issubclass(loaded, BoardSession)):
        raise BoardBackendError(f"board backend {name!r} ({target}) is not a BoardSession "
                                "subclass")
    return loaded


def create(name: str, options: BoardOptions) -> BoardSession:
    """A session of backend ``name`` configured from ``options`` (not yet open)."""
    return lookup(name).from_options(options)
