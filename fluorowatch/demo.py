"""`fluorowatch demo`: seed the sample retailer into the database (once) and describe it."""

from __future__ import annotations

import secrets

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

DEMO_EMAIL = "demo@example.jp"


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


def demo_sign_in(database_url: str) -> tuple[str, str]:
    """The demo's person for the dashboard: an administrator of the sample retailer, with a new random password
    on every run (printed by `fluorowatch demo`; the demo database is local and its own)."""
    from fluorowatch.passwords import hash_password
    from storage.session_queries import set_password_hash
    from storage.token_queries import grant_role, save_user

    password = secrets.token_urlsafe(12)
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT id FROM app_user WHERE lower(email) = %s", (DEMO_EMAIL,)).fetchone()
        if row is None:
            user_id = save_user(conn, DEMO_EMAIL, "デモ管理者")
            company = conn.execute("SELECT id FROM organisation WHERE parent_id IS NULL AND name = %s", (COMPANY,))
            company_row = company.fetchone()
            if company_row is not None:
                grant_role(conn, user_id, "admin", organisation_id=int(company_row[0]))
        else:
            user_id = int(row[0])
        set_password_hash(conn, user_id, hash_password(password))
    return DEMO_EMAIL, password
