"""Hourly operating values of one circuit: what the detectors compare against the baseline.

Readings arrive every 10 s to 15 min; the detectors work on hourly buckets so that every sampling interval
gives the same kind of number. A bucket's value is the median over the samples taken while the unit ran
stably (checklist note 2: normal values are read in stable operation; defrost and start-up are masked,
detectors/derived.py). When the sampling is too coarse to see a settled run, running samples are used.
Context values (ambient, setpoint, time of day) use every sample of the hour.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from detectors.derived import BoolArray, Derived, FloatArray, Frame, derive
from fluorowatch.domain.saturation import saturation_table

BUCKET_S = 3600.0
MIN_SAMPLES = 1

# values judged against the baseline (their leak directions: detectors/checklist.py and detectors/engine.py)
OPERATING_VALUES = (
    "suction_pressure_mpag",
    "discharge_pressure_mpag",
    "discharge_temp_c",
    "compressor_voltage_v",
    "compressor_current_a",
    "superheat_k",
    "subcooling_k",
    "compressor_shell_temp_c",
    "air_dt_k",
    "water_dt_k",
    "receiver_level_pct",
    "evap_gap_k",  # cooled medium (return air / leaving water) minus Te: grows when the coil ices
    "cond_approach_k",  # Tc minus ambient: grows when the condenser fouls
    "liquid_temp_c",
    "suction_temp_c",
    "cabinet_excess_k",  # cabinet (or leaving water) above its setpoint: the load no longer met
    "te_check_k",  # controller's Te minus Te read from Ps: two sensors that must agree
    "tc_check_k",  # controller's Tc minus Tc read from Pd
)
# shares and counts over the hour rather than stable-run medians
RATES = ("sight_glass_bubbles", "purge_count", "duty", "defrost_share")
CONTEXT = ("ambient_temp_c", "cabinet_setpoint_c")


@dataclass(frozen=True)
class HourlyValues:
    """One row per hour that has readings. ``values`` NaN where the hour had no usable sample."""

    hour_s: FloatArray  # start of the hour, epoch seconds
    values: Mapping[str, FloatArray]
    samples: npt.NDArray[np.int64]  # readings in the hour
    stable: npt.NDArray[np.int64]  # readings taken in stable operation
    channels: frozenset[str] = frozenset()  # channel keys the readings carried (any value present)

    def __len__(self) -> int:
        return len(self.hour_s)

    def slice(self, start: int, stop: int) -> HourlyValues:
        return HourlyValues(
            self.hour_s[start:stop],
            {key: values[start:stop] for key, values in self.values.items()},
            self.samples[start:stop],
            self.stable[start:stop],
            self.channels,
        )


def hourly_values(frame: Frame, ts_s: FloatArray, refrigerant: str) -> HourlyValues:
    """Hourly buckets of ``frame`` (readings at epoch seconds ``ts_s``, increasing) for the derived and raw values."""
    derived = derive(frame, ts_s, refrigerant)
    n = len(ts_s)
    interval = float(np.median(np.diff(ts_s))) if n > 1 else BUCKET_S
    usable = derived.steady if interval < 600.0 else derived.running
    columns = _columns(frame, derived, n, refrigerant)
    hour = np.floor(ts_s / BUCKET_S).astype(np.int64)
    hours, index = np.unique(hour, return_inverse=True)
    values: dict[str, FloatArray] = {}
    for key in OPERATING_VALUES:
        values[key] = _bucket_median(columns[key], usable, index, len(hours))
    values["sight_glass_bubbles"] = _bucket_mean(columns["sight_glass_bubbles"], derived.running, index, len(hours))
    values["purge_count"] = _bucket_sum_per_hour(columns["purge_count"], index, len(hours), interval)
    running = np.where(np.isnan(columns["compressor_on"]), np.nan, derived.running.astype(np.float64))
    values["duty"] = _bucket_mean(running, np.ones(n, dtype=np.bool_), index, len(hours))
    defrost = np.where(np.isnan(columns["defrost_on"]), 0.0, (columns["defrost_on"] > 0.5).astype(np.float64))
    values["defrost_share"] = _bucket_mean(defrost, np.ones(n, dtype=np.bool_), index, len(hours))
    for key in CONTEXT:
        values[key] = _bucket_mean(columns[key], np.ones(n, dtype=np.bool_), index, len(hours))
    samples = np.bincount(index, minlength=len(hours)).astype(np.int64)
    stable = np.bincount(index, weights=usable.astype(np.float64), minlength=len(hours)).astype(np.int64)
    present = frozenset(key for key, column in frame.items() if np.isfinite(np.asarray(column, dtype=np.float64)).any())
    return HourlyValues(hours.astype(np.float64) * BUCKET_S, values, samples, stable, present)


def _columns(frame: Frame, d: Derived, n: int, refrigerant: str) -> dict[str, FloatArray]:
    def get(key: str) -> FloatArray:
        values = frame.get(key)
        return np.full(n, np.nan) if values is None else np.asarray(values, dtype=np.float64)

    table = saturation_table(refrigerant)
    medium = np.where(np.isnan(get("air_in_temp_c")), get("chw_out_temp_c"), get("air_in_temp_c"))
    controlled = np.where(np.isnan(get("cabinet_temp_c")), get("chw_out_temp_c"), get("cabinet_temp_c"))
    columns = {key: get(key) for key in frame}
    columns.update(
        superheat_k=d.superheat_k,
        subcooling_k=d.subcooling_k,
        air_dt_k=d.air_dt_k,
        water_dt_k=d.water_dt_k,
        evap_gap_k=medium - d.evap_sat_temp_c,
        cond_approach_k=d.cond_sat_temp_c - get("ambient_temp_c"),
        cabinet_excess_k=controlled - get("cabinet_setpoint_c"),
        te_check_k=get("evap_sat_temp_c") - table.dew_temperature_c(get("suction_pressure_mpag")),
        tc_check_k=get("cond_sat_temp_c") - table.bubble_temperature_c(get("discharge_pressure_mpag")),
    )
    for key in (*OPERATING_VALUES, *RATES, *CONTEXT, "compressor_on", "defrost_on"):
        columns.setdefault(key, np.full(n, np.nan))
    return columns


def _bucket_median(values: FloatArray, mask: BoolArray, index: npt.NDArray[np.intp], buckets: int) -> FloatArray:
    """Median per bucket of ``values`` where ``mask`` holds and the value is present (NaN for an empty bucket)."""
    keep = mask & ~np.isnan(values)
    out = np.full(buckets, np.nan)
    if not keep.any():
        return out
    b, v = index[keep], values[keep]
    order = np.lexsort((v, b))
    b, v = b[order], v[order]
    starts = np.searchsorted(b, np.arange(buckets), side="left")
    ends = np.searchsorted(b, np.arange(buckets), side="right")
    counts = ends - starts
    has = counts > 0
    lo = starts[has] + (counts[has] - 1) // 2
    hi = starts[has] + counts[has] // 2
    out[has] = 0.5 * (v[lo] + v[hi])
    return out


def _bucket_mean(values: FloatArray, mask: BoolArray, index: npt.NDArray[np.intp], buckets: int) -> FloatArray:
    keep = mask & ~np.isnan(values)
    total = np.bincount(index[keep], weights=values[keep], minlength=buckets)
    count = np.bincount(index[keep], minlength=buckets)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _bucket_sum_per_hour(
    values: FloatArray, index: npt.NDArray[np.intp], buckets: int, interval_s: float
) -> FloatArray:
    """A count channel summed per hour, scaled up for the hour's missing readings."""
    keep = ~np.isnan(values)
    total = np.bincount(index[keep], weights=values[keep], minlength=buckets)
    count = np.bincount(index[keep], minlength=buckets)
    expected = max(BUCKET_S / interval_s, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total * expected / np.maximum(count, 1), np.nan)
