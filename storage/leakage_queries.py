"""What the calculated-leakage reports read from the register and the certificates (REGULATION.md (g), (m)):
the companies, a company's units with where they count, its charge and recovery certificates of a period, its
sites' names and addresses, and its units with their type and dates for the Kyoto HFC report."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import psycopg

from compliance.leakage import Certificate, CertificateType, Occasion, UnitPlace
from compliance.reports.form1 import SiteInfo
from compliance.reports.kyoto import RegisteredUnit
from fluorowatch.domain.equipment import DEFAULT_LEGAL_CATEGORY, EquipmentKind
from fluorowatch.domain.inspection_rules import LegalCategory
from fluorowatch.domain.refrigerants import normalise_refrigerant_name

# Every organisation with its path of names from the company down, and its company.
_ORG_PATHS = """WITH RECURSIVE org_path AS (
    SELECT id, ARRAY[name] AS names, name AS company FROM organisation WHERE parent_id IS NULL
    UNION ALL
    SELECT o.id, p.names || o.name, p.company FROM organisation o JOIN org_path p ON o.parent_id = p.id)
"""


def companies(conn: psycopg.Connection) -> list[str]:
    """The names of the companies (organisations at depth 0), sorted."""
    rows = conn.execute("SELECT name FROM organisation WHERE parent_id IS NULL ORDER BY name").fetchall()
    return [str(name) for (name,) in rows]


def company_units(conn: psycopg.Connection, company: str) -> list[UnitPlace]:
    """Every unit of the company, disposed ones included, with where it counts (REGULATION.md (g2)): its own
    sites only when on the company's own premises and not mobile; the prefecture of its (managing) site."""
    rows = conn.execute(
        _ORG_PATHS
        + """SELECT e.id, e.management_no, s.site_code, s.prefecture_code, p.names,
                    s.is_own_premises AND NOT s.is_mobile
             FROM equipment e JOIN site s ON s.id = e.site_id JOIN org_path p ON p.id = s.organisation_id
             WHERE p.company = %s ORDER BY e.id""",
        (company,),
    ).fetchall()
    return [
        UnitPlace(int(unit), str(no), str(site), str(pref), tuple(names), bool(own))
        for unit, no, site, pref, names, own in rows
    ]


def company_certificates(conn: psycopg.Connection, company: str, first: date, last: date) -> list[Certificate]:
    """The company's charge and recovery certificates with a work date from ``first`` to ``last`` (both
    included), refrigerant names normalised (REGULATION.md (g7)), in the order they were recorded."""
    rows = conn.execute(
        _ORG_PATHS
        + """SELECT m.certificate_no, m.kind, m.equipment_id, m.work_date, m.refrigerant, m.amount_kg, m.occasion
             FROM refrigerant_movement m JOIN equipment e ON e.id = m.equipment_id
             JOIN site s ON s.id = e.site_id JOIN org_path p ON p.id = s.organisation_id
             WHERE p.company = %s AND m.work_date BETWEEN %s AND %s ORDER BY m.id""",
        (company, first, last),
    ).fetchall()
    return [
        Certificate(str(no), CertificateType(kind), int(unit), day, normalise_refrigerant_name(name), Decimal(kg),
                    Occasion(occasion))
        for no, kind, unit, day, name, kg, occasion in rows
    ]  # fmt: skip


def site_infos(conn: psycopg.Connection, site_codes: list[str]) -> dict[str, SiteInfo]:
    rows = conn.execute(
        "SELECT site_code, name, address, prefecture_code FROM site WHERE site_code = ANY(%s)", (site_codes,)
    ).fetchall()
    return {str(code): SiteInfo(str(code), str(name), str(address), str(pref)) for code, name, address, pref in rows}


def registered_units(conn: psycopg.Connection, company: str) -> list[RegisteredUnit]:
    """Every unit of the company, disposed ones included, with its type: the user's override if set, else the
    default of its kind (REGULATION.md (b2), (n) #15)."""
    rows = conn.execute(
        _ORG_PATHS
        + """SELECT e.id, e.management_no, s.site_code, s.prefecture_code, e.kind, e.legal_category_override,
                    e.refrigerant, e.installed_on, e.disposed_on
             FROM equipment e JOIN site s ON s.id = e.site_id JOIN org_path p ON p.id = s.organisation_id
             WHERE p.company = %s ORDER BY e.id""",
        (company,),
    ).fetchall()
    return [
        RegisteredUnit(int(unit), str(no), str(site), str(pref),
                       LegalCategory(override) if override else DEFAULT_LEGAL_CATEGORY[EquipmentKind(kind)],
                       normalise_refrigerant_name(refrigerant), installed, disposed)
        for unit, no, site, pref, kind, override, refrigerant, installed, disposed in rows
    ]  # fmt: skip


def company_sites(conn: psycopg.Connection, company: str) -> dict[int, str]:
    """The company's sites: id -> site code."""
    rows = conn.execute(
        _ORG_PATHS
        + "SELECT s.id, s.site_code FROM site s JOIN org_path p ON p.id = s.organisation_id WHERE p.company = %s",
        (company,),
    ).fetchall()
    return {int(site_id): str(code) for site_id, code in rows}
