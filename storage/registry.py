"""Queries for the register: organisations, sites, contractors, equipment with circuits and managers."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from fluorowatch.domain.equipment import Equipment
from fluorowatch.domain.organisation import Contractor, ManagerAssignment, OrgPath, Site


def save_org_path(conn: psycopg.Connection, path: OrgPath) -> int:
    """The id of the organisation at `path`, creating it and any missing parent (company first)."""
    parent_id: int | None = None
    for depth, name in enumerate(path.parts):
        row = conn.execute(
            "SELECT id FROM organisation WHERE name = %s AND parent_id IS NOT DISTINCT FROM %s",
            (name, parent_id),
        ).fetchone()
        if row is None:
            row = conn.execute(
                "INSERT INTO organisation (parent_id, name, depth) VALUES (%s, %s, %s) RETURNING id",
                (parent_id, name, depth),
            ).fetchone()
        assert row is not None
        parent_id = int(row[0])
    assert parent_id is not None
    return parent_id


def save_site(conn: psycopg.Connection, site: Site) -> int:
    """Insert or update the site with `site.site_code`; return its id."""
    org_id = save_org_path(conn, site.org_path)
    row = conn.execute(
        """INSERT INTO site (organisation_id, site_code, name, prefecture_code, address, is_own_premises, is_mobile)
           VALUES (%s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (site_code) DO UPDATE SET organisation_id = EXCLUDED.organisation_id,
               name = EXCLUDED.name, prefecture_code = EXCLUDED.prefecture_code, address = EXCLUDED.address,
               is_own_premises = EXCLUDED.is_own_premises, is_mobile = EXCLUDED.is_mobile
           RETURNING id""",
        (
            org_id,
            site.site_code,
            site.name,
            site.prefecture_code,
            site.address,
            site.is_own_premises,
            site.is_mobile,
        ),
    ).fetchone()
    assert row is not None
    return int(row[0])


def save_contractor(conn: psycopg.Connection, contractor: Contractor) -> int:
    """Insert the contractor unless one with the same registration exists; return its id."""
    row = conn.execute(
        """SELECT id FROM contractor
           WHERE registration_no = %s AND registration_prefecture IS NOT DISTINCT FROM %s""",
        (contractor.registration_no, contractor.prefecture_code),
    ).fetchone()
    if row is None:
        row = conn.execute(
            """INSERT INTO contractor (name, registration_no, registration_prefecture, address)
               VALUES (%s, %s, %s, %s) RETURNING id""",
            (contractor.name, contractor.registration_no, contractor.prefecture_code, contractor.address),
        ).fetchone()
    assert row is not None
    return int(row[0])


def assign_contractor(conn: psycopg.Connection, site_id: int, contractor_id: int) -> None:
    conn.execute(
        "INSERT INTO site_contractor (site_id, contractor_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (site_id, contractor_id),
    )


def save_equipment(
    conn: psycopg.Connection, site_id: int, unit: Equipment, manager: ManagerAssignment | None = None
) -> int:
    """Insert a unit with its circuits, compressors and manager; return its id.

    A unit already registered under the same management number at the site is refused by the database.
    """
    row = conn.execute(
        """INSERT INTO equipment (site_id, management_no, kind, legal_category_override, refrigerant, charge_kg,
               manufacturer, model, serial_no, installed_on, disposed_on)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
        (
            site_id, unit.management_no, unit.kind.value, _value(unit.legal_category_override), unit.refrigerant,
            unit.charge_kg, unit.manufacturer, unit.model, unit.serial_no, unit.installed_on, unit.disposed_on,
        ),
    ).fetchone()  # fmt: skip
    assert row is not None
    equipment_id = int(row[0])
    for circuit in unit.circuits:
        conn.execute(
            "INSERT INTO circuit (equipment_id, circuit_no, charge_kg) VALUES (%s, %s, %s)",
            (equipment_id, circuit.circuit_no, circuit.charge_kg),
        )
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO compressor (equipment_id, circuit_no, rated_output_kw) VALUES (%s, %s, %s)",
                [(equipment_id, circuit.circuit_no, c.rated_output_kw) for c in circuit.compressors],
            )
    if manager is not None:
        conn.execute(
            "INSERT INTO equipment_manager (equipment_id, manager_name, reason, leak_reporter) VALUES (%s, %s, %s, %s)",
            (equipment_id, manager.manager_name, manager.reason.value, manager.leak_reporter),
        )
    return equipment_id


@dataclass(frozen=True)
class FleetSummary:
    companies: int
    sites: int
    prefectures: int
    units_by_kind: dict[str, int]

    @property
    def units(self) -> int:
        return sum(self.units_by_kind.values())


_COMPANY_TREE = """WITH RECURSIVE tree AS (
    SELECT id FROM organisation WHERE parent_id IS NULL AND (%(company)s::text IS NULL OR name = %(company)s)
    UNION ALL SELECT o.id FROM organisation o JOIN tree ON o.parent_id = tree.id)"""


def fleet_summary(conn: psycopg.Connection, company: str | None = None) -> FleetSummary:
    """Counts of the register (units in service), for one company by name or for all companies."""
    params = {"company": company}
    counts = conn.execute(
        _COMPANY_TREE
        + """
        SELECT (SELECT count(*) FROM organisation WHERE parent_id IS NULL
                    AND (%(company)s::text IS NULL OR name = %(company)s)),
               count(*), count(DISTINCT prefecture_code)
        FROM site JOIN tree ON site.organisation_id = tree.id""",
        params,
    ).fetchone()
    kinds = conn.execute(
        _COMPANY_TREE
        + """
        SELECT e.kind, count(*) FROM equipment e JOIN site s ON e.site_id = s.id
        JOIN tree ON s.organisation_id = tree.id WHERE e.disposed_on IS NULL GROUP BY e.kind""",
        params,
    ).fetchall()
    assert counts is not None
    return FleetSummary(int(counts[0]), int(counts[1]), int(counts[2]), {k: int(n) for k, n in kinds})


def _value(enum: object) -> str | None:
    return None if enum is None else str(enum)
