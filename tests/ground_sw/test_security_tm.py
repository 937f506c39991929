"""The ground's TM SDLS receiving end: files, persistence of the last accepted ARSN, and the
link status of verified and rejected frames (CCSDS 355.0-B-2 4.2; docs/security.md 10)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from ccsds.board_link import BoardDownlink, DownlinkSecurity
from ccsds.config import LinkConfig
from ccsds.crc import crc16_ccitt
from ccsds.pus import PusTm
from ccsds.sdls.key_file import load_key_file
from ccsds.sdls.sa_file import loads_sa_table
from ground_sw.link import LinkPort
from ground_sw.security import (
    TM_ARSN_WINDOW,
    TM_KEY_ID,
    TM_SPI,
    GroundSecurity,
    SecurityOperationError,
    SecurityPaths,
    provision,
)

CONFIG = LinkConfig.from_toml("[sdls]\nenabled = true\ntm_protection = true\n"
                              "tm_service = \"authenticated_encryption\"\n")
CLCW = b"\x01\x00\x00\x00"  # COP-1 in effect, VC 0, no flags, N(R) 0


@pytest.fixture
def provisioned(tmp_path: Path) -> tuple[SecurityPaths, SecurityPaths]:
    return provision(tmp_path / "keys", CONFIG)


def board_downlink(paths: SecurityPaths) -> BoardDownlink:
    """The board's sending end from its provisioned files (no persistence)."""
    assert paths.tm_associations is not None
    keys = load_key_file(paths.keys.read_bytes(), paths.kek.read_bytes())
    table = loads_sa_table(paths.tm_associations.read_text())
    return BoardDownlink(CONFIG, security=DownlinkSecurity(table, keys, CONFIG))


def cadus(board: BoardDownlink, count: int) -> bytes:
    """``count`` CADUs, one packet in each, alternately on VC 0 and 1."""
    stream = b""
    for number in range(count):
        board.queue_packet(number % 2, PusTm(100, number, 3, 25,
                                             source_data=b"HK %d" % number).encode())
        stream += board.take_cadus(CLCW, 1)
    return stream


def test_provisioning_gives_both_ends_a_tm_sa_and_key(
        provisioned: tuple[SecurityPaths, SecurityPaths]) -> None:
    for paths in provisioned:
        assert paths.tm_associations is not None
        (sa,) = loads_sa_table(paths.tm_associations.read_text())
        assert (sa.spi, sa.key_id, sa.arsn_window) == (TM_SPI, TM_KEY_ID, TM_ARSN_WINDOW)
        assert sa.virtual_channels == frozenset(CONFIG.sdls.tm_virtual_channels)
        assert sa.service.value == CONFIG.sdls.tm_service
    board, ground = provisioned
    board_keys = load_key_file(board.keys.read_bytes(), board.kek.read_bytes())
    ground_keys = GroundSecurity.load(CONFIG, ground).keys
    assert board_keys.record(TM_KEY_ID).material == ground_keys.record(TM_KEY_ID).material


def test_link_status_counts_verified_and_rejected_frames_and_saves_the_arsn(
        provisioned: tuple[SecurityPaths, SecurityPaths]) -> None:
    board_paths, ground_paths = provisioned
    security = GroundSecurity.load(CONFIG, ground_paths)
    port = LinkPort("loop://", CONFIG, verification=security.verification)
    board = board_downlink(board_paths)
    stream = cadus(board, 4)
    _, packets, _ = port.receive(stream, 0.0, 0.0)
    assert len(packets) == 4
    status = port.status()
    assert (status.tm_verified, status.tm_rejected, status.tm_rejections) == (4, 0, ())
    assert ground_paths.tm_associations is not None
    saved = json.loads(ground_paths.tm_associations.read_text())["associations"][0]["arsn"]
    assert saved == 4  # the receiving end saves what it accepted, no reserve
    _, packets, _ = port.receive(stream, 1.0, 1.0)  # the same CADUs, replayed
    assert packets == []
    status = port.status()
    assert (status.tm_verified, status.tm_rejected) == (4, 4)
    assert status.tm_rejections == (("replay", 4),)
    assert "SDLS" in status.last_error
    restarted = GroundSecurity.load(CONFIG, ground_paths)
    assert restarted.tm_table is not None and restarted.tm_table.get(TM_SPI).arsn == 4


def test_a_port_without_verification_uses_no_protected_frame(
        provisioned: tuple[SecurityPaths, SecurityPaths]) -> None:
    port = LinkPort("loop://", CONFIG)
    stream = cadus(board_downlink(provisioned[0]), 2)
    _, packets, _ = port.receive(stream, 0.0, 0.0)
    assert packets == [] and port.status().tm_rejections == (("sa_state", 2),)
    port.set_verification(GroundSecurity.load(CONFIG, provisioned[1]).verification)
    _, packets, _ = port.receive(stream, 0.0, 0.0)  # rejected frames moved no ARSN
    assert len(packets) == 2 and port.status().tm_rejections == ()


def test_a_damaged_tm_sa_file_is_a_typed_error(
        provisioned: tuple[SecurityPaths, SecurityPaths]) -> None:
    paths = provisioned[1]
    assert paths.tm_associations is not None
    paths.tm_associations.write_text("[]")
    with pytest.raises(SecurityOperationError, match="TM SA file"):
        GroundSecurity.load(CONFIG, paths)


def test_forged_frames_on_the_port_change_nothing(
        provisioned: tuple[SecurityPaths, SecurityPaths]) -> None:
    """A frame altered and re-CRCed by an attacker, re-encoded with the public coding."""
    board_paths, ground_paths = provisioned
    security = GroundSecurity.load(CONFIG, ground_paths)
    port = LinkPort("loop://", CONFIG, verification=security.verification)
    board = board_downlink(board_paths)
    board.queue_packet(0, PusTm(100, 1, 3, 25, source_data=b"x").encode())
    frame = board.mux.next_frame(CLCW)
    assert frame is not None
    forged = bytearray(frame)
    forged[40] ^= 0x10
    forged[-2:] = crc16_ccitt(forged[:-2]).to_bytes(2, "big")
    _, packets, _ = port.receive(board.encoder.encode(bytes(forged)), 0.0, 0.0)
    assert packets == [] and port.status().tm_rejections == (("mac", 1),)
    _, packets, _ = port.receive(board.encoder.encode(frame), 0.0, 0.0)
    assert len(packets) == 1  # the genuine frame still goes through



def test_a_failing_tm_save_is_counted_and_the_link_goes_on(
        provisioned: tuple[SecurityPaths, SecurityPaths], tmp_path: Path) -> None:
    board_paths, ground_paths = provisioned
    security = GroundSecurity.load(CONFIG, ground_paths)
    security.paths = dataclasses.replace(ground_paths,
                                         tm_associations=tmp_path / "gone" / "tm-sa.json")
    port = LinkPort("loop://", CONFIG, verification=security.verification)
    _, packets, _ = port.receive(cadus(board_downlink(board_paths), 2), 0.0, 0.0)
    assert len(packets) == 2 and security.tm_save_failures == 1
