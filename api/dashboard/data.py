"""What the dashboard's pages show, read from the database for one person: only the sites they may see.

The rules are the existing ones (alerts.service.visible_site_ids for visibility, compliance.schedule for the
inspection colours, compliance.recharge for the 60 days); this module only gathers their inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.rows import dict_row

from alerts.lifecycle import Person
from alerts.service import visible_site_ids
from compliance.recharge import repair_deadline
from compliance.schedule import DueStatus, UnitInspections, UnitSchedule, schedule
from fluorowatch.domain.equipment import Compressor, Equipment, RefrigerantCircuit

# A circuit registered without its compressors is judged as the smallest unit (periodic inspection by kind only).
_UNKNOWN_OUTPUT = Compressor(Decimal("0.001"))
CHART_CHANNELS = ("superheat_k", "subcooling_k", "suction_pressure_mpag", "discharge_pressure_mpag", "cabinet_temp_c")
_HOURLY_EXPRESSIONS = {
    "superheat_k": "avg(suction_temp_c - evap_sat_temp_c)",
    "subcooling_k": "avg(cond_sat_temp_c - liquid_temp_c)",
    "suction_pressure_mpag": "avg(suction_pressure_mpag)",
    "discharge_pressure_mpag": "avg(discharge_pressure_mpag)",
    "cabinet_temp_c": "avg(cabinet_temp_c)",
}


@dataclass
class UnitRow:
    id: int
    site_id: int
    site_code: str
    site_name: str
    management_no: str
    kind: str
    refrigerant: str
    charge_kg: Decimal
    open_leak_alert: bool = False
    schedule: UnitSchedule | None = None

    @property
    def status(self) -> str:
        """leak | overdue | due_soon | ok: the worst of the unit's open leak alert and its inspections."""
        if self.open_leak_alert:
            return "leak"
        statuses = {i.status for i in self.schedule.inspections()} if self.schedule else set()
        if DueStatus.OVERDUE in statuses:
            return "overdue"
        if DueStatus.DUE_SOON in statuses:
            return "due_soon"
        return "ok"


@dataclass
class SiteRow:
    id: int
    code: str
    name: str
    units: list[UnitRow] = field(default_factory=list)

    @property
    def status(self) -> str:
        order = ("leak", "overdue", "due_soon", "ok")
        return min((u.status for u in self.units), key=order.index, default="ok")


def _rows(conn: psycopg.Connection, query: str, params: Sequence[Any] | dict[str, Any]) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, params).fetchall()


def visible_units(
    conn: psycopg.Connection, person: Person, today: date, equipment_id: int | None = None
) -> list[UnitRow]:
    """The person's units in service (not disposed before today), by site and management number."""
    sites = visible_site_ids(conn, person)
    rows = _rows(
        conn,
        """SELECT e.id, e.site_id, s.site_code, s.name AS site_name, e.management_no, e.kind, e.refrigerant,
                  e.charge_kg, e.installed_on, e.disposed_on, e.legal_category_override,
                  EXISTS (SELECT 1 FROM alert a WHERE a.equipment_id = e.id AND a.category = 'leak'
                          AND a.status <> 'resolved') AS open_leak_alert
           FROM equipment e JOIN site s ON s.id = e.site_id
           WHERE e.site_id = ANY(%(sites)s) AND (e.disposed_on IS NULL OR e.disposed_on > %(today)s)
             AND (%(unit)s::bigint IS NULL OR e.id = %(unit)s)
           ORDER BY s.site_code, e.management_no""",
        {"sites": sites, "today": today, "unit": equipment_id},
    )
    inspections = _inspection_inputs(conn, [r["id"] for r in rows])
    units = []
    for r in rows:
        unit = UnitRow(r["id"], r["site_id"], r["site_code"], r["site_name"], r["management_no"], r["kind"],
                       r["refrigerant"], r["charge_kg"], r["open_leak_alert"])  # fmt: skip
        equipment = _equipment(r, inspections["circuits"].get(r["id"], {}))
        if equipment is not None:
            last = inspections["last"].get(r["id"], {})
            unit.schedule = schedule(
                UnitInspections(equipment, last.get("simple"), last.get("periodic"),
                                monitoring_periods=tuple(inspections["periods"].get(r["id"], ()))),
                today,
            )  # fmt: skip
        units.append(unit)
    return units


def _equipment(row: dict[str, Any], circuits: dict[int, list[Decimal]]) -> Equipment | None:
    try:
        return Equipment(
            management_no=row["management_no"], kind=row["kind"], refrigerant=row["refrigerant"],
            charge_kg=Decimal(row["charge_kg"]),
            circuits=tuple(
                RefrigerantCircuit(no, tuple(Compressor(kw) for kw in outputs) or (_UNKNOWN_OUTPUT,))
                for no, outputs in sorted(circuits.items())
            ) or (RefrigerantCircuit(1, (_UNKNOWN_OUTPUT,)),),
            installed_on=row["installed_on"], disposed_on=row["disposed_on"],
            legal_category_override=row["legal_category_override"],
        )  # fmt: skip
    except ValueError:
        return None


def _inspection_inputs(conn: psycopg.Connection, unit_ids: list[int]) -> dict[str, dict[int, Any]]:
    circuits: dict[int, dict[int, list[Decimal]]] = {}
    for r in _rows(
        conn,
        """SELECT c.equipment_id, c.circuit_no, p.rated_output_kw FROM circuit c
           LEFT JOIN compressor p ON p.equipment_id = c.equipment_id AND p.circuit_no = c.circuit_no
           WHERE c.equipment_id = ANY(%s)""",
        (unit_ids,),
    ):
        outputs = circuits.setdefault(r["equipment_id"], {}).setdefault(r["circuit_no"], [])
        if r["rated_output_kw"] is not None:
            outputs.append(r["rated_output_kw"])
    last: dict[int, dict[str, date]] = {}
    for r in _rows(
        conn,
        """SELECT equipment_id,
                  CASE WHEN details->>'method' = 'simple' THEN 'simple' ELSE 'periodic' END AS kind,
                  max(occurred_on) AS last_on
           FROM logbook_entry l
           WHERE equipment_id = ANY(%s) AND kind = 'inspection'
             AND details->>'method' IN ('simple', 'periodic_direct', 'periodic_indirect')
             AND NOT EXISTS (SELECT 1 FROM logbook_entry c WHERE c.corrects_id = l.id)
           GROUP BY 1, 2""",
        (unit_ids,),
    ):
        last.setdefault(r["equipment_id"], {})[r["kind"]] = r["last_on"]
    periods: dict[int, list[tuple[date, date]]] = {}
    for r in _rows(
        conn,
        "SELECT equipment_id, started_on, ended_on FROM monitoring_period WHERE equipment_id = ANY(%s) ORDER BY 2",
        (unit_ids,),
    ):
        periods.setdefault(r["equipment_id"], []).append((r["started_on"], r["ended_on"]))
    return {"circuits": circuits, "last": last, "periods": periods}


def fleet(conn: psycopg.Connection, person: Person, today: date) -> list[SiteRow]:
    """Every site the person may see, with its units (a site without units is listed too)."""
    sites = {
        r["id"]: SiteRow(r["id"], r["site_code"], r["name"])
        for r in _rows(
            conn,
            "SELECT id, site_code, name FROM site WHERE id = ANY(%s) ORDER BY site_code",
            (visible_site_ids(conn, person),),
        )
    }
    for unit in visible_units(conn, person, today):
        sites[unit.site_id].units.append(unit)
    return list(sites.values())


def hourly_series(
    conn: psycopg.Connection, equipment_id: int, circuit_no: int, start: datetime, end: datetime
) -> dict[str, list[tuple[datetime, float | None]]]:
    """Hourly means of the charted values, from the raw readings (every hour of the window, gaps as None)."""
    columns = ", ".join(f"{expression} AS {key}" for key, expression in _HOURLY_EXPRESSIONS.items())
    rows = _rows(
        conn,
        f"""SELECT date_trunc('hour', ts) AS hour, {columns}
            FROM telemetry WHERE equipment_id = %s AND circuit_no = %s AND ts >= %s AND ts < %s
            GROUP BY 1 ORDER BY 1""",
        (equipment_id, circuit_no, start, end),
    )
    by_hour = {r["hour"]: r for r in rows}
    hours = []
    at = start.replace(minute=0, second=0, microsecond=0)
    while at < end:
        hours.append(at)
        at += timedelta(hours=1)
    series: dict[str, list[tuple[datetime, float | None]]] = {}
    for key in CHART_CHANNELS:
        series[key] = [(h, _float(by_hour[h][key]) if h in by_hour else None) for h in hours]
    return series


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def charge_series(
    conn: psycopg.Connection, equipment_id: int, circuit_no: int, start: datetime, end: datetime
) -> list[tuple[datetime, float | None]]:
    """The detector's hourly charge estimate: the share of the proper charge left, in %."""
    rows = _rows(
        conn,
        """SELECT hour_utc, lost_pct FROM detector_hour
           WHERE equipment_id = %s AND circuit_no = %s AND hour_utc >= %s AND hour_utc < %s ORDER BY 1""",
        (equipment_id, circuit_no, start, end),
    )
    return [(r["hour_utc"], None if r["lost_pct"] is None else 100.0 - float(r["lost_pct"])) for r in rows]


def baseline_levels(conn: psycopg.Connection, equipment_id: int, circuit_no: int) -> dict[str, tuple[float, float]]:
    """The newest learned baseline of the circuit: (level, spread) per value; empty before one is learned."""
    row = conn.execute(
        """SELECT model FROM detector_model WHERE equipment_id = %s AND circuit_no = %s
           ORDER BY version DESC LIMIT 1""",
        (equipment_id, circuit_no),
    ).fetchone()
    if row is None:
        return {}
    models = (row[0].get("baseline") or {}).get("models") or {}
    return {key: (float(m["level"]), float(m["sigma"])) for key, m in models.items() if "level" in m}


def circuits(conn: psycopg.Connection, equipment_id: int) -> list[int]:
    return [r[0] for r in conn.execute("SELECT circuit_no FROM circuit WHERE equipment_id = %s ORDER BY 1",
                                       (equipment_id,)).fetchall()]  # fmt: skip


def tickets(conn: psycopg.Connection, person: Person, equipment_id: int | None = None) -> list[dict[str, Any]]:
    """Tickets of the person's contractor(s), or of the sites they may see; each with its leak case and charges."""
    contractors = [g.contractor_id for g in person.grants if g.contractor_id is not None]
    rows = _rows(
        conn,
        """SELECT t.id, t.equipment_id, t.circuit_no, t.status, t.opened_at, t.contractor_id, t.leak_case_id,
                  e.management_no, e.refrigerant, s.site_code, s.name AS site_name, c.name AS contractor_name,
                  l.confirmed_on, l.verified_on,
                  (SELECT count(*) FROM refrigerant_movement m WHERE m.leak_case_id = l.id
                     AND m.emergency IS NOT NULL) AS emergency_charges,
                  (SELECT count(*) FROM refrigerant_movement m WHERE m.ticket_id = t.id
                     AND m.kind = 'charge') AS charges
           FROM ticket t JOIN equipment e ON e.id = t.equipment_id JOIN site s ON s.id = e.site_id
           JOIN contractor c ON c.id = t.contractor_id LEFT JOIN leak_case l ON l.id = t.leak_case_id
           WHERE (t.contractor_id = ANY(%(contractors)s) OR s.id = ANY(%(sites)s))
             AND (%(unit)s::bigint IS NULL OR t.equipment_id = %(unit)s)
           ORDER BY t.status IN ('closed', 'cancelled'), t.opened_at DESC, t.id DESC""",
        {"contractors": contractors, "sites": visible_site_ids(conn, person), "unit": equipment_id},
    )
    for r in rows:
        r["deadline"] = repair_deadline(r["confirmed_on"]) if r["confirmed_on"] else None
        r["may_charge"] = r["contractor_id"] in contractors and r["status"] not in ("closed", "cancelled")
    return rows


def ticket(conn: psycopg.Connection, person: Person, ticket_id: int) -> dict[str, Any] | None:
    return next((t for t in tickets(conn, person) if t["id"] == ticket_id), None)


def companies_covered(conn: psycopg.Connection, person: Person) -> list[tuple[str, int]]:
    """The companies (top organisations) the person is granted as a whole: admin, manager or viewer there."""
    organisation_ids = [g.organisation_id for g in person.grants if g.role in ("admin", "manager", "viewer")]
    rows = conn.execute(
        "SELECT name, id FROM organisation WHERE parent_id IS NULL AND id = ANY(%s) ORDER BY name",
        (organisation_ids,),
    ).fetchall()
    return [(str(name), int(org_id)) for name, org_id in rows]
