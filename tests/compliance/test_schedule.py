"""The inspection schedule (REGULATION.md (b1), (b2), (o), (p)): due dates counted from the 1st of the month after
the inspection, periodic classes by summed kW per circuit, idle and disposed units, status colours."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from compliance.schedule import (
    DEFAULT_LEAD_DAYS,
    DueStatus,
    UnitInspections,
    UnitSchedule,
    due_in_period,
    due_status,
    schedule,
    schedule_all,
)
from fluorowatch.domain.equipment import Compressor, Equipment, EquipmentKind, RefrigerantCircuit
from fluorowatch.domain.inspection_rules import InspectionKind, LegalCategory

TODAY = date(2026, 6, 15)


def _unit(
    *circuit_kw: str | tuple[str, ...],
    kind: EquipmentKind = EquipmentKind.PACKAGE_AC,
    installed_on: date | None = date(2020, 1, 10),
    disposed_on: date | None = None,
    management_no: str = "AC-01",
    override: LegalCategory | None = None,
) -> Equipment:
    circuits = tuple(
        RefrigerantCircuit(n, tuple(Compressor(Decimal(k)) for k in ((kws,) if isinstance(kws, str) else kws)))
        for n, kws in enumerate(circuit_kw or ("3.7",), start=1)
    )
    return Equipment(
        management_no, kind, "R410A", Decimal("10"), circuits, installed_on=installed_on, disposed_on=disposed_on,
        legal_category_override=override,
    )  # fmt: skip


def _simple(unit: UnitInspections, today: date = TODAY) -> tuple[date | None, DueStatus]:
    due = schedule(unit, today).simple
    assert due is not None
    return due.due_on, due.status


def _periodic_interval(equipment: Equipment) -> int | None:
    due = schedule(UnitInspections(equipment, last_periodic=date(2026, 1, 5)), TODAY).periodic
    return None if due is None else due.interval_months


# --- simple inspection: every 3 months, due by the last day of month M + 3 ---------------------------------------


@pytest.mark.parametrize(
    ("done_on", "due_on"),
    [
        (date(2024, 5, 10), date(2024, 8, 31)),  # REGULATION.md (b2) worked example
        (date(2026, 1, 31), date(2026, 4, 30)),  # Jan 31 + 3 months: April has 30 days
        (date(2026, 1, 1), date(2026, 4, 30)),  # any day of January gives the same date
        (date(2025, 11, 30), date(2026, 2, 28)),  # into a common-year February
        (date(2023, 11, 30), date(2024, 2, 29)),  # into a leap-year February
        (date(2024, 2, 29), date(2024, 5, 31)),  # from Feb 29
        (date(2025, 10, 31), date(2026, 1, 31)),  # across the year end
        (date(2025, 12, 31), date(2026, 3, 31)),
    ],
)
def test_simple_inspection_due_by_last_day_of_month_plus_three(done_on: date, due_on: date) -> None:
    unit = UnitInspections(_unit(), last_simple=done_on)
    assert _simple(unit, done_on)[0] == due_on


def test_installation_date_is_the_first_reference() -> None:
    unit = UnitInspections(_unit("9.8", installed_on=date(2026, 2, 28)))
    result = schedule(unit, date(2026, 3, 1))
    assert result.simple is not None and result.periodic is not None
    assert result.simple.reference == date(2026, 2, 28)
    assert result.simple.due_on == date(2026, 5, 31)
    assert result.periodic.reference == date(2026, 2, 28)
    assert result.periodic.due_on == date(2029, 2, 28)  # 3-yearly, from a leap-free February


def test_recorded_inspection_wins_over_the_installation_date() -> None:
    unit = UnitInspections(_unit(installed_on=date(2020, 1, 10)), last_simple=date(2026, 5, 2))
    assert _simple(unit)[0] == date(2026, 8, 31)


def test_without_any_reference_date_the_inspection_is_overdue_with_no_due_date() -> None:
    result = schedule(UnitInspections(_unit("60", installed_on=None)), TODAY)
    assert result.simple is not None and result.periodic is not None
    assert (result.simple.due_on, result.simple.status) == (None, DueStatus.OVERDUE)
    assert (result.periodic.due_on, result.periodic.status) == (None, DueStatus.OVERDUE)
    assert result.simple.colour == "red"


# --- periodic inspection: category and summed kW per circuit, the largest circuit decides ------------------------


@pytest.mark.parametrize(
    ("kw", "category", "interval"),
    [
        ("7.49", LegalCategory.AIR_CONDITIONER, None),
        ("7.5", LegalCategory.AIR_CONDITIONER, 36),
        ("7.51", LegalCategory.AIR_CONDITIONER, 36),
        ("49.99", LegalCategory.AIR_CONDITIONER, 36),
        ("50", LegalCategory.AIR_CONDITIONER, 12),
        ("50.01", LegalCategory.AIR_CONDITIONER, 12),
        ("7.49", LegalCategory.REFRIGERATION, None),
        ("7.5", LegalCategory.REFRIGERATION, 12),
        ("7.51", LegalCategory.REFRIGERATION, 12),
        ("50", LegalCategory.REFRIGERATION, 12),
    ],
)
def test_periodic_class_boundaries_at_7_5_and_50_kw(kw: str, category: LegalCategory, interval: int | None) -> None:
    assert _periodic_interval(_unit(kw, override=category)) == interval


def test_compressors_on_one_circuit_are_summed() -> None:
    assert _periodic_interval(_unit(("3.7", "3.7"))) is None  # 7.4 kW
    assert _periodic_interval(_unit(("3.75", "3.75"))) == 36  # 7.5 kW exactly
    assert _periodic_interval(_unit(("4.9", "4.9"))) == 36  # [004] "4.9×2" → 9.8 kW
    assert _periodic_interval(_unit(("25", "25"))) == 12  # 50 kW exactly
    assert _periodic_interval(_unit(("11.8", "11.8"), kind=EquipmentKind.CONDENSING_UNIT)) == 12  # [004] "11.8×2"


def test_separate_circuits_are_not_summed_and_the_largest_circuit_decides() -> None:
    assert _periodic_interval(_unit("3.75", "3.75")) is None  # 7.5 kW in total, but on two circuits
    assert _periodic_interval(_unit("7.4", "49.9")) == 36
    assert _periodic_interval(_unit("7.4", "8", "50")) == 12


@pytest.mark.parametrize(
    ("done_on", "interval_kw", "due_on"),
    [
        (date(2024, 5, 10), "9.8", date(2027, 5, 31)),  # REGULATION.md (b2) worked example, 3-yearly
        (date(2024, 2, 29), "9.8", date(2027, 2, 28)),  # Feb 29 + 3 years: common-year February
        (date(2023, 2, 28), "9.8", date(2026, 2, 28)),
        (date(2025, 2, 28), "9.8", date(2028, 2, 29)),  # into a leap-year February
        (date(2024, 2, 29), "50", date(2025, 2, 28)),  # yearly from Feb 29
        (date(2027, 2, 1), "50", date(2028, 2, 29)),
        (date(2025, 12, 31), "50", date(2026, 12, 31)),
        (date(2026, 1, 31), "50", date(2027, 1, 31)),
    ],
)
def test_periodic_due_dates_at_month_ends_and_leap_years(done_on: date, interval_kw: str, due_on: date) -> None:
    result = schedule(UnitInspections(_unit(interval_kw), last_periodic=done_on), done_on)
    assert result.periodic is not None
    assert result.periodic.due_on == due_on


def test_unit_without_periodic_duty_has_only_the_simple_inspection() -> None:
    result = schedule(UnitInspections(_unit("7.49"), last_simple=date(2026, 5, 1)), TODAY)
    assert result.periodic is None
    assert [i.kind for i in result.inspections()] == [InspectionKind.SIMPLE]


# --- idle and disposed units --------------------------------------------------------------------------------------


def test_idle_unit_still_needs_simple_inspections_on_the_normal_dates() -> None:
    unit = UnitInspections(_unit("3.7"), last_simple=date(2026, 2, 10), idle=True)
    assert _simple(unit) == (date(2026, 5, 31), DueStatus.OVERDUE)


def test_idle_unit_periodic_inspection_is_due_before_restart_and_not_red_while_idle() -> None:
    equipment = _unit("60")
    idle = schedule(UnitInspections(equipment, last_periodic=date(2025, 3, 1), idle=True), TODAY).periodic
    assert idle is not None
    assert idle.due_before_restart
    assert idle.due_on == date(2026, 3, 31)
    assert idle.status is DueStatus.DUE_SOON  # passed on the calendar, due before the unit runs again
    running = schedule(UnitInspections(equipment, last_periodic=date(2025, 3, 1)), TODAY).periodic
    assert running is not None
    assert not running.due_before_restart
    assert running.status is DueStatus.OVERDUE


def test_idle_unit_far_from_its_periodic_date_is_black_but_flagged() -> None:
    due = schedule(UnitInspections(_unit("9.8"), last_periodic=date(2026, 1, 5), idle=True), TODAY).periodic
    assert due is not None
    assert (due.status, due.due_before_restart) == (DueStatus.NOT_DUE, True)


def test_idle_unit_without_periodic_duty_has_no_restart_flag() -> None:
    result = schedule(UnitInspections(_unit("3.7"), idle=True), TODAY)
    assert result.periodic is None
    assert result.simple is not None and not result.simple.due_before_restart


def test_disposed_unit_needs_no_inspection() -> None:
    unit = UnitInspections(_unit("60", disposed_on=date(2026, 6, 15)), last_simple=date(2025, 1, 1))
    result = schedule(unit, TODAY)
    assert result.disposed
    assert (result.simple, result.periodic) == (None, None)
    assert due_in_period([result], date(2020, 1, 1), date(2030, 1, 1)) == []


def test_unit_to_be_disposed_later_is_still_scheduled() -> None:
    unit = UnitInspections(_unit("60", disposed_on=date(2026, 6, 16)), last_simple=date(2026, 5, 1))
    result = schedule(unit, TODAY)
    assert not result.disposed
    assert result.simple is not None and result.periodic is not None


# --- continuous monitoring replaces the simple inspection only ---------------------------------------------------


def test_running_monitoring_period_replaces_the_simple_inspection_only() -> None:
    periods = ((date(2026, 1, 1), TODAY - timedelta(days=1)),)
    unit = UnitInspections(_unit("60"), last_simple=date(2025, 12, 1), last_periodic=date(2025, 3, 1),
                           monitoring_periods=periods)  # fmt: skip
    result = schedule(unit, TODAY)
    assert result.simple is not None and result.periodic is not None
    assert result.simple.replaced_by_monitoring
    assert (result.simple.due_on, result.simple.status) == (None, DueStatus.NOT_DUE)
    assert result.periodic.status is DueStatus.OVERDUE  # (p): the periodic inspection is unchanged


def test_after_a_period_ends_the_simple_inspection_counts_from_its_last_day() -> None:
    periods = ((date(2026, 1, 1), date(2026, 5, 31)),)
    unit = UnitInspections(_unit(), last_simple=date(2025, 12, 1), monitoring_periods=periods)
    due = schedule(unit, TODAY).simple
    assert due is not None
    assert not due.replaced_by_monitoring
    assert (due.reference, due.due_on) == (date(2026, 5, 31), date(2026, 8, 31))


# --- status colours ----------------------------------------------------------------------------------------------


DUE = date(2026, 8, 31)


@pytest.mark.parametrize(
    ("today", "status", "colour"),
    [
        (DUE - timedelta(days=DEFAULT_LEAD_DAYS + 1), DueStatus.NOT_DUE, "black"),
        (DUE - timedelta(days=DEFAULT_LEAD_DAYS), DueStatus.DUE_SOON, "green"),  # lead-time edge
        (DUE - timedelta(days=1), DueStatus.DUE_SOON, "green"),
        (DUE, DueStatus.DUE_SOON, "green"),  # the due date itself is still in time
        (DUE + timedelta(days=1), DueStatus.OVERDUE, "red"),
    ],
)
def test_status_colour_at_the_boundaries(today: date, status: DueStatus, colour: str) -> None:
    assert due_status(DUE, today) is status
    due = schedule(UnitInspections(_unit(), last_simple=date(2026, 5, 20)), today).simple
    assert due is not None
    assert (due.due_on, due.status, due.colour) == (DUE, status, colour)


def test_lead_time_is_configurable() -> None:
    assert due_status(DUE, DUE - timedelta(days=7), lead_days=7) is DueStatus.DUE_SOON
    assert due_status(DUE, DUE - timedelta(days=8), lead_days=7) is DueStatus.NOT_DUE
    assert due_status(DUE, DUE, lead_days=0) is DueStatus.DUE_SOON
    unit = UnitInspections(_unit(), last_simple=date(2026, 5, 20))
    simple = schedule(unit, DUE - timedelta(days=60), lead_days=60).simple
    assert simple is not None and simple.status is DueStatus.DUE_SOON
    with pytest.raises(ValueError, match="lead_days"):
        due_status(DUE, DUE, lead_days=-1)


# --- listing what falls due in a chosen period -------------------------------------------------------------------


def test_due_in_period_lists_simple_and_periodic_inspections_in_the_range() -> None:
    units = [
        UnitInspections(_unit("9.8", management_no="AC-01"), last_simple=date(2026, 5, 1),
                        last_periodic=date(2023, 7, 3)),  # simple 2026-08-31, periodic 2026-07-31
        UnitInspections(_unit("3.7", management_no="AC-02"), last_simple=date(2026, 6, 1)),  # 2026-09-30
        UnitInspections(_unit("60", management_no="AC-03", disposed_on=date(2026, 1, 1)), last_simple=date(2026, 5, 1)),
        UnitInspections(_unit("60", management_no="AC-04"), last_simple=date(2026, 4, 30),
                        last_periodic=date(2025, 8, 1), idle=True),  # simple 2026-07-31, periodic 2026-08-31
    ]  # fmt: skip
    schedules: list[UnitSchedule] = schedule_all(units, TODAY)
    listed = [(i.management_no, i.kind, i.due_on, i.due_before_restart)
              for i in due_in_period(schedules, date(2026, 7, 31), date(2026, 8, 31))]  # fmt: skip
    assert listed == [
        ("AC-01", InspectionKind.PERIODIC, date(2026, 7, 31), False),
        ("AC-04", InspectionKind.SIMPLE, date(2026, 7, 31), False),
        ("AC-01", InspectionKind.SIMPLE, date(2026, 8, 31), False),
        ("AC-04", InspectionKind.PERIODIC, date(2026, 8, 31), True),
    ]
    assert due_in_period(schedules, date(2026, 9, 30), date(2026, 9, 30))[0].management_no == "AC-02"
    assert due_in_period(schedules, date(2026, 9, 1), date(2026, 9, 29)) == []


def test_due_in_period_rejects_a_reversed_range() -> None:
    with pytest.raises(ValueError, match="before start"):
        due_in_period([], date(2026, 2, 1), date(2026, 1, 31))
