"""Test service, PUS service 17 (ECSS-E-ST-70-41C 6.17): are-you-alive and connection test."""

from __future__ import annotations

import struct

from ccsds.pus import PusTc
from flight_sw.dispatch import CommandError, Dispatcher
from flight_sw.services.verification import Emit, ErrorCode, Verification

SERVICE = 17
_APID = struct.Struct(">H")


def register(dispatcher: Dispatcher, emit: Emit) -> None:
    """(17,1) -> (17,2); (17,3) with an APID -> (17,4) when that APID is this application."""

    def are_you_alive(_: None, verification: Verification) -> None:
        emit(SERVICE, 2, b"")

    def parse_connection_test(tc: PusTc) -> int:
        if len(tc.application_data) != _APID.size:
            raise CommandError(ErrorCode.INVALID_APPLICATION_DATA,
                               "(17,3) takes one 16-bit application process id")
        apid: int = _APID.unpack(tc.application_data)[0]
        return apid

    def connection_test(apid: int, verification: Verification) -> None:
        if apid != dispatcher.apid:
            raise CommandError(ErrorCode.ILLEGAL_APID, f"no application process {apid}",
                               _APID.pack(apid))
        emit(SERVICE, 4, _APID.pack(apid))

    dispatcher.register(SERVICE, 1, are_you_alive)
    dispatcher.register(SERVICE, 3, connection_test, parse=parse_connection_test)
