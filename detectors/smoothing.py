"""Accumulation over hours: EWMA smoothing and a one-sided CUSUM, both skipping hours without data.

A leak is a slow drift of a few hundredths of a spread per hour; one hour says nothing, a day says a lot.
The EWMA is what the thresholds look at; the CUSUM (Page's) catches a small persistent shift sooner than
any fixed threshold on the smoothed value would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from detectors.derived import FloatArray

HALF_LIFE_VALUES_H = 6.0
HALF_LIFE_CHARGE_H = 12.0


def alpha(half_life_h: float) -> float:
    return float(1.0 - 0.5 ** (1.0 / half_life_h))


@dataclass
class Ewma:
    half_life_h: float
    value: float = math.nan

    def update(self, x: float) -> float:
        if math.isfinite(x):
            self.value = x if not math.isfinite(self.value) else self.value + alpha(self.half_life_h) * (x - self.value)
        return self.value


@dataclass
class Cusum:
    """S = max(0, S + x - k): evidence that the mean of x (in spreads) exceeds ``k``."""

    k: float
    value: float = 0.0

    def update(self, x: float) -> float:
        if math.isfinite(x):
            self.value = max(0.0, self.value + x - self.k)
        return self.value


def ewma_series(values: FloatArray, half_life_h: float) -> FloatArray:
    ewma = Ewma(half_life_h)
    return np.array([ewma.update(float(v)) for v in values], dtype=np.float64)
