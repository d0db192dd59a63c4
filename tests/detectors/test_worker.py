"""`fluorowatch worker` and the `detect learn` / `detect diagnose` commands, as real processes against a test
database, and the worker's schedule."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta

import psycopg

from fluorowatch.worker import DetectorJobs, WorkerJobs

from .conftest import LEARNED_DAYS, TOKYO, Store, day, midnight


def _fluorowatch(*args: str, database_url: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUOROWATCH_") and k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "fluorowatch", *args],
        env={**env, "DATABASE_URL": database_url, "FLUOROWATCH_LOG_LEVEL": "INFO"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_the_worker_starts_runs_its_streaming_pass_and_stops_cleanly(store: Store) -> None:
    result = _fluorowatch("worker", "--exit-after", "4", database_url=store.url)
    assert result.returncode == 0, result.stderr
    assert "daily diagnosis at 00:30:00 Asia/Tokyo" in result.stderr
    assert 'Running job "streaming pass' in result.stderr  # the first pass runs at start-up
    assert "Traceback" not in result.stderr
    assert result.stderr.rstrip().endswith("worker stopped")


def test_the_daily_diagnosis_is_scheduled_at_half_past_midnight_tokyo_time() -> None:
    specs = WorkerJobs("postgresql://unused@127.0.0.1/none", TOKYO).specs
    after = datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert specs["daily-diagnosis"].trigger.get_next_fire_time(None, after) == datetime(
        2026, 3, 11, 0, 30, tzinfo=TOKYO
    )
    assert specs["detect-new-hours"].trigger.interval == timedelta(minutes=10)


def test_detect_learn_and_detect_diagnose_from_the_command_line(store: Store) -> None:
    since, until = midnight(0).isoformat(), midnight(LEARNED_DAYS).isoformat()
    learned = _fluorowatch("detect", "learn", "--equipment", "SC-LEAK", "--since", since, "--until", until,
                           "--reason", "commissioning", database_url=store.url)  # fmt: skip
    assert learned.returncode == 0, learned.stderr
    assert learned.stdout.strip() == "SC-LEAK circuit 1: model version 1 learned (commissioning)"
    target = day(LEARNED_DAYS + 1)
    diagnosed = _fluorowatch("detect", "diagnose", "--day", target.isoformat(), database_url=store.url)
    assert diagnosed.returncode == 0, diagnosed.stderr
    assert diagnosed.stdout.strip().startswith(f"{target}: ")
    assert "diagnosis of 3 circuits: no_leak 1, no_baseline 2" in diagnosed.stdout


def test_an_unknown_unit_is_a_one_line_error(store: Store) -> None:
    result = _fluorowatch("detect", "learn", "--equipment", "NOPE", "--since", midnight(0).isoformat(),
                          "--until", midnight(1).isoformat(), database_url=store.url)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip() == "fluorowatch: error: --equipment NOPE: no such unit or circuit"


def test_the_daily_job_diagnoses_the_previous_local_day(store: Store) -> None:
    at_half_past_midnight = datetime.combine(day(LEARNED_DAYS + 3), time(0, 30), TOKYO)
    result = DetectorJobs(store.url, TOKYO, clock=lambda: at_half_past_midnight).daily()
    assert result.day == day(LEARNED_DAYS + 2)
    with psycopg.connect(store.url) as conn:
        row = conn.execute("SELECT count(*) FROM diagnosis WHERE day = %s", (result.day,)).fetchone()
    assert row == (3,)
