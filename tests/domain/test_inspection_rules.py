"""Inspection table and due dates: REGULATION.md (b1), (b2), (n) #14."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from fluorowatch.domain.inspection_rules import (
    InspectionKind,
    InspectionRule,
    LegalCategory,
    check_periodic_coverage,
    inspection_rules,
    next_due_date,
    periodic_inspection_interval_months,
    simple_inspection_interval_months,
)

AC = LegalCategory.AIR_CONDITIONER
REF = LegalCategory.REFRIGERATION


def test_simple_inspection_is_every_three_months_for_every_unit() -> None:
    """REGULATION.md (b1): every Class-1 unit, at least once every 3 months."""
    assert simple_inspection_interval_months() == 3


def test_rules_are_loaded_once_and_cached() -> None:
    """REGULATION.md (b2): the table is read from the packaged inspection_rules.csv."""
    assert inspection_rules() is inspection_rules()
    assert len(inspection_rules()) == 6


@pytest.mark.parametrize(
    ("category", "kw", "expected"),
    [
        (AC, "0", None),
        (AC, "7.4999", None),
        (AC, "7.5", 36),
        (AC, "49.99", 36),
        (AC, "50", 12),
        (AC, "500", 12),
        (REF, "0", None),
        (REF, "7.4999", None),
        (REF, "7.5", 12),
        (REF, "49.99", 12),
        (REF, "50", 12),
    ],
)
def test_periodic_interval_boundaries_are_inclusive_lower_bounds(
    category: LegalCategory, kw: str, expected: int | None
) -> None:
    """REGULATION.md (b2): < 7.5 kW none; AC 7.5–<50 kW 3-yearly, >=50 yearly; refrigeration >=7.5 yearly."""
    assert periodic_inspection_interval_months(category, Decimal(kw)) == expected


@pytest.mark.parametrize("category", list(LegalCategory))
def test_exactly_one_periodic_row_matches_every_kw_value(category: LegalCategory) -> None:
    """REGULATION.md (b2): exactly one periodic row matches any kW value."""
    for hundredths in range(0, 10_001, 7):
        periodic_inspection_interval_months(category, Decimal(hundredths) / 100)


def test_category_given_as_plain_string_is_accepted() -> None:
    """REGULATION.md (b2): categories are the csv's equipment_kind values."""
    assert periodic_inspection_interval_months("refrigeration", Decimal("7.5")) == 12  # type: ignore[arg-type]


@pytest.mark.parametrize("kw", ["-0.01", "NaN", "Infinity"])
def test_negative_or_non_finite_kw_is_rejected(kw: str) -> None:
    """REGULATION.md (b2): kW is a nameplate rated output, never negative."""
    with pytest.raises(ValueError, match="rated_output_kw"):
        periodic_inspection_interval_months(AC, Decimal(kw))


def test_unknown_category_is_rejected() -> None:
    """REGULATION.md (b2): only air_conditioner and refrigeration rows exist."""
    with pytest.raises(ValueError):
        periodic_inspection_interval_months("heat_pump", Decimal("10"))  # type: ignore[arg-type]


def _rule(min_kw: str, max_kw: str | None, months: int | None, kind: str = "refrigeration") -> InspectionRule:
    return InspectionRule(
        kind,
        Decimal(min_kw),
        None if max_kw is None else Decimal(max_kw),
        months,
        InspectionKind.PERIODIC,
        "",
    )


def _air_conditioner_rows() -> tuple[InspectionRule, ...]:
    return (_rule("0", None, None, "air_conditioner"),)


@pytest.mark.parametrize(
    "rows",
    [
        (_rule("0", "7.5", None), _rule("8", None, 12)),  # gap
        (_rule("0", "7.5", None), _rule("7", None, 12)),  # overlap
        (_rule("0", "7.5", None),),  # no open upper bound
        (),  # no rows at all
        (_rule("1", None, 12),),  # does not start at 0
        (_rule("0", None, None), _rule("7.5", None, 12)),  # second row after an open bound
    ],
)
def test_table_with_gap_or_overlap_is_rejected(rows: tuple[InspectionRule, ...]) -> None:
    """REGULATION.md (b2): the periodic rows of each category must match every kW exactly once."""
    with pytest.raises(ValueError, match=r"inspection_rules\.csv"):
        check_periodic_coverage(rows + _air_conditioner_rows())


def test_packaged_table_covers_every_kw_value() -> None:
    """REGULATION.md (b2): the shipped csv passes the coverage check."""
    check_periodic_coverage(inspection_rules())


@pytest.mark.parametrize(
    ("done_on", "months", "due"),
    [
        (date(2024, 5, 10), 3, date(2024, 8, 31)),
        (date(2024, 5, 10), 36, date(2027, 5, 31)),
        (date(2024, 5, 10), 12, date(2025, 5, 31)),
        (date(2024, 11, 30), 3, date(2025, 2, 28)),
        (date(2023, 11, 5), 3, date(2024, 2, 29)),
        (date(2024, 12, 31), 12, date(2025, 12, 31)),
        (date(2024, 10, 1), 3, date(2025, 1, 31)),
        (date(2024, 5, 1), 1, date(2024, 6, 30)),
    ],
)
def test_next_due_is_last_day_of_month_m_plus_interval(done_on: date, months: int, due: date) -> None:
    """REGULATION.md (b2) next due date, (n) #14: counted from the 1st of the next month."""
    assert next_due_date(done_on, months) == due


def test_inspection_early_or_late_in_the_month_gives_the_same_due_date() -> None:
    """REGULATION.md (b2): only the month of the inspection matters."""
    assert next_due_date(date(2024, 5, 1), 3) == next_due_date(date(2024, 5, 31), 3)


@pytest.mark.parametrize("months", [0, -3])
def test_next_due_rejects_non_positive_interval(months: int) -> None:
    """REGULATION.md (b2): intervals are 3, 12 or 36 months."""
    with pytest.raises(ValueError, match="interval_months"):
        next_due_date(date(2024, 5, 10), months)
