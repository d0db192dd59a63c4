"""Verification after repair, for monitored units: the repair is verified once the operating values have stayed
at the unit's baseline for a while after the contractor recorded it — no leak condition in any judged hour and the
charge estimate near zero — and the detector baseline is then re-learned on those hours (the unit after repair
and recharge is the new normal). Units without a detector model wait for the contractor's or manager's own
verification (the post-repair leak check, 修理後点検).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import psycopg

from compliance.ticket_service import local_date
from compliance.tickets import Status
from storage import ticket_queries as q

QUIET_HOURS = 72  # judged hours at the baseline after the repair before it counts as verified
MAX_LOSS_PCT = 1.0  # the charge estimate must stay within this of the baseline's
Relearn = Callable[[psycopg.Connection, int, int, datetime, datetime], object]  # (conn, unit, circuit, since, until)


def verify_from_operating_values(
    conn: psycopg.Connection, now: datetime, relearn: Relearn | None, quiet_hours: int = QUIET_HOURS,
    max_loss_pct: float = MAX_LOSS_PCT,
) -> list[int]:  # fmt: skip
    """Verify every repaired ticket whose unit has run at its baseline for ``quiet_hours`` judged hours since the
    repair; returns the tickets verified."""
    verified = []
    for ticket_id, equipment_id, circuit_no, leak_case_id, repaired_at in _repaired_monitored(conn):
        if not _at_baseline(conn, equipment_id, circuit_no, repaired_at, quiet_hours, max_loss_pct):
            continue
        note = f"operating values at the baseline for {quiet_hours} judged hours after the repair"
        q.set_ticket_status(conn, ticket_id, Status.VERIFIED, now)
        q.insert_transition(conn, ticket_id, Status.REPAIRED, Status.VERIFIED, at=now, actor_user_id=None,
                            actor="system", qualified_person=None, note=note)  # fmt: skip
        if leak_case_id is not None:
            q.update_leak_case(conn, leak_case_id, {"verified_on": local_date(now)})
        if relearn is not None:
            relearn(conn, equipment_id, circuit_no, repaired_at + timedelta(hours=1), now)
        verified.append(ticket_id)
    return verified


def _repaired_monitored(conn: psycopg.Connection) -> list[tuple[int, int, int, int | None, datetime]]:
    rows = conn.execute(
        """SELECT t.id, t.equipment_id, t.circuit_no, t.leak_case_id,
                  (SELECT max(at) FROM ticket_transition r WHERE r.ticket_id = t.id AND r.to_status = 'repaired')
           FROM ticket t WHERE t.status = 'repaired'
             AND EXISTS (SELECT 1 FROM detector_model m WHERE m.equipment_id = t.equipment_id
                         AND m.circuit_no = t.circuit_no)
           ORDER BY t.id"""
    ).fetchall()
    return [(int(r[0]), int(r[1]), int(r[2]), r[3], r[4]) for r in rows if r[4] is not None]


def _at_baseline(
    conn: psycopg.Connection, equipment_id: int, circuit_no: int, since: datetime, hours: int, max_loss_pct: float
) -> bool:
    row = conn.execute(
        """SELECT count(*), count(*) FILTER (WHERE 'leak' = ANY(conditions) OR lost_pct > %s OR lost_pct IS NULL)
           FROM detector_hour WHERE equipment_id = %s AND circuit_no = %s AND hour_utc >= %s AND has_data""",
        (max_loss_pct, equipment_id, circuit_no, since),
    ).fetchone()
    judged, off = (int(row[0]), int(row[1])) if row else (0, 0)
    return judged >= hours and off == 0
