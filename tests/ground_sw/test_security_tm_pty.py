"""SDLS on both directions end to end: ``flight-sw run`` behind a real pty with TM protection
(authentication only, then authenticated encryption), the ground station verifying every
downlink frame; captures, an injected replay, and a board crash and restart.

The capture is every transfer frame the station's synchronizer recovered (what anyone in
view of the spacecraft records after the public channel decoding).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ccsds.channel_coding import CaduEncoder
from ccsds.config import LinkConfig
from ground_sw.link import LinkStatus
from ground_sw.records import FrameRecord, PacketRecord, Record
from ground_sw.security import GroundSecurity, SecurityPaths, connect_secure, provision
from ground_sw.station import GroundStation
from tests.ground_sw.board import BoardRelay

PROTECTED = (0, 1)


class Recorder:
    """Every frame and packet record of a station."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.packets: list[bytes] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    def on_record(self, record: Record) -> None:
        with self._changed:
            if isinstance(record, FrameRecord):
                self.frames.append(record.frame)
            elif isinstance(record, PacketRecord) and record.virtual_channel in PROTECTED:
                self.packets.append(record.packet)
            self._changed.notify_all()

    def snapshot(self) -> tuple[list[bytes], list[bytes]]:
        """The packets and frames so far."""
        with self._lock:
            return list(self.packets), list(self.frames)

    def protected_frames(self) -> list[bytes]:
        with self._lock:
            return [f for f in self.frames if (f[1] >> 1) & 7 in PROTECTED]

    def wait_protected(self, count: int, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: sum(
                (f[1] >> 1) & 7 in PROTECTED for f in self.frames) >= count, timeout)


Session = tuple[GroundStation, GroundSecurity, Recorder, BoardRelay, list[str], LinkConfig]


@pytest.fixture(scope="module", params=["authentication", "authenticated_encryption"])
def session(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory, exported_path: Path) -> Iterator[Session]:
    service: str = request.param
    text = f'[sdls]\nenabled = true\ntm_protection = true\ntm_service = "{service}"\n'
    config = LinkConfig.from_toml(text)
    root = tmp_path_factory.mktemp("sdls-tm")
    board_paths, ground_paths = provision(root / "keys", config)
    mission = root / "mission.toml"
    mission.write_text(text)
    (root / "state").mkdir()
    relay = BoardRelay(root / "state")
    security = GroundSecurity.load(config, ground_paths)
    recorder = Recorder()
    options = _options(board_paths, mission)
    try:
        with connect_secure(relay.url, exported_path, config, security) as station:
            station.add_listener(recorder)
            relay.start_board(*options)
            station.wait_link(20.0)
            yield station, security, recorder, relay, options, config
    finally:
        relay.stop()


def _options(paths: SecurityPaths, mission: Path) -> list[str]:
    assert paths.tm_associations is not None
    return ["--mission", str(mission), "--sdls-kek", str(paths.kek), "--sdls-keys",
            str(paths.keys), "--sdls-sa", str(paths.associations), "--sdls-tm-sa",
            str(paths.tm_associations)]


def _clean(status: LinkStatus) -> bool:
    return status.tm_verified > 0 and status.tm_rejected == 0


def test_commands_and_telemetry_cross_and_captures_hide_hk_only_when_encrypted(
        session: Session) -> None:
    station, _, recorder, _, _, config = session
    station.send_and_assert("TEST_ARE_YOU_ALIVE", timeout=20.0)
    since = station.clock()
    station.send_and_assert("HK_ONE_SHOT", count=1, structure_id=7, timeout=20.0)
    station.wait_telemetry("SDLS_FRAMES_ACCEPTED", since=since, timeout=20.0)
    assert _clean(station.link.status())
    packets, frames = recorder.snapshot()
    assert len(packets) >= 3
    # a packet's data field (after its 6-octet header), as any eavesdropper would look for
    readable = [packet[6:] in frame for packet in packets for frame in frames]
    assert any(readable) is (config.sdls.tm_service == "authentication")
    if config.sdls.tm_service == "authenticated_encryption":
        for packet in packets:
            for start in range(6, len(packet) - 12, 12):
                assert not any(packet[start : start + 12] in frame for frame in frames)


def test_a_replayed_frame_is_counted_and_dropped(session: Session) -> None:
    station, _, recorder, relay, _, config = session
    assert recorder.wait_protected(1, 20.0)
    before = station.link.status()
    replay = recorder.protected_frames()[0]
    relay.inject_downlink(CaduEncoder(config.tm).encode(replay))
    status = station.link.wait_status(lambda s: s.tm_rejected > before.tm_rejected, 20.0)
    assert status is not None and dict(status.tm_rejections) == {"replay": 1}
    assert status.tm_verified >= before.tm_verified


def test_board_crash_and_restart_reuses_no_tm_iv(session: Session) -> None:
    """SIGKILL (nothing saved at exit), start again from the state dir: every IV after the
    restart is new, and the ground accepts the frames (the skip is inside its window)."""
    station, _, recorder, relay, options, _ = session
    assert recorder.wait_protected(2, 20.0) and relay.process is not None
    relay.process.send_signal(signal.SIGKILL)
    relay.process.wait(timeout=10)
    before = {frame[8:20] for frame in recorder.protected_frames()}
    seen = len(recorder.protected_frames())
    relay.start_board(*options)
    assert recorder.wait_protected(seen + 3, 30.0)
    after = [frame[8:20] for frame in recorder.protected_frames()[seen:]]
    assert not before & set(after)
    assert min(int.from_bytes(iv[4:], "big") for iv in after) > max(
        int.from_bytes(iv[4:], "big") for iv in before)
    status = station.link.status()
    assert status.tm_verified >= len(before) + 3
    assert dict(status.tm_rejections).keys() <= {"replay"}  # only the injected replay
