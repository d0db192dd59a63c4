"""An ended period of continuous monitoring is written into the unit's logbook once (REGULATION.md (p): the
logbook records the period in which monitoring replaced the simple inspection)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import psycopg
from psycopg.types.json import Jsonb

from compliance.jobs import record_monitoring_periods
from tests.alerts.conftest import World, build_world

D0 = date(2026, 3, 1)
NOW = datetime(2026, 3, 20, 0, 30, tzinfo=UTC)


def _diagnosed(conn: psycopg.Connection, unit: int, days: range, status: str = "no_leak") -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO diagnosis (equipment_id, circuit_no, day, status, hours_measured) VALUES (%s, 1, %s, %s, 20)",
            [(unit, D0 + timedelta(days=n), status) for n in days],
        )


def _monitored(conn: psycopg.Connection, world: World) -> int:
    conn.execute(
        """INSERT INTO detector_model (equipment_id, circuit_no, version, trained_from, trained_until, reason, model)
           VALUES (%s, 1, 1, %s, %s, 'commissioning', %s)""",
        (world.unit, NOW - timedelta(days=60), NOW - timedelta(days=46), Jsonb({})),
    )
    return world.unit


def _periods(conn: psycopg.Connection) -> list[tuple[str, str]]:
    rows = conn.execute(
        "SELECT details->>'method', details->>'content' FROM logbook_entry WHERE source = 'diagnosis' ORDER BY id"
    ).fetchall()
    return [(str(m), str(c)) for m, c in rows]


def test_one_missing_day_ends_a_period_and_each_ended_period_is_written_once(conn: psycopg.Connection) -> None:
    unit = _monitored(conn, build_world(conn))
    _diagnosed(conn, unit, range(0, 5))  # 1-5 March
    _diagnosed(conn, unit, range(6, 19))  # 7-19 March: 6 March is missing; still running on the 20th
    today = NOW.date()
    assert record_monitoring_periods(conn, D0, today, NOW) == 1
    assert record_monitoring_periods(conn, D0, today, NOW) == 0
    [(method, content)] = _periods(conn)
    assert method == "continuous_monitoring" and "2026-03-01 .. 2026-03-05 (5 days" in content
    # the running period is written once it has ended
    assert record_monitoring_periods(conn, D0, today + timedelta(days=2), NOW + timedelta(days=2)) == 1
    assert "2026-03-07 .. 2026-03-19" in _periods(conn)[1][1]


def test_a_unit_without_a_detector_model_has_no_monitoring_period(conn: psycopg.Connection) -> None:
    world = build_world(conn)
    _diagnosed(conn, world.unit, range(0, 5))
    assert record_monitoring_periods(conn, D0, NOW.date(), NOW) == 0
