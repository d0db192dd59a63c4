"""Alerts against the database: detector events become alerts (one open per unit, circuit and category, updated
as evidence grows), people acknowledge and resolve them under the lifecycle's rules, unacknowledged leak alerts
escalate, and every change queues a notification in the outbox for the delivery job. The connection is passed
in; the caller commits (after a refused attempt too: its audit row is information the manager needs).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg

from alerts.lifecycle import (
    DEFAULT_ESCALATION_DELAY,
    LEAK,
    Action,
    Decision,
    Person,
    Status,
    escalation_due,
    may_close,
    next_status,
)
from detectors.charge import leak_rate, loss_per_day
from fluorowatch.domain.refrigerants import RefrigerantRegistry
from storage import alert_queries as q

log = logging.getLogger(__name__)


class AlertNotFound(LookupError):
    pass


def sync_detector_events(conn: psycopg.Connection, limit: int = 1000) -> int:
    """Turn new detector events into alert changes; returns how many events were taken."""
    events = q.new_detector_events(conn, limit)
    for event in events:
        try:
            with conn.transaction():  # a savepoint: an event the alert table refuses is skipped, not retried forever
                if event.status == "raised":
                    _raise(conn, event)
                else:
                    _cleared(conn, event)
        except (psycopg.IntegrityError, psycopg.DataError) as exc:
            log.error("detector event %d (%s %s, unit %d circuit %d) cannot become an alert: %s", event.id,
                      event.category, event.status, event.equipment_id, event.circuit_no, exc)  # fmt: skip
    if events:
        q.advance_watermark(conn, events[-1].id)
    return len(events)


def _raise(conn: psycopg.Connection, event: q.DetectorEvent) -> None:
    kg, t_co2 = _leak_rate(conn, event) if event.category == LEAK else (None, None)
    values = {"equipment_id": event.equipment_id, "circuit_no": event.circuit_no, "category": event.category,
              "severity": event.severity, "raised_at": event.ts, "first_seen": event.first_seen,
              "estimated_charge_loss_pct": event.estimated_charge_loss_pct, "kg_per_year": kg,
              "t_co2_per_year": t_co2, "message": event.message, "evidence": event.evidence,
              "detector": event.detector}  # fmt: skip
    existing = q.open_alert(conn, event.equipment_id, event.circuit_no, event.category)
    if existing is None:
        alert_id = q.insert_alert(conn, values)
        q.audit(conn, alert_id, "raised", at=event.ts, details={"detector_event": event.id})
        notify(conn, alert_id, "raised")
        return
    changes = {k: values[k] for k in ("severity", "estimated_charge_loss_pct", "kg_per_year", "t_co2_per_year",
                                      "message", "evidence")}  # fmt: skip
    q.update_alert(conn, existing["id"], {**changes, "updated_at": event.ts, "detector_cleared_at": None})
    q.audit(conn, existing["id"], "updated", at=event.ts, details={"detector_event": event.id})
    notify(conn, existing["id"], "updated")


def _cleared(conn: psycopg.Connection, event: q.DetectorEvent) -> None:
    """A leak the detector no longer sees stays open until its manager resolves it (a leak does not heal by
    itself; the repair must be recorded). Other faults resolve themselves, by the system, audited."""
    existing = q.open_alert(conn, event.equipment_id, event.circuit_no, event.category)
    if existing is None:
        return
    if event.category == LEAK:
        q.update_alert(conn, existing["id"], {"detector_cleared_at": event.ts, "updated_at": event.ts})
        q.audit(conn, existing["id"], "detector_cleared", at=event.ts, reason=event.message)
        return
    q.update_alert(conn, existing["id"], {"status": Status.RESOLVED.value, "resolved_at": event.ts,
                                          "updated_at": event.ts})  # fmt: skip
    q.audit(conn, existing["id"], "resolve", at=event.ts, reason=event.message)
    notify(conn, existing["id"], "resolved")


def _leak_rate(conn: psycopg.Connection, event: q.DetectorEvent) -> tuple[Decimal | None, Decimal | None]:
    """kg/year and t-CO2/year from the hourly charge estimates of the week before the event, read as the
    detector reads them (detectors.charge.loss_per_day)."""
    points = q.recent_loss(conn, event.equipment_id, event.circuit_no, event.ts - timedelta(days=7))
    row = conn.execute("SELECT charge_kg, refrigerant FROM equipment WHERE id = %s", (event.equipment_id,)).fetchone()
    slope = loss_per_day(points)
    if row is None or slope is None:
        return None, None
    try:
        rate = leak_rate(slope, Decimal(row[0]), str(row[1]), RefrigerantRegistry.default())
    except (KeyError, ValueError):
        return None, None
    return rate.kg_per_year, rate.t_co2_per_year


def notify(conn: psycopg.Connection, alert_id: int, kind: str) -> None:
    """Queue the alert as it now stands for the delivery job."""
    alert = q.alert_by_id(conn, alert_id)
    assert alert is not None
    q.queue(conn, alert, kind, payload(alert))


def payload(alert: dict[str, Any]) -> dict[str, Any]:
    """The alert as the channels render it (JSON-safe)."""
    return {key: _json(value) for key, value in alert.items()}


def _json(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def load_person(conn: psycopg.Connection, user_id: int) -> Person | None:
    return q.person(conn, user_id)


def delegators_of(conn: psycopg.Connection, user_id: int) -> list[Person]:
    found = [q.person(conn, manager) for manager in q.delegator_ids(conn, user_id)]
    return [p for p in found if p is not None]


def acknowledge(
    conn: psycopg.Connection, alert_id: int, person: Person, *, from_address: str, reason: str, now: datetime
) -> Decision:
    return _close(conn, alert_id, person, Action.ACKNOWLEDGE, from_address=from_address, reason=reason, now=now)


def resolve(
    conn: psycopg.Connection, alert_id: int, person: Person, *, from_address: str, reason: str, now: datetime
) -> Decision:
    if not reason.strip():
        raise ValueError("reason: resolving an alert needs a reason (what was done)")
    return _close(conn, alert_id, person, Action.RESOLVE, from_address=from_address, reason=reason, now=now)


def _close(
    conn: psycopg.Connection, alert_id: int, person: Person, action: Action, *, from_address: str, reason: str,
    now: datetime,
) -> Decision:  # fmt: skip
    alert = q.alert_by_id(conn, alert_id, lock=True)
    if alert is None:
        raise AlertNotFound(alert_id)
    scope = q.scope_of_site(conn, alert["site_id"])
    decision = may_close(person, scope, alert["category"], delegators_of(conn, person.user_id))
    if not decision.allowed:
        q.audit(conn, alert_id, f"{action.value}_refused", allowed=False, person=person, from_address=from_address,
                reason=reason, at=now, details={"why": decision.reason})  # fmt: skip
        return decision
    status = next_status(Status(alert["status"]), action)
    stamp = "acknowledged_at" if status is Status.ACKNOWLEDGED else "resolved_at"
    q.update_alert(conn, alert_id, {"status": status.value, stamp: now, "updated_at": now})
    q.audit(conn, alert_id, action.value, person=person, from_address=from_address, reason=reason, at=now,
            details={"as": decision.reason})  # fmt: skip
    notify(conn, alert_id, status.value)
    return decision


def escalate_due(conn: psycopg.Connection, now: datetime, delay: timedelta = DEFAULT_ESCALATION_DELAY) -> int:
    """Move every unacknowledged leak alert whose delay has passed one organisation level up; returns how many."""
    candidates = q.alerts_where(conn, "a.status = 'raised' AND a.category = %(leak)s", {"leak": LEAK}, 10_000)
    escalated = 0
    for candidate in candidates:
        if not _escalation_due(conn, candidate, now, delay):
            continue
        # Re-read under a lock: an acknowledgement committed since the scan, or another worker's escalation,
        # must be seen, or the alert would escalate after all, or twice.
        alert = q.alert_by_id(conn, candidate["id"], lock=True)
        if alert is None or not _escalation_due(conn, alert, now, delay):
            continue
        level = alert["escalation_level"] + 1
        q.update_alert(conn, alert["id"], {"escalation_level": level, "updated_at": now})
        q.audit(conn, alert["id"], "escalate", at=now, reason=f"not acknowledged within {delay * level}",
                details={"level": level})  # fmt: skip
        notify(conn, alert["id"], "escalated")
        escalated += 1
    return escalated


def _escalation_due(conn: psycopg.Connection, alert: dict[str, Any], now: datetime, delay: timedelta) -> bool:
    levels_above = len(q.scope_of_site(conn, alert["site_id"]).organisations)
    return escalation_due(alert["category"], Status(alert["status"]), alert["raised_at"], alert["escalation_level"],
                          levels_above, now, delay)  # fmt: skip


def queue_daily_digests(conn: psycopg.Connection, now: datetime) -> int:
    """One digest per site with open alerts (for its manager): what is still open and for how long."""
    open_alerts = q.alerts_where(conn, "a.status <> 'resolved'", {}, 100_000)
    by_site: dict[int, list[dict[str, Any]]] = {}
    for alert in open_alerts:
        by_site.setdefault(alert["site_id"], []).append(payload(alert))
    for site_id, alerts in by_site.items():
        q.queue_digest(conn, site_id, {"kind": "digest", "at": now.isoformat(), "alerts": alerts})
    return len(by_site)


def visible_alerts(
    conn: psycopg.Connection, person: Person, *, status: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """The newest alerts the person may see (their scope, the sites their contractor serves, and the scope of
    managers who named them delegate), filtered in the query so the limit counts visible alerts only."""
    condition = "s.id = ANY(%(sites)s) AND (%(status)s::text IS NULL OR a.status = %(status)s)"
    rows = q.alerts_where(conn, condition, {"sites": visible_site_ids(conn, person), "status": status}, limit)
    return [payload(r) for r in rows]


def alert_detail(conn: psycopg.Connection, alert_id: int, person: Person) -> dict[str, Any] | None:
    alert = q.alert_by_id(conn, alert_id)
    if alert is None or alert["site_id"] not in visible_site_ids(conn, person):
        return None
    return payload(alert)


def visible_site_ids(conn: psycopg.Connection, person: Person) -> list[int]:
    """The sites whose records the person may see: their scope and the scope of managers who named them
    delegate (a contractor's staff: the sites the contractor serves)."""
    grants = [g for p in (person, *delegators_of(conn, person.user_id)) for g in p.grants if g.role != "contractor"]
    contractors = [g.contractor_id for g in person.grants if g.contractor_id is not None]
    sites = [g.site_id for g in grants if g.site_id is not None]
    organisations = [g.organisation_id for g in grants if g.organisation_id is not None]
    return q.visible_sites(conn, sites, organisations, contractors)


def alert_history(conn: psycopg.Connection, alert_id: int) -> list[dict[str, Any]]:
    return [payload(row) for row in q.history(conn, alert_id)]
