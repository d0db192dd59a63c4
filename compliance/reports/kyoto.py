"""Kyoto Prefecture's yearly HFC refrigerant report (冷媒用代替フロン使用状況等報告書, REGULATION.md (m)): for the
units in Kyoto on HFC, per type (air conditioners, refrigerating and freezing units), the unit counts of (m4) STEP2
and the kg charged and recovered of STEP3, with JSON and CSV outputs. Pure: the caller passes the units and the
certificates."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from compliance.leakage import SPECIFIED_T_CO2, Certificate, CertificateType, Occasion, fiscal_year_bounds
from compliance.reports.leakage_json import decimal_text
from fluorowatch.domain.inspection_rules import LegalCategory
from fluorowatch.domain.refrigerants import Family, RefrigerantRegistry

KYOTO = "26"  # JIS X 0401 prefecture code of Kyoto (m1)
TITLE = "冷媒用代替フロン使用状況等報告書"
FORM_NAME = "別記第17号の2様式(第54条の2関係)"
ADDRESSEE = "京都府知事"
KG_STEP = Decimal("0.1")  # (m4) STEP3: half up at the second decimal → one decimal place
CATEGORY_LABELS = {LegalCategory.AIR_CONDITIONER: "空調機器", LegalCategory.REFRIGERATION: "冷凍冷蔵機器"}
HEADER = ("機器の種類", "年度当初の保有台数", "整備台数", "廃棄台数", "年度末の保有台数", "代替フロン充填量(kg)",
          "代替フロン回収量(kg)")  # fmt: skip
# (m6): how this report differs from the national calculated-leakage report, printed with it.
DIFFERENCES_FROM_NATIONAL = (
    "対象冷媒: 国の報告はCFC・HCFC・HFC、京都府はHFC(代替フロン)のみ(混合冷媒はCFC・HCFCを含まないもの)。",
    f"裾切り: 国は算定漏えい量{SPECIFIED_T_CO2:,} t-CO2以上の事業者、京都府は基準なし(対象の特定事業者すべて)。",
    "結果の単位: 国は冷媒ごとのt-CO2とkg、京都府は機器の種類ごとのkg(GWPを掛けない)。",
    "設置時の充填: 国は算定に含めない、京都府は充填量に含める。",
    "廃棄時の回収: 国は算定に含めない、京都府は回収量に含める(引取証明書)。",
    "端数処理: 国は小数点以下切り捨ての整数、京都府は小数第二位を四捨五入して0.1 kg単位。",
    "対象地域: 国は全国(都道府県別)、京都府は府内に設置された機器のみ。",
    "提出: 国は7月31日までに事業所管大臣へ、京都府は7月末日までに京都府知事へ。",
)


@dataclass(frozen=True)
class RegisteredUnit:
    """A unit as STEP2 counts it: its type, nameplate refrigerant, place and dates."""

    equipment_id: int
    management_no: str
    site_code: str
    prefecture_code: str
    category: LegalCategory
    refrigerant: str  # canonical name
    installed_on: date | None  # None: installed before any year reported
    disposed_on: date | None


@dataclass(frozen=True)
class KyotoRow:
    """One type's line of the form; kg exact (``reported_*`` are the rounded values written on the form)."""

    category: LegalCategory
    held_at_start: int
    maintained: int
    disposed: int
    held_at_end: int
    charged_kg: Decimal
    recovered_kg: Decimal

    @property
    def reported_charged_kg(self) -> Decimal:
        return reported_kg(self.charged_kg)

    @property
    def reported_recovered_kg(self) -> Decimal:
        return reported_kg(self.recovered_kg)


@dataclass(frozen=True)
class KyotoReport:
    fiscal_year: int
    company: str
    rows: tuple[KyotoRow, ...]  # air conditioners, then refrigerating and freezing units


def reported_kg(value: Decimal) -> Decimal:
    """(m4) STEP3: rounded half up to 0.1 kg (0.38 → 0.4, 0.25 → 0.3), in decimal, never a binary float."""
    return value.quantize(KG_STEP, rounding=ROUND_HALF_UP)


def kyoto_report(
    fiscal_year: int, company: str, units: Iterable[RegisteredUnit], certificates: Iterable[Certificate],
    registry: RefrigerantRegistry,
) -> KyotoReport:  # fmt: skip
    """The report of ``company`` for the fiscal year: its HFC units in Kyoto and their HFC certificates of the year."""
    in_scope = {u.equipment_id: u for u in units if u.prefecture_code == KYOTO and is_hfc(u.refrigerant, registry)}
    first, last = fiscal_year_bounds(fiscal_year)
    counted = [
        c for c in certificates
        if c.equipment_id in in_scope and first <= c.work_date <= last and is_hfc(c.refrigerant, registry)
    ]  # fmt: skip
    rows = tuple(
        category_row(category, [u for u in in_scope.values() if u.category is category],
                     [c for c in counted if in_scope[c.equipment_id].category is category], fiscal_year)
        for category in CATEGORY_LABELS
    )  # fmt: skip
    return KyotoReport(fiscal_year, company, rows)


def is_hfc(refrigerant: str, registry: RefrigerantRegistry) -> bool:
    """HFC, blends by the rule of (m2) (already applied by the registry's families)."""
    return registry.get(refrigerant).family is Family.HFC


def category_row(
    category: LegalCategory, units: Sequence[RegisteredUnit], certificates: Sequence[Certificate], fiscal_year: int
) -> KyotoRow:
    """STEP2 counts and STEP3 amounts of one type. Held at the start: when the year opens, before the work of
    1 April (a unit installed on 1 April is new in the year); held at the end: after the work of 31 March."""
    first, last = fiscal_year_bounds(fiscal_year)
    charges = [c for c in certificates if c.type is CertificateType.CHARGE]
    recoveries = [c for c in certificates if c.type is CertificateType.RECOVERY]
    maintained = {c.equipment_id for c in charges} | {
        c.equipment_id for c in recoveries if c.occasion is not Occasion.DISPOSAL
    }  # (m4) STEP2: charged or recovered in maintenance, installation charges included; take-back is disposal
    return KyotoRow(
        category,
        held_at_start=sum(1 for u in units if held(u, first, opening=True)),
        maintained=len(maintained),
        disposed=sum(1 for u in units if u.disposed_on is not None and first <= u.disposed_on <= last),
        held_at_end=sum(1 for u in units if held(u, last, opening=False)),
        charged_kg=sum((c.amount_kg for c in charges), start=Decimal(0)),  # installation charges included (m4)
        recovered_kg=sum((c.amount_kg for c in recoveries), start=Decimal(0)),  # take-back included (m4)
    )


def held(unit: RegisteredUnit, day: date, *, opening: bool) -> bool:
    """Whether the unit is held as ``day`` opens (before its work) or as it closes (after its work)."""
    installed = unit.installed_on is None or (unit.installed_on < day if opening else unit.installed_on <= day)
    not_disposed = unit.disposed_on is None or (unit.disposed_on >= day if opening else unit.disposed_on > day)
    return installed and not_disposed


def kyoto_json(report: KyotoReport) -> str:
    """Counts, and kg as decimal strings: as reported (rounded, STEP3) and exact."""
    document = {
        "fiscal_year": report.fiscal_year,
        "company": report.company,
        "prefecture_code": KYOTO,
        "rows": [row_json(r) for r in report.rows],
        "differences_from_national": list(DIFFERENCES_FROM_NATIONAL),
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def row_json(row: KyotoRow) -> dict[str, object]:
    return {
        "category": row.category.value, "held_at_start": row.held_at_start, "maintained": row.maintained,
        "disposed": row.disposed, "held_at_end": row.held_at_end, "charged_kg": str(row.reported_charged_kg),
        "recovered_kg": str(row.reported_recovered_kg), "charged_kg_exact": decimal_text(row.charged_kg),
        "recovered_kg_exact": decimal_text(row.recovered_kg),
    }  # fmt: skip


def kyoto_rows(report: KyotoReport) -> list[list[str]]:
    """The form's table as written: counts, and kg rounded half up to 0.1 (STEP3)."""
    return [
        [CATEGORY_LABELS[r.category], str(r.held_at_start), str(r.maintained), str(r.disposed), str(r.held_at_end),
         str(r.reported_charged_kg), str(r.reported_recovered_kg)]
        for r in report.rows
    ]  # fmt: skip


def kyoto_csv(report: KyotoReport) -> str:
    """The form's table as CSV for Excel (UTF-8 with BOM)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["年度", f"{report.fiscal_year}年度"])
    writer.writerow(["事業者", report.company])
    writer.writerow(HEADER)
    writer.writerows(kyoto_rows(report))
    return "\ufeff" + out.getvalue()
