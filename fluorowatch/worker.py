"""`fluorowatch worker`: every scheduled job of fluorowatch in one process (APScheduler 3), with a persistent job
store in PostgreSQL and a lock per job, so that jobs are neither lost nor doubled across restarts and replicas.

Jobs (stable ids; each a plain call on :class:`WorkerJobs`, the clock passed in; tests call them directly):

* ``detect-new-hours``, every ``stream_every`` (default 10 minutes) and at start: the streaming pass
  (detectors.service.detect_new_hours);
* ``daily-diagnosis``, daily at ``daily_at`` (default 00:30 in the display time zone): the diagnosis of the previous
  local day of every circuit in service (REGULATION.md (p) ロ), and of any day since the last successful one that a
  stopped worker missed (at most ``CATCH_UP_DAYS``);
* ``alerts-sync-escalate``, every minute and at start: detector events become alerts, unacknowledged leak alerts
  escalate (alerts.jobs; REGULATION.md (p) ニ);
* ``alerts-daily-digest``, daily at ``digest_at`` (default 08:00): one digest per site with open alerts;
* ``repair-deadlines``, daily at ``digest_at`` + 5 min: reminders and overdue alerts of the 60-day repair deadline
  (compliance.deadline_jobs);
* ``inspection-reminders``, daily at ``digest_at`` + 10 min: simple/periodic inspections due soon or overdue, once
  per unit, due date and stage (compliance.inspection_jobs);
* ``logbooks``, daily at ``daily_at`` + 15 min: logbooks fed from tickets, leak cases and certificates, ended
  monitoring periods written (compliance.jobs);
* ``verify-repairs``, hourly: repairs verified from operating values, baselines re-learned after them, logbooks fed
  (alerts.jobs.AlertJobs.verify_repairs);
* ``refresh-rollups``, every 10 minutes, on the plain-PostgreSQL layout only (storage.rollups; with TimescaleDB the
  continuous-aggregate policies of storage/timescale.py refresh them and the job is not scheduled);
* ``telemetry-retention``, daily at ``daily_at`` + 45 min, on the plain-PostgreSQL layout only: raw telemetry
  older than ``FLUOROWATCH_TELEMETRY_RETENTION_DAYS`` (never under 366) deleted in 10-minute windows of
  measurement time, at most half an hour per run
  (storage.retention; REGULATION.md (p) ハ; with TimescaleDB its retention policy drops chunks instead);
* ``retrain-models``, weekly (Sunday 03:00): baselines older than ``MAX_MODEL_AGE`` re-learned from a clean window
  (detectors.retrain; never from a window with a leak alert, a leak case or a fault).

The alert delivery loop is not a job: it runs in a thread of its own, woken as soon as a job queued notifications.

Job store. APScheduler 3's ``SQLAlchemyJobStore`` on the fluorowatch database (table ``worker_job``, migration
0017), through SQLAlchemy with the psycopg 3 driver (``postgresql+psycopg://``): the library's own, well-kept store
rather than one of ours. A job in the store holds only a textual reference to :func:`run_job` and its id (no
URL, no credentials). At start each job is registered with ``replace_existing=True`` but keeps the next run time
the store holds when its trigger is unchanged, so a run missed while the worker was down is still due: with
``coalesce`` it runs once, and ``misfire_grace_time`` (a day for daily jobs, a week for the weekly one, one period
for interval jobs) bounds how late it may still run. A changed trigger starts afresh; a job no longer configured is
removed from the store.

Lock. Two workers may share the store (a rolling restart, a replica) and then both see a job due. Every run takes a
PostgreSQL advisory lock on a key derived from its id (fluorowatch.job_lock) on a connection of its own, held for the
run; a worker that does not get it skips the run (logged, counted ``skipped_locked``). Daily jobs also record the
day they covered (table ``worker_job_run``, which keeps every run's history): a day already done by any worker is
not done again (counted ``skipped_done``). The detector jobs are idempotent besides (watermarks, upserts).

Metrics (Prometheus, on ``--metrics-port``, with ``/healthz`` and ``/readyz``: the database answers and the
scheduler runs): ``fw_job_runs_total{job,outcome}`` (ok, failed, skipped_locked, skipped_done),
``fw_job_duration_seconds{job}``, ``fw_job_last_success_timestamp{job}``.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time as monotonic_time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from apscheduler.jobstores.base import BaseJobStore  # type: ignore[import-untyped]
from apscheduler.jobstores.memory import MemoryJobStore  # type: ignore[import-untyped]
from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]
from apscheduler.schedulers.base import STATE_STOPPED  # type: ignore[import-untyped]
from apscheduler.triggers.base import BaseTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
from prometheus_client import Counter, Gauge, Histogram

from alerts.jobs import AlertJobs, DeliveryLoop
from alerts.render import make_renderer
from detectors.service import DailyResult, PassResult, detect_new_hours, run_daily_diagnosis
from fluorowatch.job_lock import job_lock
from fluorowatch.ops_http import Check, database_check, serve_ops

log = logging.getLogger(__name__)

DAILY_AT = time(0, 30)
STREAM_EVERY = timedelta(minutes=10)
DIGEST_AT = time(8, 0)
SYNC_EVERY = timedelta(minutes=1)
ROLLUP_EVERY = timedelta(minutes=10)
CATCH_UP_DAYS = 7  # days a stopped worker's daily diagnosis catches up at most (older: `detect diagnose --day`)
DAILY_GRACE = timedelta(hours=23)
STOP_DELIVERY_WITHIN_S = 60.0  # a send in progress finishes first (channels time out well within this)
JOB_TABLE = "worker_job"

JOB_RUNS = Counter("fw_job_runs", "Scheduled job runs by outcome", ["job", "outcome"])
JOB_DURATION = Histogram("fw_job_duration_seconds", "Duration of a job run (lock held)", ["job"],
                         buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600))  # fmt: skip
JOB_LAST_SUCCESS = Gauge("fw_job_last_success_timestamp", "Unix time of the job's last successful run", ["job"])


def utc_now() -> datetime:
    return datetime.now(UTC)


class DetectorJobs:
    """The detector jobs as plain calls. Each opens its own autocommit connections, so every round of the
    streaming pass commits on its own: one to write, one to read the next round's readings."""

    def __init__(self, database_url: str, tz: ZoneInfo, clock: Callable[[], datetime] = utc_now):
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


@dataclass(frozen=True)
class JobSpec:
    id: str
    name: str
    trigger: BaseTrigger
    grace: timedelta  # misfire_grace_time: how late a missed run may still run (once: coalesce)
    call: Callable[[datetime], str]  # now -> a line for the run history
    run_at_start: bool = False
    daily: bool = False  # one successful run per local day across workers (slot = the local date)


class WorkerJobs:
    """Every job of the worker bound to a database, a time zone and a clock; :meth:`run` is one locked, recorded
    and counted run of a job by id (what the scheduler calls, through :func:`run_job`)."""

    def __init__(
        self,
        database_url: str,
        tz: ZoneInfo,
        *,
        clock: Callable[[], datetime] = utc_now,
        alerts: AlertJobs | None = None,
        delivery: DeliveryLoop | None = None,
        daily_at: time = DAILY_AT,
        stream_every: timedelta = STREAM_EVERY,
        digest_at: time = DIGEST_AT,
        plain_rollups: bool = True,
        retention_days: int | None = None,
        worker_name: str | None = None,
    ) -> None:
        self.database_url, self.tz, self._clock = database_url, tz, clock
        self.detector = DetectorJobs(database_url, tz, clock)
        self.alerts = alerts or AlertJobs(database_url, delivery=delivery, clock=clock)
        self.delivery = delivery
        self.daily_at, self.stream_every, self.digest_at = daily_at, stream_every, digest_at
        self.plain_rollups, self.retention_days = plain_rollups, retention_days
        self.worker_name = worker_name or f"{socket.gethostname()}:{os.getpid()}"
        self.specs = {spec.id: spec for spec in self._specs()}

    # -- the schedule -------------------------------------------------------------------------------------------
    def _specs(self) -> list[JobSpec]:
        tz = self.tz

        def at(t: time, minutes: int = 0) -> CronTrigger:
            shifted = (datetime.combine(date(2000, 1, 1), t) + timedelta(minutes=minutes)).time()
            return CronTrigger(hour=shifted.hour, minute=shifted.minute, timezone=tz)

        def every(period: timedelta) -> IntervalTrigger:
            return IntervalTrigger(seconds=period.total_seconds(), timezone=tz)

        specs = [
            JobSpec("detect-new-hours", "streaming pass", every(self.stream_every), self.stream_every,
                    self.stream, run_at_start=True),
            JobSpec("daily-diagnosis", "daily diagnosis", at(self.daily_at), DAILY_GRACE, self.daily_diagnosis,
                    daily=True),
            JobSpec("alerts-sync-escalate", "alert sync and escalation", every(SYNC_EVERY), SYNC_EVERY,
                    self.sync_alerts, run_at_start=True),
            JobSpec("alerts-daily-digest", "daily alert digest", at(self.digest_at), DAILY_GRACE, self.digest,
                    daily=True),
            JobSpec("repair-deadlines", "repair deadline reminders and overdue repairs", at(self.digest_at, 5),
                    DAILY_GRACE, self.repair_deadlines, daily=True),
            JobSpec("inspection-reminders", "inspection reminders", at(self.digest_at, 10), DAILY_GRACE,
                    self.inspection_reminders, daily=True),
            JobSpec("logbooks", "logbook feeding and monitoring periods", at(self.daily_at, 15), DAILY_GRACE,
                    self.logbooks, daily=True),
            JobSpec("verify-repairs", "verify repairs from operating values, re-learn baselines",
                    every(timedelta(hours=1)), timedelta(hours=1), self.verify_repairs),
            JobSpec("retrain-models", "weekly re-learning of stale baselines",
                    CronTrigger(day_of_week="sun", hour=3, minute=0, timezone=tz), timedelta(days=6),
                    self.retrain_models),
        ]  # fmt: skip
        if self.plain_rollups:
            specs.append(JobSpec("refresh-rollups", "rollup refresh", every(ROLLUP_EVERY), ROLLUP_EVERY,
                                 self.refresh_rollups))  # fmt: skip
        if self.plain_rollups and self.retention_days is not None:
            specs.append(JobSpec("telemetry-retention", "raw telemetry retention", at(self.daily_at, 45),
                                 DAILY_GRACE, self.telemetry_retention, daily=True))  # fmt: skip
        return specs

    # -- the jobs ------------------------------------------------------------------------------------------------
    def stream(self, now: datetime) -> str:
        result = self.detector.stream()
        return f"{result}"

    def daily_diagnosis(self, now: datetime) -> str:
        """Yesterday's diagnosis, and the days since the last successful one (at most CATCH_UP_DAYS)."""
        yesterday = self.local_date(now) - timedelta(days=1)
        last = self._last_slot("daily-diagnosis")
        first = yesterday if last is None else max(date.fromisoformat(last) + timedelta(days=1),
                                                   yesterday - timedelta(days=CATCH_UP_DAYS - 1))  # fmt: skip
        days = [first + timedelta(days=n) for n in range((yesterday - first).days + 1)]
        results = [self.detector.daily(day) for day in days]
        return "; ".join(f"{r.day}: {r.circuits} circuits" for r in results)

    def sync_alerts(self, now: datetime) -> str:
        return str(self.alerts.sync_and_escalate())

    def digest(self, now: datetime) -> str:
        return f"{self.alerts.digests()} site digests queued"

    def repair_deadlines(self, now: datetime) -> str:
        from compliance.deadline_jobs import remind_and_escalate

        with self._connect() as conn:
            reminded, overdue = remind_and_escalate(conn, self.local_date(now), now)
        self._wake(reminded + overdue)
        return f"{reminded} reminders, {overdue} overdue"

    def inspection_reminders(self, now: datetime) -> str:
        from compliance.inspection_jobs import remind_inspections

        with self._connect() as conn:
            sent = remind_inspections(conn, self.local_date(now), now)
        self._wake(sent)
        return f"{sent} inspection reminders"

    def logbooks(self, now: datetime) -> str:
        from compliance.jobs import MONITORING_LOOKBACK, feed_logbooks, record_monitoring_periods

        today = self.local_date(now)
        with self._connect() as conn:
            fed = feed_logbooks(conn, now)
            periods = record_monitoring_periods(conn, today - MONITORING_LOOKBACK, today, now)
        return f"{fed} logbook entries, {periods} monitoring periods"

    def verify_repairs(self, now: datetime) -> str:
        return f"{len(self.alerts.verify_repairs())} repairs verified"

    def refresh_rollups(self, now: datetime) -> str:
        from storage.rollups import refresh_rollups

        with self._connect() as conn:
            return f"{refresh_rollups(conn, now)} rollup rows"

    def telemetry_retention(self, now: datetime) -> str:
        from ingest.validation import MAX_PAST
        from storage.retention import delete_expired_telemetry

        assert self.retention_days is not None  # scheduled only with a retention
        with self._connect(autocommit=True) as conn:
            deleted = delete_expired_telemetry(conn, self.retention_days, late_by=MAX_PAST)
        return f"{deleted} telemetry rows older than {self.retention_days} days deleted"

    def retrain_models(self, now: datetime) -> str:
        from detectors.retrain import retrain_stale_models

        with self._connect() as conn:
            result = retrain_stale_models(conn, now)
        return f"{len(result.learned)} circuits re-learned, {len(result.skipped)} kept"

    # -- one run -------------------------------------------------------------------------------------------------
    def run(self, job_id: str) -> str:
        """One run of the job: under its advisory lock, recorded in worker_job_run, counted. Returns the outcome:
        ok, failed, skipped_locked (another worker runs it) or skipped_done (a daily job whose day is done)."""
        spec = self.specs[job_id]
        started = monotonic_time.monotonic()
        try:
            with job_lock(self.database_url, job_id) as held:
                if not held:
                    log.info("job %s: another worker is running it; skipped", job_id)
                    return self._count(job_id, "skipped_locked")
                now = self._clock()
                slot = self.local_date(now).isoformat() if spec.daily else None
                if slot is not None and self._slot_done(job_id, slot):
                    log.info("job %s: already done for %s; skipped", job_id, slot)
                    return self._count(job_id, "skipped_done")
                run_id = self._record_start(job_id, slot, now)
                try:
                    detail = spec.call(now)
                except Exception as exc:
                    log.exception("job %s failed", job_id)
                    self._record_end(run_id, "failed", f"{type(exc).__name__}: {exc}"[:1000])
                    return self._count(job_id, "failed")
                if job_id == "daily-diagnosis" and slot is not None:  # its slot is the day it diagnosed
                    slot = (date.fromisoformat(slot) - timedelta(days=1)).isoformat()
                    self._set_slot(run_id, slot)
                self._record_end(run_id, "ok", detail)
        except psycopg.OperationalError as exc:  # database away: the next run tries again
            log.error("job %s: database unavailable: %s", job_id, exc)
            return self._count(job_id, "failed")
        finally:
            JOB_DURATION.labels(job_id).observe(monotonic_time.monotonic() - started)
        JOB_LAST_SUCCESS.labels(job_id).set(datetime.now(UTC).timestamp())
        log.info("job %s: %s", job_id, detail)
        return self._count(job_id, "ok")

    def local_date(self, now: datetime) -> date:
        return now.astimezone(self.tz).date()

    def _count(self, job_id: str, outcome: str) -> str:
        JOB_RUNS.labels(job_id, outcome).inc()
        return outcome

    def _slot_done(self, job_id: str, slot: str) -> bool:
        last = self._last_slot(job_id)
        if job_id == "daily-diagnosis":  # its slots are the days diagnosed: yesterday's is the one due today
            slot = (date.fromisoformat(slot) - timedelta(days=1)).isoformat()
        return last is not None and last >= slot

    def _last_slot(self, job_id: str) -> str | None:
        with self._connect(autocommit=True) as conn:
            row = conn.execute(
                "SELECT max(slot) FROM worker_job_run WHERE job_id = %s AND outcome = 'ok'", (job_id,)
            ).fetchone()
        return None if row is None else row[0]

    def _record_start(self, job_id: str, slot: str | None, now: datetime) -> int:
        with self._connect(autocommit=True) as conn:
            row = conn.execute(
                "INSERT INTO worker_job_run (job_id, worker, slot, started_at, outcome) VALUES (%s, %s, %s, %s,"
                " 'running') RETURNING id",
                (job_id, self.worker_name, slot, now),
            ).fetchone()
        assert row is not None
        return int(row[0])

    def _set_slot(self, run_id: int, slot: str) -> None:
        with self._connect(autocommit=True) as conn:
            conn.execute("UPDATE worker_job_run SET slot = %s WHERE id = %s", (slot, run_id))

    def _record_end(self, run_id: int, outcome: str, detail: str) -> None:
        with self._connect(autocommit=True) as conn:
            conn.execute(
                "UPDATE worker_job_run SET finished_at = %s, outcome = %s, detail = %s WHERE id = %s",
                (self._clock(), outcome, detail, run_id),
            )

    def _wake(self, queued: int) -> None:
        if queued and self.delivery is not None:
            self.delivery.wake()

    def _connect(self, *, autocommit: bool = False) -> psycopg.Connection:
        return psycopg.connect(self.database_url, autocommit=autocommit, options="-c TimeZone=UTC")


_runtime: WorkerJobs | None = None


def run_job(job_id: str) -> str:
    """What the job store refers to ("fluorowatch.worker:run_job", the job id its argument): a run of the job on
    this process's :class:`WorkerJobs`."""
    if _runtime is None:
        raise RuntimeError(f"job {job_id}: no worker in this process")
    return _runtime.run(job_id)


def sqlalchemy_url(database_url: str) -> str:
    """The database URL for SQLAlchemy with the psycopg 3 driver."""
    from sqlalchemy.engine import make_url

    return make_url(database_url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def postgres_job_store(database_url: str) -> BaseJobStore:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore  # type: ignore[import-untyped]
    from sqlalchemy import create_engine

    engine = create_engine(sqlalchemy_url(database_url), pool_pre_ping=True, pool_size=2, max_overflow=2)
    return SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE)


class _Scheduler(BackgroundScheduler):  # type: ignore[misc]
    def _process_jobs(self) -> float | None:
        # APScheduler 3's loop runs one more round after shutdown, with the executors already shut: a job due then
        # fails to be submitted but its next run time is advanced in the store, i.e. the run would be lost.
        if self.state == STATE_STOPPED:
            return None
        result: float | None = super()._process_jobs()
        return result


def build_scheduler(jobs: WorkerJobs, jobstore: BaseJobStore | None = None) -> BackgroundScheduler:
    """A scheduler on ``jobstore`` (default: in memory), not started; :func:`start_scheduler` registers the jobs."""
    return _Scheduler(
        timezone=jobs.tz,
        jobstores={"default": jobstore if jobstore is not None else MemoryJobStore()},
        job_defaults={"coalesce": True, "max_instances": 1},
    )


def _trigger_key(trigger: BaseTrigger) -> str:
    return f"{trigger} {getattr(trigger, 'timezone', '')}"


def start_scheduler(scheduler: BackgroundScheduler, jobs: WorkerJobs) -> None:
    """Start the scheduler with every job registered under its stable id (replace_existing). A job whose trigger is
    unchanged keeps the next run time in the store, so a run missed while no worker ran is still due (once: coalesce,
    within its grace time); jobs in the store that are no longer configured are removed."""
    scheduler.start(paused=True)
    now = datetime.now(jobs.tz)
    for spec in jobs.specs.values():
        existing = scheduler.get_job(spec.id)
        options: dict[str, Any] = {}
        if spec.run_at_start:
            options["next_run_time"] = now
        elif (
            existing is not None
            and existing.next_run_time is not None
            and (_trigger_key(existing.trigger) == _trigger_key(spec.trigger))
        ):
            options["next_run_time"] = existing.next_run_time
        scheduler.add_job("fluorowatch.worker:run_job", spec.trigger, args=[spec.id], id=spec.id, name=spec.name,
                          replace_existing=True, coalesce=True, max_instances=1,
                          misfire_grace_time=int(spec.grace.total_seconds()), **options)  # fmt: skip
    for job in scheduler.get_jobs():
        if job.id not in jobs.specs:
            log.info("worker: job %s is no longer configured; removed from the store", job.id)
            job.remove()
    scheduler.resume()


def worker_checks(database_url: str, scheduler: BackgroundScheduler) -> dict[str, Check]:
    """Readiness of the worker (/readyz): its scheduler runs and PostgreSQL answers."""
    return {"scheduler": lambda: None if scheduler.running else "not running", "database": database_check(database_url)}


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
    metrics_port: int | None = None,
    metrics_host: str = "127.0.0.1",
    retention_days: int | None = None,
) -> int:
    """Run the jobs until SIGTERM or Ctrl-C (or ``exit_after_s``); a running job, and a message being sent,
    are finished first. ``escalation_delay`` and ``public_url`` default to the process settings
    (``FLUOROWATCH_ESCALATION_HOURS``, ``FLUOROWATCH_PUBLIC_URL``, ``FLUOROWATCH_TELEMETRY_RETENTION_DAYS``)."""
    global _runtime
    if escalation_delay is None or public_url is None or retention_days is None:
        from fluorowatch.settings import load_settings

        settings = load_settings()
        escalation_delay = escalation_delay or settings.escalation_delay
        public_url = public_url or settings.public_url
        retention_days = retention_days or settings.telemetry_retention_days
    from storage.rollups import rollups_are_tables

    with psycopg.connect(database_url) as conn:
        plain_rollups = rollups_are_tables(conn)
    delivery = DeliveryLoop(database_url, make_renderer(public_url))
    alerts = AlertJobs(database_url, escalation_delay, delivery, auto_ticket_loss_pct=auto_ticket_loss_pct)
    jobs = WorkerJobs(database_url, tz, alerts=alerts, delivery=delivery, daily_at=daily_at,
                      stream_every=stream_every, digest_at=digest_at, plain_rollups=plain_rollups,
                      retention_days=retention_days)  # fmt: skip
    _runtime = jobs
    scheduler = build_scheduler(jobs, postgres_job_store(database_url))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server = None
    if metrics_port:
        server = serve_ops(metrics_port, host=metrics_host, checks=worker_checks(database_url, scheduler),
                           name="worker-metrics")  # fmt: skip
        log.info("worker: /metrics, /healthz and /readyz on %s:%d", metrics_host, metrics_port)
    delivery_thread = delivery.start()
    start_scheduler(scheduler, jobs)
    log.info("worker %s: %d jobs in the PostgreSQL job store", jobs.worker_name, len(jobs.specs))
    log.info("worker: streaming pass every %s, daily diagnosis at %s %s", stream_every, daily_at, tz.key)
    log.info("worker: alerts synced every %s (leak alerts escalate after %s unacknowledged), delivered as they "
             "come, daily digest at %s %s", SYNC_EVERY, escalation_delay, digest_at, tz.key)  # fmt: skip
    stop.wait(exit_after_s)
    scheduler.shutdown(wait=True)
    delivery.stop()
    delivery_thread.join(STOP_DELIVERY_WITHIN_S)
    if delivery_thread.is_alive():  # its open transaction is rolled back: the message goes again, same key
        log.warning("worker: a delivery still in progress after %.0f s is abandoned", STOP_DELIVERY_WITHIN_S)
    if server is not None:
        server.stop()
    _runtime = None
    log.info("worker stopped")
    return 0
