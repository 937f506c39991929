"""Mission configuration: the packaged baseline, overrides and validation."""

from pathlib import Path

import pytest

from ccsds.config import ConfigError, LinkConfig


def test_baseline_matches_icd() -> None:
    config = LinkConfig.baseline()
    assert config.tc.spacecraft_id == 42
    assert config.tc.max_frame_length == 1024
    assert config.tc.farm_window == 10
    assert config.tm.frame_length == 1115
    assert config.tm.codeblock_length == 1275
    assert config.tm.asm_bytes == bytes.fromhex("1acffc1d")
    assert (config.packets.apid_pus, config.packets.apid_cfdp) == (100, 101)
    assert (config.cfdp.ground_entity_id, config.cfdp.payload_entity_id) == (1, 2)


def test_mission_file_overrides_subset(tmp_path: Path) -> None:
    path = tmp_path / "mission.toml"
    path.write_text("[tm]\nframe_length = 1195\nrs_check_symbols = 16\n[tc]\nfarm_window = 20\n")
    # fop_window stays at the baseline 5 <= 20 / 2
    config = LinkConfig.load(path)
    assert config.tm.frame_length == 1195
    assert config.tm.codeblock_length == 1275
    assert config.tc.farm_window == 20
    assert config.tc.spacecraft_id == 42


@pytest.mark.parametrize(
    "text, message",
    [
        ("[tm]\nframe_length = 1000\n", "must equal"),
        ("[tc]\nspacecraft_id = 5000\n", "outside"),
        ("[tc]\nfarm_window = 11\n", "even"),
        ("[tc]\nfop_window = 6\n", "must not exceed"),
        ("[tc]\nbogus = 1\n", "unknown keys"),
        ("[nonsense]\n", "unknown sections"),
        ("[tc]\nfecf = 3\n", "must be bool"),
        ("[tc\n", "not valid TOML"),
        ("[tm]\nasm = 'zz'\n", "not hex"),
    ],
)
def test_bad_configuration_is_typed_error(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        LinkConfig.from_toml(text)


def test_missing_file_is_typed_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        LinkConfig.load(tmp_path / "absent.toml")


def test_sdls_is_off_in_the_baseline() -> None:
    sdls = LinkConfig.baseline().sdls
    assert not sdls.enabled and not sdls.tm_protection
    assert sdls == LinkConfig().sdls  # the TOML section says what the defaults say


def test_sdls_section_overrides() -> None:
    config = LinkConfig.from_toml('[sdls]\nenabled = true\ntc_service = "authentication"\n'
                                  'tm_protection = true\ntm_virtual_channels = [1]\n')
    assert config.sdls.enabled and config.sdls.tc_service == "authentication"
    assert config.sdls.tm_protection and config.sdls.tm_virtual_channels == (1,)


@pytest.mark.parametrize("text, message", [
    ('[sdls]\ntc_service = "encryption"\n', "must be one of"),
    ("[sdls]\ntm_protection = true\n", "needs sdls.enabled"),
    ("[sdls]\nenabled = true\ntm_protection = true\ntm_virtual_channels = []\n",
     "needs sdls.tm_virtual_channels"),
    ("[sdls]\nenabled = true\ntm_protection = true\ntm_virtual_channels = [7]\n",
     "vc_idle"),
    ("[sdls]\ntm_virtual_channels = [9]\n", "outside"),
    ('[sdls]\ntm_virtual_channels = ["0"]\n', "list of integers"),
    ("[sdls]\ntm_virtual_channels = 0\n", "must be tuple"),
    ('[sdls]\nenabled = "yes"\n', "must be bool"),
])
def test_bad_sdls_section_is_typed_error(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        LinkConfig.from_toml(text)
