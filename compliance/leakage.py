"""Calculated leakage (算定漏えい量, REGULATION.md (g)): what a manager leaked in a fiscal year, from its charge and
recovery certificates, per unit, site, prefecture, organisation level, refrigerant and company, in exact decimals.

    t-CO2 = Σ over refrigerants r of (charged at maintenance[r] − recovered at maintenance[r]) × GWP[r] / 1000  (g1)

Installation charges and disposal recoveries never count (g1); the fiscal year runs 1 April to 31 March (g1).
A company at 1,000 t-CO2 or more is a specified leaker; each of its own sites at 1,000 t-CO2 or more is a specified
site; units on another business's premises or on vehicles count for the company and their prefecture, never for a
site (g2). Values stay exact here; the form's rounding (g3) is `form_t_co2` / `form_kg`, used by the printed and
exported forms only. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from fluorowatch.domain.refrigerants import RefrigerantRegistry

SPECIFIED_T_CO2 = Decimal(1000)  # (g2): specified leaker and specified site, ≥ 1,000 t-CO2 in the fiscal year
FISCAL_YEAR_START_MONTH = 4  # (g1): 1 April – 31 March


class CertificateType(StrEnum):
    CHARGE = "charge"
    RECOVERY = "recovery"


class Occasion(StrEnum):
    INSTALLATION = "installation"
    MAINTENANCE = "maintenance"
    DISPOSAL = "disposal"


@dataclass(frozen=True)
class Certificate:
    """One charge or recovery certificate (REGULATION.md (f)): one refrigerant, one unit."""

    certificate_no: str
    type: CertificateType
    equipment_id: int
    work_date: date
    refrigerant: str  # canonical name (normalise_refrigerant_name)
    amount_kg: Decimal
    occasion: Occasion


@dataclass(frozen=True)
class UnitPlace:
    """Where a unit counts: its site (and whether that is one of the company's own sites, (g2)), the prefecture
    it is installed in (a mobile unit: its managing site's), and its organisation path, company first."""

    equipment_id: int
    management_no: str
    site_code: str
    prefecture_code: str
    org_path: tuple[str, ...]
    counts_for_site: bool = True

    @property
    def company(self) -> str:
        return self.org_path[0]


@dataclass(frozen=True)
class Flow:
    """Charged and recovered kg at maintenance of one refrigerant in one scope."""

    charged_kg: Decimal = Decimal(0)
    recovered_kg: Decimal = Decimal(0)

    @property
    def leaked_kg(self) -> Decimal:
        """Actual leakage (実漏えい量, (g1)); negative when more was recovered than charged ((n) #7)."""
        return self.charged_kg - self.recovered_kg

    def __add__(self, other: Flow) -> Flow:
        return Flow(self.charged_kg + other.charged_kg, self.recovered_kg + other.recovered_kg)


@dataclass(frozen=True)
class Leakage:
    """The flows of a scope per refrigerant, and its calculated leakage. A refrigerant with no counted
    certificate is absent (its cells stay blank on the form, (g3))."""

    flows: Mapping[str, Flow] = field(default_factory=dict)
    gwp: Mapping[str, int] = field(default_factory=dict)

    def t_co2(self, refrigerant: str) -> Decimal:
        return self.flows[refrigerant].leaked_kg * self.gwp[refrigerant] / 1000

    @property
    def total_t_co2(self) -> Decimal:
        return sum((self.t_co2(r) for r in sorted(self.flows)), start=Decimal(0))

    @property
    def refrigerants(self) -> list[str]:
        return sorted(self.flows)

    def __add__(self, other: Leakage) -> Leakage:
        flows = dict(self.flows)
        for refrigerant, flow in other.flows.items():
            flows[refrigerant] = flows.get(refrigerant, Flow()) + flow
        return Leakage(flows, {**self.gwp, **other.gwp})


@dataclass(frozen=True)
class LeakageReport:
    """One company's fiscal year: every level of aggregation, exact."""

    fiscal_year: int
    company: str
    company_leakage: Leakage
    by_unit: Mapping[int, Leakage]
    by_site: Mapping[str, Leakage]  # own sites only (g2)
    by_prefecture: Mapping[str, Leakage]
    by_organisation: Mapping[tuple[str, ...], Leakage]  # every level of the org paths, company included
    units: Mapping[int, UnitPlace]

    @property
    def company_t_co2(self) -> Decimal:
        return self.company_leakage.total_t_co2

    @property
    def specified_leaker(self) -> bool:
        return self.company_t_co2 >= SPECIFIED_T_CO2

    @property
    def specified_sites(self) -> list[str]:
        """Own sites at or above the threshold, only inside a specified leaker's report (g2)."""
        if not self.specified_leaker:
            return []
        return sorted(code for code, leakage in self.by_site.items() if leakage.total_t_co2 >= SPECIFIED_T_CO2)


def fiscal_year_of(day: date) -> int:
    """The fiscal year a day belongs to, named by the calendar year it starts in: 2025-03-31 → 2024."""
    return day.year if day.month >= FISCAL_YEAR_START_MONTH else day.year - 1


def fiscal_year_bounds(fiscal_year: int) -> tuple[date, date]:
    """First and last day of the fiscal year (g1)."""
    return date(fiscal_year, FISCAL_YEAR_START_MONTH, 1), date(fiscal_year + 1, FISCAL_YEAR_START_MONTH - 1, 31)


def counted_flow(certificate: Certificate) -> Flow | None:
    """The certificate's part in the calculated leakage, or None when it has none: a charge at installation or a
    recovery at disposal (g1)."""
    if certificate.occasion is not Occasion.MAINTENANCE:
        return None
    if certificate.type is CertificateType.CHARGE:
        return Flow(charged_kg=certificate.amount_kg)
    return Flow(recovered_kg=certificate.amount_kg)


def unit_leakage(
    certificates: Iterable[Certificate], fiscal_year: int, registry: RefrigerantRegistry
) -> dict[int, Leakage]:
    """Per unit, the counted flows of the fiscal year's certificates (work date within the year)."""
    first, last = fiscal_year_bounds(fiscal_year)
    flows: dict[int, dict[str, Flow]] = {}
    for certificate in certificates:
        flow = counted_flow(certificate)
        if flow is None or not first <= certificate.work_date <= last:
            continue
        unit = flows.setdefault(certificate.equipment_id, {})
        unit[certificate.refrigerant] = unit.get(certificate.refrigerant, Flow()) + flow
    return {
        unit: Leakage(by_refrigerant, {r: registry.gwp(r) for r in by_refrigerant})
        for unit, by_refrigerant in flows.items()
    }


def calculate(
    fiscal_year: int,
    company: str,
    units: Sequence[UnitPlace],
    certificates: Iterable[Certificate],
    registry: RefrigerantRegistry,
) -> LeakageReport:
    """The company's calculated leakage for the fiscal year at every level. ``units`` are all the units the
    company manages ((g1): all of them count); certificates of other units are refused."""
    places = {u.equipment_id: u for u in units}
    foreign = {u.company for u in units} - {company}
    if foreign:
        raise ValueError(f"units of other companies given for {company}: {', '.join(sorted(foreign))}")
    by_unit = unit_leakage(certificates, fiscal_year, registry)
    unknown = sorted(set(by_unit) - set(places))
    if unknown:
        raise ValueError(f"certificates of units not given: {unknown}")
    by_site: dict[str, Leakage] = {}
    by_prefecture: dict[str, Leakage] = {}
    by_organisation: dict[tuple[str, ...], Leakage] = {}
    total = Leakage()
    for equipment_id, leakage in by_unit.items():
        place = places[equipment_id]
        total += leakage
        by_prefecture[place.prefecture_code] = by_prefecture.get(place.prefecture_code, Leakage()) + leakage
        if place.counts_for_site:
            by_site[place.site_code] = by_site.get(place.site_code, Leakage()) + leakage
        for depth in range(1, len(place.org_path) + 1):
            level = place.org_path[:depth]
            by_organisation[level] = by_organisation.get(level, Leakage()) + leakage
    return LeakageReport(fiscal_year, company, total, by_unit, by_site, by_prefecture, by_organisation, places)


def form_t_co2(value: Decimal | None) -> int | None:
    """A t-CO2 cell of the form (g3): decimals cut off toward zero (so under 1 t is 0, and a negative keeps its
    sign, (n) #8); None (nothing happened) stays blank."""
    return None if value is None else int(value.to_integral_value(rounding=ROUND_DOWN))


def form_kg(value: Decimal | None) -> int | None:
    """A kg cell of the form (g3): the same rule as `form_t_co2`."""
    return form_t_co2(value)
