"""Hourly and daily values per circuit on plain PostgreSQL: maintained rollup tables (migration 0007).

REGULATION.md (p) ハ: values are recorded at least once a day and kept at least one year; the daily rollup
outlives raw retention. Each refresh recomputes, from the raw rows, only the buckets that received rows
since the previous refresh. The watermark is on `received_at`, not `ts`, because an agent's store-and-forward
queue delivers late readings with old measurement times. With TimescaleDB the two tables are continuous
aggregates that maintain themselves (storage/timescale.py), and a refresh here does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from psycopg import sql

from fluorowatch.domain.channels import ChannelType, channels

# received_at is the start of the ingest transaction that wrote the row, which may commit after a refresh
# has read past it; the lookback re-reads that far behind the watermark. It must exceed the longest ingest
# transaction plus any clock skew between the service (`now`) and the database (`received_at`).
DEFAULT_LOOKBACK = timedelta(minutes=10)
WATERMARK = "telemetry"
_LOCK_KEY = 0x666C756F7252  # "fluorR": one refresher at a time across ingest processes


@dataclass(frozen=True)
class RollupLevel:
    table: str
    bucket_column: str
    date_trunc_unit: str
    # Completed buckets only: recomputing a growing day every minute would reread up to 1,440 rows per circuit
    # each time; a day is computed once it ends (and again only when late readings reach it).
    completed_only: bool


HOURLY = RollupLevel("telemetry_hourly", "hour_utc", "hour", completed_only=False)
DAILY = RollupLevel("telemetry_daily", "day_utc", "day", completed_only=True)
LEVELS = (HOURLY, DAILY)


def measurement_columns() -> list[str]:
    """The averaged channels, in channels.csv order: the rollups' columns after (…, bucket, readings)."""
    return [c.key for c in channels() if c.type is ChannelType.MEASUREMENT]


def extreme_columns() -> list[tuple[str, str, str]]:
    """(channel, its minimum column, its maximum column) in channels.csv order: the rollups' columns after the
    averages (migration 0016)."""
    return [(key, f"{key}_min", f"{key}_max") for key in measurement_columns()]


def rollups_are_tables(conn: psycopg.Connection) -> bool:
    """True on the plain layout, where the rollups are tables this module maintains (not continuous aggregates)."""
    row = conn.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass('telemetry_hourly')").fetchone()
    return row is not None and row[0] == "r"


def refresh_rollups(conn: psycopg.Connection, now: datetime, lookback: timedelta = DEFAULT_LOOKBACK) -> int:
    """Bring the hourly and daily rollups up to date in the caller's transaction; return the bucket rows
    inserted or changed. Idempotent; a no-op returning 0 when continuous aggregates maintain the rollups or
    when another process is refreshing (it holds the lock until its transaction ends)."""
    if not rollups_are_tables(conn):
        return 0
    locked = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (_LOCK_KEY,)).fetchone()
    if locked is None or not locked[0]:
        return 0
    row = conn.execute("SELECT refreshed_until FROM rollup_watermark WHERE name = %s", (WATERMARK,)).fetchone()
    # Without a watermark (first refresh) every row is read: the rollups are built from all raw data.
    previous = None if row is None else row[0]
    window = {"since": None if previous is None else previous - lookback, "previous": previous, "now": now}
    changed = sum(conn.execute(_refresh_statement(level), window).rowcount for level in LEVELS)
    conn.execute(
        "INSERT INTO rollup_watermark (name, refreshed_until) VALUES (%s, %s)"
        " ON CONFLICT (name) DO UPDATE SET refreshed_until = EXCLUDED.refreshed_until",
        (WATERMARK, now),
    )
    return changed


def _refresh_statement(level: RollupLevel) -> sql.Composed:
    """Recompute, from all of its raw rows, every bucket that received a row since `since` and, for a level of
    completed buckets, every bucket that ended since the previous refresh (and none still open at `now`).

    Raw rows are only ever added (the telemetry merge skips duplicates), so a bucket changes exactly when its
    count grows. Updating only then keeps a repeated refresh from rewriting anything, lets concurrent or
    stale recomputations never undo a newer one, and never shrinks a bucket whose raw rows retention deleted.
    """
    averaged = [sql.Identifier(c) for c in measurement_columns()]
    extremes = [
        (sql.Identifier(key), sql.Identifier(low), sql.Identifier(high)) for key, low, high in extreme_columns()
    ]
    columns = [*averaged, *(column for _, low, high in extremes for column in (low, high))]
    computed = [sql.SQL("avg(t.{})").format(c) for c in averaged] + [
        sql.SQL("{}(t.{})").format(sql.SQL(f), key) for key, _, _ in extremes for f in ("min", "max")
    ]
    table, bucket = sql.Identifier(level.table), sql.Identifier(level.bucket_column)
    unit = sql.Literal(level.date_trunc_unit)
    touched = sql.SQL(
        "SELECT DISTINCT equipment_id, circuit_no, date_trunc({unit}, ts, 'UTC') AS bucket FROM telemetry"
        " WHERE received_at > coalesce(%(since)s::timestamptz, '-infinity')"
    ).format(unit=unit)
    if level.completed_only:
        touched = sql.SQL(
            "SELECT * FROM ({touched} UNION"
            " SELECT DISTINCT equipment_id, circuit_no, date_trunc({unit}, ts, 'UTC') FROM telemetry"
            " WHERE ts >= date_trunc({unit}, %(previous)s::timestamptz, 'UTC')"
            " AND ts < date_trunc({unit}, %(now)s::timestamptz, 'UTC')) AS b"
            " WHERE bucket < date_trunc({unit}, %(now)s::timestamptz, 'UTC')"
        ).format(touched=touched, unit=unit)
    return sql.SQL(
        "WITH touched AS MATERIALIZED ({touched})"
        " INSERT INTO {table} (equipment_id, circuit_no, {bucket}, readings, {columns})"
        # One pass over the raw rows from the oldest touched bucket on (the BRIN index on ts prunes the rest),
        # grouped by bucket; a join per bucket on a time range made the planner compare every pair.
        " SELECT t.equipment_id, t.circuit_no, date_trunc({unit}, t.ts, 'UTC'), count(*), {averages}"
        " FROM telemetry t WHERE t.ts >= (SELECT min(bucket) FROM touched)"
        " AND (t.equipment_id, t.circuit_no, date_trunc({unit}, t.ts, 'UTC'))"
        " IN (SELECT equipment_id, circuit_no, bucket FROM touched)"
        " GROUP BY 1, 2, 3"
        " ON CONFLICT (equipment_id, circuit_no, {bucket}) DO UPDATE SET readings = EXCLUDED.readings, {updates}"
        " WHERE EXCLUDED.readings > {table}.readings"
    ).format(
        touched=touched,
        unit=unit,
        table=table,
        bucket=bucket,
        columns=sql.SQL(", ").join(columns),
        averages=sql.SQL(", ").join(computed),
        updates=sql.SQL(", ").join(sql.SQL("{c} = EXCLUDED.{c}").format(c=c) for c in columns),
    )
