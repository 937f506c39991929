"""The mission dictionary on the ground: loaded from the exported JSON file, or exported by
the installed flight software (``flight-sw dictionary --format json`` in a subprocess: the
ground never imports ``flight_sw``), and compared with the hash the board reports.

The hash is SHA-256 of the canonical JSON (docs/icd.md section 9,
:func:`ccsds.mission_db.dictionary_digest`); the board carries it in its BOOT event.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ccsds.mission_db import DictionaryFormatError, MissionDatabase, dictionary_digest, loads
from ground_sw.errors import DictionaryLoadError

EXPORT_COMMAND = (sys.executable, "-m", "flight_sw.cli", "dictionary", "--format", "json")
"""The installed flight software's export, run as a separate process."""


@dataclass(frozen=True)
class Dictionary:
    """A loaded mission database, its SHA-256 digest and where it came from."""

    database: MissionDatabase
    digest: bytes
    source: str

    @classmethod
    def of(cls, database: MissionDatabase, source: str = "in memory") -> Dictionary:
        """Wrap a database built in memory."""
        return cls(database, dictionary_digest(database), source)

    @property
    def hash(self) -> str:
        """The digest in hex, as ``flight-sw dictionary`` tools print it."""
        return self.digest.hex()

    def matches(self, reported: bytes | str) -> bool:
        """Whether a hash reported by the board (32 octets or hex) is this dictionary's."""
        if isinstance(reported, str):
            return reported.lower() == self.hash
        return bytes(reported) == self.digest


@dataclass(frozen=True)
class DictionaryMismatch:
    """The board runs with another dictionary than the ground's."""

    expected: str
    reported: str
    where: str

    def __str__(self) -> str:
        return (f"dictionary mismatch: the board reports {self.reported[:16]}... in {self.where},"
                f" the ground loaded {self.expected[:16]}...; commands and telemetry may be"
                " misinterpreted")


def parse_dictionary(text: str | bytes, source: str) -> Dictionary:
    """A dictionary from exported JSON text (DictionaryLoadError naming ``source``)."""
    try:
        database = loads(text)
    except DictionaryFormatError as exc:
        raise DictionaryLoadError(f"{source}: {exc}") from None
    return Dictionary.of(database, source)


def load_dictionary(path: str | Path) -> Dictionary:
    """Load the JSON export written by ``flight-sw dictionary --format json --output FILE``."""
    try:
        text = Path(path).read_bytes()
    except OSError as exc:
        raise DictionaryLoadError(f"cannot read dictionary {path}: {exc}") from None
    return parse_dictionary(text, str(path))


def export_installed(command: tuple[str, ...] = EXPORT_COMMAND,
                     timeout: float = 60.0) -> Dictionary:
    """The dictionary of the installed flight software, exported by a subprocess."""
    try:
        result = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DictionaryLoadError(f"cannot run {' '.join(command)}: {exc}") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise DictionaryLoadError(f"{' '.join(command)} exited with {result.returncode}: "
                                  f"{message}")
    return parse_dictionary(result.stdout, "installed flight software export")


DictionarySource = Dictionary | MissionDatabase | str | Path | None


def resolve_dictionary(source: DictionarySource) -> Dictionary:
    """A dictionary from a file path, a database, a loaded dictionary, or (None) the export
    of the installed flight software."""
    if source is None:
        return export_installed()
    if isinstance(source, Dictionary):
        return source
    if isinstance(source, MissionDatabase):
        return Dictionary.of(source)
    return load_dictionary(source)
