"""The worker's persistent job store, its per-job lock and its job runs: real PostgreSQL, and real `fluorowatch
worker` processes where it matters (two at once; a restart; a missed daily run). Clocks are injected or jobs
triggered directly; processes are bounded by ``--exit-after`` and a subprocess timeout."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise

import psycopg
import pytest
from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]
from prometheus_client import REGISTRY

from alerts.service import notify
from detectors.retrain import retrain_stale_models
from detectors.service import learn_circuit
from fluorowatch.job_lock import job_lock_key, lock_is_held
from fluorowatch.ops_http import serve_ops
from fluorowatch.worker import (
    JOB_TABLE,
    WorkerJobs,
    build_scheduler,
    postgres_job_store,
    worker_checks,
)
from storage import alert_queries as q

from .conftest import LEARNED_DAYS, TOKYO, Store, midnight

WORKER_TIMEOUT_S = 90


def _worker(url: str, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUOROWATCH_") and k != "DATABASE_URL"}
    return subprocess.Popen(
        [sys.executable, "-m", "fluorowatch", "worker", *args],
        env={**env, "DATABASE_URL": url, "FLUOROWATCH_LOG_LEVEL": "INFO"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> str:
    _, stderr = process.communicate(timeout=WORKER_TIMEOUT_S)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr, stderr
    assert stderr.rstrip().endswith("worker stopped"), stderr
    return stderr


def _runs(url: str, job_id: str) -> list[tuple[str, str, datetime, datetime | None, str | None]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT worker, outcome, started_at, finished_at, slot FROM worker_job_run WHERE job_id = %s ORDER BY id",
            (job_id,),
        ).fetchall()
    return [(str(r[0]), str(r[1]), r[2], r[3], r[4]) for r in rows]


def _store_times(url: str) -> dict[str, float | None]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(f"SELECT id, next_run_time FROM {JOB_TABLE}").fetchall()
    return {str(r[0]): r[1] for r in rows}


def _diagnoses(url: str, day: object) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM diagnosis WHERE day = %s", (day,)).fetchone()
    assert row is not None
    return int(row[0])


def _metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_worker_job_run_skips_while_another_session_holds_its_lock(store: Store) -> None:
    jobs = WorkerJobs(store.url, TOKYO)
    before = _metric("fw_job_runs_total", job="logbooks", outcome="skipped_locked")
    with psycopg.connect(store.url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (job_lock_key("logbooks"),))
        assert jobs.run("logbooks") == "skipped_locked"
        other.execute("SELECT pg_advisory_unlock(%s)", (job_lock_key("logbooks"),))
    assert _metric("fw_job_runs_total", job="logbooks", outcome="skipped_locked") == before + 1
    assert jobs.run("logbooks") == "ok"
    assert _metric("fw_job_last_success_timestamp", job="logbooks") > 0
    assert jobs.run("logbooks") == "skipped_done"  # a daily job: once per local day, whichever worker


def test_while_a_worker_job_runs_its_lock_is_held_and_a_second_worker_skips(store: Store) -> None:
    started, release = threading.Event(), threading.Event()

    def blocking(now: datetime) -> str:
        started.set()
        assert release.wait(30)
        return "held"

    first, second = WorkerJobs(store.url, TOKYO), WorkerJobs(store.url, TOKYO)
    first.specs["verify-repairs"] = replace(first.specs["verify-repairs"], call=blocking)
    outcome: list[str] = []
    thread = threading.Thread(target=lambda: outcome.append(first.run("verify-repairs")))
    thread.start()
    try:
        assert started.wait(30)
        with psycopg.connect(store.url) as conn:
            assert lock_is_held(conn, "verify-repairs")
        assert second.run("verify-repairs") == "skipped_locked"
    finally:
        release.set()
        thread.join(30)
    assert outcome == ["ok"]
    with psycopg.connect(store.url) as conn:
        assert not lock_is_held(conn, "verify-repairs")


def test_two_worker_processes_never_run_the_same_job_at_once(store: Store) -> None:
    before = len(_runs(store.url, "detect-new-hours"))
    with psycopg.connect(store.url, autocommit=True) as holder:  # a third "worker" in the middle of a sync
        holder.execute("SELECT pg_advisory_lock(%s)", (job_lock_key("alerts-sync-escalate"),))
        workers = [_worker(store.url, "--exit-after", "8") for _ in range(2)]
        logs = [_finish(w) for w in workers]
    # Both share the store: the streaming pass, due at start, runs; its runs never overlap.
    runs = _runs(store.url, "detect-new-hours")[before:]
    assert runs and all(outcome == "ok" and finished is not None for _, outcome, _, finished, _ in runs), runs
    spans = sorted((started, finished) for _, _, started, finished, _ in runs if finished is not None)
    assert all(earlier[1] <= later[0] for earlier, later in pairwise(spans)), spans
    # The sync was due too, but its lock was held: skipped, logged, never run.
    assert _runs(store.url, "alerts-sync-escalate") == []
    assert sum(log.count("job alerts-sync-escalate: another worker is running it") for log in logs) >= 1
    jobs = _store_times(store.url)
    assert {"daily-diagnosis", "detect-new-hours", "inspection-reminders", "retrain-models"} <= set(jobs)
    assert all(next_run is not None for next_run in jobs.values())


def test_a_missed_daily_run_is_caught_up_once_and_a_restart_neither_loses_nor_doubles_it(store: Store) -> None:
    now = datetime.now(TOKYO)
    daily_at = (now - timedelta(hours=2)).time().replace(second=0, microsecond=0)
    last_fire = now.replace(hour=daily_at.hour, minute=daily_at.minute, second=0, microsecond=0)
    if last_fire > now:
        last_fire -= timedelta(days=1)
    # The store as a worker stopped two days ago left it: the daily job was due yesterday and today.
    jobs = WorkerJobs(store.url, TOKYO, daily_at=daily_at)
    scheduler = build_scheduler(jobs, postgres_job_store(store.url))
    scheduler.start(paused=True)
    spec = jobs.specs["daily-diagnosis"]
    scheduler.add_job("fluorowatch.worker:run_job", spec.trigger, args=[spec.id], id=spec.id, name=spec.name,
                      replace_existing=True, next_run_time=last_fire - timedelta(days=1))  # fmt: skip
    scheduler.shutdown(wait=False)
    yesterday = now.date() - timedelta(days=1)
    runs_before = len(_runs(store.url, "daily-diagnosis"))

    _finish(_worker(store.url, "--exit-after", "6", "--daily-at", daily_at.strftime("%H:%M")))
    runs = _runs(store.url, "daily-diagnosis")[runs_before:]
    assert [(outcome, slot) for _, outcome, _, _, slot in runs] == [("ok", yesterday.isoformat())]
    assert _diagnoses(store.url, yesterday) == 3  # every circuit in service, once
    next_run = _store_times(store.url)["daily-diagnosis"]
    assert next_run is not None and next_run == pytest.approx((last_fire + timedelta(days=1)).timestamp())

    _finish(_worker(store.url, "--exit-after", "4", "--daily-at", daily_at.strftime("%H:%M")))  # a restart
    assert len(_runs(store.url, "daily-diagnosis")) == runs_before + 1
    assert _store_times(store.url)["daily-diagnosis"] == next_run  # kept: not rescheduled, not run again
    assert _diagnoses(store.url, yesterday) == 3
    with psycopg.connect(store.url) as conn:
        row = conn.execute(f"SELECT job_state FROM {JOB_TABLE} WHERE id = 'daily-diagnosis'").fetchone()
    assert row is not None
    state = pickle.loads(row[0])
    assert state["func"] == "fluorowatch.worker:run_job" and state["args"] == ("daily-diagnosis",)
    assert state["coalesce"] is True and state["misfire_grace_time"] == 23 * 3600


def test_the_daily_diagnosis_job_catches_up_the_days_a_stopped_worker_missed(store: Store) -> None:
    at = datetime.combine(midnight(LEARNED_DAYS + 6).date(), datetime.min.time(), TOKYO) + timedelta(minutes=30)
    with psycopg.connect(store.url) as conn:  # the history as a worker that stopped three days ago left it
        conn.execute("DELETE FROM worker_job_run WHERE job_id = 'daily-diagnosis'")
        conn.execute(
            "INSERT INTO worker_job_run (job_id, worker, slot, started_at, finished_at, outcome)"
            " VALUES ('daily-diagnosis', 'test', %s, %s, %s, 'ok')",
            ((at.date() - timedelta(days=4)).isoformat(), at - timedelta(days=3), at - timedelta(days=3)),
        )
    jobs = WorkerJobs(store.url, TOKYO, clock=lambda: at)
    assert jobs.run("daily-diagnosis") == "ok"
    for back in (1, 2, 3):
        assert _diagnoses(store.url, at.date() - timedelta(days=back)) == 3
    assert [slot for _, _, _, _, slot in _runs(store.url, "daily-diagnosis")][-1] == str(at.date() - timedelta(days=1))
    assert jobs.run("daily-diagnosis") == "skipped_done"


def _readyz(port: int) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def test_the_worker_serves_metrics_health_and_readiness(store: Store) -> None:
    scheduler = BackgroundScheduler()
    server = serve_ops(0, checks=worker_checks(store.url, scheduler))
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/healthz", timeout=5) as response:
            assert response.status == 200
        status, body = _readyz(server.port)
        assert (status, body["reason"]) == (503, "scheduler: not running")
        scheduler.start(paused=True)
        assert _readyz(server.port) == (200, {"status": "ok", "checks": {"scheduler": "ok", "database": "ok"}})
        server.checks = worker_checks("postgresql://postgres@127.0.0.1:9/none", scheduler)
        status, body = _readyz(server.port)
        assert status == 503 and body["checks"] == {"scheduler": "ok", "database": "OperationalError"}
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics", timeout=5) as response:
            text = response.read().decode()
        assert "fw_job_runs_total" in text and "fw_job_duration_seconds" in text
    finally:
        server.stop()
        if scheduler.running:
            scheduler.shutdown(wait=False)


def test_worker_retraining_skips_a_unit_with_an_open_leak_alert(store: Store) -> None:
    now = midnight(LEARNED_DAYS + 2)
    with psycopg.connect(store.url) as conn:
        for unit in (store.leaking, store.quiet):
            learn_circuit(conn, unit, 1, midnight(0), midnight(LEARNED_DAYS), "commissioning")
        conn.execute("UPDATE detector_model SET created_at = created_at - interval '60 days'")
        alert_id = q.insert_alert(conn, {
            "equipment_id": store.leaking, "circuit_no": 1, "category": "leak", "severity": "high",
            "raised_at": midnight(LEARNED_DAYS + 1), "first_seen": None,
            "estimated_charge_loss_pct": Decimal("3"), "kg_per_year": None, "t_co2_per_year": None,
            "message": "leak", "evidence": [], "detector": "test"})  # fmt: skip
        notify(conn, alert_id, "raised")
        result = retrain_stale_models(conn, now)
        conn.rollback()
    assert result.skipped[(store.leaking, 1)] == "open leak alert"
    assert [(unit, circuit) for unit, circuit, _ in result.learned] == [(store.quiet, 1)]
