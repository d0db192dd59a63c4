"""The edge agent's loop: sample each unit's driver on schedule, queue every reading on disk, and send the
queue to the broker in order, removing readings only once the broker acknowledged them.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from prometheus_client import Counter, Gauge

from edge_agent.backoff import Backoff
from edge_agent.drivers.base import Driver, DriverError
from edge_agent.link import PUBLISH_FAILURES, BrokerLink, LinkError
from edge_agent.payload import (
    STATUS_SCHEMA,
    AgentStatus,
    encode_batch,
    encode_reading,
    encode_status,
    status_topic,
    telemetry_topic,
)
from edge_agent.reading import Reading
from edge_agent.store import QueuedReading, ReadingStore

log = logging.getLogger(__name__)

READINGS_SAMPLED = Counter("fw_agent_readings_sampled_total", "Readings read from drivers", ["equipment"])
READINGS_SENT = Counter("fw_agent_readings_acknowledged_total", "Readings acknowledged by the broker")
READINGS_DROPPED = Counter("fw_agent_readings_dropped_total", "Readings dropped because the queue was full")
DRIVER_ERRORS = Counter("fw_agent_driver_errors_total", "Failed driver reads", ["equipment"])
RECONNECTS = Counter("fw_agent_broker_connects_total", "Broker connection attempts", ["result"])
QUEUE_DEPTH = Gauge("fw_agent_queue_depth", "Readings waiting in the on-disk queue")

LinkFactory = Callable[[], BrokerLink]


@dataclass
class UnitSchedule:
    driver: Driver
    channel_map: Mapping[str, str] = field(default_factory=dict)
    next_due: float = 0.0  # monotonic seconds


@dataclass(frozen=True)
class AgentIdentity:
    agent_id: str
    site: str
    topic_prefix: str


class Agent:
    """Runs until `stop` is set. Clocks are passed in: `wall` gives measurement times, `monotonic` schedules."""

    def __init__(
        self,
        identity: AgentIdentity,
        units: Mapping[str, UnitSchedule],
        store: ReadingStore,
        connect: LinkFactory,
        *,
        sampling_interval_s: float = 60.0,
        batch_max_readings: int = 100,
        max_inflight_readings: int = 2000,
        backoff: Backoff | None = None,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.identity, self.units, self.store = identity, units, store
        self._connect, self._wall, self._monotonic = connect, wall, monotonic
        self._interval = sampling_interval_s
        self._batch = batch_max_readings
        self._max_inflight = max_inflight_readings
        self._backoff = backoff or Backoff()
        self._link: BrokerLink | None = None
        self._next_connect = 0.0
        self._inflight: dict[int, list[int]] = {}  # message id -> queue seqs
        self._sent_up_to = 0  # highest seq handed to the current link

    def run(self, stop: threading.Event, tick_s: float = 0.05) -> None:
        try:
            while not stop.is_set():
                self.run_once()
                stop.wait(tick_s)
        finally:
            self.shutdown()

    @property
    def connected(self) -> bool:
        """Connected to the broker (readiness)."""
        return self._link is not None and not self._link.lost.is_set()

    def run_once(self) -> None:
        """One pass: sample due units, keep the broker connected, process acks, send what is queued."""
        self.sample_due_units()
        self._ensure_link()
        if self._link is not None:
            self._drain_acks(self._link)
            self._send_pending(self._link)
        QUEUE_DEPTH.set(self.store.depth)

    def sample_due_units(self) -> None:
        now = self._monotonic()
        for equipment, unit in self.units.items():
            if unit.next_due > now:
                continue
            unit.next_due = max(unit.next_due + self._interval, now) if unit.next_due else now + self._interval
            self._sample(equipment, unit)

    def shutdown(self) -> None:
        """Publish the offline status, disconnect and close everything; queued readings stay on disk."""
        if self._link is not None:
            try:
                self._publish_status(self._link, "offline")
                self._drain_acks(self._link, wait_s=2.0)
            except LinkError:
                pass
            self._link.close()
            self._link = None
        for unit in self.units.values():
            unit.driver.close()
        self.store.close()

    def _sample(self, equipment: str, unit: UnitSchedule) -> None:
        try:
            readings = unit.driver.read(self._wall())
        except DriverError as exc:
            DRIVER_ERRORS.labels(equipment).inc()
            log.warning("%s: read failed, retrying next interval: %s", equipment, exc)
            return
        except Exception:  # a driver bug must not stop the other units
            DRIVER_ERRORS.labels(equipment).inc()
            log.exception("%s: driver raised unexpectedly; retrying next interval", equipment)
            return
        items = [(equipment, r.circuit, encode_reading(_renamed(r, unit.channel_map))) for r in readings]
        dropped = self.store.put(items)
        QUEUE_DEPTH.set(self.store.depth)
        READINGS_SAMPLED.labels(equipment).inc(len(items))
        if dropped:
            READINGS_DROPPED.inc(dropped)
            log.warning("queue full (%d readings): dropped the %d oldest", self.store.max_readings, dropped)

    def _ensure_link(self) -> None:
        if self._link is not None and self._link.lost.is_set():
            log.warning("connection to the broker lost; %d readings queued", self.store.depth)
            PUBLISH_FAILURES.inc(len(self._inflight))  # sent again on the next connection
            self._link.close()
            self._link = None
            self._next_connect = self._monotonic() + self._backoff.next_delay()
        if self._link is not None or self._monotonic() < self._next_connect:
            return
        link = self._connect()
        try:
            link.connect()
            self._publish_status(link, "online")
        except LinkError as exc:
            RECONNECTS.labels("failed").inc()
            delay = self._backoff.next_delay()
            self._next_connect = self._monotonic() + delay
            log.warning("broker unavailable (%s); next attempt in %.1f s", exc, delay)
            return
        RECONNECTS.labels("connected").inc()
        self._backoff.reset()
        self._link, self._inflight, self._sent_up_to = link, {}, 0
        log.info("connected to the broker; %d readings queued", self.store.depth)

    def _send_pending(self, link: BrokerLink) -> None:
        room = self._max_inflight - sum(len(s) for s in self._inflight.values())
        pending = self.store.peek(self._sent_up_to, room) if room > 0 else []
        by_circuit: dict[tuple[str, int], list[QueuedReading]] = {}
        for item in pending:  # one topic per circuit; order within a circuit is kept
            by_circuit.setdefault((item.equipment, item.circuit), []).append(item)
        for (equipment, circuit), items in by_circuit.items():
            topic = telemetry_topic(self.identity.topic_prefix, self.identity.site, equipment, circuit)
            for batch in _chunks(items, self._batch):
                payload = encode_batch(self.identity.site, self.identity.agent_id, equipment, circuit,
                                       [q.reading for q in batch])  # fmt: skip
                try:
                    mid = link.publish(topic, payload)
                except LinkError:
                    return  # the link is marked lost; everything unacknowledged is sent again on reconnect
                self._inflight[mid] = [q.seq for q in batch]
        if pending:
            self._sent_up_to = pending[-1].seq

    def _drain_acks(self, link: BrokerLink, wait_s: float = 0.0) -> None:
        acked: list[int] = []
        deadline = self._monotonic() + wait_s
        while True:
            try:
                mid = (
                    link.acks.get(timeout=max(0.0, deadline - self._monotonic())) if wait_s else link.acks.get_nowait()
                )
            except queue.Empty:
                break
            acked += self._inflight.pop(mid, [])
        self.store.ack(acked)
        READINGS_SENT.inc(len(acked))

    def _publish_status(self, link: BrokerLink, state: str) -> None:
        status = AgentStatus(STATUS_SCHEMA, self.identity.agent_id, state, self._wall(), self.store.depth,
                             self.store.dropped)  # fmt: skip
        topic = status_topic(self.identity.topic_prefix, self.identity.site, self.identity.agent_id)
        link.publish(topic, encode_status(status), retain=True)


def _renamed(reading: Reading, channel_map: Mapping[str, str]) -> Reading:
    if not channel_map:
        return reading
    values = {channel_map.get(k, k): v for k, v in reading.values.items()}
    return Reading(reading.equipment, reading.circuit, reading.ts, values)


def _chunks(items: list[QueuedReading], size: int) -> list[list[QueuedReading]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
