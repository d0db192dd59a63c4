"""/api/v1/equipment: the units the caller may see, each with its status at a glance (compliance.unit_status:
red for an open leak alert, an unrepaired confirmed leak or an overdue inspection; amber for another open alert or
an inspection due soon; green otherwise; grey once disposed of), and one unit in detail.

Visibility is alerts.service.visible_site_ids, applied in the SQL (storage.equipment_queries); a contractor's staff
sees the units of the sites its contractor serves. A unit the caller may not see answers 404.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Connection, Now
from api.errors import AUTH_ERRORS, NotFound, error_responses
from api.scoping import LeadDays, Visible
from compliance.schedule import InspectionDue
from compliance.ticket_service import local_date
from compliance.unit_status import Assessment, Colour, assess
from storage import equipment_queries

router = APIRouter(prefix="/equipment", tags=["equipment"])

NOT_SEEN = "no such unit, or not one you may see"
BAD_ID = ("equipment_id: Input should be a valid integer, unable to parse string as an integer", "equipment_id")
_STATUS_EXAMPLE: dict[str, Any] = {"colour": "red", "reasons": ["1 open leak alert(s)",
                                                                "simple inspection due by 2026-04-30"]}  # fmt: skip
_INSPECTION_EXAMPLE: dict[str, Any] = {
    "kind": "simple", "interval_months": 3, "reference": "2026-01-15", "due_on": "2026-04-30", "status": "due_soon",
    "colour": "green", "due_before_restart": False, "replaced_by_monitoring": False,
}  # fmt: skip
_UNIT_EXAMPLE: dict[str, Any] = {
    "id": 7, "site_id": 3, "site_code": "S-101", "site_name": "Sakura Mart Shinjuku", "management_no": "SC-01",
    "kind": "showcase_remote", "refrigerant": "R404A", "charge_kg": "8.000", "installed_on": "2019-04-01",
    "disposed_on": None, "status": _STATUS_EXAMPLE, "open_alerts": 1, "open_tickets": 1,
}  # fmt: skip
_CIRCUIT_EXAMPLE: dict[str, Any] = {"circuit_no": 1, "charge_kg": "8.000", "compressors_kw": ["7.500"],
                                    "rated_output_kw": "7.500"}  # fmt: skip
_TICKET_BRIEF_EXAMPLE: dict[str, Any] = {
    "id": 5, "circuit_no": 1, "status": "dispatched", "contractor_id": 2, "contractor_name": "冷熱サービス",
    "leak_case_id": 4, "opened_at": "2026-03-02T01:00:00+00:00", "updated_at": "2026-03-02T03:00:00+00:00",
}  # fmt: skip
_DETAIL_EXAMPLE: dict[str, Any] = {
    **_UNIT_EXAMPLE, "manufacturer": "Sanyo", "model": "SR-1", "serial_no": "A123", "legal_category": "refrigeration",
    "approved_replacements": ["R448A"], "circuits": [_CIRCUIT_EXAMPLE], "open_leak_cases": 1,
    "tickets": [_TICKET_BRIEF_EXAMPLE], "inspections": [_INSPECTION_EXAMPLE], "periodic_unknown": False,
}  # fmt: skip


class UnitStatusPublic(BaseModel):
    """The traffic light of a unit, with every reason for it, red ones first (compliance.unit_status)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_STATUS_EXAMPLE]})

    colour: Colour
    reasons: list[str]


class InspectionPublic(BaseModel):
    """One kind of inspection of the unit, as compliance.schedule decides it (colours black, green, red)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_INSPECTION_EXAMPLE]})

    kind: str
    interval_months: int
    reference: date | None = Field(description="the last inspection, or the installation date, it counts from")
    due_on: date | None
    status: str
    colour: str
    due_before_restart: bool
    replaced_by_monitoring: bool


class EquipmentPublic(BaseModel):
    """A unit with its site and its status at a glance."""

    model_config = ConfigDict(json_schema_extra={"examples": [_UNIT_EXAMPLE]})

    id: int
    site_id: int
    site_code: str
    site_name: str
    management_no: str
    kind: str
    refrigerant: str
    charge_kg: Decimal
    installed_on: date | None
    disposed_on: date | None
    status: UnitStatusPublic
    open_alerts: int = Field(description="alerts raised or acknowledged, not resolved")
    open_tickets: int = Field(description="repair tickets neither closed nor cancelled")


class CircuitPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_CIRCUIT_EXAMPLE]})

    circuit_no: int
    charge_kg: Decimal | None
    compressors_kw: list[Decimal] = Field(description="the rated output of each compressor (REGULATION.md (b2))")
    rated_output_kw: Decimal = Field(description="their sum, which decides the periodic inspection")


class TicketBriefPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_TICKET_BRIEF_EXAMPLE]})

    id: int
    circuit_no: int
    status: str
    contractor_id: int
    contractor_name: str
    leak_case_id: int | None
    opened_at: datetime
    updated_at: datetime


class EquipmentDetailPublic(EquipmentPublic):
    """A unit in full: circuits and compressors, open tickets and the inspections due next."""

    model_config = ConfigDict(json_schema_extra={"examples": [_DETAIL_EXAMPLE]})

    manufacturer: str
    model: str
    serial_no: str
    legal_category: str
    approved_replacements: list[str]
    circuits: list[CircuitPublic]
    open_leak_cases: int = Field(description="confirmed leaks not yet verified repaired (REGULATION.md (d1))")
    tickets: list[TicketBriefPublic]
    inspections: list[InspectionPublic] = Field(description="the next simple and periodic inspection; none once "
                                                "disposed of")  # fmt: skip
    periodic_unknown: bool = Field(description="a circuit is registered without its compressors: its periodic "
                                   "inspection cannot be scheduled")  # fmt: skip


def example(value: object, code: int = 200) -> dict[int | str, dict[str, Any]]:
    return {code: {"content": {"application/json": {"example": value}}}}


def status_public(assessment: Assessment) -> UnitStatusPublic:
    return UnitStatusPublic(colour=assessment.status.colour, reasons=list(assessment.status.reasons))


def inspection_public(due: InspectionDue) -> InspectionPublic:
    return InspectionPublic(kind=due.kind.value, interval_months=due.interval_months, reference=due.reference,
                            due_on=due.due_on, status=due.status.value, colour=due.colour,
                            due_before_restart=due.due_before_restart,
                            replaced_by_monitoring=due.replaced_by_monitoring)  # fmt: skip


def _public(row: dict[str, Any], assessment: Assessment) -> EquipmentPublic:
    return EquipmentPublic(
        id=row["id"], site_id=row["site_id"], site_code=row["site_code"], site_name=row["site_name"],
        management_no=row["management_no"], kind=row["kind"], refrigerant=row["refrigerant"],
        charge_kg=row["charge_kg"], installed_on=row["installed_on"], disposed_on=row["disposed_on"],
        status=status_public(assessment), open_alerts=row["open_leak_alerts"] + row["open_other_alerts"],
        open_tickets=row["open_tickets"],
    )  # fmt: skip


@router.get(
    "",
    summary="List the units the caller may see, with their status",
    response_model=list[EquipmentPublic],
    responses={**example([_UNIT_EXAMPLE]), **error_responses({**AUTH_ERRORS, 422: BAD_ID})},
)
def list_equipment(
    conn: Connection,
    visible: Visible,
    now: Now,
    lead_days: LeadDays,
    site_id: Annotated[int | None, Query(description="only the units of this site")] = None,
) -> list[EquipmentPublic]:
    """By site code and management number; disposed units too (grey). A site the caller may not see gives an
    empty list, like a site without units."""
    today = local_date(now)
    rows = equipment_queries.units(conn, visible.site_ids, site_id=site_id)
    return [_public(row, assess(row, today, lead_days)) for row in rows]


@router.get(
    "/{equipment_id}",
    summary="One unit in full",
    response_model=EquipmentDetailPublic,
    responses={**example(_DETAIL_EXAMPLE), **error_responses({**AUTH_ERRORS, 404: NOT_SEEN, 422: BAD_ID})},
)
def get_equipment(
    equipment_id: int, conn: Connection, visible: Visible, now: Now, lead_days: LeadDays
) -> EquipmentDetailPublic:
    """Its circuits and compressors, current status with its reasons, open alerts and tickets, and the next
    inspections due (their dates and colours as compliance.schedule). 404 also for a unit the caller may not see."""
    row = visible_unit(conn, visible, equipment_id)
    assessment = assess(row, local_date(now), lead_days)
    circuits = [CircuitPublic(circuit_no=c["circuit_no"], charge_kg=c["charge_kg"], compressors_kw=c["compressors_kw"],
                              rated_output_kw=sum((Decimal(k) for k in c["compressors_kw"]), Decimal(0)))
                for c in row["circuits"]]  # fmt: skip
    base = _public(row, assessment).model_dump()
    return EquipmentDetailPublic(
        **base, manufacturer=row["manufacturer"], model=row["model"], serial_no=row["serial_no"],
        legal_category=assessment.legal_category, approved_replacements=list(row["approved_replacements"]),
        circuits=circuits, open_leak_cases=row["open_leak_cases"],
        tickets=[TicketBriefPublic(**t) for t in equipment_queries.open_tickets(conn, equipment_id)],
        inspections=[inspection_public(i) for i in assessment.schedule.inspections()],
        periodic_unknown=assessment.periodic_unknown,
    )  # fmt: skip


def visible_unit(conn: Connection, visible: Visible, equipment_id: int) -> dict[str, Any]:
    """The unit's row, or 404 when there is none or the caller may not see it."""
    rows = equipment_queries.units(conn, visible.site_ids, equipment_id=equipment_id)
    if not rows:
        raise NotFound(NOT_SEEN)
    return rows[0]
