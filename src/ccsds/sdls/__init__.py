"""Space Data Link Security (CCSDS 355.0-B-2) and its key management (355.1-B-1).

Sans-I/O: bytes, SA tables and key stores in; protected frames, plaintext frames, PDUs and
typed errors out. AES-GCM with 256-bit keys (352.0-B-2) through the ``cryptography``
library. See docs/security.md for the profile and threat model.
"""

from ccsds.sdls.association import SaState, SaTable, SecurityAssociation, ServiceType
from ccsds.sdls.errors import (
    IvError,
    KeyStateError,
    MacError,
    OutOfWindowError,
    PadLengthError,
    ReplayError,
    SaStateError,
    SecurityError,
    SecurityTruncatedError,
    UnknownSpiError,
    WrongChannelError,
)
from ccsds.sdls.frame_security import (
    SecurityCounters,
    apply_tc_security,
    apply_tm_security,
    process_tc_security,
    process_tm_security,
    tm_data_length,
)
from ccsds.sdls.keys import KeyRole, KeyState, KeyStore

__all__ = [
    "IvError", "KeyRole", "KeyState", "KeyStateError", "KeyStore", "MacError",
    "OutOfWindowError", "PadLengthError", "ReplayError", "SaState", "SaStateError", "SaTable",
    "SecurityAssociation", "SecurityCounters", "SecurityError", "SecurityTruncatedError",
    "ServiceType", "UnknownSpiError", "WrongChannelError", "apply_tc_security",
    "apply_tm_security", "process_tc_security", "process_tm_security", "tm_data_length",
]
