"""The calculated leakage as an Excel workbook in the spirit of RaMS-ex (REGULATION.md (l5)): one sheet per
dataset — summary, form 1 table 1, by site, by unit, the certificates counted, the specified sites. The form's
sheets are rounded as the form is (g3); the by-site and by-unit sheets keep exact values."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from compliance.leakage import SPECIFIED_T_CO2, Certificate, LeakageReport
from compliance.reports.form1 import Form1, SiteInfo
from compliance.reports.form1_csv import table1_header
from compliance.reports.leakage_json import decimal_text
from compliance.spreadsheet import workbook

OCCASION_LABELS = {"installation": "設置時", "maintenance": "整備時", "disposal": "廃棄時"}
TYPE_LABELS = {"charge": "充塡", "recovery": "回収"}
AMOUNT_HEADER = ("冷媒", "充塡量(kg)", "回収量(kg)", "実漏えい量(kg)", "算定漏えい量(t-CO2)")
CERTIFICATE_HEADER = ("証明書番号", "種別", "区分", "作業日", "事業所コード", "管理番号", "冷媒", "数量(kg)")
SITE_HEADER = ("特定事業所番号", "事業所コード", "事業所名", "所在地", "都道府県コード", "算定漏えい量(t-CO2)")


def leakage_xlsx(
    report: LeakageReport, form: Form1, certificates: Sequence[Certificate], sites: dict[str, SiteInfo]
) -> bytes:
    return workbook({
        "概要": (("項目", "値"), summary_rows(report, form)),
        "第1表": (table1_header(form.table1), table1_cells(form)),
        "事業所別": (("事業所コード", "事業所名", *AMOUNT_HEADER), site_rows(report, sites)),
        "機器別": (("事業所コード", "管理番号", *AMOUNT_HEADER), unit_rows(report)),
        "算定対象の証明書": (CERTIFICATE_HEADER, certificate_rows(report, certificates)),
        "特定事業所": (SITE_HEADER, [[a.number, a.site.site_code, a.site.name, a.site.address, a.site.prefecture_code,
                                      a.table.rows[0].total_t_co2] for a in form.attachments]),
    })  # fmt: skip


def summary_rows(report: LeakageReport, form: Form1) -> list[list[object]]:
    return [
        ["事業者", report.company], ["漏えい年度", form.period],
        ["算定漏えい量(t-CO2、正確な値)", number(report.company_t_co2)],
        ["算定漏えい量(t-CO2、報告値: 切り捨て)", form.company_t_co2],
        [f"特定漏えい者({SPECIFIED_T_CO2:,} t-CO2以上)", "該当" if report.specified_leaker else "非該当"],
        ["特定事業所の数", len(report.specified_sites)],
    ]  # fmt: skip


def table1_cells(form: Form1) -> list[list[object]]:
    """Table 1 as numbers Excel can sum; a blank cell stays empty (g3)."""
    return [[row.number, row.label, *(v for c in row.cells for v in (c.t_co2, c.kg)), row.total_t_co2]
            for row in form.table1.rows]  # fmt: skip


def site_rows(report: LeakageReport, sites: dict[str, SiteInfo]) -> list[list[object]]:
    return [
        [code, sites[code].name if code in sites else "", r, number(f.charged_kg), number(f.recovered_kg),
         number(f.leaked_kg), number(leakage.t_co2(r))]
        for code, leakage in sorted(report.by_site.items()) for r, f in sorted(leakage.flows.items())
    ]  # fmt: skip


def unit_rows(report: LeakageReport) -> list[list[object]]:
    rows: list[list[object]] = []
    for unit, leakage in report.by_unit.items():
        place = report.units[unit]
        rows += [[place.site_code, place.management_no, r, number(f.charged_kg), number(f.recovered_kg),
                  number(f.leaked_kg), number(leakage.t_co2(r))] for r, f in sorted(leakage.flows.items())]  # fmt: skip
    return sorted(rows, key=lambda row: (str(row[0]), str(row[1]), str(row[2])))


def certificate_rows(report: LeakageReport, certificates: Sequence[Certificate]) -> list[list[object]]:
    return [
        [c.certificate_no, TYPE_LABELS[c.type.value], OCCASION_LABELS[c.occasion.value], c.work_date,
         report.units[c.equipment_id].site_code, report.units[c.equipment_id].management_no, c.refrigerant,
         number(c.amount_kg)]
        for c in sorted(certificates, key=lambda c: (c.work_date, c.certificate_no))
    ]  # fmt: skip


def number(value: Decimal) -> float | int:
    """An exact decimal as an Excel number (Excel holds binary floats; the exact text is in the JSON)."""
    text = decimal_text(value)
    return int(text) if "." not in text else float(text)
