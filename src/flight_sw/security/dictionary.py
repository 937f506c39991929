"""Dictionary entries of link security: SDLS extended procedures service 140, security
counters and events. Ids: parameters 224..239, events 64..79, housekeeping structure 7.

Service 140 carries one extended procedure PDU (CCSDS 355.1-B-1 5.3) per request (140,1) as a
variable octet string; a procedure with a reply (key verification, key inventory, read
ARSN, SA status) answers with the reply PDU as the source data of report (140,2)
(docs/security.md 8).
"""

from __future__ import annotations

from ccsds.mission_db import Argument, Command, Event, HousekeepingStructure, Parameter, Severity

SERVICE = 140
"""Mission service: SDLS extended procedures (key and SA management)."""
PROCEDURE_SUBTYPE = 1
REPLY_SUBTYPE = 2
"""TM(140,2): the reply PDU of a procedure."""

REJECTION_CLASSES = (
    ("MALFORMED", 0), ("TRUNCATED", 1), ("UNKNOWN_SPI", 2), ("WRONG_CHANNEL", 3),
    ("SA_STATE", 4), ("KEY_STATE", 5), ("IV", 6), ("REPLAY", 7), ("OUT_OF_WINDOW", 8),
    ("MAC", 9), ("PAD_LENGTH", 10), ("OTHER", 11),
)
"""Why SDLS rejected a frame: the classes of ccsds.sdls.frame_security.SecurityCounters."""
NO_SPI = 0xFFFF
"""SPI value of an event whose frame was too short to carry one."""

COMMANDS: tuple[Command, ...] = (
    Command("SDLS_PROCEDURE", SERVICE, PROCEDURE_SUBTYPE, (
        Argument(name="pdu", type="bytes",
                 description="one extended procedure PDU (CCSDS 355.1-B-1 5.3.2 TLV)"),),
        critical=True,
        description="run an SDLS key or SA management procedure; replies in TM(140,2)"),
)


def _counter(pid: int, name: str, description: str) -> Parameter:
    return Parameter(id=pid, name=name, type="uint32", description=description)


PARAMETERS: tuple[Parameter, ...] = (
    Parameter(id=224, name="SDLS_ENABLED", type="bool",
              description="TC frames pass SDLS before FARM-1"),
    _counter(225, "SDLS_FRAMES_ACCEPTED", "TC frames SDLS accepted"),
    _counter(226, "SDLS_FRAMES_REJECTED", "TC frames SDLS rejected (any class)"),
    _counter(227, "SDLS_REJECTED_MAC", "rejected: MAC does not verify"),
    _counter(228, "SDLS_REJECTED_REPLAY", "rejected: sequence number not above the last"),
    _counter(229, "SDLS_REJECTED_WINDOW", "rejected: sequence number beyond the window"),
    _counter(230, "SDLS_REJECTED_SPI", "rejected: unknown SPI"),
    _counter(231, "SDLS_REJECTED_SA", "rejected: SA not operational, not for the VC, or its "
                                      "key not active"),
    _counter(232, "SDLS_REJECTED_FORMAT", "rejected: malformed, truncated, IV or pad length"),
    _counter(233, "SDLS_PROCEDURES_DONE", "extended procedures carried out"),
    _counter(234, "SDLS_PROCEDURES_REFUSED", "extended procedures refused"),
    Parameter(id=235, name="SDLS_OPERATIONAL_SAS", type="uint8",
              description="security associations in state OPERATIONAL"),
    Parameter(id=236, name="SDLS_ACTIVE_KEYS", type="uint8",
              description="session keys in state ACTIVE"),
    _counter(237, "SDLS_EVENTS_SUPPRESSED", "SECURITY_REJECTED events held back by the "
                                            "rate limit"),
    _counter(238, "SDLS_SAVE_FAILURES", "key or SA file saves that failed"),
)

HOUSEKEEPING: tuple[HousekeepingStructure, ...] = (
    HousekeepingStructure(7, "security", (
        "SDLS_ENABLED", "SDLS_FRAMES_ACCEPTED", "SDLS_FRAMES_REJECTED", "SDLS_REJECTED_MAC",
        "SDLS_REJECTED_REPLAY", "SDLS_REJECTED_WINDOW", "SDLS_REJECTED_SPI",
        "SDLS_REJECTED_SA", "SDLS_REJECTED_FORMAT", "SDLS_PROCEDURES_DONE",
        "SDLS_PROCEDURES_REFUSED", "SDLS_OPERATIONAL_SAS", "SDLS_ACTIVE_KEYS",
        "SDLS_EVENTS_SUPPRESSED", "SDLS_SAVE_FAILURES"),
        5.0, True, "link security counters (CCSDS 355.0-B-2)"),
)

_PROCEDURES = (
    ("OTAR", 0x01), ("KEY_ACTIVATION", 0x02), ("KEY_DEACTIVATION", 0x03),
    ("KEY_VERIFICATION", 0x04), ("KEY_DESTRUCTION", 0x06), ("KEY_INVENTORY", 0x07),
    ("READ_ARSN", 0x10), ("SET_ARSN_WINDOW", 0x15), ("REKEY_SA", 0x16), ("EXPIRE_SA", 0x19),
    ("SET_ARSN", 0x1A), ("START_SA", 0x1B), ("STOP_SA", 0x1E), ("SA_STATUS", 0x1F),
)
"""Command PDU tags of 355.1-B-1 this profile offers (docs/security.md 8)."""

EVENTS: tuple[Event, ...] = (
    Event(64, "SECURITY_REJECTED", Severity.MEDIUM, (
        Argument(name="reason", type="enum8", enumeration=REJECTION_CLASSES),
        Argument(name="spi", type="uint16", description="SPI the frame carried (65535: none)"),
        Argument(name="virtual_channel", type="uint8"),
        Argument(name="suppressed", type="uint32",
                 description="rejections not reported since the previous event"),
    ), "SDLS rejected a TC frame before FARM-1 (rate-limited)"),
    Event(65, "SECURITY_PROCEDURE", Severity.INFO, (
        Argument(name="procedure", type="enum8", enumeration=_PROCEDURES),
    ), "an SDLS key or SA management procedure changed the security state"),
    Event(66, "SECURITY_SAVE_FAILED", Severity.HIGH, (
        Argument(name="failures", type="uint32", description="saves failed since boot"),
    ), "the key or SA file could not be saved in the state dir"),
)
