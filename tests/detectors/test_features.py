"""Hourly operating values (detectors/features.py): stable-run medians per hour (checklist note 2: normal values
are read while the unit runs stably, REGULATION.md (c)), rates over the hour, and context over every sample."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest

from detectors.derived import SETTLE_MINUTES, derive
from detectors.features import CONTEXT, OPERATING_VALUES, RATES, HourlyValues, hourly_values
from fluorowatch.domain.saturation import saturation_table

T0 = datetime(2026, 4, 1, tzinfo=UTC).timestamp()  # on the hour
MINUTE = 60.0


def _minutes(n: int, interval_s: float = MINUTE, start: float = T0) -> np.ndarray:
    return start + np.arange(n, dtype=np.float64) * interval_s


def test_one_row_per_hour_with_readings_starting_on_the_hour() -> None:
    ts = np.concatenate([_minutes(60, start=T0 + 600.0), _minutes(30, start=T0 + 3 * 3600.0)])
    hourly = hourly_values({"liquid_temp_c": np.full(90, 30.0)}, ts, "R404A")
    # the readings run 00:10-01:09 and 03:00-03:29: hours 0, 1 and 3; hour 2 had none and has no row
    np.testing.assert_array_equal(hourly.hour_s, [T0, T0 + 3600.0, T0 + 3 * 3600.0])
    np.testing.assert_array_equal(hourly.samples, [50, 10, 30])
    assert len(hourly) == 3
    assert set(hourly.values) == {*OPERATING_VALUES, *RATES, *CONTEXT}


def test_defrost_and_settling_are_masked_from_the_hourly_median() -> None:
    """Hour 0: defrost for 40 minutes (readings 99 °C), then running; hour 1: running throughout."""
    n = 120
    defrost = np.zeros(n)
    defrost[:40] = 1
    liquid = np.where(defrost > 0, 99.0, 30.0)
    liquid[60:] = np.arange(60.0)  # hour 1: 0..59, median 29.5
    ambient = np.where(defrost > 0, 10.0, 20.0)
    frame = {"compressor_on": np.ones(n), "defrost_on": defrost, "liquid_temp_c": liquid, "ambient_temp_c": ambient}
    hourly = hourly_values(frame, _minutes(n), "R404A")
    settling = math.ceil(SETTLE_MINUTES)  # readings after a restart that are not yet stable
    assert hourly.values["liquid_temp_c"][0] == 30.0  # not 99: the defrost is out
    assert hourly.values["liquid_temp_c"][1] == 29.5  # the median of an even count is the mid-point
    np.testing.assert_array_equal(hourly.stable, [20 - settling, 60])
    np.testing.assert_array_equal(hourly.samples, [60, 60])
    # context is the mean over every reading of the hour, defrost included
    assert hourly.values["ambient_temp_c"][0] == pytest.approx((40 * 10.0 + 20 * 20.0) / 60)
    assert hourly.values["ambient_temp_c"][1] == 20.0


def test_an_hour_without_stable_running_has_no_operating_values() -> None:
    n = 60
    frame = {"compressor_on": np.zeros(n), "liquid_temp_c": np.full(n, 30.0), "ambient_temp_c": np.full(n, 15.0)}
    hourly = hourly_values(frame, _minutes(n), "R404A")
    assert hourly.stable[0] == 0
    assert math.isnan(hourly.values["liquid_temp_c"][0])
    assert hourly.values["ambient_temp_c"][0] == 15.0  # context is still known
    assert hourly.values["duty"][0] == 0.0


def test_derived_values_are_computed_per_reading_then_bucketed() -> None:
    """SH = Ts - Te and SC = Tc - Td (rows d, e), the condensing approach, the evaporator gap, the cabinet excess
    and the two saturation cross-checks (the controller's Te/Tc against those read from Ps/Pd)."""
    n = 60
    table = saturation_table("R404A")
    ps, pd = 0.35, 1.60
    te = float(table.dew_temperature_c(np.array([ps]))[0])
    tc = float(table.bubble_temperature_c(np.array([pd]))[0])
    frame = {
        "suction_pressure_mpag": np.full(n, ps), "discharge_pressure_mpag": np.full(n, pd),
        "evap_sat_temp_c": np.full(n, te + 1.5),  # the controller's own Te, 1.5 K off its pressure
        "suction_temp_c": np.full(n, 2.0), "liquid_temp_c": np.full(n, 30.0), "ambient_temp_c": np.full(n, 25.0),
        "air_in_temp_c": np.full(n, 5.0), "air_out_temp_c": np.full(n, 1.0),
        "cabinet_temp_c": np.full(n, 4.0), "cabinet_setpoint_c": np.full(n, 3.0),
    }  # fmt: skip
    values = hourly_values(frame, _minutes(n), "R404A").values
    derived = derive(frame, _minutes(n), "R404A")
    assert values["superheat_k"][0] == pytest.approx(2.0 - (te + 1.5))  # the controller's Te is used
    assert values["superheat_k"][0] == pytest.approx(derived.superheat_k[-1])
    assert values["subcooling_k"][0] == pytest.approx(tc - 30.0)
    assert values["cond_approach_k"][0] == pytest.approx(tc - 25.0)
    assert values["evap_gap_k"][0] == pytest.approx(5.0 - (te + 1.5))
    assert values["air_dt_k"][0] == pytest.approx(4.0)  # row g: inlet minus outlet
    assert values["cabinet_excess_k"][0] == pytest.approx(1.0)
    assert values["te_check_k"][0] == pytest.approx(1.5)
    assert math.isnan(values["tc_check_k"][0])  # no controller Tc reported: nothing to check
    assert math.isnan(values["water_dt_k"][0]) and math.isnan(values["receiver_level_pct"][0])


def test_a_chiller_reads_its_leaving_water_as_the_controlled_medium() -> None:
    n = 60
    frame = {"chw_in_temp_c": np.full(n, 12.0), "chw_out_temp_c": np.full(n, 7.5),
             "cabinet_setpoint_c": np.full(n, 7.0), "evap_sat_temp_c": np.full(n, 2.5)}  # fmt: skip
    values = hourly_values(frame, _minutes(n), "R410A").values
    assert values["water_dt_k"][0] == pytest.approx(4.5)  # row g ⑧
    assert values["cabinet_excess_k"][0] == pytest.approx(0.5)
    assert values["evap_gap_k"][0] == pytest.approx(5.0)


def test_bubbles_are_the_share_of_running_readings_with_bubbles() -> None:
    """Row i: bubbles while stopped mean nothing; while running (start-up included) they count."""
    n = 60
    on = np.zeros(n)
    on[30:] = 1
    bubbles = np.zeros(n)
    bubbles[:30] = 1  # while stopped: ignored
    bubbles[30:36] = 1  # 6 of 30 running readings, during the start-up
    hourly = hourly_values({"compressor_on": on, "sight_glass_bubbles": bubbles}, _minutes(n), "R404A")
    assert hourly.values["sight_glass_bubbles"][0] == pytest.approx(0.2)
    assert hourly.values["duty"][0] == pytest.approx(0.5)


def test_purges_are_counted_per_hour_and_scaled_up_for_missing_readings() -> None:
    """Row j (purge count): an hour with half its readings missing must not look like half the purging."""
    purges = np.zeros(120)
    purges[[5, 20, 40]] = 1  # hour 0: 3 purges, all 60 readings
    purges[[65, 70, 80]] = 1  # hour 1: 3 purges in the 30 readings that exist
    purges[90:] = np.nan
    hourly = hourly_values({"purge_count": purges}, _minutes(120), "R123")
    np.testing.assert_allclose(hourly.values["purge_count"], [3.0, 6.0])


def test_duty_is_unknown_for_a_unit_that_does_not_report_its_compressor() -> None:
    hourly = hourly_values({"liquid_temp_c": np.full(60, 30.0)}, _minutes(60), "R404A")
    assert math.isnan(hourly.values["duty"][0])
    assert hourly.values["liquid_temp_c"][0] == 30.0  # taken as running


def test_defrost_counts_against_the_duty() -> None:
    defrost = np.zeros(60)
    defrost[:15] = 1
    hourly = hourly_values({"compressor_on": np.ones(60), "defrost_on": defrost}, _minutes(60), "R404A")
    assert hourly.values["duty"][0] == pytest.approx(0.75)


@pytest.mark.parametrize(("interval_s", "has_value"), [(300.0, False), (900.0, True)])
def test_coarse_sampling_reads_running_samples_because_it_cannot_see_a_settled_run(
    interval_s: float, has_value: bool
) -> None:
    """A unit cycling on and off between readings: at 5 min no reading is settled, at 15 min every running one
    is used (a 15-minute sampler cannot see a settled run)."""
    n = 48
    on = (np.arange(n) % 2 == 0).astype(np.float64)
    frame = {"compressor_on": on, "liquid_temp_c": np.full(n, 30.0)}
    hourly = hourly_values(frame, _minutes(n, interval_s), "R404A")
    assert np.isfinite(hourly.values["liquid_temp_c"]).tolist() == [has_value] * len(hourly)
    assert (hourly.stable > 0).tolist() == [has_value] * len(hourly)


def test_channels_are_the_keys_with_any_value() -> None:
    frame = {"liquid_temp_c": np.full(60, 30.0), "receiver_level_pct": np.full(60, np.nan)}
    assert hourly_values(frame, _minutes(60), "R404A").channels == frozenset({"liquid_temp_c"})


def test_slice_keeps_rows_and_channels_together() -> None:
    n = 4 * 60
    frame = {"liquid_temp_c": np.repeat([30.0, 31.0, 32.0, 33.0], 60)}
    hourly = hourly_values(frame, _minutes(n), "R404A")
    part = hourly.slice(1, 3)
    assert isinstance(part, HourlyValues) and len(part) == 2
    np.testing.assert_array_equal(part.hour_s, hourly.hour_s[1:3])
    np.testing.assert_array_equal(part.values["liquid_temp_c"], [31.0, 32.0])
    np.testing.assert_array_equal(part.samples, [60, 60])
    assert part.channels == hourly.channels
