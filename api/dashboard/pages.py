"""The dashboard's pages: server-rendered, for people signed in with the session cookie (api.auth).

Pages only show; every change goes through the API (sign-in, acknowledge/resolve, charges, imports) from the
page's script with the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import psycopg
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from alerts import service as alert_service
from alerts.lifecycle import Person
from api.auth import person_or_none
from api.dashboard import charts, data
from api.dashboard.i18n import LANG_COOKIE, LANGUAGES, catalogue, language_of, translator
from api.deps import Connection
from compliance import ticket_service
from compliance.exports import due_list_csv, due_list_xlsx
from compliance.leakage import fiscal_year_of
from compliance.leakage_service import live_leakage
from compliance.schedule import DueItem
from storage import logbook_queries

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
LOCAL_ZONE = ZoneInfo("Asia/Tokyo")  # the units are in Japan: times are shown in Japanese time


def _local_time(value: datetime | str | None) -> str:
    """A moment (datetime or ISO text, as the alert payloads carry) as 'YYYY-MM-DD HH:MM' in Japanese time."""
    if value is None or value == "":
        return ""
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.astimezone(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M")


templates.env.filters["local"] = _local_time
router = APIRouter(include_in_schema=False)

POLL_SECONDS = 20  # the live updates: how often the page asks /live whether anything changed (app.state may override)
CHART_DAYS = 14


class LoginNeeded(Exception):
    """No signed-in person: the page redirects to /login (installed as a handler by `install`)."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def _today(request: Request) -> date:
    return ticket_service.local_date(_now(request))


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def _signed_in(request: Request, conn: psycopg.Connection) -> Person:
    person = person_or_none(request, conn)
    if person is None:
        raise LoginNeeded(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return person


def _render(request: Request, name: str, person: Person | None, status_code: int = 200, **context: Any) -> Response:
    language = language_of(request)
    roles = sorted({g.role for g in person.grants}) if person else []
    return templates.TemplateResponse(
        request,
        name,
        {
            "t": translator(language),
            "lang": language,
            "other_lang": next(code for code in LANGUAGES if code != language),
            "messages": {k: v for k, v in catalogue(language).items() if k in _JS_KEYS},
            "person": person,
            "roles": roles,
            "poll_seconds": getattr(request.app.state, "dashboard_poll_seconds", POLL_SECONDS),
            "path": request.url.path,
            "field_keys": _FIELD_KEYS,
            **context,
        },
        status_code=status_code,
    )


_FIELD_KEYS = {key for key in catalogue("en") if key.startswith("field.")}
_JS_KEYS = {"busy", "alerts.done", "tickets.recorded", "tickets.refused", "imports.ok", "imports.failed",
            "imports.line", "imports.field", "imports.message", "login.failed", "error.title"}  # fmt: skip


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    return _render(request, "login.html", None, next=_local(next))


def _local(path: str) -> str:
    """Only a path of this site: never send the browser elsewhere after signing in."""
    return path if path.startswith("/") and not path.startswith("//") else "/"


@router.get("/lang/{code}")
def switch_language(code: str, next: str = "/") -> Response:
    response = RedirectResponse(_local(next), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax")
    return response


@router.get("/", response_class=HTMLResponse)
def fleet_page(request: Request, conn: Connection) -> Response:
    person = _signed_in(request, conn)
    sites = data.fleet(conn, person, _today(request))
    return _render(request, "fleet.html", person, sites=sites, live=True)


@router.get("/units/{equipment_id}", response_class=HTMLResponse)
def unit_page(request: Request, equipment_id: int, conn: Connection) -> Response:
    person = _signed_in(request, conn)
    units = data.visible_units(conn, person, _today(request), equipment_id)
    if not units:
        return _render(request, "error.html", person, status_code=404, message_key="unit.not_found")
    unit = units[0]
    t = translator(language_of(request))
    end = _now(request).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end - timedelta(days=CHART_DAYS)
    circuits = []
    for circuit_no in data.circuits(conn, equipment_id):
        series = data.hourly_series(conn, equipment_id, circuit_no, start, end)
        levels = data.baseline_levels(conn, equipment_id, circuit_no)
        chart_list = []
        for key in data.CHART_CHANNELS:
            band = None
            if key in levels:
                level, sigma = levels[key]
                band = charts.Band(level - 2 * sigma, level + 2 * sigma)
            svg = charts.line_chart(series[key], start, end, band=band, title=t(f"chart.{key}"),
                                    no_data=t("unit.no_data"))  # fmt: skip
            chart_list.append({"title": t(f"chart.{key}"), "svg": Markup(svg)})
        charge = data.charge_series(conn, equipment_id, circuit_no, start, end)
        charge_svg = charts.line_chart(charge, start, end, band=charts.Band(95, 100), title=t("chart.charge_pct"),
                                       no_data=t("unit.no_data"))  # fmt: skip
        latest = next((v for _, v in reversed(charge) if v is not None), None)
        circuits.append({"no": circuit_no, "charts": chart_list, "has_baseline": bool(levels),
                         "charge_svg": Markup(charge_svg), "charge_latest": latest})  # fmt: skip
    alerts = [a for a in alert_service.visible_alerts(conn, person, limit=1000) if a["equipment_id"] == equipment_id]
    return _render(
        request, "unit.html", person, unit=unit, circuits=circuits, alerts=alerts[:50],
        tickets=data.tickets(conn, person, equipment_id), logbook=logbook_queries.entries(conn, equipment_id),
        live=True, live_unit=equipment_id,
    )  # fmt: skip


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, conn: Connection, status: str | None = None) -> Response:
    person = _signed_in(request, conn)
    wanted = status if status in ("raised", "acknowledged", "resolved") else None
    alerts = alert_service.visible_alerts(conn, person, status=wanted, limit=200)
    return _render(request, "alerts.html", person, alerts=alerts, status=wanted, live=True)


@router.get("/live")
def live(request: Request, conn: Connection, unit: int | None = None) -> Response:
    """The live updates (polled): a fingerprint of what the inbox and the unit page show. The page reloads its
    content when the fingerprint changes."""
    person = person_or_none(request, conn)
    if person is None:
        return JSONResponse({"signed_in": False}, status_code=401)
    sites = alert_service.visible_site_ids(conn, person)
    row = conn.execute(
        """SELECT count(*), max(a.updated_at) FROM alert a JOIN equipment e ON e.id = a.equipment_id
           WHERE e.site_id = ANY(%s) AND (%s::bigint IS NULL OR a.equipment_id = %s)""",
        (sites, unit, unit),
    ).fetchone()
    parts = [str(v) for v in (row or ())]
    if unit is not None and unit in {u.id for u in data.visible_units(conn, person, _today(request), unit)}:
        latest = conn.execute(
            """SELECT max(ts) FROM telemetry WHERE equipment_id = %s AND ts > now() - interval '2 days'""", (unit,)
        ).fetchone()
        parts.append(str(latest[0] if latest else None))
        hours = conn.execute("SELECT max(hour_utc) FROM detector_hour WHERE equipment_id = %s", (unit,)).fetchone()
        parts.append(str(hours[0] if hours else None))
    return JSONResponse({"signed_in": True, "version": hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]})


@router.get("/tickets", response_class=HTMLResponse)
def tickets_page(request: Request, conn: Connection) -> Response:
    person = _signed_in(request, conn)
    return _render(request, "tickets.html", person, tickets=data.tickets(conn, person), today=_today(request))


def _error(status_code: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message}}, status_code=status_code)


@router.get("/inspections", response_class=HTMLResponse)
def inspections_page(request: Request, conn: Connection) -> Response:
    person = _signed_in(request, conn)
    rows = _inspection_rows(conn, person, _today(request))
    return _render(request, "inspections.html", person, rows=rows)


def _inspection_rows(conn: psycopg.Connection, person: Person, today: date) -> list[dict[str, Any]]:
    rows = []
    for unit in data.visible_units(conn, person, today):
        if unit.schedule is None:
            continue
        for due in unit.schedule.inspections():
            rows.append({"unit": unit, "due": due})
    return sorted(rows, key=_due_order)


def _due_order(row: dict[str, Any]) -> tuple[date, str, str]:
    """Overdue first (no due date at all first of them), then by due date; replaced inspections last."""
    due_on = row["due"].due_on or (date.min if row["due"].status == "overdue" else date.max)
    return due_on, row["unit"].site_code, row["unit"].management_no


@router.get("/inspections/due.{fmt}")
def inspections_download(request: Request, fmt: str, conn: Connection) -> Response:
    """The due list as CSV or XLSX (compliance.exports: the same columns as `fluorowatch` prints)."""
    person = _signed_in(request, conn)
    items = [
        DueItem(r["unit"].management_no, r["due"].kind, r["due"].due_on, r["due"].status, r["due"].due_before_restart)
        for r in _inspection_rows(conn, person, _today(request))
        if r["due"].due_on is not None
    ]
    if fmt == "csv":
        body: bytes = due_list_csv(items).encode("utf-8-sig")
        media = "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = due_list_xlsx(items)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        return _error(404, "csv or xlsx")
    name = quote(f"inspections-due-{_today(request)}.{fmt}")
    return Response(body, media_type=media, headers={"Content-Disposition": f"attachment; filename={name}"})


@router.get("/leakage", response_class=HTMLResponse)
def leakage_page(request: Request, conn: Connection) -> Response:
    person = _signed_in(request, conn)
    today = _today(request)
    companies = []
    for name, _ in data.companies_covered(conn, person):
        report = live_leakage(conn, today, name)
        names: dict[str, str] = dict(conn.execute("SELECT site_code, name FROM site WHERE site_code = ANY(%s)",
                                  (list(report.by_site),)).fetchall())  # fmt: skip
        sites = [
            {"code": code, "name": names.get(code, ""), "t_co2": leakage.total_t_co2}
            for code, leakage in sorted(report.by_site.items())
        ]
        companies.append({"name": name, "quoted": quote(name), "report": report, "sites": sites})
    status_code = 200 if companies else 403
    return _render(request, "leakage.html", person, status_code=status_code, companies=companies,
                   fiscal_year=fiscal_year_of(today))  # fmt: skip


@router.get("/imports", response_class=HTMLResponse)
def imports_page(request: Request, conn: Connection) -> Response:
    person = _signed_in(request, conn)
    return _render(request, "imports.html", person)
