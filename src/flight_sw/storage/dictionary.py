"""Dictionary entries of the storage payload: storage service 128, file transfer, store
housekeeping and events.
Ids: parameters 128..159 (settings 101..115), events 16..31, housekeeping structures 4 and 6.
Data at rest: the STORE_UPLINK_KEY_ID setting (103) names the key sealing objects from the
ground (STORE_PUT_INLINE and CFDP uplinks).

Service 128 is a mission service (ECSS-E-ST-70-41C 5.3.3, types 128..255 are the mission's);
its requests and reports are laid out in docs/icd.md section 11. The EDAC counters of the store
feed the core's EDAC_CORRECTED / EDAC_UNCORRECTABLE, and an uncorrectable word raises the core's
MEMORY_UNCORRECTABLE event, so neither is repeated here (they stay in the diagnostics
structure 3).
"""

from __future__ import annotations

from ccsds.mission_db import Argument, Command, Event, HousekeepingStructure, Parameter, Severity

SERVICE = 128
"""Storage service type."""

TRANSMISSION_CLASSES = (("CLASS_1", 1), ("CLASS_2", 2))
"""CFDP class 1 (unacknowledged) and class 2 (acknowledged), CCSDS 727.0-B-5 1.4.2."""
OBJECT_STATES = (("INTACT", 0), ("REPAIRED", 1), ("LOST", 2))
"""flight_sw.storage.api.ObjectState, in this order."""
AT_REST = (("PLAINTEXT", 0), ("SEALED", 1), ("UNREADABLE", 2))
"""How an object is kept: in clear, sealed under a key at hand, or sealed under a key that is
gone (crypto-erased) (docs/storage.md, "Data at rest")."""
NO_KEY = 0
"""Key id 0 in the setting and in reports: no key (plaintext); SDLS key 0 cannot seal."""
UPLINK_KEY_SETTING = "STORE_UPLINK_KEY_ID"

SCRUB_PERIOD_RANGE_S = (10, 86_400)
"""Accepted base patrol periods: 10 s to one day (PROFILES.md scrubbing arithmetic)."""


def _name(description: str = "object name (UTF-8, at most 64 octets)") -> Argument:
    return Argument(name="object_name", type="string", description=description)


def _key_id(description: str) -> Argument:
    return Argument(name="key_id", type="uint16", description=description)


COMMANDS = (
    Command("STORE_PUT_INLINE", SERVICE, 1, (
        _name(), Argument(name="data", type="bytes", description="object content")),
        description="store a small object carried in the request (replaces one of that name)"),
    Command("STORE_LIST", SERVICE, 2, (
        Argument(name="prefix", type="string", description="names starting with this ('' all)"),
        ), description="list objects in one or more (128,3) reports"),
    Command("STORE_INFO", SERVICE, 4, (_name(),),
            description="report one object's catalogue entry in (128,5)"),
    Command("STORE_GET_INLINE", SERVICE, 6, (
        _name(),
        Argument(name="offset", type="uint32", unit="octet", description="first octet"),
        Argument(name="length", type="uint32", unit="octet",
                 description="octets to read, 0 for the rest of the object")),
        description="downlink part of a small object in (128,7) data reports on the bulk VC"),
    Command("STORE_DOWNLINK", SERVICE, 8, (
        _name(),
        Argument(name="destination_name", type="string",
                 description="file name at the ground entity ('' for the object name)"),
        Argument(name="transmission_class", type="enum8", enumeration=TRANSMISSION_CLASSES,
                 description="CFDP class")),
        description="start a CFDP put of an object to the ground entity, reported in (128,9)"),
    Command("STORE_DELETE", SERVICE, 10, (_name(),), critical=True,
            description="delete an object"),
    Command("STORE_VERIFY", SERVICE, 11, (_name(),),
            description="read an object back against its SHA-256, reported in (128,12)"),
    Command("STORE_VERIFY_ALL", SERVICE, 13,
            description="verify every object in the background, counts in (128,14)"),
    Command("STORE_SCRUB_CONTROL", SERVICE, 15, (
        Argument(name="enabled", type="bool", description="run the patrol scrub"),
        Argument(name="base_period_s", type="uint32", unit="s",
                 minimum=SCRUB_PERIOD_RANGE_S[0], maximum=SCRUB_PERIOD_RANGE_S[1],
                 description="patrol period at the base rate")),
        description="enable or disable the patrol scrub and set its base period"),
    Command("STORE_SCRUB_REPORT", SERVICE, 16,
            description="report the scrubber's state and counters in (128,17)"),
)


def _counter(pid: int, name: str, description: str, bits: int = 32) -> Parameter:
    return Parameter(id=pid, name=name, type=f"uint{bits}", description=description)


def _octets(pid: int, name: str, description: str) -> Parameter:
    return Parameter(id=pid, name=name, type="uint64", unit="octet", description=description)


def _interval(pid: int, structure: str) -> Parameter:
    return Parameter(id=pid, name=f"HK_{structure.upper()}_INTERVAL_MS", type="uint32",
                     unit="ms", minimum=100, maximum=3_600_000, settable=True,
                     description=f"{structure} structure interval")


PARAMETERS = (
    # store capacity and health (128..)
    _octets(128, "STORE_CAPACITY", "object store capacity"),
    _octets(129, "STORE_USED", "octets in use, parity and catalogue included"),
    _octets(130, "STORE_FREE", "octets free"),
    _counter(131, "STORE_OBJECTS", "objects in the store"),
    _counter(132, "STORE_BAD_BLOCKS", "blocks retired as bad"),
    _counter(133, "STORE_REPAIRED_BLOCKS", "blocks rebuilt by the erasure code"),
    _counter(134, "STORE_LOST_BLOCKS", "blocks beyond repair"),
    _counter(135, "SCRUB_PASSES", "completed patrol passes"),
    Parameter(id=136, name="SCRUB_LAST_PASS_DURATION", type="uint32", unit="ms",
              description="duration of the last complete patrol pass"),
    Parameter(id=137, name="SCRUB_PROGRESS", type="uint8", unit="%", calibration=(0.0, 0.5),
              minimum=0, maximum=200, description="current patrol pass done (0.5 % steps)"),
    Parameter(id=138, name="SCRUB_PERIOD", type="uint32", unit="s",
              description="current patrol period (shorter when corrected errors rise)"),
    Parameter(id=139, name="SCRUB_ENABLED", type="bool", description="patrol scrub running"),
    Parameter(id=140, name="STORE_VERIFY_RUNNING", type="bool",
              description="a verify-all is in progress"),
    # file transfer (144..)
    Parameter(id=144, name="CFDP_ACTIVE", type="uint16",
              description="CFDP transactions in progress"),
    _octets(145, "CFDP_OCTETS_RECEIVED", "file data octets received (uplink)"),
    _octets(146, "CFDP_OCTETS_SENT", "file data octets sent, retransmissions included"),
    _counter(147, "CFDP_COMPLETED", "transactions completed without error"),
    _counter(148, "CFDP_FAILED", "transactions cancelled, abandoned or not committed"),
    _counter(149, "CFDP_PDUS_REJECTED", "CFDP packets or PDUs refused (malformed, misrouted)"),
    # settings (101..)
    _interval(101, "storage"),
    _interval(102, "file_transfer"),
    Parameter(id=103, name=UPLINK_KEY_SETTING, type="uint16", settable=True, minimum=0,
              maximum=0xFFFF,
              description="SDLS session key sealing objects from the ground (STORE_PUT_INLINE, "
                          "CFDP uplinks) at rest; 0: stored in clear"),
)

HOUSEKEEPING = (
    HousekeepingStructure(4, "storage", (
        "STORE_CAPACITY", "STORE_USED", "STORE_FREE", "STORE_OBJECTS", "STORE_BAD_BLOCKS",
        "STORE_REPAIRED_BLOCKS", "STORE_LOST_BLOCKS",
        "SCRUB_PASSES", "SCRUB_LAST_PASS_DURATION", "SCRUB_PROGRESS", "SCRUB_PERIOD",
        "SCRUB_ENABLED", "STORE_VERIFY_RUNNING"),
        10.0, True, "object store capacity, EDAC and scrubber health"),
    HousekeepingStructure(6, "file_transfer", (
        "CFDP_ACTIVE", "CFDP_OCTETS_RECEIVED", "CFDP_OCTETS_SENT", "CFDP_COMPLETED",
        "CFDP_FAILED", "CFDP_PDUS_REJECTED"),
        5.0, True, "CFDP file transfer progress"),
)

NAME_FIELD_OCTETS = 64
"""Object names in events: fixed 64 octets, NUL-padded (api.MAX_NAME_OCTETS)."""
NO_YES = (("NO", 0), ("YES", 1))

_BLOCK = Argument(name="block", type="uint32", description="physical block number")
_OWNER = Argument(name="object_name", type=f"string:{NAME_FIELD_OCTETS}",
                  description="object owning the block, NUL-padded")

EVENTS = (
    Event(16, "BLOCK_REPAIRED", Severity.LOW, (
        _BLOCK, _OWNER,
        Argument(name="relocated", type="enum8", enumeration=NO_YES,
                 description="the block did not keep data and was retired and moved"),
    ), "the erasure code rebuilt a block EDAC could not correct"),
    Event(17, "BLOCK_LOST", Severity.HIGH, (_BLOCK, _OWNER),
          "a block could not be rebuilt: its object is LOST"),
    Event(18, "SCRUB_PASS_DONE", Severity.INFO, (
        Argument(name="passes", type="uint32", description="passes completed"),
        Argument(name="duration_ms", type="uint32", unit="ms"),
        Argument(name="corrected", type="uint32", description="words corrected in the pass"),
        Argument(name="uncorrectable", type="uint32",
                 description="uncorrectable words found in the pass"),
        Argument(name="repaired", type="uint32", description="blocks repaired in the pass"),
        Argument(name="lost", type="uint32", description="blocks lost in the pass"),
        Argument(name="period_s", type="uint32", unit="s",
                 description="patrol period from now on (adaptive)"),
    ), "the patrol scrub finished a pass over the whole medium"),
    Event(19, "FILE_TRANSFER_ENDED", Severity.INFO, (
        Argument(name="source_entity", type="uint16"),
        Argument(name="sequence_number", type="uint32"),
        Argument(name="condition", type="uint8", description="CFDP condition code (0 ok)"),
        Argument(name="committed", type="enum8", enumeration=NO_YES,
                 description="an uplinked object was stored"),
    ), "a CFDP transaction of the board ended"),
)

# ----------------------------------------------------------------------------- reports
# Service 128 reports (docs/icd.md 11): source data laid out field by field with the mission
# database codec. A list report is LIST_HEADER followed by ``count`` x LIST_ENTRY.

_STATE = Argument(name="state", type="enum8", enumeration=OBJECT_STATES)

LIST_HEADER = (
    Argument(name="total", type="uint32", description="objects matching the prefix"),
    Argument(name="first", type="uint32", description="index of this report's first entry"),
    Argument(name="count", type="uint16", description="entries in this report"),
)
_AT_REST = Argument(name="at_rest", type="enum8", enumeration=AT_REST)
_SEALED_UNDER = _key_id("key sealing the object (0: plaintext)")

LIST_ENTRY = (_name(), Argument(name="size", type="uint64", unit="octet"), _STATE,
              _SEALED_UNDER, _AT_REST)
INFO_REPORT = (
    _name(), Argument(name="size", type="uint64", unit="octet"),
    Argument(name="sha256", type="bytes:32",
             description="SHA-256 of the content (zeros when UNREADABLE)"),
    _STATE, Argument(name="blocks", type="uint32", description="blocks, parity included"),
    Argument(name="created_s", type="float64", unit="s", description="store clock at commit"),
    _SEALED_UNDER, _AT_REST,
)
DATA_REPORT = (
    _name(), Argument(name="offset", type="uint32", unit="octet"),
    Argument(name="data", type="bytes", description="object octets from offset"),
)
DOWNLINK_REPORT = (
    _name(), Argument(name="source_entity", type="uint16", description="CFDP transaction id:"),
    Argument(name="sequence_number", type="uint32", description="... and sequence number"),
    Argument(name="transmission_class", type="enum8", enumeration=TRANSMISSION_CLASSES),
)
VERIFY_REPORT = (
    _name(), _STATE,
    Argument(name="corrected_words", type="uint32", description="EDAC corrections on read"),
    Argument(name="repaired_blocks", type="uint32", description="blocks rebuilt on read"),
)
VERIFY_ALL_REPORT = (
    Argument(name="objects", type="uint32", description="objects verified"),
    Argument(name="intact", type="uint32"),
    Argument(name="repaired", type="uint32"),
    Argument(name="lost", type="uint32"),
    Argument(name="vanished", type="uint32", description="deleted while the run went on"),
    Argument(name="corrected_words", type="uint32"),
    Argument(name="repaired_blocks", type="uint32"),
)
SCRUB_REPORT = (
    Argument(name="enabled", type="bool"),
    Argument(name="base_period_s", type="uint32", unit="s"),
    Argument(name="period_s", type="uint32", unit="s", description="current, adaptive"),
    Argument(name="passes", type="uint32"),
    Argument(name="progress", type="uint8", unit="%", description="0.5 % steps (0..200)"),
    Argument(name="last_pass_duration_ms", type="uint32", unit="ms"),
    Argument(name="corrected_words", type="uint32"),
    Argument(name="uncorrectable_words", type="uint32"),
    Argument(name="repaired_blocks", type="uint32"),
    Argument(name="lost_blocks", type="uint32"),
)
