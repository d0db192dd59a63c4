"""Readings are stored once per (equipment, circuit, ts), with their values typed per channel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from edge_agent.reading import Reading
from storage.telemetry import write_readings

T0 = datetime(2026, 2, 1, tzinfo=UTC)


def _reading(minute: int, circuit: int = 1, **values: float | bool | int | None) -> Reading:
    return Reading("U-1", circuit, T0 + timedelta(minutes=minute), values or {"suction_pressure_mpag": 0.3})


def test_readings_are_stored_with_typed_values(conn: psycopg.Connection) -> None:
    written = write_readings(conn, [(9, _reading(0, suction_pressure_mpag=0.25, compressor_on=True, purge_count=4))])
    row = conn.execute(
        "SELECT suction_pressure_mpag, compressor_on, purge_count, defrost_on, ts FROM telemetry WHERE equipment_id = 9"
    ).fetchone()
    assert written == 1
    assert row == (pytest.approx(0.25), True, 4, None, T0)


def test_a_redelivered_reading_is_stored_once(conn: psycopg.Connection) -> None:
    batch = [(9, _reading(0)), (9, _reading(1)), (9, _reading(1, circuit=2))]
    assert write_readings(conn, batch) == 3
    assert write_readings(conn, [*batch, (9, _reading(2))]) == 1
    assert write_readings(conn, [(9, _reading(3)), (9, _reading(3))]) == 1
    assert conn.execute("SELECT count(*) FROM telemetry WHERE equipment_id = 9").fetchone() == (5,)


def test_units_with_the_same_management_number_at_different_sites_stay_apart(conn: psycopg.Connection) -> None:
    assert write_readings(conn, [(9, _reading(0)), (10, _reading(0))]) == 2


def test_writing_on_an_autocommit_connection_is_still_idempotent(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as auto:
        try:
            assert write_readings(auto, [(77, _reading(0)), (77, _reading(1))]) == 2
            assert write_readings(auto, [(77, _reading(1)), (77, _reading(2))]) == 1
        finally:
            auto.execute("DELETE FROM telemetry WHERE equipment_id = 77")
