"""The payload application assembled: link, dispatcher, services, telemetry and scheduler.

I/O-free: :class:`~flight_sw.runtime.PortRunner` moves bytes between a port and
:meth:`FlightSoftware.receive` / :meth:`FlightSoftware.step`; a simulation can drive the same
object with a simulated clock.
"""

from __future__ import annotations

from ccsds.config import LinkConfig
from ccsds.errors import DecodeError
from ccsds.spacepacket import peek_header
from flight_sw.clock import Clock
from flight_sw.dispatch import Dispatcher
from flight_sw.link import FlightLink
from flight_sw.scheduler import Scheduler
from flight_sw.services import test_service
from flight_sw.telemetry import TelemetryFactory


class FlightSoftware:
    """One instance of the flight software."""

    def __init__(self, config: LinkConfig, clock: Clock, *, bit_rate: float | None = None,
                 idle_interval_s: float = 1.0) -> None:
        self.config = config
        self.clock = clock
        self.link = FlightLink(config, bit_rate=bit_rate, idle_interval_s=idle_interval_s)
        self.telemetry = TelemetryFactory(config, clock)
        self.dispatcher = Dispatcher(config.packets.apid_pus, self.emit)
        self.scheduler = Scheduler()
        test_service.register(self.dispatcher, self.emit)

    def emit(self, service: int, subtype: int, data: bytes) -> None:
        """Send a PUS report on the real-time virtual channel."""
        packet = self.telemetry.make(service, subtype, data)
        self.link.send(packet, self.config.tm.vc_realtime)

    def receive(self, data: bytes) -> None:
        """Octets from the uplink."""
        for packet in self.link.receive(data):
            self._route(packet)

    def line_idle(self) -> None:
        """The uplink has been quiet for a while (ends a CLTU cut short)."""
        for packet in self.link.line_idle():
            self._route(packet)

    def step(self, now: float) -> bytes:
        """Run the scheduler and return what the downlink may send by ``now``."""
        self.scheduler.run_due(now)
        return self.link.output(now)

    def _route(self, packet: bytes) -> None:
        try:
            apid = peek_header(packet).apid
        except DecodeError:
            apid = None
        if apid == self.config.packets.apid_cfdp:
            return  # file transfer joins with the storage payload
        self.dispatcher.dispatch(packet)
