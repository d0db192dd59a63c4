"""The dataset of form 2 (様式第2(第6条関係), the optional related information attached to the calculated-leakage
report, REGULATION.md (g5)): one sheet for the whole specified leaker (choice 1) and one per specified site
(choice 2). Form 2 is voluntary, so a company below 1,000 t-CO2 gets its choice-1 sheet too.

What fluorowatch can compute is computed: section 1, the calculated leakage of the year and of the previous year
and the change; section 2, the breakdown by kind of Class-1 product; section 5, the number of sites. What only the
manager knows — the reasons for the change, the measures taken and planned (sections 3 and 4), the main leak
causes — is left as boxes to tick and lines to write. Values are exact here; the printed form rounds them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from compliance.leakage import Leakage, LeakageReport, fiscal_year_bounds, form_t_co2
from compliance.reports.form1 import SiteInfo
from compliance.reports.kyoto import CATEGORY_LABELS
from fluorowatch.domain.equipment import EQUIPMENT_KIND_LABELS, EquipmentKind
from fluorowatch.domain.inspection_rules import LegalCategory

TITLE = "その他の関連情報"
FORM_NAME = "様式第2(第6条関係)"
# REGULATION.md (g5) and (n) #9: the seeds print Art. 23(1) twice and Art. 25(1) once; we print Art. 23(1).
LEGAL_BASIS = "フロン類の使用の合理化及び管理の適正化に関する法律第23条第1項の規定により、次のとおり情報を提供します。"
CHOICE_COMPANY, CHOICE_SITE = 1, 2  # (g5) header: 1 = the whole specified leaker, 2 = one specified site


@dataclass(frozen=True)
class Measure:
    """A category of measures of sections 3 and 4 (REGULATION.md (g5) table)."""

    group: str
    code: str
    text: str


MEASURES = (
    Measure("機器の導入・更新", "a", "老朽化した機器や漏えいの多い機器の更新"),
    Measure("機器の導入・更新", "b", "CFC・HCFC(R22等)使用機器からの更新"),
    Measure("機器の導入・更新", "c", "ノンフロン機器の導入"),
    Measure("機器の導入・更新", "d", "低GWP機器の導入"),
    Measure("機器の導入・更新", "e", "その他の導入・更新"),
    Measure("設置工事時", "f", "設置工事時の対策"),
    Measure("使用時", "g", "機器使用時の対策"),
    Measure("点検・整備時", "h", "日常(簡易)点検時の対策"),
    Measure("点検・整備時", "i", "定期点検時の対策"),
    Measure("点検・整備時", "j", "その他の点検・整備時の対策"),
    Measure("全社的な取組", "k", "会社としての方針"),
    Measure("全社的な取組", "l", "社員教育"),
    Measure("その他", "m", "その他の対策"),
)  # fmt: skip

# Section 5's main leak causes (REGULATION.md (g5)), chosen by the manager.
LEAK_CAUSES = (
    ("ア", "製造時の要因"),
    ("イ", "施工時の要因"),
    ("ウ", "使用時の要因"),
    ("エ", "整備時の要因"),
    ("オ", "明確な要因が特定できないスローリーク"),
    ("カ", "その他・不明"),
)


@dataclass(frozen=True)
class Form2Unit:
    """A unit as section 2 and section 5 count it: kind, legal category (override or the kind's default),
    nameplate refrigerant and initial charge, dates, and its site; ``own_site`` False for a unit on another
    business's premises or on a vehicle, which belongs to no site of the company (REGULATION.md (g2))."""

    equipment_id: int
    site_code: str
    own_site: bool
    kind: EquipmentKind
    category: LegalCategory
    refrigerant: str  # canonical name
    charge_kg: Decimal  # nameplate charge (初期充塡量)
    installed_on: date | None  # None: installed before any year the register knows
    disposed_on: date | None

    def held_at(self, day: date) -> bool:
        """Installed by ``day`` (or before the register's time) and not disposed by it."""
        return (self.installed_on is None or self.installed_on <= day) and (
            self.disposed_on is None or self.disposed_on > day
        )


@dataclass(frozen=True)
class Change:
    """Section 1: the scope's calculated leakage this year and the previous year, exact (t-CO2); None when no
    certificate counted that year (blank on the form, (g3))."""

    this_year: Decimal | None
    previous_year: Decimal | None

    @property
    def change(self) -> Decimal:
        return (self.this_year or Decimal(0)) - (self.previous_year or Decimal(0))

    @property
    def change_percent(self) -> Decimal | None:
        """The change relative to the previous year; None unless the previous year leaked."""
        if self.previous_year is None or self.previous_year <= 0:
            return None
        return self.change / self.previous_year * 100

    @property
    def form_this_year(self) -> int | None:
        return form_t_co2(self.this_year)

    @property
    def form_previous_year(self) -> int | None:
        return form_t_co2(self.previous_year)

    @property
    def form_change(self) -> int:
        """Truncated from the exact change, like every other cell (g3), not the difference of the printed cells."""
        return form_t_co2(self.change) or 0


@dataclass(frozen=True)
class RefrigerantLine:
    """One refrigerant of a group in section 2. ``units`` and ``charge_kg`` are the units held at the end of the
    fiscal year with this nameplate refrigerant; ``leaked_kg`` and ``t_co2`` are the year's calculated leakage of
    all the group's units with this refrigerant (disposed ones too, (g1)), None when none counted."""

    refrigerant: str
    units: int
    charge_kg: Decimal
    leaked_kg: Decimal | None
    t_co2: Decimal | None

    @property
    def leak_rate_percent(self) -> Decimal | None:
        """Leaked kg ÷ initial charge kg × 100. (g5) names a "leak rate" without a formula; this is fluorowatch's
        reading, the definition of the METI survey (REGULATION.md (k1)): refrigerant leaked in one year ÷ the
        unit's initial charge. None without a leak or without a charge held."""
        if self.leaked_kg is None or self.charge_kg <= 0:
            return None
        return self.leaked_kg / self.charge_kg * 100


@dataclass(frozen=True)
class BreakdownGroup:
    """A legal category (``kind`` None) or one kind of equipment inside it, per refrigerant."""

    category: LegalCategory
    kind: EquipmentKind | None
    lines: tuple[RefrigerantLine, ...]

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self.category] if self.kind is None else EQUIPMENT_KIND_LABELS[self.kind]

    @property
    def units(self) -> int:
        return sum(line.units for line in self.lines)

    @property
    def t_co2(self) -> Decimal:
        return sum((line.t_co2 for line in self.lines if line.t_co2 is not None), start=Decimal(0))


@dataclass(frozen=True)
class Breakdown:
    """Section 2: each legal category followed by the kinds of equipment in it."""

    groups: tuple[BreakdownGroup, ...]
    total_t_co2: Decimal

    def share_percent(self, group: BreakdownGroup) -> Decimal | None:
        """The group's part of the scope's calculated leakage ("15% from air conditioners, 85% from refrigerated
        showcases", (g5)); None when the scope leaked nothing or less than nothing."""
        return group.t_co2 / self.total_t_co2 * 100 if self.total_t_co2 > 0 else None


@dataclass(frozen=True)
class Sheet:
    """One sheet of form 2: choice 1 with ``site`` None, or choice 2 for specified site ``number``."""

    choice: int
    number: int | None  # the specified site's number, as in form 1's table 2
    site: SiteInfo | None
    change: Change
    breakdown: Breakdown

    @property
    def site_number(self) -> str:
        """The 2-digit site number of the header (g5), e.g. 01; blank on the choice-1 sheet."""
        return "" if self.number is None else f"{self.number:02d}"


@dataclass(frozen=True)
class Form2:
    fiscal_year: int
    company: str
    specified_leaker: bool
    site_count: int  # section 5
    sheets: tuple[Sheet, ...]  # the company's first, then one per specified site

    @property
    def provision_year(self) -> int:
        """The fiscal year the information is provided in: the report goes in between 1 April and 31 July
        after the fiscal year of the leakage (REGULATION.md (g4))."""
        return self.fiscal_year + 1


def form2(
    report: LeakageReport, previous: LeakageReport, units: Sequence[Form2Unit], sites: Mapping[str, SiteInfo]
) -> Form2:
    """Form 2 of ``report``, compared with ``previous`` (the fiscal year before); ``units`` are all the company's
    units, ``sites`` holds at least the specified sites. Specified sites are numbered as in form 1."""
    if previous.company != report.company or previous.fiscal_year != report.fiscal_year - 1:
        raise ValueError(f"form 2 compares {report.company} {report.fiscal_year} with the year before, "
                         f"not with {previous.company} {previous.fiscal_year}")  # fmt: skip
    year_end = fiscal_year_bounds(report.fiscal_year)[1]
    company = Sheet(CHOICE_COMPANY, None, None,
                    Change(total(report.company_leakage), total(previous.company_leakage)),
                    breakdown(units, report.by_unit, year_end))  # fmt: skip
    site_sheets = tuple(
        Sheet(CHOICE_SITE, n, sites[code],
              Change(total(report.by_site.get(code)), total(previous.by_site.get(code))),
              breakdown([u for u in units if u.own_site and u.site_code == code], report.by_unit, year_end))
        for n, code in enumerate(report.specified_sites, start=1)
    )  # fmt: skip
    # (g5) section 5: the sites at the end of the fiscal year; a "site" as in (g2), so the company's own premises
    # only. We count a site as existing while it holds a unit not disposed by 31 March.
    site_count = len({u.site_code for u in units if u.own_site and u.held_at(year_end)})
    return Form2(report.fiscal_year, report.company, report.specified_leaker, site_count, (company, *site_sheets))


def total(leakage: Leakage | None) -> Decimal | None:
    """The scope's calculated leakage; None when no certificate counted (blank, (g3))."""
    return None if leakage is None or not leakage.flows else leakage.total_t_co2


def breakdown(units: Sequence[Form2Unit], by_unit: Mapping[int, Leakage], year_end: date) -> Breakdown:
    """Section 2 of the scope holding ``units``: each legal category, then each kind in it, with the units held
    at ``year_end`` and the year's leakage of every unit of the scope."""
    groups: list[BreakdownGroup] = []
    for category in LegalCategory:
        in_category = [u for u in units if u.category is category]
        kinds = sorted({u.kind for u in in_category}, key=list(EquipmentKind).index)
        for kind in (None, *kinds):
            members = [u for u in in_category if kind is None or u.kind is kind]
            lines = refrigerant_lines(members, by_unit, year_end)
            if lines:
                groups.append(BreakdownGroup(category, kind, lines))
    leakages = [by_unit[u.equipment_id] for u in units if u.equipment_id in by_unit]
    return Breakdown(tuple(groups), sum((leakage.total_t_co2 for leakage in leakages), start=Decimal(0)))


def refrigerant_lines(
    units: Iterable[Form2Unit], by_unit: Mapping[int, Leakage], year_end: date
) -> tuple[RefrigerantLine, ...]:
    """One line per refrigerant held or leaked; a group with neither (all disposed before, no leak) has none."""
    held = [u for u in units if u.held_at(year_end)]
    leakage = sum((by_unit[u.equipment_id] for u in units if u.equipment_id in by_unit), start=Leakage())
    refrigerants = sorted({u.refrigerant for u in held} | set(leakage.flows))
    return tuple(
        RefrigerantLine(
            refrigerant,
            sum(1 for u in held if u.refrigerant == refrigerant),
            sum((u.charge_kg for u in held if u.refrigerant == refrigerant), start=Decimal(0)),
            leakage.flows[refrigerant].leaked_kg if refrigerant in leakage.flows else None,
            leakage.t_co2(refrigerant) if refrigerant in leakage.flows else None,
        )
        for refrigerant in refrigerants
    )


def percent_text(value: Decimal | None, places: int = 1) -> str:
    """A percentage rounded half up to ``places`` decimals (fluorowatch's choice: the law sets no rounding for
    form 2's ratios); blank when there is none."""
    return "" if value is None else str(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))
