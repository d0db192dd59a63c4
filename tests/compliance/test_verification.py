"""A monitored unit's repair is verified by its operating values staying at the baseline after it, and the
detector baseline is then re-learned (issue 7: verification after repair)."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg
import pytest
from psycopg.types.json import Jsonb

from compliance.ticket_service import confirm_leak, open_ticket, transition
from compliance.tickets import QualifiedPerson, Status
from compliance.verification import QUIET_HOURS, verify_from_operating_values
from fluorowatch.domain.organisation import Contractor
from storage import alert_queries
from storage.registry import assign_contractor, save_contractor
from tests.alerts.conftest import T0, World, build_world

HOUR = timedelta(hours=1)
QUALIFIED = QualifiedPerson("佐藤 一郎", "第一種冷媒フロン類取扱技術者 12345")


@pytest.fixture
def world(conn: psycopg.Connection) -> World:
    built = build_world(conn)
    assign_contractor(conn, built.site_id, save_contractor(conn, Contractor("冷熱サービス", "東京都第1234号", "13")))
    return built


def _repaired_ticket(conn: psycopg.Connection, world: World) -> int:
    case = confirm_leak(conn, world.unit, 1, T0.date())
    ticket = open_ticket(conn, world.unit, 1, leak_case_id=case, opened_at=T0)
    manager = alert_queries.person(conn, world.manager.user_id)
    assert manager is not None
    for step, hours in ((Status.DISPATCHED, 1), (Status.LEAK_LOCATED, 2), (Status.REPAIRED, 3)):
        transition(conn, ticket, manager, step, at=T0 + hours * HOUR, qualified_person=QUALIFIED)
    conn.execute(
        """INSERT INTO detector_model (equipment_id, circuit_no, version, trained_from, trained_until, reason, model)
           VALUES (%s, 1, 1, %s, %s, 'commissioning', %s)""",
        (world.unit, T0 - timedelta(days=30), T0 - timedelta(days=16), Jsonb({})),
    )
    return ticket


def _judged_hours(
    conn: psycopg.Connection, world: World, count: int, conditions: list[str] | None = None, first: int = 0
) -> None:
    for i in range(first, first + count):
        conn.execute(
            """INSERT INTO detector_hour (equipment_id, circuit_no, hour_utc, model_version, has_data, lost_pct,
                   sigma_pct, conditions) VALUES (%s, 1, %s, 1, true, 0.2, 0.3, %s)""",
            (world.unit, T0 + (4 + i) * HOUR, conditions if conditions and i == first + count - 1 else []),
        )


def test_a_repair_is_verified_after_the_quiet_hours_and_the_baseline_is_relearned(
    conn: psycopg.Connection, world: World
) -> None:
    ticket = _repaired_ticket(conn, world)
    relearned: list[tuple[int, int, datetime, datetime]] = []

    def relearn(_: psycopg.Connection, unit: int, circuit: int, since: datetime, until: datetime) -> None:
        relearned.append((unit, circuit, since, until))

    _judged_hours(conn, world, QUIET_HOURS - 1)
    now = T0 + 100 * HOUR
    assert verify_from_operating_values(conn, now, relearn) == []  # one judged hour short
    _judged_hours(conn, world, 1, first=QUIET_HOURS - 1)
    assert verify_from_operating_values(conn, now, relearn) == [ticket]
    assert conn.execute("SELECT status FROM ticket WHERE id = %s", (ticket,)).fetchone() == ("verified",)
    assert conn.execute("SELECT verified_on FROM leak_case").fetchone() == (now.date(),)
    assert relearned == [(world.unit, 1, T0 + 4 * HOUR, now)]


def test_a_leak_hour_after_the_repair_holds_the_verification(conn: psycopg.Connection, world: World) -> None:
    _repaired_ticket(conn, world)
    _judged_hours(conn, world, QUIET_HOURS + 5, conditions=["leak"])
    assert verify_from_operating_values(conn, T0 + 100 * HOUR, None) == []


def test_without_readings_to_learn_from_the_verified_unit_keeps_its_baseline(
    conn: psycopg.Connection, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    from alerts.jobs import _relearn_after_repair

    _repaired_ticket(conn, world)
    _relearn_after_repair(conn, world.unit, 1, T0 + 4 * HOUR, T0 + 100 * HOUR)
    assert conn.execute("SELECT max(version) FROM detector_model").fetchone() == (1,)
    assert "repair verified, baseline kept" in caplog.text
