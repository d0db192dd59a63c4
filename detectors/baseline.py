"""The baseline of daily values (日常値) of one circuit: how each operating value depends on the weather, the
setpoint and the time of day while the unit was healthy, and how much it scatters.

The checklist judges each value against its "normal value" (REGULATION.md (c), note 2); a fixed number cannot
serve, because condensing pressure follows the outdoor air and load follows store hours. One robust linear
model per value (scikit-learn's HuberRegressor, so a door left open during commissioning does not bend it)
on: ambient temperature, setpoint, and two harmonics of the time of day (the daily load cycle; any clock
offset is absorbed by the harmonics' phases). Persisted as plain JSON coefficients: readable, versioned,
and free of pickle.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import HuberRegressor
from threadpoolctl import threadpool_limits

from detectors.derived import FloatArray
from detectors.features import OPERATING_VALUES, HourlyValues

FORMAT = 1
MIN_HOURS = 24  # a day's worth of hours with stable running, at the least
DAY_S = 86400.0
# The smallest spread a value is credited with: sensor resolution and the hour-to-hour wander of a healthy unit.
SIGMA_FLOOR = {
    "suction_pressure_mpag": 0.003,
    "discharge_pressure_mpag": 0.01,
    "discharge_temp_c": 0.5,
    "compressor_voltage_v": 0.5,
    "compressor_current_a": 0.05,
    "superheat_k": 0.2,
    "subcooling_k": 0.1,
    "compressor_shell_temp_c": 0.5,
    "air_dt_k": 0.2,
    "water_dt_k": 0.1,
    "receiver_level_pct": 0.8,
    "evap_gap_k": 0.2,
    "cond_approach_k": 0.3,
    "liquid_temp_c": 0.2,
    "suction_temp_c": 0.2,
    "cabinet_excess_k": 0.3,
    "te_check_k": 0.1,
    "tc_check_k": 0.1,
}


class InsufficientBaseline(ValueError):
    """Too little healthy data to learn from."""


@dataclass(frozen=True)
class ValueModel:
    intercept: float
    coefficients: tuple[float, ...]
    sigma: float  # robust spread of the hourly residuals in the learning window
    level: float  # median of the value in the learning window

    def predict(self, x: FloatArray) -> FloatArray:
        return np.asarray(self.intercept + x @ np.asarray(self.coefficients), dtype=np.float64)


@dataclass(frozen=True)
class Baseline:
    """Learned from hours ``trained_from`` .. ``trained_until`` (epoch seconds); ``version`` counts re-learnings."""

    version: int
    trained_from: float
    trained_until: float
    hours: int
    x_mean: tuple[float, ...]
    x_scale: tuple[float, ...]
    x_low: tuple[float, ...]  # range of each explanatory column in the learning window
    x_high: tuple[float, ...]
    models: Mapping[str, ValueModel] = field(default_factory=dict)

    def expected(self, hourly: HourlyValues) -> dict[str, FloatArray]:
        return {key: value for key, (value, _) in self.expected_with_spread(hourly).items()}

    def expected_with_spread(self, hourly: HourlyValues) -> dict[str, tuple[FloatArray, FloatArray]]:
        """Expected value and its spread per hour. A slope learned over a few weeks' weather is not trusted
        beyond the range it was learned on: the explanatory values are held at that range, and what the slope
        would have added beyond it widens the spread instead."""
        x = explanatory(hourly)
        held = np.clip(x, np.asarray(self.x_low), np.asarray(self.x_high))
        xs, hs = self._standardised(x), self._standardised(held)
        result = {}
        for key, model in self.models.items():
            inside = model.predict(hs)
            result[key] = (inside, np.hypot(model.sigma, model.predict(xs) - inside))
        return result

    def residuals(self, hourly: HourlyValues) -> dict[str, FloatArray]:
        """Observed minus expected, per value the baseline knows (NaN where the hour has no value)."""
        expected = self.expected(hourly)
        return {key: hourly.values[key] - expected[key] for key in self.models}

    def _standardised(self, x: FloatArray) -> FloatArray:
        return np.asarray((x - np.asarray(self.x_mean)) / np.asarray(self.x_scale), dtype=np.float64)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": self.version,
            "trained_from": self.trained_from,
            "trained_until": self.trained_until,
            "hours": self.hours,
            "x_mean": list(self.x_mean),
            "x_scale": list(self.x_scale),
            "x_low": list(self.x_low),
            "x_high": list(self.x_high),
            "models": {
                key: {
                    "intercept": m.intercept,
                    "coefficients": list(m.coefficients),
                    "sigma": m.sigma,
                    "level": m.level,
                }
                for key, m in self.models.items()
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Baseline:
        if data.get("format") != FORMAT:
            raise ValueError(f"baseline format {data.get('format')!r} is not {FORMAT}")
        models = {
            key: ValueModel(float(m["intercept"]), tuple(map(float, m["coefficients"])), float(m["sigma"]),
                            float(m["level"]))
            for key, m in data["models"].items()
        }  # fmt: skip
        return cls(
            int(data["version"]), float(data["trained_from"]), float(data["trained_until"]), int(data["hours"]),
            tuple(map(float, data["x_mean"])), tuple(map(float, data["x_scale"])),
            tuple(map(float, data["x_low"])), tuple(map(float, data["x_high"])), models,
        )  # fmt: skip


def explanatory(hourly: HourlyValues) -> FloatArray:
    """Ambient, setpoint, and the time of day as two harmonics; a missing ambient or setpoint counts as 0
    (a unit that never reports one gets a constant column, which the model ignores)."""
    phase = 2.0 * np.pi * (hourly.hour_s % DAY_S + 1800.0) / DAY_S
    ambient = np.nan_to_num(hourly.values["ambient_temp_c"], nan=np.nanmedian(_or_zero(hourly, "ambient_temp_c")))
    setpoint = np.nan_to_num(hourly.values["cabinet_setpoint_c"], nan=0.0)
    columns = [ambient, setpoint, np.sin(phase), np.cos(phase), np.sin(2 * phase), np.cos(2 * phase)]
    return np.column_stack(columns)


def _or_zero(hourly: HourlyValues, key: str) -> FloatArray:
    values = hourly.values[key]
    return values if np.isfinite(values).any() else np.zeros(1)


def fit_baseline(hourly: HourlyValues, until_s: float, version: int = 1, since_s: float | None = None) -> Baseline:
    """Learn from the hours that end at or before ``until_s`` (and start at or after ``since_s``)."""
    ends = hourly.hour_s + 3600.0
    window = (ends <= until_s) & (hourly.hour_s >= (since_s if since_s is not None else -np.inf))
    train = hourly.slice(0, len(hourly)) if window.all() else _select(hourly, window)
    usable = train.stable > 0
    if int(usable.sum()) < MIN_HOURS:
        raise InsufficientBaseline(
            f"the baseline needs at least {MIN_HOURS} hours of stable running before the cut-off; "
            f"found {int(usable.sum())}"
        )
    x = explanatory(train)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    xs = (x - mean) / scale
    models = {}
    for key in OPERATING_VALUES:
        y = train.values[key]
        ok = np.isfinite(y) & usable
        if ok.sum() < MIN_HOURS:
            continue  # a value the unit does not report, or rarely
        models[key] = _fit_value(key, xs[ok], y[ok])
    return Baseline(version, float(train.hour_s[0]), float(until_s), int(usable.sum()),
                    tuple(map(float, mean)), tuple(map(float, scale)), tuple(map(float, x.min(axis=0))),
                    tuple(map(float, x.max(axis=0))), models)  # fmt: skip


def _select(hourly: HourlyValues, mask: np.ndarray) -> HourlyValues:
    index = np.flatnonzero(mask)
    if index.size == 0:
        raise InsufficientBaseline("no readings before the baseline cut-off")
    return HourlyValues(
        hourly.hour_s[index], {k: v[index] for k, v in hourly.values.items()}, hourly.samples[index],
        hourly.stable[index], hourly.channels,
    )  # fmt: skip


def _fit_value(key: str, x: FloatArray, y: FloatArray) -> ValueModel:
    spread = float(np.median(np.abs(y - np.median(y)))) * 1.4826
    if spread < 1e-9:  # a constant value (e.g. a fixed voltage): nothing to regress
        return ValueModel(float(np.median(y)), tuple(0.0 for _ in range(x.shape[1])), SIGMA_FLOOR.get(key, 0.1),
                          float(np.median(y)))  # fmt: skip
    model = HuberRegressor(epsilon=1.5, alpha=1e-3, max_iter=200)
    # one BLAS thread: these are tiny problems, and thread start-up on a busy machine costs 40x the fit
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, (y - np.median(y)) / spread)
    intercept = float(model.intercept_) * spread + float(np.median(y))
    coefficients = tuple(float(c) * spread for c in model.coef_)
    residual = y - (intercept + x @ np.asarray(coefficients))
    sigma = float(np.median(np.abs(residual - np.median(residual)))) * 1.4826
    return ValueModel(intercept, coefficients, max(sigma, SIGMA_FLOOR.get(key, 0.1)), float(np.median(y)))
