"""Link security at the ground: SDLS sending end, key and SA management, provisioning.

* :class:`GroundSecurity`: the ground's SA table (the sending end of the TC SAs, CCSDS
  355.0-B-2 4.2) and key store, at rest in a key file wrapped under the ground's KEK and an
  SA file saved with a reserve of sequence numbers ahead of use (docs/security.md 5), so a
  ground restart never reuses an IV. :meth:`GroundSecurity.protection` is what the link
  applies to every frame. With ``sdls.tm_protection`` it also holds the TM SA table (the
  receiving end of the TM SAs) in a TM SA file of its own, saved with the last accepted
  ARSNs after every batch of verified frames: :meth:`GroundSecurity.verification` is what
  the downlink checks every frame of a protected VC with.
* :class:`KeyManagement`: the 355.1-B-1 procedures run on a board through a
  :class:`~ground_sw.station.GroundStation` as service 140 requests; each change the board
  confirms (completion report) is mirrored on the ground's own table and keys, and
  :meth:`KeyManagement.rekey` is the make-before-break rekeying of docs/security.md 7.
* :func:`provision`: fresh keys and the files of both ends (before launch).
* :func:`connect_secure`: a station whose uplink is SDLS-protected from the first frame.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccsds.config import LinkConfig
from ccsds.errors import DecodeError, LocalProtocolError
from ccsds.ground_link import DownlinkVerification, TcProtection
from ccsds.pus import PusTm
from ccsds.sdls.association import SaState, SaTable, SecurityAssociation, ServiceType
from ccsds.sdls.key_file import dump_key_file, key_file_kek_id, load_key_file
from ccsds.sdls.keys import CHALLENGE_LENGTH, KEY_LENGTH, KeyRole, KeyState, KeyStore
from ccsds.sdls.keys import challenge_reply_matches as reply_matches
from ccsds.sdls.management import execute
from ccsds.sdls.otar import seal_key_block
from ccsds.sdls.procedures import (
    ExpireSaCommand,
    ExtendedProcedure,
    KeyActivationCommand,
    KeyDeactivationCommand,
    KeyDestructionCommand,
    KeyInventoryCommand,
    KeyInventoryReply,
    KeyVerificationCommand,
    KeyVerificationReply,
    ReadArsnCommand,
    ReadArsnReply,
    RekeySaCommand,
    SaStatusCommand,
    SaStatusReply,
    StartSaCommand,
    StopSaCommand,
    decode_pdu,
)
from ccsds.sdls.sa_file import dumps_sa_table, loads_sa_table
from ground_sw.dictionary import DictionarySource
from ground_sw.errors import GroundError
from ground_sw.records import PacketRecord, Record
from ground_sw.station import GroundStation

log = logging.getLogger(__name__)

SERVICE = 140
REPLY_SUBTYPE = 2
PROCEDURE_COMMAND = "SDLS_PROCEDURE"
ARSN_RESERVE = 1024
"""Sequence numbers saved ahead of use: a restart skips at most this many."""
TM_SPI = 0x80
"""SPI of the provisioned TM SA (all protected TM VCs; IV fixed field 00000080)."""
TM_KEY_ID = 0x80
"""Key id of the provisioned TM session key (a key protects one direction only)."""
TM_ARSN_WINDOW = 1 << 32
"""Anti-replay window of the provisioned TM SA: frames lost on the downlink (a pass gap, an
outage) and the board's reserve skipped at a reset stay far inside it; the MAC covers the
ARSN, so a large window admits no forgery (docs/security.md 5)."""


class SecurityOperationError(GroundError):
    """A security file or procedure failed at the ground (the board's refusal is a
    :class:`~ground_sw.errors.VerificationFailed`)."""


def _write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically with ``data``, readable by the owner only."""
    temp = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


@dataclass(frozen=True)
class SecurityPaths:
    """The files of one end: its KEK, key file and SA file."""

    kek: Path
    keys: Path
    associations: Path
    tm_associations: Path | None = None
    """The TM SA file (needed with ``sdls.tm_protection``)."""


class GroundSecurity:
    """The ground's SAs and keys, saved under ``paths`` (the KEK file is only read)."""

    def __init__(self, config: LinkConfig, table: SaTable, keys: KeyStore, paths: SecurityPaths,
                 kek: bytes, *, kek_id: int = 0, otar_counter: int = 0,
                 tm_table: SaTable | None = None) -> None:
        if config.sdls.tm_protection and (tm_table is None or paths.tm_associations is None):
            raise SecurityOperationError("sdls.tm_protection needs the ground's TM SA file")
        self.config = config
        self.table = table
        self.keys = keys
        self.paths = paths
        self.kek = kek
        self.kek_id = kek_id
        self.otar_counter = otar_counter
        self._lock = threading.RLock()
        self._reserved = {sa.spi: sa.arsn for sa in table}
        self._protection = TcProtection(table, keys, config.tc, before_use=self._before_use)
        self.tm_table = tm_table
        self.tm_save_failures = 0
        """Saves of the TM SA file that failed."""
        self._verification = None if tm_table is None else DownlinkVerification(
            tm_table, keys, config, after_accepted=self.save_tm)

    @classmethod
    def load(cls, config: LinkConfig, paths: SecurityPaths) -> GroundSecurity:
        """Read the ground's files (SecurityOperationError when one is bad)."""
        try:
            kek = paths.kek.read_bytes()
            key_file = paths.keys.read_bytes()
            keys = load_key_file(key_file, kek)
            document = json.loads(paths.associations.read_text("utf-8"))
            counter = document.pop("otar_counter", 0) if isinstance(document, dict) else 0
            table = loads_sa_table(json.dumps(document))
        except (OSError, ValueError, DecodeError) as error:
            raise SecurityOperationError(f"ground security files: {error}") from error
        if not isinstance(counter, int):
            raise SecurityOperationError("ground SA file: otar_counter is not an integer")
        tm_table = None
        if config.sdls.tm_protection and paths.tm_associations is not None:
            try:
                tm_table = loads_sa_table(paths.tm_associations.read_text("utf-8"))
            except (OSError, ValueError, DecodeError) as error:
                raise SecurityOperationError(f"ground TM SA file: {error}") from error
        return cls(config, table, keys, paths, kek, kek_id=key_file_kek_id(key_file),
                   otar_counter=counter, tm_table=tm_table)

    @property
    def protection(self) -> TcProtection:
        """The SDLS sending end the uplink applies to each frame."""
        return self._protection

    @property
    def verification(self) -> DownlinkVerification | None:
        """The SDLS receiving end the downlink checks TM frames with (None: TM in clear)."""
        return self._verification

    def save_tm(self) -> None:
        """Write the TM SA file with the last accepted ARSNs (the receiving end's state).

        Runs in the link's reader thread: a failed write is counted in
        :attr:`tm_save_failures` and logged, never raised (the link goes on; a restart
        before the next good save would accept the frames since the last one again).
        """
        with self._lock:
            if self.tm_table is None or self.paths.tm_associations is None:
                return
            try:
                _write_private(self.paths.tm_associations,
                               dumps_sa_table(self.tm_table).encode())
            except OSError as error:
                self.tm_save_failures += 1
                log.warning("ground TM SA file not saved: %s", error)

    def save(self) -> None:
        """Write the key file and the SA file (with a reserve of sequence numbers)."""
        with self._lock:
            reserve = {sa.spi: ARSN_RESERVE for sa in self.table}
            document = json.loads(dumps_sa_table(self.table, reserve=reserve))
            document["otar_counter"] = self.otar_counter
            _write_private(self.paths.keys, dump_key_file(self.keys, self.kek, self.kek_id))
            _write_private(self.paths.associations, json.dumps(document, indent=2).encode())
            self._reserved = {sa.spi: min(sa.arsn + ARSN_RESERVE, (1 << 64) - 1)
                              for sa in self.table}

    def _before_use(self, sa: SecurityAssociation) -> None:
        if sa.arsn + 1 > self._reserved.get(sa.spi, 0):
            self.save()

    def next_otar_counter(self) -> int:
        """A fresh OTAR IV counter, saved before use (355.1-B-1 OTAR; SP 800-38D 8.3)."""
        with self._lock:
            self.otar_counter += 1
            self.save()
            return self.otar_counter

    def mirror(self, pdu: ExtendedProcedure) -> None:
        """Apply a procedure the board carried out to the ground's own table and keys."""
        with self._lock:
            try:
                execute(pdu, table=self.table, keys=self.keys)
            except LocalProtocolError as error:
                raise SecurityOperationError(f"ground mirror of {type(pdu).__name__}: "
                                             f"{error}") from error
            self.save()


ProcedureRunner = Callable[[ExtendedProcedure], ExtendedProcedure | None]
"""Runs one procedure on the board: returns its reply PDU (if any) once the board reports
completion; raises when the board refuses it or does not answer."""


class StationProcedures:
    """Runs procedures through a :class:`~ground_sw.station.GroundStation`, one at a time:
    a (140,1) request confirmed as critical, its completion awaited, its (140,2) reply kept."""

    def __init__(self, station: GroundStation, *, timeout: float = 10.0) -> None:
        self.station = station
        self.timeout = timeout
        self._serial = threading.Lock()
        self._replies_lock = threading.Lock()
        self._replies: list[bytes] = []
        station.add_listener(self)

    def on_record(self, record: Record) -> None:
        """Listener: keep the reply PDUs of TM(140,2)."""
        if isinstance(record, PacketRecord) and (record.service, record.subtype) == (
                SERVICE, REPLY_SUBTYPE):
            try:
                data = PusTm.decode(record.packet).source_data
            except DecodeError:
                return
            with self._replies_lock:
                self._replies.append(data)

    def __call__(self, pdu: ExtendedProcedure) -> ExtendedProcedure | None:
        with self._serial:
            with self._replies_lock:
                self._replies.clear()
            handle = self.station.send(PROCEDURE_COMMAND, pdu=pdu.encode(), confirm=True)
            handle.wait_completed(self.timeout)  # the reply (140,2) comes before (1,7)
            with self._replies_lock:
                replies, self._replies = self._replies, []
        return decode_reply(pdu, replies[0]) if replies else None


def decode_reply(pdu: ExtendedProcedure, data: bytes) -> ExtendedProcedure:
    """The reply PDU to ``pdu`` carried in ``data`` (SecurityOperationError if malformed)."""
    try:
        return decode_pdu(data)
    except DecodeError as error:
        raise SecurityOperationError(f"reply to {type(pdu).__name__}: {error}") from error


class KeyManagement:
    """The 355.1-B-1 procedures on a board, each mirrored on the ground once the board has
    carried it out."""

    def __init__(self, run: ProcedureRunner, security: GroundSecurity) -> None:
        self.run = run
        self.security = security

    def _run_and_mirror(self, pdu: ExtendedProcedure) -> None:
        self.run(pdu)
        self.security.mirror(pdu)

    # -- key management (355.1-B-1) ------------------------------------------------------

    def upload(self, master_key_id: int, keys: Sequence[tuple[int, bytes]]) -> None:
        """OTAR: upload keys wrapped under a master key; both ends hold them PRE_ACTIVATION."""
        master = self.security.keys.master_material(master_key_id)
        self._run_and_mirror(seal_key_block(master_key_id, master,
                                            self.security.next_otar_counter(), list(keys)))

    def verify(self, key_ids: Sequence[int]) -> None:
        """Key verification: the board proves it holds each key (SecurityOperationError
        when an answer does not match the ground's copy)."""
        challenges = tuple((key_id, secrets.token_bytes(CHALLENGE_LENGTH)) for key_id in key_ids)
        reply = self.run(KeyVerificationCommand(challenges))
        if not isinstance(reply, KeyVerificationReply) or len(reply.answers) != len(challenges):
            raise SecurityOperationError("key verification: no matching reply")
        for (key_id, challenge), (answered, iv, sealed) in zip(challenges, reply.answers,
                                                               strict=True):
            material = self.security.keys.record(key_id).material
            if answered != key_id or material is None \
                    or not reply_matches(material, challenge, iv, sealed):
                raise SecurityOperationError(f"key verification of key {key_id} failed")

    def activate(self, key_ids: Sequence[int]) -> None:
        self._run_and_mirror(KeyActivationCommand(tuple(key_ids)))

    def deactivate(self, key_ids: Sequence[int]) -> None:
        self._run_and_mirror(KeyDeactivationCommand(tuple(key_ids)))

    def destroy(self, key_ids: Sequence[int]) -> None:
        self._run_and_mirror(KeyDestructionCommand(tuple(key_ids)))

    def inventory(self, first: int = 0, last: int = 0xFFFF) -> dict[int, KeyState]:
        """The board's key states."""
        reply = self.run(KeyInventoryCommand(first, last))
        if not isinstance(reply, KeyInventoryReply):
            raise SecurityOperationError("key inventory: no reply")
        return dict(reply.keys)

    # -- SA management (355.1-B-1) -------------------------------------------------------

    def rekey_sa(self, spi: int, key_id: int, arsn: int = 0) -> None:
        self._run_and_mirror(RekeySaCommand(spi, key_id, arsn))

    def start_sa(self, spi: int) -> None:
        self._run_and_mirror(StartSaCommand(spi))

    def stop_sa(self, spi: int) -> None:
        self._run_and_mirror(StopSaCommand(spi))

    def expire_sa(self, spi: int) -> None:
        self._run_and_mirror(ExpireSaCommand(spi))

    def sa_status(self, spi: int) -> tuple[SaState, int | None]:
        reply = self.run(SaStatusCommand(spi))
        if not isinstance(reply, SaStatusReply):
            raise SecurityOperationError("SA status: no reply")
        return reply.state, reply.key_id

    def read_arsn(self, spi: int) -> int:
        reply = self.run(ReadArsnCommand(spi))
        if not isinstance(reply, ReadArsnReply):
            raise SecurityOperationError("read ARSN: no reply")
        return reply.arsn

    def rekey(self, *, master_key_id: int, new_key_id: int, new_spi: int, old_spi: int,
              material: bytes | None = None) -> None:
        """Make-before-break rekeying of the TC VC (docs/security.md 7): commands keep
        flowing under the old SA until the switch; none is lost."""
        old_key = self.security.table.get(old_spi).key_id
        key = material if material is not None else secrets.token_bytes(KEY_LENGTH)
        self.upload(master_key_id, [(new_key_id, key)])
        self.verify([new_key_id])
        self.activate([new_key_id])
        self.rekey_sa(new_spi, new_key_id)
        self.start_sa(new_spi)
        self.security.protection.select(new_spi)
        self.stop_sa(old_spi)
        self.expire_sa(old_spi)
        if old_key is not None and not any(sa.key_id == old_key for sa in self.security.table) \
                and not any(sa.key_id == old_key for sa in self.security.tm_table or ()):
            self.deactivate([old_key])
            self.destroy([old_key])


# -- provisioning and connection --------------------------------------------------------


def _association(spi: int, config: LinkConfig, key_id: int | None) -> SecurityAssociation:
    """A TC SA with its own IV fixed field (its SPI), OPERATIONAL when keyed."""
    return SecurityAssociation(
        spi=spi, virtual_channels=frozenset({config.tc.virtual_channel}),
        service=ServiceType(config.sdls.tc_service), iv_fixed_field=spi.to_bytes(4, "big"),
        key_id=key_id, state=SaState.OPERATIONAL if key_id is not None else SaState.UNKEYED)


def _tm_association(config: LinkConfig) -> SecurityAssociation:
    """The TM SA: every protected VC, the TM key, its own IV fixed field, a wide window."""
    return SecurityAssociation(
        spi=TM_SPI, virtual_channels=frozenset(config.sdls.tm_virtual_channels),
        service=ServiceType(config.sdls.tm_service), iv_fixed_field=TM_SPI.to_bytes(4, "big"),
        arsn_window=TM_ARSN_WINDOW, key_id=TM_KEY_ID, state=SaState.OPERATIONAL)


def provision(directory: Path, config: LinkConfig, *, master_key_id: int = 0x100,
              session_key_id: int = 1, spares: int = 1,
              random: Callable[[int], bytes] = secrets.token_bytes
              ) -> tuple[SecurityPaths, SecurityPaths]:
    """Fresh keys and the files of both ends in ``directory`` (board, ground).

    The board gets its KEK in a file of its own (install it outside the state dir), a key
    file with the master key and session key ACTIVE, wrapped under that KEK, and the SA
    file: SPI 1 OPERATIONAL with the session key, SPIs 2.. UNKEYED spares for rekeying.
    With ``sdls.tm_protection`` the key files also hold a TM session key (id
    :data:`TM_KEY_ID`, ACTIVE) and each end gets a TM SA file: SPI :data:`TM_SPI`
    OPERATIONAL on every protected VC. The ground gets the same keys and SAs under a KEK
    of its own.
    """
    directory.mkdir(parents=True, exist_ok=True)
    master, session = random(KEY_LENGTH), random(KEY_LENGTH)
    tm = config.sdls.tm_protection
    tm_key = random(KEY_LENGTH) if tm else b""
    associations = dumps_sa_table(SaTable(
        [_association(1, config, session_key_id)]
        + [_association(spi, config, None) for spi in range(2, 2 + spares)]))
    tm_associations = dumps_sa_table(SaTable([_tm_association(config)])) if tm else ""
    result = []
    for end in ("board", "ground"):
        keys = KeyStore()
        keys.install(master_key_id, master, role=KeyRole.MASTER)
        keys.install(session_key_id, session, state=KeyState.ACTIVE)
        if tm:
            keys.install(TM_KEY_ID, tm_key, state=KeyState.ACTIVE)
        paths = SecurityPaths(directory / f"{end}-kek.bin", directory / f"{end}-keys.bin",
                              directory / f"{end}-sa.json",
                              directory / f"{end}-tm-sa.json" if tm else None)
        kek = random(KEY_LENGTH)
        _write_private(paths.kek, kek)
        _write_private(paths.keys, dump_key_file(keys, kek, 0))
        _write_private(paths.associations, associations.encode())
        if paths.tm_associations is not None:
            _write_private(paths.tm_associations, tm_associations.encode())
        result.append(paths)
    return result[0], result[1]


def key_management(station: GroundStation, security: GroundSecurity, *,
                   timeout: float = 10.0) -> KeyManagement:
    """Key and SA management of the board behind ``station``."""
    return KeyManagement(StationProcedures(station, timeout=timeout), security)


def connect_secure(url: str, dictionary: DictionarySource, config: LinkConfig,
                   security: GroundSecurity, *, link_timeout: float | None = None,
                   **options: Any) -> GroundStation:
    """A :class:`~ground_sw.station.GroundStation` whose uplink is SDLS-protected, and whose
    downlink is verified when TM is protected, before its port opens (no frame ever leaves
    in clear, no unverified TM frame is ever used)."""
    station = GroundStation(url, dictionary, config, **options)
    station.link.set_protection(security.protection)
    station.link.set_verification(security.verification)
    station.start(link_timeout)
    return station
