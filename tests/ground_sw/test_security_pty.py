"""SDLS end to end: ``flight-sw run`` behind a real pty with its SDLS options, and the ground
station protecting its uplink; captures, rekeying under load and the state dir at rest."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import threading
import tty
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ccsds.cltu import CltuExtractor
from ccsds.config import LinkConfig
from ccsds.ground_link import GroundUplink
from ccsds.pus_types import Value
from ccsds.randomizer import tc_randomize
from ccsds.sdls.association import SaState
from ccsds.sdls.keys import KeyState
from ccsds.tc_frame import TcFrame
from ground_sw.records import Outcome
from ground_sw.security import (
    GroundSecurity,
    SecurityPaths,
    connect_secure,
    key_management,
    provision,
)
from ground_sw.station import GroundStation
from tests.ground_sw.board import BoardRelay

MISSION_TOML = "[sdls]\nenabled = true\n"
CONFIG = LinkConfig.from_toml(MISSION_TOML)
PROBE_NAME = "plaintext-probe-object"
PROBE_DATA = b"TOP-SECRET-PAYLOAD-CONTENT-0123456789"


class Capture:
    """Every CLTU the ground puts on the line (wraps GroundUplink.cltu)."""

    def __init__(self, uplink: GroundUplink) -> None:
        self.cltus: list[bytes] = []
        self._lock = threading.Lock()
        original = uplink.cltu

        def recorded(frame: TcFrame) -> bytes:
            cltu = original(frame)
            with self._lock:
                self.cltus.append(cltu)
            return cltu

        uplink.cltu = recorded  # type: ignore[method-assign]

    def readable(self) -> bytes:
        """What an eavesdropper reads: information octets, derandomized."""
        with self._lock:
            stream = b"".join(self.cltus)
        units = CltuExtractor(max_frame_length=CONFIG.tc.max_frame_length).feed(stream)
        return b"|".join(tc_randomize(unit.data) for unit in units)


def board_options(paths: SecurityPaths, mission: Path) -> list[str]:
    return ["--mission", str(mission), "--sdls-kek", str(paths.kek), "--sdls-keys",
            str(paths.keys), "--sdls-sa", str(paths.associations)]


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory, exported_path: Path) -> Iterator[
        tuple[GroundStation, GroundSecurity, Capture, BoardRelay, SecurityPaths]]:
    root = tmp_path_factory.mktemp("sdls")
    board_paths, ground_paths = provision(root / "keys", CONFIG)
    mission = root / "mission.toml"
    mission.write_text(MISSION_TOML)
    state_dir = root / "state"
    state_dir.mkdir()
    relay = BoardRelay(state_dir)
    security = GroundSecurity.load(CONFIG, ground_paths)
    try:
        with connect_secure(relay.url, exported_path, CONFIG, security) as station:
            capture = Capture(station.link.link.uplink)
            relay.start_board(*board_options(board_paths, mission))
            station.wait_link(20.0)
            yield station, security, capture, relay, board_paths
    finally:
        relay.stop()


def test_commands_are_verified_and_captures_show_no_command_fields(
        secure: tuple[GroundStation, GroundSecurity, Capture, BoardRelay, SecurityPaths]
) -> None:
    station, _, capture, _, _ = secure
    station.send_and_assert("TEST_ARE_YOU_ALIVE", timeout=20.0)
    handle = station.send("STORE_PUT_INLINE", object_name=PROBE_NAME, data=PROBE_DATA)
    handle.wait_completed(20.0)
    prepared = station.commander.prepare("STORE_PUT_INLINE",
                                         {"object_name": PROBE_NAME, "data": PROBE_DATA})
    packet = prepared.tc.encode()
    seen = capture.readable()
    assert len(capture.cltus) >= 2
    for field in (packet[:6], packet[6:11], PROBE_NAME.encode(), PROBE_DATA[:12]):
        assert field not in seen
    since = station.clock()
    station.send_and_assert("HK_ONE_SHOT", count=1, structure_id=7, timeout=20.0)
    station.wait_telemetry("SDLS_FRAMES_ACCEPTED", predicate=_at_least(3), since=since,
                           timeout=20.0)
    assert station.telemetry("SDLS_FRAMES_REJECTED") == 0


def _at_least(count: int) -> Callable[[Value], bool]:
    return lambda value: isinstance(value, int) and value >= count


def test_rekeying_under_load_over_the_pty_loses_no_command(
        secure: tuple[GroundStation, GroundSecurity, Capture, BoardRelay, SecurityPaths]
) -> None:
    station, security, _, relay, board_paths = secure
    stop = threading.Event()
    handles = []

    def load() -> None:
        while not stop.is_set():
            handles.append(station.send("TEST_ARE_YOU_ALIVE"))
            stop.wait(0.01)

    sender = threading.Thread(target=load)
    sender.start()
    try:
        key_management(station, security, timeout=20.0).rekey(
            master_key_id=0x100, new_key_id=7, new_spi=2, old_spi=1)
    finally:
        stop.set()
        sender.join()
    for handle in handles:
        handle.wait_completed(30.0)
    assert len(handles) >= 5  # pings went up between, and during, the procedures
    assert security.table.get(2).state is SaState.OPERATIONAL
    assert security.table.get(1).state is SaState.UNKEYED
    keys = key_management(station, security, timeout=20.0).inventory()
    assert (keys[1], keys[7]) == (KeyState.DESTROYED, KeyState.ACTIVE)
    station.send_and_assert("TEST_ARE_YOU_ALIVE", timeout=20.0)
    assert station.telemetry("SDLS_REJECTED_SA") in (None, 0)
    _assert_no_plaintext_key(relay.state_dir, security, board_paths)


def _assert_no_plaintext_key(state_dir: Path, security: GroundSecurity,
                             board_paths: SecurityPaths) -> None:
    secrets = [record.material for record in security.keys if record.material]
    secrets.append(board_paths.kek.read_bytes())
    files = [path for path in state_dir.rglob("*") if path.is_file()]
    assert any(path.parent.name == "sdls" for path in files)
    for path in files:
        content = path.read_bytes()
        for secret in secrets:
            for form in (secret, secret.hex().encode(), base64.b64encode(secret)):
                assert form not in content, path


def test_board_refuses_to_start_without_its_kek(tmp_path: Path) -> None:
    mission = tmp_path / "mission.toml"
    mission.write_text(MISSION_TOML)
    master, slave = os.openpty()
    tty.setraw(slave)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "flight_sw.cli", "run", "--port", os.ttyname(slave),
             "--state-dir", str(tmp_path / "state"), "--mission", str(mission)],
            check=False, capture_output=True, timeout=60, env={**os.environ, "SDLS_KEK_FILE": ""})
    finally:
        os.close(master)
        os.close(slave)
    assert result.returncode == 2
    assert b"--sdls-kek is required" in result.stderr


def test_unprotected_commands_do_not_reach_a_protected_board(tmp_path: Path) -> None:
    """A ground without the keys (the baseline, SDLS off) is never verified."""
    root = tmp_path
    board_paths, _ = provision(root / "keys", CONFIG)
    mission = root / "mission.toml"
    mission.write_text(MISSION_TOML)
    (root / "state").mkdir()
    relay = BoardRelay(root / "state")
    try:
        with GroundStation.connect(relay.url, None, CONFIG) as station:
            relay.start_board(*board_options(board_paths, mission))
            station.wait_link(20.0)
            handle = station.send("TEST_ARE_YOU_ALIVE")
            event = station.await_event("SECURITY_REJECTED", timeout=20.0)
            assert event.values["reason"] == "UNKNOWN_SPI"  # packet header octets as SPI
            # a TC packet's first word (type 1, secondary header 1, APID) read as the SPI
            assert event.values["spi"] == (1 << 12) | (1 << 11) | CONFIG.packets.apid_pus
            assert handle.outcome is Outcome.SENT  # no verification report ever came
    finally:
        relay.stop()
