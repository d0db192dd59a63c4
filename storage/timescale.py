"""The TimescaleDB layout of the telemetry table. All TimescaleDB-specific SQL lives in this module.

At start-up, after the migrations, `apply_time_series_layout` checks whether the server offers the
`timescaledb` extension. If it does, telemetry becomes a hypertable with compression and a retention policy,
and `telemetry_daily` becomes a continuous aggregate; if not, the plain-PostgreSQL layout created by the
migrations (primary key, BRIN index on ts, a `telemetry_daily` view) stays, and everything works the same.
"""

from __future__ import annotations

import logging
from enum import StrEnum

import psycopg
from psycopg import sql

from fluorowatch.domain.channels import ChannelType, channels
from fluorowatch.settings import MIN_RETENTION_DAYS

log = logging.getLogger(__name__)

COMPRESS_AFTER_DAYS = 7
CHUNK_INTERVAL = "1 day"


class TimeSeriesLayout(StrEnum):
    timescaledb = "timescaledb"
    plain = "plain"


def timescaledb_available(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'").fetchone()
    return row is not None


def apply_time_series_layout(conn: psycopg.Connection, retention_days: int) -> TimeSeriesLayout:
    """Use TimescaleDB when the server has it; idempotent. Refuses a retention shorter than one year."""
    # REGULATION.md (p) ハ: measured values and diagnoses are kept at least one year.
    if retention_days < MIN_RETENTION_DAYS:
        raise ValueError(f"telemetry retention of {retention_days} days is shorter than the legal minimum")
    if not timescaledb_available(conn):
        log.info("TimescaleDB not available: plain PostgreSQL layout for telemetry")
        return TimeSeriesLayout.plain
    with conn.transaction():
        for statement in timescale_statements(retention_days, daily_is_view=_daily_is_plain_view(conn)):
            conn.execute(statement)
    log.info("TimescaleDB layout for telemetry (retention %d days)", retention_days)
    return TimeSeriesLayout.timescaledb


def timescale_statements(retention_days: int, *, daily_is_view: bool) -> list[sql.SQL | sql.Composed]:
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
    if daily_is_view:
        statements += [sql.SQL("DROP VIEW telemetry_daily"), _daily_aggregate(), _daily_refresh_policy()]
    return statements


def _daily_aggregate() -> sql.Composed:
    averages = sql.SQL(", ").join(
        sql.SQL("avg({col}) AS {col}").format(col=sql.Identifier(c.key))
        for c in channels()
        if c.type is ChannelType.MEASUREMENT
    )
    return sql.SQL(
        "CREATE MATERIALIZED VIEW telemetry_daily WITH (timescaledb.continuous) AS"
        " SELECT equipment_id, circuit_no, time_bucket(INTERVAL '1 day', ts) AS day_utc, count(*) AS readings,"
        " {averages} FROM telemetry GROUP BY equipment_id, circuit_no, time_bucket(INTERVAL '1 day', ts)"
        " WITH NO DATA"
    ).format(averages=averages)


def _daily_refresh_policy() -> sql.SQL:
    return sql.SQL(
        "SELECT add_continuous_aggregate_policy('telemetry_daily', start_offset => INTERVAL '3 days',"
        " end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '1 hour', if_not_exists => TRUE)"
    )


def _daily_is_plain_view(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT 1 FROM pg_views WHERE viewname = 'telemetry_daily'").fetchone()
    return row is not None
