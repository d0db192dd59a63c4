"""The alert jobs of `fluorowatch worker`, as plain calls that tests make directly.

* `sync_and_escalate`: new detector events become alerts, then unacknowledged leak alerts whose delay has
  passed go one organisation level up; one transaction, so an event is taken exactly once (the watermark moves
  with the alerts it made) and a failure changes nothing.
* `DeliveryLoop`: routes and sends (`alerts.delivery.run_once`) until there is no more work, then waits a few
  seconds, or less when woken (a sync that queued notifications wakes it: the manager is notified at once,
  REGULATION.md (p) ニ). It runs in its own thread, apart from the scheduler, so a slow provider stalls nothing.
* `queue_digests`: one digest per site with open alerts, daily.

Every call opens its own connection: a database restart costs one round, not the worker.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

from alerts.channels import build_channel
from alerts.delivery import ChannelFactory, Renderer, run_once
from alerts.lifecycle import DEFAULT_ESCALATION_DELAY

log = logging.getLogger(__name__)

SYNC_BATCH = 1000
IDLE_S = 5.0


def utc_now() -> datetime:
    return datetime.now(UTC)


def _connect(database_url: str, *, autocommit: bool = False) -> psycopg.Connection:
    return psycopg.connect(database_url, autocommit=autocommit, options="-c TimeZone=UTC")


@dataclass(frozen=True)
class SyncResult:
    events: int  # detector events taken
    escalated: int  # alerts moved one level up
    gaps: int = 0  # data-gap alerts raised or resolved

    @property
    def worked(self) -> bool:
        return bool(self.events or self.escalated or self.gaps)


def sync_and_escalate(database_url: str, now: datetime, delay: timedelta = DEFAULT_ESCALATION_DELAY) -> SyncResult:
    """Take every new detector event, then escalate what is due at ``now``; committed together."""
    # Imported here: alerts.service pulls in the leak-rate physics (CoolProp, ~2 s), which delivery never needs.
    from alerts.data_gaps import sync_data_gaps
    from alerts.service import escalate_due, sync_detector_events

    with _connect(database_url) as conn:  # commits when the block ends, rolls back on an exception
        events = 0
        while True:
            taken = sync_detector_events(conn, SYNC_BATCH)
            events += taken
            if taken < SYNC_BATCH:
                break
        raised, resolved = sync_data_gaps(conn, now)
        escalated = escalate_due(conn, now, delay)
    if escalated:
        log.info("alerts: %d leak alerts escalated (not acknowledged within %s)", escalated, delay)
    return SyncResult(events, escalated, raised + resolved)


def queue_digests(database_url: str, now: datetime) -> int:
    """Queue the daily digest of every site with open alerts; returns how many sites."""
    from alerts.service import queue_daily_digests

    with _connect(database_url) as conn:
        return queue_daily_digests(conn, now)


class DeliveryLoop:
    """Sends what the outbox holds until stopped. `run_pending` is one drain (tests call it); `run` loops."""

    def __init__(
        self,
        database_url: str,
        render: Renderer,
        channels: ChannelFactory = build_channel,
        *,
        idle_s: float = IDLE_S,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.database_url, self.render, self.channels = database_url, render, channels
        self.idle_s, self._clock = idle_s, clock
        self._stop = threading.Event()
        self._wake = threading.Event()

    def run_pending(self) -> int:
        """Route and send until nothing is due (or `stop`); returns how many rounds did work."""
        rounds = 0
        with _connect(self.database_url, autocommit=True) as conn:
            while not self._stop.is_set() and run_once(conn, self._clock(), self.channels, self.render):
                rounds += 1
        return rounds

    def run(self) -> None:
        """Drain, wait `idle_s` (or until woken), again, until `stop`. A failed round (database away) is logged
        and tried again after the pause; what it had claimed stays pending and is sent again with its key."""
        while not self._stop.is_set():
            try:
                self.run_pending()
            except Exception:
                log.exception("alert delivery: round failed; trying again in %.0f s", self.idle_s)
            self._wake.wait(self.idle_s)
            self._wake.clear()

    def wake(self) -> None:
        """Look for work now rather than after the pause."""
        self._wake.set()

    def stop(self) -> None:
        """Stop after the message being sent, if any (its transaction commits)."""
        self._stop.set()
        self._wake.set()

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="alert-delivery", daemon=True)
        thread.start()
        return thread


class AlertJobs:
    """The scheduled alert jobs bound to a database, a delay and a clock; a sync or digest that queued
    notifications wakes the delivery loop."""

    def __init__(
        self,
        database_url: str,
        escalation_delay: timedelta = DEFAULT_ESCALATION_DELAY,
        delivery: DeliveryLoop | None = None,
        clock: Callable[[], datetime] = utc_now,
        auto_ticket_loss_pct: float | None = None,
    ) -> None:
        self.database_url, self.escalation_delay, self.delivery, self._clock = (
            database_url, escalation_delay, delivery, clock)  # fmt: skip
        self.auto_ticket_loss_pct = auto_ticket_loss_pct

    def sync_and_escalate(self) -> SyncResult:
        result = sync_and_escalate(self.database_url, self._clock(), self.escalation_delay)
        if self.auto_ticket_loss_pct is not None:
            self._tickets_by_policy(self.auto_ticket_loss_pct)
        if result.worked and self.delivery is not None:
            self.delivery.wake()
        return result

    def repair_deadlines(self) -> tuple[int, int]:
        """Reminders before, and the overdue alert after, each unrepaired leak's 60-day deadline (today in Tokyo)."""
        from compliance.deadline_jobs import remind_and_escalate
        from compliance.jobs import MONITORING_LOOKBACK, record_monitoring_periods
        from compliance.ticket_service import local_date

        now = self._clock()
        today = local_date(now)
        with _connect(self.database_url) as conn:
            result = remind_and_escalate(conn, today, now)
            record_monitoring_periods(conn, today - MONITORING_LOOKBACK, today, now)
        if any(result) and self.delivery is not None:
            self.delivery.wake()
        return result

    def _tickets_by_policy(self, min_loss_pct: float) -> None:
        from compliance.from_alerts import confirm_by_policy

        with _connect(self.database_url) as conn:
            confirmed = confirm_by_policy(conn, self._clock(), min_loss_pct)
        if confirmed:
            log.info("%d leak alerts above %.1f %% confirmed by policy; tickets opened", len(confirmed), min_loss_pct)

    def verify_repairs(self) -> list[int]:
        """Verify repairs whose unit has run at its baseline since, re-learn its baseline, and bring every
        logbook up to date with the tickets and certificates (compliance)."""
        from compliance.jobs import feed_logbooks
        from compliance.verification import verify_from_operating_values

        with _connect(self.database_url) as conn:
            verified = verify_from_operating_values(conn, self._clock(), _relearn_after_repair)
            feed_logbooks(conn, self._clock())
        return verified

    def digests(self) -> int:
        queued = queue_digests(self.database_url, self._clock())
        if queued and self.delivery is not None:
            self.delivery.wake()
        return queued


def _relearn_after_repair(conn: psycopg.Connection, unit: int, circuit: int, since: datetime, until: datetime) -> None:
    from detectors.baseline import InsufficientBaseline
    from detectors.service import learn_circuit

    try:
        with conn.transaction():
            learn_circuit(conn, unit, circuit, since, until, "after verified repair")
    except InsufficientBaseline as exc:
        log.warning("unit %d circuit %d: repair verified, baseline kept: %s", unit, circuit, exc)
