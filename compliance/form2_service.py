"""Form 2 of the calculated-leakage report (REGULATION.md (g5), 様式第2) from the database: the fiscal year's
calculated leakage and the previous year's, both by `leakage_data`, and the company's register. The clock is never
read here."""

from __future__ import annotations

import psycopg

from compliance.leakage_service import leakage_data
from compliance.reports.form2 import Form2, form2
from fluorowatch.domain.refrigerants import RefrigerantRegistry
from storage.form2_queries import form2_units


def form2_data(conn: psycopg.Connection, fiscal_year: int, company: str | None, registry: RefrigerantRegistry) -> Form2:
    """Form 2 of the company (the only one when ``company`` is None) for the fiscal year."""
    this_year = leakage_data(conn, fiscal_year, company, registry)
    previous = leakage_data(conn, fiscal_year - 1, this_year.report.company, registry)
    units = form2_units(conn, this_year.report.company)
    return form2(this_year.report, previous.report, units, this_year.sites)
