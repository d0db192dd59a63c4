"""What form 2 of the calculated-leakage report (REGULATION.md (g5), 様式第2) reads from the register beyond what
form 1 reads: every unit of a company with its kind, legal category, nameplate refrigerant and charge, dates and
site, for the breakdown by kind of Class-1 product and the number of sites."""

from __future__ import annotations

from decimal import Decimal

import psycopg

from compliance.reports.form2 import Form2Unit
from fluorowatch.domain.equipment import DEFAULT_LEGAL_CATEGORY, EquipmentKind
from fluorowatch.domain.inspection_rules import LegalCategory
from fluorowatch.domain.refrigerants import normalise_refrigerant_name
from storage.leakage_queries import _ORG_PATHS


def form2_units(conn: psycopg.Connection, company: str) -> list[Form2Unit]:
    """Every unit of the company, disposed ones included; its category is the user's override if set, else the
    default of its kind (REGULATION.md (b2), (n) #15); ``own_site`` as the calculated leakage counts sites (g2)."""
    rows = conn.execute(
        _ORG_PATHS
        + """SELECT e.id, s.site_code, s.is_own_premises AND NOT s.is_mobile, e.kind, e.legal_category_override,
                    e.refrigerant, e.charge_kg, e.installed_on, e.disposed_on
             FROM equipment e JOIN site s ON s.id = e.site_id JOIN org_path p ON p.id = s.organisation_id
             WHERE p.company = %s ORDER BY e.id""",
        (company,),
    ).fetchall()
    return [
        Form2Unit(int(unit), str(site), bool(own), EquipmentKind(kind),
                  LegalCategory(override) if override else DEFAULT_LEGAL_CATEGORY[EquipmentKind(kind)],
                  normalise_refrigerant_name(refrigerant), Decimal(charge), installed, disposed)
        for unit, site, own, kind, override, refrigerant, charge, installed, disposed in rows
    ]  # fmt: skip
