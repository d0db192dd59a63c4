"""/api/v1/equipment/{equipment_id}/movements, /charges and /recoveries: refrigerant charged into and recovered
from a unit, one charge or recovery certificate each (充塡証明書・回収証明書, REGULATION.md (f)), through
compliance.ticket_service.

The recharge rule (REGULATION.md (d1), (d2), (d3); docs/recharge-rule.md): a unit with a confirmed, unrepaired
leak is not charged, except (d2) case 1, a leak extremely hard to locate or repair, or (d2) case 2, a single
emergency charge (health, goods or business) when the repair is certain within 60 days of the confirmation, once
only per leak. compliance.recharge decides; a refused charge answers 409 with the rule and its explanation, and the
refusal is recorded (charge_refusal, committed before answering) and listed with the unit's movements: an
attempted illegal charge is information the manager needs.

Who records: the staff of a contractor serving the unit's site, for their own contractor; and the unit's manager,
who records a paper certificate the site's contractor handed over (compliance.tickets.may_act, as the service
applies it). Administrators, viewers, delegates and other contractors may read but not record (403); a unit the
caller may not see answers 404. Certificates have no edit or delete route: they are kept.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from alerts.lifecycle import Person
from api.deps import Connection, CurrentPerson, Now
from api.errors import AUTH_ERRORS, Conflict, Forbidden, Invalid, NotFound, error_responses
from api.routers.equipment import BAD_ID, NOT_SEEN, example, visible_unit
from api.routers.tickets import QualifiedPersonIn
from api.scoping import Visible
from compliance import ticket_service
from compliance.recharge import ChargeRequest, Emergency, Occasion
from compliance.ticket_service import ChargeRefused, Recovery, local_date
from compliance.tickets import NotPermitted, QualifiedPerson
from storage import ticket_queries

router = APIRouter(prefix="/equipment/{equipment_id}", tags=["movements"])

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
CertificateNo = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
_QUALIFIED: dict[str, Any] = {"name": "山田 太郎", "qualification_no": "冷媒-12345"}
_MOVEMENT_EXAMPLE: dict[str, Any] = {
    "id": 8, "kind": "charge", "certificate_no": "C-0001", "equipment_id": 7, "circuit_no": 1,
    "work_date": "2026-03-03", "issued_on": None, "refrigerant": "R404A", "amount_kg": "2.500",
    "occasion": "maintenance", "contractor_id": 2, "contractor_registration_no": "13-0001",
    "qualified_person": "山田 太郎", "qualification_no": "冷媒-12345", "emergency": "goods",
    "planned_repair_on": "2026-03-20", "hard_to_reach_reason": "", "leak_case_id": 4, "ticket_id": 5,
    "recorded_by_user_id": 21, "created_at": "2026-03-03T02:00:00+00:00",
}  # fmt: skip
_REFUSAL_EXAMPLE: dict[str, Any] = {
    "id": 3, "circuit_no": 1, "at": "2026-03-10T02:00:00+00:00", "actor_user_id": 21, "actor": "contractor@example.jp",
    "contractor_id": 2, "leak_case_id": 4, "refrigerant": "R404A", "amount_kg": "1.000",
    "rule": "REGULATION.md (d2) case 2",
    "message": "the emergency charge for the leak confirmed on 2026-03-02 has been made already: it is allowed once "
               "only; no further charge before the repair",
}  # fmt: skip
_LIST_EXAMPLE: dict[str, Any] = {"certificates": [_MOVEMENT_EXAMPLE], "refusals": [_REFUSAL_EXAMPLE]}
_CHARGE_EXAMPLE: dict[str, Any] = {
    "circuit_no": 1, "refrigerant": "R404A", "amount_kg": "2.5", "occasion": "maintenance", "charged_on": "2026-03-03",
    "emergency": "goods", "planned_repair_on": "2026-03-20", "certificate_no": "C-0001",
    "qualified_person": _QUALIFIED, "ticket_id": 5,
}  # fmt: skip
_RECOVERY_EXAMPLE: dict[str, Any] = {
    "circuit_no": 1, "refrigerant": "R404A", "amount_kg": "6.0", "occasion": "maintenance",
    "recovered_on": "2026-03-19", "certificate_no": "R-0001", "qualified_person": _QUALIFIED, "ticket_id": 5,
}  # fmt: skip
_REFUSED_409 = f"{_REFUSAL_EXAMPLE['message']} ({_REFUSAL_EXAMPLE['rule']})"
_FORBIDDEN = "only the unit's manager or the site's contractor may do this (admin may not)"
_WRITE_ERRORS: dict[int, str | tuple[str, str]] = {
    **AUTH_ERRORS, 403: _FORBIDDEN, 404: NOT_SEEN, 409: _REFUSED_409, 422: ("circuit_no: the unit has no such "
                                                                            "circuit", "circuit_no"),
}  # fmt: skip


class MovementPublic(BaseModel):
    """One charge or recovery certificate (REGULATION.md (f)); ``emergency`` set for the (d2) case 2 charge."""

    model_config = ConfigDict(json_schema_extra={"examples": [_MOVEMENT_EXAMPLE]})

    id: int
    kind: str
    certificate_no: str
    equipment_id: int
    circuit_no: int
    work_date: date
    issued_on: date | None
    refrigerant: str
    amount_kg: Decimal
    occasion: Occasion
    contractor_id: int
    contractor_registration_no: str
    qualified_person: str
    qualification_no: str
    emergency: Emergency | None
    planned_repair_on: date | None
    hard_to_reach_reason: str
    leak_case_id: int | None
    ticket_id: int | None
    recorded_by_user_id: int | None
    created_at: datetime


class RefusalPublic(BaseModel):
    """A charge the law refused, kept: who tried, what, and the rule with its explanation."""

    model_config = ConfigDict(json_schema_extra={"examples": [_REFUSAL_EXAMPLE]})

    id: int
    circuit_no: int
    at: datetime
    actor_user_id: int | None
    actor: str
    contractor_id: int | None
    leak_case_id: int | None
    refrigerant: str
    amount_kg: Decimal
    rule: str
    message: str


class MovementsPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_LIST_EXAMPLE]})

    certificates: list[MovementPublic]
    refusals: list[RefusalPublic]


class _Work(BaseModel):
    circuit_no: int = Field(ge=1)
    refrigerant: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
    amount_kg: Decimal = Field(gt=0, max_digits=12, decimal_places=3)
    occasion: Occasion = Occasion.MAINTENANCE
    certificate_no: CertificateNo
    qualified_person: QualifiedPersonIn = Field(
        description="the qualified person who did the work (REGULATION.md (b2))"
    )
    contractor_id: int | None = Field(
        default=None, description="the contractor whose certificate it is; default the caller's, or the site's one"
    )
    ticket_id: int | None = Field(default=None, description="the ticket the work was done under")
    issued_on: date | None = None


class ChargeNew(_Work):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_CHARGE_EXAMPLE]})

    charged_on: date | None = Field(default=None, description="the work date; default today (Japan)")
    emergency: Emergency | None = Field(default=None, description="declares the single emergency charge of (d2) "
                                        "case 2: health, goods or business")  # fmt: skip
    planned_repair_on: date | None = Field(default=None, description="(d2): by confirmed_on + 60 days for case 2")
    hard_to_reach_reason: Text = Field(default="", description="(d2) case 1: why the leak is extremely hard to "
                                       "locate or repair")  # fmt: skip


class RecoveryNew(_Work):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_RECOVERY_EXAMPLE]})

    recovered_on: date | None = Field(default=None, description="the work date; default today (Japan)")


@router.get(
    "/movements",
    summary="The unit's charges, recoveries and refused charges",
    response_model=MovementsPublic,
    responses={**example(_LIST_EXAMPLE), **error_responses({**AUTH_ERRORS, 404: NOT_SEEN, 422: BAD_ID})},
)
def list_movements(equipment_id: int, conn: Connection, visible: Visible) -> dict[str, Any]:
    """Certificates in the order recorded, and every charge the law refused (REGULATION.md (d2)), kept."""
    visible_unit(conn, visible, equipment_id)
    return {"certificates": ticket_queries.movements(conn, equipment_id),
            "refusals": ticket_queries.refusals(conn, equipment_id)}  # fmt: skip


@router.post(
    "/charges",
    status_code=status.HTTP_201_CREATED,
    summary="Record a charge, if the law allows it",
    response_model=MovementPublic,
    responses={**example(_MOVEMENT_EXAMPLE, 201), **error_responses(_WRITE_ERRORS)},
)
def record_charge(
    equipment_id: int, body: ChargeNew, conn: Connection, visible: Visible, person: CurrentPerson, now: Now
) -> dict[str, Any]:
    """compliance.recharge decides (REGULATION.md (d1)-(d3)). Refused — for example a second emergency charge
    for the same leak, which (d2) case 2 allows once only — it answers 409 with the rule and its explanation,
    and the refusal is recorded (listed under the unit's movements)."""
    unit = visible_unit(conn, visible, equipment_id)
    request = ChargeRequest(
        refrigerant=body.refrigerant, kg=body.amount_kg, occasion=body.occasion,
        charged_on=body.charged_on or local_date(now), emergency=body.emergency,
        planned_repair_on=body.planned_repair_on, hard_to_reach_reason=body.hard_to_reach_reason,
    )  # fmt: skip
    try:
        movement_id = ticket_service.record_charge(
            conn, equipment_id, body.circuit_no, request, certificate_no=body.certificate_no,
            contractor_id=_contractor(conn, person, unit["site_id"], body.contractor_id),
            qualified_person=_qualified(body.qualified_person), person=person, at=now, ticket_id=body.ticket_id,
            issued_on=body.issued_on,
        )  # fmt: skip
    except ChargeRefused as exc:
        # REGULATION.md (d2): the charge is refused, and the refusal row the service wrote is kept: commit it,
        # then answer with the rule and its explanation.
        conn.commit()
        raise Conflict(str(exc)) from None
    except Exception as exc:
        _refused(conn, exc)
        raise
    return _movement(conn, equipment_id, movement_id)


@router.post(
    "/recoveries",
    status_code=status.HTTP_201_CREATED,
    summary="Record a recovery",
    response_model=MovementPublic,
    responses={**example({**_MOVEMENT_EXAMPLE, "kind": "recovery", "emergency": None}, 201),
               **error_responses({**_WRITE_ERRORS, 409: "certificate R-0001 of this contractor is recorded already"})},
)  # fmt: skip
def record_recovery(
    equipment_id: int, body: RecoveryNew, conn: Connection, visible: Visible, person: CurrentPerson, now: Now
) -> dict[str, Any]:
    """No leak rule applies to recovering, but the refrigerant must be the unit's (nameplate or an approved
    replacement) and the occasion maintenance or disposal (REGULATION.md (f))."""
    unit = visible_unit(conn, visible, equipment_id)
    recovery = Recovery(body.refrigerant, body.amount_kg, body.recovered_on or local_date(now), body.occasion)
    try:
        movement_id = ticket_service.record_recovery(
            conn, equipment_id, body.circuit_no, recovery, certificate_no=body.certificate_no,
            contractor_id=_contractor(conn, person, unit["site_id"], body.contractor_id),
            qualified_person=_qualified(body.qualified_person), person=person, ticket_id=body.ticket_id,
            issued_on=body.issued_on,
        )  # fmt: skip
    except Exception as exc:
        _refused(conn, exc)
        raise
    return _movement(conn, equipment_id, movement_id)


def _contractor(conn: psycopg.Connection, person: Person, site_id: int, named: int | None) -> int:
    """The contractor of the certificate: as named; else the caller's own contractor (one serving the site
    first); else the one contractor serving the site. The service then checks it serves the site and the caller
    may act for it."""
    if named is not None:
        return named
    serving = ticket_queries.site_contractors(conn, site_id)
    own = [g.contractor_id for g in person.grants if g.role == "contractor" and g.contractor_id is not None]
    for contractor_id in sorted(own, key=lambda c: c not in serving):
        return contractor_id
    if len(serving) == 1:
        return serving[0]
    found = "no contractor is" if not serving else f"{len(serving)} contractors are"
    raise Invalid(f"contractor_id: {found} registered for the unit's site: name the contractor", field="contractor_id")


def _qualified(given: QualifiedPersonIn) -> QualifiedPerson:
    return QualifiedPerson(given.name, given.qualification_no)


def _refused(conn: psycopg.Connection, exc: Exception) -> None:
    """Roll back and raise the answer for a failure of the service, or return for an unexpected one."""
    conn.rollback()
    if isinstance(exc, NotPermitted):
        raise Forbidden(str(exc)) from None
    if isinstance(exc, ticket_service.NotFound):
        raise Invalid(str(exc), field="ticket_id") from None
    if isinstance(exc, psycopg.errors.ForeignKeyViolation):
        raise Invalid("circuit_no: the unit has no such circuit", field="circuit_no") from None
    if isinstance(exc, psycopg.errors.UniqueViolation):
        raise Conflict("this certificate number of this contractor is recorded already") from None
    if isinstance(exc, ValueError):
        raise Invalid(str(exc)) from None


def _movement(conn: psycopg.Connection, equipment_id: int, movement_id: int) -> dict[str, Any]:
    conn.commit()
    found = [m for m in ticket_queries.movements(conn, equipment_id) if m["id"] == movement_id]
    if not found:
        raise NotFound(NOT_SEEN)
    return found[0]
