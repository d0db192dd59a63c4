"""The time-series layout: TimescaleDB when the server has it, plain PostgreSQL otherwise.

TimescaleDB cannot be installed on this machine, so the TimescaleDB path is checked by the statements it
would run; the plain path runs for real.
"""

from __future__ import annotations

import psycopg
import pytest

from fluorowatch.settings import MIN_RETENTION_DAYS
from storage.timescale import TimeSeriesLayout, apply_time_series_layout, timescale_statements, timescaledb_available


def _text(conn: psycopg.Connection, retention_days: int, *, daily_is_view: bool) -> list[str]:
    return [s.as_string(conn) for s in timescale_statements(retention_days, daily_is_view=daily_is_view)]


def test_without_the_extension_the_plain_layout_is_kept(conn: psycopg.Connection) -> None:
    if timescaledb_available(conn):
        pytest.skip("this server offers TimescaleDB")
    assert apply_time_series_layout(conn, 400) is TimeSeriesLayout.plain
    assert conn.execute("SELECT to_regclass('telemetry_daily')").fetchone() == ("telemetry_daily",)


def test_a_retention_shorter_than_one_year_is_refused_before_anything_runs(conn: psycopg.Connection) -> None:
    """REGULATION.md (p) ハ: measured values are kept at least one year."""
    with pytest.raises(ValueError, match="shorter than the legal minimum"):
        apply_time_series_layout(conn, MIN_RETENTION_DAYS - 1)


def test_timescale_makes_telemetry_a_compressed_hypertable_with_the_configured_retention(
    conn: psycopg.Connection,
) -> None:
    statements = " ; ".join(_text(conn, 1095, daily_is_view=False))
    assert "create_hypertable('telemetry', by_range('ts'" in statements
    assert "migrate_data => TRUE" in statements
    assert "timescaledb.compress_segmentby = 'equipment_id, circuit_no'" in statements
    assert "add_retention_policy('telemetry', '1095 days'::interval)" in statements
    assert "telemetry_daily" not in statements


def test_timescale_replaces_the_daily_view_with_a_continuous_aggregate_of_the_same_columns(
    conn: psycopg.Connection,
) -> None:
    statements = _text(conn, 400, daily_is_view=True)
    aggregate = next(s for s in statements if "timescaledb.continuous" in s)
    view_columns = [
        name
        for (name,) in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'telemetry_daily'"
            " ORDER BY ordinal_position"
        ).fetchall()
    ]
    assert statements.index("DROP VIEW telemetry_daily") < statements.index(aggregate)
    for column in view_columns[4:]:
        assert f'avg("{column}") AS "{column}"' in aggregate
    assert "AS day_utc, count(*) AS readings" in aggregate
