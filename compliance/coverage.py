"""Continuous monitoring in place of the quarterly simple inspection, as pure rules (REGULATION.md (p)).

The 2022 notice lets a continuous-monitoring system replace the **simple inspection only** (b1); the periodic
inspection (b2) is unchanged. Of its conditions, the daily ones are checked here from the stored diagnosis rows
(migration 0008, one row per circuit and day):

* イ measured per refrigerant circuit at least once a day: the day's row has ``hours_measured >= 1`` and a status
  other than ``insufficient_data`` / ``no_baseline`` (those say the day could not be judged);
* ロ/ハ diagnosed and recorded at least once a day: a diagnosis row is stored for that circuit and day. A row that
  reports ``leak_suspected`` or ``other_fault`` still covers the day: the system did its job, and the leak is
  handled by the leak rules (d), not by the simple inspection.

A unit is covered on a day only if **every** one of its circuits is. Interpretation (REGULATION.md (p): "a gap in
daily measurement or diagnosis breaks the substitution"): one uncovered or missing day ends the substitution
period; a later run of covered days starts a new period. While a period runs, the simple inspection's due date is
not running. When it ends, the simple inspection is due by its normal rule (b1: 3 months, counted from the 1st of
the following month, :func:`fluorowatch.domain.inspection_rules.next_due_date`) counted from the period's last
covered day, as if an inspection had been done that day — or from the last simple inspection, if that is later.
The conditions ニ (notification) and ホ (detection benchmark) are properties of the system, not of a day, and are
not judged here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = [
    "MEASURED_STATUSES",
    "DiagnosisDay",
    "MonitoringState",
    "Period",
    "circuit_day_covered",
    "days_covered",
    "monitoring_state",
    "substitution_periods",
]

# Statuses of a day that was measured and diagnosed (migration 0008); insufficient_data / no_baseline are not.
MEASURED_STATUSES = frozenset({"no_leak", "leak_suspected", "other_fault"})
MIN_HOURS_MEASURED = 1  # (p) イ: at least one measurement that day

Period = tuple[date, date]


@dataclass(frozen=True)
class DiagnosisDay:
    """One stored diagnosis row (table ``diagnosis``): a circuit's verdict for one local day."""

    circuit_no: int
    day: date
    status: str
    hours_measured: int


def circuit_day_covered(row: DiagnosisDay) -> bool:
    """(p) イ and ロ/ハ for one circuit and day: measured that day and a real diagnosis stored."""
    return row.status in MEASURED_STATUSES and row.hours_measured >= MIN_HOURS_MEASURED


def _days(start: date, end: date) -> Iterable[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def days_covered(
    rows: Iterable[DiagnosisDay], circuit_nos: Collection[int], start: date, end: date
) -> dict[date, bool]:
    """Per day of ``start..end`` (inclusive), whether every circuit of the unit was covered.

    A circuit without a row for a day is not covered that day. Rows of circuits not in ``circuit_nos`` and rows
    outside the range are ignored. A unit without circuits is never covered.
    """
    if end < start:
        raise ValueError(f"end ({end}) must not be before start ({start})")
    wanted = set(circuit_nos)
    covered: dict[date, set[int]] = {}
    for row in rows:
        if row.circuit_no in wanted and start <= row.day <= end and circuit_day_covered(row):
            covered.setdefault(row.day, set()).add(row.circuit_no)
    return {day: bool(wanted) and covered.get(day, set()) >= wanted for day in _days(start, end)}


def substitution_periods(days: Mapping[date, bool]) -> list[Period]:
    """The runs of consecutive covered days, as (first day, last day) pairs in date order.

    One uncovered day — or a day missing from ``days`` — ends a period (REGULATION.md (p)); a later covered day
    starts a new one.
    """
    periods: list[Period] = []
    for day in sorted(d for d, ok in days.items() if ok):
        if periods and periods[-1][1] + timedelta(days=1) == day:
            periods[-1] = (periods[-1][0], day)
        else:
            periods.append((day, day))
    return periods


@dataclass(frozen=True)
class MonitoringState:
    """What the monitoring periods mean for the simple inspection on a given day.

    ``replaced``: a period is running, so the simple inspection is not due. Otherwise ``reference`` is the day the
    next simple inspection counts from (the later of the last simple inspection and the end of the last period),
    or None when there is neither.
    """

    replaced: bool
    reference: date | None
    period: Period | None  # the running period, or the last one ended before today


def monitoring_state(periods: Iterable[Period], last_simple: date | None, today: date) -> MonitoringState:
    """Whether continuous monitoring replaces the simple inspection on ``today``.

    Today's diagnosis is written only once the day is over, so a period whose last day is yesterday (or later)
    is still running. A period that ended earlier, or one that starts after ``today``, does not replace the
    inspection today; an ended one moves the reference date to its last day.
    """
    latest_possible = today - timedelta(days=1)
    ended: Period | None = None
    for start, end in sorted(periods):
        if start > today:
            continue
        if end >= latest_possible:
            return MonitoringState(replaced=True, reference=None, period=(start, end))
        ended = (start, end)
    references = [d for d in (last_simple, None if ended is None else ended[1]) if d is not None]
    return MonitoringState(replaced=False, reference=max(references, default=None), period=ended)
