"""A silent circuit is an alert like any fault: continuous monitoring replaces the simple inspection only while
it measures every day (REGULATION.md (p) イ/ロ)."""

from __future__ import annotations

from datetime import timedelta

import psycopg

from alerts.data_gaps import sync_data_gaps
from tests.alerts.conftest import T0, World


def _silence(conn: psycopg.Connection, equipment_id: int) -> None:
    conn.execute(
        "INSERT INTO data_gap (kind, equipment_id, circuit_no, silent_since, opened_at) "
        "VALUES ('circuit_silent', %s, 1, %s, %s)",
        (equipment_id, T0 - timedelta(minutes=40), T0),
    )


def _open_gap_alerts(conn: psycopg.Connection) -> list[tuple[int, str]]:
    rows = conn.execute(
        "SELECT equipment_id, message FROM alert WHERE category = 'data_gap' AND status <> 'resolved' ORDER BY 1"
    ).fetchall()
    return [(int(e), str(m)) for e, m in rows]


def test_a_silent_circuit_raises_one_data_gap_alert_and_queues_it(conn: psycopg.Connection, world: World) -> None:
    _silence(conn, world.unit)
    assert sync_data_gaps(conn, T0) == (1, 0)
    assert sync_data_gaps(conn, T0 + timedelta(minutes=1)) == (0, 0)  # one open alert per circuit, not one a minute
    [(unit, message)] = _open_gap_alerts(conn)
    assert unit == world.unit and "no readings from circuit 1 since" in message
    queued = conn.execute("SELECT kind FROM alert_outbox WHERE payload->>'category' = 'data_gap'").fetchall()
    assert queued == [("raised",)]


def test_a_circuit_heard_again_resolves_its_alert_by_the_system(conn: psycopg.Connection, world: World) -> None:
    _silence(conn, world.unit)
    sync_data_gaps(conn, T0)
    conn.execute("UPDATE data_gap SET closed_at = %s WHERE equipment_id = %s", (T0 + timedelta(hours=1), world.unit))
    assert sync_data_gaps(conn, T0 + timedelta(hours=1)) == (0, 1)
    assert _open_gap_alerts(conn) == []
    audit = conn.execute("SELECT action, actor, reason FROM alert_audit ORDER BY id").fetchall()
    assert audit[-1] == ("resolve", "system", "readings arrive again")


def test_a_whole_site_going_silent_is_one_alert_per_circuit_queued_for_the_same_site(
    conn: psycopg.Connection, world: World
) -> None:
    for unit in world.units:
        _silence(conn, unit)
    assert sync_data_gaps(conn, T0) == (len(world.units), 0)
    sites = conn.execute("SELECT DISTINCT site_id FROM alert_outbox").fetchall()
    assert sites == [(world.site_id,)]  # delivery groups one site's rows into one message per channel
