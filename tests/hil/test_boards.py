"""Board sessions: the registry and its entry points, the emulated board's supervisor, the
serial board's power control, the pty relay, and the pytest plugin staying inert."""

from __future__ import annotations

import os
import select
import signal
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Self

import pytest
import serial

from flight_sw.dictionary import MISSION
from ground_sw.dictionary import Dictionary, resolve_dictionary
from ground_sw.station import GroundStation
from hil.boards import (
    BoardBackendError,
    BoardError,
    BoardOptions,
    BoardSession,
    BoardStartError,
    Capabilities,
    NotAvailable,
    UnknownBoardError,
    available_boards,
    create,
    lookup,
)
from hil.boards.emulated import LOG_NAME, PID_NAME, EmulatedBoardSession
from hil.boards.relay import PENDING_LIMIT, PtyRelay
from hil.boards.serial import PowerCycleFailed, SerialBoardSession
from hil.pytest_plugin import BoardLink, board_spec, missing_capabilities

pytest_plugins = ["pytester"]

STORAGE = str(16 << 20)
"""A small storage region: the board formats it at the first boot."""


# -- registry ------------------------------------------------------------------------------

class LoopbackBoardSession(BoardSession):
    """A backend for the entry-point tests: its "board" is pyserial's ``loop://``, which
    echoes what is written. It models no board at all: no software, no resets, no power."""

    name = "loopback"

    @classmethod
    def from_options(cls, options: BoardOptions) -> Self:
        return cls()

    @classmethod
    def capabilities_for(cls, options: BoardOptions) -> Capabilities:
        return Capabilities()

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities()

    @property
    def url(self) -> str | None:
        return "loop://"

    def open(self) -> str:
        return "loop://"

    def close(self) -> None:
        pass

    def power_cycle(self, timeout: float = 20.0) -> None:
        raise NotAvailable("loopback")

    @property
    def reset_count(self) -> int:
        return 0

    @property
    def log_path(self) -> Path | None:
        return None


@pytest.fixture
def third_party(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed distribution (a real .dist-info on sys.path) registering boards."""
    info = tmp_path / "fakeboards-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakeboards\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(textwrap.dedent("""\
        [spacedc_hil.boards]
        loopback = tests.hil.test_boards:LoopbackBoardSession
        missing = no_such_package.boards:Board
        notaboard = collections:OrderedDict
        """))
    monkeypatch.syspath_prepend(str(tmp_path))


def test_the_builtin_backends_are_found_by_name() -> None:
    assert {"emulated", "serial"} <= set(available_boards())
    assert lookup("emulated") is EmulatedBoardSession
    assert lookup("serial") is SerialBoardSession
    assert isinstance(create("serial", BoardOptions(port="loop://")), SerialBoardSession)


def test_an_unknown_backend_is_named_with_a_suggestion() -> None:
    with pytest.raises(UnknownBoardError, match=r"'emulatd'.*did you mean 'emulated'"):
        lookup("emulatd")
    with pytest.raises(LookupError, match=r"known: .*emulated"):
        lookup("jetson")


def test_entry_points_add_backends(third_party: None) -> None:
    assert {"loopback", "missing", "notaboard"} <= set(available_boards())
    assert lookup("loopback") is LoopbackBoardSession
    session = create("loopback", BoardOptions())
    assert session.open() == "loop://" and not session.capabilities.power_control


def test_a_broken_entry_point_is_a_clear_error(third_party: None) -> None:
    with pytest.raises(BoardBackendError, match=r"'missing'.*cannot be loaded.*no_such_package"):
        lookup("missing")
    with pytest.raises(BoardBackendError, match=r"'notaboard'.*not a BoardSession"):
        lookup("notaboard")


# -- the emulated board ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dictionary() -> Dictionary:
    """The flight software's dictionary, built in this process (no export subprocess)."""
    return resolve_dictionary(MISSION)


@pytest.fixture(scope="module")
def emulated(tmp_path_factory: pytest.TempPathFactory,
             dictionary: Dictionary) -> Iterator[BoardLink]:
    """One emulated board (fault injection allowed) and a ground, for the restart tests."""
    board = EmulatedBoardSession(tmp_path_factory.mktemp("emulated"),
                                 extra_args=("--storage-size", STORAGE))
    url = board.open()
    try:
        with GroundStation.connect(url, dictionary, link_timeout=20) as ground:
            yield BoardLink(board, ground)
    finally:
        board.close()


def test_the_log_is_collected_and_the_ground_is_served(emulated: BoardLink) -> None:
    board = emulated.board
    assert isinstance(board, EmulatedBoardSession)
    assert board.url is not None and os.path.exists(board.url)
    assert board.capabilities == Capabilities(fault_injection=True, power_control=True)
    emulated.ground.send_and_assert("TEST_ARE_YOU_ALIVE")
    assert board.log_path == board.state_dir / LOG_NAME
    assert "flight software serving" in board.log_path.read_text()
    assert int((board.state_dir / PID_NAME).read_text()) == board.pid


def _hang(link: BoardLink) -> None:
    link.ground.send_and_assert("PARAM_SET", WATCHDOG_TIMEOUT_MS=500)
    link.ground.send_and_assert("FAULT_HANG", confirm=True)


def _kill_from_outside(link: BoardLink) -> None:
    assert isinstance(link.board, EmulatedBoardSession) and link.board.pid is not None
    os.kill(link.board.pid, signal.SIGKILL)


def _reset(link: BoardLink) -> None:
    link.ground.send_and_assert("BOARD_RESET", delay_s=0, confirm=True)


def _latch_up(link: BoardLink) -> None:
    link.ground.send_and_assert("FAULT_LATCH_UP", step_mw=3000, confirm=True)


def _power_cycle(link: BoardLink) -> None:
    link.board.power_cycle()


RESTARTS: dict[str, tuple[Callable[[BoardLink], None], int, str | None]] = {
    # cause: (how, exit status, the BOOT event's reset cause when it is known)
    "commanded reset": (_reset, 3, "COMMANDED"),
    "watchdog": (_hang, 4, "WATCHDOG"),
    "latch-up": (_latch_up, 5, "LATCH_UP"),
    "power cycle": (_power_cycle, -signal.SIGKILL, None),
    "kill from outside": (_kill_from_outside, -signal.SIGKILL, None),
}


@pytest.mark.parametrize("cause", list(RESTARTS))
def test_the_supervisor_restarts_the_software(emulated: BoardLink, cause: str) -> None:
    """Exit statuses 3/4/5 (docs/icd.md section 10) and SIGKILL (power) end in a restart."""
    how, status, reset_cause = RESTARTS[cause]
    board = emulated.board
    assert isinstance(board, EmulatedBoardSession)
    resets, since, pid = board.reset_count, emulated.ground.clock(), board.pid
    how(emulated)
    assert board.wait_reset(resets + 1, timeout=20)
    assert board.exit_statuses[-1] == status and board.pid != pid
    boot = emulated.wait_boot(since)
    if reset_cause is not None:
        assert boot.values["reset_cause"] == reset_cause
    emulated.ground.send_and_assert("TEST_ARE_YOU_ALIVE")
    assert "SUPERVISOR software exited with status" in board.log_path.read_text()  # type: ignore[union-attr]


def test_a_failing_start_is_reported_with_the_log(tmp_path: Path) -> None:
    (tmp_path / "nand.img").write_bytes(bytes(4096))  # disagrees with the storage size
    board = EmulatedBoardSession(tmp_path, extra_args=("--storage-size", "8192"))
    with pytest.raises(BoardStartError, match=r"exited with status 2.*holds 4096 octets"):
        board.open()
    assert board.exit_status == 2 and board.reset_count == 0
    with pytest.raises(BoardError):
        board.power_cycle()


def test_close_stops_cleanly_and_removes_a_temporary_state_dir() -> None:
    with EmulatedBoardSession(fault_injection=False,
                              extra_args=("--storage-size", STORAGE)) as board:
        state = board.state_dir
        assert not board.capabilities.fault_injection and state.is_dir()
    assert board.exit_statuses == [0] and board.url is None
    assert not state.exists()


# -- the serial board ----------------------------------------------------------------------

def test_a_serial_board_without_a_command_has_no_power_control(tmp_path: Path) -> None:
    session = SerialBoardSession("loop://")
    assert session.open() == "loop://" == session.url
    assert not session.capabilities.power_control
    with pytest.raises(NotAvailable, match=r"no power control.*--hil-power-cycle"):
        session.power_cycle()
    assert session.reset_count == 0


def test_a_serial_url_pyserial_does_not_know_is_refused() -> None:
    with pytest.raises(BoardStartError, match="nosuch://"):
        SerialBoardSession("nosuch://board").open()
    with pytest.raises(BoardStartError, match="needs a port URL"):
        SerialBoardSession.from_options(BoardOptions())
    with pytest.raises(BoardStartError, match="makes its own port"):
        create("emulated", BoardOptions(port="/dev/ttyUSB0"))


def test_a_failing_power_cycle_command_is_an_error(tmp_path: Path) -> None:
    log = tmp_path / "session.log"
    session = SerialBoardSession("loop://", power_cycle_command="sh -c 'echo relay jammed >&2; "
                                 "exit 3'", log_path=log)
    with pytest.raises(PowerCycleFailed, match="status 3: relay jammed"):
        session.power_cycle()
    with pytest.raises(PowerCycleFailed, match=r"within 0.2 s"):
        SerialBoardSession("loop://", power_cycle_command="sleep 5").power_cycle(timeout=0.2)
    with pytest.raises(PowerCycleFailed, match="no-such-relay-tool"):
        SerialBoardSession("loop://", power_cycle_command="no-such-relay-tool").power_cycle()
    assert session.reset_count == 0 and "relay jammed" in log.read_text()


def test_a_serial_board_is_power_cycled_by_its_command(emulated: BoardLink,
                                                       tmp_path: Path) -> None:
    """The emulated board seen as an attached one: its pty URL, power cut by ``kill -9``."""
    board = emulated.board
    assert isinstance(board, EmulatedBoardSession) and board.url is not None
    pid_file = board.state_dir / PID_NAME
    session = create("serial", BoardOptions(
        port=board.url, power_cycle_command=f"sh -c 'kill -9 $(cat {pid_file})'",
        state_dir=tmp_path))
    assert session.open() == board.url and session.capabilities.power_control
    link = BoardLink(session, emulated.ground)
    resets = board.reset_count
    boot = link.power_cycle()
    assert session.reset_count == 1 and board.wait_reset(resets + 1)
    assert isinstance(boot.values["boot_count"], int)
    emulated.ground.send_and_assert("TEST_ARE_YOU_ALIVE")
    assert "POWER CYCLE sh -c" in (tmp_path / "session.log").read_text()


# -- the relay -----------------------------------------------------------------------------

def test_the_relay_carries_both_ways_and_drops_what_nobody_reads() -> None:
    relay = PtyRelay()
    relay.start()
    try:
        with serial.serial_for_url(relay.board_path, timeout=5) as board_port:
            flood = bytes(range(256)) * (4 * PENDING_LIMIT // 256)
            board_port.write(flood)  # nobody reads the ground side: the board never blocks
            board_port.flush()
            with serial.serial_for_url(relay.ground_path, timeout=5) as ground_port:
                ground_port.write(b"uplink")
                assert board_port.read(6) == b"uplink"
                board_port.write(b"downlink")
                tail = b""
                while not tail.endswith(b"downlink"):
                    ready, _, _ = select.select([ground_port.fileno()], [], [], 5)
                    assert ready, "no downlink through the relay"
                    tail += ground_port.read(ground_port.in_waiting or 1)
        counters = relay.counters
        assert counters.downlink_dropped > 0 and counters.uplink == 6
        assert counters.downlink + counters.downlink_dropped >= len(flood)
    finally:
        relay.close()
    relay.close()  # idempotent


# -- the pytest plugin ---------------------------------------------------------------------

def test_the_plugin_is_inert_and_its_markers_skip_naming_the_capability(
        pytester: pytest.Pytester) -> None:
    """Tests that use nothing of the plugin import and start nothing; marked tests on a
    board lacking the capability are skipped with the reason and the remedy."""
    pytester.makepyfile(test_plugin="""
        import sys

        import pytest

        def test_nothing_was_started():
            assert "hil.boards.emulated" not in sys.modules
            assert "ground_sw.station" not in sys.modules

        @pytest.mark.needs_power_control
        def test_power():
            pass

        @pytest.mark.needs_fault_injection
        def test_faults():
            pass
        """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider",
                                           "--strict-markers", "-rs", "--hil-port", "loop://")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["*board 'serial' has no power control*--hil-power-cycle*",
                                 "*board 'serial' has no fault injection*"])


@pytest.mark.parametrize(("arguments", "name", "capabilities"), [
    ([], "emulated", Capabilities(fault_injection=True, power_control=True)),
    (["--hil-port", "loop://"], "serial", Capabilities()),
    (["--hil-port", "loop://", "--hil-power-cycle", "true", "--hil-fault-injection"], "serial",
     Capabilities(fault_injection=True, power_control=True)),
    (["--hil-board", "loopback"], "loopback", Capabilities()),
])
def test_the_command_line_chooses_the_board(pytester: pytest.Pytester, third_party: None,
                                            arguments: list[str], name: str,
                                            capabilities: Capabilities) -> None:
    config = pytester.parseconfig(*arguments)
    chosen, options = board_spec(config)
    assert (chosen, lookup(chosen).capabilities_for(options)) == (name, capabilities)
    assert missing_capabilities(["power_control"], chosen, capabilities) == (
        "" if capabilities.power_control else
        f"board {name!r} has no power control (configure a command with "
        "--hil-power-cycle CMD)")
