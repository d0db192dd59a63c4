"""The daily diagnosis of one circuit (REGULATION.md (p) ロ: diagnosed at least once a day, from the values
measured that day, with the answer recorded even when it is "no leak").

The day is a local calendar day of the display time zone; the detector judges UTC hours, and an hour belongs
to the day in which it starts. The status, first match wins:

* ``no_baseline``: no model was in force (the circuit has not been learned, or its learning window had not
  ended by the end of the day); nothing can be judged against.
* ``leak_suspected``: any hour of the day met the leak condition, or the leak category was raised during the
  day or stood raised at its end (the hysteresis of detectors/fusion.py). One hour is enough here: the
  condition already rests on a day's accumulated evidence (the CUSUM), and (p) ニ wants a suspected leak
  reported, not confirmed.
* ``other_fault``: another category (fouling, icing, overcharge, a drifting sensor, novelty) raised during
  the day or standing raised at its end. Unlike a leak, a single hour of such a condition is not enough:
  those conditions flicker hour to hour, and confirming them is the hysteresis' job.
* ``insufficient_data``: fewer than ``MIN_HOURS_MEASURED`` hours with a reading taken in stable operation.
* ``no_leak``: otherwise.

Pure: no database, and light to import (ingest's housekeeping asks it whether an hour is due). ``summarise``
and ``judge`` are split so that the service can summarise thousands of circuits in SQL and apply the same rule.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # the engine pulls in scikit-learn; only its verdict type is needed here
    from detectors.engine import HourVerdict

# A day with fewer hours of stable operation than this is too little to call "no leak": the leak evidence
# builds hour by hour (a category is raised only after several hours of its condition, detectors/fusion.py),
# so a unit seen for an hour or two could hide a leak the detectors had no chance to confirm. Such a day is
# reported as insufficient, never as clean.
MIN_HOURS_MEASURED = 4
LEAK = "leak"
# An hour is judged once this long has passed after its end, for the readings measured in its last minutes
# to arrive (agents send in batches). Readings that come later than that are stored but not judged.
LATE_MARGIN = timedelta(minutes=5)


class DiagnosisStatus(StrEnum):
    NO_LEAK = "no_leak"
    LEAK_SUSPECTED = "leak_suspected"
    OTHER_FAULT = "other_fault"
    INSUFFICIENT_DATA = "insufficient_data"
    NO_BASELINE = "no_baseline"


@dataclass(frozen=True)
class DaySummary:
    """What the hour verdicts of one circuit and day add up to."""

    hours_with_readings: int = 0
    hours_measured: int = 0  # hours with a reading taken in stable operation
    hours_by_category: Mapping[str, int] = field(default_factory=dict)
    lost_pct: float | None = None  # the day's latest charge-loss estimate
    sigma_pct: float | None = None


@dataclass(frozen=True)
class Diagnosis:
    day: date
    status: DiagnosisStatus
    hours_measured: int
    estimated_charge_loss_pct: float | None
    sigma_pct: float | None
    categories: tuple[str, ...]
    detail: Mapping[str, Any]


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants at which the local ``day`` starts and ends (23 or 25 hours apart across DST)."""
    start = datetime.combine(day, time(), tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), tz).astimezone(UTC)
    return start, end


def last_complete_hour(now: datetime) -> datetime:
    """The end of the newest hour that may be judged at ``now`` (on the hour, UTC)."""
    ready = (now - LATE_MARGIN).timestamp()
    return datetime.fromtimestamp(ready - ready % 3600.0, UTC)


def summarise(verdicts: Iterable[HourVerdict]) -> DaySummary:
    ordered = sorted(verdicts, key=lambda v: v.hour_s)
    counts = Counter(c for v in ordered for c in v.conditions)
    estimates = [v for v in ordered if v.has_data and math.isfinite(v.lost_pct)]
    latest = estimates[-1] if estimates else None
    return DaySummary(
        hours_with_readings=len(ordered),
        hours_measured=sum(1 for v in ordered if v.has_data),
        hours_by_category=dict(sorted(counts.items())),
        lost_pct=None if latest is None else latest.lost_pct,
        sigma_pct=None if latest is None or not math.isfinite(latest.sigma_pct) else latest.sigma_pct,
    )


def judge(day: date, summary: DaySummary, *, model_version: int | None, raised: Collection[str] = ()) -> Diagnosis:
    """The diagnosis of a day from its summary, the categories raised during it or standing raised at its
    end, and the version of the model in force (None: none was). ``categories`` are those behind the status;
    the detail keeps every category's hours."""
    leak = {LEAK} if LEAK in summary.hours_by_category else set()
    categories = tuple(sorted(leak | set(raised)))
    detail = {
        "model_version": model_version,
        "hours_with_readings": summary.hours_with_readings,
        "hours_by_category": dict(summary.hours_by_category),
        "raised": sorted(raised),
        "min_hours_measured": MIN_HOURS_MEASURED,
    }
    return Diagnosis(day, _status(summary, categories, model_version), summary.hours_measured, summary.lost_pct,
                     summary.sigma_pct, categories, detail)  # fmt: skip


def _status(summary: DaySummary, categories: tuple[str, ...], model_version: int | None) -> DiagnosisStatus:
    if model_version is None:
        return DiagnosisStatus.NO_BASELINE
    if LEAK in categories:
        return DiagnosisStatus.LEAK_SUSPECTED
    if categories:
        return DiagnosisStatus.OTHER_FAULT
    if summary.hours_measured < MIN_HOURS_MEASURED:
        return DiagnosisStatus.INSUFFICIENT_DATA
    return DiagnosisStatus.NO_LEAK


def diagnose_day(
    day: date,
    verdicts: Iterable[HourVerdict],
    tz: ZoneInfo,
    *,
    model_version: int | None,
    raised: Collection[str] = (),
) -> Diagnosis:
    """The diagnosis of the local ``day`` from a circuit's hour verdicts (those outside the day are ignored)
    and the categories ``raised`` during the day or standing raised at its end."""
    start, end = (t.timestamp() for t in day_bounds(day, tz))
    within = [v for v in verdicts if start <= v.hour_s < end]
    return judge(day, summarise(within), model_version=model_version, raised=raised)
