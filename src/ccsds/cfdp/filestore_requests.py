"""Executing filestore requests at the end of a transaction (CCSDS 727.0-B-5 4.9, 5.4.1)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ccsds.cfdp.defs import ActionCode
from ccsds.cfdp.filestore import Filestore, FilestoreError
from ccsds.cfdp.tlv import FilestoreRequestTlv, FilestoreResponseTlv

STATUS_SUCCESSFUL = 0b0000
STATUS_FAILED = 0b0001
STATUS_NOT_PERFORMED = 0b1111


def _deny_file(store: Filestore, name: str) -> None:
    if store.exists(name):
        store.delete(name)


def _deny_directory(store: Filestore, name: str) -> None:
    if store.directory_exists(name):
        store.remove_directory(name)


_ACTIONS: dict[ActionCode, Callable[[Filestore, FilestoreRequestTlv], None]] = {
    ActionCode.CREATE_FILE: lambda s, r: s.create(r.first_name),
    ActionCode.DELETE_FILE: lambda s, r: s.delete(r.first_name),
    ActionCode.RENAME_FILE: lambda s, r: s.rename(r.first_name, r.second_name),
    ActionCode.APPEND_FILE: lambda s, r: s.append(r.first_name, r.second_name),
    ActionCode.REPLACE_FILE: lambda s, r: s.replace(r.first_name, r.second_name),
    ActionCode.CREATE_DIRECTORY: lambda s, r: s.create_directory(r.first_name),
    ActionCode.REMOVE_DIRECTORY: lambda s, r: s.remove_directory(r.first_name),
    ActionCode.DENY_FILE: lambda s, r: _deny_file(s, r.first_name),
    ActionCode.DENY_DIRECTORY: lambda s, r: _deny_directory(s, r.first_name),
}


def execute_requests(
    store: Filestore, requests: Iterable[FilestoreRequestTlv]
) -> tuple[FilestoreResponseTlv, ...]:
    """Run ``requests`` in order; after the first failure the rest are "not performed" (4.9.5)."""
    responses: list[FilestoreResponseTlv] = []
    failed = False
    for request in requests:
        status, message = STATUS_NOT_PERFORMED, b""
        if not failed:
            try:
                _ACTIONS[request.action](store, request)
                status = STATUS_SUCCESSFUL
            except FilestoreError as exc:
                status, message, failed = STATUS_FAILED, str(exc).encode()[:255], True
        responses.append(
            FilestoreResponseTlv(
                request.action, status, request.first_name, request.second_name, message
            )
        )
    return tuple(responses)
