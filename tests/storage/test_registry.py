"""The register in PostgreSQL: organisation paths, sites, equipment with circuits, one manager per unit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import psycopg
import pytest

from fluorowatch.domain.equipment import Compressor, Equipment, EquipmentKind, RefrigerantCircuit
from fluorowatch.domain.organisation import ManagerAssignment, ManagerReason, OrgPath, Site
from storage.registry import fleet_summary, save_equipment, save_org_path, save_site


def _site(code: str = "S-1", org: str = "Acme/Kanto/Tokyo", prefecture: str = "13") -> Site:
    return Site(code, f"Store {code}", prefecture, "somewhere", OrgPath.parse(org))


def _unit(no: str = "U-1", *kw: str) -> Equipment:
    compressors = tuple(Compressor(Decimal(k)) for k in (kw or ("4.9", "4.9")))
    return Equipment(
        management_no=no,
        kind=EquipmentKind.PACKAGE_AC,
        refrigerant="R410A",
        charge_kg=Decimal("12.5"),
        circuits=(RefrigerantCircuit(1, compressors),),
        installed_on=date(2020, 4, 1),
    )


def test_an_org_path_creates_company_and_levels_once(conn: psycopg.Connection) -> None:
    first = save_org_path(conn, OrgPath.parse("Acme/Kanto/Tokyo"))
    again = save_org_path(conn, OrgPath.parse("Acme/Kanto/Tokyo"))
    sibling = save_org_path(conn, OrgPath.parse("Acme/Kanto/Chiba"))
    rows = conn.execute("SELECT name, depth FROM organisation ORDER BY id").fetchall()
    assert first == again != sibling
    assert rows == [("Acme", 0), ("Kanto", 1), ("Tokyo", 2), ("Chiba", 2)]


def test_the_database_refuses_a_level_below_branch(conn: psycopg.Connection) -> None:
    branch = save_org_path(conn, OrgPath.parse("Acme/Kanto/Tokyo"))
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute("INSERT INTO organisation (parent_id, name, depth) VALUES (%s, 'Floor 3', 3)", (branch,))


def test_the_database_refuses_a_depth_that_does_not_follow_the_parent(conn: psycopg.Connection) -> None:
    company = save_org_path(conn, OrgPath.parse("Acme"))
    with pytest.raises(psycopg.errors.RaiseException, match="one level below its parent"):
        conn.execute("INSERT INTO organisation (parent_id, name, depth) VALUES (%s, 'Skip', 2)", (company,))


def test_a_prefecture_code_outside_jis_x_0401_is_refused(conn: psycopg.Connection) -> None:
    org = save_org_path(conn, OrgPath.parse("Acme"))
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            "INSERT INTO site (organisation_id, site_code, name, prefecture_code) VALUES (%s, 'X', 'x', '48')", (org,)
        )


def test_saving_a_site_again_updates_it(conn: psycopg.Connection) -> None:
    first = save_site(conn, _site())
    second = save_site(conn, Site("S-1", "Renamed", "27", "Osaka", OrgPath.parse("Acme/Kansai")))
    assert first == second
    assert conn.execute("SELECT name, prefecture_code FROM site WHERE id = %s", (first,)).fetchone() == (
        "Renamed",
        "27",
    )


def test_equipment_is_stored_with_its_circuits_compressors_and_manager(conn: psycopg.Connection) -> None:
    """REGULATION.md (b2): the summed rated output per circuit is what the inspection class is judged on."""
    site_id = save_site(conn, _site())
    unit_id = save_equipment(conn, site_id, _unit("U-1", "4.9", "4.9"), ManagerAssignment("Acme", ManagerReason.LEASE))
    summed = conn.execute(
        "SELECT circuit_no, sum(rated_output_kw) FROM compressor WHERE equipment_id = %s GROUP BY circuit_no",
        (unit_id,),
    ).fetchall()
    manager = conn.execute("SELECT manager_name, reason FROM equipment_manager WHERE equipment_id = %s", (unit_id,))
    assert summed == [(1, Decimal("9.800"))]
    assert manager.fetchone() == ("Acme", "lease")


def test_a_unit_cannot_have_two_managers(conn: psycopg.Connection) -> None:
    """REGULATION.md (a2): one manager per unit; co-owners agree on one."""
    site_id = save_site(conn, _site())
    unit_id = save_equipment(conn, site_id, _unit(), ManagerAssignment("Acme", ManagerReason.OWNERSHIP))
    with pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute(
            "INSERT INTO equipment_manager (equipment_id, manager_name, reason) VALUES (%s, 'Other', 'ownership')",
            (unit_id,),
        )


def test_a_management_number_is_unique_within_a_site(conn: psycopg.Connection) -> None:
    site_id = save_site(conn, _site())
    save_equipment(conn, site_id, _unit("U-1"))
    with pytest.raises(psycopg.errors.UniqueViolation):
        save_equipment(conn, site_id, _unit("U-1"))


def test_fleet_summary_counts_units_in_service_for_one_company(conn: psycopg.Connection) -> None:
    tokyo = save_site(conn, _site("S-1", "Acme/Kanto/Tokyo", "13"))
    osaka = save_site(conn, _site("S-2", "Acme/Kansai", "27"))
    other = save_site(conn, _site("O-1", "Other Co", "01"))
    save_equipment(conn, tokyo, _unit("U-1"))
    save_equipment(conn, osaka, _unit("U-2"))
    save_equipment(conn, other, _unit("U-3"))
    disposed = save_equipment(conn, osaka, _unit("U-4"))
    conn.execute("UPDATE equipment SET disposed_on = '2025-01-01' WHERE id = %s", (disposed,))
    summary = fleet_summary(conn, "Acme")
    assert (summary.companies, summary.sites, summary.prefectures) == (1, 2, 2)
    assert summary.units_by_kind == {"package_ac": 2}
    assert fleet_summary(conn).units == 3
