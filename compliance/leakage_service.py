"""The calculated leakage of a company (REGULATION.md (g)) from the register and the certificates in the database:
the fiscal year's report, and the current year so far for the dashboard. The clock is never read here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import psycopg

from compliance.leakage import Certificate, LeakageReport, calculate, counted_flow, fiscal_year_bounds, fiscal_year_of
from compliance.reports.form1 import SiteInfo
from compliance.reports.kyoto import KyotoReport, kyoto_report
from fluorowatch.domain.refrigerants import RefrigerantRegistry
from storage.leakage_queries import companies, company_certificates, company_units, registered_units, site_infos


@dataclass(frozen=True)
class LeakageData:
    """The report, the certificates it counted, and the company's own sites it names."""

    report: LeakageReport
    counted: Sequence[Certificate]
    sites: dict[str, SiteInfo]


def company_name(conn: psycopg.Connection, company: str | None) -> str:
    """``company`` when it exists; without one, the only company there is. Else a ValueError listing them."""
    names = companies(conn)
    listed = ", ".join(names) or "none registered"
    if company is None and len(names) == 1:
        return names[0]
    if company is None:
        raise ValueError(f"give the company (--company): companies are {listed}")
    if company not in names:
        raise ValueError(f"no company {company!r}: companies are {listed}")
    return company


def leakage_data(
    conn: psycopg.Connection, fiscal_year: int, company: str | None, registry: RefrigerantRegistry, *,
    until: date | None = None,
) -> LeakageData:  # fmt: skip
    """The fiscal year's calculated leakage, from certificates with a work date up to ``until`` (default: the
    year's last day). Refrigerants outside the Act (a1) have no GWP and never count (g1)."""
    name = company_name(conn, company)
    first, last = fiscal_year_bounds(fiscal_year)
    certificates = [
        c for c in company_certificates(conn, name, first, min(last, until or last))
        if registry.get(c.refrigerant).in_scope
    ]  # fmt: skip
    report = calculate(fiscal_year, name, company_units(conn, name), certificates, registry)
    counted = [c for c in certificates if counted_flow(c) is not None]
    return LeakageData(report, counted, site_infos(conn, sorted(report.by_site)))


def leakage_report(
    conn: psycopg.Connection, fiscal_year: int, company: str | None, registry: RefrigerantRegistry
) -> LeakageReport:
    return leakage_data(conn, fiscal_year, company, registry).report


def live_leakage(
    conn: psycopg.Connection, today: date, company: str | None, registry: RefrigerantRegistry | None = None
) -> LeakageReport:
    """The current fiscal year so far (certificates up to ``today``), per unit, site, prefecture and company."""
    registry = registry or RefrigerantRegistry.default()
    return leakage_data(conn, fiscal_year_of(today), company, registry, until=today).report


def kyoto(
    conn: psycopg.Connection, fiscal_year: int, company: str | None, registry: RefrigerantRegistry
) -> KyotoReport:
    """Kyoto's HFC report of the company for the fiscal year (REGULATION.md (m))."""
    name = company_name(conn, company)
    first, last = fiscal_year_bounds(fiscal_year)
    certificates = company_certificates(conn, name, first, last)
    return kyoto_report(fiscal_year, name, registered_units(conn, name), certificates, registry)
