"""The ingest loop: take messages from the consumer's inbox in batches, commit each batch, then acknowledge it.

A batch is flushed when it holds `max_batch_messages` messages or `max_wait_s` after its first message. While
the database is down the batch is retried with back-off and nothing is acknowledged (back-pressure).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg
from prometheus_client import Counter, Gauge, Histogram

from detectors.daily import last_complete_hour
from edge_agent.backoff import Backoff
from ingest.consumer import Consumer
from ingest.pipeline import Inbound, Pipeline
from storage.detector_queries import any_model
from storage.gap_queries import refresh_data_gaps
from storage.rollups import refresh_rollups
from storage.telemetry import Row

log = logging.getLogger(__name__)

BATCH_SECONDS = Histogram("fw_ingest_batch_seconds", "Time to validate and commit one batch")
ROWS_STORED = Counter("fw_ingest_rows_stored_total", "New telemetry rows committed")
DB_ERRORS = Counter("fw_ingest_database_errors_total", "Batches that failed on the database and were retried")
HANDOFF_DROPPED = Counter("fw_ingest_detector_handoff_dropped_total", "Readings the detectors' queue had no room for")

Handoff = queue.Queue[list[Row]]  # COPY-ready rows (storage.telemetry.Row) of each committed batch
LAG = Gauge("fw_ingest_lag_seconds", "Commit time minus the measurement time of the newest reading committed")
OPEN_GAPS = Gauge("fw_data_gaps_open", "Circuits silent or agents offline longer than the threshold")


class Housekeeping:
    """Every `every_s`: open and close data-gap signals (silent circuits, agents offline) and bring the hourly
    and daily rollups up to date (a no-op under TimescaleDB, whose continuous aggregates refresh themselves).
    Once each hour, after the hour has ended: the detectors' streaming pass (detectors/service.py)."""

    def __init__(self, silent_after: timedelta, every_s: float = 60.0,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:  # fmt: skip
        self.silent_after, self.every_s, self._clock = silent_after, every_s, clock
        self._next = 0.0
        self.detected_until: datetime | None = None

    def due(self) -> bool:
        return time.monotonic() >= self._next

    def run(self, conn: psycopg.Connection) -> None:
        self._next = time.monotonic() + self.every_s
        now = self._clock()
        opened, closed = refresh_data_gaps(conn, now, self.silent_after)
        refresh_rollups(conn, now)
        if opened or closed:
            log.info("data gaps: %d opened, %d closed", opened, closed)
        row = conn.execute("SELECT count(*) FROM data_gap WHERE closed_at IS NULL").fetchone()
        OPEN_GAPS.set(row[0] if row else 0)
        self.detect(conn, now)

    def detect(self, conn: psycopg.Connection, now: datetime) -> None:
        """Judge the hours that ended since the last pass, at most once per hour, under a savepoint: a failure
        is logged and waits for the next hour, and never undoes the gaps and rollups (the worker also runs it)."""
        hour = last_complete_hour(now)
        if self.detected_until is not None and hour <= self.detected_until:
            return
        self.detected_until = hour
        try:
            with conn.transaction():
                if any_model(conn):  # else nothing is learned yet, and scikit-learn need not even load
                    from detectors.service import detect_new_hours

                    detect_new_hours(conn, now)
        except Exception:
            log.exception("detectors' streaming pass failed; next attempt after the next hour")


class IngestService:
    def __init__(
        self,
        consumer: Consumer,
        connect: Callable[[], psycopg.Connection],
        pipeline: Pipeline,
        *,
        max_batch_messages: int = 1000,
        max_wait_s: float = 0.2,
        handoff: Handoff | None = None,
        housekeeping: Housekeeping | None = None,
    ) -> None:
        self._consumer, self._connect, self._pipeline = consumer, connect, pipeline
        self._max_batch, self._max_wait = max_batch_messages, max_wait_s
        self._handoff = handoff
        self._housekeeping = housekeeping
        self._housekeeping_conn: psycopg.Connection | None = None
        self._conn: psycopg.Connection | None = None
        self._backoff = Backoff(0.5, 10.0)

    @property
    def broker_connected(self) -> threading.Event:
        """Set while the consumer is connected to the broker and subscribed (readiness)."""
        return self._consumer.connected

    def run(self, stop: threading.Event) -> None:
        self._consumer.start()
        housekeeper = threading.Thread(target=self._housekeep_until, args=(stop,), name="ingest-housekeeping")
        housekeeper.start()
        try:
            while not stop.is_set():
                batch = self.collect()
                if batch and self.commit(batch, stop):
                    self._consumer.ack(batch)
        finally:
            self._consumer.stop()
            if self._housekeeping_conn is not None:
                self._housekeeping_conn.cancel_safe()  # a long rollup refresh must not delay shutdown
            housekeeper.join(10)
            if self._conn is not None:
                self._conn.close()

    def collect(self) -> list[Inbound]:
        """The next batch: waits up to 0.5 s for a first message, then up to `max_wait_s` for more."""
        try:
            batch = [self._consumer.inbox.get(timeout=0.5)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self._max_wait
        while len(batch) < self._max_batch:
            try:
                batch.append(self._consumer.inbox.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
        return batch

    def commit(self, batch: list[Inbound], stop: threading.Event) -> bool:
        """Write `batch`, retrying while the database is unavailable; False if stopped before it committed."""
        while not stop.is_set():
            try:
                with BATCH_SECONDS.time():
                    outcome = self._pipeline.process(self._connection(), batch)
            except psycopg.OperationalError as exc:
                DB_ERRORS.inc()
                self._drop_connection()
                delay = self._backoff.next_delay()
                log.warning("database unavailable (%s); retrying in %.1f s, nothing acknowledged", exc, delay)
                stop.wait(delay)
                continue
            self._backoff.reset()
            ROWS_STORED.inc(outcome.stored)
            if outcome.newest is not None:
                LAG.set((datetime.now(UTC) - outcome.newest).total_seconds())
            self._hand_off(outcome.accepted)
            return True
        return False

    def _housekeep_until(self, stop: threading.Event) -> None:
        """Periodic work (data gaps, rollups) on its own thread and connection, so that it never holds up
        writing and acknowledging; a failure is logged and retried next time, never fatal."""
        while self._housekeeping is not None and not stop.wait(1.0):
            if not self._housekeeping.due():
                continue
            try:
                with self._connect() as conn:
                    self._housekeeping_conn = conn
                    with conn.transaction():
                        self._housekeeping.run(conn)
            except psycopg.Error as exc:
                if not stop.is_set():
                    log.warning("housekeeping failed, retrying next time: %s", exc)
            finally:
                self._housekeeping_conn = None

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = self._connect()
        return self._conn

    def _drop_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def _hand_off(self, accepted: list[Row]) -> None:
        if self._handoff is None or not accepted:
            return
        try:
            self._handoff.put_nowait(accepted)
        except queue.Full:  # a slow detector must not block writes; it catches up from the database
            HANDOFF_DROPPED.inc(len(accepted))
