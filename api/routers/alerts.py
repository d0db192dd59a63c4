"""/api/v1/alerts: what the caller may see, its history, acknowledging and resolving it, and confirming a leak
alert, which records the leak and opens its repair ticket.

A leak alert is acknowledged or resolved only by the unit's manager or a delegate the manager named
(REGULATION.md (p) ニ: a notification others cannot easily cancel). Every attempt is audited, a refused one
too: it answers 403 and its audit row is committed. Alerts and their history have no delete route, on purpose:
the history is kept (and the database refuses deleting it as well).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal

import psycopg
from fastapi import APIRouter, Body, Query, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from alerts import service
from alerts.lifecycle import Decision, Person, TransitionError
from api.deps import ClientAddress, Connection, CurrentPerson, Now
from api.errors import AUTH_ERRORS, Conflict, Forbidden, NotFound, error_responses
from api.routers.equipment import example
from compliance.from_alerts import NotConfirmable, confirm_leak_alert
from compliance.recharge import repair_deadline
from compliance.ticket_service import RepairNotStarted
from storage import ticket_queries

router = APIRouter(prefix="/alerts", tags=["alerts"])

AlertStatus = Literal["raised", "acknowledged", "resolved"]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]

_ALERT_EXAMPLE: dict[str, Any] = {
    "id": 42, "equipment_id": 7, "circuit_no": 1, "category": "leak", "severity": "high", "status": "raised",
    "escalation_level": 0, "raised_at": "2026-03-02T01:00:00+00:00", "first_seen": "2026-03-01T18:00:00+00:00",
    "updated_at": "2026-03-02T01:00:00+00:00", "acknowledged_at": None, "resolved_at": None,
    "estimated_charge_loss_pct": 12.5, "kg_per_year": 6.2, "t_co2_per_year": 24.3,
    "message": "circuit 1 is losing refrigerant: subcooling down 4.1 K against its baseline",
    "evidence": ["subcooling_k low", "discharge_temp_c high"], "detector": "fusion", "detector_cleared_at": None,
    "management_no": "SC-01", "kind": "showcase_remote", "refrigerant": "R404A", "charge_kg": 8.0,
    "site_id": 3, "site_code": "S-101", "site_name": "Sakura Mart Shinjuku",
}  # fmt: skip
_AUDIT_EXAMPLE: dict[str, Any] = {
    "id": 9, "at": "2026-03-02T01:20:00+00:00", "action": "acknowledge_refused", "allowed": False,
    "actor_user_id": 12, "actor": "viewer@example.jp", "from_address": "203.0.113.7", "reason": "seen it",
    "details": {"why": "only the unit's manager or a delegate the manager named may do this (viewer may not)"},
}  # fmt: skip
_ACKNOWLEDGED_EXAMPLE: dict[str, Any] = {"alert_id": 42, "action": "acknowledge", "status": "acknowledged",
                         "allowed_as": "the unit's manager"}  # fmt: skip
_RESOLVED_EXAMPLE: dict[str, Any] = {**_ACKNOWLEDGED_EXAMPLE, "action": "resolve", "status": "resolved"}
_CONFIRMED_EXAMPLE: dict[str, Any] = {"alert_id": 42, "leak_case_id": 5, "ticket_id": 17,
                                      "leak_confirmed_on": "2026-03-02", "repair_deadline": "2026-05-01"}  # fmt: skip
_REFUSED = "only the unit's manager or a delegate the manager named may do this (viewer may not)"


class AlertPublic(BaseModel):
    """An alert as the caller sees it, with its unit and site."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ALERT_EXAMPLE]})

    id: int
    equipment_id: int
    circuit_no: int
    category: str
    severity: str
    status: AlertStatus
    escalation_level: int
    raised_at: datetime
    first_seen: datetime | None
    updated_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    estimated_charge_loss_pct: float | None
    kg_per_year: float | None
    t_co2_per_year: float | None
    message: str
    evidence: list[Any]
    detector: str
    detector_cleared_at: datetime | None
    management_no: str
    kind: str
    refrigerant: str
    charge_kg: float
    site_id: int
    site_code: str
    site_name: str


class AlertAuditPublic(BaseModel):
    """One row of an alert's history: who did or tried what, from where, why, and whether it was allowed."""

    model_config = ConfigDict(json_schema_extra={"examples": [_AUDIT_EXAMPLE]})

    id: int
    at: datetime
    action: str
    allowed: bool
    actor_user_id: int | None
    actor: str
    from_address: str
    reason: str
    details: dict[str, Any]


class AlertAcknowledge(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "on my way to the store"}]})

    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class AlertResolve(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "flare nut on the liquid line re-tightened"}]}
    )

    reason: Reason = Field(description="what was done: the repair, or why the alert was not a leak")


class LeakConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"contractor_id": 2}]})

    contractor_id: int | None = Field(
        default=None, description="the contractor to repair it; default: the one contractor registered for the site"
    )


class LeakConfirmedPublic(BaseModel):
    """The leak case and the repair ticket a confirmed leak alert opened."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CONFIRMED_EXAMPLE]})

    alert_id: int
    leak_case_id: int
    ticket_id: int
    leak_confirmed_on: date = Field(description="day 0 of the 60 days of REGULATION.md (d2) case 2 (local date)")
    repair_deadline: date = Field(description="leak_confirmed_on + 60 days: the last day an emergency charge "
                                  "may rely on for the repair (REGULATION.md (d2) case 2)")  # fmt: skip


class AlertActionPublic(BaseModel):
    """The outcome of an allowed acknowledge or resolve."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ACKNOWLEDGED_EXAMPLE]})

    alert_id: int
    action: Literal["acknowledge", "resolve"]
    status: AlertStatus
    allowed_as: str = Field(description="why the caller was allowed: the unit's manager, or whose delegate")


_BAD_ID = ("alert_id: Input should be a valid integer, unable to parse string as an integer", "alert_id")
_NOT_FOUND: dict[int, str | tuple[str, str]] = {404: "no such alert, or not one you may see", 422: _BAD_ID}
_BAD_STATUS = ("status: Input should be 'raised', 'acknowledged' or 'resolved'", "status")
_ACTION_ERRORS = error_responses(
    {**AUTH_ERRORS, 403: _REFUSED, 404: "no such alert", 409: "the alert is already acknowledged", 422: _BAD_ID}
)
_CONFIRM_ERRORS = error_responses({
    **AUTH_ERRORS, 403: _REFUSED, 404: "no such alert, or not one you may see",
    409: "the leak is confirmed already (leak case 5): ticket 17 is in progress",
    422: ("contractor_id: Input should be a valid integer", "contractor_id"),
})  # fmt: skip


@router.get(
    "",
    summary="List the alerts the caller may see",
    response_model=list[AlertPublic],
    responses={**example([_ALERT_EXAMPLE]), **error_responses({**AUTH_ERRORS, 422: _BAD_STATUS})},
)
def list_alerts(
    conn: Connection,
    person: CurrentPerson,
    status: Annotated[AlertStatus | None, Query(description="only alerts in this status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Newest first; only alerts of sites the caller's roles cover (a contractor: the sites it serves)."""
    return service.visible_alerts(conn, person, status=status, limit=limit)


@router.get(
    "/{alert_id}",
    summary="One alert",
    response_model=AlertPublic,
    responses={**example(_ALERT_EXAMPLE), **error_responses({**AUTH_ERRORS, **_NOT_FOUND})},
)
def get_alert(alert_id: int, conn: Connection, person: CurrentPerson) -> dict[str, Any]:
    """404 also for an alert the caller may not see: its existence is not disclosed."""
    return _visible(conn, alert_id, person)


@router.get(
    "/{alert_id}/history",
    summary="The alert's audit history",
    response_model=list[AlertAuditPublic],
    responses={**example([_AUDIT_EXAMPLE]), **error_responses({**AUTH_ERRORS, **_NOT_FOUND})},
)
def get_alert_history(alert_id: int, conn: Connection, person: CurrentPerson) -> list[dict[str, Any]]:
    """Every change and every attempt, refused ones included, oldest first. Kept; never deleted."""
    _visible(conn, alert_id, person)
    return service.alert_history(conn, alert_id)


@router.post(
    "/{alert_id}/acknowledge",
    summary="Acknowledge an alert",
    response_model=AlertActionPublic,
    responses={**example(_ACKNOWLEDGED_EXAMPLE), **_ACTION_ERRORS},
)
def acknowledge_alert(
    alert_id: int,
    conn: Connection,
    person: CurrentPerson,
    address: ClientAddress,
    now: Now,
    body: Annotated[AlertAcknowledge | None, Body()] = None,
) -> AlertActionPublic:
    """The unit's manager (at its site or an organisation level above) or a delegate the manager named says
    the alert has reached them. A refused attempt answers 403 and stays in the history."""
    reason = body.reason if body is not None and body.reason else ""
    decision = _attempt(conn, service.acknowledge, alert_id, person, address, reason, now)
    return AlertActionPublic(alert_id=alert_id, action="acknowledge", status="acknowledged", allowed_as=decision.reason)


@router.post(
    "/{alert_id}/resolve",
    summary="Resolve an alert, saying what was done",
    response_model=AlertActionPublic,
    responses={
        **example(_RESOLVED_EXAMPLE),
        **_ACTION_ERRORS,
        **error_responses({422: ("reason: Field required", "reason")}),
    },
)
def resolve_alert(
    alert_id: int, body: AlertResolve, conn: Connection, person: CurrentPerson, address: ClientAddress, now: Now
) -> AlertActionPublic:
    """Same people as acknowledging; a reason is required. A resolved alert takes no further action: a new
    occurrence opens a new alert."""
    decision = _attempt(conn, service.resolve, alert_id, person, address, body.reason, now)
    return AlertActionPublic(alert_id=alert_id, action="resolve", status="resolved", allowed_as=decision.reason)


@router.post(
    "/{alert_id}/confirm-leak",
    status_code=status.HTTP_201_CREATED,
    summary="Confirm a leak alert: record the leak and open its repair ticket",
    response_model=LeakConfirmedPublic,
    responses={**example(_CONFIRMED_EXAMPLE, 201), **_CONFIRM_ERRORS},
)
def confirm_leak(
    alert_id: int,
    conn: Connection,
    person: CurrentPerson,
    address: ClientAddress,
    now: Now,
    body: Annotated[LeakConfirm | None, Body()] = None,
) -> LeakConfirmedPublic:
    """REGULATION.md (d1): once a leak is confirmed, its point must be found and repaired. The day of confirming
    starts the 60 days of (d2) case 2 and the ticket goes to the site's contractor (or the one named). Same
    people as acknowledging; a refused attempt answers 403 and stays in the history. 409: not a leak alert,
    a resolved one, a leak whose ticket is already in progress, or no contractor to take it (nothing is stored)."""
    alert = _visible(conn, alert_id, person)
    if alert["category"] != "leak":
        raise Conflict(f"only a leak alert is confirmed as a leak; this one is {alert['category']}")
    try:
        result = confirm_leak_alert(conn, alert_id, person, at=now, from_address=address,
                                    contractor_id=body.contractor_id if body is not None else None)  # fmt: skip
    except (NotConfirmable, RepairNotStarted) as exc:
        conn.rollback()
        raise Conflict(str(exc)) from None
    conn.commit()
    if isinstance(result, Decision):
        raise Forbidden(result.reason)
    case = ticket_queries.leak_case_by_id(conn, result.leak_case_id)
    assert case is not None  # just committed
    return LeakConfirmedPublic(alert_id=alert_id, leak_case_id=result.leak_case_id, ticket_id=result.ticket_id,
                               leak_confirmed_on=case.confirmed_on,
                               repair_deadline=repair_deadline(case.confirmed_on))  # fmt: skip


Attempt = Callable[..., Decision]


def _attempt(
    conn: psycopg.Connection, action: Attempt, alert_id: int, person: Person, address: str, reason: str, now: datetime
) -> Decision:
    """Run ``action``; commit its audit row whether it was allowed or refused, then answer accordingly."""
    try:
        decision = action(conn, alert_id, person, from_address=address, reason=reason, now=now)
    except service.AlertNotFound:
        conn.rollback()
        raise NotFound("no such alert") from None
    except TransitionError as exc:
        conn.rollback()
        raise Conflict(str(exc)) from None
    conn.commit()
    if not decision.allowed:
        raise Forbidden(decision.reason)
    return decision


def _visible(conn: psycopg.Connection, alert_id: int, person: Person) -> dict[str, Any]:
    alert = service.alert_detail(conn, alert_id, person)
    if alert is None:
        raise NotFound("no such alert, or not one you may see")
    return alert
