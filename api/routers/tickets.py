"""/api/v1/tickets: repair tickets (REGULATION.md (d1)): a contractor's queue and a manager's view, and moving a
ticket along open -> dispatched -> leak_located -> repaired -> verified -> closed (or cancelled, with a reason).

Who sees a ticket: whoever may see the unit through their own roles (manager, admin, viewer, a delegate), and the
staff of the contractor it is assigned to, at a site that contractor serves; never another contractor's tickets
(api.scoping). Who moves it: compliance.tickets.may_act through compliance.ticket_service: the contractor the site
engaged or the unit's manager; everyone else, a viewer too, is answered 403. Locating and repairing the leak need
the qualified person (十分な知見を有する者, REGULATION.md (b2), (d3) 5.). Transitions are only appended.

Opening one: the unit's manager confirms a leak alert (POST /alerts/{id}/confirm-leak), a policy does
(FLUOROWATCH_AUTO_TICKET_LOSS_PCT), or, for a leak found without an alert, the manager opens it here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.deps import Connection, CurrentPerson, Now
from api.errors import AUTH_ERRORS, Conflict, Forbidden, Invalid, NotFound, error_responses
from api.routers.equipment import example, visible_unit
from api.scoping import Visibility, Visible
from compliance import ticket_service
from compliance.recharge import repair_deadline
from compliance.tickets import FINAL, NotPermitted, QualifiedPerson, Status, TicketTransitionError, next_status
from storage import ticket_queries, ticket_view_queries

router = APIRouter(prefix="/tickets", tags=["tickets"])

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
_NOT_SEEN = "no such ticket, or not one you may see"
_BAD_ID = ("ticket_id: Input should be a valid integer, unable to parse string as an integer", "ticket_id")
_REFUSED = "only the unit's manager or the site's contractor may do this (viewer may not)"
_QUALIFIED: dict[str, Any] = {"name": "山田 太郎", "qualification_no": "冷媒-12345"}
_TICKET_EXAMPLE: dict[str, Any] = {
    "id": 5, "equipment_id": 7, "management_no": "SC-01", "site_id": 3, "site_code": "S-101",
    "site_name": "Sakura Mart Shinjuku", "circuit_no": 1, "leak_case_id": 4, "leak_confirmed_on": "2026-03-02",
    "repair_deadline": "2026-05-01", "contractor_id": 2, "contractor_name": "冷熱サービス", "status": "dispatched",
    "opened_at": "2026-03-02T01:00:00+00:00", "updated_at": "2026-03-02T03:00:00+00:00", "cancel_reason": "",
    "next_statuses": ["leak_located", "cancelled"],
}  # fmt: skip
_TRANSITION_EXAMPLE: dict[str, Any] = {
    "id": 12, "from_status": "dispatched", "to_status": "leak_located", "at": "2026-03-03T02:00:00+00:00",
    "actor_user_id": 21, "actor": "contractor@example.jp", "qualified_person": "山田 太郎",
    "qualification_no": "冷媒-12345", "note": "flare nut on the liquid line",
}  # fmt: skip
_DETAIL_EXAMPLE: dict[str, Any] = {**_TICKET_EXAMPLE, "transitions": [_TRANSITION_EXAMPLE]}
_NEW_EXAMPLE: dict[str, Any] = {"equipment_id": 7, "circuit_no": 1, "leak_confirmed_on": "2026-03-02"}
_MOVE_EXAMPLE: dict[str, Any] = {"to": "leak_located", "qualified_person": _QUALIFIED,
                                 "note": "flare nut on the liquid line"}  # fmt: skip
_BAD_MOVE = ("a ticket that is open moves next to dispatched (or is cancelled), not to repaired: the leak is "
             "located, then repaired, then verified (REGULATION.md (d1))")  # fmt: skip


class TicketPublic(BaseModel):
    """A repair ticket with its unit, contractor, leak case and the (d2) case 2 repair deadline of its leak."""

    model_config = ConfigDict(json_schema_extra={"examples": [_TICKET_EXAMPLE]})

    id: int
    equipment_id: int
    management_no: str
    site_id: int
    site_code: str
    site_name: str
    circuit_no: int
    leak_case_id: int | None
    leak_confirmed_on: date | None
    repair_deadline: date | None = Field(description="confirmed_on + 60 days (REGULATION.md (d2) case 2)")
    contractor_id: int
    contractor_name: str
    status: Status
    opened_at: datetime
    updated_at: datetime
    cancel_reason: str
    next_statuses: list[Status] = Field(description="the moves the law's order of work allows from here")


class TransitionPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_TRANSITION_EXAMPLE]})

    id: int
    from_status: Status | None
    to_status: Status
    at: datetime
    actor_user_id: int | None
    actor: str
    qualified_person: str | None
    qualification_no: str | None
    note: str


class TicketDetailPublic(TicketPublic):
    """A ticket with every move it made, oldest first."""

    model_config = ConfigDict(json_schema_extra={"examples": [_DETAIL_EXAMPLE]})

    transitions: list[TransitionPublic]


class QualifiedPersonIn(BaseModel):
    """十分な知見を有する者 (REGULATION.md (b2)) who did or attended the work."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_QUALIFIED]})

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    qualification_no: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class TicketNew(BaseModel):
    """A leak found without an alert (in an inspection, on a contractor's visit), confirmed by the unit's manager."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_NEW_EXAMPLE]})

    equipment_id: int
    circuit_no: int = Field(default=1, ge=1, le=32767)
    leak_confirmed_on: date | None = Field(
        default=None, description="the day the leak was confirmed, day 0 of the 60 days of REGULATION.md (d2) "
        "case 2; default today (Japan); never in the future. A leak confirmed already keeps its date",
    )  # fmt: skip
    contractor_id: int | None = Field(
        default=None, description="the contractor to repair it; default: the one contractor registered for the site"
    )


class TransitionNew(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_MOVE_EXAMPLE]})

    to: Status
    qualified_person: QualifiedPersonIn | None = Field(
        default=None, description="required to move to leak_located or repaired (REGULATION.md (b2), (d3) 5.)"
    )
    note: Text = ""
    cancel_reason: Text = Field(default="", description="required to cancel")


def _next(current: Status) -> list[Status]:
    if current in FINAL:
        return []
    return [s for s in Status if s is not current and _allowed(current, s)]


def _allowed(current: Status, target: Status) -> bool:
    try:
        next_status(current, target)
    except TicketTransitionError:
        return False
    return True


def _public(row: dict[str, Any]) -> dict[str, Any]:
    confirmed = row["leak_confirmed_on"]
    current = Status(row["status"])
    deadline = repair_deadline(confirmed) if confirmed else None
    return {**row, "repair_deadline": deadline, "next_statuses": _next(current)}


@router.get(
    "",
    summary="List the tickets the caller may see",
    response_model=list[TicketPublic],
    responses={**example([_TICKET_EXAMPLE]), **error_responses({**AUTH_ERRORS, 422: ("status: Input should be "
               "'open', 'dispatched', 'leak_located', 'repaired', 'verified', 'closed' or 'cancelled'", "status")})},
)  # fmt: skip
def list_tickets(
    conn: Connection,
    visible: Visible,
    status: Annotated[Status | None, Query(description="only tickets in this status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Newest first. A contractor's staff: the tickets assigned to its contractor (its queue); a manager, an
    administrator, a viewer or a delegate: every ticket of the units they may see."""
    return [_public(r) for r in _tickets(conn, visible, status=status.value if status else None, limit=limit)]


@router.get(
    "/{ticket_id}",
    summary="One ticket with its transitions",
    response_model=TicketDetailPublic,
    responses={**example(_DETAIL_EXAMPLE), **error_responses({**AUTH_ERRORS, 404: _NOT_SEEN, 422: _BAD_ID})},
)
def get_ticket(ticket_id: int, conn: Connection, visible: Visible) -> dict[str, Any]:
    """404 also for a ticket the caller may not see (another contractor's, another company's)."""
    return _detail(conn, visible, ticket_id)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Open a repair ticket for a leak found without an alert",
    response_model=TicketDetailPublic,
    responses={
        **example({**_DETAIL_EXAMPLE, "status": "open", "transitions": []}, 201),
        **error_responses({**AUTH_ERRORS,
                           403: "only the unit's manager opens a repair ticket by hand (contractor may not)",
                           404: "no such unit, or not one you may see",
                           409: "the leak is confirmed already (leak case 4): ticket 5 is in progress",
                           422: ("leak_confirmed_on: a leak is not confirmed in the future", "leak_confirmed_on")}),
    },
)  # fmt: skip
def open_ticket_by_hand(
    body: TicketNew, conn: Connection, visible: Visible, person: CurrentPerson, now: Now
) -> dict[str, Any]:
    """REGULATION.md (d1): a confirmed leak must be located and repaired. The unit's manager records a leak found
    otherwise than by an alert (a leak alert is confirmed at POST /alerts/{id}/confirm-leak) and the ticket goes
    to the site's contractor. 409 when the leak's ticket is in progress or no contractor can take it; nothing is
    stored then."""
    visible_unit(conn, visible, body.equipment_id)
    try:
        _, ticket_id = ticket_service.open_repair_by_hand(
            conn, body.equipment_id, body.circuit_no, person, at=now, contractor_id=body.contractor_id,
            confirmed_on=body.leak_confirmed_on or ticket_service.local_date(now),
        )  # fmt: skip
    except NotPermitted as exc:
        conn.rollback()
        raise Forbidden(str(exc)) from None
    except ticket_service.RepairNotStarted as exc:
        conn.rollback()
        raise Conflict(str(exc)) from None
    except ticket_service.NotFound as exc:
        conn.rollback()
        raise Invalid(f"circuit_no: {exc}", field="circuit_no") from None
    except ticket_service.FutureConfirmation as exc:
        conn.rollback()
        raise Invalid(str(exc), field="leak_confirmed_on") from None
    conn.commit()
    return _detail(conn, visible, ticket_id)


@router.post(
    "/{ticket_id}/transitions",
    status_code=status.HTTP_201_CREATED,
    summary="Move a ticket",
    response_model=TicketDetailPublic,
    responses={
        **example(_DETAIL_EXAMPLE, 201),
        **error_responses({**AUTH_ERRORS, 403: _REFUSED, 404: _NOT_SEEN, 409: _BAD_MOVE,
                           422: ("qualified_person.name: String should have at least 1 character",
                                 "qualified_person.name")}),
    },
)  # fmt: skip
def move_ticket(
    ticket_id: int, body: TransitionNew, conn: Connection, visible: Visible, person: CurrentPerson, now: Now
) -> dict[str, Any]:
    """One step of the order of work (REGULATION.md (d1)), or cancelling with a reason. A move the order does not
    allow, or one lacking the qualified person, answers 409; a caller who may see but not act, 403. Repaired and
    verified are written to the leak case too: once verified, charging the unit is ordinary again."""
    _detail(conn, visible, ticket_id)
    qualified = None
    if body.qualified_person is not None:
        qualified = QualifiedPerson(body.qualified_person.name, body.qualified_person.qualification_no)
    try:
        ticket_service.transition(conn, ticket_id, person, body.to, at=now, qualified_person=qualified,
                                  note=body.note, cancel_reason=body.cancel_reason)  # fmt: skip
    except NotPermitted as exc:
        conn.rollback()
        raise Forbidden(str(exc)) from None
    except TicketTransitionError as exc:
        conn.rollback()
        raise Conflict(str(exc)) from None
    except (ValueError, psycopg.errors.CheckViolation) as exc:
        conn.rollback()
        raise Invalid(str(exc)) from None
    conn.commit()
    return _detail(conn, visible, ticket_id)


def _tickets(
    conn: psycopg.Connection, visible: Visibility, *, status: str | None = None, ticket_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:  # fmt: skip
    return ticket_view_queries.tickets(
        conn, scope_site_ids=visible.scope_site_ids, contractor_ids=visible.contractor_ids, site_ids=visible.site_ids,
        status=status, ticket_id=ticket_id, limit=limit,
    )  # fmt: skip


def _detail(conn: psycopg.Connection, visible: Visibility, ticket_id: int) -> dict[str, Any]:
    rows = _tickets(conn, visible, ticket_id=ticket_id, limit=1)
    if not rows:
        raise NotFound(_NOT_SEEN)
    return {**_public(rows[0]), "transitions": ticket_queries.transitions(conn, ticket_id)}
