"""The 60-day repair deadline of an emergency-charged leak, kept in front of people (REGULATION.md (d2) case 2):
reminders at the configured points before it (default 30, 14, 7 and 1 days), then, once it has passed without a
repair, an overdue alert that goes at once to the organisation level above the site (escalation level 1). Both
travel as alerts, so they reach the manager's and the contractor's channels through the same outbox and audit.
The day is passed in.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

import psycopg

from alerts.service import notify
from compliance.tickets import REMINDER_POINTS, LeakCase, reminders_due, repair_deadline_status
from storage import alert_queries as q


def remind_and_escalate(
    conn: psycopg.Connection, today: date, now: datetime, points: Collection[int] = REMINDER_POINTS
) -> tuple[int, int]:
    """Send the reminders due on ``today`` and raise the overdue repairs; returns (reminders, overdue)."""
    reminded = overdue = 0
    for leak in _unrepaired(conn):
        status = repair_deadline_status(leak, today)
        if status.overdue:
            overdue += _raise(conn, leak, "repair_overdue", "critical", now, escalate=True,
                              message=f"repair overdue: the leak confirmed on {leak.confirmed_on} had to be "
                              f"repaired by {status.deadline} (REGULATION.md (d2) case 2)")  # fmt: skip
            continue
        due = reminders_due(today, status.deadline, points, _sent(conn, leak.id))
        if due:
            _raise(conn, leak, "repair_due", "high", now, escalate=False,
                   message=f"repair due by {status.deadline} ({status.days_left} days left) for the leak "
                   f"confirmed on {leak.confirmed_on} (REGULATION.md (d2) case 2)")  # fmt: skip
            conn.execute(
                "INSERT INTO repair_reminder (leak_case_id, days_before, sent_at) SELECT %s, unnest(%s::int[]), %s",
                (leak.id, list(due), now),
            )
            reminded += 1
    _resolve_repaired(conn, now)
    return reminded, overdue


def _resolve_repaired(conn: psycopg.Connection, now: datetime) -> None:
    """A repair recorded closes its deadline alerts, by the system."""
    rows = conn.execute(
        """SELECT a.id FROM alert a WHERE a.category IN ('repair_due', 'repair_overdue') AND a.status <> 'resolved'
             AND NOT EXISTS (SELECT 1 FROM leak_case l WHERE l.equipment_id = a.equipment_id
                             AND l.circuit_no = a.circuit_no AND l.repaired_on IS NULL)"""
    ).fetchall()
    for (alert_id,) in rows:
        q.update_alert(conn, int(alert_id), {"status": "resolved", "resolved_at": now, "updated_at": now})
        q.audit(conn, int(alert_id), "resolve", at=now, reason="the repair is recorded")
        notify(conn, int(alert_id), "resolved")


def _unrepaired(conn: psycopg.Connection) -> list[LeakCase]:
    rows = conn.execute(
        """SELECT id, equipment_id, circuit_no, confirmed_on, hard_to_reach_reason, planned_repair_on, repaired_on,
                  verified_on FROM leak_case WHERE repaired_on IS NULL ORDER BY id"""
    ).fetchall()
    return [LeakCase(int(r[0]), int(r[1]), int(r[2]), *r[3:]) for r in rows]


def _sent(conn: psycopg.Connection, leak_case_id: int) -> set[int]:
    rows = conn.execute("SELECT days_before FROM repair_reminder WHERE leak_case_id = %s", (leak_case_id,)).fetchall()
    return {int(r[0]) for r in rows}


def _raise(
    conn: psycopg.Connection, leak: LeakCase, category: str, severity: str, now: datetime, *, escalate: bool,
    message: str,
) -> int:  # fmt: skip
    """Open the alert (or update the open one); returns 1 when a new alert was opened."""
    existing = q.open_alert(conn, leak.equipment_id, leak.circuit_no, category)
    if existing is not None:
        if existing["message"] != message:
            q.update_alert(conn, existing["id"], {"message": message, "updated_at": now})
            q.audit(conn, existing["id"], "updated", at=now, reason=message)
            notify(conn, existing["id"], "updated")
        return 0
    alert_id = q.insert_alert(
        conn,
        {"equipment_id": leak.equipment_id, "circuit_no": leak.circuit_no, "category": category,
         "severity": severity, "raised_at": now, "first_seen": None, "estimated_charge_loss_pct": None,
         "kg_per_year": None, "t_co2_per_year": None, "message": message, "evidence": [],
         "detector": "compliance:repair-deadline"},
    )  # fmt: skip
    if escalate:
        q.update_alert(conn, alert_id, {"escalation_level": 1})
    q.audit(conn, alert_id, "raised", at=now, reason=message)
    notify(conn, alert_id, "escalated" if escalate else "raised")
    return 1
