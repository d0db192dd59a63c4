"""Raw telemetry retention on plain PostgreSQL (with TimescaleDB a retention policy drops whole chunks instead,
storage/timescale.py).

REGULATION.md (p) ハ: while continuous monitoring replaces the simple inspection, the measured values and the
diagnosis are kept at least one year. So the horizon is never shorter than MIN_RETENTION_DAYS (366: a leap year
has 366 days) and is counted from the database's clock, not the caller's. Rows go in small batches, each its
own transaction, so ingest is never held up and an interrupted run just resumes next time. The hourly and
daily rollups are not touched: they outlive raw retention (storage/rollups.py).
"""

from __future__ import annotations

import psycopg

from fluorowatch.settings import MIN_RETENTION_DAYS

BATCH_ROWS = 20_000

_DELETE = """DELETE FROM telemetry WHERE ctid = ANY(ARRAY(
                 SELECT ctid FROM telemetry WHERE ts < now() - make_interval(days => %(days)s) LIMIT %(batch)s))"""


def delete_expired_telemetry(conn: psycopg.Connection, retention_days: int, batch_rows: int = BATCH_ROWS) -> int:
    """Delete telemetry measured more than `retention_days` ago; return how many rows went. `conn` must be in
    autocommit mode (each batch commits on its own). Refuses a horizon under the legal floor."""
    if retention_days < MIN_RETENTION_DAYS:
        raise ValueError(
            f"telemetry retention of {retention_days} days is shorter than the legal minimum of {MIN_RETENTION_DAYS}"
        )
    if not conn.autocommit:
        raise ValueError("delete_expired_telemetry needs an autocommit connection: each batch commits on its own")
    deleted = 0
    while True:
        with conn.transaction():
            count = conn.execute(_DELETE, {"days": retention_days, "batch": batch_rows}).rowcount
        deleted += count
        if count < batch_rows:
            return deleted
