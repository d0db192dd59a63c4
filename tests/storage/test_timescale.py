"""The time-series layout: TimescaleDB when the server has it, plain PostgreSQL otherwise.

TimescaleDB cannot be installed on this machine, so the TimescaleDB path is checked by the statements it
would run; the plain path runs for real.
"""

from __future__ import annotations

import psycopg
import pytest

from fluorowatch.settings import MIN_RETENTION_DAYS
from storage.timescale import TimeSeriesLayout, apply_time_series_layout, timescale_statements, timescaledb_available


def _text(conn: psycopg.Connection, retention_days: int, *, rollups_are_tables: bool) -> list[str]:
    return [s.as_string(conn) for s in timescale_statements(retention_days, rollups_are_tables=rollups_are_tables)]


def test_without_the_extension_the_plain_layout_is_kept(conn: psycopg.Connection) -> None:
    if timescaledb_available(conn):
        pytest.skip("this server offers TimescaleDB")
    assert apply_time_series_layout(conn, 400) is TimeSeriesLayout.plain
    for rollup in ("telemetry_hourly", "telemetry_daily"):
        kind = conn.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", (rollup,)).fetchone()
        assert kind == ("r",)


def test_a_retention_shorter_than_one_year_is_refused_before_anything_runs(conn: psycopg.Connection) -> None:
    """REGULATION.md (p) ハ: measured values are kept at least one year."""
    with pytest.raises(ValueError, match="shorter than the legal minimum"):
        apply_time_series_layout(conn, MIN_RETENTION_DAYS - 1)


def test_timescale_makes_telemetry_a_compressed_hypertable_with_the_configured_retention(
    conn: psycopg.Connection,
) -> None:
    statements = " ; ".join(_text(conn, 1095, rollups_are_tables=False))
    assert "create_hypertable('telemetry', by_range('ts'" in statements
    assert "migrate_data => TRUE" in statements
    assert "timescaledb.compress_segmentby = 'equipment_id, circuit_no'" in statements
    assert "add_retention_policy('telemetry', '1095 days'::interval)" in statements


def test_once_the_rollups_are_continuous_aggregates_they_are_neither_dropped_nor_recreated(
    conn: psycopg.Connection,
) -> None:
    statements = " ; ".join(_text(conn, 400, rollups_are_tables=False))
    assert "DROP" not in statements
    assert "CREATE MATERIALIZED VIEW" not in statements


@pytest.mark.parametrize(("rollup", "bucket"), [("telemetry_hourly", "hour"), ("telemetry_daily", "day")])
def test_timescale_replaces_each_rollup_table_with_a_continuous_aggregate_of_the_same_columns(
    conn: psycopg.Connection, rollup: str, bucket: str
) -> None:
    statements = _text(conn, 400, rollups_are_tables=True)
    aggregate = next(s for s in statements if f'MATERIALIZED VIEW "{rollup}"' in s)
    table_columns = [
        name
        for (name,) in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
            (rollup,),
        ).fetchall()
    ]
    assert statements.index(f'DROP TABLE IF EXISTS "{rollup}"') < statements.index(aggregate)
    assert "timescaledb.continuous" in aggregate
    # As on the plain layout: the open hour is answered (real-time), a day only once it has ended.
    assert f"timescaledb.materialized_only = {'true' if bucket == 'day' else 'false'}" in aggregate
    assert f"time_bucket(INTERVAL '1 {bucket}', ts) AS \"{table_columns[2]}\", count(*) AS readings" in aggregate
    assert table_columns[3] == "readings"
    averaged = [c for c in table_columns[4:] if not c.endswith(("_min", "_max"))]
    for column in averaged:
        assert f'avg("{column}") AS "{column}"' in aggregate
        assert f'min("{column}") AS "{column}_min"' in aggregate  # the extremes of migration 0016
        assert f'max("{column}") AS "{column}_max"' in aggregate
    assert table_columns[4 + len(averaged) :] == [f"{c}_{e}" for c in averaged for e in ("min", "max")]
    assert aggregate.index(f'avg("{averaged[0]}")') < aggregate.index(f'avg("{averaged[-1]}")')


@pytest.mark.parametrize("retention_days", [MIN_RETENTION_DAYS, 1095])
def test_each_aggregate_is_refreshed_by_a_policy_whose_window_stays_inside_the_raw_retention(
    conn: psycopg.Connection, retention_days: int
) -> None:
    """A refresh over dropped raw chunks would delete the daily values kept for REGULATION.md (p) ハ."""
    statements = _text(conn, retention_days, rollups_are_tables=True)
    for rollup in ("telemetry_hourly", "telemetry_daily"):
        policy = next(s for s in statements if f"add_continuous_aggregate_policy('{rollup}'" in s)
        start_days = int(policy.split("start_offset => '")[1].split(" days")[0])
        assert 0 < start_days < retention_days
        assert statements.index(f"SELECT remove_continuous_aggregate_policy('{rollup}', if_exists => TRUE)") < (
            statements.index(policy)
        )
