"""Hourly and daily rollups per circuit on plain PostgreSQL (issue 4; REGULATION.md (p) ハ: daily values kept
>= 1 year, beyond the raw retention).

Each test commits like the ingest service does (readings in one transaction, a refresh in another), in a
database of this module's own, emptied before each test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from edge_agent.reading import Reading
from fluorowatch.domain.channels import ChannelType, channels
from storage.rollups import refresh_rollups
from storage.telemetry import write_readings

UNIT = 7
DAY = datetime(2026, 3, 1, tzinfo=UTC)
Rollup = tuple[int, str, int, float | None, float | None]  # circuit, bucket, readings, suction p, cabinet t


@pytest.fixture(scope="module")
def rollup_database(new_migrated_database: Callable[[str], str]) -> str:
    return new_migrated_database("rollups")


@pytest.fixture
def db(rollup_database: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(rollup_database) as connection:
        connection.execute("TRUNCATE telemetry, telemetry_hourly, telemetry_daily, rollup_watermark")
        connection.commit()
        yield connection
        connection.rollback()


def _store(conn: psycopg.Connection, *readings: Reading) -> None:
    write_readings(conn, [(UNIT, r) for r in readings])
    conn.commit()


def _refresh(conn: psycopg.Connection) -> int:
    changed = refresh_rollups(conn, datetime.now(UTC))
    conn.commit()
    return changed


def _reading(circuit: int, at: timedelta, suction: float | None, cabinet: float | None = None) -> Reading:
    values = {"suction_pressure_mpag": suction, "cabinet_temp_c": cabinet, "compressor_on": True}
    return Reading("SC-01", circuit, DAY + at, {k: v for k, v in values.items() if v is not None})


def _rollup(conn: psycopg.Connection, table: str, bucket: str) -> list[Rollup]:
    query = (
        f"SELECT circuit_no, to_char({bucket} AT TIME ZONE 'UTC', 'MM-DD HH24'), readings::int,"
        f" round(suction_pressure_mpag::numeric, 3)::float, round(cabinet_temp_c::numeric, 3)::float"
        f" FROM {table} WHERE equipment_id = %s ORDER BY circuit_no, {bucket}"
    )
    return [tuple(r) for r in conn.execute(query, (UNIT,)).fetchall()]


def _hourly(conn: psycopg.Connection) -> list[Rollup]:
    return _rollup(conn, "telemetry_hourly", "hour_utc")


def _daily(conn: psycopg.Connection) -> list[Rollup]:
    return _rollup(conn, "telemetry_daily", "day_utc")


def _two_circuits_over_two_days(conn: psycopg.Connection) -> None:
    _store(
        conn,
        _reading(1, timedelta(hours=1, minutes=0), 0.30, -20.0),
        _reading(1, timedelta(hours=1, minutes=30), 0.40),  # cabinet missing: counted, not averaged
        _reading(1, timedelta(hours=23, minutes=59), 0.50, -18.0),
        _reading(1, timedelta(days=1, minutes=1), 1.00, -19.0),
        _reading(2, timedelta(hours=1, minutes=15), 0.90, 4.0),
    )


def test_hourly_and_daily_rollups_count_readings_and_average_each_channel_per_circuit_and_utc_bucket(
    db: psycopg.Connection,
) -> None:
    _two_circuits_over_two_days(db)
    assert _refresh(db) == 4 + 3
    assert _hourly(db) == [
        (1, "03-01 01", 2, 0.35, -20.0),
        (1, "03-01 23", 1, 0.5, -18.0),
        (1, "03-02 00", 1, 1.0, -19.0),
        (2, "03-01 01", 1, 0.9, 4.0),
    ]
    assert _daily(db) == [
        (1, "03-01 00", 3, 0.4, -19.0),
        (1, "03-02 00", 1, 1.0, -19.0),
        (2, "03-01 00", 1, 0.9, 4.0),
    ]


def test_a_second_refresh_without_new_rows_rewrites_nothing(db: psycopg.Connection) -> None:
    _two_circuits_over_two_days(db)
    _refresh(db)
    versions = db.execute("SELECT array_agg(xmin::text ORDER BY hour_utc, circuit_no) FROM telemetry_hourly")
    before = (_hourly(db), _daily(db), versions.fetchone())
    assert _refresh(db) == 0
    versions = db.execute("SELECT array_agg(xmin::text ORDER BY hour_utc, circuit_no) FROM telemetry_hourly")
    assert (_hourly(db), _daily(db), versions.fetchone()) == before


def test_a_late_reading_for_an_old_hour_updates_that_hour_and_its_day_only(db: psycopg.Connection) -> None:
    _two_circuits_over_two_days(db)
    _refresh(db)
    _store(db, _reading(1, timedelta(hours=1, minutes=45), 0.50, -22.0))  # store-and-forward, days late
    assert _refresh(db) == 2
    assert _hourly(db)[0] == (1, "03-01 01", 3, 0.4, -21.0)
    assert _hourly(db)[1:] == [
        (1, "03-01 23", 1, 0.5, -18.0),
        (1, "03-02 00", 1, 1.0, -19.0),
        (2, "03-01 01", 1, 0.9, 4.0),
    ]
    assert _daily(db)[0] == (1, "03-01 00", 4, 0.425, -20.0)


def test_rollups_keep_the_buckets_whose_raw_rows_retention_deleted(db: psycopg.Connection) -> None:
    """REGULATION.md (p) ハ: the daily values stay for a year even where raw telemetry is kept for less."""
    _two_circuits_over_two_days(db)
    _refresh(db)
    before = (_hourly(db), _daily(db))
    db.execute("DELETE FROM telemetry WHERE ts < %s", (DAY + timedelta(days=1),))
    db.commit()
    _store(db, _reading(1, timedelta(days=1, minutes=2), 2.00))
    assert _refresh(db) == 2
    assert _hourly(db)[:2] == before[0][:2]
    assert _hourly(db)[2] == (1, "03-02 00", 2, 1.5, -19.0)
    assert _daily(db)[0] == before[1][0]
    assert len(_daily(db)) == len(before[1])


def test_a_day_enters_the_daily_rollup_at_the_first_refresh_after_it_ends_while_its_hours_are_kept_current(
    db: psycopg.Connection,
) -> None:
    for at in (timedelta(hours=1), timedelta(hours=22)):
        db.execute(
            "INSERT INTO telemetry (equipment_id, circuit_no, ts, suction_pressure_mpag, received_at)"
            " VALUES (%s, 1, %s, 0.5, %s)",
            (UNIT, DAY + at, DAY + at + timedelta(seconds=2)),
        )
    db.commit()
    assert refresh_rollups(db, DAY + timedelta(hours=23)) == 2
    assert [n for _, _, n, _, _ in _hourly(db)] == [1, 1]
    assert _daily(db) == []
    assert refresh_rollups(db, DAY + timedelta(hours=24, minutes=1)) == 1  # no row received since
    assert _daily(db) == [(1, "03-01 00", 2, 0.5, None)]
    assert refresh_rollups(db, DAY + timedelta(hours=24, minutes=2)) == 0


def test_a_row_committed_after_a_refresh_read_past_it_is_caught_by_the_next_refresh(
    db: psycopg.Connection, rollup_database: str
) -> None:
    """received_at is the ingest transaction's start: a slow batch commits with a time the watermark passed."""
    with psycopg.connect(rollup_database) as slow_batch:
        write_readings(slow_batch, [(UNIT, _reading(1, timedelta(hours=5), 0.7))])
        _store(db, _reading(2, timedelta(hours=5), 0.8))
        assert _refresh(db) == 2  # circuit 2 only: the slow batch is not committed yet
        slow_batch.commit()
    assert _refresh(db) == 2
    assert [(c, n) for c, _, n, _, _ in _hourly(db)] == [(1, 1), (2, 1)]


def test_a_refresh_rereads_rows_received_only_back_to_its_lookback_behind_the_watermark(
    db: psycopg.Connection,
) -> None:
    _store(db, _reading(1, timedelta(hours=1), 0.3))
    _refresh(db)
    db.execute(
        "INSERT INTO telemetry (equipment_id, circuit_no, ts, suction_pressure_mpag, received_at)"
        " VALUES (%s, 1, %s, 0.9, now() - INTERVAL '1 day')",
        (UNIT, DAY + timedelta(days=5)),  # a bucket no recently received row touches
    )
    db.commit()
    assert _refresh(db) == 0
    assert refresh_rollups(db, datetime.now(UTC), lookback=timedelta(days=2)) == 2


def test_only_one_process_refreshes_at_a_time_and_the_other_returns_at_once(
    db: psycopg.Connection, rollup_database: str
) -> None:
    _store(db, _reading(1, timedelta(hours=1), 0.3))
    assert refresh_rollups(db, datetime.now(UTC)) == 2  # holds the lock until it commits
    with psycopg.connect(rollup_database) as other:
        assert refresh_rollups(other, datetime.now(UTC)) == 0
    db.commit()


def test_refresh_does_nothing_when_continuous_aggregates_maintain_the_rollups(db: psycopg.Connection) -> None:
    _store(db, _reading(1, timedelta(hours=1), 0.3))
    db.execute("DROP TABLE telemetry_hourly, telemetry_daily")
    db.execute("CREATE VIEW telemetry_hourly AS SELECT 1 AS readings")  # stands in for the aggregate
    assert refresh_rollups(db, datetime.now(UTC)) == 0
    assert db.execute("SELECT count(*) FROM rollup_watermark").fetchone() == (0,)
    db.rollback()


@pytest.mark.parametrize(("table", "bucket"), [("telemetry_hourly", "hour_utc"), ("telemetry_daily", "day_utc")])
def test_each_rollup_has_one_averaged_column_per_measurement_channel_in_channels_csv_order(
    db: psycopg.Connection, table: str, bucket: str
) -> None:
    columns = db.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    measurements = [c.key for c in channels() if c.type is ChannelType.MEASUREMENT]
    extremes = [name for key in measurements for name in (f"{key}_min", f"{key}_max")]  # migration 0016
    assert [name for name, _ in columns] == ["equipment_id", "circuit_no", bucket, "readings", *measurements, *extremes]
    assert {data_type for name, data_type in columns if name in measurements + extremes} == {"double precision"}
    assert {name: data_type for name, data_type in columns}[bucket] == "timestamp with time zone"
