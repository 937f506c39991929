"""Board sessions: one interface for the boards of the bench, backends found by name.

``emulated`` runs ``flight-sw run`` on a pty in a subprocess; ``serial`` is a real board at
a pyserial URL. Others come from entry points of group ``spacedc_hil.boards``. Backend
modules are imported only when asked for (:func:`~hil.boards.registry.lookup`).
"""

from hil.boards.base import (
    BoardError,
    BoardOptions,
    BoardSession,
    BoardStartError,
    Capabilities,
    NotAvailable,
)
from hil.boards.registry import (
    ENTRY_POINT_GROUP,
    BoardBackendError,
    UnknownBoardError,
    available_boards,
    create,
    lookup,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "BoardBackendError",
    "BoardError",
    "BoardOptions",
    "BoardSession",
    "BoardStartError",
    "Capabilities",
    "NotAvailable",
    "UnknownBoardError",
    "available_boards",
    "create",
    "lookup",
]
