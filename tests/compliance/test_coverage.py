"""Continuous monitoring in place of the simple inspection (REGULATION.md (p)): a day is covered when every circuit
was measured and diagnosed; one missing or unjudged day ends the substitution period."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import psycopg
import pytest

from compliance.coverage import (
    DiagnosisDay,
    circuit_day_covered,
    days_covered,
    monitoring_state,
    substitution_periods,
)
from fluorowatch.domain.equipment import Compressor, Equipment, EquipmentKind, RefrigerantCircuit
from fluorowatch.domain.organisation import OrgPath, Site
from storage.coverage_queries import diagnosis_days, unit_days_covered, unit_substitution_periods
from storage.registry import save_equipment, save_site

D0 = date(2026, 2, 25)  # runs across a common-year month end


def _d(n: int) -> date:
    return D0 + timedelta(days=n)


def _row(n: int, circuit_no: int = 1, status: str = "no_leak", hours: int = 24) -> DiagnosisDay:
    return DiagnosisDay(circuit_no, _d(n), status, hours)


# --- one circuit, one day ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "hours", "covered"),
    [
        ("no_leak", 24, True),
        ("no_leak", 1, True),  # (p) イ: once a day is enough
        ("no_leak", 0, False),
        ("leak_suspected", 5, True),  # the system worked; the leak is handled by (d)
        ("other_fault", 5, True),
        ("insufficient_data", 3, False),
        ("no_baseline", 24, False),  # measured, but no diagnosis possible (ロ)
    ],
)
def test_circuit_day_is_covered_when_measured_and_diagnosed(status: str, hours: int, covered: bool) -> None:
    assert circuit_day_covered(_row(0, status=status, hours=hours)) is covered


def test_unit_is_covered_only_if_every_circuit_is() -> None:
    rows = [_row(0, 1), _row(0, 2), _row(1, 1), _row(1, 2, status="insufficient_data"), _row(2, 1)]
    assert days_covered(rows, [1, 2], _d(0), _d(2)) == {_d(0): True, _d(1): False, _d(2): False}


def test_rows_of_other_circuits_and_days_outside_the_range_are_ignored() -> None:
    rows = [_row(-1), _row(0), _row(0, 9), _row(1, 9), _row(5)]
    assert days_covered(rows, [1], _d(0), _d(1)) == {_d(0): True, _d(1): False}


def test_unit_without_circuits_is_never_covered() -> None:
    assert days_covered([_row(0)], [], _d(0), _d(0)) == {_d(0): False}


def test_reversed_range_is_rejected() -> None:
    with pytest.raises(ValueError, match="before start"):
        days_covered([], [1], _d(1), _d(0))


# --- substitution periods -----------------------------------------------------------------------------------------


def test_a_full_run_of_days_is_one_period() -> None:
    days = {_d(n): True for n in range(10)}  # 25 Feb .. 6 Mar, across the month end
    assert substitution_periods(days) == [(date(2026, 2, 25), date(2026, 3, 6))]


def test_one_uncovered_day_ends_the_period_and_a_later_run_starts_a_new_one() -> None:
    days = {_d(n): n != 4 for n in range(10)}
    assert substitution_periods(days) == [(_d(0), _d(3)), (_d(5), _d(9))]


def test_one_missing_day_ends_the_period() -> None:
    days = {_d(n): True for n in range(10) if n != 6}
    assert substitution_periods(days) == [(_d(0), _d(5)), (_d(7), _d(9))]


def test_single_covered_days_are_periods_of_one_day_and_nothing_covered_is_no_period() -> None:
    assert substitution_periods({_d(0): True, _d(2): True, _d(1): False}) == [(_d(0), _d(0)), (_d(2), _d(2))]
    assert substitution_periods({_d(n): False for n in range(3)}) == []
    assert substitution_periods({}) == []


def test_insufficient_day_on_one_circuit_ends_the_period() -> None:
    rows = [_row(n, c) for n in range(6) for c in (1, 2) if (n, c) != (3, 2)]
    rows.append(_row(3, 2, status="insufficient_data", hours=0))
    periods = substitution_periods(days_covered(rows, [1, 2], _d(0), _d(5)))
    assert periods == [(_d(0), _d(2)), (_d(4), _d(5))]


def test_leap_day_is_a_day_like_any_other() -> None:
    days = {date(2028, 2, 28): True, date(2028, 2, 29): True, date(2028, 3, 1): True}
    assert substitution_periods(days) == [(date(2028, 2, 28), date(2028, 3, 1))]
    days[date(2028, 2, 29)] = False
    assert len(substitution_periods(days)) == 2


# --- what the periods mean for the simple inspection -------------------------------------------------------------


def test_period_reaching_yesterday_replaces_the_simple_inspection() -> None:
    today = date(2026, 6, 15)
    state = monitoring_state([(date(2026, 1, 1), date(2026, 6, 14))], date(2025, 12, 1), today)
    assert state.replaced
    assert state.reference is None
    assert state.period == (date(2026, 1, 1), date(2026, 6, 14))


def test_ended_period_moves_the_reference_to_its_last_day() -> None:
    today = date(2026, 6, 15)
    state = monitoring_state([(date(2026, 1, 1), date(2026, 6, 13))], date(2025, 12, 1), today)
    assert not state.replaced
    assert state.reference == date(2026, 6, 13)


def test_a_later_simple_inspection_wins_over_an_ended_period() -> None:
    state = monitoring_state([(date(2026, 1, 1), date(2026, 3, 31))], date(2026, 5, 2), date(2026, 6, 15))
    assert (state.replaced, state.reference) == (False, date(2026, 5, 2))


def test_without_periods_the_reference_is_the_last_inspection() -> None:
    assert monitoring_state([], date(2026, 5, 2), date(2026, 6, 15)).reference == date(2026, 5, 2)
    assert monitoring_state([], None, date(2026, 6, 15)).reference is None


def test_a_period_starting_after_today_does_not_count() -> None:
    state = monitoring_state([(date(2026, 7, 1), date(2026, 7, 31))], date(2026, 5, 2), date(2026, 6, 15))
    assert (state.replaced, state.reference) == (False, date(2026, 5, 2))


# --- read from the stored diagnosis rows --------------------------------------------------------------------------


def _two_circuit_unit(conn: psycopg.Connection, site_code: str) -> int:
    site_id = save_site(conn, Site(site_code, "カバー店", "13", "Tokyo", OrgPath.parse("CoverCo")))
    circuits = tuple(RefrigerantCircuit(n, (Compressor(Decimal("5.5")),)) for n in (1, 2))
    unit = Equipment("CU-01", EquipmentKind.CONDENSING_UNIT, "R404A", Decimal("20"), circuits)
    return save_equipment(conn, site_id, unit)


def _insert(conn: psycopg.Connection, equipment_id: int, rows: list[DiagnosisDay]) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO diagnosis (equipment_id, circuit_no, day, status, hours_measured) VALUES (%s, %s, %s, %s, %s)",
            [(equipment_id, r.circuit_no, r.day, r.status, r.hours_measured) for r in rows],
        )


def test_coverage_is_read_from_the_stored_diagnosis_rows(conn: psycopg.Connection) -> None:
    unit = _two_circuit_unit(conn, "S-COVER")
    other = _two_circuit_unit(conn, "S-COVER-2")
    special = {
        (3, 2): None,  # no row stored: missing day
        (6, 1): _row(6, 1, status="no_baseline"),  # stored but not a diagnosis
        (8, 1): _row(8, 1, status="leak_suspected", hours=12),  # a real diagnosis: covers
    }
    rows = [special.get((n, c), _row(n, c)) for n in range(10) for c in (1, 2)]
    _insert(conn, unit, [r for r in rows if r is not None])
    _insert(conn, other, [_row(3, 2), _row(10, 1), _row(10, 2)])  # another unit's rows fill no gap

    assert [(r.circuit_no, r.day) for r in diagnosis_days(conn, unit, _d(0), _d(1))] == [
        (1, _d(0)), (2, _d(0)), (1, _d(1)), (2, _d(1)),
    ]  # fmt: skip
    covered = unit_days_covered(conn, unit, _d(0), _d(11))
    assert [n for n in range(12) if not covered[_d(n)]] == [3, 6, 10, 11]
    assert unit_substitution_periods(conn, unit, _d(0), _d(11)) == [
        (_d(0), _d(2)), (_d(4), _d(5)), (_d(7), _d(9)),
    ]  # fmt: skip
