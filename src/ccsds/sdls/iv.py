"""Initialisation vectors for AES-GCM (CCSDS 352.0-B-2; NIST SP 800-38D 8.2.1).

Every IV here is 96 bits built deterministically: a 32-bit fixed field followed by a 64-bit
invocation counter. Under one key an IV never repeats as long as each user of the key has
its own fixed field and never reuses a counter value (SP 800-38D 8.2.1, 8.3). Traffic SAs
use the anti-replay sequence number as the counter; key verification (board) and OTAR
(ground) have reserved fixed fields of their own, which no SA may take.
"""

from __future__ import annotations

from ccsds.errors import LocalProtocolError

IV_LENGTH = 12
FIXED_FIELD_LENGTH = 4
COUNTER_LENGTH = IV_LENGTH - FIXED_FIELD_LENGTH
MAX_COUNTER = (1 << (8 * COUNTER_LENGTH)) - 1

VERIFICATION_FIXED_FIELD = b"\xff\xff\xff\xfe"
"""Fixed field of the IVs the board uses to answer key verification (355.1-B-1)."""
OTAR_FIXED_FIELD = b"\xff\xff\xff\xff"
"""Fixed field of the IVs the ground uses to encrypt OTAR key blocks (355.1-B-1, OTAR)."""
RESERVED_FIXED_FIELDS = frozenset({VERIFICATION_FIXED_FIELD, OTAR_FIXED_FIELD})


def gcm_iv(fixed_field: bytes, counter: int) -> bytes:
    """The 96-bit IV ``fixed_field || counter`` (SP 800-38D 8.2.1 deterministic construction)."""
    if len(fixed_field) != FIXED_FIELD_LENGTH:
        raise LocalProtocolError(f"IV fixed field must be {FIXED_FIELD_LENGTH} octets")
    if not 0 <= counter <= MAX_COUNTER:
        raise LocalProtocolError(f"IV counter {counter} outside 0..{MAX_COUNTER}")
    return fixed_field + counter.to_bytes(COUNTER_LENGTH, "big")
