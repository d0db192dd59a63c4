"""The daily diagnosis rule (REGULATION.md (p) ロ), pure: a local day's hour verdicts in, one status out."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from detectors.daily import (
    MIN_HOURS_MEASURED,
    DaySummary,
    DiagnosisStatus,
    day_bounds,
    diagnose_day,
    judge,
    last_complete_hour,
    summarise,
)
from detectors.engine import HourVerdict

TOKYO = ZoneInfo("Asia/Tokyo")
DAY = date(2026, 3, 10)
LOCAL_MIDNIGHT_UTC = datetime(2026, 3, 9, 15, tzinfo=UTC)  # 00:00 in Tokyo


def _hour(n: int, *conditions: str, has_data: bool = True, lost: float = 1.0) -> HourVerdict:
    """The verdict of the n-th hour of the local day (negative or >= 24: outside it)."""
    hour_s = (LOCAL_MIDNIGHT_UTC + timedelta(hours=n)).timestamp()
    if not has_data:
        return HourVerdict(hour_s, False, math.nan, math.nan, (), ())
    return HourVerdict(hour_s, True, lost, 0.5, tuple(conditions), ())


def _diagnose(*verdicts: HourVerdict, raised: tuple[str, ...] = (), version: int | None = 1) -> DiagnosisStatus:
    return diagnose_day(DAY, verdicts, TOKYO, model_version=version, raised=raised).status


def test_a_day_with_enough_quiet_hours_is_no_leak() -> None:
    diagnosis = diagnose_day(DAY, [_hour(h, lost=h / 8) for h in range(24)], TOKYO, model_version=3)
    assert diagnosis.status is DiagnosisStatus.NO_LEAK
    assert diagnosis.hours_measured == 24
    assert diagnosis.estimated_charge_loss_pct == 23 / 8  # the day's latest estimate
    assert diagnosis.categories == ()
    assert diagnosis.detail["model_version"] == 3


def test_one_hour_meeting_the_leak_condition_makes_the_day_leak_suspected() -> None:
    assert _diagnose(*[_hour(h) for h in range(23)], _hour(23, "leak")) is DiagnosisStatus.LEAK_SUSPECTED


def test_a_leak_still_raised_at_the_end_of_the_day_is_leak_suspected_even_on_a_quiet_day() -> None:
    assert _diagnose(*[_hour(h) for h in range(24)], raised=("leak",)) is DiagnosisStatus.LEAK_SUSPECTED


def test_a_leak_outranks_other_faults_and_a_raised_fault_outranks_a_clean_day() -> None:
    hours = [_hour(h) for h in range(20)]
    fouling = ("condenser_fouling",)
    assert _diagnose(*hours, _hour(21, "leak"), raised=fouling) is DiagnosisStatus.LEAK_SUSPECTED
    assert _diagnose(*hours, raised=fouling) is DiagnosisStatus.OTHER_FAULT


def test_other_faults_count_once_raised_not_for_an_hour_of_their_condition() -> None:
    diagnosis = diagnose_day(DAY, [_hour(h, "other_fault") for h in range(5)], TOKYO, model_version=1)
    assert (diagnosis.status, diagnosis.categories) == (DiagnosisStatus.NO_LEAK, ())
    assert diagnosis.detail["hours_by_category"] == {"other_fault": 5}


def test_fewer_than_the_minimum_of_measured_hours_is_insufficient_data_never_no_leak() -> None:
    few = [_hour(h) for h in range(MIN_HOURS_MEASURED - 1)]
    idle = [_hour(h, has_data=False) for h in range(MIN_HOURS_MEASURED, 24)]  # readings, but never stable
    assert _diagnose(*few, *idle) is DiagnosisStatus.INSUFFICIENT_DATA
    assert _diagnose(*few, _hour(20)) is DiagnosisStatus.NO_LEAK
    assert _diagnose() is DiagnosisStatus.INSUFFICIENT_DATA


def test_a_leak_seen_in_too_few_hours_is_still_reported() -> None:
    assert _diagnose(_hour(5, "leak")) is DiagnosisStatus.LEAK_SUSPECTED


def test_without_a_model_in_force_the_day_has_no_baseline_whatever_the_hours_say() -> None:
    assert _diagnose(*[_hour(h, "leak") for h in range(24)], version=None) is DiagnosisStatus.NO_BASELINE


def test_only_hours_starting_within_the_local_day_count() -> None:
    outside = [_hour(-1, "leak"), _hour(24, "leak")]
    diagnosis = diagnose_day(DAY, [*outside, *[_hour(h) for h in range(5)]], TOKYO, model_version=1)
    assert (diagnosis.status, diagnosis.hours_measured) == (DiagnosisStatus.NO_LEAK, 5)


def test_the_day_follows_the_local_calendar_across_daylight_saving() -> None:
    assert day_bounds(DAY, TOKYO) == (LOCAL_MIDNIGHT_UTC, LOCAL_MIDNIGHT_UTC + timedelta(days=1))
    start, end = day_bounds(date(2026, 3, 8), ZoneInfo("America/New_York"))  # clocks go forward that night
    assert end - start == timedelta(hours=23)


def test_the_summary_counts_hours_per_category_and_keeps_the_latest_finite_estimate() -> None:
    summary = summarise(
        [_hour(2, "leak", lost=4.0), _hour(1, "leak", "sensor_drift", lost=3.0), _hour(3, has_data=False)]
    )
    assert summary == DaySummary(3, 2, {"leak": 2, "sensor_drift": 1}, 4.0, 0.5)
    assert judge(DAY, summary, model_version=1, raised=("overcharge",)).categories == ("leak", "overcharge")


def test_an_hour_is_judged_five_minutes_after_it_ends_for_the_late_readings() -> None:
    assert last_complete_hour(datetime(2026, 3, 10, 10, 4, 59, tzinfo=UTC)) == datetime(2026, 3, 10, 9, tzinfo=UTC)
    assert last_complete_hour(datetime(2026, 3, 10, 19, 5, tzinfo=TOKYO)) == datetime(2026, 3, 10, 10, tzinfo=UTC)
