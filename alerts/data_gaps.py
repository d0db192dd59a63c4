"""Data gaps become alerts: a circuit the system cannot see is a circuit it cannot vouch for. Continuous
monitoring replaces the simple inspection only while it measures every day (REGULATION.md (p) イ/ロ), so a
silent circuit must reach the manager like any fault. An agent going offline silences all its circuits; their
alerts leave for a site in one grouped message (alerts/delivery.py), not one per circuit.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

from alerts.lifecycle import Status
from alerts.service import notify
from storage import alert_queries as q

CATEGORY = "data_gap"


def sync_data_gaps(conn: psycopg.Connection, now: datetime) -> tuple[int, int]:
    """Open an alert for each circuit that went silent, resolve the alerts of circuits heard again.
    Returns (raised, resolved)."""
    silent = conn.execute(
        """SELECT g.equipment_id, g.circuit_no, g.silent_since FROM data_gap g
           JOIN equipment e ON e.id = g.equipment_id
           WHERE g.kind = 'circuit_silent' AND g.closed_at IS NULL
             AND NOT EXISTS (SELECT 1 FROM alert a WHERE a.equipment_id = g.equipment_id
                             AND a.circuit_no = g.circuit_no AND a.category = 'data_gap' AND a.status <> 'resolved')"""
    ).fetchall()
    for equipment_id, circuit_no, since in silent:
        _raise(conn, int(equipment_id), int(circuit_no), since, now)
    heard = conn.execute(
        """SELECT a.id FROM alert a WHERE a.category = 'data_gap' AND a.status <> 'resolved'
             AND NOT EXISTS (SELECT 1 FROM data_gap g WHERE g.kind = 'circuit_silent' AND g.closed_at IS NULL
                             AND g.equipment_id = a.equipment_id AND g.circuit_no = a.circuit_no)"""
    ).fetchall()
    for (alert_id,) in heard:
        q.update_alert(conn, int(alert_id), {"status": Status.RESOLVED.value, "resolved_at": now, "updated_at": now})
        q.audit(conn, int(alert_id), "resolve", at=now, reason="readings arrive again")
        notify(conn, int(alert_id), "resolved")
    return len(silent), len(heard)


def _raise(conn: psycopg.Connection, equipment_id: int, circuit_no: int, since: datetime | None, now: datetime) -> None:
    when = since.isoformat(timespec="minutes") if since is not None else "ever"
    alert_id = q.insert_alert(
        conn,
        {"equipment_id": equipment_id, "circuit_no": circuit_no, "category": CATEGORY, "severity": "medium",
         "raised_at": now, "first_seen": since, "estimated_charge_loss_pct": None, "kg_per_year": None,
         "t_co2_per_year": None, "message": f"no readings from circuit {circuit_no} since {when}",
         "evidence": [], "detector": "ingest:data-gap"},
    )  # fmt: skip
    q.audit(conn, alert_id, "raised", at=now)
    notify(conn, alert_id, "raised")
