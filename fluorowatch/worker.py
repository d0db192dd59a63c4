"""`fluorowatch worker`: the detectors' and the alerts' scheduled jobs (APScheduler 3, in memory).

* every ``stream_every`` (default 10 minutes): the streaming pass, which judges each circuit's hours that
  have ended (detectors.service.detect_new_hours);
* daily at ``daily_at`` local time of the display time zone (default 00:30 Asia/Tokyo): the diagnosis of the
  previous local day for every circuit in service (REGULATION.md (p) ロ: at least once a day).

and the alert jobs (alerts.jobs; REGULATION.md (p) ニ: the manager is notified at once):

* every minute: new detector events become alerts, and unacknowledged leak alerts whose escalation delay
  (``FLUOROWATCH_ESCALATION_HOURS``) has passed go one organisation level up;
* continuously, in a thread of its own: the delivery loop, woken as soon as a job queued notifications;
* daily at ``digest_at`` local time (default 08:00 Asia/Tokyo): one digest per site with open alerts.

The detector jobs are idempotent: the streaming pass advances per-circuit watermarks under an advisory lock
and keeps hours and events already stored; a day's diagnosis is an upsert. A run that is missed, repeated or doubled by
ingest's housekeeping (which runs the streaming pass hourly) changes nothing. A persistent job store, and
locking so that only one worker schedules, belong to a later issue; until then a day missed while the worker
was down is diagnosed with ``fluorowatch detect diagnose --day``.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import psycopg
from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

from alerts.jobs import AlertJobs, DeliveryLoop
from alerts.render import make_renderer
from detectors.service import DailyResult, PassResult, detect_new_hours, run_daily_diagnosis

log = logging.getLogger(__name__)

DAILY_AT = time(0, 30)
STREAM_EVERY = timedelta(minutes=10)
DIGEST_AT = time(8, 0)
SYNC_EVERY = timedelta(minutes=1)
STOP_DELIVERY_WITHIN_S = 60.0  # a send in progress finishes first (channels time out well within this)


class DetectorJobs:
    """The jobs as plain calls (tests call them directly). Each opens its own autocommit connections, so every
    round of the streaming pass commits on its own: one to write, one to read the next round's readings."""

    def __init__(self, database_url: str, tz: ZoneInfo, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.database_url, self.tz, self._clock = database_url, tz, clock

    def stream(self) -> PassResult:
        with self._connect() as conn, self._connect() as reader:
            return detect_new_hours(conn, self._clock(), reader)

    def daily(self, day: date | None = None) -> DailyResult:
        """Diagnose ``day``, by default the local day before today."""
        now = self._clock()
        day = day or now.astimezone(self.tz).date() - timedelta(days=1)
        with self._connect() as conn, self._connect() as reader:
            return run_daily_diagnosis(conn, day, self.tz, now, reader)

    def _connect(self) -> psycopg.Connection:
        return psycopg.connect(self.database_url, autocommit=True, options="-c TimeZone=UTC")


def build_scheduler(
    jobs: DetectorJobs,
    daily_at: time = DAILY_AT,
    stream_every: timedelta = STREAM_EVERY,
    alerts: AlertJobs | None = None,
    digest_at: time = DIGEST_AT,
) -> BackgroundScheduler:
    # coalesce: after a pause, one catch-up run, not one per missed slot; max_instances 1: a slow pass is not
    # overtaken by the next one.
    scheduler = BackgroundScheduler(timezone=jobs.tz, job_defaults={"coalesce": True, "max_instances": 1,
                                                                     "misfire_grace_time": 3600})  # fmt: skip
    scheduler.add_job(jobs.stream, IntervalTrigger(seconds=stream_every.total_seconds(), timezone=jobs.tz),
                      id="detect-new-hours", name="streaming pass", next_run_time=datetime.now(jobs.tz))  # fmt: skip
    scheduler.add_job(jobs.daily, CronTrigger(hour=daily_at.hour, minute=daily_at.minute, timezone=jobs.tz),
                      id="daily-diagnosis", name="daily diagnosis")  # fmt: skip
    if alerts is not None:
        every_minute = IntervalTrigger(seconds=SYNC_EVERY.total_seconds(), timezone=jobs.tz)
        scheduler.add_job(alerts.sync_and_escalate, every_minute, id="alerts-sync-escalate",
                          name="alert sync and escalation", next_run_time=datetime.now(jobs.tz))  # fmt: skip
        scheduler.add_job(alerts.digests, CronTrigger(hour=digest_at.hour, minute=digest_at.minute, timezone=jobs.tz),
                          id="alerts-daily-digest", name="daily alert digest")  # fmt: skip
        scheduler.add_job(alerts.repair_deadlines, CronTrigger(hour=digest_at.hour, minute=5, timezone=jobs.tz),
                          id="repair-deadlines", name="repair deadline reminders and overdue repairs")  # fmt: skip
        scheduler.add_job(alerts.verify_repairs, IntervalTrigger(hours=1, timezone=jobs.tz), id="verify-repairs",
                          name="verify repairs from operating values, re-learn baselines")  # fmt: skip
    return scheduler


def run_worker(
    database_url: str,
    tz: ZoneInfo,
    *,
    daily_at: time = DAILY_AT,
    stream_every: timedelta = STREAM_EVERY,
    exit_after_s: float | None = None,
    escalation_delay: timedelta | None = None,
    public_url: str | None = None,
    digest_at: time = DIGEST_AT,
    auto_ticket_loss_pct: float | None = None,
) -> int:
    """Run the jobs until SIGTERM or Ctrl-C (or ``exit_after_s``); a running job, and a message being sent,
    are finished first. ``escalation_delay`` and ``public_url`` default to the process settings
    (``FLUOROWATCH_ESCALATION_HOURS``, ``FLUOROWATCH_PUBLIC_URL``)."""
    if escalation_delay is None or public_url is None:
        from fluorowatch.settings import load_settings

        settings = load_settings()
        escalation_delay = escalation_delay or settings.escalation_delay
        public_url = public_url or settings.public_url
    delivery = DeliveryLoop(database_url, make_renderer(public_url))
    alerts = AlertJobs(database_url, escalation_delay, delivery, auto_ticket_loss_pct=auto_ticket_loss_pct)
    scheduler = build_scheduler(DetectorJobs(database_url, tz), daily_at, stream_every, alerts, digest_at)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    delivery_thread = delivery.start()
    scheduler.start()
    log.info("worker: streaming pass every %s, daily diagnosis at %s %s", stream_every, daily_at, tz.key)
    log.info("worker: alerts synced every %s (leak alerts escalate after %s unacknowledged), delivered as they "
             "come, daily digest at %s %s", SYNC_EVERY, escalation_delay, digest_at, tz.key)  # fmt: skip
    stop.wait(exit_after_s)
    scheduler.shutdown(wait=True)
    delivery.stop()
    delivery_thread.join(STOP_DELIVERY_WITHIN_S)
    if delivery_thread.is_alive():  # its open transaction is rolled back: the message goes again, same key
        log.warning("worker: a delivery still in progress after %.0f s is abandoned", STOP_DELIVERY_WITHIN_S)
    log.info("worker stopped")
    return 0
