"""The baseline of daily values (detectors/baseline.py) and the circuit model built on it (detectors/model.py),
learned from a simulated healthy showcase. The checklist compares each value with the unit's own normal value in
stable running (REGULATION.md (c), note 2), so the baseline must predict a healthy unit's hours without bias."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from detectors.baseline import MIN_HOURS, Baseline, InsufficientBaseline, explanatory, fit_baseline
from detectors.charge import PRIORS
from detectors.engine import CircuitDetector, CircuitState, EquipmentSpec
from detectors.features import HourlyValues, hourly_values
from detectors.model import SMOOTHED_SIGMA_FLOOR, CircuitModel, learn
from edge_agent.simulator import SimulatedUnit, simulate
from fluorowatch.domain.equipment import EquipmentKind

START = datetime(2026, 4, 1, tzinfo=UTC)
UNTIL = (START + timedelta(days=14)).timestamp()
INTERVAL_S = 300.0
KIND = EquipmentKind.SHOWCASE_REMOTE


@dataclass(frozen=True)
class Healthy:
    hourly: HourlyValues
    baseline: Baseline
    model: CircuitModel


def _hourly(unit: SimulatedUnit, days: int, drop: tuple[str, ...] = (), interval_s: float = INTERVAL_S) -> HourlyValues:
    result = simulate(unit, "SC-01", START, int(days * 86400 / interval_s), interval_s)
    keep = result.present
    ts = result.ts[keep].astype("datetime64[us]").astype(np.int64) / 1e6
    frame = {key: values[keep] for key, values in result.channels.items() if key not in drop}
    return hourly_values(frame, ts, unit.refrigerant)


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread() -> Iterator[None]:
    """HuberRegressor's L-BFGS runs many tiny BLAS calls; on a busy 2-CPU machine OpenBLAS threads make each fit
    about 20 times slower (seconds instead of 0.1 s) without changing its result."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(scope="module")
def healthy() -> Healthy:
    """20 days of a healthy R404A remote showcase; learned on the first 14."""
    unit = SimulatedUnit(kind=KIND, refrigerant="R404A", charge_kg=12, seed=7)
    hourly = _hourly(unit, 20)
    return Healthy(hourly, fit_baseline(hourly, UNTIL), learn(hourly, UNTIL, KIND))


def _with(hourly: HourlyValues, **values: np.ndarray) -> HourlyValues:
    return HourlyValues(hourly.hour_s, {**hourly.values, **values}, hourly.samples, hourly.stable, hourly.channels)


# --- fitting ------------------------------------------------------------------------------------------------------


def test_the_baseline_learns_the_values_the_unit_reports_and_only_those(healthy: Healthy) -> None:
    models = healthy.baseline.models
    for key in ("suction_pressure_mpag", "discharge_pressure_mpag", "superheat_k", "subcooling_k", "air_dt_k",
                "receiver_level_pct", "cond_approach_k", "cabinet_excess_k"):  # fmt: skip
        assert key in models
    assert "water_dt_k" not in models  # a showcase cools air, it has no chilled water
    assert all(m.sigma > 0 for m in models.values())


def test_the_baseline_records_its_learning_window(healthy: Healthy) -> None:
    b = healthy.baseline
    assert b.version == 1 and b.trained_from == START.timestamp() and b.trained_until == UNTIL
    learned = healthy.hourly.hour_s + 3600.0 <= UNTIL
    assert b.hours == int((healthy.hourly.stable[learned] > 0).sum())
    assert MIN_HOURS <= b.hours <= 14 * 24


def _assert_centred(hourly: HourlyValues, baseline: Baseline) -> None:
    """Departures in spreads: the learned spread inside the window; after it, the spread ``expected_with_spread``
    gives (wider where the weather leaves the learned range)."""
    expected = baseline.expected_with_spread(hourly)
    learned = hourly.hour_s + 3600.0 <= UNTIL
    for key, model in baseline.models.items():
        mean, spread = expected[key]
        z = (hourly.values[key] - mean) / spread
        inside, after = z[learned & np.isfinite(z)], z[~learned & np.isfinite(z)]
        assert inside.size >= MIN_HOURS and after.size >= 24, key
        np.testing.assert_allclose(spread[learned], model.sigma, err_msg=key)
        assert abs(np.median(inside)) < 0.5, key
        assert abs(np.median(after)) < 1.0, key
        # the spread is an honest unit: most hours within 3 (suction-side values have heavy tails from cycling)
        assert np.mean(np.abs(inside) < 3.0) > 0.75, key
        assert np.mean(np.abs(after) < 4.0) > 0.75, key


def test_residuals_of_healthy_hours_are_centred_near_zero(healthy: Healthy) -> None:
    """In the learning window and in the six healthy days after it (which the fit never saw)."""
    _assert_centred(healthy.hourly, healthy.baseline)


def test_residuals_are_centred_at_one_minute_sampling_too() -> None:
    """Finer sampling sees more settled readings per hour (checklist note 2); the baseline must not care."""
    unit = SimulatedUnit(kind=KIND, refrigerant="R404A", charge_kg=12, seed=21)
    hourly = _hourly(unit, 17, interval_s=60.0)
    _assert_centred(hourly, fit_baseline(hourly, UNTIL))


def test_the_condensing_pressure_follows_the_outdoor_air(healthy: Healthy) -> None:
    """Why a fixed normal value cannot serve (module docstring): Pd rises with the ambient."""
    hourly = healthy.hourly
    warmer = _with(hourly, ambient_temp_c=hourly.values["ambient_temp_c"] + 2.0)
    rise = (
        healthy.baseline.expected(warmer)["discharge_pressure_mpag"]
        - healthy.baseline.expected(hourly)["discharge_pressure_mpag"]
    )
    assert np.median(rise) > 0.0


def test_a_value_seen_in_too_few_stable_hours_is_left_out(healthy: Healthy) -> None:
    hourly = healthy.hourly
    sparse = np.full(len(hourly), np.nan)
    sparse[: MIN_HOURS - 1] = 1.0
    baseline = fit_baseline(_with(hourly, water_dt_k=sparse), UNTIL)
    assert "water_dt_k" not in baseline.models


def test_a_constant_value_gets_its_floor_as_spread(healthy: Healthy) -> None:
    hourly = healthy.hourly
    baseline = fit_baseline(_with(hourly, compressor_voltage_v=np.full(len(hourly), 200.0)), UNTIL)
    model = baseline.models["compressor_voltage_v"]
    assert (model.intercept, model.level, model.sigma) == (200.0, 200.0, 0.5)
    assert all(c == 0.0 for c in model.coefficients)


def test_since_restricts_the_learning_window(healthy: Healthy) -> None:
    since = (START + timedelta(days=7)).timestamp()
    baseline = fit_baseline(healthy.hourly, UNTIL, version=2, since_s=since)
    assert baseline.trained_from == since and baseline.version == 2
    assert baseline.hours < healthy.baseline.hours


# --- too little data ------------------------------------------------------------------------------------------------


def test_too_few_hours_before_the_cut_off_raise_insufficient_baseline(healthy: Healthy) -> None:
    with pytest.raises(InsufficientBaseline, match=rf"at least {MIN_HOURS} hours of stable running.*found \d+"):
        fit_baseline(healthy.hourly, START.timestamp() + 10 * 3600.0)


def test_a_cut_off_before_the_first_reading_says_so(healthy: Healthy) -> None:
    with pytest.raises(InsufficientBaseline, match="no readings before the baseline cut-off"):
        fit_baseline(healthy.hourly, START.timestamp() - 3600.0)


def test_hours_without_stable_running_do_not_count(healthy: Healthy) -> None:
    hourly = healthy.hourly
    stopped = HourlyValues(hourly.hour_s, hourly.values, hourly.samples, np.zeros_like(hourly.stable), hourly.channels)
    with pytest.raises(InsufficientBaseline, match="found 0"):
        learn(stopped, UNTIL, KIND)
    assert issubclass(InsufficientBaseline, ValueError)  # the CLI reports it as a usage error


# --- persistence ----------------------------------------------------------------------------------------------------


def _roundtrip(data: dict[str, object]) -> dict[str, object]:
    result: dict[str, object] = json.loads(json.dumps(data))
    return result


def test_baseline_json_roundtrip_gives_identical_predictions(healthy: Healthy) -> None:
    restored = Baseline.from_json(_roundtrip(healthy.baseline.to_json()))
    assert restored == healthy.baseline
    hourly = _with(healthy.hourly, ambient_temp_c=healthy.hourly.values["ambient_temp_c"] + 10.0)  # extrapolating
    for source in (healthy.hourly, hourly):
        original, again = healthy.baseline.expected_with_spread(source), restored.expected_with_spread(source)
        assert original.keys() == again.keys()
        for key, (mean, spread) in original.items():
            np.testing.assert_array_equal(again[key][0], mean)
            np.testing.assert_array_equal(again[key][1], spread)


def test_a_baseline_of_another_format_is_refused(healthy: Healthy) -> None:
    data = {**healthy.baseline.to_json(), "format": 99}
    with pytest.raises(ValueError, match="baseline format 99 is not 1"):
        Baseline.from_json(data)


# --- extrapolation --------------------------------------------------------------------------------------------------


def test_inside_the_learned_range_the_spread_is_the_learned_one(healthy: Healthy) -> None:
    learned = healthy.hourly.slice(0, int(np.searchsorted(healthy.hourly.hour_s, UNTIL - 3600.0, side="right")))
    for key, (_, spread) in healthy.baseline.expected_with_spread(learned).items():
        np.testing.assert_allclose(spread, healthy.baseline.models[key].sigma, rtol=1e-12, err_msg=key)


def test_beyond_the_learned_ambient_the_slope_is_not_trusted_and_the_spread_widens(healthy: Healthy) -> None:
    b, hourly = healthy.baseline, healthy.hourly
    hot = _with(hourly, ambient_temp_c=np.full(len(hourly), b.x_high[0] + 15.0))
    edge = _with(hourly, ambient_temp_c=np.full(len(hourly), b.x_high[0]))
    at_hot, at_edge = b.expected_with_spread(hot), b.expected_with_spread(edge)
    for key in ("discharge_pressure_mpag", "liquid_temp_c", "cond_approach_k"):  # values that follow the ambient
        np.testing.assert_allclose(at_hot[key][0], at_edge[key][0], err_msg=key)  # held at the range's edge
        assert (at_hot[key][1] > 2.0 * b.models[key].sigma).all(), key
        np.testing.assert_allclose(at_edge[key][1], b.models[key].sigma, err_msg=key)
    further = b.expected_with_spread(_with(hourly, ambient_temp_c=np.full(len(hourly), b.x_high[0] + 25.0)))
    assert (further["discharge_pressure_mpag"][1] > at_hot["discharge_pressure_mpag"][1]).all()
    cold = b.expected_with_spread(_with(hourly, ambient_temp_c=np.full(len(hourly), b.x_low[0] - 15.0)))
    assert (cold["discharge_pressure_mpag"][1] > 2.0 * b.models["discharge_pressure_mpag"].sigma).all()


def test_explanatory_columns_are_ambient_setpoint_and_two_daily_harmonics(healthy: Healthy) -> None:
    x = explanatory(healthy.hourly)
    assert x.shape == (len(healthy.hourly), 6)
    np.testing.assert_allclose(x[:, 2] ** 2 + x[:, 3] ** 2, 1.0)
    gappy = healthy.hourly.values["ambient_temp_c"].copy()
    gappy[5] = np.nan
    x = explanatory(_with(healthy.hourly, ambient_temp_c=gappy))
    assert np.isfinite(x).all()  # a missing ambient is filled, never NaN into the regression


# --- the circuit model ----------------------------------------------------------------------------------------------


def test_the_model_learns_what_usual_operation_looked_like(healthy: Healthy) -> None:
    m = healthy.model
    assert m.kind is KIND and m.version == 1
    assert m.baseline == healthy.baseline
    assert m.prior == PRIORS[KIND] and m.prior.indicator == "receiver_level_pct"
    assert m.setpoints == (3.0, 3.0)  # the simulated showcase holds its 3 °C setpoint
    assert 0.05 < m.duty < 1.0
    assert 0.0 <= m.bubble_share < 0.1  # a fully charged unit rarely shows bubbles
    assert all(s >= SMOOTHED_SIGMA_FLOOR for s in m.smoothed_sigma.values())
    assert set(m.smoothed_sigma) == set(m.baseline.models)
    assert m.buffer_sigma_hourly >= 0.01 and m.buffer_sigma_smoothed >= 0.01
    assert m.novelty is not None and "subcooling_k" in m.novelty.keys
    assert m.novelty.distance2(np.asarray(m.novelty.location)) == 0.0
    assert m.novelty.distance2(np.asarray(m.novelty.location) + 50.0) > m.novelty.threshold


def test_without_a_level_sensor_the_model_reads_subcooling(healthy: Healthy) -> None:
    unit = SimulatedUnit(kind=KIND, refrigerant="R404A", charge_kg=12, seed=7)
    model = learn(_hourly(unit, 15, drop=("receiver_level_pct",)), UNTIL, KIND)
    assert model.prior.indicator == "subcooling_k"
    assert model.prior.spread == pytest.approx(1.5 * PRIORS[KIND].spread)


def test_model_json_roundtrip_gives_identical_predictions_and_detections(healthy: Healthy) -> None:
    model = healthy.model
    restored = CircuitModel.from_json(_roundtrip(model.to_json()))
    assert restored == model
    for key, (mean, spread) in model.baseline.expected_with_spread(healthy.hourly).items():
        again = restored.baseline.expected_with_spread(healthy.hourly)[key]
        np.testing.assert_array_equal(again[0], mean)
        np.testing.assert_array_equal(again[1], spread)
    assert model.novelty is not None and restored.novelty is not None
    z = np.linspace(-3.0, 3.0, len(model.novelty.keys))
    assert restored.novelty.distance2(z) == model.novelty.distance2(z)
    spec = EquipmentSpec("SC-01", KIND, "R404A", charge_kg=Decimal("12"))
    runs = [CircuitDetector(spec, m, state=CircuitState(last_hour_s=UNTIL - 3600.0)).process(healthy.hourly)
            for m in (model, restored)]  # fmt: skip
    assert runs[0].events == runs[1].events
    np.testing.assert_array_equal([v.lost_pct for v in runs[0].verdicts], [v.lost_pct for v in runs[1].verdicts])


def test_a_model_without_novelty_survives_json_too(healthy: Healthy) -> None:
    model = replace(healthy.model, novelty=None)
    assert CircuitModel.from_json(_roundtrip(model.to_json())) == model


def test_a_model_of_another_format_is_refused(healthy: Healthy) -> None:
    with pytest.raises(ValueError, match="detector model format"):
        CircuitModel.from_json({**healthy.model.to_json(), "format": 0})
