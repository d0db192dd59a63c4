"""The TimescaleDB layout of the telemetry table. All TimescaleDB-specific SQL lives in this module.

At start-up, after the migrations, `apply_time_series_layout` checks whether the server offers the
`timescaledb` extension. If it does, telemetry becomes a hypertable with compression and a retention policy,
and the rollups `telemetry_hourly` and `telemetry_daily` become continuous aggregates of the same names and
columns; if not, the plain-PostgreSQL layout created by the migrations (primary key, BRIN indexes, rollup
tables maintained by storage/rollups.py) stays, and everything works the same.
"""

from __future__ import annotations

import logging
from enum import StrEnum

import psycopg
from psycopg import sql

from fluorowatch.settings import check_retention_days
from storage.rollups import LEVELS, RollupLevel, extreme_columns, measurement_columns, rollups_are_tables

log = logging.getLogger(__name__)

COMPRESS_AFTER_DAYS = 7
CHUNK_INTERVAL = "1 day"
# A refresh over a range whose raw chunks retention dropped deletes those buckets from the aggregate, so the
# refresh window ends this far inside the retention horizon (a dropped chunk plus a missed policy run).
REFRESH_MARGIN_DAYS = 2
_REFRESH_EVERY = {"telemetry_hourly": "10 minutes", "telemetry_daily": "1 hour"}


class TimeSeriesLayout(StrEnum):
    timescaledb = "timescaledb"
    plain = "plain"


def timescaledb_available(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'").fetchone()
    return row is not None


def apply_time_series_layout(conn: psycopg.Connection, retention_days: int) -> TimeSeriesLayout:
    """Use TimescaleDB when the server has it; idempotent. Refuses a retention shorter than one year."""
    check_retention_days(retention_days)
    if not timescaledb_available(conn):
        log.info("TimescaleDB not available: plain PostgreSQL layout for telemetry")
        return TimeSeriesLayout.plain
    with conn.transaction():
        for statement in timescale_statements(retention_days, rollups_are_tables=rollups_are_tables(conn)):
            conn.execute(statement)
    log.info("TimescaleDB layout for telemetry (retention %d days)", retention_days)
    return TimeSeriesLayout.timescaledb


def timescale_statements(retention_days: int, *, rollups_are_tables: bool) -> list[sql.SQL | sql.Composed]:
    """The statements that turn the plain layout into the TimescaleDB one (each safe to repeat)."""
    statements: list[sql.SQL | sql.Composed] = [
        sql.SQL("CREATE EXTENSION IF NOT EXISTS timescaledb"),
        sql.SQL(
            "SELECT create_hypertable('telemetry', by_range('ts', INTERVAL {chunk}),"
            " if_not_exists => TRUE, migrate_data => TRUE)"
        ).format(chunk=sql.Literal(CHUNK_INTERVAL)),
        sql.SQL(
            "ALTER TABLE telemetry SET (timescaledb.compress,"
            " timescaledb.compress_segmentby = 'equipment_id, circuit_no', timescaledb.compress_orderby = 'ts')"
        ),
        sql.SQL("SELECT add_compression_policy('telemetry', {after}::interval, if_not_exists => TRUE)").format(
            after=sql.Literal(f"{COMPRESS_AFTER_DAYS} days")
        ),
        sql.SQL("SELECT remove_retention_policy('telemetry', if_exists => TRUE)"),
        sql.SQL("SELECT add_retention_policy('telemetry', {keep}::interval)").format(
            keep=sql.Literal(f"{retention_days} days")
        ),
    ]
    if rollups_are_tables:
        statements += [sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(level.table)) for level in LEVELS]
        statements += [_continuous_aggregate(level) for level in LEVELS]
    for level in LEVELS:
        statements += _refresh_policy(level, retention_days)
    return statements


def _continuous_aggregate(level: RollupLevel) -> sql.Composed:
    """The rollup as a continuous aggregate. Hours are real-time (the open hour is answered from raw rows);
    days are materialized only, so that, as on the plain layout, a day appears once it has ended."""
    averages = sql.SQL(", ").join(
        [sql.SQL("avg({col}) AS {col}").format(col=sql.Identifier(c)) for c in measurement_columns()]
        + [  # the extremes of migration 0016, after the averages as on the plain layout
            sql.SQL("{f}({col}) AS {name}").format(f=sql.SQL(f), col=sql.Identifier(key), name=sql.Identifier(name))
            for key, low, high in extreme_columns()
            for f, name in (("min", low), ("max", high))
        ]
    )
    bucket = sql.SQL("time_bucket(INTERVAL {width}, ts)").format(width=sql.Literal(f"1 {level.date_trunc_unit}"))
    return sql.SQL(
        "CREATE MATERIALIZED VIEW {table} WITH (timescaledb.continuous, timescaledb.materialized_only = {only}) AS"
        " SELECT equipment_id, circuit_no, {bucket} AS {bucket_column}, count(*) AS readings, {averages}"
        " FROM telemetry GROUP BY equipment_id, circuit_no, {bucket} WITH NO DATA"
    ).format(
        table=sql.Identifier(level.table),
        only=sql.SQL("true" if level.completed_only else "false"),
        bucket=bucket,
        bucket_column=sql.Identifier(level.bucket_column),
        averages=averages,
    )


def _refresh_policy(level: RollupLevel, retention_days: int) -> list[sql.SQL | sql.Composed]:
    """Refresh from just inside the retention horizon: late readings (ingest accepts up to ingest.validation
    MAX_PAST) reach their buckets, while buckets whose raw rows were dropped are never refreshed away."""
    table = sql.Literal(level.table)
    return [
        sql.SQL("SELECT remove_continuous_aggregate_policy({table}, if_exists => TRUE)").format(table=table),
        sql.SQL(
            "SELECT add_continuous_aggregate_policy({table}, start_offset => {start}::interval,"
            " end_offset => INTERVAL '1 hour', schedule_interval => {every}::interval)"
        ).format(
            table=table,
            start=sql.Literal(f"{retention_days - REFRESH_MARGIN_DAYS} days"),
            every=sql.Literal(_REFRESH_EVERY[level.table]),
        ),
    ]
