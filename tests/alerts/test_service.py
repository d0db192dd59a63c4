"""Detector events become alerts, leak alerts stay open until their manager acts, unacknowledged ones escalate,
and every change is audited and queued for delivery (REGULATION.md (p) ニ: the manager is notified at once, by a
means others cannot easily cancel, and the history is kept). Times are passed in: nothing sleeps."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from alerts.service import acknowledge as acknowledge_alert
from alerts.service import escalate_due, queue_daily_digests, resolve, sync_detector_events

from .conftest import T0, World, detector_event

HOUR = timedelta(hours=1)


def _alerts(conn: psycopg.Connection) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT * FROM alert ORDER BY id").fetchall()


def _audit(conn: psycopg.Connection, alert_id: int) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT action, allowed, actor, actor_user_id FROM alert_audit WHERE alert_id = %s ORDER BY id", (alert_id,)
    ).fetchall()


def _outbox(conn: psycopg.Connection) -> list[tuple[Any, ...]]:
    """(alert id, site id, kind, escalation level) of every queued notification, in order."""
    return conn.execute("SELECT alert_id, site_id, kind, escalation_level FROM alert_outbox ORDER BY id").fetchall()


def _raise_leak(conn: psycopg.Connection, world: World, unit: int | None = None) -> int:
    detector_event(conn, unit or world.unit, T0)
    assert sync_detector_events(conn) == 1
    return int(_alerts(conn)[-1]["id"])


# -- from detector events to alerts -------------------------------------------------------------------------


def test_a_leak_event_becomes_one_open_alert_with_its_audit_and_one_raised_notification(
    conn: psycopg.Connection, world: World
) -> None:
    event_id = detector_event(conn, world.unit, T0, severity="high", loss_pct=4.2)

    assert sync_detector_events(conn) == 1

    [alert] = _alerts(conn)
    assert (alert["equipment_id"], alert["circuit_no"], alert["category"]) == (world.unit, 1, "leak")
    assert (alert["status"], alert["severity"], alert["escalation_level"]) == ("raised", "high", 0)
    assert alert["raised_at"] == alert["updated_at"] == T0
    assert alert["first_seen"] == T0 - timedelta(hours=6)
    assert alert["estimated_charge_loss_pct"] == pytest.approx(4.2)
    assert alert["evidence"] == ["subcooling 2.1 K below baseline", "liquid temperature 3 K above baseline"]
    assert alert["acknowledged_at"] is alert["resolved_at"] is alert["detector_cleared_at"] is None
    assert _audit(conn, alert["id"]) == [("raised", True, "system", None)]
    details = conn.execute("SELECT details FROM alert_audit WHERE alert_id = %s", (alert["id"],)).fetchone()
    assert details == ({"detector_event": event_id},)
    # (p) ニ: the manager is told at once: one notification for the site, at escalation level 0.
    assert _outbox(conn) == [(alert["id"], world.site_id, "raised", 0)]
    payload = conn.execute("SELECT payload FROM alert_outbox").fetchone()
    assert payload is not None
    assert payload[0]["id"] == alert["id"]
    assert payload[0]["management_no"] == "SC-01"
    assert payload[0]["site_name"] == "新宿店"


def test_a_second_raised_event_updates_the_open_alert_instead_of_opening_another(
    conn: psycopg.Connection, world: World
) -> None:
    detector_event(conn, world.unit, T0, severity="high", loss_pct=4.2)
    detector_event(conn, world.unit, T0 + HOUR, severity="critical", loss_pct=15.5, message="15.5 % lost")

    assert sync_detector_events(conn) == 2

    [alert] = _alerts(conn)
    assert (alert["status"], alert["severity"], alert["message"]) == ("raised", "critical", "15.5 % lost")
    assert alert["estimated_charge_loss_pct"] == pytest.approx(15.5)
    assert alert["raised_at"] == T0  # the escalation clock runs from the first event
    assert alert["updated_at"] == T0 + HOUR
    assert [a[0] for a in _audit(conn, alert["id"])] == ["raised", "updated"]
    assert [row[2] for row in _outbox(conn)] == ["raised", "updated"]


def test_the_database_refuses_a_second_open_alert_for_the_same_unit_circuit_and_category(
    conn: psycopg.Connection, world: World
) -> None:
    _raise_leak(conn, world)
    insert = """INSERT INTO alert (equipment_id, circuit_no, category, severity, status, raised_at, updated_at, message)
                VALUES (%s, 1, %s, 'high', 'raised', %s, %s, 'again')"""
    with pytest.raises(psycopg.errors.UniqueViolation), conn.transaction():
        conn.execute(insert, (world.unit, "leak", T0, T0))
    conn.execute(insert, (world.unit, "condenser_fouling", T0, T0))  # another category is another alert
    conn.execute(insert.replace(", 1,", ", 2,"), (world.unit, "leak", T0, T0))  # so is another circuit


def test_a_cleared_leak_event_keeps_the_leak_alert_open_until_its_manager_resolves_it(
    conn: psycopg.Connection, world: World
) -> None:
    """A leak does not heal by itself: the detector no longer seeing it closes nothing (REGULATION.md (p) ニ)."""
    alert_id = _raise_leak(conn, world)
    detector_event(conn, world.unit, T0 + 3 * HOUR, status="cleared", severity="info", message="charge back")

    assert sync_detector_events(conn) == 1

    [alert] = _alerts(conn)
    assert alert["status"] == "raised"
    assert alert["detector_cleared_at"] == T0 + 3 * HOUR
    assert alert["resolved_at"] is None
    assert [a[0] for a in _audit(conn, alert_id)] == ["raised", "detector_cleared"]
    assert [row[2] for row in _outbox(conn)] == ["raised"]  # nothing tells the manager it went away

    detector_event(conn, world.unit, T0 + 5 * HOUR, loss_pct=6.0)  # seen again: the same alert, no longer cleared
    sync_detector_events(conn)
    [alert] = _alerts(conn)
    assert alert["detector_cleared_at"] is None
    assert [a[0] for a in _audit(conn, alert_id)] == ["raised", "detector_cleared", "updated"]


def test_only_the_manager_closes_a_leak_alert_and_a_refused_attempt_is_kept(
    conn: psycopg.Connection, world: World
) -> None:
    """(p) ニ: a means others cannot easily cancel. The company's administrator may not resolve a leak alert;
    the attempt is audited; the unit's manager may, with a reason. A new occurrence opens a new alert."""
    alert_id = _raise_leak(conn, world)

    refused = resolve(conn, alert_id, world.admin, from_address="192.0.2.7", reason="noise", now=T0 + HOUR)

    assert not refused.allowed
    assert _alerts(conn)[0]["status"] == "raised"
    assert _audit(conn, alert_id)[-1] == ("resolve_refused", False, "it", world.admin.user_id)
    with pytest.raises(ValueError, match="reason"):
        resolve(conn, alert_id, world.manager, from_address="192.0.2.8", reason=" ", now=T0 + HOUR)

    done = resolve(conn, alert_id, world.manager, from_address="192.0.2.8", reason="brazed joint", now=T0 + 2 * HOUR)

    assert done.allowed
    [alert] = _alerts(conn)
    assert (alert["status"], alert["resolved_at"]) == ("resolved", T0 + 2 * HOUR)
    assert _audit(conn, alert_id)[-1] == ("resolve", True, "tanaka", world.manager.user_id)
    assert [row[2] for row in _outbox(conn)] == ["raised", "resolved"]
    detector_event(conn, world.unit, T0 + 30 * HOUR)
    sync_detector_events(conn)
    assert [(a["id"] == alert_id, a["status"]) for a in _alerts(conn)] == [(True, "resolved"), (False, "raised")]


def test_a_cleared_non_leak_event_resolves_its_alert_by_the_system(conn: psycopg.Connection, world: World) -> None:
    detector_event(conn, world.unit, T0, category="condenser_fouling", severity="medium", loss_pct=None)
    detector_event(conn, world.unit, T0 + 2 * HOUR, category="condenser_fouling", status="cleared",
                   severity="info", loss_pct=None, message="condenser clean again")  # fmt: skip
    detector_event(conn, world.units[1], T0, category="sensor_drift", status="cleared", severity="info")

    assert sync_detector_events(conn) == 3

    [alert] = _alerts(conn)  # the clearing without an open alert opened nothing
    assert (alert["category"], alert["status"]) == ("condenser_fouling", "resolved")
    assert alert["resolved_at"] == T0 + 2 * HOUR
    assert _audit(conn, alert["id"]) == [("raised", True, "system", None), ("resolve", True, "system", None)]
    reason = conn.execute("SELECT reason FROM alert_audit WHERE action = 'resolve'").fetchone()
    assert reason == ("condenser clean again",)
    assert [row[2] for row in _outbox(conn)] == ["raised", "resolved"]


def test_the_watermark_takes_each_event_once(conn: psycopg.Connection, world: World) -> None:
    detector_event(conn, world.unit, T0)
    last = detector_event(conn, world.units[1], T0, category="overcharge", severity="medium")

    assert sync_detector_events(conn) == 2
    assert sync_detector_events(conn) == 0

    assert len(_alerts(conn)) == 2
    assert len(_outbox(conn)) == 2
    assert conn.execute("SELECT count(*) FROM alert_audit").fetchone() == (2,)
    assert conn.execute("SELECT last_event_id FROM alert_watermark").fetchone() == (last,)
    detector_event(conn, world.units[2], T0 + HOUR)
    assert sync_detector_events(conn) == 1
    assert sync_detector_events(conn, limit=10) == 0


def test_an_event_the_alert_table_refuses_is_skipped_and_does_not_block_the_others(
    conn: psycopg.Connection, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """One bad row must not stop every later leak from reaching its manager."""
    detector_event(conn, world.unit, T0, category="unheard_of")
    detector_event(conn, world.units[1], T0 + HOUR)

    assert sync_detector_events(conn) == 2

    assert [(a["equipment_id"], a["category"]) for a in _alerts(conn)] == [(world.units[1], "leak")]
    assert "cannot become an alert" in caplog.text
    assert sync_detector_events(conn) == 0


def test_a_leak_alert_carries_its_leak_rate_from_the_hourly_charge_estimates(
    conn: psycopg.Connection, world: World
) -> None:
    """kg/year and t-CO2/year from the slope of the hourly estimate: 1 %/day of 12 kg R404A (GWP 3920)."""
    for hour in range(48):
        at = T0 - timedelta(hours=48 - hour)
        conn.execute(
            "INSERT INTO detector_hour (equipment_id, circuit_no, hour_utc, model_version, has_data, lost_pct) "
            "VALUES (%s, 1, %s, 1, true, %s)",
            (world.unit, at, 2.0 + hour / 24),
        )

    _raise_leak(conn, world)

    [alert] = _alerts(conn)
    assert alert["kg_per_year"] == Decimal("43.800")  # 1 % x 12 kg x 365
    assert alert["t_co2_per_year"] == Decimal("171.696")  # x 3920 / 1000


def test_alert_history_cannot_be_deleted_or_rewritten(conn: psycopg.Connection, world: World) -> None:
    """(p) ニ: the notification history is kept at least one year; here it is never deleted."""
    alert_id = _raise_leak(conn, world)
    for statement in ("DELETE FROM alert", "DELETE FROM alert_audit", "UPDATE alert_audit SET reason = 'x'",
                      "DELETE FROM alert_outbox"):  # fmt: skip
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="history is kept"), conn.transaction():
            conn.execute(statement)
    assert len(_audit(conn, alert_id)) == 1


# -- escalation ---------------------------------------------------------------------------------------------


def test_an_unacknowledged_leak_alert_escalates_at_exactly_the_delay_then_one_level_more_up_to_the_company(
    conn: psycopg.Connection, world: World
) -> None:
    """Site → branch after 4 h → company after 8 h; the company is the top."""
    alert_id = _raise_leak(conn, world)

    assert escalate_due(conn, T0 + timedelta(hours=3, minutes=59, seconds=59)) == 0
    assert escalate_due(conn, T0 + 4 * HOUR) == 1
    assert escalate_due(conn, T0 + 4 * HOUR) == 0  # once per level
    assert escalate_due(conn, T0 + 7 * HOUR + 59 * timedelta(minutes=1)) == 0
    assert _alerts(conn)[0]["escalation_level"] == 1
    assert escalate_due(conn, T0 + 8 * HOUR) == 1
    assert escalate_due(conn, T0 + 12 * HOUR) == 0
    assert escalate_due(conn, T0 + 400 * HOUR) == 0

    [alert] = _alerts(conn)
    assert (alert["status"], alert["escalation_level"], alert["updated_at"]) == ("raised", 2, T0 + 8 * HOUR)
    assert _outbox(conn) == [(alert_id, world.site_id, "raised", 0), (alert_id, world.site_id, "escalated", 1),
                             (alert_id, world.site_id, "escalated", 2)]  # fmt: skip
    escalations = conn.execute(
        "SELECT at, actor, reason, details FROM alert_audit WHERE action = 'escalate' ORDER BY id"
    ).fetchall()
    assert escalations == [(T0 + 4 * HOUR, "system", "not acknowledged within 4:00:00", {"level": 1}),
                           (T0 + 8 * HOUR, "system", "not acknowledged within 8:00:00", {"level": 2})]  # fmt: skip


def test_the_escalation_delay_is_a_parameter(conn: psycopg.Connection, world: World) -> None:
    _raise_leak(conn, world)
    delay = timedelta(minutes=30)
    assert escalate_due(conn, T0 + delay - timedelta(seconds=1), delay) == 0
    assert escalate_due(conn, T0 + delay, delay) == 1
    assert escalate_due(conn, T0 + 2 * delay, delay) == 1


def test_an_acknowledged_leak_alert_does_not_escalate(conn: psycopg.Connection, world: World) -> None:
    alert_id = _raise_leak(conn, world)
    decision = acknowledge_alert(conn, alert_id, world.manager, from_address="192.0.2.8", reason="on my way",
                                 now=T0 + HOUR)  # fmt: skip
    assert decision.allowed

    assert escalate_due(conn, T0 + 4 * HOUR) == 0
    assert escalate_due(conn, T0 + 9 * HOUR) == 0

    [alert] = _alerts(conn)
    assert (alert["status"], alert["escalation_level"]) == ("acknowledged", 0)
    assert [row[2] for row in _outbox(conn)] == ["raised", "acknowledged"]


def test_an_alert_refused_an_acknowledgement_still_escalates(conn: psycopg.Connection, world: World) -> None:
    """Someone other than the manager cannot stop the escalation by acknowledging (p) ニ."""
    alert_id = _raise_leak(conn, world)
    refused = acknowledge_alert(conn, alert_id, world.admin, from_address="192.0.2.7", reason="seen", now=T0 + HOUR)
    assert not refused.allowed
    assert escalate_due(conn, T0 + 4 * HOUR) == 1


def test_alerts_other_than_leaks_do_not_escalate(conn: psycopg.Connection, world: World) -> None:
    detector_event(conn, world.unit, T0, category="condenser_fouling", severity="medium")
    sync_detector_events(conn)
    assert escalate_due(conn, T0 + 100 * HOUR) == 0


# -- digests ------------------------------------------------------------------------------------------------


def test_the_daily_digest_is_one_notification_per_site_with_open_alerts(conn: psycopg.Connection, world: World) -> None:
    assert queue_daily_digests(conn, T0) == 0  # nothing open, nothing queued
    for unit in world.units[:2]:
        detector_event(conn, unit, T0)
    detector_event(conn, world.units[2], T0, category="evaporator_icing", severity="medium")
    detector_event(conn, world.units[2], T0 + HOUR, category="evaporator_icing", status="cleared", severity="info")
    detector_event(conn, world.other_unit, T0, category="overcharge", severity="medium")
    sync_detector_events(conn)
    first_leak = _alerts(conn)[0]["id"]
    acknowledge_alert(conn, first_leak, world.manager, from_address="", reason="", now=T0 + HOUR)
    before = len(_outbox(conn))

    assert queue_daily_digests(conn, T0 + 22 * HOUR) == 2

    with conn.cursor(row_factory=dict_row) as cur:
        digests = cur.execute("SELECT * FROM alert_outbox WHERE kind = 'digest' ORDER BY site_id").fetchall()
    assert len(_outbox(conn)) == before + 2
    assert [(d["site_id"], d["alert_id"]) for d in digests] == [(world.site_id, None), (world.other_site_id, None)]
    shinjuku = digests[0]["payload"]
    assert shinjuku["kind"] == "digest"
    assert shinjuku["at"] == (T0 + 22 * HOUR).isoformat()
    # Open means not resolved: the acknowledged leak is still listed, the resolved icing is not.
    assert sorted((a["equipment_id"], a["status"]) for a in shinjuku["alerts"]) == [
        (world.units[0], "acknowledged"),
        (world.units[1], "raised"),
    ]
    assert [a["category"] for a in digests[1]["payload"]["alerts"]] == ["overcharge"]
