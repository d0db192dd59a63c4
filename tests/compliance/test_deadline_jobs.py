"""The 60-day repair deadline of REGULATION.md (d2) case 2 reaches people: reminders before it, an overdue alert
that goes straight to the organisation above the site after it, and both close when the repair is recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import psycopg
import pytest

from compliance.deadline_jobs import remind_and_escalate
from compliance.recharge import repair_deadline
from compliance.ticket_service import confirm_leak
from tests.alerts.conftest import World, build_world

CONFIRMED = date(2026, 4, 1)
DEADLINE = repair_deadline(CONFIRMED)  # 2026-05-31


@pytest.fixture
def world(conn: psycopg.Connection) -> World:
    return build_world(conn)


def _at(day: date) -> datetime:
    return datetime.combine(day, time(0, 30), tzinfo=UTC)


def _run(conn: psycopg.Connection, day: date) -> tuple[int, int]:
    return remind_and_escalate(conn, day, _at(day))


def _alerts(conn: psycopg.Connection) -> list[tuple[str, str, int]]:
    rows = conn.execute("SELECT category, status, escalation_level FROM alert ORDER BY id").fetchall()
    return [(str(c), str(s), int(level)) for c, s, level in rows]


def test_reminders_come_at_30_14_7_and_1_days_before_the_deadline_each_once(
    conn: psycopg.Connection, world: World
) -> None:
    confirm_leak(conn, world.unit, 1, CONFIRMED)
    assert _run(conn, DEADLINE - timedelta(days=31)) == (0, 0)
    assert _run(conn, DEADLINE - timedelta(days=30)) == (1, 0)
    assert _run(conn, DEADLINE - timedelta(days=29)) == (0, 0)  # each point once
    assert _run(conn, DEADLINE - timedelta(days=1)) == (1, 0)  # 14 and 7 were missed: sent together now
    sent = conn.execute("SELECT days_before FROM repair_reminder ORDER BY 1").fetchall()
    assert [int(r[0]) for r in sent] == [1, 7, 14, 30]
    assert _alerts(conn) == [("repair_due", "raised", 0)]  # one open reminder alert, updated
    queued = conn.execute("SELECT kind FROM alert_outbox ORDER BY id").fetchall()
    assert [str(r[0]) for r in queued] == ["raised", "updated"]


def test_the_day_after_the_deadline_the_repair_is_overdue_and_escalated(conn: psycopg.Connection, world: World) -> None:
    confirm_leak(conn, world.unit, 1, CONFIRMED)
    assert _run(conn, DEADLINE)[1] == 0  # day 60: still in time
    assert _run(conn, DEADLINE + timedelta(days=1))[1] == 1  # day 61: overdue
    assert ("repair_overdue", "raised", 1) in _alerts(conn)
    assert conn.execute("SELECT kind, escalation_level FROM alert_outbox ORDER BY id DESC LIMIT 1").fetchone() == (
        "escalated",
        1,
    )
    assert _run(conn, DEADLINE + timedelta(days=2))[1] == 0  # one overdue alert, not one a day


def test_recording_the_repair_resolves_the_deadline_alerts(conn: psycopg.Connection, world: World) -> None:
    case = confirm_leak(conn, world.unit, 1, CONFIRMED)
    _run(conn, DEADLINE + timedelta(days=1))
    conn.execute("UPDATE leak_case SET repaired_on = %s WHERE id = %s", (DEADLINE + timedelta(days=3), case))
    _run(conn, DEADLINE + timedelta(days=3))
    assert {status for _, status, _ in _alerts(conn)} == {"resolved"}
