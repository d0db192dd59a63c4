"""The worked examples of REGULATION.md (g1)-(g3) through the whole path: certificates and the register in the
database → `leakage_report` → the JSON (exact) and the form-1 dataset (rounded by (g3))."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal

import psycopg
import pytest

from compliance.leakage_service import leakage_data, leakage_report, live_leakage
from compliance.reports.form1 import Cell, form1
from compliance.reports.form1_csv import form1_csv
from compliance.reports.leakage_json import leakage_json
from fluorowatch.domain.refrigerants import RefrigerantRegistry
from tests.compliance.leakage_db import certificate, charged_unit, site, unit
from tests.conftest import rolled_back

REGISTRY = RefrigerantRegistry.default()
FY = 2025
CO = "さくらマート株式会社"
STABLE_KEYS = {"fiscal_year", "company_t_co2", "specified_leaker", "by_prefecture", "by_site", "specified_sites",
               "by_unit"}  # fmt: skip


@pytest.fixture(scope="module")
def leakage_database(new_migrated_database: Callable[[str], str]) -> str:
    """A database of its own, so that the companies it holds are only the ones a test writes."""
    return new_migrated_database("leakage_reports")


@pytest.fixture
def db(leakage_database: str) -> Iterator[psycopg.Connection]:
    yield from rolled_back(leakage_database)


def table1_example(conn: psycopg.Connection) -> None:
    """Form 1 table 1's sample cells (g1): R404A 200 kg → 784, R410A 200 → 418, R22 200 → 362 in Tokyo (13);
    R410A 100 → 209, R404A 100 → 392 in Osaka (27). The sample's company total is 2,374 t-CO2, 209 t more than
    these cells: we put that R410A 100 kg in Kanagawa (14), so the company holds R404A 300, R410A 400, R22 200 kg."""
    tokyo, osaka = site(conn, "T-1", "13", f"{CO}/関東"), site(conn, "O-1", "27", f"{CO}/関西")
    kanagawa = site(conn, "K-1", "14", f"{CO}/関東")
    for n, (site_id, refrigerant, kg) in enumerate([(tokyo, "R404A", "200"), (tokyo, "R410A", "200"),
                                                    (tokyo, "R22", "200"), (osaka, "R410A", "100"),
                                                    (osaka, "R404A", "100"), (kanagawa, "R410A", "100")]):  # fmt: skip
        charged_unit(conn, site_id, f"U-{n}", refrigerant, kg)


def test_form1_table1_sample_through_the_database(db: psycopg.Connection) -> None:
    table1_example(db)
    data = leakage_data(db, FY, CO, REGISTRY)
    form = form1(data.report, data.sites)
    assert form.table1.refrigerants == ("R22", "R404A", "R410A")
    company, tokyo, kanagawa, osaka = form.table1.rows
    assert (company.label, company.total_t_co2) == ("事業者全体", 2374)
    assert company.cells == (Cell(362, 200), Cell(1176, 300), Cell(836, 400))
    assert tokyo.cells == (Cell(362, 200), Cell(784, 200), Cell(418, 200)) and tokyo.total_t_co2 == 1564
    assert osaka.cells == (Cell(None, None), Cell(392, 100), Cell(209, 100))  # no R22 in Osaka: blank
    assert kanagawa.cells == (Cell(None, None), Cell(None, None), Cell(209, 100))
    assert [r.number for r in form.table1.rows] == ["", "1", "2", "3"]
    assert form.specified_leaker and form.company_t_co2 == 2374
    document = json.loads(leakage_json(data.report))
    assert set(document) >= STABLE_KEYS
    assert document["company_t_co2"] == "2374" and document["specified_leaker"] is True
    assert {"prefecture_code": "27", "refrigerant": "R404A", "kg": "100", "t_co2": "392"} in document["by_prefecture"]


def test_a_site_at_1006_t_is_a_specified_site_with_its_attachment(db: psycopg.Connection) -> None:
    """(g1) site sample: R404A 150 kg → 588, R410A 200 kg → 418, 1,006 t-CO2 ≥ 1,000 → specified site (g2)."""
    store, small = site(db, "S-1", "13", CO), site(db, "S-2", "13", CO)
    charged_unit(db, store, "A", "R404A", "150")
    charged_unit(db, store, "B", "R410A", "200")
    charged_unit(db, small, "C", "R404A", "10")
    data = leakage_data(db, FY, CO, REGISTRY)
    assert data.report.specified_sites == ["S-1"]
    assert data.report.by_site["S-1"].total_t_co2 == Decimal(1006)
    (sheet,) = form1(data.report, data.sites).attachments
    assert (sheet.number, sheet.site.name, sheet.site.address) == (1, "S-1店", "S-1の所在地")
    assert sheet.table.rows[0].cells == (Cell(588, 150), Cell(418, 200)) and sheet.table.rows[0].total_t_co2 == 1006
    csv_text = form1_csv(form1(data.report, data.sites))
    assert csv_text.startswith("\ufeff") and "1,S-1店,S-1の所在地," in csv_text


@pytest.mark.parametrize(("own", "mobile"), [(False, False), (True, True)], ids=["other-premises", "vehicle"])
def test_1006_t_off_own_premises_counts_for_company_and_prefecture_never_as_a_site(
    db: psycopg.Connection, own: bool, mobile: bool
) -> None:
    """(g2): units at another business's site or on vehicles count in the company and the prefecture only."""
    place = site(db, "X-1", "14", CO, own=own, mobile=mobile)
    charged_unit(db, place, "A", "R404A", "150")
    charged_unit(db, place, "B", "R410A", "200")
    report = leakage_report(db, FY, CO, REGISTRY)
    assert report.company_t_co2 == Decimal(1006) and report.specified_leaker
    assert report.by_prefecture["14"].total_t_co2 == Decimal(1006)
    assert report.specified_sites == [] and report.by_site == {}
    assert json.loads(leakage_json(report))["specified_sites"] == []


def test_a_recovery_cancels_the_refrigerant_put_back(db: psycopg.Connection) -> None:
    """(g1) note: charge 25.0 kg, recovery 19.05 kg → 5.95 kg leaked; R404A: 23.324 t-CO2 exact, 23 on the form."""
    equipment_id = unit(db, site(db, "S-1", "13", CO), "A", "R404A")
    certificate(db, equipment_id, "charge", "R404A", "25.0", date(2025, 5, 1))
    certificate(db, equipment_id, "recovery", "R404A", "19.05", date(2025, 5, 1))
    data = leakage_data(db, FY, CO, REGISTRY)
    document = json.loads(leakage_json(data.report))
    assert document["by_unit"] == [{"management_no": "A", "refrigerant": "R404A", "charged_kg": "25",
                                    "recovered_kg": "19.05", "t_co2": "23.324"}]  # fmt: skip
    assert document["by_site"] == [{"site_code": "S-1", "refrigerant": "R404A", "kg": "5.95", "t_co2": "23.324"}]
    assert form1(data.report, data.sites).table1.rows[0].cells == (Cell(23, 5),)


def test_installation_charges_and_disposal_recoveries_do_not_count(db: psycopg.Connection) -> None:
    equipment_id = unit(db, site(db, "S-1", "13", CO), "A", "R404A")
    certificate(db, equipment_id, "charge", "R404A", "20.0", date(2025, 5, 1), "installation")
    certificate(db, equipment_id, "charge", "R404A", "2.0", date(2025, 8, 1))
    certificate(db, equipment_id, "recovery", "R404A", "15.0", date(2026, 2, 1), "disposal")
    data = leakage_data(db, FY, CO, REGISTRY)
    assert data.report.company_leakage.flows["R404A"].leaked_kg == Decimal("2.0")
    assert [c.amount_kg for c in data.counted] == [Decimal("2.0")]


def test_the_fiscal_year_runs_1_april_to_31_march(db: psycopg.Connection) -> None:
    equipment_id = unit(db, site(db, "S-1", "13", CO), "A", "R404A")
    for day, kg in (
        (date(2025, 3, 31), "1"),
        (date(2025, 4, 1), "2"),
        (date(2026, 3, 31), "4"),
        (date(2026, 4, 1), "8"),
    ):
        certificate(db, equipment_id, "charge", "R404A", kg, day)
    charged = {
        fy: leakage_report(db, fy, CO, REGISTRY).company_leakage.flows["R404A"].charged_kg for fy in (2024, 2025, 2026)
    }
    assert charged == {2024: Decimal(1), 2025: Decimal(6), 2026: Decimal(8)}


def test_a_company_below_1000_t_is_no_specified_leaker_and_has_no_specified_site(db: psycopg.Connection) -> None:
    charged_unit(db, site(db, "S-1", "13", CO), "A", "R404A", "250")  # 980 t-CO2
    data = leakage_data(db, FY, CO, REGISTRY)
    assert data.report.company_t_co2 == Decimal(980)
    assert not data.report.specified_leaker and data.report.specified_sites == []
    document = json.loads(leakage_json(data.report))
    assert document["specified_leaker"] is False and document["specified_sites"] == []
    assert form1(data.report, data.sites).attachments == ()


def test_form_cells_truncate_toward_zero_and_the_json_stays_exact(db: psycopg.Connection) -> None:
    """(g3): -2.7 kg → -2 (toward zero, a recovery only is negative), 0.9 kg → 0, blank where nothing counted."""
    tokyo, osaka = site(db, "S-1", "13", CO), site(db, "S-2", "27", CO)
    certificate(db, unit(db, tokyo, "A", "R404A"), "recovery", "R404A", "2.7", date(2025, 9, 1))
    charged_unit(db, osaka, "B", "R32", "0.9")
    data = leakage_data(db, FY, CO, REGISTRY)
    company, tokyo_row, osaka_row = form1(data.report, data.sites).table1.rows
    assert form1(data.report, data.sites).table1.refrigerants == ("R32", "R404A")
    assert tokyo_row.cells == (Cell(None, None), Cell(-10, -2)) and tokyo_row.total_t_co2 == -10  # -10.584 t
    assert osaka_row.cells == (Cell(0, 0), Cell(None, None)) and osaka_row.total_t_co2 == 0  # 0.6075 t
    assert company.cells == (Cell(0, 0), Cell(-10, -2)) and company.total_t_co2 == -9  # -9.9765 t, exact sum
    document = json.loads(leakage_json(data.report))
    assert document["company_t_co2"] == "-9.9765"
    assert {"prefecture_code": "13", "refrigerant": "R404A", "kg": "-2.7", "t_co2": "-10.584"} in document[
        "by_prefecture"
    ]
    assert {"prefecture_code": "27", "refrigerant": "R32", "kg": "0.9", "t_co2": "0.6075"} in document["by_prefecture"]
    assert ",,-10,-2," in form1_csv(form1(data.report, data.sites))  # the blank R32 pair of Tokyo, then R404A


def test_refrigerants_outside_the_act_never_count(db: psycopg.Connection) -> None:
    equipment_id = unit(db, site(db, "S-1", "13", CO), "A", "R744")
    certificate(db, equipment_id, "recovery", "R744", "3.0", date(2025, 9, 1))
    assert leakage_report(db, FY, CO, REGISTRY).company_leakage.flows == {}


def test_the_company_is_needed_when_there_are_several(db: psycopg.Connection) -> None:
    charged_unit(db, site(db, "S-1", "13", CO), "A", "R404A", "1")
    assert leakage_report(db, FY, None, REGISTRY).company == CO  # the only one
    site(db, "S-2", "13", "ひまわり食品")
    with pytest.raises(ValueError, match="companies are さくらマート株式会社, ひまわり食品"):
        leakage_report(db, FY, None, REGISTRY)
    with pytest.raises(ValueError, match="no company 'nobody'"):
        leakage_report(db, FY, "nobody", REGISTRY)
    assert leakage_report(db, FY, "ひまわり食品", REGISTRY).company_t_co2 == 0


def test_live_leakage_is_the_current_fiscal_year_so_far_per_unit(db: psycopg.Connection) -> None:
    store = site(db, "S-1", "13", f"{CO}/関東")
    first = charged_unit(db, store, "A", "R404A", "1.5", on=date(2025, 5, 1))
    later = charged_unit(db, store, "B", "R404A", "2.0", on=date(2025, 9, 1))
    charged_unit(db, store, "C", "R404A", "4.0", on=date(2025, 3, 31))  # the year before
    live = live_leakage(db, date(2025, 6, 30), CO, REGISTRY)
    assert live.fiscal_year == 2025 and set(live.by_unit) == {first}
    assert live.company_t_co2 == Decimal("5.88") and live.by_organisation[(CO, "関東")].total_t_co2 == Decimal("5.88")
    assert set(live_leakage(db, date(2025, 9, 1), CO, REGISTRY).by_unit) == {first, later}
