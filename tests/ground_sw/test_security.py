"""Ground link security: files at rest, sequence number reserve, key management mirrored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccsds.config import LinkConfig
from ccsds.sdls.association import SaState, SaTable
from ccsds.sdls.key_file import load_key_file
from ccsds.sdls.keys import KeyState, KeyStore
from ccsds.sdls.management import execute
from ccsds.sdls.procedures import ExtendedProcedure
from ccsds.sdls.sa_file import loads_sa_table
from ccsds.tc_frame import TcFrame
from ground_sw.security import (
    ARSN_RESERVE,
    GroundSecurity,
    KeyManagement,
    SecurityOperationError,
    SecurityPaths,
    provision,
)

CONFIG = LinkConfig.from_toml("[sdls]\nenabled = true\n")


class BoardEnd:
    """The board's procedures run directly on an SA table and key store (a fake runner: no
    link, no PUS verification, no persistence)."""

    def __init__(self, paths: SecurityPaths) -> None:
        self.keys: KeyStore = load_key_file(paths.keys.read_bytes(), paths.kek.read_bytes())
        self.table: SaTable = loads_sa_table(paths.associations.read_text())
        self.procedures: list[str] = []

    def __call__(self, pdu: ExtendedProcedure) -> ExtendedProcedure | None:
        self.procedures.append(type(pdu).__name__)
        return execute(pdu, table=self.table, keys=self.keys)


@pytest.fixture
def provisioned(tmp_path: Path) -> tuple[SecurityPaths, SecurityPaths]:
    return provision(tmp_path / "keys", CONFIG)


def frame(number: int) -> TcFrame:
    return TcFrame(CONFIG.tc.spacecraft_id, 0, number % 256, b"\xc0" + bytes(10))


def test_provisioning_gives_both_ends_the_same_keys_under_different_keks(
        provisioned: tuple[SecurityPaths, SecurityPaths]) -> None:
    board, ground = provisioned
    assert board.kek.read_bytes() != ground.kek.read_bytes()
    board_keys = load_key_file(board.keys.read_bytes(), board.kek.read_bytes())
    ground_keys = GroundSecurity.load(CONFIG, ground).keys
    assert [(r.key_id, r.material, r.state) for r in board_keys] == [
        (r.key_id, r.material, r.state) for r in ground_keys]
    assert board.kek.stat().st_mode & 0o077 == 0


def test_a_restart_never_reuses_a_sequence_number(
        provisioned: tuple[SecurityPaths, SecurityPaths]) -> None:
    """Files saved with a reserve ahead: after a crash (no save at exit) the next frame's
    ARSN is above every one used before (docs/security.md 5; SP 800-38D 8.3)."""
    _, paths = provisioned
    security = GroundSecurity.load(CONFIG, paths)
    for number in range(ARSN_RESERVE + 10):  # crosses one reserve boundary
        security.protection.protect(frame(number))
    used = security.table.get(1).arsn
    restarted = GroundSecurity.load(CONFIG, paths)
    restarted.protection.protect(frame(0))
    assert restarted.table.get(1).arsn > used
    assert restarted.table.get(1).arsn <= used + ARSN_RESERVE + 1


@pytest.mark.parametrize("damage", ["missing", "kek", "json", "counter"])
def test_bad_ground_files_are_a_typed_error(
        provisioned: tuple[SecurityPaths, SecurityPaths], damage: str) -> None:
    _, paths = provisioned
    if damage == "missing":
        paths.keys.unlink()
    elif damage == "kek":
        paths.kek.write_bytes(bytes(32))
    elif damage == "json":
        paths.associations.write_text("{")
    else:
        document = json.loads(paths.associations.read_text())
        document["otar_counter"] = "seven"
        paths.associations.write_text(json.dumps(document))
    with pytest.raises(SecurityOperationError):
        GroundSecurity.load(CONFIG, paths)


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300))
def test_garbage_sa_files_give_a_typed_error(
        provisioned: tuple[SecurityPaths, SecurityPaths], text: str) -> None:
    _, paths = provisioned
    paths.associations.write_text(text)
    with pytest.raises(SecurityOperationError):
        GroundSecurity.load(CONFIG, paths)


def test_rekey_is_mirrored_at_both_ends(
        provisioned: tuple[SecurityPaths, SecurityPaths]) -> None:
    board_paths, ground_paths = provisioned
    board = BoardEnd(board_paths)
    security = GroundSecurity.load(CONFIG, ground_paths)
    KeyManagement(board, security).rekey(master_key_id=0x100, new_key_id=9, new_spi=2,
                                         old_spi=1)
    assert board.procedures == [
        "OtarCommand", "KeyVerificationCommand", "KeyActivationCommand", "RekeySaCommand",
        "StartSaCommand", "StopSaCommand", "ExpireSaCommand", "KeyDeactivationCommand",
        "KeyDestructionCommand"]
    for table, keys in ((board.table, board.keys), (security.table, security.keys)):
        assert [(sa.spi, sa.state, sa.key_id) for sa in table] == [
            (1, SaState.UNKEYED, None), (2, SaState.OPERATIONAL, 9)]
        assert (keys.state(1), keys.state(9)) == (KeyState.DESTROYED, KeyState.ACTIVE)
    assert security.protection.current().spi == 2
    assert board.keys.record(9).material == security.keys.record(9).material
    reloaded = GroundSecurity.load(CONFIG, ground_paths)  # the mirror was saved
    assert reloaded.table.get(2).state is SaState.OPERATIONAL
    assert reloaded.otar_counter == 1


def test_verification_detects_a_board_holding_another_key(
        provisioned: tuple[SecurityPaths, SecurityPaths]) -> None:
    board_paths, ground_paths = provisioned
    board = BoardEnd(board_paths)
    security = GroundSecurity.load(CONFIG, ground_paths)
    management = KeyManagement(board, security)
    management.upload(0x100, [(3, bytes(32))])
    board.keys = KeyStore()  # the board now holds other material under id 3
    board.keys.install(3, bytes(range(32)))
    with pytest.raises(SecurityOperationError, match="key 3"):
        management.verify([3])


def test_a_mirror_the_ground_refuses_is_reported(
        provisioned: tuple[SecurityPaths, SecurityPaths]) -> None:
    board_paths, ground_paths = provisioned
    security = GroundSecurity.load(CONFIG, ground_paths)
    security.table.get(2).rekey(1)  # the ground's copy disagrees with the board's
    with pytest.raises(SecurityOperationError, match="mirror"):
        KeyManagement(BoardEnd(board_paths), security).rekey_sa(2, 1)


def test_tm_protection_needs_the_ground_tm_sa_file(
        provisioned: tuple[SecurityPaths, SecurityPaths]) -> None:
    """Files provisioned for TC only: a TM-protected mission refuses them."""
    config = LinkConfig.from_toml("[sdls]\nenabled = true\ntm_protection = true\n")
    with pytest.raises(SecurityOperationError, match="TM SA file"):
        GroundSecurity.load(config, provisioned[1])
