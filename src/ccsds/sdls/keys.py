"""Keys and their life cycle (CCSDS 355.1-B-1, key management).

Two roles: MASTER keys (key-encrypting keys, loaded before launch, used only to unwrap keys
uploaded over the air) and SESSION keys (traffic keys of SAs, 256-bit AES, 352.0-B-2). A
key's state follows 355.1-B-1, key management:

    (OTAR upload) -> PRE_ACTIVATION --activate--> ACTIVE --deactivate--> DEACTIVATED
    PRE_ACTIVATION or DEACTIVATED --destroy--> DESTROYED (material erased, id retired)

Only an ACTIVE session key protects traffic; master keys are installed ACTIVE and cannot be
used as traffic keys. A destroyed key's id is retired and never installed again, so a key
id always names the same key material and its IVs never restart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import Enum

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import (
    InvalidUnwrap,
    aes_key_unwrap,
    aes_key_wrap,
)

from ccsds.errors import LocalProtocolError
from ccsds.sdls.errors import (
    KeyStateError,
    KeyStateTransitionError,
    UnknownKeyError,
    UnwrapError,
)
from ccsds.sdls.iv import MAX_COUNTER, VERIFICATION_FIXED_FIELD, gcm_iv

KEY_LENGTH = 32
"""AES-256 keys (352.0-B-2)."""
WRAPPED_KEY_LENGTH = KEY_LENGTH + 8
"""An AES key wrap of a 256-bit key (RFC 3394 2.2.1: one extra 64-bit block)."""
CHALLENGE_LENGTH = 16
"""Key verification challenge: 128 bits (355.1-B-1, key verification)."""
MAX_KEY_ID = 0xFFFF


class KeyState(Enum):
    """Key states of 355.1-B-1, key management."""

    PRE_ACTIVATION = "pre_activation"
    ACTIVE = "active"
    DEACTIVATED = "deactivated"
    DESTROYED = "destroyed"


class KeyRole(Enum):
    """What a key may be used for."""

    MASTER = "master"
    SESSION = "session"


@dataclass(slots=True)
class KeyRecord:
    """One key: ``material`` is None once destroyed."""

    key_id: int
    role: KeyRole
    state: KeyState
    material: bytes | None


def check_key(key_id: int, material: bytes) -> None:
    """Raise :class:`LocalProtocolError` unless ``key_id`` and ``material`` are well formed."""
    if not 0 <= key_id <= MAX_KEY_ID:
        raise LocalProtocolError(f"key id {key_id} outside 0..{MAX_KEY_ID}")
    if len(material) != KEY_LENGTH:
        raise LocalProtocolError(f"keys are {KEY_LENGTH} octets, got {len(material)}")


def wrap_key(kek: bytes, key: bytes) -> bytes:
    """Wrap ``key`` under the key-encrypting key ``kek`` (RFC 3394 AES key wrap)."""
    return aes_key_wrap(kek, key)


def unwrap_key(kek: bytes, wrapped: bytes) -> bytes:
    """Unwrap; :class:`UnwrapError` if ``wrapped`` fails the RFC 3394 integrity check."""
    try:
        return aes_key_unwrap(kek, wrapped)
    except (InvalidUnwrap, ValueError) as error:
        raise UnwrapError("wrapped key does not authenticate under this KEK") from error


def answer_challenge(key: bytes, counter: int, challenge: bytes) -> tuple[bytes, bytes]:
    """Encrypt a verification challenge (355.1-B-1, key verification): (IV, ciphertext || MAC)."""
    if len(challenge) != CHALLENGE_LENGTH:
        raise LocalProtocolError(f"challenges are {CHALLENGE_LENGTH} octets")
    iv = gcm_iv(VERIFICATION_FIXED_FIELD, counter)
    return iv, AESGCM(key).encrypt(iv, challenge, None)


def challenge_reply_matches(key: bytes, challenge: bytes, iv: bytes, reply: bytes) -> bool:
    """Ground side of key verification: whether ``reply`` proves the board holds ``key``."""
    if iv[: len(VERIFICATION_FIXED_FIELD)] != VERIFICATION_FIXED_FIELD:
        return False
    try:
        return AESGCM(key).decrypt(iv, reply, None) == challenge
    except (InvalidTag, ValueError):
        return False


class KeyStore:
    """The keys of one end, by key id, with their states (355.1-B-1, key management).

    ``verification_counter`` is the invocation counter of the IVs used to answer key
    verification; it must be saved (see :mod:`ccsds.sdls.key_file`) before a reply leaves,
    so that no IV is used twice under a key after a reset.
    """

    def __init__(self) -> None:
        self._records: dict[int, KeyRecord] = {}
        self._ciphers: dict[int, AESGCM] = {}
        self.verification_counter = 0

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[KeyRecord]:
        return iter(sorted(self._records.values(), key=lambda record: record.key_id))

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._records

    def record(self, key_id: int) -> KeyRecord:
        """The record of ``key_id``; :class:`UnknownKeyError` when none is held."""
        record = self._records.get(key_id)
        if record is None:
            raise UnknownKeyError(f"no key with id {key_id}")
        return record

    def state(self, key_id: int) -> KeyState:
        """Current state of a key."""
        return self.record(key_id).state

    # -- installation -----------------------------------------------------------------------

    def install(self, key_id: int, material: bytes, *, role: KeyRole = KeyRole.SESSION,
                state: KeyState | None = None) -> None:
        """Add a key: masters are ACTIVE, session keys PRE_ACTIVATION unless ``state`` says.

        Refuses an id already held, destroyed ones included (ids are never reused).
        """
        check_key(key_id, material)
        if key_id in self._records:
            raise KeyStateTransitionError(f"key id {key_id} is already in use or retired")
        if state is None:
            state = KeyState.ACTIVE if role is KeyRole.MASTER else KeyState.PRE_ACTIVATION
        if state is KeyState.DESTROYED:
            raise LocalProtocolError("cannot install a destroyed key")
        self._records[key_id] = KeyRecord(key_id, role, state, bytes(material))

    def install_retired(self, key_id: int, role: KeyRole) -> None:
        """Record a destroyed key id (no material), as read back from a key file."""
        if key_id in self._records:
            raise KeyStateTransitionError(f"key id {key_id} is already in use or retired")
        self._records[key_id] = KeyRecord(key_id, role, KeyState.DESTROYED, None)

    def install_uploaded(self, entries: list[tuple[int, bytes]]) -> None:
        """Install every key of an OTAR key block as PRE_ACTIVATION, or none of them."""
        ids = [key_id for key_id, _ in entries]
        if len(set(ids)) != len(ids):
            raise KeyStateTransitionError("an OTAR key block names a key id twice")
        for key_id, material in entries:
            check_key(key_id, material)
            if key_id in self._records:
                raise KeyStateTransitionError(f"key id {key_id} is already in use or retired")
        for key_id, material in entries:
            self.install(key_id, material)

    # -- life cycle (355.1-B-1: activation, deactivation, destruction) ---------------------

    def activate(self, key_id: int) -> None:
        """PRE_ACTIVATION -> ACTIVE (Key Activation)."""
        self._transition(key_id, KeyState.PRE_ACTIVATION, KeyState.ACTIVE, "activate")

    def deactivate(self, key_id: int) -> None:
        """ACTIVE -> DEACTIVATED (Key Deactivation); master keys stay active."""
        self._transition(key_id, KeyState.ACTIVE, KeyState.DEACTIVATED, "deactivate")

    def destroy(self, key_id: int) -> None:
        """PRE_ACTIVATION or DEACTIVATED -> DESTROYED, erasing the material (Key Destruction)."""
        record = self.record(key_id)
        if record.state not in (KeyState.PRE_ACTIVATION, KeyState.DEACTIVATED):
            raise KeyStateTransitionError(
                f"cannot destroy key {key_id} in state {record.state.value}")
        record.state = KeyState.DESTROYED
        record.material = None
        self._ciphers.pop(key_id, None)

    def apply_all(self, key_ids: Iterable[int], action: Callable[[int], None]) -> None:
        """Apply a life-cycle ``action`` to every key, or to none if one is refused."""
        ids = list(key_ids)
        saved = {key_id: (record.state, record.material)
                 for key_id in ids if (record := self._records.get(key_id)) is not None}
        try:
            for key_id in ids:
                action(key_id)
        except Exception:
            for key_id, (state, material) in saved.items():
                self._records[key_id].state, self._records[key_id].material = state, material
            self._ciphers.clear()
            raise

    def _transition(self, key_id: int, source: KeyState, target: KeyState, action: str) -> None:
        record = self.record(key_id)
        if record.role is KeyRole.MASTER:
            raise KeyStateTransitionError(f"master key {key_id} cannot be {action}d by command")
        if record.state is not source:
            raise KeyStateTransitionError(
                f"cannot {action} key {key_id} in state {record.state.value}")
        record.state = target
        self._ciphers.pop(key_id, None)

    # -- use --------------------------------------------------------------------------------

    def traffic_cipher(self, key_id: int | None) -> AESGCM:
        """The AES-GCM instance of an ACTIVE session key; :class:`KeyStateError` otherwise."""
        cipher = self._ciphers.get(key_id) if key_id is not None else None
        if cipher is not None:
            return cipher
        record = self._records.get(key_id) if key_id is not None else None
        if record is None or record.material is None:
            raise KeyStateError(f"no key {key_id} for this SA")
        if record.role is not KeyRole.SESSION or record.state is not KeyState.ACTIVE:
            raise KeyStateError(f"key {key_id} is a {record.role.value} key in state "
                                f"{record.state.value}, not an active session key")
        cipher = AESGCM(record.material)
        self._ciphers[record.key_id] = cipher
        return cipher

    def master_material(self, key_id: int) -> bytes:
        """Material of an ACTIVE master key (for OTAR unwrapping)."""
        record = self.record(key_id)
        if record.role is not KeyRole.MASTER or record.state is not KeyState.ACTIVE \
                or record.material is None:
            raise KeyStateTransitionError(f"key {key_id} is not an active master key")
        return record.material

    def verify(self, key_id: int, challenge: bytes) -> tuple[bytes, bytes]:
        """Answer a key verification challenge with key ``key_id`` (355.1-B-1, key verification).

        Any key still holding material may be verified (a freshly uploaded key is verified
        before activation). Returns (IV, encrypted challenge || MAC).
        """
        record = self.record(key_id)
        if record.material is None:
            raise KeyStateTransitionError(f"key {key_id} is destroyed")
        if self.verification_counter >= MAX_COUNTER:
            raise KeyStateTransitionError("verification IVs exhausted")
        self.verification_counter += 1
        return answer_challenge(record.material, self.verification_counter, challenge)
