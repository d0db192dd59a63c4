"""/api/v1/equipment/{equipment_id}/diagnoses: the daily diagnosis of a unit, one row per circuit and day
(REGULATION.md (p) ロ, ハ: continuous monitoring diagnoses each circuit daily and keeps the result). Read by whoever
may see the unit (alerts.service.visible_site_ids); a unit the caller may not see answers 404.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from api.deps import Connection, Now
from api.errors import AUTH_ERRORS, Invalid, error_responses
from api.routers.equipment import NOT_SEEN, example, visible_unit
from api.scoping import Visible
from compliance.ticket_service import local_date
from storage import equipment_queries

router = APIRouter(prefix="/equipment/{equipment_id}/diagnoses", tags=["diagnoses"])

DEFAULT_DAYS = 30
MAX_DAYS = 400  # diagnoses are kept at least a year (REGULATION.md (p) ハ): one request reaches back that far
_EXAMPLE: dict[str, Any] = {
    "circuit_no": 1, "day": "2026-03-01", "status": "leak_suspected", "hours_measured": 24,
    "estimated_charge_loss_pct": 11.8, "sigma_pct": 2.1, "categories": ["leak"],
    "detail": {"lost_pct": 11.8, "model_version": 3}, "created_at": "2026-03-02T00:10:00+00:00",
}  # fmt: skip
_BAD_RANGE = ("to: the end (2026-03-01) is before the start (2026-03-31)", "to")


class DiagnosisPublic(BaseModel):
    """One circuit's diagnosis of one day: no_leak, leak_suspected, other_fault, insufficient_data or
    no_baseline, the hours measured and the estimated charge loss."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    circuit_no: int
    day: date
    status: str
    hours_measured: int
    estimated_charge_loss_pct: float | None
    sigma_pct: float | None
    categories: list[str]
    detail: dict[str, Any]
    created_at: datetime


@router.get(
    "",
    summary="The unit's daily diagnoses",
    response_model=list[DiagnosisPublic],
    responses={**example([_EXAMPLE]), **error_responses({**AUTH_ERRORS, 404: NOT_SEEN, 422: _BAD_RANGE})},
)
def list_diagnoses(
    equipment_id: int,
    conn: Connection,
    visible: Visible,
    now: Now,
    start: Annotated[
        date | None, Query(alias="from", description=f"first day; default {DEFAULT_DAYS} days ago")
    ] = None,
    end: Annotated[date | None, Query(alias="to", description="last day, inclusive; default today (Japan)")] = None,
) -> list[dict[str, Any]]:
    """By day, then circuit; days are Japanese calendar days. At most 400 days per request."""
    visible_unit(conn, visible, equipment_id)
    end = end or local_date(now)
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise Invalid(f"to: the end ({end}) is before the start ({start})", field="to")
    if (end - start).days >= MAX_DAYS:
        raise Invalid(f"from: at most {MAX_DAYS} days per request", field="from")
    return equipment_queries.diagnoses(conn, equipment_id, start, end)
