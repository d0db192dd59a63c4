"""A developing leak: which values move first, how big the liquid buffer is, and the ground truth."""

from __future__ import annotations

import numpy as np
import pytest

from edge_agent.simulator import SimulationResult
from edge_agent.simulator.faults import MIN_CHARGE_FRACTION
from fluorowatch.domain.equipment import EquipmentKind

RATE_PCT_PER_DAY = 2.0
DAYS = 24
WINDOW_STEPS = 1440  # a day at 60 s
CRITICALLY_CHARGED = [EquipmentKind.SHOWCASE_BUILTIN, EquipmentKind.REFRIGERATOR, EquipmentKind.PACKAGE_AC]
WITH_RECEIVER = [EquipmentKind.SHOWCASE_REMOTE, EquipmentKind.COLD_ROOM, EquipmentKind.CONDENSING_UNIT]


def _slow_leak(lab, kind: EquipmentKind) -> tuple[SimulationResult, SimulationResult]:
    leak = {"type": "leak", "onset": lab.at(1), "rate_pct_per_day": RATE_PCT_PER_DAY}
    return lab.run(kind, [leak], days=DAYS), lab.run(kind, days=DAYS)


def _first_window(lab, leaking: SimulationResult, healthy: SimulationResult, name: str, limit: float) -> int:
    """Index of the first day whose matched mean shift passes ``limit`` (sign gives the side)."""
    matched = lab.steady(leaking, healthy)
    for window in range(leaking.ts.size // WINDOW_STEPS):
        part = np.zeros_like(matched)
        part[window * WINDOW_STEPS : (window + 1) * WINDOW_STEPS] = True
        if (matched & part).sum() <= 30:
            continue
        shift = lab.shift(leaking, healthy, name, mask=part)
        if (limit < 0 and shift < limit) or (limit > 0 and shift > limit):
            return window
    return 10**9


@pytest.mark.parametrize("kind", list(EquipmentKind))
def test_subcooling_falls_before_superheat_rises_and_suction_pressure_drops(lab, kind: EquipmentKind) -> None:
    """The leak empties the liquid inventory first (row e), then starves the evaporator (rows d and a)."""
    leaking, healthy = _slow_leak(lab, kind)
    subcooling = _first_window(lab, leaking, healthy, "subcooling", -0.5)
    superheat = _first_window(lab, leaking, healthy, "superheat", 0.5)
    evaporating = _first_window(lab, leaking, healthy, "evap_sat_temp_c", -0.5)
    assert subcooling < superheat < 10**9
    assert subcooling < evaporating


def _fraction_when_superheat_rises(lab, kind: EquipmentKind) -> float:
    leaking, healthy = _slow_leak(lab, kind)
    window = _first_window(lab, leaking, healthy, "superheat", 0.5)
    return float(leaking.traces[0].charge_fraction[window * WINDOW_STEPS])


@pytest.mark.parametrize("kind", CRITICALLY_CHARGED)
def test_critically_charged_units_have_a_small_liquid_buffer(lab, kind: EquipmentKind) -> None:
    """Capillary or no receiver: superheat moves within the first ~12 % of loss."""
    assert _fraction_when_superheat_rises(lab, kind) > 0.85


@pytest.mark.parametrize("kind", WITH_RECEIVER)
def test_units_with_a_receiver_hide_the_first_fifth_of_a_leak_from_superheat(lab, kind: EquipmentKind) -> None:
    """The receiver feeds the expansion valve until it runs dry; only its level and subcooling show the loss."""
    assert _fraction_when_superheat_rises(lab, kind) < 0.8


def test_ground_truth_is_the_nominal_charge_minus_what_leaked(lab) -> None:
    kind = EquipmentKind.SHOWCASE_REMOTE
    leak = {"type": "leak", "onset": lab.at(1), "rate_pct_per_day": 2.0, "step_pct": 5.0}
    result = lab.run(kind, [leak], days=3)
    trace = result.traces[0]
    days = np.arange(result.ts.size) * 60.0 / 86400.0
    expected = np.where(days < 1, 12.0, 12.0 * (1 - 0.05 - 0.02 * (days - 1)))
    np.testing.assert_allclose(trace.remaining_charge_kg, expected, rtol=1e-9)
    np.testing.assert_allclose(trace.charge_fraction, expected / 12.0, rtol=1e-9)


def test_a_leak_never_empties_the_circuit_below_its_vapour(lab) -> None:
    result = lab.run(EquipmentKind.SHOWCASE_REMOTE, [lab.step_leak(80.0), lab.step_leak(80.0)], days=1)
    assert result.traces[0].charge_fraction.min() == pytest.approx(MIN_CHARGE_FRACTION)


def test_overcharge_adds_to_the_charge_at_the_service_visit(lab) -> None:
    overcharge = {"type": "overcharge", "at": lab.at(1), "pct": 20.0}
    trace = lab.run(EquipmentKind.CHILLER, [overcharge], days=2).traces[0]
    assert trace.remaining_charge_kg[0] == pytest.approx(12.0)
    assert trace.remaining_charge_kg[-1] == pytest.approx(14.4)
