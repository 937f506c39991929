"""Board contract: what survives a power cycle (settings, stored objects, the boot count).

A power cycle removes power without warning (the emulated board: SIGKILL), so what the
board reported complete before it must be in non-volatile memory (docs/icd.md section 10).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ground_sw.dictionary import Dictionary
from ground_sw.records import EventRecord
from ground_sw.station import GroundStation
from hil.pytest_plugin import BoardLink
from tests.contract.reports import INTACT, get_object, verify_object

pytestmark = pytest.mark.needs_power_control

OBJECT_NAME = "contract/survives-power-cycle"
OBJECT_DATA = bytes(range(256)) * 5
THRESHOLD = 33_500


@dataclass
class Cycled:
    boot_count_before: int
    resets_before: int
    boot: EventRecord


def _boot_count(ground: GroundStation, dictionary: Dictionary) -> int:
    asked = ground.send_and_assert("HK_ONE_SHOT", count=1,
                                   structure_id=dictionary.database.structure("board").id).time
    count = ground.wait_telemetry("BOOT_COUNT", since=asked, timeout=10).raw
    assert isinstance(count, int)
    return count


@pytest.fixture(scope="module")
def cycled(hil_link: BoardLink, hil_dictionary: Dictionary) -> Cycled:
    """A setting changed and an object stored, then the power cycled once."""
    ground = hil_link.ground
    ground.send_and_assert("PARAM_SET", OVERTEMP_THRESHOLD=THRESHOLD)
    ground.send_and_assert("STORE_PUT_INLINE", object_name=OBJECT_NAME, data=OBJECT_DATA)
    before = _boot_count(ground, hil_dictionary)
    resets = hil_link.board.reset_count
    return Cycled(before, resets, hil_link.power_cycle())


def test_the_board_boots_again_and_counts_the_boot(cycled: Cycled, hil_link: BoardLink) -> None:
    assert cycled.boot.values["boot_count"] == cycled.boot_count_before + 1
    assert hil_link.board.reset_count == cycled.resets_before + 1
    hil_link.ground.send_and_assert("TEST_ARE_YOU_ALIVE")


def test_a_parameter_set_before_the_cycle_keeps_its_value(cycled: Cycled, hil_link: BoardLink,
                                                           hil_dictionary: Dictionary) -> None:
    ground = hil_link.ground
    threshold = hil_dictionary.database.parameter("OVERTEMP_THRESHOLD")
    report = ground.send_and_assert("PARAM_REPORT", count=1, parameter_id=threshold.id)
    ground.assert_telemetry("OVERTEMP_THRESHOLD", THRESHOLD, since=report.time)


def test_an_object_stored_before_the_cycle_is_intact(cycled: Cycled, hil_link: BoardLink) -> None:
    ground = hil_link.ground
    assert verify_object(ground, OBJECT_NAME)["state"] == INTACT
    assert get_object(ground, OBJECT_NAME, len(OBJECT_DATA)) == OBJECT_DATA
