"""Reading and validating import files without a database: every bad row is reported with its line and field."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook

from alerts.lifecycle import Grant, Person
from compliance.imports import (
    CertificateRecord,
    ImportRejected,
    KnownSite,
    KnownUnit,
    Lookup,
    RowError,
    SiteRecord,
    UnitRecord,
    What,
    importable_companies,
    parse_file,
)
from fluorowatch.domain.organisation import OrgPath

TODAY = date(2026, 3, 31)
SITES_HEADER = "site_code,name,prefecture_code,address,org_path"
UNITS_HEADER = (
    "management_no,site_code,kind,refrigerant,charge_kg,rated_output_kw,installed_on,disposed_on,manufacturer,model,"
    "serial_no"
)
CERTS_HEADER = (
    "certificate_no,type,management_no,work_date,refrigerant,amount_kg,occasion,contractor,contractor_registration_no,"
    "issued_on"
)
LOOKUP = Lookup(
    companies={"Sakura Mart": 1},
    sites={"S1": KnownSite(10, OrgPath.parse("Sakura Mart/Kanto")), "S2": KnownSite(11, OrgPath.parse("Sakura Mart"))},
    units={
        ("S1", "SC-01"): KnownUnit(100, "S1", frozenset({"R404A"}), (1,)),
        ("S2", "SC-01"): KnownUnit(101, "S2", frozenset({"R404A"}), (1,)),
        ("S1", "AC-01"): KnownUnit(102, "S1", frozenset({"R410A"}), (1,)),
        ("S1", "CH-01"): KnownUnit(103, "S1", frozenset({"R134a"}), (1, 2)),
        ("S1", "EMPTY"): KnownUnit(104, "S1", frozenset({"R134a"}), ()),
    },
    contractors={"13-0001": (7,), "DUP-1": (8, 9)},
    certificates=frozenset({(7, "C-OLD")}),
)


def csv_bytes(*lines: str, bom: bool = False) -> bytes:
    return (("\ufeff" if bom else "") + "\r\n".join(lines) + "\r\n").encode()


def errors_of(what: What, data: bytes, lookup: Lookup = LOOKUP, filename: str = "f.csv") -> list[tuple[int, str]]:
    with pytest.raises(ImportRejected) as rejected:
        parse_file(what, filename, data, lookup, TODAY)
    return [(e.line, e.field) for e in rejected.value.errors]


# --- sites ----------------------------------------------------------------------------------------------------------


def test_sites_parse_with_bom_defaults_and_flags() -> None:
    data = csv_bytes(
        SITES_HEADER + ",is_own_premises,is_mobile",
        "S9,新宿店,13,東京都新宿区,Sakura Mart/Kanto/West,,",
        "S1,横浜店,14,,,false,true",
        bom=True,
    )
    first, second = parse_file(What.SITES, "sites.csv", data, LOOKUP, TODAY)
    assert isinstance(first, SiteRecord) and isinstance(second, SiteRecord)
    assert (first.site.site_code, str(first.site.org_path), first.existing_id) == ("S9", "Sakura Mart/Kanto/West", None)
    assert (first.site.is_own_premises, first.site.is_mobile) == (True, False)
    # An empty org_path keeps a stored site where it is; the flags are read (REGULATION.md (g2)).
    assert (str(second.site.org_path), second.existing_id, second.site.counts_as_own_site) == ("Sakura Mart/Kanto", 10,
                                                                                               False)  # fmt: skip


def test_a_new_site_without_org_path_goes_to_the_only_company_and_is_an_error_with_none_or_several() -> None:
    data = csv_bytes(SITES_HEADER, "S9,新宿店,13,,")
    (record,) = parse_file(What.SITES, "s.csv", data, LOOKUP, TODAY)
    assert isinstance(record, SiteRecord) and str(record.site.org_path) == "Sakura Mart"
    assert errors_of(What.SITES, data, Lookup()) == [(2, "org_path")]
    assert errors_of(What.SITES, data, Lookup(companies={"A": 1, "B": 2})) == [(2, "org_path")]


def test_every_bad_site_row_is_listed_with_its_line_and_field() -> None:
    data = csv_bytes(
        SITES_HEADER + ",is_mobile",
        "S7,ok,13,,Sakura Mart,",
        ",no code,13,,Sakura Mart,",
        "S8,,48,,A//B,maybe",
        "S7,again,13,,Sakura Mart,",
        "S9,too deep,13,,A/B/C/D,",
    )
    assert errors_of(What.SITES, data) == [
        (3, "site_code"), (4, "is_mobile"), (4, "name"), (4, "org_path"), (4, "prefecture_code"), (5, "site_code"),
        (6, "org_path"),
    ]  # fmt: skip


def test_header_errors_name_the_unknown_missing_and_repeated_columns() -> None:
    data = csv_bytes("site_code,name,name,address,colour", "S1,a,b,c,red")
    assert errors_of(What.SITES, data) == [(1, "colour"), (1, "name"), (1, "org_path"), (1, "prefecture_code")]


@pytest.mark.parametrize(
    ("filename", "data"),
    [("sites.txt", b"site_code\n"), ("sites.csv", b""), ("sites.csv", b"\xff\xfe bad"), ("sites.xlsx", b"not zip")],
)
def test_a_file_that_cannot_be_read_is_one_error_on_line_1(filename: str, data: bytes) -> None:
    assert errors_of(What.SITES, data, filename=filename) == [(1, "file")]


def test_an_xlsx_first_sheet_reads_like_the_csv_numbers_and_dates_included() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(UNITS_HEADER.split(","))
    sheet.append(["SC-02", "S1", "showcase_remote", "R404A", 12.5, "4.9×2", date(2015, 4, 1), None, "三洋", "M", 42])
    sheet.append([None] * 11)  # a blank row is skipped
    sheet.append(["SC-03", "S1", "cold_room", "R404A", -1, 7.5, "2015/04/01", None, None, None, None])
    out = io.BytesIO()
    book.save(out)
    assert errors_of(What.EQUIPMENT, out.getvalue(), filename="units.xlsx") == [(4, "charge_kg")]
    sheet.delete_rows(4)
    out = io.BytesIO()
    book.save(out)
    (record,) = parse_file(What.EQUIPMENT, "units.XLSX", out.getvalue(), LOOKUP, TODAY)
    assert isinstance(record, UnitRecord)
    assert (record.unit.charge_kg, record.unit.installed_on, record.unit.serial_no) == (
        Decimal("12.5"), date(2015, 4, 1), "42"
    )  # fmt: skip
    assert [c.rated_output_kw for c in record.unit.circuits[0].compressors] == [Decimal("4.9")] * 2


# --- equipment ------------------------------------------------------------------------------------------------------


def test_units_are_exact_normalised_and_matched_to_stored_ones() -> None:
    data = csv_bytes(UNITS_HEADER, "SC-01,S1,Showcase_Remote,hfc-404a,12.345,4.9x2,2015-04-01,,,,",
                     "NEW-1,S2,package_ac,R410A,8,7.5,,,,,")  # fmt: skip
    stored, new = parse_file(What.EQUIPMENT, "u.csv", data, LOOKUP, TODAY)
    assert isinstance(stored, UnitRecord) and isinstance(new, UnitRecord)
    assert (stored.existing_id, stored.unit.refrigerant, stored.unit.charge_kg) == (100, "R404A", Decimal("12.345"))
    assert isinstance(stored.unit.charge_kg, Decimal)
    assert (new.existing_id, new.site_id, new.company) == (None, 11, "Sakura Mart")


def test_every_bad_unit_row_is_listed() -> None:
    data = csv_bytes(
        UNITS_HEADER,
        "U1,NOPE,fridge,R404A,1,1,,,,,",  # unknown site, bad kind
        "U2,S1,cold_room,R999,0,1,,,,,",  # unknown refrigerant, zero kg
        "U3,S1,cold_room,R290,-2,abc,,,,,",  # not a fluorocarbon, negative kg, bad kW
        "U4,S1,cold_room,R404A,1.2345,1,2027-01-01,,,,",  # 4 decimals, installed in the future
        "U5,S1,cold_room,R404A,x,1,2020-01-01,2019-01-01,,,",  # non-numeric kg, disposed before installed
        "U6,S1,cold_room,R404A,1,1,,,,,",
        "U6,S1,cold_room,R404A,1,1,,,,,",  # repeated in the file
        "CH-01,S1,chiller,R134a,1,1,,,,,",  # a stored unit of two circuits
        ",S1,,,,,,,,,",  # missing values
    )
    assert errors_of(What.EQUIPMENT, data) == [
        (2, "kind"), (2, "site_code"), (3, "charge_kg"), (3, "refrigerant"), (4, "charge_kg"), (4, "rated_output_kw"),
        (4, "refrigerant"), (5, "charge_kg"), (5, "installed_on"), (6, "charge_kg"), (6, "disposed_on"),
        (8, "management_no"), (9, "rated_output_kw"), (10, "charge_kg"), (10, "kind"), (10, "management_no"),
        (10, "rated_output_kw"), (10, "refrigerant"),
    ]  # fmt: skip


# --- certificates ---------------------------------------------------------------------------------------------------


def test_certificates_find_their_unit_and_contractor() -> None:
    data = csv_bytes(
        CERTS_HEADER + ",site_code",
        "C-1,charge,AC-01,2025-05-10,R410A,2.5,maintenance,冷熱サービス,13-0001,2025-05-12,",
        "R-1,Recovery,SC-01,2025-06-03,R404A,19.05,disposal,横浜冷機,14-0420,,S2",
    )
    charge, recovery = parse_file(What.CERTIFICATES, "c.csv", data, LOOKUP, TODAY)
    assert isinstance(charge, CertificateRecord) and isinstance(recovery, CertificateRecord)
    assert (charge.equipment_id, charge.circuit_no, charge.contractor_id) == (102, 1, 7)
    assert charge.amount_kg == Decimal("2.5")
    assert (recovery.equipment_id, recovery.type.value, recovery.contractor_id) == (101, "recovery", None)
    assert recovery.contractor.registration_no == "14-0420"


def test_every_bad_certificate_row_is_listed() -> None:
    data = csv_bytes(
        CERTS_HEADER,
        "C-OLD,charge,AC-01,2025-05-10,R410A,1,maintenance,冷熱,13-0001,",  # stored already for the contractor
        "C-2,gift,AC-01,2025-05-10,R410A,1,repair,冷熱,13-0001,",  # bad type and occasion
        "C-3,recovery,AC-01,2025-05-10,R410A,1,installation,冷熱,13-0001,",  # no recovery at installation
        "C-4,charge,SC-01,2025-05-10,R404A,1,maintenance,冷熱,13-0001,",  # SC-01 is at two sites
        "C-5,charge,XX-9,2025-05-10,R404A,1,maintenance,冷熱,13-0001,",  # no such unit
        "C-6,charge,AC-01,2026-04-01,R404A,1,maintenance,冷熱,13-0001,",  # future; not the unit's refrigerant
        "C-7,charge,AC-01,1989-12-31,R410A,0,maintenance,冷熱,13-0001,",  # before 1990; zero kg
        "C-8,charge,AC-01,2025-05-10,R410A,1,maintenance,冷熱,13-0001,2025-05-09",  # issued before the work
        "C-8,charge,AC-01,2025-05-10,R410A,1,maintenance,冷熱,13-0001,",  # repeated in the file
        "C-9,charge,AC-01,2025-05-10,R410A,1,maintenance,,DUP-1,",  # no contractor name; ambiguous registration
        "C-10,charge,EMPTY,2025-05-10,R134a,1,maintenance,冷熱,13-0001,",  # a unit without a circuit
    )
    assert errors_of(What.CERTIFICATES, data) == [
        (2, "certificate_no"), (3, "occasion"), (3, "type"), (4, "occasion"), (5, "management_no"),
        (6, "management_no"), (7, "refrigerant"), (7, "work_date"), (8, "amount_kg"), (8, "work_date"),
        (9, "issued_on"), (10, "certificate_no"), (11, "contractor"), (11, "contractor_registration_no"),
        (12, "management_no"),
    ]  # fmt: skip


def test_an_ambiguous_management_number_names_its_sites_and_site_code_settles_it() -> None:
    row = "C-4,charge,SC-01,2025-05-10,R404A,1,maintenance,冷熱,13-0001,"
    with pytest.raises(ImportRejected) as rejected:
        parse_file(What.CERTIFICATES, "c.csv", csv_bytes(CERTS_HEADER, row), LOOKUP, TODAY)
    assert rejected.value.errors == [
        RowError(2, "management_no", "SC-01 is used at sites S1, S2: add a site_code column")
    ]
    data = csv_bytes(CERTS_HEADER + ",site_code", row + ",S1", row.replace("C-4", "C-5") + ",S3")
    assert errors_of(What.CERTIFICATES, data) == [(3, "site_code")]


def test_importers_are_admins_and_managers_granted_at_the_company() -> None:
    companies = {"Sakura Mart": 1, "Other": 2}
    branch_manager = Person(1, "b", (Grant("manager", organisation_id=5),))
    company_manager = Person(2, "m", (Grant("manager", organisation_id=1), Grant("viewer", organisation_id=2)))
    admin = Person(3, "a", (Grant("admin", organisation_id=2),))
    assert importable_companies(branch_manager, companies) == frozenset()
    assert importable_companies(company_manager, companies) == {"Sakura Mart"}
    assert importable_companies(admin, companies) == {"Other"}
