"""Command text against the dictionary: typed values, validation before sending, completion
and help (shared by ``ground-sw cmd`` and the console). Fuzzed: no text breaks the parser,
every completion extends what was typed."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccsds.timecode import CucTime
from ground_sw.console.arguments import CommandParser, parse_value
from ground_sw.dictionary import Dictionary
from ground_sw.errors import ArgumentValidationError, GroundError, UnknownCommandError


@pytest.fixture(scope="module")
def parser(exported: Dictionary) -> CommandParser:
    return CommandParser(exported.database)


def test_values_are_typed_by_the_dictionary(parser: CommandParser) -> None:
    parsed = parser.parse('COMPUTE_SUBMIT_SEARCH input="a b" output=out priority=0x7 dmr=yes '
                          "progress_step=10 pattern=0xCAFE")
    assert parsed.arguments == {"input": "a b", "output": "out", "priority": 7, "dmr": True,
                                "progress_step": 10, "pattern": b"\xca\xfe"}
    assert parser.parse("BOARD_SET_MODE mode=SAFE").arguments == {"mode": "SAFE"}
    assert parser.parse("BOARD_SET_MODE mode=1").arguments == {"mode": 1}
    assert parser.parse("PARAM_SET HK_BOARD_INTERVAL_MS=500").arguments == {
        "HK_BOARD_INTERVAL_MS": 500}


def test_absolute_time_from_iso_or_seconds(parser: CommandParser) -> None:
    # 1958-01-01 TAI to 2030-01-01 UTC: 26298 days, plus TAI-UTC = 37 s (CCSDS 301.0-B-4)
    expected = CucTime(26_298 * 86_400 + 37)
    assert parser.parse("TIME_SET_ONBOARD time=2030-01-01T00:00:00Z").arguments == {
        "time": expected}
    assert parser.parse(f"TIME_SET_ONBOARD time={expected.coarse}").arguments == {
        "time": expected}


@pytest.mark.parametrize(("line", "error", "message"), [
    ("", ArgumentValidationError, "no command given"),
    ("BOARD_SET_MOD mode=SAFE", UnknownCommandError, "did you mean BOARD_SET_MODE"),
    ("BOARD_SET_MODE", ArgumentValidationError, "mode"),
    ("BOARD_SET_MODE mode=OFF", ArgumentValidationError, "OFF"),
    ("BOARD_SET_MODE mode=SAFE mode=SAFE", ArgumentValidationError, "given twice"),
    ("BOARD_RESET delay_s=-1", ArgumentValidationError, "-1 does not fit uint16"),
    ("STORE_SCRUB_CONTROL enabled=maybe base_period_s=60", ArgumentValidationError,
     "use true or false"),
    ("PARAM_SET UPTIME=5", ArgumentValidationError, "no argument 'UPTIME'"),
    ("STORE_PUT_INLINE object_name=x data=xyz", ArgumentValidationError, "bytes"),
])
def test_bad_text_is_refused_before_sending(parser: CommandParser, line: str,
                                            error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        parser.parse(line)


def test_completion_steps(parser: CommandParser) -> None:
    assert parser.complete("BOARD_S") == "BOARD_SET_MODE"
    assert parser.complete("board_s") == "board_sET_MODE"  # extends what was typed
    assert parser.complete("BOARD_SET_MODE ") == "BOARD_SET_MODE mode="
    assert parser.complete("BOARD_SET_MODE mode=N") == "BOARD_SET_MODE mode=NOMINAL"
    assert parser.complete("STORE_SCRUB_CONTROL enabled=f") == \
        "STORE_SCRUB_CONTROL enabled=false"
    assert parser.complete("HK_MODIFY_INTERVAL count=1 ") == \
        "HK_MODIFY_INTERVAL count=1 structure_id="
    assert parser.complete("NO_SUCH ") is None
    assert parser.complete("BOARD_SET_MODE speed=") is None


def test_help_lists_types_ranges_and_criticality(parser: CommandParser) -> None:
    text = parser.help(parser.command("HK_MODIFY_INTERVAL"))
    assert text.splitlines()[0].startswith("HK_MODIFY_INTERVAL (3,31)")
    assert "  interval_ms: uint32 [ms] 100..3600000 -- new collection interval" in text.splitlines()
    assert "CRITICAL" in parser.help(parser.command("FAULT_HANG"))
    assert parser.usage(parser.command("BOARD_RESET")) == "BOARD_RESET delay_s=<uint16>"


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80) | st.builds(
    lambda name, rest: f"{name} {rest}",
    st.sampled_from(["BOARD_SET_MODE", "COMPUTE_SUBMIT_SEARCH", "TIME_SET_ONBOARD",
                     "PARAM_SET", "STORE_PUT_INLINE"]), st.text(max_size=60)))
def test_fuzz_no_text_breaks_the_parser(parser: CommandParser, line: str) -> None:
    try:
        parsed = parser.parse(line)
    except GroundError:
        return
    assert parsed.name in {c.name for c in parser.database.commands}


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ABCDEFGHIKLMNOPRSTUVY_ =adeimnors01", max_size=40))
def test_fuzz_completions_extend_the_text(parser: CommandParser, text: str) -> None:
    completed = parser.complete(text)
    assert completed is None or (completed.startswith(text) and len(completed) > len(text))


@given(st.integers(0, 600))
def test_integers_round_trip_in_any_base(parser: CommandParser, value: int) -> None:
    item = parser.command("BOARD_RESET").argument("delay_s")
    for text in (str(value), hex(value), oct(value), bin(value)):
        assert parse_value(item, text) == value


@given(st.text(max_size=30), st.binary(max_size=30))
def test_strings_and_octets_round_trip(parser: CommandParser, name: str, data: bytes) -> None:
    parsed = parser.parse(f"STORE_PUT_INLINE object_name={shlex.quote(name)} "
                          f"data={data.hex()}")
    assert parsed.arguments == {"object_name": name, "data": data}
