"""The dataset of form 1 (様式第1, フロン類算定漏えい量等の報告書, REGULATION.md (g5)): table 1 for the company and
each prefecture, table 2 listing the specified sites, and one attachment per specified site with its own table 1.
Every cell is rounded by (g3) from the exact values: truncated toward zero, so under 1 is 0 and a negative keeps
its sign; blank where nothing counted. The front's fields the system does not hold are left for the hand."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from compliance.leakage import Leakage, LeakageReport, fiscal_year_bounds, form_kg, form_t_co2
from fluorowatch.domain.organisation import PREFECTURES

TITLE = "フロン類算定漏えい量等の報告書"
FORM_NAME = "様式第1(第4条関係)"
LEGAL_BASIS = "フロン類の使用の合理化及び管理の適正化に関する法律第19条第1項及び第2項の規定により報告します。"
COMPANY_ROW = "事業者全体"
HAND_FILLED_NOTE = "空欄の項目は本システムが保持していない情報です。提出前に手書きで記入してください。"


@dataclass(frozen=True)
class SiteInfo:
    """What table 2 and the attachment print of a site (REGULATION.md (g5))."""

    site_code: str
    name: str
    address: str
    prefecture_code: str


@dataclass(frozen=True)
class Cell:
    """One refrigerant's column pair (g5): calculated leakage (t-CO2) and actual leakage (kg); None = blank."""

    t_co2: int | None
    kg: int | None


@dataclass(frozen=True)
class Table1Row:
    number: str  # "" for the company row; 1, 2, 3 … for the prefectures
    label: str
    cells: tuple[Cell, ...]  # one per refrigerant of the table
    total_t_co2: int | None


@dataclass(frozen=True)
class Table1:
    refrigerants: tuple[str, ...]
    rows: tuple[Table1Row, ...]


@dataclass(frozen=True)
class Attachment:
    """別紙 of one specified site, numbered as in table 2, with its table 1 (別紙第1表)."""

    number: int
    site: SiteInfo
    table: Table1


@dataclass(frozen=True)
class Form1:
    fiscal_year: int
    company: str
    specified_leaker: bool
    company_t_co2: int
    table1: Table1
    attachments: tuple[Attachment, ...]  # also the rows of table 2

    @property
    def period(self) -> str:
        first, last = fiscal_year_bounds(self.fiscal_year)
        return f"{self.fiscal_year}年度({first:%Y年%m月%d日}〜{last:%Y年%m月%d日})"


def form1(report: LeakageReport, sites: Mapping[str, SiteInfo]) -> Form1:
    """Form 1 of ``report``; ``sites`` holds at least its specified sites."""
    company = report.company_leakage
    refrigerants = tuple(company.refrigerants)
    rows = [table1_row("", COMPANY_ROW, company, refrigerants)]
    for n, code in enumerate(sorted(report.by_prefecture), start=1):
        label = f"{code} {PREFECTURES[code].name_ja}"
        rows.append(table1_row(str(n), label, report.by_prefecture[code], refrigerants))
    attachments = tuple(
        attachment(n, sites[code], report.by_site[code]) for n, code in enumerate(report.specified_sites, start=1)
    )
    return Form1(report.fiscal_year, report.company, report.specified_leaker,
                 form_t_co2(report.company_t_co2) or 0, Table1(refrigerants, tuple(rows)), attachments)  # fmt: skip


def attachment(number: int, site: SiteInfo, leakage: Leakage) -> Attachment:
    refrigerants = tuple(leakage.refrigerants)
    return Attachment(number, site, Table1(refrigerants, (table1_row("", site.name, leakage, refrigerants),)))


def table1_row(number: str, label: str, leakage: Leakage, refrigerants: tuple[str, ...]) -> Table1Row:
    total = form_t_co2(leakage.total_t_co2) if leakage.flows else None
    return Table1Row(number, label, tuple(cell(leakage, r) for r in refrigerants), total)


def cell(leakage: Leakage, refrigerant: str) -> Cell:
    """The pair of one refrigerant, each value truncated on its own from the exact value (g3)."""
    if refrigerant not in leakage.flows:
        return Cell(None, None)
    return Cell(form_t_co2(leakage.t_co2(refrigerant)), form_kg(leakage.flows[refrigerant].leaked_kg))


def number_text(value: int | None) -> str:
    """A cell as written on the form: blank when nothing happened, else the integer with thousands commas."""
    return "" if value is None else f"{value:,}"
