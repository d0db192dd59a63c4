"""A leak alert becomes a repair: the unit's manager confirms it (REGULATION.md (d1): once a leak is confirmed,
the leak point must be found and repaired), which records the leak case — day 0 of the 60 days of (d2) case 2 —
and opens a ticket for the site's contractor. A policy may confirm by itself when the estimated loss is large.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import psycopg

from alerts.lifecycle import LEAK, Decision, Person, may_close
from alerts.service import AlertNotFound, acknowledge, delegators_of
from compliance.ticket_service import RepairNotStarted, local_date, start_repair
from storage import alert_queries as q

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Confirmed:
    leak_case_id: int
    ticket_id: int


class NotConfirmable(ValueError):
    """A resolved alert: a leak found again raises a new alert."""


def confirm_leak_alert(
    conn: psycopg.Connection, alert_id: int, person: Person | None, *, at: datetime, from_address: str = "",
    contractor_id: int | None = None,
) -> Confirmed | Decision:  # fmt: skip
    """Confirm the leak of ``alert_id`` as ``person`` (None: by policy) and open its repair ticket for
    ``contractor_id`` (default: the site's one contractor); a refusal is audited and returned. Only the unit's
    manager or a delegate confirms, as for closing the alert. Raises NotConfirmable for a resolved alert, and
    RepairNotStarted (compliance.ticket_service) when the leak's ticket is in progress or no contractor can take
    the ticket."""
    alert = q.alert_by_id(conn, alert_id, lock=True)
    if alert is None or alert["category"] != LEAK:
        raise AlertNotFound(alert_id)
    if person is not None:
        decision = may_close(person, q.scope_of_site(conn, alert["site_id"]), LEAK, delegators_of(conn, person.user_id))
        if not decision.allowed:
            q.audit(conn, alert_id, "confirm_leak_refused", allowed=False, person=person, from_address=from_address,
                    at=at, details={"why": decision.reason})  # fmt: skip
            return decision
    if alert["status"] == "resolved":
        raise NotConfirmable("the alert is resolved: a leak found again raises a new alert")
    case, ticket = start_repair(conn, alert["equipment_id"], alert["circuit_no"], local_date(at), opened_at=at,
                                alert_id=alert_id, contractor_id=contractor_id, person=person)  # fmt: skip
    q.audit(conn, alert_id, "confirm_leak", person=person, from_address=from_address, at=at,
            reason="by policy" if person is None else "", details={"leak_case": case, "ticket": ticket})  # fmt: skip
    if person is not None and alert["status"] == "raised":  # the manager has it in hand: no escalation past them
        acknowledge(conn, alert_id, person, from_address=from_address, now=at,
                    reason=f"leak confirmed, repair ticket {ticket} opened")  # fmt: skip
    return Confirmed(case, ticket)


def confirm_by_policy(conn: psycopg.Connection, at: datetime, min_loss_pct: float) -> list[Confirmed]:
    """Confirm every open leak alert whose estimated loss reached ``min_loss_pct`` and has no leak case yet."""
    rows = conn.execute(
        """SELECT a.id FROM alert a WHERE a.category = 'leak' AND a.status <> 'resolved'
             AND a.estimated_charge_loss_pct >= %s
             AND NOT EXISTS (SELECT 1 FROM leak_case l WHERE l.equipment_id = a.equipment_id
                             AND l.circuit_no = a.circuit_no AND l.verified_on IS NULL)
           ORDER BY a.id""",
        (min_loss_pct,),
    ).fetchall()
    confirmed = []
    for (alert_id,) in rows:
        try:
            with conn.transaction():  # one alert's refusal must not undo the others' tickets
                result = confirm_leak_alert(conn, int(alert_id), None, at=at)
        except RepairNotStarted as exc:  # e.g. no contractor registered for the site: its manager must act
            log.warning("leak alert %d above %.1f %% opened no ticket: %s", alert_id, min_loss_pct, exc)
            continue
        assert isinstance(result, Confirmed)
        confirmed.append(result)
    return confirmed
