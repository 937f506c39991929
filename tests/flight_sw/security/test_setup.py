"""``flight-sw run`` options, provisioning into the state dir, and refusals at start-up."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccsds.config import LinkConfig, SdlsConfig
from ccsds.sdls.association import SaState
from flight_sw.app import FlightSoftware
from flight_sw.clock import SimulatedClock
from flight_sw.hal import get_hal
from flight_sw.security import (
    SecuritySettings,
    SecuritySetupError,
    add_arguments,
    attach_security,
    settings_from_args,
)
from flight_sw.security.persistence import (
    KEY_FILE_NAME,
    SA_FILE_NAME,
    STATE_SUBDIR,
    TM_SA_FILE_NAME,
    open_state,
)
from flight_sw.security.telemetry import security_parameters
from ground_sw.security import SecurityPaths, provision
from hil.bench_ground import BenchGround

from .harness import CONFIG, board_settings, tm_config


def software(root: Path, config: LinkConfig = CONFIG) -> FlightSoftware:
    clock = SimulatedClock()
    state = root / "state"
    return FlightSoftware(config, clock, get_hal("emulated", state_dir=state, clock=clock),
                          state)


@pytest.fixture
def paths(tmp_path: Path) -> SecurityPaths:
    return provision(tmp_path / "keys", CONFIG)[0]


def test_options_come_from_the_command_line_or_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDLS_KEK_FILE", "/secure/kek.bin")
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    settings = settings_from_args(parser.parse_args(["--sdls-keys", "k.bin", "--sdls-sa",
                                                     "sa.json"]))
    assert settings == SecuritySettings(Path("/secure/kek.bin"), Path("k.bin"), Path("sa.json"))
    monkeypatch.delenv("SDLS_KEK_FILE")
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert settings_from_args(parser.parse_args([])) is None
    with pytest.raises(SecuritySetupError, match="need --sdls-kek"):
        settings_from_args(parser.parse_args(["--sdls-keys", "k.bin"]))


def test_first_boot_provisions_the_state_dir_and_later_boots_use_it(
        tmp_path: Path, paths: SecurityPaths) -> None:
    first = software(tmp_path)
    security = attach_security(first, board_settings(paths))
    assert security is not None and first.link.uplink.security is security.uplink
    directory = tmp_path / "state" / STATE_SUBDIR
    assert {p.name for p in directory.iterdir()} == {KEY_FILE_NAME, SA_FILE_NAME}
    security.table.get(1).arsn = 41
    security.files.save_associations(security.table)
    paths.keys.unlink()  # provisioning files are needed at the first boot only
    paths.associations.unlink()
    again = attach_security(software(tmp_path), SecuritySettings(paths.kek))
    assert again is not None and again.table.get(1).arsn == 41


@pytest.mark.parametrize("problem", ["no settings", "settings while off", "kek in state",
                                     "wrong kek", "altered key file", "no provisioning",
                                     "service mismatch", "tm protection"])
def test_refusals_at_start_up(tmp_path: Path, paths: SecurityPaths, problem: str) -> None:
    settings: SecuritySettings | None = board_settings(paths)
    config = CONFIG
    if problem == "no settings":
        settings = None
    elif problem == "settings while off":
        config = LinkConfig.baseline()
    elif problem == "kek in state":
        inside = tmp_path / "state" / "kek.bin"
        inside.parent.mkdir(parents=True, exist_ok=True)
        inside.write_bytes(paths.kek.read_bytes())
        settings = SecuritySettings(inside, paths.keys, paths.associations)
    elif problem == "wrong kek":
        paths.kek.write_bytes(bytes(32))
    elif problem == "altered key file":
        data = bytearray(paths.keys.read_bytes())
        data[20] ^= 1
        paths.keys.write_bytes(bytes(data))
    elif problem == "no provisioning":
        settings = SecuritySettings(paths.kek)
    elif problem == "service mismatch":
        config = dataclasses.replace(CONFIG, sdls=SdlsConfig(enabled=True,
                                                             tc_service="authentication"))
    elif problem == "tm protection":  # TM protected but the provisioning has no TM SA file
        config = dataclasses.replace(CONFIG, sdls=SdlsConfig(enabled=True, tm_protection=True))
    flight = software(tmp_path, config)
    with pytest.raises(SecuritySetupError):
        attach_security(flight, settings)
    assert flight.link.uplink.security is None


def test_sdls_off_attaches_nothing(tmp_path: Path) -> None:
    flight = software(tmp_path, LinkConfig.baseline())
    assert attach_security(flight, None) is None
    assert not (tmp_path / "state" / STATE_SUBDIR).exists()
    values = security_parameters(flight)
    assert values["SDLS_ENABLED"] is False
    assert not any(value for value in values.values())


def test_sdls_on_but_not_attached_counts_every_rejection(tmp_path: Path) -> None:
    flight = software(tmp_path)
    sender = BenchGround(CONFIG)
    sender.start(0.0)
    flight.receive(b"".join(sender.send_packet(sender.telecommand(17, 1).encode(), 0.0)))
    values = security_parameters(flight)
    assert (values["SDLS_FRAMES_REJECTED"], values["SDLS_REJECTED_SA"]) == (1, 1)
    assert flight.dispatcher.counters.packets == 0


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key_file=st.binary(max_size=200), sa_file=st.text(max_size=200))
def test_garbage_state_files_give_a_typed_error(tmp_path_factory: pytest.TempPathFactory,
                                                     key_file: bytes, sa_file: str) -> None:
    """Fuzz: whatever garbage the state dir holds, start-up refuses with one typed error."""
    root = tmp_path_factory.mktemp("fuzz")
    (root / "kek.bin").write_bytes(bytes(range(32)))
    state = root / "state" / STATE_SUBDIR
    state.mkdir(parents=True)
    (state / KEY_FILE_NAME).write_bytes(key_file)
    (state / SA_FILE_NAME).write_text(sa_file)
    with pytest.raises(SecuritySetupError):
        open_state(root / "state", root / "kek.bin", None, None)


def test_saved_sa_file_holds_no_secret_fields(tmp_path: Path, paths: SecurityPaths) -> None:
    security = attach_security(software(tmp_path), board_settings(paths))
    assert security is not None
    document = json.loads((tmp_path / "state" / STATE_SUBDIR / SA_FILE_NAME).read_text())
    assert {entry["state"] for entry in document["associations"]} == {
        SaState.OPERATIONAL.value, SaState.UNKEYED.value}
    assert all("key" not in name or name == "key_id" for entry in document["associations"]
               for name in entry)


TM_CONFIG = tm_config()


@pytest.mark.parametrize("problem", ["tm sa while tm off", "no tm sa file", "service mismatch",
                                     "key of a tc sa", "not operational", "unprotected vc",
                                     "garbage"])
def test_tm_refusals_at_start_up(tmp_path: Path, problem: str) -> None:
    paths = provision(tmp_path / "keys", TM_CONFIG)[0]
    assert paths.tm_associations is not None
    settings = board_settings(paths)
    config = TM_CONFIG
    document = json.loads(paths.tm_associations.read_text())
    entry = document["associations"][0]
    if problem == "tm sa while tm off":
        config = CONFIG
    elif problem == "no tm sa file":
        settings = SecuritySettings(paths.kek, paths.keys, paths.associations)
    elif problem == "service mismatch":
        config = tm_config("authenticated_encryption")
    elif problem == "key of a tc sa":
        entry["key_id"] = 1
    elif problem == "not operational":
        entry["state"] = SaState.KEYED.value
    elif problem == "unprotected vc":
        entry["virtual_channels"] = [0, 1, 2]
    paths.tm_associations.write_text("{" if problem == "garbage" else json.dumps(document))
    flight = software(tmp_path, config)
    with pytest.raises(SecuritySetupError):
        attach_security(flight, settings)
    assert flight.link.downlink.security is None


def test_tm_sa_file_is_provisioned_once_then_kept_in_the_state_dir(tmp_path: Path) -> None:
    paths = provision(tmp_path / "keys", TM_CONFIG)[0]
    first = attach_security(software(tmp_path, TM_CONFIG), board_settings(paths))
    assert first is not None and first.downlink is not None
    assert (tmp_path / "state" / STATE_SUBDIR / TM_SA_FILE_NAME).exists()
    assert paths.tm_associations is not None
    paths.tm_associations.unlink()
    flight = software(tmp_path, TM_CONFIG)
    again = attach_security(flight, SecuritySettings(paths.kek))
    assert again is not None and flight.link.downlink.security is again.downlink


def test_tm_sa_option_from_the_command_line_or_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDLS_TM_SA_FILE", "/provisioning/tm-sa.json")
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    settings = settings_from_args(parser.parse_args(["--sdls-kek", "kek.bin"]))
    assert settings is not None
    assert settings.tm_associations == Path("/provisioning/tm-sa.json")
    with pytest.raises(SecuritySetupError, match="need --sdls-kek"):
        settings_from_args(parser.parse_args([]))
