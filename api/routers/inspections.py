"""/api/v1/inspections/due: the inspections due in a period for the units the caller may see (as RaMS offers),
as JSON, CSV or XLSX. Dates and colours are compliance.schedule's: black (not due), green (due within the lead
time, through the due date), red (overdue). The lead time is a query parameter; its default is the deployment's
(``app.state.inspection_lead_days``, else compliance.schedule.DEFAULT_LEAD_DAYS, 30 days).

Only units of the sites the caller may see are listed (alerts.service.visible_site_ids, in the SQL). An
inspection whose due date is before ``from`` is not listed: ask from an earlier day, or see the unit's status.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict

from api.deps import Connection, Now
from api.errors import AUTH_ERRORS, Invalid, error_responses
from api.scoping import LeadDays, Visible
from compliance.exports import DUE_HEADER, due_rows, xlsx
from compliance.fleet import assessed_units, due_between
from compliance.schedule import STATUS_COLOUR
from compliance.ticket_service import local_date

router = APIRouter(prefix="/inspections", tags=["inspections"])

DEFAULT_DAYS = 90  # a quarter: every unit's simple inspection (every 3 months) falls due once in it
MAX_DAYS = 3 * 366 + 1
CSV_MEDIA = "text/csv; charset=utf-8"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_HEADER = ("事業所コード", *DUE_HEADER)
_EXAMPLE: dict[str, Any] = {
    "equipment_id": 7, "site_id": 3, "site_code": "S-101", "management_no": "SC-01", "kind": "simple",
    "due_on": "2026-04-30", "status": "due_soon", "colour": "green", "due_before_restart": False,
}  # fmt: skip
_BAD_RANGE = ("to: the end (2026-03-01) is before the start (2026-03-31)", "to")
_BINARY = {"schema": {"type": "string", "format": "binary"}}
_CSV_EXAMPLE = (
    "\ufeff事業所コード,管理番号,点検の種類,期限,状態,再稼働前に実施\r\nS-101,SC-01,簡易点検,2026-04-30,期限間近,\r\n"
)


class DuePublic(BaseModel):
    """One inspection due: the unit, its kind (simple or periodic), the due date and its colour."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    equipment_id: int
    site_id: int
    site_code: str
    management_no: str
    kind: str
    due_on: date
    status: str
    colour: str
    due_before_restart: bool


@router.get(
    "/due",
    summary="The inspections due in a period",
    response_model=list[DuePublic],
    responses={
        200: {
            "description": "JSON by default; with format=csv or xlsx the list as an attachment",
            "content": {"application/json": {"example": [_EXAMPLE]}, CSV_MEDIA: {"example": _CSV_EXAMPLE},
                        XLSX_MEDIA: _BINARY},
        },
        **error_responses({**AUTH_ERRORS, 422: _BAD_RANGE}),
    },
)  # fmt: skip
def inspections_due(
    conn: Connection,
    visible: Visible,
    now: Now,
    configured_lead_days: LeadDays,
    start: Annotated[date | None, Query(alias="from", description="first due date; default today (Japan)")] = None,
    end: Annotated[date | None, Query(alias="to", description="last due date; default from + 90 days")] = None,
    fmt: Annotated[Literal["json", "csv", "xlsx"], Query(alias="format")] = "json",
    lead_days: Annotated[int | None, Query(ge=0, le=366, description="days before a due date it turns green; "
                                           "default the deployment's (30)")] = None,
) -> Any:  # fmt: skip
    """By due date, then site and management number. Disposed units, inspections replaced by continuous
    monitoring and inspections with no due date (shown overdue on the unit) are not listed."""
    start = start or local_date(now)
    end = end or start + timedelta(days=DEFAULT_DAYS)
    if end < start:
        raise Invalid(f"to: the end ({end}) is before the start ({start})", field="to")
    if (end - start).days > MAX_DAYS:
        raise Invalid(f"to: at most {MAX_DAYS} days per request", field="to")
    today, lead = local_date(now), configured_lead_days if lead_days is None else lead_days
    found = due_between(assessed_units(conn, visible.site_ids, today, lead), start, end)
    if fmt == "json":
        return [DuePublic(equipment_id=u["id"], site_id=u["site_id"], site_code=u["site_code"],
                          management_no=i.management_no, kind=i.kind.value, due_on=i.due_on, status=i.status.value,
                          colour=STATUS_COLOUR[i.status], due_before_restart=i.due_before_restart)
                for u, i in found]  # fmt: skip
    rows = [[u["site_code"], *row] for (u, _), row in zip(found, due_rows([i for _, i in found]), strict=True)]
    name = f"inspections-due-{start}-{end}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(FILE_HEADER)
        writer.writerows(rows)
        return Response("\ufeff" + out.getvalue(), media_type=CSV_MEDIA, headers=headers)
    return Response(xlsx(FILE_HEADER, rows, "点検予定"), media_type=XLSX_MEDIA, headers=headers)
