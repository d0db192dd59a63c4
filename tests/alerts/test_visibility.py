"""Who sees which alerts: the limit counts visible alerts only, and a delegate sees what they were named for."""

from __future__ import annotations

from datetime import timedelta

import psycopg

from alerts.service import alert_detail, visible_alerts
from storage import alert_queries as q
from tests.alerts.conftest import T0, World, add_user

CATEGORIES = ("leak", "condenser_fouling", "sensor_drift", "other_fault")


def _alert(conn: psycopg.Connection, equipment_id: int, category: str, minutes: int) -> int:
    return q.insert_alert(
        conn,
        {"equipment_id": equipment_id, "circuit_no": 1, "category": category, "severity": "high",
         "raised_at": T0 + timedelta(minutes=minutes), "first_seen": None, "estimated_charge_loss_pct": None,
         "kg_per_year": None, "t_co2_per_year": None, "message": category, "evidence": [], "detector": "test"},
    )  # fmt: skip


def test_newer_alerts_elsewhere_do_not_crowd_out_the_managers_own(conn: psycopg.Connection, world: World) -> None:
    own = _alert(conn, world.unit, "leak", 0)
    for minutes, category in enumerate(CATEGORIES, start=1):
        _alert(conn, world.other_unit, category, minutes)  # another site, newer
    seen = visible_alerts(conn, world.manager, limit=2)
    assert [a["id"] for a in seen] == [own]


def test_a_delegate_sees_the_alerts_of_the_manager_who_named_them(conn: psycopg.Connection, world: World) -> None:
    own = _alert(conn, world.unit, "leak", 0)
    delegate = add_user(conn, "deputy@example.jp", "viewer", site_id=world.other_site_id)
    assert alert_detail(conn, own, delegate) is None
    conn.execute(
        "INSERT INTO alert_delegate (manager_user_id, delegate_user_id) VALUES (%s, %s)",
        (world.manager.user_id, delegate.user_id),
    )
    detail = alert_detail(conn, own, delegate)
    assert detail is not None and detail["id"] == own
