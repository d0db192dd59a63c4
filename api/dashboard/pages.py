"""The dashboard's pages: server-rendered, for people signed in with the session cookie (api.auth).

Pages only show; every change goes through the API (sign-in, acknowledge/resolve, charges, imports) from the
page's script with the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
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
from api.scoping import configured_lead_days
from compliance import logbook_service, ticket_service
from compliance.exports import due_list_csv, due_list_xlsx
from compliance.fleet import AssessedUnit
from compliance.leakage import fiscal_year_of
from compliance.leakage_service import live_leakage
from compliance.logbook import KIND_LABELS, render
from compliance.logbook_pdf import kg_text
from compliance.schedule import DueItem
from storage import telemetry_queries, ticket_queries
from storage.chart_series import PAGE_CHANNELS, channel_values, circuit_baseline, stored_keys
from storage.rollups import HOURLY

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
templates.env.filters["kg"] = kg_text
router = APIRouter(include_in_schema=False)

POLL_SECONDS = 20  # the live updates: how often the page asks /live whether anything changed, as the page says
# app.state.dashboard_poll_seconds, when set, is how often the script really asks (the browser tests ask quickly);
# the page still prints POLL_SECONDS, so its text (and the screenshots) do not depend on it.
CHART_DAYS = 14


class LoginNeeded(Exception):
    """No signed-in person: the page redirects to /login (installed as a handler by `install`)."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def _today(request: Request) -> date:
    return ticket_service.local_date(_now(request))


def _units(
    request: Request, conn: psycopg.Connection, person: Person, equipment_id: int | None = None
) -> list[AssessedUnit]:
    return data.visible_units(conn, person, _today(request), configured_lead_days(request), equipment_id)


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
            "poll_seconds": POLL_SECONDS,
            "poll_interval": getattr(request.app.state, "dashboard_poll_seconds", POLL_SECONDS),
            "path": request.url.path,
            **context,
        },
        status_code=status_code,
    )


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
    sites = data.fleet(conn, person, _today(request), configured_lead_days(request))
    return _render(request, "fleet.html", person, sites=sites, live=True)


@router.get("/units/{equipment_id}", response_class=HTMLResponse)
def unit_page(request: Request, equipment_id: int, conn: Connection) -> Response:
    person = _signed_in(request, conn)
    units = _units(request, conn, person, equipment_id)
    charted = telemetry_queries.unit_for_charts(conn, equipment_id)
    if not units or charted is None:
        return _render(request, "error.html", person, status_code=404, message_key="unit.not_found")
    t = translator(language_of(request))
    end = _now(request).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end - timedelta(days=CHART_DAYS)
    circuits = [_circuit_charts(conn, equipment_id, n, charted.refrigerant, start, end, t) for n in charted.circuits]
    alerts = [a for a in alert_service.visible_alerts(conn, person, limit=1000) if a["equipment_id"] == equipment_id]
    alerts = _with_repair_tickets(conn, alerts[:50])
    logbook = [{"entry": e, "kind": KIND_LABELS[e.kind], "fields": render(e)}
               for e in logbook_service.entries(conn, equipment_id)]  # fmt: skip
    return _render(
        request, "unit.html", person, unit=units[0], circuits=circuits, alerts=alerts,
        tickets=data.tickets(conn, person, equipment_id), logbook=logbook, live=True, live_unit=equipment_id,
    )  # fmt: skip


def _circuit_charts(
    conn: psycopg.Connection, equipment_id: int, circuit_no: int, refrigerant: str, start: datetime, end: datetime,
    t: Any,
) -> dict[str, Any]:  # fmt: skip
    """One circuit's charts: the API's hourly values (storage.chart_series, as GET .../telemetry?resolution=hour)
    against its baseline's expected value ± 2 spreads and the charge estimate (as GET .../baseline)."""
    columns = telemetry_queries.rollup_columns(
        conn, HOURLY, equipment_id, circuit_no, stored_keys(PAGE_CHANNELS), start, end
    )
    values = channel_values(columns, PAGE_CHANNELS, refrigerant)
    baseline = circuit_baseline(conn, equipment_id, circuit_no, PAGE_CHANNELS, start, end)
    hours = [datetime.fromtimestamp(s, UTC) for s in baseline.starts.tolist()]
    chart_list = []
    for key in PAGE_CHANNELS:
        band = None
        if key in baseline.expected:
            level, spread = baseline.expected[key]
            band = charts.Band(list(zip(hours, (level - 2 * spread).tolist(), (level + 2 * spread).tolist(),
                                        strict=True)))  # fmt: skip
        svg = charts.line_chart(list(zip(columns.ts, values[key].values.tolist(), strict=True)), start, end,
                                band=band, title=t(f"chart.{key}"), no_data=t("unit.no_data"))  # fmt: skip
        chart_list.append({"title": t(f"chart.{key}"), "svg": Markup(svg)})
    charge = list(zip(hours, (100.0 - baseline.lost_pct).tolist(), strict=True))
    charge_svg = charts.line_chart(charge, start, end, band=charts.Band.constant(95, 100, start, end),
                                   title=t("chart.charge_pct"), no_data=t("unit.no_data"))  # fmt: skip
    latest = next((v for _, v in reversed(charge) if v == v), None)  # the newest hour the detector judged
    return {"no": circuit_no, "charts": chart_list, "has_baseline": baseline.model is not None,
            "charge_svg": Markup(charge_svg), "charge_latest": latest}  # fmt: skip


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, conn: Connection, status: str | None = None) -> Response:
    person = _signed_in(request, conn)
    wanted = status if status in ("raised", "acknowledged", "resolved") else None
    alerts = _with_repair_tickets(conn, alert_service.visible_alerts(conn, person, status=wanted, limit=200))
    return _render(request, "alerts.html", person, alerts=alerts, status=wanted, live=True)


def _with_repair_tickets(conn: psycopg.Connection, alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each leak alert with the ticket repairing its leak, if one is in progress: the page then shows the ticket
    instead of the button confirming the leak (one leak, one repair)."""
    tickets = ticket_queries.repair_tickets_of_alerts(conn, [a["id"] for a in alerts])
    return [{**a, "repair_ticket_id": tickets.get(a["id"])} for a in alerts]


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
    tickets = conn.execute(  # a ticket opened by policy changes the inbox too (the leak shows its ticket)
        """SELECT count(*), max(t.updated_at) FROM ticket t JOIN equipment e ON e.id = t.equipment_id
           WHERE e.site_id = ANY(%s) AND (%s::bigint IS NULL OR t.equipment_id = %s)""",
        (sites, unit, unit),
    ).fetchone()
    parts += [str(v) for v in (tickets or ())]
    if unit is not None and _units(request, conn, person, unit):
        latest = conn.execute(
            "SELECT max(ts) FROM telemetry WHERE equipment_id = %s AND ts > %s",
            (unit, _now(request) - timedelta(days=2)),
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
    rows = _inspection_rows(_units(request, conn, person))
    return _render(request, "inspections.html", person, rows=rows)


def _inspection_rows(units: list[AssessedUnit]) -> list[dict[str, Any]]:
    """Every inspection of the units' schedules (compliance.fleet, as GET /api/v1/inspections/due), with its unit."""
    rows = [{"unit": u.row, "due": due} for u in units for due in u.assessment.schedule.inspections()]
    return sorted(rows, key=_due_order)


def _due_order(row: dict[str, Any]) -> tuple[date, str, str]:
    """Overdue first (no due date at all first of them), then by due date; replaced inspections last."""
    due_on = row["due"].due_on or (date.min if row["due"].status == "overdue" else date.max)
    return due_on, row["unit"]["site_code"], row["unit"]["management_no"]


@router.get("/inspections/due.{fmt}")
def inspections_download(request: Request, fmt: str, conn: Connection) -> Response:
    """The due list as CSV or XLSX (compliance.exports: the same columns as `fluorowatch` prints)."""
    person = _signed_in(request, conn)
    dues = [(r["unit"]["management_no"], r["due"]) for r in _inspection_rows(_units(request, conn, person))]
    items = [DueItem(no, d.kind, d.due_on, d.status, d.due_before_restart) for no, d in dues if d.due_on is not None]
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
