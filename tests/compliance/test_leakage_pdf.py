"""Form 1 and Kyoto's HFC report as PDF (A4 portrait, Japanese) are rendered, read back and looked at: page 1 of
each is rendered to docs/images on every run, so a reader of docs/leakage.md sees what a manager prints."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import psycopg
import pypdfium2 as pdfium
import pytest
from openpyxl import load_workbook

from compliance.leakage_service import kyoto, leakage_data
from compliance.reports.form1 import TITLE, form1
from compliance.reports.form1_pdf import form1_pdf
from compliance.reports.kyoto import TITLE as KYOTO_TITLE
from compliance.reports.kyoto_pdf import kyoto_pdf
from compliance.reports.leakage_xlsx import leakage_xlsx
from fluorowatch.domain.refrigerants import RefrigerantRegistry
from tests.compliance.leakage_db import charged_unit, site
from tests.compliance.test_kyoto_report import CO as KYOTO_CO
from tests.compliance.test_kyoto_report import worked_example

REGISTRY = RefrigerantRegistry.default()
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
A4_PORTRAIT_PT = (595.28, 841.89)
PRINTED_ON = date(2026, 5, 20)
CO = "さくらマート株式会社"


def _example(conn: psycopg.Connection) -> None:
    """A specified leaker with one specified site (the (g1) site sample, 1,006 t-CO2), a store on R22 in Osaka,
    and a vehicle unit in Kanagawa."""
    store, osaka = site(conn, "S-001", "13", f"{CO}/関東"), site(conn, "S-002", "27", f"{CO}/関西")
    truck = site(conn, "V-001", "14", f"{CO}/関東", mobile=True)
    charged_unit(conn, store, "SC-01", "R404A", "150")
    charged_unit(conn, store, "AC-01", "R410A", "200")
    charged_unit(conn, osaka, "AC-02", "R22", "12.5")
    charged_unit(conn, truck, "TR-01", "R404A", "3.2")


def _text(pdf: pdfium.PdfDocument, index: int) -> str:
    return "".join(pdf[index].get_textpage().get_text_range().split())


def _save_page_1(pdf: pdfium.PdfDocument, name: str) -> None:
    path = IMAGES / name
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf[0].render(scale=1.6).to_pil().save(path)
    assert path.stat().st_size > 20_000


def test_form1_prints_front_tables_and_one_attachment_per_specified_site(conn: psycopg.Connection) -> None:
    _example(conn)
    data = leakage_data(conn, 2025, CO, REGISTRY)
    pdf = pdfium.PdfDocument(form1_pdf(form1(data.report, data.sites), PRINTED_ON))
    assert pytest.approx(pdf[0].get_size(), abs=0.5) == A4_PORTRAIT_PT
    assert len(pdf) == 2  # the form with its tables, then the attachment of S-001
    front = _text(pdf, 0)
    for expected in (TITLE, CO, "特定漏えい者コード(9桁)", "手書きで記入", "第1表", "第2表", "事業者全体",
                     "13東京都", "27大阪府", "14神奈川県", "1,006", "S-001店", "S-001の所在地"):  # fmt: skip
        assert expected in front, expected
    # company: R404A 153.2 kg → 600.544 → 600, R410A 418, R22 22.625 → 22; total 1,041.169 → 1,041 (g3)
    assert "事業者全体2212600153418200" in front.replace(",", "") and "1,041" in front
    attachment = _text(pdf, 1)
    assert "別紙特定事業所1" in attachment and "別紙第1表" in attachment and "588" in attachment
    _save_page_1(pdf, "leakage-form1-page1.png")


def test_kyoto_report_prints_the_table_the_written_parts_and_the_differences(conn: psycopg.Connection) -> None:
    worked_example(conn)
    pdf = pdfium.PdfDocument(kyoto_pdf(kyoto(conn, 2021, KYOTO_CO, REGISTRY), PRINTED_ON))
    assert pytest.approx(pdf[0].get_size(), abs=0.5) == A4_PORTRAIT_PT
    text = _text(pdf, 0)
    for expected in (KYOTO_TITLE, "京都府知事", KYOTO_CO, "空調機器52068.96.9", "冷凍冷蔵機器71160.30.4",
                     "管理体制", "国の算定漏えい量報告", "設置時の充填"):  # fmt: skip
        assert expected in text, expected
    _save_page_1(pdf, "kyoto-report-page1.png")


def test_the_workbook_has_one_sheet_per_dataset(conn: psycopg.Connection) -> None:
    _example(conn)
    data = leakage_data(conn, 2025, CO, REGISTRY)
    form = form1(data.report, data.sites)
    book = load_workbook(io.BytesIO(leakage_xlsx(data.report, form, data.counted, data.sites)))
    assert book.sheetnames == ["概要", "第1表", "事業所別", "機器別", "算定対象の証明書", "特定事業所"]
    assert [c.value for c in book["特定事業所"][2]] == [1, "S-001", "S-001店", "S-001の所在地", "13", 1006]
    assert book["機器別"].max_row == 5 and book["算定対象の証明書"].max_row == 5
    assert [c.value for c in book["第1表"][2]][:4] == [None, "事業者全体", 22, 12]  # R22: 22.625 t, 12.5 kg
