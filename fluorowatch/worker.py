"""`fluorowatch worker`: the detectors' scheduled jobs (APScheduler 3, in memory).

* every ``stream_every`` (default 10 minutes): the streaming pass, which judges each circuit's hours that
  have ended (detectors.service.detect_new_hours);
* daily at ``daily_at`` local time of the display time zone (default 00:30 Asia/Tokyo): the diagnosis of the
  previous local day for every circuit in service (REGULATION.md (p) ロ: at least once a day).

Both jobs are idempotent: the streaming pass advances per-circuit watermarks under an advisory lock and keeps
hours and events already stored; a day's diagnosis is an upsert. A run that is missed, repeated or doubled by
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

from detectors.service import DailyResult, PassResult, detect_new_hours, run_daily_diagnosis

log = logging.getLogger(__name__)

DAILY_AT = time(0, 30)
STREAM_EVERY = timedelta(minutes=10)


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
    jobs: DetectorJobs, daily_at: time = DAILY_AT, stream_every: timedelta = STREAM_EVERY
) -> BackgroundScheduler:
    # coalesce: after a pause, one catch-up run, not one per missed slot; max_instances 1: a slow pass is not
    # overtaken by the next one.
    scheduler = BackgroundScheduler(timezone=jobs.tz, job_defaults={"coalesce": True, "max_instances": 1,
                                                                     "misfire_grace_time": 3600})  # fmt: skip
    scheduler.add_job(jobs.stream, IntervalTrigger(seconds=stream_every.total_seconds(), timezone=jobs.tz),
                      id="detect-new-hours", name="streaming pass", next_run_time=datetime.now(jobs.tz))  # fmt: skip
    scheduler.add_job(jobs.daily, CronTrigger(hour=daily_at.hour, minute=daily_at.minute, timezone=jobs.tz),
                      id="daily-diagnosis", name="daily diagnosis")  # fmt: skip
    return scheduler


def run_worker(
    database_url: str,
    tz: ZoneInfo,
    *,
    daily_at: time = DAILY_AT,
    stream_every: timedelta = STREAM_EVERY,
    exit_after_s: float | None = None,
) -> int:
    """Run the jobs until SIGTERM or Ctrl-C (or ``exit_after_s``); a running job is finished first."""
    scheduler = build_scheduler(DetectorJobs(database_url, tz), daily_at, stream_every)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    scheduler.start()
    log.info("worker: streaming pass every %s, daily diagnosis at %s %s", stream_every, daily_at, tz.key)
    stop.wait(exit_after_s)
    scheduler.shutdown(wait=True)
    log.info("worker stopped")
    return 0
