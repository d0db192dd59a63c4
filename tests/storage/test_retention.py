"""Raw telemetry retention on plain PostgreSQL (storage/retention.py; REGULATION.md (p) ハ: measured values kept at
least one year, so never a horizon under 366 days), and the worker job that applies it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from edge_agent.reading import Reading
from fluorowatch.worker import WorkerJobs
from ingest.validation import MAX_PAST
from storage.retention import delete_expired_telemetry
from storage.rollups import refresh_rollups
from storage.telemetry import write_readings

UNIT = 11
LATE_BY = MAX_PAST  # what the worker passes: ingest accepts readings up to 400 days old


@pytest.fixture(scope="module")
def retention_database(new_migrated_database: Callable[[str], str]) -> str:
    return new_migrated_database("retention")


@pytest.fixture
def url(retention_database: str) -> Iterator[str]:
    with psycopg.connect(retention_database) as conn:
        conn.execute("TRUNCATE telemetry, telemetry_hourly, telemetry_daily, rollup_watermark")
    yield retention_database


def _store(url: str, *moments: datetime) -> None:
    with psycopg.connect(url) as conn:
        readings = [Reading("SC-R", 1, ts, {"suction_pressure_mpag": 0.3}) for ts in moments]
        write_readings(conn, [(UNIT, r) for r in readings])


def _store_days_ago(url: str, *days: float) -> None:
    now = datetime.now(UTC)
    _store(url, *(now - timedelta(days=d) for d in days))


def _ages_kept(url: str) -> list[int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT extract(day FROM now() - ts)::int FROM telemetry ORDER BY ts").fetchall()
    return [age for (age,) in rows]


def _delete(url: str, days: int, **options: Any) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return delete_expired_telemetry(conn, days, late_by=LATE_BY, **options)


def test_deletes_readings_older_than_the_horizon_and_keeps_the_rest(url: str) -> None:
    _store_days_ago(url, 800, 400, 366.5, 365.5, 30, 0.01)
    assert _delete(url, 366) == 3
    assert _ages_kept(url) == [365, 30, 0]


def test_a_second_run_resumes_from_the_watermark(url: str) -> None:
    _store_days_ago(url, 500, 10)
    assert _delete(url, 400) == 1
    _store_days_ago(url, 450)  # older than the watermark and than any reading ingest accepts: not looked for
    assert _delete(url, 400) == 0
    assert _ages_kept(url) == [450, 10]


def test_a_late_reading_behind_the_watermark_is_deleted_next_time(url: str) -> None:
    _store_days_ago(url, 390)
    assert _delete(url, 366) == 1
    _store_days_ago(url, 380)  # ingest still accepts it (up to 400 days old), behind the watermark
    assert _delete(url, 366) == 1
    assert _ages_kept(url) == []


def test_a_run_out_of_time_stops_and_the_next_one_goes_on(url: str) -> None:
    _store_days_ago(url, 900, 800, 700)
    ticks = iter(range(10**6))
    assert _delete(url, 366, budget_s=0.5, clock=lambda: float(next(ticks))) == 1  # one window, then out of time
    assert _ages_kept(url) == [800, 700]
    assert _delete(url, 366) == 2
    assert _ages_kept(url) == []


@pytest.mark.parametrize("days", [365, 0, -1])
def test_refuses_a_horizon_under_the_legal_year_and_deletes_nothing(url: str, days: int) -> None:
    _store_days_ago(url, 800, 370)
    with pytest.raises(ValueError, match="legal minimum of 366"):
        _delete(url, days)
    assert _ages_kept(url) == [800, 370]


def test_needs_an_autocommit_connection(url: str) -> None:
    _store_days_ago(url, 800)
    with psycopg.connect(url) as conn, pytest.raises(ValueError, match="autocommit"):
        delete_expired_telemetry(conn, 366, late_by=LATE_BY)
    assert _ages_kept(url) == [800]


def test_the_daily_rollup_outlives_the_deleted_readings(url: str) -> None:
    noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=380)
    _store(url, noon, noon + timedelta(minutes=1), datetime.now(UTC) - timedelta(days=2))
    with psycopg.connect(url) as conn:
        refresh_rollups(conn, datetime.now(UTC))
    assert _delete(url, 366) == 2
    with psycopg.connect(url, autocommit=True) as conn:
        refresh_rollups(conn, datetime.now(UTC))
        oldest = conn.execute("SELECT readings FROM telemetry_daily ORDER BY day_utc LIMIT 1").fetchone()
    assert oldest == (2,)


def test_the_worker_schedules_retention_only_on_plain_postgresql_with_a_horizon(url: str) -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    assert "telemetry-retention" in WorkerJobs(url, tokyo, plain_rollups=True, retention_days=366).specs
    assert "telemetry-retention" not in WorkerJobs(url, tokyo, plain_rollups=False, retention_days=366).specs
    assert "telemetry-retention" not in WorkerJobs(url, tokyo, plain_rollups=True).specs


def test_the_worker_job_deletes_expired_readings(url: str) -> None:
    _store_days_ago(url, 1200, 1000, 3)
    jobs = WorkerJobs(url, ZoneInfo("Asia/Tokyo"), plain_rollups=True, retention_days=1095)
    assert jobs.run("telemetry-retention") == "ok"
    assert _ages_kept(url) == [1000, 3]
