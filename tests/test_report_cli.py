"""`fluorowatch report`, run in-process against a committed test database with two companies: the leakage JSON
on stdout with its stable keys, the files of each format, Kyoto's report, and the company asked for by name when
there are several."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import psycopg
import pypdfium2 as pdfium
import pytest
from openpyxl import load_workbook

from fluorowatch.domain.equipment import EquipmentKind
from tests.compliance.leakage_db import certificate, charged_unit, site, unit
from tests.conftest import RunCli as Run

SAKURA, HIMAWARI = "さくらマート", "ひまわり食品"
LEAKAGE = ("report", "leakage", "--fiscal-year", "2025")


@pytest.fixture(scope="module")
def report_database(new_migrated_database: Callable[[str], str]) -> str:
    """さくらマート: the (g1) site sample (1,006 t-CO2) at a store in Kyoto; ひまわり食品: one small unit."""
    url = new_migrated_database("report_cli")
    with psycopg.connect(url) as conn:
        store = site(conn, "SK-1", "26", SAKURA)
        charged_unit(conn, store, "SC-1", "R404A", "150", date(2025, 6, 1))
        air_conditioner = unit(conn, store, "AC-1", "R410A", kind=EquipmentKind.PACKAGE_AC)
        certificate(conn, air_conditioner, "charge", "R410A", "200", date(2025, 7, 1))
        charged_unit(conn, site(conn, "HM-1", "13", HIMAWARI), "SC-1", "R404A", "1.25")
    return url


@pytest.fixture
def run(report_database: str, cli_at: Callable[[str], Run]) -> Run:
    return cli_at(report_database)


def test_leakage_json_goes_to_stdout_with_the_stable_keys(run: Run) -> None:
    code, out, err = run(*LEAKAGE, "--company", SAKURA, "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    assert list(document)[:1] == ["fiscal_year"] and {"fiscal_year", "company_t_co2", "specified_leaker",
           "by_prefecture", "by_site", "specified_sites", "by_unit"} <= set(document)  # fmt: skip
    assert (document["company_t_co2"], document["specified_leaker"], document["specified_sites"]) == (
        "1006", True, ["SK-1"])  # fmt: skip
    assert {"management_no", "refrigerant", "charged_kg", "recovered_kg", "t_co2"} == set(document["by_unit"][0])


def test_the_company_is_needed_when_there_are_two(run: Run) -> None:
    code, out, err = run(*LEAKAGE, "--format", "json")
    assert code == 2 and out == ""
    assert err.strip() == f"fluorowatch: error: give the company (--company): companies are {SAKURA}, {HIMAWARI}"
    code, _, err = run(*LEAKAGE, "--company", "nobody", "--format", "json")
    assert code == 2 and "no company 'nobody'" in err


def test_csv_goes_to_stdout_and_pdf_and_xlsx_need_a_file(run: Run, tmp_path: Path) -> None:
    code, out, _ = run(*LEAKAGE, "--company", HIMAWARI, "--format", "csv")
    assert code == 0 and out.startswith("\ufeff様式第1") and "事業者全体,4,1," in out  # 1.25 kg R404A → 4.9 t
    code, _, err = run(*LEAKAGE, "--company", SAKURA, "--format", "pdf")
    assert code == 2 and "--format pdf needs --out FILE" in err
    pdf_path, xlsx_path = tmp_path / "form1.pdf", tmp_path / "leakage.xlsx"
    assert run(*LEAKAGE, "--company", SAKURA, "--format", "pdf", "--out", str(pdf_path))[0] == 0
    assert len(pdfium.PdfDocument(pdf_path.read_bytes())) == 2  # the form, then the attachment of SK-1
    assert run(*LEAKAGE, "--company", SAKURA, "--format", "xlsx", "--out", str(xlsx_path))[0] == 0
    assert "特定事業所" in load_workbook(io.BytesIO(xlsx_path.read_bytes())).sheetnames


def test_kyoto_report_in_each_format(run: Run, tmp_path: Path) -> None:
    code, out, err = run("report", "kyoto", "--fiscal-year", "2025", "--company", SAKURA, "--format", "json")
    assert code == 0, err
    air, refrigeration = json.loads(out)["rows"]
    assert (air["maintained"], air["charged_kg"], refrigeration["charged_kg"]) == (1, "200.0", "150.0")
    code, out, _ = run("report", "kyoto", "--fiscal-year", "2025", "--company", HIMAWARI, "--format", "csv")
    assert code == 0 and "空調機器,0,0,0,0,0.0,0.0" in out  # nothing in Kyoto
    pdf_path = tmp_path / "kyoto.pdf"
    assert run("report", "kyoto", "--fiscal-year", "2025", "--company", SAKURA, "--format", "pdf",
               "--out", str(pdf_path))[0] == 0  # fmt: skip
    assert len(pdfium.PdfDocument(pdf_path.read_bytes())) == 1
