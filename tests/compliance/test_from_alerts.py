"""A confirmed leak alert starts the repair (REGULATION.md (d1)): the leak case (day 0 of the 60 days of (d2)
case 2) and a ticket for the site's contractor; only the unit's manager or a delegate confirms, or a policy."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest

from alerts.lifecycle import Decision
from alerts.service import sync_detector_events
from compliance.from_alerts import Confirmed, confirm_by_policy, confirm_leak_alert
from fluorowatch.domain.organisation import Contractor
from storage.registry import assign_contractor, save_contractor
from tests.alerts.conftest import T0, World, add_user, build_world, detector_event


@pytest.fixture
def world(conn: psycopg.Connection) -> World:
    built = build_world(conn)
    assign_contractor(conn, built.site_id, save_contractor(conn, Contractor("冷熱サービス", "東京都第1234号", "13")))
    return built


def _leak_alert(conn: psycopg.Connection, world: World, loss_pct: float = 4.2) -> int:
    detector_event(conn, world.unit, T0, loss_pct=loss_pct)
    sync_detector_events(conn)
    row = conn.execute("SELECT id FROM alert WHERE category = 'leak'").fetchone()
    assert row is not None
    return int(row[0])


def test_the_manager_confirms_a_leak_alert_and_a_ticket_opens_for_the_sites_contractor(
    conn: psycopg.Connection, world: World
) -> None:
    alert_id = _leak_alert(conn, world)
    result = confirm_leak_alert(conn, alert_id, world.manager, at=T0 + timedelta(hours=1))
    assert isinstance(result, Confirmed)
    case = conn.execute("SELECT confirmed_on, alert_id FROM leak_case WHERE id = %s", (result.leak_case_id,)).fetchone()
    assert case == ((T0 + timedelta(hours=1)).date(), alert_id)  # 10:00 in Tokyo: the same calendar day
    ticket = conn.execute("SELECT status, leak_case_id FROM ticket WHERE id = %s", (result.ticket_id,)).fetchone()
    assert ticket == ("open", result.leak_case_id)
    actions = [str(r[0]) for r in conn.execute("SELECT action FROM alert_audit ORDER BY id").fetchall()]
    assert actions == ["raised", "confirm_leak"]


def test_a_viewer_cannot_confirm_and_the_attempt_is_kept(conn: psycopg.Connection, world: World) -> None:
    alert_id = _leak_alert(conn, world)
    viewer = add_user(conn, "viewer@example.jp", "viewer", site_id=world.site_id)
    result = confirm_leak_alert(conn, alert_id, viewer, at=T0)
    assert isinstance(result, Decision) and not result.allowed
    assert conn.execute("SELECT count(*) FROM leak_case").fetchone() == (0,)
    refused = conn.execute("SELECT action, allowed FROM alert_audit ORDER BY id DESC LIMIT 1").fetchone()
    assert refused == ("confirm_leak_refused", False)


def test_a_policy_confirms_leaks_above_its_threshold_once(conn: psycopg.Connection, world: World) -> None:
    _leak_alert(conn, world, loss_pct=6.0)
    assert confirm_by_policy(conn, T0, min_loss_pct=10.0) == []
    [confirmed] = confirm_by_policy(conn, T0, min_loss_pct=5.0)
    assert confirm_by_policy(conn, T0 + timedelta(hours=1), min_loss_pct=5.0) == []  # one leak case, one ticket
    assert conn.execute("SELECT count(*) FROM ticket").fetchone() == (1,)
    assert confirmed.leak_case_id > 0
