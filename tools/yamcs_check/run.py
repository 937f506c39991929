"""Check that YAMCS loads the mission dictionary's XTCE and decodes its telemetry.

Exports the dictionary with ``flight-sw dictionary --format xtce``, builds three TM(3,25)
housekeeping reports (ECSS-E-ST-70-41C 6.3.3.2) per structure (spread, highest and lowest
values) and one TM(5,x) event report (6.5.4.2) from known values, compiles YamcsCheck.java
against the jars of the ``fprime-yamcs-bundle`` package (``pip install -e '.[yamcs]'``),
decodes the packets with the YAMCS XTCE TM extractor and compares every decoded raw and
engineering value with the encoded one (``--verbose`` prints them all). Exit status: 0 all
match, 1 a mismatch or a load/decode failure, 2 a missing prerequisite (javac, java, the
bundle, flight-sw).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ccsds.crc import crc16_ccitt
from ccsds.mission_db import Event, MissionDatabase, Parameter, encode_event, encode_housekeeping
from ccsds.mission_db.model import Field
from ccsds.mission_db.xtce import EVENT_ID_PARAMETER, PEC_PARAMETER, STRUCTURE_ID_PARAMETER
from ccsds.pus import PusTm
from ccsds.pus_types import Ptc, Value
from ccsds.timecode import CucTime
from flight_sw.dictionary import MISSION

JAVA_SOURCE = Path(__file__).with_name("YamcsCheck.java")
BUNDLE = "fprime_yamcs_bundle"
CALIBRATION_REL_TOL = 1e-9
"""YAMCS sums the polynomial terms, ccsds evaluates Horner's rule: a few ulps apart."""


class Prerequisite(Exception):
    """A tool or package the check needs is missing (exit status 2)."""


@dataclass
class Expected:
    """One packet and the values it should decode to: name -> (raw, engineering or None)."""

    packet: bytes
    container: str
    values: dict[str, tuple[Value, Value | None]] = field(default_factory=dict)


# ----------------------------------------------------------------------------- known values

def known_value(item: Field, salt: int) -> Value:
    """A valid value of ``item`` that depends on ``salt`` (distinct per field)."""
    pus_type = item.pus_type
    if item.enumeration:
        return item.enumeration[salt % len(item.enumeration)][1]
    if pus_type.ptc == Ptc.BOOLEAN:
        return salt % 2 == 1
    if pus_type.is_integer:
        low, high = pus_type.value_range()
        low = max(low, int(item.minimum)) if item.minimum is not None else low
        high = min(high, int(item.maximum)) if item.maximum is not None else high
        return low + (salt * 2_654_435_761) % (high - low + 1)
    if pus_type.ptc == Ptc.REAL:
        return salt * 1.25
    size = pus_type.fixed_size or 4
    if pus_type.ptc == Ptc.OCTET_STRING:
        return bytes((salt * 37 + i * 11) % 256 for i in range(size))
    if pus_type.ptc == Ptc.CHARACTER_STRING:
        return "".join(chr(ord("A") + (salt + i) % 26) for i in range(size))
    return CucTime(salt, 0x8000)


def engineering_value(item: Field, raw: Value) -> Value | None:
    """The engineering value YAMCS should show: label, boolean or calibrated number
    (``None``, not compared, for times: YAMCS shows them as UTC strings)."""
    if isinstance(raw, CucTime):
        return None
    if item.enumeration and isinstance(raw, int):
        return item.label_of(raw)
    if isinstance(item, Parameter) and isinstance(raw, int | float) and not isinstance(raw, bool):
        return item.calibrate(raw)
    return raw


def yamcs_raw(value: Value) -> Value:
    """A value as YAMCS reports it raw: booleans as integers, times as coarse.fine bits."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, CucTime):
        return value.coarse << (8 * value.fmt.fine_octets) | value.fine
    return value


def boundary_value(item: Field, high: bool) -> Value:
    """The largest (``high``) or smallest valid value of an integer, enumerated or boolean
    field (sign and top bits); other kinds get a :func:`known_value`."""
    pus_type = item.pus_type
    if item.enumeration:
        values = sorted(value for _, value in item.enumeration)
        return values[-1] if high else values[0]
    if pus_type.ptc == Ptc.BOOLEAN:
        return high
    if pus_type.is_integer:
        low, top = pus_type.value_range()
        if high:
            return min(top, int(item.maximum)) if item.maximum is not None else top
        return max(low, int(item.minimum)) if item.minimum is not None else low
    return known_value(item, int(high))


def _packet(db: MissionDatabase, sequence_count: int, service: int, subtype: int, *,
            source_data: bytes, container: str) -> Expected:
    """A TM packet and its expected header values (CCSDS 133.0-B-2 4.1.3, ECSS-E-ST-70-41C
    7.4.3.2: version 0, type 0 = TM, secondary header flag 1, PUS version 2)."""
    time = CucTime(0x1234_5678 + sequence_count, 0x8000)
    tm = PusTm(db.apid, sequence_count, service, subtype, time=time, source_data=source_data,
               message_counter=sequence_count, destination_id=0x0A00 + sequence_count,
               time_reference_status=sequence_count % 16)
    raw = tm.encode()
    expected = Expected(raw, f"/{db.name}/{container}")
    for name, value in (("CCSDS_VERSION", 0), ("CCSDS_TYPE", 0), ("CCSDS_SEC_HDR_FLAG", 1),
                        ("CCSDS_APID", db.apid), ("CCSDS_SEQ_FLAGS", int(tm.sequence_flags)),
                        ("CCSDS_SEQ_COUNT", sequence_count), ("CCSDS_LENGTH", len(raw) - 7),
                        ("PUS_VERSION", 2), ("PUS_TIME_REF_STATUS", tm.time_reference_status),
                        ("PUS_SERVICE", service), ("PUS_SUBTYPE", subtype),
                        ("PUS_MSG_COUNTER", sequence_count),
                        ("PUS_DESTINATION_ID", tm.destination_id),
                        (PEC_PARAMETER, crc16_ccitt(raw[:-2]))):
        expected.values[name] = (value, value)
    expected.values["PUS_TIME"] = (yamcs_raw(time), None)  # engineering: a UTC string
    return expected


def _add_fields(expected: Expected, fields: list[tuple[str, Field, Value]]) -> None:
    for name, item, value in fields:
        expected.values[name] = (yamcs_raw(value), engineering_value(item, value))


def housekeeping_packets(db: MissionDatabase) -> list[Expected]:
    """Three TM(3,25) reports per housekeeping structure: spread, highest and lowest values."""
    packets: list[Expected] = []
    for structure in db.housekeeping:
        parameters = db.structure_parameters(structure)
        for variant in ("spread", "high", "low"):
            count = len(packets) + 1
            values = {p.name: known_value(p, p.id + count) if variant == "spread"
                      else boundary_value(p, variant == "high") for p in parameters}
            data = encode_housekeeping(db, structure, values)
            expected = _packet(db, count, 3, 25, source_data=data,
                               container=f"HK_{structure.name}")
            expected.values[STRUCTURE_ID_PARAMETER] = (structure.id, structure.id)
            _add_fields(expected, [(p.name, p, values[p.name]) for p in parameters])
            packets.append(expected)
    return packets


def event_packet(db: MissionDatabase, event: Event, sequence_count: int) -> Expected:
    """One TM(5, severity) report of ``event`` with known data values."""
    values = {item.name: known_value(item, index + event.id)
              for index, item in enumerate(event.parameters)}
    data = encode_event(db, event, values)
    expected = _packet(db, sequence_count, 5, event.subtype, source_data=data,
                       container=f"EVENT_{event.name}")
    expected.values[EVENT_ID_PARAMETER] = (event.id, event.id)
    # the XTCE export names event data fields EVENT__FIELD (ccsds.mission_db.xtce)
    _add_fields(expected, [(f"{event.name}__{item.name}", item, values[item.name])
                           for item in event.parameters])
    return expected


# ----------------------------------------------------------------------------- YAMCS output

def parse_value(text: str) -> tuple[Value | None, str]:
    """One value printed by YamcsCheck (JSON literal, 0x-hex or null) and the rest."""
    if text.startswith("0x"):
        token, _, rest = text.partition(" ")
        return bytes.fromhex(token[2:]), rest
    if text.startswith("null"):
        return None, text[4:].lstrip()
    value, end = json.JSONDecoder().raw_decode(text)
    return value, text[end:].lstrip()


def parse_output(output: str) -> list[tuple[str, dict[str, tuple[Value | None, Value | None]]]]:
    """(container, name -> (raw, engineering)) of every packet YamcsCheck printed."""
    packets: list[tuple[str, dict[str, tuple[Value | None, Value | None]]]] = []
    for line in output.splitlines():
        if line.startswith("packet ") and " container " in line:
            packets.append((line.split(" container ", 1)[1], {}))
        elif " = " in line and packets:
            name, text = line.split(" = ", 1)
            try:
                raw, rest = parse_value(text)
                engineering, _ = parse_value(rest.removeprefix("/").lstrip())
            except ValueError:  # unreadable: kept as text, so it compares unequal
                raw, engineering = text, None
            packets[-1][1][name] = (raw, engineering)
    return packets


def same(expected: Value | None, actual: Value | None) -> bool:
    """Equal, floats to CALIBRATION_REL_TOL; bools compared as bools."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, float) and isinstance(actual, int | float):
        return math.isclose(expected, actual, rel_tol=CALIBRATION_REL_TOL, abs_tol=1e-12)
    return expected == actual


def compare(expected: list[Expected], output: str) -> list[str]:
    """Every mismatch between the encoded and the decoded packets, as messages."""
    decoded = parse_output(output)
    if len(decoded) != len(expected):
        return [f"{len(expected)} packets sent, {len(decoded)} decoded"]
    problems = []
    for number, (want, (container, values)) in enumerate(zip(expected, decoded, strict=True), 1):
        if container != want.container:
            problems.append(f"packet {number}: container {container}, expected {want.container}")
        unexpected = sorted(set(values) - set(want.values))
        if unexpected:
            problems.append(f"packet {number}: unexpected parameters {unexpected}")
        for name, (raw, engineering) in want.values.items():
            got = values.get(name)
            if got is None:
                problems.append(f"packet {number}: {name} not decoded")
            elif not same(raw, got[0]) or (engineering is not None
                                           and not same(engineering, got[1])):
                problems.append(f"packet {number}: {name} = {got[0]!r} / {got[1]!r}, "
                                f"expected {raw!r} / {engineering!r}")
    return problems


# ----------------------------------------------------------------------------- tools

def tool(name: str) -> str:
    """The path of a command-line tool, from this interpreter's environment first."""
    local = Path(sys.executable).with_name(name)
    found = str(local) if local.exists() else shutil.which(name)
    if found is None:
        raise Prerequisite(f"{name} not found on PATH" + (
            " (install a JDK 17 or later)" if name.startswith("java") else ""))
    return found


def yamcs_jars() -> Path:
    """The jar folder of the installed fprime-yamcs-bundle package (data only, not imported)."""
    spec = importlib.util.find_spec(BUNDLE)
    if spec is None or not spec.submodule_search_locations:
        raise Prerequisite(f"{BUNDLE} is not installed: run make yamcs-check "
                           "or pip install -e '.[yamcs]'")
    for location in spec.submodule_search_locations:
        lib = Path(location) / "lib"
        if any(lib.glob("yamcs-core-*.jar")):
            return lib
    raise Prerequisite(f"{BUNDLE} has no lib/yamcs-core-*.jar")


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing its output (the caller checks the exit status)."""
    return subprocess.run(command, capture_output=True, text=True, check=False)


def yamcs_decode(packets: list[bytes], jars: Path) -> subprocess.CompletedProcess[str]:
    """Export the XTCE, compile YamcsCheck.java and decode ``packets`` with it.

    Raises :class:`Prerequisite` for a missing tool and ``RuntimeError`` when the export or
    the compilation fails (the Java must compile without a warning).
    """
    javac, java, flight_sw = tool("javac"), tool("java"), tool("flight-sw")
    classpath = str(jars / "*")
    with tempfile.TemporaryDirectory(prefix="yamcs-check-") as work:
        xtce, hex_file = Path(work, "mission.xml"), Path(work, "packets.hex")
        for step, command in (
            ("flight-sw dictionary", [flight_sw, "dictionary", "--format", "xtce",
                                      "--output", str(xtce)]),
            ("javac", [javac, "-Xlint:all", "-Werror", "-d", work, "-cp", classpath,
                       str(JAVA_SOURCE)]),
        ):
            done = run(command)
            if done.returncode != 0:
                raise RuntimeError(f"{step} failed:\n{done.stdout}{done.stderr}")
        hex_file.write_text("".join(packet.hex() + "\n" for packet in packets))
        return run([java, "-cp", os.pathsep.join((work, classpath)), "YamcsCheck",
                    str(xtce), str(hex_file)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verbose", action="store_true",
                        help="print every decoded parameter (printed anyway on failure)")
    args = parser.parse_args(argv)
    housekeeping = housekeeping_packets(MISSION)
    richest_event = max(MISSION.events, key=lambda e: len(e.parameters))
    expected = [*housekeeping, event_packet(MISSION, richest_event, len(housekeeping) + 1)]
    try:
        jars = yamcs_jars()
        done = yamcs_decode([e.packet for e in expected], jars)
    except Prerequisite as exc:
        print(f"yamcs-check: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"yamcs-check FAILED: {exc}", file=sys.stderr)
        return 1
    problems = compare(expected, done.stdout)
    if done.returncode != 0:
        problems.insert(0, f"YamcsCheck exited {done.returncode}:\n{done.stderr}")
    lines = done.stdout.splitlines()
    print("\n".join(lines if args.verbose or problems
                    else [line for line in lines if " = " not in line]))
    if problems:
        print("\n".join(["yamcs-check FAILED:", *problems]), file=sys.stderr)
        return 1
    version = next(jars.glob("yamcs-core-*.jar")).stem.removeprefix("yamcs-core-")
    checked = sum(len(e.values) for e in expected)
    print(f"yamcs-check OK: YAMCS {version} loaded the XTCE and decoded {len(expected)} "
          f"packets; {checked} raw and engineering values equal the encoded ones")
    return 0


if __name__ == "__main__":
    sys.exit(main())
