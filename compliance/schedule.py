"""The inspection schedule of each unit, as pure rules (REGULATION.md (b1), (b2), (o), (p)).

Intervals and the due-date rule come from :mod:`fluorowatch.domain.inspection_rules` (the single place that holds
them): the simple inspection every 3 months for every unit (b1); the periodic inspection by legal category and the
summed rated output of each circuit, the circuit needing the shortest interval deciding
(:attr:`fluorowatch.domain.equipment.Equipment.periodic_inspection_interval_months`) (b2). The next period counts
from the 1st of the month after the inspection, so the inspection is due by the last day of month M + interval.

Interpretations:

* First reference date (REGULATION.md (o)): without any recorded inspection of a kind, the installation date is
  the reference, as if the "inspection at installation" of the logbook example had been done that day. With
  neither, the unit's inspection is shown overdue with no due date: nothing proves it was ever inspected.
* Idle units (b2 "idle units"): a unit that is not running but still holds refrigerant keeps its simple
  inspections on their normal dates. Its periodic inspection is due before it runs again: ``due_before_restart``
  is set, and while idle a passed periodic due date is shown ``due_soon`` (green), never ``overdue`` (red),
  because the duty falls at the restart, not on the calendar date. Once the unit runs again (``idle`` False) the
  calendar date applies as usual.
* Disposed units (disposal date on or before ``today``) need no inspection.
* Continuous monitoring (p): while a substitution period runs, the simple inspection is replaced (no due date);
  afterwards it counts from the period's last day (see :mod:`compliance.coverage`). The periodic inspection is
  never replaced.
* Status colours (RaMS black → green → red, REGULATION.md (n) #19, lead time not given by the seeds): ``overdue``
  (red) from the day after the due date; ``due_soon`` (green) from ``lead_days`` days before the due date up to
  and including the due date; ``not_due`` (black) before that. The lead time is configurable (default 30 days).

Dates are passed in; nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from compliance.coverage import Period, monitoring_state
from fluorowatch.domain.equipment import Equipment
from fluorowatch.domain.inspection_rules import InspectionKind, next_due_date, simple_inspection_interval_months

__all__ = [
    "DEFAULT_LEAD_DAYS",
    "STATUS_COLOUR",
    "DueItem",
    "DueStatus",
    "InspectionDue",
    "UnitInspections",
    "UnitSchedule",
    "due_in_period",
    "due_status",
    "schedule",
    "schedule_all",
]

DEFAULT_LEAD_DAYS = 30


class DueStatus(StrEnum):
    NOT_DUE = "not_due"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


STATUS_COLOUR: dict[DueStatus, str] = {
    DueStatus.NOT_DUE: "black",
    DueStatus.DUE_SOON: "green",
    DueStatus.OVERDUE: "red",
}


def due_status(due_on: date, today: date, lead_days: int = DEFAULT_LEAD_DAYS) -> DueStatus:
    """Red after the due date, green from ``lead_days`` before it through the due date itself, else black."""
    if lead_days < 0:
        raise ValueError(f"lead_days must be >= 0, got {lead_days}")
    if today > due_on:
        return DueStatus.OVERDUE
    if today >= due_on - timedelta(days=lead_days):
        return DueStatus.DUE_SOON
    return DueStatus.NOT_DUE


@dataclass(frozen=True)
class UnitInspections:
    """A unit with what the logbook knows: last inspections, whether it is idle, its monitoring periods."""

    equipment: Equipment
    last_simple: date | None = None
    last_periodic: date | None = None
    idle: bool = False  # not running but still holding refrigerant
    monitoring_periods: tuple[Period, ...] = ()  # compliance.coverage.substitution_periods


@dataclass(frozen=True)
class InspectionDue:
    """One kind of inspection of one unit.

    ``due_on`` is None when there is no reference date (then ``status`` is overdue) or when continuous monitoring
    replaces the simple inspection (then ``replaced_by_monitoring`` is set and ``status`` is not_due).
    """

    kind: InspectionKind
    interval_months: int
    reference: date | None
    due_on: date | None
    status: DueStatus
    due_before_restart: bool = False
    replaced_by_monitoring: bool = False

    @property
    def colour(self) -> str:
        return STATUS_COLOUR[self.status]


@dataclass(frozen=True)
class UnitSchedule:
    management_no: str
    disposed: bool
    simple: InspectionDue | None  # None: disposed
    periodic: InspectionDue | None  # None: disposed, or no circuit needs a periodic inspection

    def inspections(self) -> tuple[InspectionDue, ...]:
        return tuple(i for i in (self.simple, self.periodic) if i is not None)


def _due(interval: int, reference: date | None, today: date, lead_days: int) -> tuple[date | None, DueStatus]:
    if reference is None:
        return None, DueStatus.OVERDUE
    due_on = next_due_date(reference, interval)
    return due_on, due_status(due_on, today, lead_days)


def _simple(unit: UnitInspections, today: date, lead_days: int) -> InspectionDue:
    interval = simple_inspection_interval_months()
    last = unit.last_simple if unit.last_simple is not None else unit.equipment.installed_on
    state = monitoring_state(unit.monitoring_periods, last, today)
    if state.replaced:
        return InspectionDue(
            InspectionKind.SIMPLE, interval, None, None, DueStatus.NOT_DUE, replaced_by_monitoring=True
        )
    due_on, status = _due(interval, state.reference, today, lead_days)
    return InspectionDue(InspectionKind.SIMPLE, interval, state.reference, due_on, status)


def _periodic(unit: UnitInspections, today: date, lead_days: int) -> InspectionDue | None:
    interval = unit.equipment.periodic_inspection_interval_months
    if interval is None:
        return None
    reference = unit.last_periodic if unit.last_periodic is not None else unit.equipment.installed_on
    due_on, status = _due(interval, reference, today, lead_days)
    if unit.idle and status is DueStatus.OVERDUE:
        status = DueStatus.DUE_SOON  # the duty falls before the restart, not on the calendar date
    return InspectionDue(InspectionKind.PERIODIC, interval, reference, due_on, status, due_before_restart=unit.idle)


def schedule(unit: UnitInspections, today: date, lead_days: int = DEFAULT_LEAD_DAYS) -> UnitSchedule:
    """The simple and periodic inspection due dates and status of one unit on ``today``."""
    equipment = unit.equipment
    if equipment.disposed_on is not None and equipment.disposed_on <= today:
        return UnitSchedule(equipment.management_no, disposed=True, simple=None, periodic=None)
    return UnitSchedule(
        equipment.management_no,
        disposed=False,
        simple=_simple(unit, today, lead_days),
        periodic=_periodic(unit, today, lead_days),
    )


def schedule_all(
    units: Iterable[UnitInspections], today: date, lead_days: int = DEFAULT_LEAD_DAYS
) -> list[UnitSchedule]:
    return [schedule(unit, today, lead_days) for unit in units]


@dataclass(frozen=True)
class DueItem:
    management_no: str
    kind: InspectionKind
    due_on: date
    status: DueStatus
    due_before_restart: bool


def due_in_period(units: Iterable[UnitSchedule], start: date, end: date) -> list[DueItem]:
    """The simple/periodic inspections whose due date falls in ``start..end`` (inclusive), by date.

    Disposed units, inspections replaced by continuous monitoring and inspections without a reference date (no
    due date; they are shown overdue in the schedule) are not listed.
    """
    if end < start:
        raise ValueError(f"end ({end}) must not be before start ({start})")
    items = [
        DueItem(unit.management_no, due.kind, due.due_on, due.status, due.due_before_restart)
        for unit in units
        for due in unit.inspections()
        if due.due_on is not None and start <= due.due_on <= end
    ]
    return sorted(items, key=lambda item: (item.due_on, item.management_no, item.kind.value))
