"""Everything learned about one circuit from its healthy window: the baseline of daily values, how much the
smoothed departures scatter (so thresholds are in honest units), what "usual" operation looked like, and the
multivariate novelty model for faults the named rules do not describe.

The novelty model is a robust covariance (scikit-learn's MinCovDet) of the smoothed departures: a Mahalanobis
distance far outside what the healthy weeks produced is "something else is wrong". Like the baseline it is a
handful of numbers, persisted as JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import chi2
from sklearn.covariance import MinCovDet
from threadpoolctl import threadpool_limits

from detectors.baseline import Baseline, fit_baseline
from detectors.charge import InventoryPrior, buffer_lost, prior_for
from detectors.derived import FloatArray
from detectors.features import HourlyValues
from detectors.smoothing import HALF_LIFE_CHARGE_H, HALF_LIFE_VALUES_H, ewma_series
from fluorowatch.domain.equipment import EquipmentKind

FORMAT = 1
NOVELTY_P = 1e-5
SMOOTHED_SIGMA_FLOOR = 0.35
# values the novelty model watches: the physical state, not the raw sensors it is computed from. Motor current
# is left out: on inverter units it follows the load, which the baseline's weather and clock cannot fully explain.
NOVELTY_VALUES = (
    "subcooling_k",
    "superheat_k",
    "evap_gap_k",
    "cond_approach_k",
    "discharge_temp_c",
    "air_dt_k",
    "water_dt_k",
    "receiver_level_pct",
    "cabinet_excess_k",
)


@dataclass(frozen=True)
class Novelty:
    keys: tuple[str, ...]
    location: tuple[float, ...]
    precision: tuple[tuple[float, ...], ...]
    threshold: float  # squared distance

    def distance2(self, z: FloatArray) -> float:
        d = z - np.asarray(self.location)
        return float(d @ np.asarray(self.precision) @ d)


@dataclass(frozen=True)
class CircuitModel:
    kind: EquipmentKind
    prior: InventoryPrior
    baseline: Baseline
    smoothed_sigma: Mapping[str, float]  # spread of each smoothed departure (in baseline spreads) while healthy
    buffer_sigma_hourly: float  # spread of one hour's buffer-lost share while healthy
    buffer_sigma_smoothed: float
    setpoints: tuple[float, float]
    duty: float
    bubble_share: float
    purge_per_hour: float
    novelty: Novelty | None

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "kind": self.kind.value,
            "prior": {"liquid_buffer": self.prior.liquid_buffer, "spread": self.prior.spread,
                      "indicator": self.prior.indicator, "starved_superheat_k": self.prior.starved_superheat_k},
            "baseline": self.baseline.to_json(),
            "smoothed_sigma": dict(self.smoothed_sigma),
            "buffer_sigma_hourly": self.buffer_sigma_hourly,
            "buffer_sigma_smoothed": self.buffer_sigma_smoothed,
            "setpoints": list(self.setpoints),
            "duty": self.duty,
            "bubble_share": self.bubble_share,
            "purge_per_hour": self.purge_per_hour,
            "novelty": None if self.novelty is None else {
                "keys": list(self.novelty.keys), "location": list(self.novelty.location),
                "precision": [list(row) for row in self.novelty.precision], "threshold": self.novelty.threshold},
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CircuitModel:
        if data.get("format") != FORMAT:
            raise ValueError(f"detector model format {data.get('format')!r} is not {FORMAT}")
        n = data["novelty"]
        novelty = None
        if n is not None:
            precision = tuple(tuple(row) for row in n["precision"])
            novelty = Novelty(tuple(n["keys"]), tuple(n["location"]), precision, float(n["threshold"]))
        return cls(
            EquipmentKind(data["kind"]), InventoryPrior(**data["prior"]), Baseline.from_json(data["baseline"]),
            dict(data["smoothed_sigma"]), float(data["buffer_sigma_hourly"]), float(data["buffer_sigma_smoothed"]),
            (float(data["setpoints"][0]), float(data["setpoints"][1])), float(data["duty"]),
            float(data["bubble_share"]), float(data["purge_per_hour"]), novelty,
        )  # fmt: skip

    @property
    def version(self) -> int:
        return self.baseline.version


def learn(
    hourly: HourlyValues, until_s: float, kind: EquipmentKind, version: int = 1, since_s: float | None = None
) -> CircuitModel:
    """Learn a circuit's model from its hours in ``since_s`` .. ``until_s`` (believed healthy)."""
    baseline = fit_baseline(hourly, until_s, version, since_s)
    window = (hourly.hour_s >= baseline.trained_from) & (hourly.hour_s + 3600.0 <= until_s)
    train = hourly.slice(int(np.argmax(window)), int(len(window) - np.argmax(window[::-1])))
    channels = {key for key, values in hourly.values.items() if np.isfinite(values).any()}
    prior = prior_for(kind, channels)
    residuals = baseline.residuals(train)
    expected = baseline.expected(train)
    smoothed = {key: ewma_series(residuals[key] / m.sigma, HALF_LIFE_VALUES_H) for key, m in baseline.models.items()}
    smoothed_sigma = {key: max(_robust_std(values), SMOOTHED_SIGMA_FLOOR) for key, values in smoothed.items()}
    share = np.full(len(train), np.nan)
    if prior.indicator in residuals:
        share = buffer_lost(residuals[prior.indicator], expected[prior.indicator])
    setpoint = train.values["cabinet_setpoint_c"]
    finite_setpoint = setpoint[np.isfinite(setpoint)]
    return CircuitModel(
        kind=kind,
        prior=prior,
        baseline=baseline,
        smoothed_sigma=smoothed_sigma,
        buffer_sigma_hourly=max(_robust_std(share), 0.01),
        buffer_sigma_smoothed=max(_robust_std(ewma_series(share, HALF_LIFE_CHARGE_H)), 0.01),
        setpoints=(float(finite_setpoint.min()), float(finite_setpoint.max())) if finite_setpoint.size else (0.0, 0.0),
        duty=_nanmean(train.values["duty"]),
        bubble_share=_nanmean(train.values["sight_glass_bubbles"]),
        purge_per_hour=_nanmean(train.values["purge_count"]),
        novelty=_novelty(smoothed, smoothed_sigma),
    )


def _novelty(smoothed: Mapping[str, FloatArray], sigma: Mapping[str, float]) -> Novelty | None:
    keys = tuple(k for k in NOVELTY_VALUES if k in smoothed)
    if len(keys) < 3:
        return None
    z = np.column_stack([smoothed[k] / sigma[k] for k in keys])
    z = z[np.isfinite(z).all(axis=1)]
    if len(z) < 10 * len(keys):
        return None
    with threadpool_limits(1):
        mcd = MinCovDet(random_state=0).fit(z)
    # Weeks of hourly values hold few independent samples: shrink the robust covariance halfway to its diagonal
    # so that a correlation seen by chance in the learning window does not make every later hour "novel".
    # (the small ridge keeps a value that never moved in the window from making it singular)
    covariance = 0.5 * mcd.covariance_ + 0.5 * np.diag(np.diag(mcd.covariance_)) + 1e-3 * np.eye(len(keys))
    inverse = np.linalg.inv(covariance)
    d = z - mcd.location_
    in_sample = np.einsum("ij,jk,ik->i", d, inverse, d)
    threshold = max(float(chi2.ppf(1 - NOVELTY_P, len(keys))), 4.0 * float(np.quantile(in_sample, 0.995)))
    precision = tuple(tuple(float(v) for v in row) for row in inverse)
    return Novelty(keys, tuple(float(v) for v in mcd.location_), precision, threshold)


def _robust_std(values: FloatArray) -> float:
    finite = values[np.isfinite(values)]
    if finite.size < 2:
        return 0.0
    return float(np.median(np.abs(finite - np.median(finite)))) * 1.4826


def _nanmean(values: FloatArray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else 0.0
