"""File transfer on board: the payload's CFDP entity (CCSDS 727.0-B-5) over the object store
(docs/icd.md 12)."""

from flight_sw.file_transfer.filestore import ObjectFilestore
from flight_sw.file_transfer.transfer import (
    FileTransfer,
    TransferBusyError,
    TransferCounters,
    TransferSettings,
)

__all__ = ["FileTransfer", "ObjectFilestore", "TransferBusyError", "TransferCounters",
           "TransferSettings"]
