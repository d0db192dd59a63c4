"""The imports against the database: what is stored already (`Lookup`), and writing validated records in the
caller's transaction (compliance/import_service.py validates everything first; the caller commits)."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg

from compliance.imports import (
    CertificateRecord,
    KnownSite,
    KnownUnit,
    Lookup,
    SiteRecord,
    UnitRecord,
)
from fluorowatch.domain.equipment import Equipment
from fluorowatch.domain.organisation import OrgPath
from fluorowatch.domain.refrigerants import UnknownRefrigerant, normalise_refrigerant_name
from storage.registry import save_contractor, save_equipment, save_site
from storage.ticket_queries import insert_movement

Counts = dict[str, int]


def load_lookup(conn: psycopg.Connection) -> Lookup:
    """Every stored key a file may name: companies, sites, units, contractors and certificate numbers."""
    paths = _org_paths(conn)
    sites = conn.execute("SELECT site_code, id, organisation_id FROM site").fetchall()
    units = conn.execute(
        """SELECT s.site_code, e.management_no, e.id, e.refrigerant, e.approved_replacements,
               ARRAY(SELECT c.circuit_no FROM circuit c WHERE c.equipment_id = e.id ORDER BY 1)
           FROM equipment e JOIN site s ON s.id = e.site_id"""
    ).fetchall()
    contractors = conn.execute(
        "SELECT registration_no, array_agg(id ORDER BY id) FROM contractor GROUP BY registration_no"
    ).fetchall()
    certificates = conn.execute("SELECT contractor_id, certificate_no FROM refrigerant_movement").fetchall()
    return Lookup(
        companies={path.company: org_id for org_id, path in paths.items() if len(path.parts) == 1},
        sites={code: KnownSite(site_id, paths[org_id]) for code, site_id, org_id in sites},
        units={(code, number): KnownUnit(unit_id, code, frozenset(map(_canonical, (nameplate, *approved))),
                                         tuple(circuits))
               for code, number, unit_id, nameplate, approved, circuits in units},
        contractors={number: tuple(ids) for number, ids in contractors},
        certificates=frozenset((int(contractor_id), number) for contractor_id, number in certificates),
    )  # fmt: skip


def companies(conn: psycopg.Connection) -> dict[str, int]:
    """Company name -> organisation id."""
    return {name: int(org_id) for org_id, name in conn.execute("SELECT id, name FROM organisation WHERE depth = 0")}


def write_sites(conn: psycopg.Connection, records: Sequence[SiteRecord]) -> tuple[Counts, Counts]:
    """Insert new sites, update stored ones by site_code (organisations created as named); (created, updated)."""
    organisations = _count(conn, "organisation")
    for record in records:
        save_site(conn, record.site)
    created = sum(r.existing_id is None for r in records)
    return (
        {"site": created, "organisation": _count(conn, "organisation") - organisations},
        {"site": len(records) - created},
    )


def write_units(conn: psycopg.Connection, records: Sequence[UnitRecord]) -> tuple[Counts, Counts]:
    """Insert new units with their circuit and compressors; update stored ones by (site, management_no)."""
    for record in records:
        if record.existing_id is None:
            save_equipment(conn, record.site_id, record.unit)
        else:
            _update_unit(conn, record.existing_id, record.unit)
    created = sum(r.existing_id is None for r in records)
    return {"equipment": created, "circuit": created}, {"equipment": len(records) - created}


def write_certificates(conn: psycopg.Connection, records: Sequence[CertificateRecord]) -> tuple[Counts, Counts]:
    """Insert the certificates as imported ones (source 'import', no qualified person: migration 0014); a
    contractor not stored yet is registered by its registration number."""
    contractors = _count(conn, "contractor")
    for record in records:
        contractor_id = record.contractor_id or save_contractor(conn, record.contractor)
        insert_movement(
            conn, {"kind": record.type.value, "certificate_no": record.certificate_no,
                   "equipment_id": record.equipment_id, "circuit_no": record.circuit_no, "work_date": record.work_date,
                   "issued_on": record.issued_on, "refrigerant": record.refrigerant, "amount_kg": record.amount_kg,
                   "occasion": record.occasion.value, "contractor_id": contractor_id,
                   "contractor_registration_no": record.contractor.registration_no, "source": "import"},
        )  # fmt: skip
    return {"refrigerant_movement": len(records), "contractor": _count(conn, "contractor") - contractors}, {}


def _update_unit(conn: psycopg.Connection, equipment_id: int, unit: Equipment) -> None:
    """The register columns, and the compressors of the unit's one circuit, as the file says."""
    conn.execute(
        """UPDATE equipment SET kind = %s, refrigerant = %s, charge_kg = %s, manufacturer = %s, model = %s,
               serial_no = %s, installed_on = %s, disposed_on = %s WHERE id = %s""",
        (unit.kind.value, unit.refrigerant, unit.charge_kg, unit.manufacturer, unit.model, unit.serial_no,
         unit.installed_on, unit.disposed_on, equipment_id),
    )  # fmt: skip
    (circuit,) = unit.circuits
    conn.execute(
        "INSERT INTO circuit (equipment_id, circuit_no) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (equipment_id, circuit.circuit_no),
    )
    conn.execute(
        "DELETE FROM compressor WHERE equipment_id = %s AND circuit_no = %s", (equipment_id, circuit.circuit_no)
    )
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO compressor (equipment_id, circuit_no, rated_output_kw) VALUES (%s, %s, %s)",
            [(equipment_id, circuit.circuit_no, c.rated_output_kw) for c in circuit.compressors],
        )


def _org_paths(conn: psycopg.Connection) -> dict[int, OrgPath]:
    rows = conn.execute("SELECT id, parent_id, name FROM organisation ORDER BY depth").fetchall()
    paths: dict[int, OrgPath] = {}
    for org_id, parent_id, name in rows:
        paths[org_id] = OrgPath((name,)) if parent_id is None else paths[parent_id].child(name)
    return paths


def _canonical(refrigerant: str) -> str:
    try:
        return normalise_refrigerant_name(refrigerant)
    except UnknownRefrigerant:
        return refrigerant


def _count(conn: psycopg.Connection, table: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])
