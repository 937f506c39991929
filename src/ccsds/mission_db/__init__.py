"""Mission database: the shared model of commands, telemetry and events, its value codec,
canonical JSON (with a stable SHA-256 hash) and XTCE 1.2 export.

Definitions live in the flight software (``flight_sw.dictionary``); the ground loads the
exported JSON, so everything here is sans-I/O and shared.
"""

from ccsds.mission_db.codec import (
    ArgumentError,
    UnknownIdError,
    ValueRangeError,
    check_limits,
    decode_command,
    decode_event,
    decode_housekeeping,
    decode_parameter_values,
    encode_command,
    encode_event,
    encode_housekeeping,
    encode_parameter_values,
    engineering,
)
from ccsds.mission_db.json_io import (
    DictionaryFormatError,
    dictionary_digest,
    dictionary_hash,
    dumps,
    from_dict,
    loads,
    to_dict,
)
from ccsds.mission_db.model import (
    Argument,
    Command,
    DictionaryError,
    Event,
    HousekeepingStructure,
    Limits,
    LimitState,
    MissionDatabase,
    Parameter,
    Severity,
)
from ccsds.mission_db.xtce import to_xtce

__all__ = [
    "Argument", "ArgumentError", "Command", "DictionaryError", "DictionaryFormatError",
    "Event", "HousekeepingStructure", "LimitState", "Limits", "MissionDatabase", "Parameter",
    "Severity", "UnknownIdError", "ValueRangeError", "check_limits", "decode_command",
    "decode_event", "decode_housekeeping", "decode_parameter_values", "dictionary_digest",
    "dictionary_hash", "dumps", "encode_command", "encode_event", "encode_housekeeping",
    "encode_parameter_values", "engineering", "from_dict", "loads", "to_dict", "to_xtce",
]
