"""A confirmed leak alert starts the repair (REGULATION.md (d1)): the leak case (day 0 of the 60 days of (d2)
case 2) and a ticket for the site's contractor; only the unit's manager or a delegate confirms, or a policy."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest

from alerts.lifecycle import Decision
from alerts.service import sync_detector_events
from compliance.from_alerts import Confirmed, NotConfirmable, confirm_by_policy, confirm_leak_alert
from compliance.ticket_service import RepairNotStarted, transition
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
    assert actions == ["raised", "confirm_leak", "acknowledge"]  # confirmed, so in hand: it escalates no further
    assert conn.execute("SELECT status FROM alert WHERE id = %s", (alert_id,)).fetchone() == ("acknowledged",)


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


def _confirmed(conn: psycopg.Connection, world: World) -> tuple[int, Confirmed]:
    alert_id = _leak_alert(conn, world)
    confirmed = confirm_leak_alert(conn, alert_id, world.manager, at=T0)
    assert isinstance(confirmed, Confirmed)
    return alert_id, confirmed


def test_one_leak_one_repair_confirming_again_while_its_ticket_is_in_progress_is_refused(
    conn: psycopg.Connection, world: World
) -> None:
    alert_id, first = _confirmed(conn, world)
    with pytest.raises(RepairNotStarted, match=rf"leak case {first.leak_case_id}\): ticket {first.ticket_id} is in"):
        confirm_leak_alert(conn, alert_id, world.manager, at=T0 + timedelta(days=1))
    assert conn.execute("SELECT count(*) FROM ticket").fetchone() == (1,)


def test_after_its_ticket_is_cancelled_the_same_leak_gets_a_new_ticket_and_keeps_its_day_0(
    conn: psycopg.Connection, world: World
) -> None:
    alert_id, first = _confirmed(conn, world)
    transition(conn, first.ticket_id, world.manager, "cancelled", at=T0 + timedelta(days=1),
               cancel_reason="contractor cannot come this month")  # fmt: skip
    again = confirm_leak_alert(conn, alert_id, world.manager, at=T0 + timedelta(days=3))
    assert isinstance(again, Confirmed)
    assert (again.leak_case_id, again.ticket_id != first.ticket_id) == (first.leak_case_id, True)
    assert conn.execute("SELECT confirmed_on FROM leak_case").fetchall() == [(T0.date(),)]  # the 60 days stay


def test_a_resolved_alert_is_not_confirmed(conn: psycopg.Connection, world: World) -> None:
    alert_id = _leak_alert(conn, world)
    conn.execute("UPDATE alert SET status = 'resolved', resolved_at = %s WHERE id = %s", (T0, alert_id))
    with pytest.raises(NotConfirmable, match="resolved"):
        confirm_leak_alert(conn, alert_id, world.manager, at=T0)
    assert conn.execute("SELECT count(*) FROM leak_case").fetchone() == (0,)


def test_a_site_with_two_contractors_needs_the_one_named(conn: psycopg.Connection, world: World) -> None:
    second = save_contractor(conn, Contractor("北空調", "東京都第5678号", "13"))
    assign_contractor(conn, world.site_id, second)
    alert_id = _leak_alert(conn, world)
    with pytest.raises(RepairNotStarted, match="2 contractors are registered"):
        confirm_leak_alert(conn, alert_id, world.manager, at=T0)
    named = confirm_leak_alert(conn, alert_id, world.manager, at=T0, contractor_id=second)
    assert isinstance(named, Confirmed)
    assert conn.execute("SELECT contractor_id FROM ticket WHERE id = %s", (named.ticket_id,)).fetchone() == (second,)
