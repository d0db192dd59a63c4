"""Form 2 (様式第2, the optional related information, REGULATION.md (g5)) through the whole path: the register and
the certificates in the database → `form2_data` → the dataset (exact) and the printed sheets. Page 1 is rendered
to docs/images/leakage-form2-page1.png on every run, from a database of its own, so the image is the same."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pypdfium2 as pdfium
import pytest

from compliance.form2_service import form2_data
from compliance.leakage_service import leakage_data
from compliance.reports.form1 import form1
from compliance.reports.form2 import CHOICE_COMPANY, CHOICE_SITE, LEGAL_BASIS, MEASURES, TITLE, BreakdownGroup
from compliance.reports.form2_pdf import form1_with_form2_pdf, form2_pdf
from fluorowatch.domain.equipment import EquipmentKind
from fluorowatch.domain.inspection_rules import LegalCategory
from fluorowatch.domain.refrigerants import RefrigerantRegistry
from tests.compliance.leakage_db import certificate, charged_unit, site, unit
from tests.conftest import rolled_back

REGISTRY = RefrigerantRegistry.default()
FY = 2025
CO = "さくらマート株式会社"
PNG = Path(__file__).resolve().parents[2] / "docs" / "images" / "leakage-form2-page1.png"
A4_PORTRAIT_PT = (595.28, 841.89)
PRINTED_ON = date(2026, 5, 20)


@pytest.fixture(scope="module")
def form2_database(new_migrated_database: Callable[[str], str]) -> str:
    return new_migrated_database("form2")


@pytest.fixture
def db(form2_database: str) -> Iterator[psycopg.Connection]:
    yield from rolled_back(form2_database)


def fleet(conn: psycopg.Connection) -> None:
    """Two stores, a truck, and a store closed during the year, with maintenance charges in FY2025."""
    store, osaka, closed = site(conn, "S-1", "13", CO), site(conn, "S-2", "27", CO), site(conn, "S-3", "13", CO)
    truck = site(conn, "V-1", "14", CO, mobile=True)
    charge = date(2025, 6, 1)
    certificate(conn, unit(conn, store, "SC-1", "R404A", charge_kg="40"), "charge", "R404A", "6", charge)
    unit(conn, store, "SC-2", "R404A", charge_kg="20")
    condensing = unit(conn, store, "CU-1", "R410A", kind=EquipmentKind.CONDENSING_UNIT, charge_kg="25")
    certificate(conn, condensing, "charge", "R410A", "2.5", charge)
    air = unit(conn, store, "AC-1", "R410A", kind=EquipmentKind.PACKAGE_AC, charge_kg="12.5")
    certificate(conn, air, "charge", "R410A", "1", charge)
    process = unit(conn, store, "CH-1", "R134a", kind=EquipmentKind.CHILLER, charge_kg="100",
                   category=LegalCategory.REFRIGERATION)  # fmt: skip
    certificate(conn, process, "charge", "R134a", "3", charge)
    old = unit(conn, store, "OLD", "R22", charge_kg="30", disposed_on=date(2025, 10, 1))
    certificate(conn, old, "charge", "R22", "4", charge)  # leaked in the year, disposed before its end
    unit(conn, osaka, "AC-2", "R410A", kind=EquipmentKind.PACKAGE_AC, charge_kg="7.5")
    unit(conn, osaka, "AC-3", "R32", kind=EquipmentKind.PACKAGE_AC, installed_on=date(2026, 4, 10))  # next year
    unit(conn, closed, "SC-9", "R404A", disposed_on=date(2025, 5, 1))
    unit(conn, truck, "TR-1", "R404A", kind=EquipmentKind.REFRIGERATOR, charge_kg="2")


def lines(group: BreakdownGroup) -> dict[str, tuple[int, Decimal, Decimal | None, Decimal | None, Decimal | None]]:
    return {
        line.refrigerant: (line.units, line.charge_kg, line.leaked_kg, line.t_co2, line.leak_rate_percent)
        for line in group.lines
    }


def test_the_breakdown_counts_units_held_their_charge_leakage_and_leak_rate(db: psycopg.Connection) -> None:
    fleet(db)
    form = form2_data(db, FY, CO, REGISTRY)
    (sheet,) = form.sheets  # 42.365 t-CO2: no specified leaker, form 2 still has the company's sheet
    table = sheet.breakdown
    labels = [(g.category, g.kind) for g in table.groups]
    fridge, air, kind = LegalCategory.REFRIGERATION, LegalCategory.AIR_CONDITIONER, EquipmentKind
    assert labels == [(air, None), (air, kind.PACKAGE_AC), (fridge, None), (fridge, kind.SHOWCASE_REMOTE),
                      (fridge, kind.REFRIGERATOR), (fridge, kind.CONDENSING_UNIT), (fridge, kind.CHILLER)]  # fmt: skip
    air_total, package, cold, showcase, refrigerator, condensing, chiller = table.groups
    # AC-1 12.5 kg + AC-2 7.5 kg held; 1 kg R410A leaked → 2.09 t, 5 %; AC-3 comes after 31 March
    assert lines(air_total) == lines(package) == {"R410A": (2, Decimal(20), Decimal(1), Decimal("2.09"), Decimal(5))}
    assert lines(cold) == {
        "R134a": (1, Decimal(100), Decimal(3), Decimal("4.29"), Decimal(3)),  # the chiller overridden (n) #15
        "R22": (0, Decimal(0), Decimal(4), Decimal("7.24"), None),  # disposed in the year: leaked, not held
        "R404A": (3, Decimal(62), Decimal(6), Decimal("23.52"), Decimal(6) / Decimal(62) * 100),  # truck included
        "R410A": (1, Decimal(25), Decimal("2.5"), Decimal("5.225"), Decimal(10)),
    }
    assert lines(showcase) == {"R22": (0, Decimal(0), Decimal(4), Decimal("7.24"), None),
                               "R404A": (2, Decimal(60), Decimal(6), Decimal("23.52"), Decimal(10))}  # fmt: skip
    assert lines(refrigerator) == {"R404A": (1, Decimal(2), None, None, None)}
    assert (condensing.units, chiller.units, cold.units, cold.label, package.label) == (
        1, 1, 5, "冷凍冷蔵機器", "パッケージエアコン")  # fmt: skip
    assert table.total_t_co2 == Decimal("42.365") == air_total.t_co2 + cold.t_co2
    assert table.share_percent(air_total) == Decimal("2.09") / Decimal("42.365") * 100
    # (g5) section 5: S-1 and S-2; not the truck (no site, (g2)), not S-3 (its only unit disposed in May)
    assert form.site_count == 2 and form.provision_year == 2026


def test_the_previous_year_is_compared_and_printed_truncated(db: psycopg.Connection) -> None:
    store = site(db, "S-1", "13", CO)
    showcase = unit(db, store, "SC-1", "R404A")
    certificate(db, showcase, "charge", "R404A", "10", date(2024, 8, 1))  # FY2024: 39.2 t
    certificate(db, showcase, "charge", "R404A", "6", date(2025, 8, 1))  # FY2025: 23.52 t
    certificate(db, showcase, "charge", "R404A", "100", date(2026, 4, 1))  # FY2026: not compared
    change = form2_data(db, FY, CO, REGISTRY).sheets[0].change
    assert (change.this_year, change.previous_year, change.change) == (
        Decimal("23.52"), Decimal("39.2"), Decimal("-15.68"))  # fmt: skip
    assert change.change_percent == Decimal(-40)
    assert (change.form_this_year, change.form_previous_year, change.form_change) == (23, 39, -15)  # (g3), (n) #8


def test_without_certificates_last_year_the_previous_year_is_blank(db: psycopg.Connection) -> None:
    charged_unit(db, site(db, "S-1", "13", CO), "SC-1", "R404A", "1")
    change = form2_data(db, FY, CO, REGISTRY).sheets[0].change
    assert change.previous_year is None and change.form_previous_year is None
    assert change.change == Decimal("3.92") and change.change_percent is None


def test_a_specified_site_gets_its_own_sheet_with_its_own_units(db: psycopg.Connection) -> None:
    """(g1) site sample: R404A 150 kg + R410A 200 kg = 1,006 t-CO2 at S-1 → a specified site, sheet 01."""
    store, other = site(db, "S-1", "13", CO), site(db, "S-2", "27", CO)
    charged_unit(db, store, "SC-1", "R404A", "150")
    charged_unit(db, store, "SC-2", "R410A", "200")
    charged_unit(db, other, "SC-3", "R404A", "5")
    form = form2_data(db, FY, CO, REGISTRY)
    company, store_sheet = form.sheets
    assert (company.choice, company.site, company.site_number) == (CHOICE_COMPANY, None, "")
    assert (store_sheet.choice, store_sheet.number, store_sheet.site_number) == (CHOICE_SITE, 1, "01")
    assert store_sheet.site is not None and store_sheet.site.name == "S-1店"
    assert store_sheet.change.this_year == Decimal(1006) and company.change.this_year == Decimal("1025.6")
    (category, kind) = store_sheet.breakdown.groups
    assert lines(category) == {"R404A": (1, Decimal(50), Decimal(150), Decimal(588), Decimal(300)),
                               "R410A": (1, Decimal(50), Decimal(200), Decimal(418), Decimal(400))}  # fmt: skip
    assert company.breakdown.groups[0].units == 3 and kind.kind is EquipmentKind.SHOWCASE_REMOTE


def test_a_company_below_1000_t_still_gets_its_choice_1_sheet(db: psycopg.Connection) -> None:
    charged_unit(db, site(db, "S-1", "13", CO), "SC-1", "R404A", "250")  # 980 t-CO2
    form = form2_data(db, FY, CO, REGISTRY)
    assert not form.specified_leaker
    (sheet,) = form.sheets
    assert sheet.choice == CHOICE_COMPANY and sheet.change.form_this_year == 980
    pdf = pdfium.PdfDocument(form2_pdf(form, PRINTED_ON))
    assert len(pdf) == 1 and "■1特定漏えい者全体" in text_of(pdf, 0)


def pdf_example(conn: psycopg.Connection) -> None:
    """A specified leaker with one specified site (the (g1) site sample, 1,006 t-CO2, 1,058 t the year before),
    a store on R22 in Osaka and a vehicle unit in Kanagawa."""
    store, osaka = site(conn, "S-001", "13", f"{CO}/関東"), site(conn, "S-002", "27", f"{CO}/関西")
    truck = site(conn, "V-001", "14", f"{CO}/関東", mobile=True)
    central = unit(conn, store, "CU-01", "R404A", kind=EquipmentKind.CONDENSING_UNIT, charge_kg="900")
    certificate(conn, central, "charge", "R404A", "270", date(2024, 9, 1))
    certificate(conn, central, "charge", "R404A", "150", date(2025, 6, 1))
    chiller = unit(conn, store, "CH-01", "R410A", kind=EquipmentKind.CHILLER, charge_kg="2400")
    certificate(conn, chiller, "charge", "R410A", "200", date(2025, 7, 1))
    unit(conn, store, "SC-01", "R404A", charge_kg="35")
    certificate(conn, unit(conn, osaka, "RF-01", "R22", kind=EquipmentKind.REFRIGERATOR, charge_kg="80"),
                "charge", "R22", "12.5", date(2025, 8, 1))  # fmt: skip
    certificate(conn, unit(conn, truck, "TR-01", "R404A", kind=EquipmentKind.REFRIGERATOR, charge_kg="3.2"),
                "charge", "R404A", "0.8", date(2025, 11, 1))  # fmt: skip


def text_of(pdf: pdfium.PdfDocument, index: int) -> str:
    return "".join(pdf[index].get_textpage().get_text_range().split())


def test_form2_prints_a_sheet_for_the_company_and_one_per_specified_site(
    new_migrated_database: Callable[[str], str],
) -> None:
    with psycopg.connect(new_migrated_database("form2_pdf")) as conn:  # its own: the PNG is the same every run
        pdf_example(conn)
        form = form2_data(conn, FY, CO, REGISTRY)
        data = leakage_data(conn, FY, CO, REGISTRY)
    pdf = pdfium.PdfDocument(form2_pdf(form, PRINTED_ON))
    assert pytest.approx(pdf[0].get_size(), abs=0.5) == A4_PORTRAIT_PT
    assert len(pdf) == 2
    company, store = text_of(pdf, 0), text_of(pdf, 1)
    for expected in (TITLE, "様式第2(第6条関係)", "".join(LEGAL_BASIS.split()), "2026年度(2025年度",
                     "■1特定漏えい者全体", "□2特定事業所のみ", "公表されることに同意", CO, "1,058t-CO2",
                     "1,031t-CO2", "-26t-CO2", "-2.5%", "チリングユニット", "別置型ショーケース", "2事業所",
                     "(オ)明確な要因が特定できないスローリーク", MEASURES[-1].text):  # fmt: skip
        assert expected in company, expected
    assert "REGULATION" not in company + store
    assert "□1特定漏えい者全体" in store and "■2特定事業所のみ" in store and "S-001店(S-001)" in store
    assert "事業所番号(2桁)01" in store and "1,006t-CO2" in store and "事業所数" not in store
    # CU-01: 150 of 900 kg R404A → 588 t-CO2, 16.7 %; the showcase SC-01 leaked nothing: its cells stay blank
    assert "コンデンシングユニットR404A1900150588" in company and "16.7588(57.0%)" in company
    assert "別置型ショーケースR404A135業務用" in company
    PNG.parent.mkdir(parents=True, exist_ok=True)
    pdf[0].render(scale=1.6).to_pil().save(PNG)
    assert PNG.stat().st_size > 20_000
    combined = pdfium.PdfDocument(form1_with_form2_pdf(form1(data.report, data.sites), form, PRINTED_ON))
    assert len(combined) == 4 and TITLE in text_of(combined, 2) and "別紙" in text_of(combined, 1)
