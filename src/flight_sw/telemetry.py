"""PUS-C telemetry packets of the payload application, with their counters and time tags.

ECSS-E-ST-70-41C 7.4.3.2: the message type counter counts per (service, subtype) and
destination; the packet sequence count counts per APID (CCSDS 133.0-B-2 4.1.3.4.2).
"""

from __future__ import annotations

from collections import defaultdict

from ccsds.config import LinkConfig
from ccsds.pus import PusTm
from flight_sw.clock import Clock, cuc_now


class TelemetryFactory:
    """Builds the application's TM packets: ``make(service, subtype, data) -> bytes``."""

    def __init__(self, config: LinkConfig, clock: Clock) -> None:
        self.apid = config.packets.apid_pus
        self.destination_id = config.packets.ground_destination_id
        self.clock = clock
        self._sequence: defaultdict[int, int] = defaultdict(int)
        self._message_counters: defaultdict[tuple[int, int], int] = defaultdict(int)
        self.packets_made = 0

    def make(self, service: int, subtype: int, data: bytes = b"") -> bytes:
        """One TM packet time-tagged now."""
        key = (service, subtype)
        counter = self._message_counters[key]
        self._message_counters[key] = (counter + 1) & 0xFFFF
        sequence = self._sequence[self.apid]
        self._sequence[self.apid] = (sequence + 1) & 0x3FFF
        self.packets_made += 1
        return PusTm(self.apid, sequence, service, subtype, time=cuc_now(self.clock),
                     source_data=data, message_counter=counter,
                     destination_id=self.destination_id).encode()
