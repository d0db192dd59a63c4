"""`fluorowatch demo`: seed the sample retailer into the database (once) and describe it."""

from __future__ import annotations

import psycopg

from fluorowatch.demo_fleet import COMPANY, SampleRetailer, sample_retailer
from storage.registry import (
    FleetSummary,
    assign_contractor,
    fleet_summary,
    save_contractor,
    save_equipment,
    save_site,
)


def seed_sample_retailer(conn: psycopg.Connection, retailer: SampleRetailer | None = None) -> bool:
    """Insert the sample retailer unless its first site is already there; True if it was inserted."""
    retailer = retailer or sample_retailer()
    first_code = retailer.sites[0].site.site_code
    with conn.transaction():
        if conn.execute("SELECT 1 FROM site WHERE site_code = %s", (first_code,)).fetchone():
            return False
        contractor_id = save_contractor(conn, retailer.contractor)
        for sample in retailer.sites:
            site_id = save_site(conn, sample.site)
            assign_contractor(conn, site_id, contractor_id)
            for unit in sample.units:
                save_equipment(conn, site_id, unit.equipment, unit.manager)
    return True


def describe(summary: FleetSummary) -> str:
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(summary.units_by_kind.items()))
    return (
        f"{COMPANY}: {summary.sites} sites in {summary.prefectures} prefectures, "
        f"{summary.units} units in service ({kinds})"
    )


def seed_and_describe(database_url: str) -> tuple[bool, str]:
    with psycopg.connect(database_url) as conn:
        inserted = seed_sample_retailer(conn)
        return inserted, describe(fleet_summary(conn, COMPANY))
