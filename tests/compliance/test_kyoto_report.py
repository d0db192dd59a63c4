"""Kyoto's HFC report (REGULATION.md (m)): (m4)'s worked example through the database, the half-up rounding of
STEP3, and the JSON and CSV."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import psycopg
import pytest

from compliance.leakage_service import kyoto
from compliance.reports.kyoto import kyoto_csv, kyoto_json, reported_kg
from fluorowatch.domain.equipment import EquipmentKind
from fluorowatch.domain.inspection_rules import LegalCategory
from fluorowatch.domain.refrigerants import RefrigerantRegistry
from tests.compliance.leakage_db import certificate, site, unit

REGISTRY = RefrigerantRegistry.default()
CO = "京都テスト商事"
FY = 2021  # 1 April 2021 – 31 March 2022, the example's year
OLD = date(2018, 5, 1)
AC, SHOWCASE = EquipmentKind.PACKAGE_AC, EquipmentKind.SHOWCASE_REMOTE


def worked_example(conn: psycopg.Connection) -> None:
    """(m4)'s FY2021 example. The example gives the totals only; the unit-level details are ours: AC-1 (R410A)
    is charged 7.6 kg and recovered 6.9 kg at maintenance; AC-6 (R32) is installed on 1 July 2021 with a 1.3 kg
    top-up (the 3.2 kg factory charge has no certificate); RF-1 (R404A) is charged 0.3 kg and recovered 0.25 kg;
    RF-7, a chiller used for refrigeration (override of its default type), is disposed of on 1 November 2021 and
    0.13 kg taken back. Also present and never counted: an R22 unit in Kyoto (HCFC), an HFC unit in Osaka, a
    unit disposed of the year before, and a certificate of 31 March 2021."""
    kyoto_site, osaka_site = site(conn, "KY-1", "26", CO), site(conn, "OS-1", "27", CO)
    ac = [unit(conn, kyoto_site, f"AC-{n}", "R410A", kind=AC, installed_on=OLD) for n in range(1, 6)]
    new_ac = unit(conn, kyoto_site, "AC-6", "R32", kind=AC, installed_on=date(2021, 7, 1))
    rf = [unit(conn, kyoto_site, f"RF-{n}", "R404A", kind=SHOWCASE, installed_on=OLD) for n in range(1, 7)]
    chiller = unit(conn, kyoto_site, "RF-7", "R407C", kind=EquipmentKind.CHILLER, installed_on=OLD,
                   disposed_on=date(2021, 11, 1))  # fmt: skip
    conn.execute("UPDATE equipment SET legal_category_override = 'refrigeration' WHERE id = %s", (chiller,))
    certificate(conn, new_ac, "charge", "R32", "1.3", date(2021, 7, 1), "installation")
    certificate(conn, ac[0], "charge", "R410A", "7.6", date(2021, 8, 10))
    certificate(conn, ac[0], "recovery", "R410A", "6.9", date(2021, 8, 10))
    certificate(conn, rf[0], "charge", "R404A", "0.3", date(2022, 3, 31))
    certificate(conn, rf[0], "recovery", "R404A", "0.25", date(2021, 4, 1))
    certificate(conn, chiller, "recovery", "R407C", "0.13", date(2021, 11, 1), "disposal")
    certificate(conn, ac[1], "charge", "R410A", "5.0", date(2021, 3, 31))  # the year before
    r22 = unit(conn, kyoto_site, "AC-R22", "R22", kind=AC, installed_on=OLD)
    certificate(conn, r22, "charge", "R22", "2.0", date(2021, 9, 1))
    osaka = unit(conn, osaka_site, "AC-OSAKA", "R410A", kind=AC, installed_on=OLD)
    certificate(conn, osaka, "charge", "R410A", "3.0", date(2021, 9, 1))
    unit(conn, kyoto_site, "RF-OLD", "R404A", kind=SHOWCASE, installed_on=OLD, disposed_on=date(2021, 3, 31))


def test_the_worked_example_of_m4(conn: psycopg.Connection) -> None:
    worked_example(conn)
    report = kyoto(conn, FY, CO, REGISTRY)
    air, refrigeration = report.rows
    assert air.category is LegalCategory.AIR_CONDITIONER
    assert (air.held_at_start, air.maintained, air.disposed, air.held_at_end) == (5, 2, 0, 6)
    assert (air.reported_charged_kg, air.reported_recovered_kg) == (Decimal("8.9"), Decimal("6.9"))
    assert (refrigeration.held_at_start, refrigeration.maintained, refrigeration.disposed,
            refrigeration.held_at_end) == (7, 1, 1, 6)  # fmt: skip
    assert refrigeration.charged_kg == Decimal("0.3") and refrigeration.recovered_kg == Decimal("0.38")
    assert refrigeration.reported_recovered_kg == Decimal("0.4")
    document = json.loads(kyoto_json(report))
    assert document["rows"][1]["recovered_kg"] == "0.4" and document["rows"][1]["recovered_kg_exact"] == "0.38"
    assert document["rows"][0]["charged_kg"] == "8.9" and document["prefecture_code"] == "26"
    text = kyoto_csv(report)
    assert text.startswith("\ufeff")
    assert "空調機器,5,2,0,6,8.9,6.9\r\n冷凍冷蔵機器,7,1,1,6,0.3,0.4\r\n" in text


def test_a_company_with_nothing_in_kyoto_reports_zeros(conn: psycopg.Connection) -> None:
    unit(conn, site(conn, "OS-1", "27", CO), "AC-1", "R410A", kind=AC)
    report = kyoto(conn, FY, CO, REGISTRY)
    assert [r.category for r in report.rows] == [LegalCategory.AIR_CONDITIONER, LegalCategory.REFRIGERATION]
    assert all((r.held_at_start, r.held_at_end, r.charged_kg) == (0, 0, Decimal(0)) for r in report.rows)


@pytest.mark.parametrize(("exact", "reported"), [("0.38", "0.4"), ("0.25", "0.3"), ("0.05", "0.1"), ("0.04", "0.0"),
                                                 ("8.95", "9.0"), ("2.349", "2.3")])  # fmt: skip
def test_kg_are_rounded_half_up_to_one_decimal(exact: str, reported: str) -> None:
    """(m4) STEP3: 四捨五入 — 0.25 → 0.3, where round() to even would give 0.2."""
    assert str(reported_kg(Decimal(exact))) == reported
