"""Raw telemetry retention on plain PostgreSQL (storage/retention.py; REGULATION.md (p) ハ: measured values kept at
least one year, so never a horizon under 366 days), and the worker job that applies it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from edge_agent.reading import Reading
from fluorowatch.worker import WorkerJobs
from storage.retention import delete_expired_telemetry
from storage.rollups import refresh_rollups
from storage.telemetry import write_readings

UNIT = 11


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


def test_deletes_readings_older_than_the_horizon_and_keeps_the_rest(url: str) -> None:
    _store_days_ago(url, 800, 400, 366.5, 365.5, 30, 0.01)
    with psycopg.connect(url, autocommit=True) as conn:
        assert delete_expired_telemetry(conn, 366, batch_rows=1) == 3
    assert _ages_kept(url) == [365, 30, 0]


def test_a_second_run_finds_nothing_left_to_delete(url: str) -> None:
    _store_days_ago(url, 500, 10)
    with psycopg.connect(url, autocommit=True) as conn:
        assert delete_expired_telemetry(conn, 400) == 1
        assert delete_expired_telemetry(conn, 400) == 0
    assert _ages_kept(url) == [10]


@pytest.mark.parametrize("days", [365, 0, -1])
def test_refuses_a_horizon_under_the_legal_year_and_deletes_nothing(url: str, days: int) -> None:
    _store_days_ago(url, 800, 370)
    with psycopg.connect(url, autocommit=True) as conn, pytest.raises(ValueError, match="legal minimum of 366"):
        delete_expired_telemetry(conn, days)
    assert _ages_kept(url) == [800, 370]


def test_needs_an_autocommit_connection(url: str) -> None:
    _store_days_ago(url, 800)
    with psycopg.connect(url) as conn, pytest.raises(ValueError, match="autocommit"):
        delete_expired_telemetry(conn, 366)
    assert _ages_kept(url) == [800]


def test_the_daily_rollup_outlives_the_deleted_readings(url: str) -> None:
    noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=380)
    _store(url, noon, noon + timedelta(minutes=1), datetime.now(UTC) - timedelta(days=2))
    with psycopg.connect(url) as conn:
        refresh_rollups(conn, datetime.now(UTC))
    with psycopg.connect(url, autocommit=True) as conn:
        assert delete_expired_telemetry(conn, 366) == 2
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
