"""Derived values of the indirect method (REGULATION.md (c)): saturation temperatures, SH, SC, ΔT, masks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import CoolProp.CoolProp as CP
import numpy as np
import pytest

from detectors.derived import derive
from edge_agent.simulator.run import simulate
from edge_agent.simulator.scenario import Leak, SimulatedUnit
from fluorowatch.domain.equipment import EquipmentKind

START = datetime(2026, 4, 1, tzinfo=UTC)


def test_te_is_the_dew_point_and_tc_the_bubble_point_at_the_gauge_pressures() -> None:
    """R407C is a zeotrope: dew and bubble temperatures differ by several kelvin at one pressure."""
    ps, pd = 0.35, 1.60  # MPa gauge
    frame = {"suction_pressure_mpag": np.array([ps]), "discharge_pressure_mpag": np.array([pd]),
             "suction_temp_c": np.array([5.0]), "liquid_temp_c": np.array([35.0])}  # fmt: skip
    derived = derive(frame, np.array([0.0]), "R407C")
    dew = CP.PropsSI("T", "P", (ps + 0.101325) * 1e6, "Q", 1, "R407C") - 273.15
    bubble = CP.PropsSI("T", "P", (pd + 0.101325) * 1e6, "Q", 0, "R407C") - 273.15
    assert derived.evap_sat_temp_c[0] == pytest.approx(dew, abs=0.05)
    assert derived.cond_sat_temp_c[0] == pytest.approx(bubble, abs=0.05)
    assert derived.superheat_k[0] == pytest.approx(5.0 - dew, abs=0.05)  # row d: SH = Ts - Te
    assert derived.subcooling_k[0] == pytest.approx(bubble - 35.0, abs=0.05)  # row e: SC = Tc - Td


def test_the_controllers_own_saturation_temperature_is_used_where_it_reports_one() -> None:
    frame = {"suction_pressure_mpag": np.array([0.35, 0.35]), "evap_sat_temp_c": np.array([-3.0, np.nan])}
    te = derive(frame, np.array([0.0, 60.0]), "R404A").evap_sat_temp_c
    assert te[0] == -3.0
    assert te[1] == pytest.approx(CP.PropsSI("T", "P", 0.451325e6, "Q", 1, "R404A") - 273.15, abs=0.05)


def test_temperature_differences_are_inlet_minus_outlet() -> None:
    """Row g: a small air or chilled-water ΔT is suspicious; ΔT = inlet - outlet while cooling."""
    frame = {"air_in_temp_c": np.array([5.0]), "air_out_temp_c": np.array([-1.0]),
             "chw_in_temp_c": np.array([12.0]), "chw_out_temp_c": np.array([7.0])}  # fmt: skip
    derived = derive(frame, np.array([0.0]), "R410A")
    assert (derived.air_dt_k[0], derived.water_dt_k[0]) == (6.0, 5.0)


def test_defrost_and_stops_are_masked_and_steady_needs_five_minutes_of_running() -> None:
    minutes = np.arange(40, dtype=np.float64) * 60.0
    on = np.ones(40)
    on[15:18] = 0  # compressor off for 3 minutes
    defrost = np.zeros(40)
    defrost[30:33] = 1
    derived = derive({"compressor_on": on, "defrost_on": defrost}, minutes, "R404A")
    assert not derived.running[15:18].any() and not derived.running[30:33].any()
    assert derived.steady.tolist() == [5 <= i < 15 or 23 <= i < 30 or i >= 38 for i in range(40)]


def test_as_charge_leaks_the_derived_subcooling_falls_and_superheat_rises_in_steady_running() -> None:
    """REGULATION.md (c) rows d and e, on the simulator's physics: 20 days at 2 %/day from a healthy start."""
    unit = SimulatedUnit(kind=EquipmentKind.SHOWCASE_REMOTE, refrigerant="R404A", charge_kg=10, seed=11,
                         faults=(Leak(onset=START + timedelta(days=2), rate_pct_per_day=2.0),))  # fmt: skip
    result = simulate(unit, "SC-01", START, 20 * 1440, 60.0)
    frame = dict(result.traces[0].channels)
    ts = (result.ts - result.ts[0]).astype("timedelta64[s]").astype(np.float64)
    derived = derive(frame, ts, "R404A")
    day = ts / 86400
    early, late = derived.steady & (day < 2), derived.steady & (day > 17)
    assert early.sum() > 100 and late.sum() > 100
    assert np.nanmedian(derived.subcooling_k[late]) < np.nanmedian(derived.subcooling_k[early]) - 1.0
    assert np.nanmedian(derived.superheat_k[late]) > np.nanmedian(derived.superheat_k[early]) + 1.0
