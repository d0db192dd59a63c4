"""Properties of the calculated leakage (REGULATION.md (g1), (g2)), over generated fleets and certificates:
totals equal the sum of their parts at every level; the order of the certificates does not matter; charges at
installation and recoveries at disposal never change the figure."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from random import Random

from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.leakage import (
    Certificate,
    CertificateType,
    Flow,
    Leakage,
    LeakageReport,
    Occasion,
    UnitPlace,
    calculate,
)
from fluorowatch.domain.refrigerants import RefrigerantRegistry

REGISTRY = RefrigerantRegistry.default()
FISCAL_YEAR = 2025
COMPANY = "さくらマート"
REFRIGERANTS = ("R404A", "R410A", "R22", "R32", "R134a", "R407C")
ORG_PATHS = ((COMPANY,), (COMPANY, "関東"), (COMPANY, "関東", "東京支店"), (COMPANY, "関西"))

# A site: its code, prefecture, organisation path, and whether it is one of the company's own sites (g2).
sites = st.lists(
    st.tuples(st.sampled_from(("13", "14", "26", "27")), st.sampled_from(ORG_PATHS), st.booleans()),
    min_size=1, max_size=5,
)  # fmt: skip


@st.composite
def fleets(draw: st.DrawFn) -> list[UnitPlace]:
    drawn_sites = draw(sites)
    count = draw(st.integers(min_value=1, max_value=8))
    units = []
    for n in range(count):
        index = draw(st.integers(min_value=0, max_value=len(drawn_sites) - 1))
        prefecture, org_path, own = drawn_sites[index]
        units.append(UnitPlace(n + 1, f"U-{n + 1}", f"S-{index}", prefecture, org_path, own))
    return units


kilograms = st.integers(min_value=1, max_value=50_000).map(lambda centi: Decimal(centi) / 100)
days = st.integers(min_value=-30, max_value=395).map(lambda n: date(FISCAL_YEAR, 4, 1) + timedelta(days=n))


def certificates(units: list[UnitPlace], occasions: tuple[Occasion, ...]) -> st.SearchStrategy[list[Certificate]]:
    one = st.builds(
        Certificate, certificate_no=st.uuids().map(str), type=st.sampled_from(CertificateType),
        equipment_id=st.sampled_from([u.equipment_id for u in units]), work_date=days,
        refrigerant=st.sampled_from(REFRIGERANTS), amount_kg=kilograms, occasion=st.sampled_from(occasions),
    ).filter(lambda c: not (c.type is CertificateType.RECOVERY and c.occasion is Occasion.INSTALLATION))  # fmt: skip
    return st.lists(one, max_size=40)


@st.composite
def fleets_with_certificates(draw: st.DrawFn) -> tuple[list[UnitPlace], list[Certificate]]:
    units = draw(fleets())
    return units, draw(certificates(units, tuple(Occasion)))


def _sum(parts: list[Leakage]) -> dict[str, Flow]:
    total = Leakage()
    for part in parts:
        total += part
    return dict(total.flows)


def _report(units: list[UnitPlace], certs: list[Certificate]) -> LeakageReport:
    return calculate(FISCAL_YEAR, COMPANY, units, certs, REGISTRY)


@settings(max_examples=150, deadline=None)
@given(fleets_with_certificates())
def test_totals_equal_the_sum_of_their_parts_at_every_level(case: tuple[list[UnitPlace], list[Certificate]]) -> None:
    units, certs = case
    report = _report(units, certs)
    company = dict(report.company_leakage.flows)
    assert _sum(list(report.by_unit.values())) == company
    assert _sum(list(report.by_prefecture.values())) == company
    assert _sum([report.by_organisation.get((COMPANY,), Leakage())]) == company
    outside_sites = [leak for unit, leak in report.by_unit.items() if not report.units[unit].counts_for_site]
    assert _sum([*report.by_site.values(), *outside_sites]) == company  # (g2): not in a site, still the company's
    for level, leakage in report.by_organisation.items():  # a level = its units, wherever below it they sit
        below = [leak for unit, leak in report.by_unit.items() if report.units[unit].org_path[: len(level)] == level]
        assert _sum(below) == dict(leakage.flows)
    assert report.company_t_co2 == sum((leak.total_t_co2 for leak in report.by_unit.values()), start=Decimal(0))


@settings(max_examples=100, deadline=None)
@given(fleets_with_certificates(), st.randoms(use_true_random=False))
def test_the_order_of_the_certificates_does_not_matter(
    case: tuple[list[UnitPlace], list[Certificate]], random: Random
) -> None:
    units, certs = case
    shuffled = list(certs)
    random.shuffle(shuffled)
    assert _report(units, shuffled) == _report(units, certs)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_installation_charges_and_disposal_recoveries_never_change_the_figure(data: st.DataObject) -> None:
    units = data.draw(fleets())
    counted = data.draw(certificates(units, (Occasion.MAINTENANCE,)))
    excluded = data.draw(certificates(units, (Occasion.INSTALLATION, Occasion.DISPOSAL)))
    before, after = _report(units, counted), _report(units, counted + excluded)
    assert after.company_t_co2 == before.company_t_co2
    assert after.by_unit == before.by_unit and after.by_site == before.by_site
