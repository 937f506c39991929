"""Sans-I/O CCSDS protocol core shared by the flight and ground software.

Bytes and events in, bytes and events out: no ports, sockets, threads or wall clock.
Time is always an argument. See docs/architecture.md.
"""

from ccsds.config import LinkConfig
from ccsds.errors import CcsdsError, LocalProtocolError, RemoteProtocolError

__all__ = ["CcsdsError", "LinkConfig", "LocalProtocolError", "RemoteProtocolError"]
