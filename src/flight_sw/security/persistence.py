"""The board's SDLS state at rest: key file and SA file in the state dir (docs/security.md 9).

The key file is always wrapped and authenticated under the key-encrypting key
(:mod:`ccsds.sdls.key_file`); the KEK itself is read from a provisioning file that must lie
outside the state dir (on a flight board: the secure element's device key). The first boot
copies the provisioning key and SA files into the state dir; later boots load the state
dir's copies, which carry every key and SA state change and the last accepted ARSNs.
Files are replaced atomically (temporary file, fsync, rename), so a reset at any instant
leaves the old or the new file.

With TM protection the board also keeps its TM SA file (``tm_sa.json``, provisioned from
``--sdls-tm-sa`` at the first boot in which the mission protects TM): the board is the
sending end of those SAs, so it is saved with a reserve of sequence numbers ahead of use
(:func:`ccsds.sdls.sa_file.dumps_sa_table`), and a reset continues above the reserve:
no IV is ever used twice under a key (NIST SP 800-38D 8.3; docs/security.md 5).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ccsds.errors import DecodeError
from ccsds.sdls.association import SaTable
from ccsds.sdls.key_file import dump_key_file, key_file_kek_id, load_key_file
from ccsds.sdls.keys import KEY_LENGTH, KeyStore
from ccsds.sdls.sa_file import dumps_sa_table, loads_sa_table

STATE_SUBDIR = "sdls"
KEY_FILE_NAME = "keys.bin"
SA_FILE_NAME = "sa.json"
TM_SA_FILE_NAME = "tm_sa.json"


class SecuritySetupError(Exception):
    """The SDLS state cannot be set up: a file missing, unreadable, altered or misplaced."""


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (temporary file, fsync, rename(2))."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise SecuritySetupError(f"cannot read the {what} {path}: {error}") from error


def read_kek(path: Path, state_dir: Path) -> bytes:
    """The 256-bit KEK: a file of exactly 32 octets, refused inside ``state_dir``."""
    if path.resolve().is_relative_to(state_dir.resolve()):
        raise SecuritySetupError(f"the KEK file {path} must not be in the state dir")
    kek = _read(path, "KEK file")
    if len(kek) != KEY_LENGTH:
        raise SecuritySetupError(f"the KEK file {path} must hold exactly {KEY_LENGTH} octets")
    return kek


@dataclass
class SecurityFiles:
    """Where the board keeps its key and SA files, and the KEK that wraps the keys."""

    directory: Path
    kek: bytes
    kek_id: int

    @property
    def key_path(self) -> Path:
        return self.directory / KEY_FILE_NAME

    @property
    def sa_path(self) -> Path:
        return self.directory / SA_FILE_NAME

    def save_keys(self, keys: KeyStore) -> None:
        """Write the key store, wrapped under the KEK (OSError when the write fails)."""
        write_atomic(self.key_path, dump_key_file(keys, self.kek, self.kek_id))

    @property
    def tm_sa_path(self) -> Path:
        return self.directory / TM_SA_FILE_NAME

    def save_associations(self, table: SaTable) -> None:
        """Write the SA table (no secrets: SPIs, layouts, states, ARSNs)."""
        write_atomic(self.sa_path, dumps_sa_table(table).encode())

    def save_tm_associations(self, table: SaTable, reserve: Mapping[int, int]) -> None:
        """Write the TM SA table, each ARSN ``reserve[spi]`` ahead of the last one sent."""
        write_atomic(self.tm_sa_path, dumps_sa_table(table, reserve=reserve).encode())


def load_state(key_path: Path, sa_path: Path, kek: bytes) -> tuple[SaTable, KeyStore]:
    """Read a key file and an SA file (SecuritySetupError when either is bad)."""
    try:
        keys = load_key_file(_read(key_path, "key file"), kek)
        table = loads_sa_table(_read(sa_path, "SA file"))
    except DecodeError as error:
        raise SecuritySetupError(f"SDLS state {key_path}, {sa_path}: {error}") from error
    return table, keys


def open_state(state_dir: Path, kek_path: Path, key_file: Path | None,
               sa_file: Path | None) -> tuple[SecurityFiles, SaTable, KeyStore]:
    """The board's SDLS state: from the state dir when it holds one, else provisioned from
    ``key_file`` (wrapped under the KEK) and ``sa_file`` and saved into the state dir."""
    kek = read_kek(kek_path, state_dir)
    directory = state_dir / STATE_SUBDIR
    if (directory / KEY_FILE_NAME).exists():
        kek_id = _kek_id(_read(directory / KEY_FILE_NAME, "key file"))
        files = SecurityFiles(directory, kek, kek_id)
        table, keys = load_state(files.key_path, files.sa_path, kek)
        return files, table, keys
    if key_file is None or sa_file is None:
        raise SecuritySetupError("no SDLS state in the state dir: provisioning key and SA "
                                 "files are needed (--sdls-keys, --sdls-sa)")
    files = SecurityFiles(directory, kek, _kek_id(_read(key_file, "key file")))
    table, keys = load_state(key_file, sa_file, kek)
    try:
        files.save_keys(keys)
        files.save_associations(table)
    except OSError as error:
        raise SecuritySetupError(f"cannot save the SDLS state in {directory}: {error}") \
            from error
    return files, table, keys


def _kek_id(data: bytes) -> int:
    try:
        return key_file_kek_id(data)
    except DecodeError as error:
        raise SecuritySetupError(str(error)) from error


def open_tm_state(files: SecurityFiles, tm_sa_file: Path | None) -> SaTable:
    """The board's TM SA table: the state dir's copy when there is one, else provisioned
    from ``tm_sa_file`` and saved into the state dir (SecuritySetupError when neither)."""
    if files.tm_sa_path.exists():
        source = files.tm_sa_path
    elif tm_sa_file is None:
        raise SecuritySetupError("the mission protects TM and the state dir holds no TM SA "
                                 "file: a provisioning TM SA file is needed (--sdls-tm-sa)")
    else:
        source = tm_sa_file
    try:
        table = loads_sa_table(_read(source, "TM SA file"))
    except DecodeError as error:
        raise SecuritySetupError(f"TM SA file {source}: {error}") from error
    if source != files.tm_sa_path:
        try:
            files.save_tm_associations(table, {})
        except OSError as error:
            raise SecuritySetupError(f"cannot save the TM SA file in {files.directory}: "
                                     f"{error}") from error
    return table
