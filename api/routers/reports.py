"""/api/v1/leakage/live and /api/v1/reports/{leakage|kyoto}: the calculated leakage (REGULATION.md (g)).

The live figures are the current fiscal year so far (certificates up to today, the app clock's local date), for
the dashboard, restricted to what the caller may see: the company total only for a person granted at the company
itself (an administrator, manager or viewer at depth 0); others see the units and site figures of the sites they
may see (alerts.service.visible_site_ids: a site or branch manager, a delegate, a contractor's staff for the sites
it serves) and no company total, nor whether the company is a specified leaker.

The report downloads are the same files `fluorowatch report` writes (compliance.reports.files); they carry the
company's totals, so only a person granted at the company itself may download them: others who see some of its
sites get 403. A company the caller sees nothing of answers 404, like one that does not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

import psycopg
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from alerts.lifecycle import Person
from alerts.service import visible_site_ids
from api.deps import Connection, CurrentPerson, Now
from api.errors import AUTH_ERRORS, Forbidden, Invalid, NotFound, error_responses
from compliance.leakage import Leakage, LeakageReport, fiscal_year_of
from compliance.leakage_service import live_leakage
from compliance.reports.files import (
    FORM2_FORMATS,
    MEDIA_TYPES,
    KyotoFormat,
    LeakageFormat,
    ReportFile,
    kyoto_file,
    leakage_file,
)
from compliance.reports.leakage_json import decimal_text
from compliance.ticket_service import local_date
from storage import import_queries, leakage_queries

router = APIRouter(tags=["reports"])

COMPANY_ROLES = frozenset({"admin", "manager", "viewer"})
FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR = 2015, 2100  # the Act's reporting of calculated leakage began in FY2015

_NOT_SEEN = "no company 'Nobody', or not one you may see"
_GIVE_COMPANY = ("give the company: companies you may see are Sakura Mart, Himawari Foods", "company")
_REFUSED = ("only an administrator, manager or viewer of the whole company may download its reports "
            "(manager of a site may not)")  # fmt: skip
_BAD_YEAR = ("fiscal_year: Input should be greater than or equal to 2015", "fiscal_year")
_REFRIGERANT_EXAMPLE: dict[str, Any] = {"refrigerant": "R404A", "charged_kg": "12.5", "recovered_kg": "2.5",
                                        "leaked_kg": "10", "t_co2": "39.2"}  # fmt: skip
_UNIT_EXAMPLE: dict[str, Any] = {"equipment_id": 7, "management_no": "SC-01", "site_code": "S-101", "t_co2": "39.2",
                                 "by_refrigerant": [_REFRIGERANT_EXAMPLE]}  # fmt: skip
_LIVE_EXAMPLE: dict[str, Any] = {
    "fiscal_year": 2025, "as_of": "2026-01-15", "company": "Sakura Mart", "company_t_co2": "39.2",
    "specified_leaker_so_far": False, "by_unit": [_UNIT_EXAMPLE], "by_site": [{"site_code": "S-101", "t_co2": "39.2"}],
}  # fmt: skip
_LEAKAGE_JSON_EXAMPLE: dict[str, Any] = {
    "fiscal_year": 2025, "company": "Sakura Mart", "company_t_co2": "39.2", "specified_leaker": False,
    "by_prefecture": [{"prefecture_code": "13", "refrigerant": "R404A", "kg": "10", "t_co2": "39.2"}],
    "by_site": [{"site_code": "S-101", "refrigerant": "R404A", "kg": "10", "t_co2": "39.2"}],
    "specified_sites": [],
    "by_unit": [{"management_no": "SC-01", "refrigerant": "R404A", "charged_kg": "12.5", "recovered_kg": "2.5",
                 "kg": "10", "t_co2": "39.2"}],
    "by_organisation": [{"path": ["Sakura Mart"], "t_co2": "39.2"}],
}  # fmt: skip
_KYOTO_JSON_EXAMPLE: dict[str, Any] = {"fiscal_year": 2025, "company": "Sakura Mart", "rows": ["..."]}
_BINARY = {"schema": {"type": "string", "format": "binary"}}

_YEAR_HELP = "named by the year it starts in (2025 = April 2025 to March 2026)"
FiscalYear = Annotated[int, Query(ge=FIRST_FISCAL_YEAR, le=LAST_FISCAL_YEAR, description=_YEAR_HELP)]
CompanyName = Annotated[str | None, Query(
    min_length=1, max_length=200, description="the company; may be omitted when only one is registered"
)]  # fmt: skip


class RefrigerantLive(BaseModel):
    """One refrigerant of a unit: charged and recovered at maintenance, actual leakage (kg) and t-CO2 (g1)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_REFRIGERANT_EXAMPLE]})

    refrigerant: str
    charged_kg: str = Field(description="exact decimal")
    recovered_kg: str = Field(description="exact decimal")
    leaked_kg: str = Field(description="exact decimal; negative when more was recovered than charged")
    t_co2: str = Field(description="exact decimal")


class UnitLive(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_UNIT_EXAMPLE]})

    equipment_id: int
    management_no: str
    site_code: str
    t_co2: str = Field(description="exact decimal")
    by_refrigerant: list[RefrigerantLive]


class SiteLive(BaseModel):
    """An own site's calculated leakage (units on others' premises or mobile count for no site, (g2))."""

    site_code: str
    t_co2: str = Field(description="exact decimal")


class LiveLeakage(BaseModel):
    """The current fiscal year so far, as far as the caller may see."""

    model_config = ConfigDict(json_schema_extra={"examples": [_LIVE_EXAMPLE]})

    fiscal_year: int
    as_of: date = Field(description="today, the local date: certificates up to this day count")
    company: str
    company_t_co2: str | None = Field(description="exact decimal; null unless the caller's grant covers the company")
    specified_leaker_so_far: bool | None = Field(
        description="company total so far at or above 1,000 t-CO2; null unless the caller's grant covers the company"
    )
    by_unit: list[UnitLive] = Field(description="units with counted certificates, by site then management number")
    by_site: list[SiteLive]


def _download(example: dict[str, Any], formats: tuple[str, ...], name: str) -> dict[int | str, dict[str, Any]]:
    content = {MEDIA_TYPES[fmt]: {"example": example} if fmt == "json" else _BINARY for fmt in formats}
    return {200: {"description": f"the file, as an attachment named {name}", "content": content}}


_DOWNLOAD_ERRORS = error_responses({**AUTH_ERRORS, 403: _REFUSED, 404: _NOT_SEEN, 422: _BAD_YEAR})


@router.get(
    "/leakage/live",
    summary="The calculated leakage of the current fiscal year so far",
    response_model=LiveLeakage,
    responses={
        200: {"content": {"application/json": {"example": _LIVE_EXAMPLE}}},
        **error_responses({**AUTH_ERRORS, 404: _NOT_SEEN, 422: _GIVE_COMPANY}),
    },
)
def get_live_leakage(conn: Connection, person: CurrentPerson, now: Now, company: CompanyName = None) -> LiveLeakage:
    """Certificates with a work date from the fiscal year's first day up to today (local date) count. Exact
    decimals as strings; the form's rounding (g3) is for the report downloads only."""
    name, org_id = _company(conn, person, company)
    whole = _covers_company(person, org_id)
    today = local_date(now)
    report = live_leakage(conn, today, name)
    codes = None if whole else _visible_codes(conn, person, name)
    return _live(report, today, whole, codes)


@router.get(
    "/reports/leakage",
    summary="The fiscal year's calculated-leakage report (form 1) as a file",
    response_class=Response,
    responses={**_download(_LEAKAGE_JSON_EXAMPLE, ("json", "csv", "pdf", "xlsx"),
                           "leakage-<company>-FY<year>.<format>"), **_DOWNLOAD_ERRORS},
)  # fmt: skip
def download_leakage_report(
    conn: Connection,
    person: CurrentPerson,
    now: Now,
    fiscal_year: FiscalYear,
    company: CompanyName = None,
    fmt: Annotated[LeakageFormat, Query(alias="format", description="json (exact), csv/pdf (form 1), xlsx")] = "json",
    form2: Annotated[bool, Query(description="add form 2 (optional related information): json or pdf only")] = False,
) -> Response:
    """What `fluorowatch report leakage` writes: the exact JSON, form 1's tables as CSV with the form's rounding
    (g3), form 1 as PDF (dated today, local date), or the workbook with every counted certificate; with form2,
    form 2 in the JSON or after form 1 in the PDF (422 with another format)."""
    name = _whole_company(conn, person, company)
    if form2 and fmt not in FORM2_FORMATS:
        raise Invalid(f"form2 goes with format {' or '.join(FORM2_FORMATS)}, not {fmt}", field="form2")
    return _attachment(leakage_file(conn, fiscal_year, name, fmt, local_date(now), with_form2=form2))


@router.get(
    "/reports/kyoto",
    summary="Kyoto Prefecture's yearly HFC report as a file",
    response_class=Response,
    responses={**_download(_KYOTO_JSON_EXAMPLE, ("json", "csv", "pdf"), "kyoto-<company>-FY<year>.<format>"),
               **_DOWNLOAD_ERRORS},
)  # fmt: skip
def download_kyoto_report(
    conn: Connection,
    person: CurrentPerson,
    now: Now,
    fiscal_year: FiscalYear,
    company: CompanyName = None,
    fmt: Annotated[KyotoFormat, Query(alias="format", description="json, csv or pdf")] = "json",
) -> Response:
    """What `fluorowatch report kyoto` writes (REGULATION.md (m)); the PDF is dated today (local date)."""
    name = _whole_company(conn, person, company)
    return _attachment(kyoto_file(conn, fiscal_year, name, fmt, local_date(now)))


def _company(conn: psycopg.Connection, person: Person, company: str | None) -> tuple[str, int]:
    """The company named (or the only one there is) and its organisation id, when the caller sees any of it:
    its grant covers the company, or it may see one of its sites. Else 404, as for a company that does not exist."""
    companies = import_queries.companies(conn)
    visible = set(visible_site_ids(conn, person))

    def sees(name: str) -> bool:
        return _covers_company(person, companies[name]) or bool(
            visible & set(leakage_queries.company_sites(conn, name))
        )

    if company is None and len(companies) == 1:
        company = next(iter(companies))
    if company is None:
        seen = ", ".join(sorted(name for name in companies if sees(name))) or "none"
        raise Invalid(f"give the company: companies you may see are {seen}", field="company")
    if company not in companies or not sees(company):
        raise NotFound(f"no company {company!r}, or not one you may see")
    return company, companies[company]


def _whole_company(conn: psycopg.Connection, person: Person, company: str | None) -> str:
    """The company, for a caller whose grant covers it whole; 403 for one who sees only some of its sites."""
    name, org_id = _company(conn, person, company)
    if not _covers_company(person, org_id):
        roles = ", ".join(sorted({g.role for g in person.grants})) or "no role"
        raise Forbidden(f"only an administrator, manager or viewer of the whole company may download its reports "
                        f"({roles} of a part of it may not)")  # fmt: skip
    return name


def _covers_company(person: Person, organisation_id: int) -> bool:
    """Granted at the company itself (depth 0) as an administrator, manager or viewer."""
    return any(g.role in COMPANY_ROLES and g.organisation_id == organisation_id for g in person.grants)


def _visible_codes(conn: psycopg.Connection, person: Person, company: str) -> set[str]:
    visible = set(visible_site_ids(conn, person))
    return {code for site_id, code in leakage_queries.company_sites(conn, company).items() if site_id in visible}


def _live(report: LeakageReport, today: date, whole: bool, codes: set[str] | None) -> LiveLeakage:
    """``codes``: the only sites whose units and figures the caller may see (None: all of them)."""
    places = report.units
    units = sorted(
        (u for u in report.by_unit if codes is None or places[u].site_code in codes),
        key=lambda u: (places[u].site_code, places[u].management_no, u),
    )
    return LiveLeakage(
        fiscal_year=fiscal_year_of(today),
        as_of=today,
        company=report.company,
        company_t_co2=decimal_text(report.company_t_co2) if whole else None,
        specified_leaker_so_far=report.specified_leaker if whole else None,
        by_unit=[_unit(u, report.by_unit[u], report) for u in units],
        by_site=[SiteLive(site_code=code, t_co2=decimal_text(leakage.total_t_co2))
                 for code, leakage in sorted(report.by_site.items()) if codes is None or code in codes],
    )  # fmt: skip


def _unit(equipment_id: int, leakage: Leakage, report: LeakageReport) -> UnitLive:
    place = report.units[equipment_id]
    return UnitLive(
        equipment_id=equipment_id,
        management_no=place.management_no,
        site_code=place.site_code,
        t_co2=decimal_text(leakage.total_t_co2),
        by_refrigerant=[_refrigerant(leakage, r) for r in leakage.refrigerants],
    )


def _refrigerant(leakage: Leakage, refrigerant: str) -> RefrigerantLive:
    flow = leakage.flows[refrigerant]
    return RefrigerantLive(
        refrigerant=refrigerant,
        charged_kg=decimal_text(flow.charged_kg),
        recovered_kg=decimal_text(flow.recovered_kg),
        leaked_kg=decimal_text(flow.leaked_kg),
        t_co2=decimal_text(leakage.t_co2(refrigerant)),
    )


def _attachment(file: ReportFile) -> Response:
    """The file as an attachment whose name survives a company name in Japanese (RFC 6266 filename*)."""
    fallback = file.filename.encode("ascii", "replace").decode("ascii").replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file.filename)}"
    return Response(file.content, media_type=file.media_type, headers={"Content-Disposition": disposition})
