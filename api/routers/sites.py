"""/api/v1/organisations and /api/v1/sites: the part of the organisation tree the caller may see, and its sites,
each with a status colour that is the worst of its units in service (compliance.unit_status):

* red: a unit has an open leak alert, a confirmed leak not yet repaired and verified, or an overdue inspection;
* amber: a unit has another open alert (not a leak) or an inspection due soon (within the lead time);
* green: none of these; grey: the site has no unit in service.

Visibility is alerts.service.visible_site_ids, applied in the SQL (storage.site_queries). A site the caller may
not see answers 404.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Connection, Now
from api.errors import AUTH_ERRORS, NotFound, error_responses
from api.routers.equipment import EquipmentPublic, UnitStatusPublic, example, status_public
from api.scoping import LeadDays, Visibility, Visible
from compliance.ticket_service import local_date
from compliance.unit_status import Colour, assess, site_colour
from storage import equipment_queries, site_queries

router = APIRouter(tags=["sites"])

_NOT_SEEN = "no such site, or not one you may see"
_BAD_ID = ("site_id: Input should be a valid integer, unable to parse string as an integer", "site_id")
_ORG_EXAMPLES: list[dict[str, Any]] = [
    {"id": 1, "parent_id": None, "name": "Sakura Mart", "depth": 0, "sites": 0},
    {"id": 2, "parent_id": 1, "name": "Kanto", "depth": 1, "sites": 2},
]
_CONTRACTOR_EXAMPLE: dict[str, Any] = {"id": 2, "name": "冷熱サービス", "registration_no": "13-0001"}
_SITE_EXAMPLE: dict[str, Any] = {
    "id": 3, "site_code": "S-101", "name": "Sakura Mart Shinjuku", "prefecture_code": "13", "address": "Tokyo",
    "organisation_id": 2, "organisation_path": ["Sakura Mart", "Kanto"], "units": 4, "colour": "red",
    "units_by_colour": {"red": 1, "amber": 1, "green": 2}, "contractors": [_CONTRACTOR_EXAMPLE],
}  # fmt: skip
_UNIT_EXAMPLE: dict[str, Any] = {
    "id": 7, "site_id": 3, "site_code": "S-101", "site_name": "Sakura Mart Shinjuku", "management_no": "SC-01",
    "kind": "showcase_remote", "refrigerant": "R404A", "charge_kg": "8.000", "installed_on": "2019-04-01",
    "disposed_on": None, "status": {"colour": "red", "reasons": ["1 open leak alert(s)"]}, "open_alerts": 1,
    "open_tickets": 0,
}  # fmt: skip
_DETAIL_EXAMPLE: dict[str, Any] = {**_SITE_EXAMPLE, "equipment": [_UNIT_EXAMPLE]}


class OrganisationPublic(BaseModel):
    """One organisation level: company (depth 0), region or branch; ``sites``: visible sites directly under it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ORG_EXAMPLES[1]]})

    id: int
    parent_id: int | None
    name: str
    depth: int
    sites: int


class ContractorPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_CONTRACTOR_EXAMPLE]})

    id: int
    name: str
    registration_no: str


class SitePublic(BaseModel):
    """A site with its place in the organisation and its colour: the worst of its units in service."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SITE_EXAMPLE]})

    id: int
    site_code: str
    name: str
    prefecture_code: str
    address: str
    organisation_id: int
    organisation_path: list[str] = Field(description="company first")
    units: int = Field(description="units in service")
    colour: Colour
    units_by_colour: dict[str, int] = Field(description="units in service per colour")
    contractors: list[ContractorPublic] = Field(description="the contractors serving the site")


class SiteDetailPublic(SitePublic):
    """A site with all its units (disposed ones too, grey) and their status."""

    model_config = ConfigDict(json_schema_extra={"examples": [_DETAIL_EXAMPLE]})

    equipment: list[EquipmentPublic]


@router.get(
    "/organisations",
    summary="The organisation tree the caller may see",
    response_model=list[OrganisationPublic],
    responses={**example(_ORG_EXAMPLES), **error_responses(AUTH_ERRORS)},
)
def list_organisations(conn: Connection, visible: Visible) -> list[dict[str, Any]]:
    """Company first, then each level below: the levels above the sites the caller may see, and every level
    below one the caller holds a role at (a contractor: the levels above the sites it serves)."""
    return site_queries.organisations(conn, visible.site_ids, visible.organisation_ids)


@router.get(
    "/sites",
    summary="List the sites the caller may see, with their status colour",
    response_model=list[SitePublic],
    responses={**example([_SITE_EXAMPLE]), **error_responses(AUTH_ERRORS)},
)
def list_sites(conn: Connection, visible: Visible, now: Now, lead_days: LeadDays) -> list[SitePublic]:
    """By site code. Red, amber, green or grey as the worst of the site's units in service (see the tag)."""
    return [site for site, _ in _sites(conn, visible, now, lead_days)]


@router.get(
    "/sites/{site_id}",
    summary="One site with its units",
    response_model=SiteDetailPublic,
    responses={**example(_DETAIL_EXAMPLE), **error_responses({**AUTH_ERRORS, 404: _NOT_SEEN, 422: _BAD_ID})},
)
def get_site(site_id: int, conn: Connection, visible: Visible, now: Now, lead_days: LeadDays) -> SiteDetailPublic:
    """404 also for a site the caller may not see: its existence is not disclosed."""
    found = _sites(conn, visible, now, lead_days, site_id)
    if not found:
        raise NotFound(_NOT_SEEN)
    site, units = found[0]
    return SiteDetailPublic(**site.model_dump(), equipment=units)


def _sites(
    conn: Connection, visible: Visibility, now: Any, lead_days: int, site_id: int | None = None
) -> list[tuple[SitePublic, list[EquipmentPublic]]]:
    today = local_date(now)
    rows = site_queries.sites(conn, visible.site_ids, site_id)
    ids = [r["id"] for r in rows]
    contractors = site_queries.contractors_of_sites(conn, ids)
    units: dict[int, list[EquipmentPublic]] = {}
    for unit in equipment_queries.units(conn, ids):
        status: UnitStatusPublic = status_public(assess(unit, today, lead_days))
        units.setdefault(unit["site_id"], []).append(EquipmentPublic(
            **{k: unit[k] for k in ("id", "site_id", "site_code", "site_name", "management_no", "kind", "refrigerant",
                                    "charge_kg", "installed_on", "disposed_on", "open_tickets")},
            status=status, open_alerts=unit["open_leak_alerts"] + unit["open_other_alerts"],
        ))  # fmt: skip
    found = []
    for row in rows:
        own = units.get(row["id"], [])
        colours = [u.status.colour for u in own if u.status.colour is not Colour.GREY]
        site = SitePublic(**row, colour=site_colour(colours), units_by_colour=dict(Counter(c.value for c in colours)),
                          contractors=[ContractorPublic(**c) for c in contractors.get(row["id"], [])])  # fmt: skip
        found.append((site, own))
    return found
