"""The virtual charge sensor (detectors/charge.py): charge lost read from the liquid buffer, then from the starving
evaporator's superheat (checklist rows e, j, d; REGULATION.md (c)), and the leak rate in kg and t-CO2 a year with
the registry's GWP (REGULATION.md (g))."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from detectors.charge import (
    DAYS_PER_YEAR,
    EMPTY_SHARE,
    PRIORS,
    ChargeEstimate,
    InventoryPrior,
    buffer_lost,
    charge_lost_pct,
    charge_sigma_pct,
    leak_rate,
    prior_for,
)
from fluorowatch.domain.equipment import EquipmentKind
from fluorowatch.domain.refrigerants import RefrigerantRegistry

SHOWCASE = InventoryPrior(liquid_buffer=0.25, spread=0.15, indicator="receiver_level_pct", starved_superheat_k=25.0)


def test_every_kind_has_a_prior_with_a_plausible_buffer() -> None:
    assert set(PRIORS) == set(EquipmentKind)
    for prior in PRIORS.values():
        assert 0.0 < prior.liquid_buffer < 1.0 - EMPTY_SHARE
        assert prior.indicator in ("receiver_level_pct", "subcooling_k")
        assert prior.starved_superheat_k > 0


def test_buffer_lost_is_the_indicators_fall_over_its_baseline() -> None:
    residual = np.array([-2.0, 0.0, 1.0, -10.0])  # observed minus expected
    expected = np.array([8.0, 8.0, 8.0, 40.0])
    np.testing.assert_allclose(buffer_lost(residual, expected), [0.25, 0.0, -0.125, 0.25])


def test_buffer_lost_does_not_blow_up_on_a_tiny_or_negative_baseline() -> None:
    """A subcooling baseline near 0 K (a capillary unit at high load) must not turn noise into a total loss."""
    share = buffer_lost(np.array([-0.25, -0.25, -0.25]), np.array([0.2, 0.0, -1.0]))
    np.testing.assert_allclose(share, [0.5, 0.5, 0.5])  # read against 0.5, the floor


def test_buffer_lost_keeps_missing_hours_missing() -> None:
    share = buffer_lost(np.array([np.nan, -1.0]), np.array([8.0, np.nan]))
    assert np.isnan(share).all()


def test_below_the_seal_the_loss_is_the_buffer_share_times_the_buffer() -> None:
    share = np.array([0.0, 0.2, 0.5, 0.8])
    lost = charge_lost_pct(SHOWCASE, share, np.zeros(4))
    np.testing.assert_allclose(lost, [0.0, 5.0, 12.5, 20.0])  # 25 % of the charge is buffer


def test_while_the_seal_holds_superheat_is_not_read_as_starvation() -> None:
    """Superheat rises for other reasons (row d rules out blockage); below 90 % of the buffer it adds nothing."""
    share = np.array([0.5, 0.89])
    lost = charge_lost_pct(SHOWCASE, share, np.array([25.0, 25.0]))
    np.testing.assert_allclose(lost, 100 * 0.25 * share)


def test_beyond_the_seal_starvation_read_from_superheat_adds_to_the_whole_buffer() -> None:
    share = np.array([1.3, 1.3, 1.3, 1.3, 0.95])
    superheat = np.array([0.0, 25.0, 12.5, 40.0, 12.5])  # K above the baseline
    lost = charge_lost_pct(SHOWCASE, share, superheat)
    rest = 100 * (1.0 - 0.25 - EMPTY_SHARE)  # 60 % between the seal breaking and an empty circuit
    assert lost[0] == pytest.approx(25.0)  # the buffer is capped at all of it
    assert lost[1] == pytest.approx(25.0 + rest)  # starved to nothing: 85 %, only the vapour is left
    assert lost[2] == pytest.approx(25.0 + rest * 0.5 ** (1 / 0.7))  # half the starvation superheat
    assert lost[3] == pytest.approx(lost[1])  # more superheat than starvation gives is still empty
    assert lost[4] == pytest.approx(0.95 * 25.0 + rest * 0.5 ** (1 / 0.7))
    assert lost[2] < lost[1]


def test_a_falling_superheat_or_an_unknown_one_adds_no_starvation() -> None:
    lost = charge_lost_pct(SHOWCASE, np.array([1.0, 1.0]), np.array([-5.0, np.nan]))
    np.testing.assert_allclose(lost, [25.0, 25.0])


def test_a_rise_of_the_indicator_reads_as_more_charge_than_the_baseline() -> None:
    lost = charge_lost_pct(SHOWCASE, np.array([-0.4]), np.array([0.0]))
    assert lost[0] == pytest.approx(-10.0)  # overcharge shows as a negative loss


def test_the_uncertainty_combines_the_indicator_noise_and_the_buffer_size_spread() -> None:
    sigma = charge_sigma_pct(SHOWCASE, np.array([0.0, 20.0]), np.array([0.04, 0.04]))
    noise = 100 * 0.25 * 0.04  # 1 % of the charge
    np.testing.assert_allclose(sigma, [noise, np.hypot(noise, 20.0 * 0.15)])


def test_the_estimates_band_is_two_sigma_either_side() -> None:
    estimate = ChargeEstimate(lost_pct=10.0, sigma_pct=1.5)
    assert (estimate.low_pct, estimate.high_pct) == (7.0, 13.0)


def test_leak_rate_in_kg_and_t_co2_a_year_with_the_registrys_gwp() -> None:
    """REGULATION.md (g): the same GWP as the calculated leakage. 12 kg of R404A losing 0.5 %/day:
    0.005 x 12 kg x 365 = 21.9 kg/yr; x GWP 3920 / 1000 = 85.848 t-CO2/yr."""
    registry = RefrigerantRegistry.default()
    assert registry.gwp("R404A") == 3920
    rate = leak_rate(0.5, Decimal("12"), "R404A", registry)
    assert rate.kg_per_year == Decimal("21.900")
    assert rate.t_co2_per_year == Decimal("85.848")
    assert DAYS_PER_YEAR == 365.0


def test_leak_rate_follows_the_refrigerants_gwp() -> None:
    """R32 (GWP 675): 2 %/day of 3 kg = 0.06 kg/day = 21.9 kg/yr = 14.7825 t-CO2/yr, written to 0.001 t."""
    registry = RefrigerantRegistry.default()
    assert registry.gwp("R32") == 675
    rate = leak_rate(2.0, Decimal("3"), "R32", registry)
    assert (rate.kg_per_year, rate.t_co2_per_year) == (Decimal("21.900"), Decimal("14.782"))


def test_a_custom_blend_in_the_registry_is_used() -> None:
    """A blend registered by the user: 50/50 R32 (675) and R125 (3500) by mass has GWP 2087.5 -> 2088;
    1 %/day of 10 kg = 36.5 kg/yr = 76.212 t-CO2/yr."""
    registry = RefrigerantRegistry.default().with_blend("R499A", {"R32": 50, "R125": 50})
    assert registry.gwp("R499A") == 2088
    rate = leak_rate(1.0, Decimal("10"), "R499A", registry)
    assert (rate.kg_per_year, rate.t_co2_per_year) == (Decimal("36.500"), Decimal("76.212"))


def test_a_negative_slope_is_no_leak() -> None:
    rate = leak_rate(-0.3, Decimal("12"), "R404A", RefrigerantRegistry.default())
    assert (rate.kg_per_year, rate.t_co2_per_year) == (Decimal("0.000"), Decimal("0.000"))


def test_prior_reads_the_receiver_level_where_the_unit_reports_it() -> None:
    prior = prior_for(EquipmentKind.SHOWCASE_REMOTE, {"receiver_level_pct", "subcooling_k"})
    assert prior == PRIORS[EquipmentKind.SHOWCASE_REMOTE]
    assert prior.indicator == "receiver_level_pct"


def test_prior_falls_back_to_subcooling_without_a_level_sensor_and_is_less_sure() -> None:
    base = PRIORS[EquipmentKind.COLD_ROOM]
    prior = prior_for(EquipmentKind.COLD_ROOM, frozenset({"liquid_temp_c", "discharge_pressure_mpag"}))
    assert prior.indicator == "subcooling_k"
    assert prior.liquid_buffer == base.liquid_buffer  # the receiver is still there, only unseen
    assert prior.spread == pytest.approx(1.5 * base.spread)
    assert prior.starved_superheat_k == base.starved_superheat_k


def test_a_kind_without_a_receiver_reads_subcooling_as_designed() -> None:
    prior = prior_for(EquipmentKind.SHOWCASE_BUILTIN, {"subcooling_k", "liquid_temp_c"})
    assert prior == PRIORS[EquipmentKind.SHOWCASE_BUILTIN]
    assert prior.indicator == "subcooling_k"


def test_the_leak_rate_counts_from_where_the_estimate_left_zero() -> None:
    """A week of estimates, flat for four days then losing 1 % a day: 1 %/day, not the flattened 0.4 %/day."""
    from detectors.charge import loss_per_day

    hours = range(7 * 24)
    points = [(h * 3600.0, max(0.0, (h - 96) / 24.0)) for h in hours]
    rate = loss_per_day(points)
    assert rate is not None and abs(rate - 1.0) < 0.02
    assert loss_per_day(points[:5]) is None  # too few estimates to say
