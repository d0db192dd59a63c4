"""Migrations apply to an empty database, are idempotent, and refuse drift."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg
import pytest

from fluorowatch.domain.channels import ChannelType, channels
from storage.migrate import Migration, MigrationError, discover_migrations, migrate
from storage.rollups import refresh_rollups

NewDatabase = Callable[[str], str]


def _columns(conn: psycopg.Connection, table: str) -> dict[str, str]:
    rows = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    return dict(rows)


def test_migrations_apply_to_an_empty_database_and_a_second_run_applies_none(new_database: NewDatabase) -> None:
    url = new_database("idempotent")
    with psycopg.connect(url, autocommit=True) as conn:
        first = migrate(conn)
        second = migrate(conn)
        recorded = conn.execute("SELECT version FROM schema_migration ORDER BY version").fetchall()
    assert [m.version for m in first] == [m.version for m in discover_migrations()]
    assert len(first) >= 4
    assert second == []
    assert [v for (v,) in recorded] == [m.version for m in first]


def test_two_processes_migrating_at_once_apply_each_migration_once(new_database: NewDatabase) -> None:
    url = new_database("concurrent")
    results: list[list[Migration]] = []
    errors: list[Exception] = []

    def run() -> None:
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                results.append(migrate(conn))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    applied = sorted(m.version for r in results for m in r)
    assert applied == [m.version for m in discover_migrations()]


def test_a_migration_changed_after_it_was_applied_is_refused(new_database: NewDatabase) -> None:
    url = new_database("drift")
    shipped = discover_migrations()
    with psycopg.connect(url, autocommit=True) as conn:
        migrate(conn, shipped[:1])
        edited = Migration(shipped[0].version, shipped[0].name, shipped[0].sql + "\n-- edited")
        with pytest.raises(MigrationError, match="changed after it was applied"):
            migrate(conn, [edited])


def test_a_failing_migration_leaves_no_trace_and_is_retried_next_time(new_database: NewDatabase) -> None:
    url = new_database("failing")
    broken = Migration(1, "broken", "CREATE TABLE half_done (id int); SELECT no_such_function();")
    with psycopg.connect(url, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.UndefinedFunction):
            migrate(conn, [broken])
        assert conn.execute("SELECT to_regclass('half_done')").fetchone() == (None,)
        assert conn.execute("SELECT count(*) FROM schema_migration").fetchone() == (0,)


def test_telemetry_has_one_typed_column_per_channel_with_the_canonical_keys(conn: psycopg.Connection) -> None:
    expected_type = {
        ChannelType.MEASUREMENT: "real",
        ChannelType.FLAG: "boolean",
        ChannelType.COUNT: "integer",
    }
    columns = _columns(conn, "telemetry")
    channel_columns = {k: v for k, v in columns.items() if k not in {"equipment_id", "circuit_no", "ts", "received_at"}}
    assert channel_columns == {c.key: expected_type[c.type] for c in channels()}
    assert columns["ts"] == "timestamp with time zone"


def test_telemetry_is_keyed_by_equipment_circuit_and_time(conn: psycopg.Connection) -> None:
    row = (1, 1, "2026-01-01T00:00:00Z")
    conn.execute("INSERT INTO telemetry (equipment_id, circuit_no, ts) VALUES (%s, %s, %s)", row)
    with pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute("INSERT INTO telemetry (equipment_id, circuit_no, ts) VALUES (%s, %s, %s)", row)


def test_daily_view_averages_every_measurement_channel_and_counts_readings(conn: psycopg.Connection) -> None:
    measurements = [c.key for c in channels() if c.type is ChannelType.MEASUREMENT]
    assert list(_columns(conn, "telemetry_daily")) == [
        "equipment_id",
        "circuit_no",
        "day_utc",
        "readings",
        *measurements,
        *(name for key in measurements for name in (f"{key}_min", f"{key}_max")),  # migration 0016
    ]
    conn.execute(
        "INSERT INTO telemetry (equipment_id, circuit_no, ts, suction_pressure_mpag) VALUES"
        " (7, 1, '2026-03-01T01:00Z', 0.30), (7, 1, '2026-03-01T23:00Z', 0.40), (7, 1, '2026-03-02T00:30Z', 1.0)"
    )
    refresh_rollups(conn, datetime.now(UTC))  # a maintained table since 0007 (was a view)
    rows = conn.execute(
        "SELECT day_utc::date, readings, round(suction_pressure_mpag::numeric, 2) FROM telemetry_daily"
        " WHERE equipment_id = 7 ORDER BY day_utc"
    ).fetchall()
    assert [(str(d), n, float(p)) for d, n, p in rows] == [("2026-03-01", 2, 0.35), ("2026-03-02", 1, 1.0)]
