"""Importing against the real database: the example files land in order, a file with one bad row lands nothing,
sites and units are updated by their key on re-import, certificates are not, and imported certificates reach the
logbook."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from compliance.import_service import ImportRejected, What, import_file
from compliance.logbook import Kind
from compliance.logbook_service import entries, feed_from_records
from tests.conftest import rolled_back

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "imports"
TODAY = date(2026, 12, 4)
TABLES = ("organisation", "site", "equipment", "circuit", "compressor", "contractor", "refrigerant_movement")


@pytest.fixture(scope="module")
def imports_database(new_migrated_database: Callable[[str], str]) -> str:
    """A database of its own: the example files name companies and sites other tests may commit elsewhere."""
    return new_migrated_database("import_service")


@pytest.fixture
def conn(imports_database: str) -> Iterator[psycopg.Connection]:
    """A transaction rolled back after the test."""
    yield from rolled_back(imports_database)


def counts(conn: psycopg.Connection) -> dict[str, int]:
    return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}  # type: ignore[index]


def import_example(conn: psycopg.Connection, what: str) -> dict[str, int]:
    path = EXAMPLES / f"{what}.csv"
    return import_file(conn, what, path.name, path.read_bytes(), TODAY).created


def import_examples(conn: psycopg.Connection) -> None:
    for what in What:
        import_example(conn, what)


def unit_id(conn: psycopg.Connection, site_code: str, management_no: str) -> int:
    row = conn.execute(
        "SELECT e.id FROM equipment e JOIN site s ON s.id = e.site_id WHERE s.site_code = %s AND e.management_no = %s",
        (site_code, management_no),
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_the_example_files_import_cleanly_in_order(conn: psycopg.Connection) -> None:
    before = counts(conn)
    assert import_example(conn, "sites") == {"site": 3, "organisation": 3}
    assert import_example(conn, "equipment") == {"equipment": 4, "circuit": 4}
    assert import_example(conn, "certificates") == {"refrigerant_movement": 4, "contractor": 2}
    after = counts(conn)
    assert {t: after[t] - before[t] for t in TABLES} == {
        "organisation": 3, "site": 3, "equipment": 4, "circuit": 4, "compressor": 6, "contractor": 2,
        "refrigerant_movement": 4,
    }  # fmt: skip
    amounts = conn.execute(
        "SELECT amount_kg, source, qualified_person FROM refrigerant_movement WHERE certificate_no = 'R-2024-0603'"
    ).fetchone()
    assert amounts == (Decimal("19.050"), "import", None)
    kw = conn.execute(
        "SELECT array_agg(rated_output_kw ORDER BY id) FROM compressor WHERE equipment_id = %s",
        (unit_id(conn, "IMP-S002", "SC-01"),),
    ).fetchone()
    assert kw == ([Decimal("11.800"), Decimal("11.800")],)
    mobile = conn.execute("SELECT is_own_premises, is_mobile FROM site WHERE site_code = 'IMP-V001'").fetchone()
    assert mobile == (True, True)


def test_a_file_with_one_bad_row_among_good_ones_lands_nothing(conn: psycopg.Connection) -> None:
    import_example(conn, "sites")
    good = (EXAMPLES / "equipment.csv").read_text(encoding="utf-8").rstrip("\n")
    bad = good + "\nBAD-1,IMP-S001,showcase_remote,R404A,-3,7.5,,,,,\n"
    before = counts(conn)
    with pytest.raises(ImportRejected) as rejected:
        import_file(conn, What.EQUIPMENT, "equipment.csv", bad.encode(), TODAY)
    assert [(e.line, e.field) for e in rejected.value.errors] == [(6, "charge_kg")]
    assert counts(conn) == before


def test_importing_sites_and_equipment_again_updates_by_key(conn: psycopg.Connection) -> None:
    import_examples(conn)
    before = counts(conn)
    sites = (EXAMPLES / "sites.csv").read_text(encoding="utf-8").replace("新宿西口店", "新宿南口店")
    result = import_file(conn, What.SITES, "sites.csv", sites.encode(), TODAY)
    assert (result.created, result.updated) == ({"site": 0, "organisation": 0}, {"site": 3})
    units = (EXAMPLES / "equipment.csv").read_text(encoding="utf-8").replace("8.2,7.5", "8.4,3.7+3.7")
    result = import_file(conn, What.EQUIPMENT, "equipment.csv", units.encode(), TODAY)
    assert (result.created, result.updated) == ({"equipment": 0, "circuit": 0}, {"equipment": 4})
    assert counts(conn) == {**before, "compressor": before["compressor"] + 1}
    assert conn.execute("SELECT name FROM site WHERE site_code = 'IMP-S001'").fetchone() == ("さくらマート 新宿南口店",)
    air_con = unit_id(conn, "IMP-S001", "AC-01")
    assert conn.execute("SELECT charge_kg FROM equipment WHERE id = %s", (air_con,)).fetchone() == (Decimal("8.400"),)
    assert conn.execute(
        "SELECT array_agg(rated_output_kw) FROM compressor WHERE equipment_id = %s", (air_con,)
    ).fetchone() == ([Decimal("3.700"), Decimal("3.700")],)


def test_importing_certificates_again_is_rejected_row_by_row(conn: psycopg.Connection) -> None:
    import_examples(conn)
    before = counts(conn)
    data = (EXAMPLES / "certificates.csv").read_bytes()
    with pytest.raises(ImportRejected) as rejected:
        import_file(conn, What.CERTIFICATES, "certificates.csv", data, TODAY)
    assert [(e.line, e.field) for e in rejected.value.errors] == [(n, "certificate_no") for n in (2, 3, 4, 5)]
    assert counts(conn) == before


def test_imported_certificates_appear_in_the_logbook(conn: psycopg.Connection) -> None:
    import_examples(conn)
    showcase = unit_id(conn, "IMP-S002", "SC-01")
    feed_from_records(conn, showcase, datetime(2026, 12, 4, tzinfo=UTC))
    logbook = {e.kind: e for e in entries(conn, showcase)}
    assert set(logbook) == {Kind.CHARGE, Kind.RECOVERY}
    charge, recovery = logbook[Kind.CHARGE], logbook[Kind.RECOVERY]
    assert (charge.occurred_on, charge.circuit_no) == (date(2024, 6, 3), 1)
    assert {k: charge.details[k] for k in ("contractor", "refrigerant", "amount_kg", "occasion")} == {
        "contractor": "横浜冷機工業", "refrigerant": "R404A", "amount_kg": "20.000", "occasion": "maintenance",
    }  # fmt: skip
    assert (recovery.details["amount_kg"], recovery.details["certificate_no"]) == ("19.050", "R-2024-0603")
    assert "technician" not in charge.details  # an imported certificate names no technician, and none is invented


def test_a_recorded_certificate_still_needs_its_qualified_person(conn: psycopg.Connection) -> None:
    import_examples(conn)
    unit = unit_id(conn, "IMP-S001", "AC-01")
    (contractor,) = conn.execute(
        "SELECT id FROM contractor WHERE registration_no = '東京都第13-0001号'"
    ).fetchone() or (0,)
    insert = """INSERT INTO refrigerant_movement (kind, certificate_no, equipment_id, circuit_no, work_date,
                    refrigerant, amount_kg, occasion, contractor_id, contractor_registration_no, source, emergency)
                VALUES ('charge', %s, %s, 1, '2025-01-10', 'R410A', 1, 'maintenance', %s, 'x', %s, %s)"""
    for number, source, emergency in (("N-1", "recorded", None), ("N-2", "import", "health")):
        with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
            conn.execute(insert, (number, unit, contractor, source, emergency))
