"""Raw telemetry retention on plain PostgreSQL (with TimescaleDB a retention policy drops whole chunks instead,
storage/timescale.py).

REGULATION.md (p) ハ: while continuous monitoring replaces the simple inspection, the measured values and the
diagnosis are kept at least one year. So the horizon is never shorter than MIN_RETENTION_DAYS and is counted from
the database's clock, not the caller's. Rows go by measurement time in windows of WINDOW, each its own
transaction through the BRIN index on `ts`, so ingest is never held up; a watermark (row `telemetry_retention`
of `rollup_watermark`) says how far deleting got, so a run that stops (its time budget, a shutdown) resumes there.
The hourly and daily rollups are not touched: they outlive raw retention (storage/rollups.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

import psycopg

from fluorowatch.settings import check_retention_days
from storage.rollups import rollups_are_tables

WINDOW = timedelta(minutes=10)
WATERMARK = "telemetry_retention"  # readings measured before it are deleted


def delete_expired_telemetry(
    conn: psycopg.Connection, retention_days: int, *, late_by: timedelta, budget_s: float = 1800.0,
    clock: Callable[[], float] = time.monotonic,
) -> int:  # fmt: skip
    """Delete telemetry measured more than `retention_days` ago; return how many rows went. `late_by`: how old a
    reading ingest still accepts (one may arrive behind the watermark). Stops after the window in which
    `budget_s` ran out. `conn` must be in autocommit mode (each window commits on its own)."""
    check_retention_days(retention_days)
    if not conn.autocommit:
        raise ValueError("delete_expired_telemetry needs an autocommit connection: each window commits on its own")
    if not rollups_are_tables(conn):
        raise ValueError("telemetry is a TimescaleDB hypertable here: its retention policy drops old chunks")
    row = conn.execute("SELECT now() - make_interval(days => %s), now() - %s", (retention_days, late_by)).fetchone()
    assert row is not None
    cutoff, late_horizon = row
    watermark = _watermark(conn)
    deleted = 0
    if watermark is not None and late_horizon < watermark:  # late readings that arrived behind the watermark
        with conn.transaction():
            deleted += conn.execute("DELETE FROM telemetry WHERE ts >= %s AND ts < %s",
                                    (late_horizon, min(watermark, cutoff))).rowcount  # fmt: skip
    start = watermark if watermark is not None else _oldest(conn, cutoff)
    began = clock()
    while start is not None and start < cutoff:
        end = min(start + WINDOW, cutoff)
        with conn.transaction():
            count = conn.execute("DELETE FROM telemetry WHERE ts >= %s AND ts < %s", (start, end)).rowcount
            _save_watermark(conn, end)
        deleted += count
        start = end if count else _oldest(conn, cutoff, since=end)  # an empty window: skip the gap
        if clock() - began >= budget_s:
            break
    if start is None:  # nothing older than the horizon is left
        _save_watermark(conn, cutoff)
    return deleted


def _save_watermark(conn: psycopg.Connection, until: datetime) -> None:
    conn.execute(
        """INSERT INTO rollup_watermark (name, refreshed_until) VALUES (%s, %s)
           ON CONFLICT (name) DO UPDATE SET refreshed_until = excluded.refreshed_until""",
        (WATERMARK, until),
    )


def _watermark(conn: psycopg.Connection) -> datetime | None:
    row = conn.execute("SELECT refreshed_until FROM rollup_watermark WHERE name = %s", (WATERMARK,)).fetchone()
    found: datetime | None = row[0] if row else None
    return found


def _oldest(conn: psycopg.Connection, cutoff: datetime, since: datetime | None = None) -> datetime | None:
    """The oldest reading to delete (measured since `since`, when given); None: nothing left to delete."""
    row = conn.execute("SELECT min(ts) FROM telemetry WHERE ts < %s AND (%s::timestamptz IS NULL OR ts >= %s)",
                       (cutoff, since, since)).fetchone()  # fmt: skip
    found: datetime | None = row[0] if row else None
    return found
