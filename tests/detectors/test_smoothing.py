"""Accumulation over hours (detectors/smoothing.py): the EWMA the thresholds read and Page's one-sided CUSUM."""

from __future__ import annotations

import math

import numpy as np
import pytest

from detectors.smoothing import HALF_LIFE_CHARGE_H, HALF_LIFE_VALUES_H, Cusum, Ewma, alpha, ewma_series


@pytest.mark.parametrize("half_life_h", [1.0, HALF_LIFE_VALUES_H, HALF_LIFE_CHARGE_H, 24.0])
def test_alpha_halves_the_weight_of_the_past_every_half_life(half_life_h: float) -> None:
    assert (1.0 - alpha(half_life_h)) ** half_life_h == pytest.approx(0.5, rel=1e-12)
    assert 0.0 < alpha(half_life_h) < 1.0


def test_a_longer_half_life_smooths_more() -> None:
    assert alpha(HALF_LIFE_CHARGE_H) < alpha(HALF_LIFE_VALUES_H) < alpha(1.0)


def test_the_first_value_starts_the_ewma_rather_than_being_pulled_towards_zero() -> None:
    ewma = Ewma(6.0)
    assert math.isnan(ewma.value)
    assert ewma.update(4.0) == 4.0


@pytest.mark.parametrize("half_life_h", [HALF_LIFE_VALUES_H, HALF_LIFE_CHARGE_H])
def test_after_one_half_life_of_a_step_the_ewma_is_half_way(half_life_h: float) -> None:
    ewma = Ewma(half_life_h)
    ewma.update(0.0)
    for _ in range(int(half_life_h)):
        value = ewma.update(1.0)
    assert value == pytest.approx(0.5, abs=1e-12)
    for _ in range(int(half_life_h)):
        value = ewma.update(1.0)
    assert value == pytest.approx(0.75, abs=1e-12)  # and half of the rest after the next one


def test_hours_without_data_are_skipped_not_counted_as_zero() -> None:
    ewma = Ewma(6.0)
    assert math.isnan(ewma.update(math.nan))  # nothing seen yet
    ewma.update(2.0)
    assert ewma.update(math.nan) == 2.0
    assert ewma.update(math.inf) == 2.0
    with_gap = [ewma.update(x) for x in (3.0, math.nan, math.nan, 3.0)]
    without = Ewma(6.0)
    without.update(2.0)
    assert [without.update(x) for x in (3.0, 3.0)] == [with_gap[0], with_gap[-1]]  # a gap pauses, never decays


def test_ewma_series_is_the_ewma_applied_hour_by_hour() -> None:
    values = np.array([np.nan, 1.0, 2.0, np.nan, 5.0, -1.0])
    series = ewma_series(values, 3.0)
    ewma = Ewma(3.0)
    expected = [ewma.update(float(v)) for v in values]
    np.testing.assert_array_equal(series, np.array(expected))
    assert math.isnan(series[0]) and series[3] == series[2]


def test_cusum_accumulates_the_excess_over_k() -> None:
    cusum = Cusum(k=1.0)
    assert [cusum.update(x) for x in (3.0, 2.0, 1.5)] == [2.0, 3.0, 3.5]


def test_cusum_never_goes_below_zero_and_restarts_from_zero() -> None:
    cusum = Cusum(k=1.0)
    cusum.update(3.0)
    assert cusum.update(-10.0) == 0.0  # the evidence is spent, not owed
    assert cusum.update(0.5) == 0.0  # below k: no evidence
    assert cusum.update(2.0) == 1.0  # starts again from zero, not from a negative balance


def test_cusum_skips_hours_without_data() -> None:
    cusum = Cusum(k=0.5)
    cusum.update(2.0)
    assert cusum.update(math.nan) == 1.5
    assert cusum.update(-math.inf) == 1.5


def test_a_small_persistent_shift_crosses_a_cusum_threshold_that_white_noise_does_not() -> None:
    """The reason for the CUSUM: a shift of 1.5 spreads (k = 1) adds up; noise around zero does not."""
    rng = np.random.default_rng(3)
    noise, shifted = Cusum(k=1.0), Cusum(k=1.0)
    for x in rng.normal(0.0, 1.0, 500):
        assert noise.update(float(x)) < 24.0
    for x in rng.normal(1.5, 1.0, 100):
        shifted.update(float(x))
    assert shifted.value > 24.0
