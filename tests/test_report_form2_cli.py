"""`fluorowatch report leakage --with-form2`, run in-process against a committed test database: form 2 (様式第2,
REGULATION.md (g5)) as the JSON key ``form2`` with exact values, the JSON unchanged without the flag, and the PDF
with form 2's sheets after form 1."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import psycopg
import pypdfium2 as pdfium
import pytest

from fluorowatch.domain.equipment import EquipmentKind
from tests.compliance.leakage_db import certificate, charged_unit, site, unit
from tests.conftest import RunCli as Run

SAKURA = "さくらマート"
LEAKAGE = ("report", "leakage", "--fiscal-year", "2025", "--company", SAKURA)
JSON_KEYS = ["fiscal_year", "company", "company_t_co2", "specified_leaker", "by_prefecture", "by_site",
             "specified_sites", "by_unit", "by_organisation"]  # fmt: skip


@pytest.fixture(scope="module")
def form2_cli_database(new_migrated_database: Callable[[str], str]) -> str:
    """The (g1) site sample (1,006 t-CO2) at a store in Kyoto, with 10 kg R404A charged the year before."""
    url = new_migrated_database("report_form2_cli")
    with psycopg.connect(url) as conn:
        store = site(conn, "SK-1", "26", SAKURA)
        showcase = charged_unit(conn, store, "SC-1", "R404A", "150", date(2025, 6, 1))
        certificate(conn, showcase, "charge", "R404A", "10", date(2024, 6, 1))
        air_conditioner = unit(conn, store, "AC-1", "R410A", kind=EquipmentKind.PACKAGE_AC, charge_kg="2500")
        certificate(conn, air_conditioner, "charge", "R410A", "200", date(2025, 7, 1))
    return url


@pytest.fixture
def run(form2_cli_database: str, cli_at: Callable[[str], Run]) -> Run:
    return cli_at(form2_cli_database)


def test_the_json_gets_a_form2_key_only_with_the_flag(run: Run) -> None:
    code, out, err = run(*LEAKAGE, "--format", "json")
    assert code == 0, err
    assert list(json.loads(out)) == JSON_KEYS
    code, out, err = run(*LEAKAGE, "--format", "json", "--with-form2")
    assert code == 0, err
    document = json.loads(out)
    assert list(document) == [*JSON_KEYS, "form2"]
    form2 = document["form2"]
    assert (form2["fiscal_year"], form2["provision_year"], form2["site_count"]) == (2025, 2026, 1)
    company, store = form2["sheets"]
    assert (company["choice"], company["site_number"], store["choice"], store["site_number"], store["site_code"]) == (
        1, None, 2, "01", "SK-1")  # fmt: skip
    assert (company["t_co2"], company["previous_year_t_co2"], company["change_t_co2"]) == ("1006", "39.2", "966.8")
    air = company["breakdown"][0]
    assert (air["legal_category"], air["kind"], air["units"], air["t_co2"]) == ("air_conditioner", None, 1, "418")
    assert air["by_refrigerant"] == [{"refrigerant": "R410A", "units": 1, "charge_kg": "2500", "leaked_kg": "200",
                                      "t_co2": "418", "leak_rate_percent": "8.00"}]  # fmt: skip
    assert air["share_percent"] == "41.55"  # 418 / 1,006


def test_the_pdf_has_form2_after_form1(run: Run, tmp_path: Path) -> None:
    plain, with_form2 = tmp_path / "form1.pdf", tmp_path / "form1-2.pdf"
    assert run(*LEAKAGE, "--format", "pdf", "--out", str(plain))[0] == 0
    code, _, err = run(*LEAKAGE, "--format", "pdf", "--with-form2", "--out", str(with_form2))
    assert code == 0, err
    pdf = pdfium.PdfDocument(with_form2.read_bytes())
    assert len(pdfium.PdfDocument(plain.read_bytes())) == 2 and len(pdf) == 4  # form 1 + attachment, 2 sheets
    third = "".join(pdf[2].get_textpage().get_text_range().split())
    assert "様式第2(第6条関係)" in third and "■1特定漏えい者全体" in third and "3/4" in third


def test_the_flag_goes_with_json_and_pdf_only(run: Run) -> None:
    code, _, err = run(*LEAKAGE, "--format", "csv", "--with-form2")
    assert code == 2 and "--with-form2 goes with --format json or pdf, not csv" in err
