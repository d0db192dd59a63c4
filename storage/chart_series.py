"""The unit page's chart data, assembled once for the API (api/routers/telemetry.py) and the dashboard's unit page
(api/dashboard/pages.py): a circuit's values per channel from storage.telemetry_queries' columns, superheat and
subcooling derived as the detectors derive them (detectors/derived.py), and the active model's expected values
with their spread and the detector's charge estimate for the hours with readings (detectors/baseline.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
import numpy.typing as npt
import psycopg

from detectors.baseline import Baseline
from detectors.derived import derive
from detectors.features import HourlyValues
from fluorowatch.domain.channels import ChannelType
from fluorowatch.domain.channels import channels as all_channels
from storage import telemetry_queries as q
from storage.telemetry_queries import ActiveModel, Columns, FloatArray

MEASUREMENTS = {c.key: c.unit for c in all_channels() if c.type is ChannelType.MEASUREMENT}
DERIVED = {"superheat_k": "K", "subcooling_k": "K"}
CHARTABLE = {**MEASUREMENTS, **DERIVED}
# what superheat and subcooling are derived from (detectors/derived.py)
SOURCES = {
    "superheat_k": ("suction_temp_c", "evap_sat_temp_c", "suction_pressure_mpag"),
    "subcooling_k": ("cond_sat_temp_c", "discharge_pressure_mpag", "liquid_temp_c"),
}
# the page's charts: pressures, superheat, subcooling, cabinet temperature
PAGE_CHANNELS = ("suction_pressure_mpag", "discharge_pressure_mpag", "superheat_k", "subcooling_k", "cabinet_temp_c")


def stored_keys(keys: Sequence[str]) -> list[str]:
    """The stored channels that ``keys`` are read or derived from, in channels.csv order."""
    return sorted({source for key in keys for source in SOURCES.get(key, (key,))}, key=list(MEASUREMENTS).index)


@dataclass(frozen=True)
class ChannelValues:
    values: FloatArray  # the raw value or the bucket's average (NaN = missing)
    low: FloatArray | None  # the bucket's lowest and highest value (buckets of stored channels only)
    high: FloatArray | None


def channel_values(columns: Columns, keys: Sequence[str], refrigerant: str) -> dict[str, ChannelValues]:
    """Each of ``keys`` over the columns' timestamps; superheat and subcooling derived from the stored values."""
    derived = None
    if any(key in DERIVED for key in keys) and len(columns):
        derived = derive(columns.values, np.array([t.timestamp() for t in columns.ts]), refrigerant)
    result = {}
    for key in keys:
        if key in DERIVED:
            values = getattr(derived, key) if derived is not None else np.empty(0)
            result[key] = ChannelValues(np.asarray(values, dtype=np.float64), None, None)
        else:
            low = None if columns.low is None else columns.low[key]
            high = None if columns.high is None else columns.high[key]
            result[key] = ChannelValues(columns.values[key], low, high)
    return result


@dataclass(frozen=True)
class CircuitBaseline:
    """The circuit's active model (None before one is learned) and, for each hour (or day) with readings
    (``starts``, epoch seconds), the expected value and spread of each value the model knows, and the detector's
    estimated share of the charge lost with its sigma (NaN where it did not judge)."""

    model: ActiveModel | None
    starts: FloatArray
    expected: dict[str, tuple[FloatArray, FloatArray]]
    lost_pct: FloatArray
    sigma_pct: FloatArray


def circuit_baseline(
    conn: psycopg.Connection, equipment_id: int, circuit_no: int, keys: Sequence[str], start: datetime,
    end: datetime, daily: bool = False,
) -> CircuitBaseline:  # fmt: skip
    hours = q.baseline_hours(conn, equipment_id, circuit_no, start, end)
    model = q.active_model(conn, equipment_id, circuit_no)
    n = len(hours.hour_s)
    expected: dict[str, tuple[FloatArray, FloatArray]] = {}
    if model is not None and n:
        baseline = Baseline.from_json(model.model["baseline"])  # type: ignore[arg-type]
        wanted = replace(baseline, models={k: m for k, m in baseline.models.items() if k in keys})
        context = HourlyValues(hours.hour_s, {"ambient_temp_c": hours.ambient_temp_c,
                                              "cabinet_setpoint_c": hours.cabinet_setpoint_c},
                               np.ones(n, dtype=np.int64), np.ones(n, dtype=np.int64))  # fmt: skip
        known = wanted.expected_with_spread(context)
        expected = {key: known[key] for key in keys if key in known}
    starts, lost, sigma = hours.hour_s, hours.lost_pct, hours.sigma_pct
    if daily:
        days, index = np.unique(np.floor(hours.hour_s / 86400.0), return_inverse=True)
        starts = days * 86400.0

        def mean(values: FloatArray) -> FloatArray:
            return _daily_mean(values, index, len(days))

        lost, sigma = mean(lost), mean(sigma)
        expected = {k: (mean(v), mean(s)) for k, (v, s) in expected.items()}
    return CircuitBaseline(model, starts, expected, lost, sigma)


def _daily_mean(values: FloatArray, index: npt.NDArray[np.intp], n: int) -> FloatArray:
    """Mean of each day's finite values; NaN for a day without any."""
    finite = np.isfinite(values)
    total = np.bincount(index[finite], weights=values[finite], minlength=n)
    count = np.bincount(index[finite], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(count > 0, total / np.maximum(count, 1), np.nan), dtype=np.float64)
