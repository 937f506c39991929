"""Link security on board: SDLS (CCSDS 355.0-B-2) on the uplink, key and SA management
(355.1-B-1) as service 140, the key and SA files at rest, counters and events.
docs/security.md describes the profile, the files and the operations."""

from flight_sw.security.persistence import SecuritySetupError
from flight_sw.security.service import BoardSecurity
from flight_sw.security.setup import (
    SecuritySettings,
    add_arguments,
    attach_security,
    settings_from_args,
)

__all__ = ["BoardSecurity", "SecuritySettings", "SecuritySetupError", "add_arguments",
           "attach_security", "settings_from_args"]
