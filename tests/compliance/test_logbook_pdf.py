"""The logbook PDF (REGULATION.md (e2) layout, A4, Japanese) is rendered, read back and looked at: page 1 is
rendered to docs/images/logbook-pdf-page1.png on every run, so a reader of the docs sees what a manager prints."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pypdfium2 as pdfium
import pytest

from compliance.exports import logbook_pdf
from compliance.logbook import Kind
from compliance.logbook_pdf import TITLE, category, history_row, kg_text
from compliance.logbook_service import correct, entries, record_manual
from compliance.ticket_service import NotFound
from fluorowatch.domain.equipment import Compressor, Equipment, EquipmentKind, RefrigerantCircuit
from fluorowatch.domain.organisation import OrgPath, Site
from storage.registry import save_equipment, save_site
from tests.alerts.conftest import T0
from tests.compliance.test_logbook_example import record_example

PAGE_1_PNG = Path(__file__).resolve().parents[2] / "docs" / "images" / "logbook-pdf-page1.png"
A4_LANDSCAPE_PT = (841.89, 595.28)  # 297 x 210 mm


def _example_unit(conn: psycopg.Connection) -> int:
    """The unit of the example logbook (REGULATION.md (e2)): a remote showcase on R404A, 20.0 kg at installation."""
    site = save_site(conn, Site("S-EXAMPLE", "さくらマート新宿店", "13", "東京都新宿区西新宿1-1-1",
                                OrgPath.parse("さくらマート株式会社/関東")))  # fmt: skip
    unit = Equipment("SC-0001", EquipmentKind.SHOWCASE_REMOTE, "R404A", Decimal("20.0"),
                     (RefrigerantCircuit(1, (Compressor(Decimal("5.5")),)),), installed_on=date(2024, 4, 1),
                     manufacturer="冷機工業", model="RS-1800F", serial_no="A240312")  # fmt: skip
    return save_equipment(conn, site, unit)


def _text_of_page(pdf: pdfium.PdfDocument, index: int) -> str:
    """The page's text without white space (cells wrap their text where they must)."""
    return "".join(pdf[index].get_textpage().get_text_range().split())


def test_the_example_logbook_prints_on_a4_in_japanese_with_its_totals(
    new_migrated_database: Callable[[str], str],
) -> None:
    with psycopg.connect(new_migrated_database("logbook_pdf")) as conn:  # its own: the entry numbers printed stay
        unit = _example_unit(conn)
        record_example(conn, unit)
        data = logbook_pdf(conn, unit, date(2026, 12, 4))

    pdf = pdfium.PdfDocument(data)
    assert pytest.approx(pdf[0].get_size(), abs=0.5) == A4_LANDSCAPE_PT
    text = _text_of_page(pdf, 0)
    for expected in (TITLE, "SC-0001", "さくらマート株式会社", "さくらマート新宿店", "東京都新宿区西新宿1-1-1",
                     "別置型ショーケース", "RS-1800F", "冷機工業", "R404A", "冷熱サービス",
                     "修理時間を確保できない(顧客都合)", "設置時充塡", "整備時充塡", "整備時回収"):  # fmt: skip
        assert expected in text, expected
    # (e2) totals: 60.0 charged at maintenance, 52.5 recovered, 7.5 emitted, 29.4 t-CO2 at GWP 3920.
    assert "充塡量合計(kg)60.0回収量合計(kg)52.5漏えい量合計(kg)7.5CO2換算(t-CO2)29.4GWP(R404A)3920" in text
    assert b"/FontFile3" in data and b"NotoSansCJK" in data  # the Japanese font travels inside the file

    PAGE_1_PNG.parent.mkdir(parents=True, exist_ok=True)
    pdf[0].render(scale=1.6).to_pil().save(PAGE_1_PNG)
    assert PAGE_1_PNG.stat().st_size > 20_000


def test_the_same_logbook_prints_the_same_bytes(conn: psycopg.Connection) -> None:
    unit = _example_unit(conn)
    record_example(conn, unit)
    assert logbook_pdf(conn, unit, date(2026, 12, 4)) == logbook_pdf(conn, unit, date(2026, 12, 4))


def test_a_long_logbook_repeats_the_column_headings_on_every_page(conn: psycopg.Connection) -> None:
    unit = _example_unit(conn)
    for n in range(80):
        record_manual(conn, unit, Kind.INSPECTION, date(2024, 4, 1) + timedelta(days=90 * n), {
            "inspector": "店長 山田", "method": "simple", "content": "目視・聴覚: 異音・油にじみなし",
            "result": "異常なし"}, "山田", T0)  # fmt: skip
    pdf = pdfium.PdfDocument(logbook_pdf(conn, unit, date(2026, 12, 4)))
    assert len(pdf) >= 3
    for index in range(len(pdf)):
        text = _text_of_page(pdf, index)
        assert "点検・整備区分" in text and f"{index + 1}/{len(pdf)}" in text


def test_a_corrected_entry_prints_marked_with_its_correction(conn: psycopg.Connection) -> None:
    unit = _example_unit(conn)
    record_example(conn, unit)
    wrong = next(e for e in entries(conn, unit) if e.kind is Kind.RECOVERY and e.details["amount_kg"] == "18.0")
    fixed = correct(conn, wrong.id, {**wrong.details, "amount_kg": "18.5"}, "鈴木 次郎", "回収証明書との照合", T0)
    by_id = {e.id: e for e in entries(conn, unit)}
    assert history_row(by_id[wrong.id])[0] == f"{wrong.id}\n訂正済(→{fixed})"
    assert history_row(by_id[fixed])[0] == f"{fixed}\n(←{wrong.id}を訂正)"
    assert history_row(by_id[fixed])[4] == "18.5"
    text = _text_of_page(pdfium.PdfDocument(logbook_pdf(conn, unit, date(2026, 12, 4))), 0)
    assert f"訂正:No.{fixed}はNo.{wrong.id}を訂正—鈴木次郎、理由:回収証明書との照合" in text
    assert "回収量合計(kg)53.0" in text  # the corrected amount counts, the superseded one does not


def test_rows_say_the_category_of_the_example_logbook(conn: psycopg.Connection) -> None:
    unit = _example_unit(conn)
    record_example(conn, unit)
    categories = [category(e) for e in entries(conn, unit)]
    assert categories[:3] == ["設置時充塡", "定期点検(直接法)", "修理の延期"]
    assert categories.count("整備時充塡") == 3 and categories.count("整備時回収") == 3


def test_amounts_print_exactly_with_at_least_one_decimal() -> None:
    assert [kg_text(Decimal(v)) for v in ("20.000", "15.5", "27.44", "0", "-7.50")] == [
        "20.0", "15.5", "27.44", "0.0", "-7.5"]  # fmt: skip


def test_an_unknown_unit_has_no_logbook_to_print(conn: psycopg.Connection) -> None:
    with pytest.raises(NotFound, match="no unit 987654"):
        logbook_pdf(conn, 987654, date(2026, 12, 4))
