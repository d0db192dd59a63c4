"""Inspection intervals under the Fluorocarbon Emissions Control Act.

REGULATION.md (b1) simple inspection, (b2) periodic inspection. The table lives in
``data/inspection_rules.csv`` and is read once through :mod:`importlib.resources`.
"""

from __future__ import annotations

import calendar
import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cache
from importlib import resources

__all__ = [
    "InspectionKind",
    "InspectionRule",
    "LegalCategory",
    "check_periodic_coverage",
    "inspection_rules",
    "next_due_date",
    "periodic_inspection_interval_months",
    "simple_inspection_interval_months",
]

_CSV_NAME = "inspection_rules.csv"
_ANY_KIND = "any"


class LegalCategory(StrEnum):
    """Equipment kind as the inspection table names it (REGULATION.md (b2))."""

    AIR_CONDITIONER = "air_conditioner"
    REFRIGERATION = "refrigeration"


class InspectionKind(StrEnum):
    SIMPLE = "simple"
    PERIODIC = "periodic"


@dataclass(frozen=True)
class InspectionRule:
    """One row of ``inspection_rules.csv``; ``interval_months`` None = not required."""

    equipment_kind: str
    min_kw: Decimal
    max_kw_exclusive: Decimal | None
    interval_months: int | None
    inspection: InspectionKind
    source: str

    def covers(self, rated_output_kw: Decimal) -> bool:
        """Lower bound inclusive, upper bound exclusive (REGULATION.md (b2))."""
        if rated_output_kw < self.min_kw:
            return False
        return self.max_kw_exclusive is None or rated_output_kw < self.max_kw_exclusive


def _optional(cell: str) -> str | None:
    cell = cell.strip()
    return cell or None


def _parse_row(row: dict[str, str]) -> InspectionRule:
    max_kw = _optional(row["max_kw_exclusive"])
    interval = _optional(row["interval_months"])
    return InspectionRule(
        equipment_kind=row["equipment_kind"].strip(),
        min_kw=Decimal(row["min_kw"].strip()),
        max_kw_exclusive=None if max_kw is None else Decimal(max_kw),
        interval_months=None if interval is None else int(interval),
        inspection=InspectionKind(row["inspection"].strip()),
        source=row["source"].strip(),
    )


def _select(rules: tuple[InspectionRule, ...], inspection: InspectionKind, equipment_kind: str) -> list[InspectionRule]:
    return [r for r in rules if r.inspection is inspection and r.equipment_kind == equipment_kind]


def check_periodic_coverage(rules: tuple[InspectionRule, ...]) -> None:
    """Each category's periodic rows must tile [0, infinity) with no gap or overlap."""
    for category in LegalCategory:
        rows = sorted(_select(rules, InspectionKind.PERIODIC, category), key=lambda r: r.min_kw)
        expected_min: Decimal | None = Decimal(0)
        for rule in rows:
            if expected_min is None or rule.min_kw != expected_min:
                raise ValueError(f"{_CSV_NAME}: {category} periodic gap or overlap at {rule.min_kw} kW")
            expected_min = rule.max_kw_exclusive
        if not rows or expected_min is not None:
            raise ValueError(f"{_CSV_NAME}: {category} periodic rows do not cover every kW value")


@cache
def inspection_rules() -> tuple[InspectionRule, ...]:
    """All rows of the packaged inspection table (read once, then cached)."""
    resource = resources.files("fluorowatch.domain").joinpath("data").joinpath(_CSV_NAME)
    text = resource.read_text(encoding="utf-8")
    rules = tuple(_parse_row(row) for row in csv.DictReader(io.StringIO(text)))
    check_periodic_coverage(rules)
    return rules


def simple_inspection_interval_months() -> int:
    """Every Class-1 unit: simple inspection at least every 3 months (REGULATION.md (b1))."""
    rows = _select(inspection_rules(), InspectionKind.SIMPLE, _ANY_KIND)
    if len(rows) != 1 or rows[0].interval_months is None:
        raise ValueError(f"{_CSV_NAME}: expected exactly one simple-inspection row for '{_ANY_KIND}'")
    return rows[0].interval_months


def periodic_inspection_interval_months(category: LegalCategory, rated_output_kw: Decimal) -> int | None:
    """Periodic-inspection interval for a circuit's summed rated output; None = not required.

    REGULATION.md (b2): the kW is the summed nameplate rated output of the compressor motors on one
    refrigerant circuit.
    """
    category = LegalCategory(category)
    if not rated_output_kw.is_finite() or rated_output_kw < 0:
        raise ValueError(f"rated_output_kw must be a finite value >= 0, got {rated_output_kw}")
    periodic = _select(inspection_rules(), InspectionKind.PERIODIC, category)
    rows = [r for r in periodic if r.covers(rated_output_kw)]
    if len(rows) != 1:
        raise ValueError(f"{_CSV_NAME}: {len(rows)} periodic rows match {category} at {rated_output_kw} kW")
    return rows[0].interval_months


def next_due_date(done_on: date, interval_months: int) -> date:
    """Last day by which the next inspection is due (REGULATION.md (b2), (n) #14).

    The period starts on the first day of the month after the inspection, so an inspection in
    month M is next due by the last day of month M + interval.
    """
    if interval_months < 1:
        raise ValueError(f"interval_months must be >= 1, got {interval_months}")
    year, month_index = divmod(done_on.year * 12 + done_on.month - 1 + interval_months, 12)
    month = month_index + 1
    return date(year, month, calendar.monthrange(year, month)[1])
