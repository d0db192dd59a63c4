"""What the dashboard's pages show, read from the database for one person: only the sites they may see.

The rules and queries are the API's (alerts.service.visible_site_ids for visibility; compliance.fleet, i.e.
storage.equipment_queries and compliance.unit_status, for a unit's status and inspection schedule;
compliance.recharge for the 60 days); this module only gathers them for the pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import psycopg
from psycopg.rows import dict_row

from alerts.lifecycle import Person
from alerts.service import visible_site_ids
from compliance.fleet import AssessedUnit, assessed_units
from compliance.recharge import repair_deadline
from compliance.unit_status import Colour, site_colour
from storage import site_queries


@dataclass
class SiteRow:
    id: int
    code: str
    name: str
    units: list[AssessedUnit] = field(default_factory=list)

    @property
    def colour(self) -> Colour:
        """The worst colour of the site's units in service; grey without any (compliance.unit_status)."""
        return site_colour(u.assessment.status.colour for u in self.units)


def _rows(conn: psycopg.Connection, query: str, params: Sequence[Any] | dict[str, Any]) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, params).fetchall()


def visible_units(
    conn: psycopg.Connection, person: Person, today: date, lead_days: int, equipment_id: int | None = None
) -> list[AssessedUnit]:
    """The person's units (disposed ones too, grey), by site and management number, with status and schedule."""
    return assessed_units(conn, visible_site_ids(conn, person), today, lead_days, equipment_id=equipment_id)


def fleet(conn: psycopg.Connection, person: Person, today: date, lead_days: int) -> list[SiteRow]:
    """Every site the person may see, with its units (a site without units is listed too)."""
    rows = site_queries.sites(conn, visible_site_ids(conn, person))
    sites = {r["id"]: SiteRow(r["id"], r["site_code"], r["name"]) for r in rows}
    for unit in assessed_units(conn, list(sites), today, lead_days):
        sites[unit.row["site_id"]].units.append(unit)
    return list(sites.values())


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
