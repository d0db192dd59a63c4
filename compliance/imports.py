"""What managers already have, read from their files: sites, equipment, charge and recovery certificates.

Pure: a file (CSV text, UTF-8 with or without a BOM, or an XLSX workbook's first sheet) becomes validated records,
or the list of every `RowError` it has, each with its line (line 1 is the header) and field. What is already
stored (sites, units, contractors, certificate numbers, companies) comes in as a `Lookup` of plain data. The
columns and accepted values are documented in docs/imports.md.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import PurePath
from typing import TypeVar

from openpyxl import load_workbook

from alerts.lifecycle import Person
from compliance.leakage import CertificateType, Occasion
from fluorowatch.domain.equipment import Compressor, Equipment, EquipmentKind, RefrigerantCircuit, parse_rated_output
from fluorowatch.domain.organisation import Contractor, OrgPath, Site, prefecture
from fluorowatch.domain.refrigerants import RefrigerantRegistry, UnknownRefrigerant, normalise_refrigerant_name

HEADER_LINE = 1
EARLIEST_WORK_DATE = date(1990, 1, 1)
MAX_KG = Decimal("999999999.999")  # numeric(12, 3)
MAX_KW = Decimal("99999.999")  # numeric(8, 3)
T = TypeVar("T")


class What(StrEnum):
    """The three files, in the order they import: a unit needs its site, a certificate its unit."""

    SITES = "sites"
    EQUIPMENT = "equipment"
    CERTIFICATES = "certificates"


REQUIRED_COLUMNS: Mapping[What, tuple[str, ...]] = {
    What.SITES: ("site_code", "name", "prefecture_code", "address", "org_path"),
    What.EQUIPMENT: ("management_no", "site_code", "kind", "refrigerant", "charge_kg", "rated_output_kw",
                     "installed_on", "disposed_on", "manufacturer", "model", "serial_no"),
    What.CERTIFICATES: ("certificate_no", "type", "management_no", "work_date", "refrigerant", "amount_kg",
                        "occasion", "contractor", "contractor_registration_no", "issued_on"),
}  # fmt: skip
OPTIONAL_COLUMNS: Mapping[What, tuple[str, ...]] = {
    What.SITES: ("is_own_premises", "is_mobile"),
    What.EQUIPMENT: (),
    What.CERTIFICATES: ("site_code",),
}
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")
IMPORTERS = ("admin", "manager")


@dataclass(frozen=True, order=True)
class RowError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.line}: {self.field}: {self.message}"


class ImportRejected(ValueError):
    """The file has errors; nothing of it was written. ``errors`` holds every one, by line."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = sorted(errors)
        super().__init__(f"{len(self.errors)} error(s); nothing imported: " + "; ".join(map(str, self.errors[:3])))


@dataclass(frozen=True)
class KnownSite:
    id: int
    org_path: OrgPath


@dataclass(frozen=True)
class KnownUnit:
    id: int
    site_code: str
    refrigerants: frozenset[str]  # canonical names: the nameplate's and the approved replacements ((d3) 3.)
    circuits: tuple[int, ...]


@dataclass(frozen=True)
class Lookup:
    """What is stored already, by the keys a file uses."""

    companies: Mapping[str, int] = field(default_factory=dict)  # company name -> organisation id
    sites: Mapping[str, KnownSite] = field(default_factory=dict)  # site_code ->
    units: Mapping[tuple[str, str], KnownUnit] = field(default_factory=dict)  # (site_code, management_no) ->
    contractors: Mapping[str, tuple[int, ...]] = field(default_factory=dict)  # registration no -> ids
    certificates: frozenset[tuple[int, str]] = frozenset()  # (contractor id, certificate no)

    def company_of(self, site_code: str) -> str:
        return self.sites[site_code].org_path.company


@dataclass(frozen=True)
class SiteRecord:
    line: int
    site: Site
    existing_id: int | None

    @property
    def company(self) -> str:
        return self.site.org_path.company


@dataclass(frozen=True)
class UnitRecord:
    line: int
    company: str
    site_id: int
    unit: Equipment
    existing_id: int | None


@dataclass(frozen=True)
class CertificateRecord:
    line: int
    company: str
    certificate_no: str
    type: CertificateType
    equipment_id: int
    circuit_no: int
    work_date: date
    issued_on: date | None
    refrigerant: str
    amount_kg: Decimal
    occasion: Occasion
    contractor: Contractor
    contractor_id: int | None  # None: a contractor not stored yet


Record = SiteRecord | UnitRecord | CertificateRecord


def importable_companies(person: Person, companies: Mapping[str, int]) -> frozenset[str]:
    """The companies (name -> organisation id) ``person`` may import for: as an administrator or manager granted
    at the company itself (depth 0), since a file creates and changes sites and units across the whole company."""
    granted = {grant.organisation_id for grant in person.grants if grant.role in IMPORTERS}
    return frozenset(name for name, org_id in companies.items() if org_id in granted)


class _Invalid(ValueError):
    """One field of one row is wrong; the message says how."""


@dataclass
class _Row:
    line: int
    values: Mapping[str, str]
    errors: list[RowError]

    def text(self, name: str, *, required: bool = True) -> str:
        value = self.values.get(name, "").strip()
        if required and not value:
            self.errors.append(RowError(self.line, name, "a value is required"))
        return value

    def parsed(self, name: str, parse: Callable[[str], T], *, required: bool = True) -> T | None:
        """``parse`` of the field's text; None (and an error) when it is invalid, or None when empty and optional."""
        value = self.text(name, required=required)
        if not value:
            return None
        try:
            return parse(value)
        except (_Invalid, ValueError) as exc:
            self.errors.append(RowError(self.line, name, str(exc)))
            return None

    def fail(self, name: str, message: str) -> None:
        self.errors.append(RowError(self.line, name, message))


def parse_file(what: What, filename: str, data: bytes, lookup: Lookup, today: date) -> list[Record]:
    """The file's validated records, in file order; raises `ImportRejected` with every error when there is one."""
    header, rows = read_table(filename, data)
    errors = check_header(what, header)
    if errors:
        raise ImportRejected(errors)
    parse_row = {What.SITES: _site_parser, What.EQUIPMENT: _unit_parser, What.CERTIFICATES: _certificate_parser}[what]
    parse = parse_row(lookup, today)
    records: list[Record] = []
    for line, values in rows:
        row = _Row(line, values, [])
        record = parse(row)
        errors.extend(row.errors)
        if record is not None and not row.errors:
            records.append(record)
    if errors:
        raise ImportRejected(errors)
    return records


def read_table(filename: str, data: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header's column names and the non-blank rows as (line, column -> text); `ImportRejected` if the file
    cannot be read."""
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".csv":
        lines = list(_csv_lines(data))
    elif suffix == ".xlsx":
        lines = list(_xlsx_lines(data))
    else:
        raise ImportRejected([RowError(HEADER_LINE, "file", f"{filename!r}: expected a .csv or .xlsx file")])
    if not lines:
        raise ImportRejected([RowError(HEADER_LINE, "file", "the file is empty: the header row is required")])
    (_, header), body = lines[0], lines[1:]
    names = [_column_name(cell) for cell in header]
    rows = [(line, dict(zip(names, cells, strict=False))) for line, cells in body if any(c.strip() for c in cells)]
    return names, rows


def check_header(what: What, header: Sequence[str]) -> list[RowError]:
    required, optional = REQUIRED_COLUMNS[what], OPTIONAL_COLUMNS[what]
    errors = [RowError(HEADER_LINE, name, "missing column") for name in required if name not in header]
    expected = ", ".join((*required, *optional))
    for name, count in Counter(header).items():
        if name not in required and name not in optional:
            errors.append(RowError(HEADER_LINE, name or "(empty)", f"unknown column; the columns are {expected}"))
        elif count > 1:
            errors.append(RowError(HEADER_LINE, name, f"column given {count} times"))
    return errors


def _csv_lines(data: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected(
            [RowError(HEADER_LINE, "file", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    first_line = 1
    try:
        for cells in reader:
            yield first_line, cells
            first_line = reader.line_num + 1
    except csv.Error as exc:
        raise ImportRejected([RowError(first_line, "file", f"not CSV: {exc}")]) from None


def _xlsx_lines(data: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportRejected([RowError(HEADER_LINE, "file", f"not an XLSX workbook: {exc}")]) from None
    try:
        for line, cells in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
            yield line, [_cell_text(cell) for cell in cells]
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    """A cell as the text a CSV would hold: dates ISO, whole numbers without '.0', booleans true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)  # a float's shortest repr is the number as typed, so Decimal(str(...)) is exact


def _column_name(cell: str) -> str:
    return cell.strip().lstrip("\ufeff").lower()


# --- values -----------------------------------------------------------------------------------------------------


def parse_kg(text: str) -> Decimal:
    """An exact amount in kg: a plain decimal number > 0 with at most 3 decimals (the database keeps grams)."""
    return _positive_decimal(text, "kg", MAX_KG)


def parse_day(text: str) -> date:
    """YYYY-MM-DD, or YYYY/MM/DD as Japanese spreadsheets write it."""
    normalised = unicodedata.normalize("NFKC", text).strip().replace("/", "-")
    parts = normalised.split("-")
    try:
        if len(parts) != 3:
            raise ValueError
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise _Invalid(f"{text!r} is not a date; write it as YYYY-MM-DD") from None


def parse_flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE or lowered in _FALSE:
        return lowered in _TRUE
    raise _Invalid(f"{text!r} is not true or false")


def _positive_decimal(text: str, unit: str, maximum: Decimal) -> Decimal:
    normalised = unicodedata.normalize("NFKC", text).strip()
    try:
        value = Decimal(normalised)
    except InvalidOperation:
        raise _Invalid(f"{text!r} is not a number of {unit}") from None
    if not value.is_finite() or value <= 0:
        raise _Invalid(f"{text!r}: the amount must be more than 0 {unit}")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -3:
        raise _Invalid(f"{text!r}: at most 3 decimals")
    if value > maximum:
        raise _Invalid(f"{text!r}: more than {maximum} {unit}")
    return value


def _choice(enum: type[StrEnum]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        try:
            return enum(text.strip().lower()).value
        except ValueError:
            raise _Invalid(f"{text!r} is not one of {', '.join(e.value for e in enum)}") from None

    return parse


def fluorocarbon(text: str) -> str:
    """The canonical name of a refrigerant the Act covers (REGULATION.md (a1): CFC, HCFC, HFC; (g7) names)."""
    try:
        refrigerant = RefrigerantRegistry.default().get(normalise_refrigerant_name(text))
    except UnknownRefrigerant as exc:
        raise _Invalid(str(exc)) from None
    if not refrigerant.in_scope:
        raise _Invalid(f"{refrigerant.name} is a {refrigerant.family.value}, not a fluorocarbon under the Act (a1)")
    return refrigerant.name


def _past(today: date) -> Callable[[str], date]:
    def parse(text: str) -> date:
        day = parse_day(text)
        if day > today:
            raise _Invalid(f"{day.isoformat()} is in the future (today is {today.isoformat()})")
        return day

    return parse


# --- sites --------------------------------------------------------------------------------------------------------


def _site_parser(lookup: Lookup, today: date) -> Callable[[_Row], Record | None]:
    first_line: dict[str, int] = {}
    return lambda row: _site(row, lookup, first_line)


def _site(row: _Row, lookup: Lookup, first_line: dict[str, int]) -> SiteRecord | None:
    code = row.text("site_code")
    if code in first_line:
        row.fail("site_code", f"{code} is given already on line {first_line[code]}")
    elif code:
        first_line[code] = row.line
    name = row.text("name")
    prefecture_code = row.parsed("prefecture_code", lambda text: prefecture(text).code)
    org_path = (row.parsed("org_path", OrgPath.parse) if row.text("org_path", required=False)
                else _default_org(row, lookup, code))  # fmt: skip
    own_premises = row.parsed("is_own_premises", parse_flag, required=False)
    mobile = row.parsed("is_mobile", parse_flag, required=False)
    if row.errors or prefecture_code is None or org_path is None:
        return None
    known = lookup.sites.get(code)
    site = Site(code, name, prefecture_code, row.text("address", required=False), org_path,
                is_own_premises=True if own_premises is None else own_premises, is_mobile=bool(mobile))  # fmt: skip
    return SiteRecord(row.line, site, known.id if known else None)


def _default_org(row: _Row, lookup: Lookup, code: str) -> OrgPath | None:
    """An empty org_path: a stored site keeps its organisation; a new one goes to the installation's only company."""
    if code in lookup.sites:
        return lookup.sites[code].org_path
    if len(lookup.companies) == 1:
        return OrgPath((next(iter(lookup.companies)),))
    found = "no company is stored yet" if not lookup.companies else f"{len(lookup.companies)} companies are stored"
    row.fail("org_path", f"{found}: name the company, e.g. Company/Region/Branch")
    return None


# --- equipment ----------------------------------------------------------------------------------------------------


def _unit_parser(lookup: Lookup, today: date) -> Callable[[_Row], Record | None]:
    first_line: dict[tuple[str, str], int] = {}
    return lambda row: _unit(row, lookup, today, first_line)


def _unit(row: _Row, lookup: Lookup, today: date, first_line: dict[tuple[str, str], int]) -> UnitRecord | None:
    management_no, site_code = row.text("management_no"), row.text("site_code")
    if site_code and site_code not in lookup.sites:
        row.fail("site_code", f"no site {site_code} is stored; import the sites file first")
    key = (site_code, management_no)
    if key in first_line:
        row.fail("management_no", f"{management_no} at site {site_code} is given already on line {first_line[key]}")
    elif all(key):
        first_line[key] = row.line
    kind = row.parsed("kind", _choice(EquipmentKind))
    refrigerant = row.parsed("refrigerant", fluorocarbon)
    charge_kg = row.parsed("charge_kg", parse_kg)
    compressors = row.parsed("rated_output_kw", _rated_output)
    installed_on = row.parsed("installed_on", _past(today), required=False)
    disposed_on = row.parsed("disposed_on", _past(today), required=False)
    if installed_on and disposed_on and disposed_on < installed_on:
        row.fail("disposed_on", f"{disposed_on.isoformat()} is before installed_on {installed_on.isoformat()}")
    known = lookup.units.get(key)
    if known is not None and len(known.circuits) > 1:
        row.fail("rated_output_kw", f"the stored unit has {len(known.circuits)} circuits; a file describes one, so "
                                    "it cannot update this unit")  # fmt: skip
    if row.errors or kind is None or refrigerant is None or charge_kg is None or compressors is None:
        return None
    circuit_no = known.circuits[0] if known and known.circuits else 1
    unit = Equipment(
        management_no, EquipmentKind(kind), refrigerant, charge_kg, (RefrigerantCircuit(circuit_no, compressors),),
        installed_on=installed_on, disposed_on=disposed_on, manufacturer=row.text("manufacturer", required=False),
        model=row.text("model", required=False), serial_no=row.text("serial_no", required=False),
    )  # fmt: skip
    return UnitRecord(row.line, lookup.company_of(site_code), lookup.sites[site_code].id, unit,
                      known.id if known else None)  # fmt: skip


def _rated_output(text: str) -> tuple[Compressor, ...]:
    compressors = parse_rated_output(text)
    if any(c.rated_output_kw > MAX_KW for c in compressors):
        raise _Invalid(f"{text!r}: more than {MAX_KW} kW for one compressor")
    return compressors


# --- certificates -------------------------------------------------------------------------------------------------


def _certificate_parser(lookup: Lookup, today: date) -> Callable[[_Row], Record | None]:
    first_line: dict[tuple[str, str], int] = {}
    by_number: dict[str, list[KnownUnit]] = {}
    for (_, management_no), unit in lookup.units.items():
        by_number.setdefault(management_no, []).append(unit)
    return lambda row: _certificate(row, lookup, by_number, today, first_line)


def _certificate(
    row: _Row, lookup: Lookup, by_number: Mapping[str, list[KnownUnit]], today: date,
    first_line: dict[tuple[str, str], int],
) -> CertificateRecord | None:  # fmt: skip
    number, registration_no = row.text("certificate_no"), row.text("contractor_registration_no")
    contractor_id = _contractor_id(row, lookup, registration_no)
    _check_new_certificate(row, lookup, first_line, number, registration_no, contractor_id)
    kind = row.parsed("type", _choice(CertificateType))
    occasion = row.parsed("occasion", _choice(Occasion))
    if kind == CertificateType.RECOVERY and occasion == Occasion.INSTALLATION:
        row.fail("occasion", "a recovery is made at maintenance or disposal, never at installation (REGULATION.md (f))")
    unit = _unit_of(row, lookup, by_number)
    if unit is not None and not unit.circuits:
        row.fail("management_no", "the stored unit has no refrigerant circuit to book the certificate on")
    refrigerant = row.parsed("refrigerant", fluorocarbon)
    if unit is not None and refrigerant is not None and refrigerant not in unit.refrigerants:
        row.fail("refrigerant", f"{refrigerant} is not the unit's refrigerant ({', '.join(sorted(unit.refrigerants))})")
    amount_kg = row.parsed("amount_kg", parse_kg)
    work_date = row.parsed("work_date", _work_date(today))
    issued_on = row.parsed("issued_on", _past(today), required=False)
    if work_date and issued_on and issued_on < work_date:
        row.fail("issued_on", f"{issued_on.isoformat()} is before work_date {work_date.isoformat()}")
    contractor_name = row.text("contractor")
    if row.errors or not (kind and occasion and unit and refrigerant and amount_kg and work_date):
        return None
    return CertificateRecord(
        row.line, lookup.company_of(unit.site_code), number, CertificateType(kind), unit.id, unit.circuits[0],
        work_date, issued_on, refrigerant, amount_kg, Occasion(occasion), Contractor(contractor_name, registration_no),
        contractor_id,
    )  # fmt: skip


def _work_date(today: date) -> Callable[[str], date]:
    def check(text: str) -> date:
        day = _past(today)(text)
        if day < EARLIEST_WORK_DATE:
            raise _Invalid(f"{day.isoformat()} is before {EARLIEST_WORK_DATE.isoformat()}")
        return day

    return check


def _contractor_id(row: _Row, lookup: Lookup, registration_no: str) -> int | None:
    found = lookup.contractors.get(registration_no, ())
    if len(found) > 1:
        row.fail("contractor_registration_no", f"{len(found)} stored contractors have registration no. "
                                               f"{registration_no} (in different prefectures)")  # fmt: skip
    return found[0] if len(found) == 1 else None


def _check_new_certificate(
    row: _Row, lookup: Lookup, first_line: dict[tuple[str, str], int], number: str, registration_no: str,
    contractor_id: int | None,
) -> None:  # fmt: skip
    key = (registration_no, number)
    if key in first_line:
        row.fail("certificate_no", f"{number} of contractor {registration_no} is given already on line "
                                   f"{first_line[key]}")  # fmt: skip
    elif all(key):
        first_line[key] = row.line
    if contractor_id is not None and (contractor_id, number) in lookup.certificates:
        row.fail("certificate_no", f"{number} of contractor {registration_no} is stored already")


def _unit_of(row: _Row, lookup: Lookup, by_number: Mapping[str, list[KnownUnit]]) -> KnownUnit | None:
    """The unit by its management number, which is unique per site only: ``site_code`` settles several."""
    management_no, site_code = row.text("management_no"), row.text("site_code", required=False)
    if not management_no:
        return None
    if site_code:
        if site_code not in lookup.sites:
            row.fail("site_code", f"no site {site_code} is stored")
            return None
        unit = lookup.units.get((site_code, management_no))
        if unit is None:
            row.fail("management_no", f"no unit {management_no} is stored at site {site_code}")
        return unit
    matches = by_number.get(management_no, [])
    if len(matches) == 1:
        return matches[0]
    if not matches:
        row.fail("management_no", f"no unit {management_no} is stored; import the equipment file first")
    else:
        sites = ", ".join(sorted(unit.site_code for unit in matches))
        row.fail("management_no", f"{management_no} is used at sites {sites}: add a site_code column")
    return None
