"""pytest plugin of the bench: a board session, a ground station on it, capability markers.

Registered as entry point ``hil`` of group ``pytest11``; inert until a test asks for one
of its fixtures or carries one of its markers (nothing else is imported or started).

Options:

- ``--hil-port URL``: test the board attached at this pyserial URL (backend ``serial``);
  without it an emulated board (``flight-sw run`` on a pty) is started.
- ``--hil-board NAME``: another backend of the ``spacedc_hil.boards`` registry.
- ``--hil-power-cycle CMD``: the shell command that power-cycles an attached board.
- ``--hil-fault-injection``: the attached board's software allows fault injection.
- ``--hil-dictionary FILE``: the mission dictionary (default: the installed flight
  software's export).

Fixtures: ``hil_board`` (module: the open :class:`~hil.boards.base.BoardSession`),
``ground`` (module: a connected :class:`~ground_sw.station.GroundStation`), ``hil_link``
(module: both, with :meth:`BoardLink.power_cycle`), ``hil_dictionary`` (session).
Markers ``needs_fault_injection`` and ``needs_power_control`` skip a test, naming the
missing capability, on a board that lacks it: missing hardware, never missing work.

    pytest tests/contract --hil-port /dev/ttyUSB0 --hil-power-cycle "uhubctl -a cycle -p 2"
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from hil.boards.base import BoardOptions, BoardSession, Capabilities

if TYPE_CHECKING:
    from ground_sw.dictionary import Dictionary
    from ground_sw.records import EventRecord
    from ground_sw.station import GroundStation

LINK_TIMEOUT_S = 20.0
"""Time the ground waits for the board's first CLCW, and for its boot after a cycle."""
MARKERS = {
    "needs_fault_injection": "fault_injection",
    "needs_power_control": "power_control",
}
_REMEDY = {
    "fault_injection": "start its software with --allow-fault-injection and pass "
                       "--hil-fault-injection",
    "power_control": "configure a command with --hil-power-cycle CMD",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hil", "hardware-in-the-loop board (hil.pytest_plugin)")
    group.addoption("--hil-port", metavar="URL", default=None,
                    help="pyserial URL of an attached board (default: an emulated board)")
    group.addoption("--hil-board", metavar="NAME", default=None,
                    help="board backend (default: serial with --hil-port, else emulated)")
    group.addoption("--hil-power-cycle", metavar="CMD", default=None,
                    help="shell command that power-cycles the attached board")
    group.addoption("--hil-fault-injection", action="store_true", default=False,
                    help="the attached board's software accepts fault injection")
    group.addoption("--hil-dictionary", metavar="FILE", default=None,
                    help="mission dictionary JSON (default: the installed export)")


def pytest_configure(config: pytest.Config) -> None:
    for marker, capability in MARKERS.items():
        config.addinivalue_line(
            "markers", f"{marker}: skipped on a board without {capability.replace('_', ' ')}")


def board_spec(config: pytest.Config) -> tuple[str, BoardOptions]:
    """The backend name and options the command line asks for."""
    port: str | None = config.getoption("hil_port", None)
    name: str = config.getoption("hil_board", None) or ("serial" if port else "emulated")
    fault_injection = name == "emulated" or bool(config.getoption("hil_fault_injection", False))
    return name, BoardOptions(port=port,
                              power_cycle_command=config.getoption("hil_power_cycle", None),
                              fault_injection=fault_injection)


def missing_capabilities(needed: list[str], name: str, capabilities: Capabilities) -> str:
    """Why a test needing ``needed`` cannot run on this board ('' when it can)."""
    missing = [c for c in needed if not getattr(capabilities, c)]
    return "; ".join(f"board {name!r} has no {c.replace('_', ' ')} ({_REMEDY[c]})"
                     for c in missing)


def pytest_runtest_setup(item: pytest.Item) -> None:
    needed = [capability for marker, capability in MARKERS.items()
              if item.get_closest_marker(marker) is not None]
    if not needed:
        return
    from hil.boards.registry import lookup  # noqa: PLC0415 (only tests with the markers)

    name, options = board_spec(item.config)
    reason = missing_capabilities(needed, name, lookup(name).capabilities_for(options))
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def hil_dictionary(pytestconfig: pytest.Config) -> Dictionary:
    """The mission dictionary the ground uses, loaded once."""
    from ground_sw.dictionary import resolve_dictionary  # noqa: PLC0415

    return resolve_dictionary(pytestconfig.getoption("hil_dictionary", None))


@pytest.fixture(scope="module")
def hil_board(pytestconfig: pytest.Config,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[BoardSession]:
    """The board of the command line, open for the module (its state in a pytest tmp dir)."""
    from dataclasses import replace  # noqa: PLC0415

    from hil.boards.registry import create  # noqa: PLC0415

    name, options = board_spec(pytestconfig)
    session = create(name, replace(options, state_dir=tmp_path_factory.mktemp("hil-board")))
    session.open()
    try:
        yield session
    finally:
        session.close()


@pytest.fixture(scope="module")
def ground(hil_board: BoardSession, hil_dictionary: Dictionary) -> Iterator[GroundStation]:
    """A ground station connected to the board, its uplink ready (FOP-1 initialised)."""
    from ground_sw.station import GroundStation  # noqa: PLC0415

    assert hil_board.url is not None
    with GroundStation.connect(hil_board.url, hil_dictionary,
                               link_timeout=LINK_TIMEOUT_S) as station:
        yield station


@dataclass
class BoardLink:
    """The board and the ground together, for what takes both (a power cycle)."""

    board: BoardSession
    ground: GroundStation

    def power_cycle(self, timeout: float = LINK_TIMEOUT_S) -> EventRecord:
        """Power-cycle the board, wait for its BOOT event and for the uplink to be usable
        again (FOP-1 re-initialised from the new FARM-1's CLCW, 232.1-B-2 5.2.15)."""
        since = self.ground.clock()
        self.board.power_cycle(timeout)
        return self.wait_boot(since, timeout)

    def wait_boot(self, since: float, timeout: float = LINK_TIMEOUT_S) -> EventRecord:
        """The BOOT event received after ``since`` (a ground time), with the uplink ready."""
        boot = self.ground.await_event("BOOT", timeout=timeout, since=since)
        ready = self.ground.link.wait_status(
            lambda s: s.fop_initialised and s.nr == s.vs and not s.awaiting_unlock, timeout)
        if ready is None:
            raise TimeoutError(f"uplink not ready after the boot: {self.ground.link_status()}")
        return boot


@pytest.fixture(scope="module")
def hil_link(hil_board: BoardSession, ground: GroundStation) -> BoardLink:
    """The board session and its ground station."""
    return BoardLink(hil_board, ground)
