"""Inspection reminders (a job of `fluorowatch worker`): the manager hears when a unit's simple or periodic
inspection (REGULATION.md (b1), (b2)) becomes due soon (compliance.schedule, ``lead_days`` before its due date) and
again when it is overdue; once per unit, kind, due date and stage (table inspection_reminder). They travel as
alerts (categories inspection_due, inspection_overdue), like the repair deadlines of compliance.deadline_jobs, so
they reach the site's channels through the same outbox, routing and audit. An inspection recorded in the logbook
moves the due date on, and the open reminder alert is resolved by the system. The day is passed in.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import psycopg

from alerts.service import notify
from compliance.schedule import DEFAULT_LEAD_DAYS, DueStatus, InspectionDue
from compliance.unit_status import assess
from storage import alert_queries as q
from storage.equipment_queries import units

DETECTOR = "compliance:inspection"
_STAGES = {DueStatus.DUE_SOON: ("due_soon", "inspection_due", "medium"),
           DueStatus.OVERDUE: ("overdue", "inspection_overdue", "high")}  # fmt: skip
_KIND_LABEL = {"simple": "simple inspection (簡易点検)", "periodic": "periodic inspection (定期点検)"}


def remind_inspections(conn: psycopg.Connection, today: date, now: datetime, lead_days: int = DEFAULT_LEAD_DAYS) -> int:
    """Raise the reminders not sent yet for ``today``'s due-soon and overdue inspections, and resolve reminder
    alerts whose inspection is no longer due; returns the reminders sent (one per unit, kind, due date, stage)."""
    site_ids = [int(r[0]) for r in conn.execute("SELECT id FROM site").fetchall()]
    sent = 0
    current: set[tuple[int, str]] = set()  # (unit, alert category) still due
    for unit in units(conn, site_ids):
        plan = assess(unit, today, lead_days).schedule
        by_category: dict[str, list[InspectionDue]] = {}
        for due in plan.inspections():
            if due.due_on is not None and due.status in _STAGES:
                by_category.setdefault(_STAGES[due.status][1], []).append(due)
        for category, items in by_category.items():
            current.add((int(unit["id"]), category))
            new = [due for due in items if _claim(conn, int(unit["id"]), due, now)]
            if new:
                alert_id = _raise(conn, unit, category, items, now)
                for due in new:
                    conn.execute(
                        "UPDATE inspection_reminder SET alert_id = %s WHERE equipment_id = %s AND kind = %s"
                        " AND due_on = %s AND stage = %s",
                        (alert_id, int(unit["id"]), due.kind.value, due.due_on, _STAGES[due.status][0]),
                    )
                sent += len(new)
    _resolve_done(conn, current, now)
    return sent


def _claim(conn: psycopg.Connection, unit: int, due: InspectionDue, now: datetime) -> bool:
    row = conn.execute(
        "INSERT INTO inspection_reminder (equipment_id, kind, due_on, stage, sent_at) VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT DO NOTHING RETURNING 1",
        (unit, due.kind.value, due.due_on, _STAGES[due.status][0], now),
    ).fetchone()
    return row is not None


def _message(unit: dict[str, Any], items: list[InspectionDue]) -> str:
    parts = [
        f"{_KIND_LABEL[due.kind.value]} {'was due by' if due.status is DueStatus.OVERDUE else 'due by'} {due.due_on}"
        + (" (before the unit runs again)" if due.due_before_restart else "")
        for due in items
    ]
    return f"{unit['management_no']}: " + "; ".join(parts) + " (REGULATION.md (b1), (b2))"


def _raise(conn: psycopg.Connection, unit: dict[str, Any], category: str, items: list[InspectionDue],
           now: datetime) -> int:  # fmt: skip
    """Open the unit's reminder alert of ``category`` (or update the open one); returns its id."""
    circuits = unit["circuits"] or [{"circuit_no": 1}]
    circuit_no = int(circuits[0]["circuit_no"])
    message = _message(unit, items)
    existing = q.open_alert(conn, int(unit["id"]), circuit_no, category)
    if existing is not None:
        if existing["message"] != message:
            q.update_alert(conn, existing["id"], {"message": message, "updated_at": now})
            q.audit(conn, existing["id"], "updated", at=now, reason=message)
            notify(conn, existing["id"], "updated")
        return int(existing["id"])
    severity = next(stage[2] for stage in _STAGES.values() if stage[1] == category)
    alert_id = q.insert_alert(
        conn,
        {"equipment_id": int(unit["id"]), "circuit_no": circuit_no, "category": category, "severity": severity,
         "raised_at": now, "first_seen": None, "estimated_charge_loss_pct": None, "kg_per_year": None,
         "t_co2_per_year": None, "message": message, "evidence": [], "detector": DETECTOR},
    )  # fmt: skip
    q.audit(conn, alert_id, "raised", at=now, reason=message)
    notify(conn, alert_id, "raised")
    return alert_id


def _resolve_done(conn: psycopg.Connection, current: set[tuple[int, str]], now: datetime) -> None:
    """A reminder alert whose unit no longer has an inspection at that stage (recorded, or now overdue) closes."""
    rows = conn.execute(
        "SELECT id, equipment_id, category FROM alert WHERE detector = %s AND status <> 'resolved'", (DETECTOR,)
    ).fetchall()
    for alert_id, unit, category in rows:
        if (int(unit), str(category)) in current:
            continue
        q.update_alert(conn, int(alert_id), {"status": "resolved", "resolved_at": now, "updated_at": now})
        q.audit(conn, int(alert_id), "resolve", at=now, reason="the inspection is no longer at this stage")
        notify(conn, int(alert_id), "resolved")
