"""Queries of the alert tables (migration 0009). Alerts and their audit are inserted and updated, never deleted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from alerts.lifecycle import Grant, Person, Scope

ALERT_COLUMNS = """a.id, a.equipment_id, a.circuit_no, a.category, a.severity, a.status, a.escalation_level,
    a.raised_at, a.first_seen, a.updated_at, a.acknowledged_at, a.resolved_at, a.estimated_charge_loss_pct,
    a.kg_per_year, a.t_co2_per_year, a.message, a.evidence, a.detector, a.detector_cleared_at,
    e.management_no, e.kind, e.refrigerant, e.charge_kg, s.id AS site_id, s.site_code, s.name AS site_name"""
ALERT_FROM = "alert a JOIN equipment e ON e.id = a.equipment_id JOIN site s ON s.id = e.site_id"


@dataclass(frozen=True)
class DetectorEvent:
    id: int
    equipment_id: int
    circuit_no: int
    ts: datetime
    category: str
    status: str
    severity: str
    estimated_charge_loss_pct: float | None
    detector: str
    message: str
    first_seen: datetime | None
    evidence: list[str]


def new_detector_events(conn: psycopg.Connection, limit: int = 1000) -> list[DetectorEvent]:
    """Detector events not yet turned into alerts, oldest first; locks the watermark for this transaction."""
    conn.execute("INSERT INTO alert_watermark VALUES ('detector_event', 0) ON CONFLICT DO NOTHING")
    (last,) = conn.execute(
        "SELECT last_event_id FROM alert_watermark WHERE source = 'detector_event' FOR UPDATE"
    ).fetchone() or (0,)
    rows = conn.execute(
        """SELECT id, equipment_id, circuit_no, ts, category, status, severity, estimated_charge_loss_pct,
                  detector, message, first_seen, evidence
           FROM detector_event WHERE id > %s ORDER BY id LIMIT %s""",
        (last, limit),
    ).fetchall()
    return [
        DetectorEvent(int(r[0]), int(r[1]), int(r[2]), r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], list(r[11]))
        for r in rows
    ]


def advance_watermark(conn: psycopg.Connection, last_event_id: int) -> None:
    conn.execute("UPDATE alert_watermark SET last_event_id = %s WHERE source = 'detector_event'", (last_event_id,))


def open_alert(conn: psycopg.Connection, equipment_id: int, circuit_no: int, category: str) -> dict[str, Any] | None:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"SELECT {ALERT_COLUMNS} FROM {ALERT_FROM} WHERE a.equipment_id = %s AND a.circuit_no = %s "
            "AND a.category = %s AND a.status <> 'resolved' FOR UPDATE OF a",
            (equipment_id, circuit_no, category),
        ).fetchone()


def alert_by_id(conn: psycopg.Connection, alert_id: int, lock: bool = False) -> dict[str, Any] | None:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"SELECT {ALERT_COLUMNS} FROM {ALERT_FROM} WHERE a.id = %s" + (" FOR UPDATE OF a" if lock else ""),
            (alert_id,),
        ).fetchone()


def insert_alert(conn: psycopg.Connection, values: dict[str, Any]) -> int:
    row = conn.execute(
        """INSERT INTO alert (equipment_id, circuit_no, category, severity, status, raised_at, first_seen, updated_at,
               estimated_charge_loss_pct, kg_per_year, t_co2_per_year, message, evidence, detector)
           VALUES (%(equipment_id)s, %(circuit_no)s, %(category)s, %(severity)s, 'raised', %(raised_at)s,
               %(first_seen)s, %(raised_at)s, %(estimated_charge_loss_pct)s, %(kg_per_year)s, %(t_co2_per_year)s,
               %(message)s, %(evidence)s, %(detector)s)
           RETURNING id""",
        {**values, "evidence": Jsonb(values["evidence"])},
    ).fetchone()
    assert row is not None
    return int(row[0])


def update_alert(conn: psycopg.Connection, alert_id: int, changes: dict[str, Any]) -> None:
    assignments = ", ".join(f"{column} = %({column})s" for column in changes)
    values = {k: Jsonb(v) if k == "evidence" else v for k, v in changes.items()}
    conn.execute(f"UPDATE alert SET {assignments} WHERE id = %(alert_id)s", {**values, "alert_id": alert_id})


def audit(
    conn: psycopg.Connection,
    alert_id: int,
    action: str,
    *,
    allowed: bool = True,
    person: Person | None = None,
    from_address: str = "",
    reason: str = "",
    at: datetime,
    details: dict[str, Any] | None = None,
) -> None:
    conn.execute(
        """INSERT INTO alert_audit (alert_id, at, action, allowed, actor_user_id, actor, from_address, reason, details)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (alert_id, at, action, allowed, person.user_id if person else None, person.name if person else "system",
         from_address, reason, Jsonb(details or {})),
    )  # fmt: skip


def queue(conn: psycopg.Connection, alert: dict[str, Any], kind: str, payload: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO alert_outbox (alert_id, site_id, kind, escalation_level, payload) VALUES (%s, %s, %s, %s, %s)",
        (alert["id"], alert["site_id"], kind, alert["escalation_level"], Jsonb(payload)),
    )


def queue_digest(conn: psycopg.Connection, site_id: int, payload: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO alert_outbox (alert_id, site_id, kind, payload) VALUES (NULL, %s, 'digest', %s)",
        (site_id, Jsonb(payload)),
    )


def scope_of_site(conn: psycopg.Connection, site_id: int) -> Scope:
    rows = conn.execute(
        """WITH RECURSIVE up AS (
               SELECT o.id, o.parent_id, o.depth FROM organisation o JOIN site s ON s.organisation_id = o.id
               WHERE s.id = %s
               UNION ALL SELECT o.id, o.parent_id, o.depth FROM organisation o JOIN up ON o.id = up.parent_id)
           SELECT id FROM up ORDER BY depth DESC""",
        (site_id,),
    ).fetchall()
    return Scope(site_id, tuple(int(r[0]) for r in rows))


def person(conn: psycopg.Connection, user_id: int) -> Person | None:
    row = conn.execute(
        "SELECT coalesce(nullif(display_name, ''), email) FROM app_user WHERE id = %s AND is_active", (user_id,)
    ).fetchone()
    if row is None:
        return None
    grants = conn.execute(
        "SELECT role, organisation_id, site_id, contractor_id FROM role_assignment WHERE user_id = %s", (user_id,)
    ).fetchall()
    return Person(user_id, str(row[0]), tuple(Grant(*g) for g in grants))


def delegator_ids(conn: psycopg.Connection, user_id: int) -> list[int]:
    rows = conn.execute(
        "SELECT manager_user_id FROM alert_delegate WHERE delegate_user_id = %s AND revoked_at IS NULL", (user_id,)
    ).fetchall()
    return [int(r[0]) for r in rows]


def alerts_where(conn: psycopg.Connection, condition: str, params: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"SELECT {ALERT_COLUMNS} FROM {ALERT_FROM} WHERE {condition} ORDER BY a.raised_at DESC LIMIT %(limit)s",
            {**params, "limit": limit},
        ).fetchall()


def history(conn: psycopg.Connection, alert_id: int) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            """SELECT id, at, action, allowed, actor_user_id, actor, from_address, reason, details
               FROM alert_audit WHERE alert_id = %s ORDER BY id""",
            (alert_id,),
        ).fetchall()


def recent_loss(
    conn: psycopg.Connection, equipment_id: int, circuit_no: int, since: datetime
) -> list[tuple[float, float]]:
    """(epoch seconds, estimated % lost) per judged hour since ``since`` (the detectors' hourly verdicts)."""
    rows = conn.execute(
        """SELECT extract(epoch FROM hour_utc), lost_pct FROM detector_hour
           WHERE equipment_id = %s AND circuit_no = %s AND hour_utc >= %s AND lost_pct IS NOT NULL ORDER BY 1""",
        (equipment_id, circuit_no, since),
    ).fetchall()
    return [(float(t), float(v)) for t, v in rows]


def visible_sites(
    conn: psycopg.Connection, site_ids: Sequence[int], organisation_ids: Sequence[int], contractor_ids: Sequence[int]
) -> list[int]:
    """Sites named, sites under the organisation levels named (at any depth), and sites the contractors serve."""
    rows = conn.execute(
        """WITH RECURSIVE below AS (
               SELECT id FROM organisation WHERE id = ANY(%(orgs)s)
               UNION SELECT o.id FROM organisation o JOIN below b ON o.parent_id = b.id)
           SELECT id FROM site WHERE id = ANY(%(sites)s) OR organisation_id IN (SELECT id FROM below)
           UNION SELECT site_id FROM site_contractor WHERE contractor_id = ANY(%(contractors)s)""",
        {"orgs": list(organisation_ids), "sites": list(site_ids), "contractors": list(contractor_ids)},
    ).fetchall()
    return sorted(int(r[0]) for r in rows)
