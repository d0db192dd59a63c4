"""Saturation tables from CoolProp: the dew/bubble convention, gauge pressure, blends, and refusals."""

from __future__ import annotations

import CoolProp.CoolProp as CP
import numpy as np
import pytest

from edge_agent.simulator import UnsupportedRefrigerant, saturation_table
from fluorowatch.domain.refrigerants import UnknownRefrigerant
from fluorowatch.domain.saturation import ATMOSPHERE_MPA


@pytest.mark.parametrize("name", ["R404A", "R410A", "R134a", "R32", "R407C", "R22", "R507A"])
def test_pressures_are_gauge_and_match_coolprop(name: str) -> None:
    table = saturation_table(name)
    for t_c in (-30.0, -7.3, 0.0, 12.25, 45.0):
        dew = CP.PropsSI("P", "T", t_c + 273.15, "Q", 1, name) / 1e6 - ATMOSPHERE_MPA
        bubble = CP.PropsSI("P", "T", t_c + 273.15, "Q", 0, name) / 1e6 - ATMOSPHERE_MPA
        assert table.dew_pressure_mpag(t_c) == pytest.approx(dew, rel=2e-3)
        assert table.bubble_pressure_mpag(t_c) == pytest.approx(bubble, rel=2e-3)


def test_evaporating_uses_the_dew_point_and_condensing_the_bubble_point() -> None:
    """R407C glides about 5 K: at one pressure the dew point is warmer than the bubble point, so Te (dew,
    from Ps) and Tc (bubble, from Pd) differ from a single 'saturation' temperature (REGULATION.md (c1))."""
    table = saturation_table("R407C")
    p_mpag = np.array([0.3, 1.5])
    te = table.dew_temperature_c(p_mpag)
    tc = table.bubble_temperature_c(p_mpag)
    assert np.all(te - tc > 4.0)
    np.testing.assert_allclose(table.dew_pressure_mpag(te), p_mpag, atol=1e-4)
    np.testing.assert_allclose(table.bubble_pressure_mpag(tc), p_mpag, atol=1e-4)


@pytest.mark.parametrize("name", ["R448A", "R463A"])
def test_blends_missing_from_coolprops_fluids_use_its_predefined_mixtures(name: str) -> None:
    table = saturation_table(name)
    assert table.coolprop_fluid == f"{name}.mix"
    assert np.all(np.diff(table.dew_abs_mpa) > 0) and np.all(np.diff(table.bubble_abs_mpa) > 0)
    assert np.all(table.bubble_abs_mpa > table.dew_abs_mpa)  # zeotropic: bubble above dew at one temperature
    assert table.t_c[-1] == pytest.approx(70.0)


def test_names_are_normalised_and_tables_built_once() -> None:
    assert saturation_table("HFC-134a").refrigerant == "R134a"
    assert saturation_table("R404A") is saturation_table("R404A")


def test_a_refrigerant_coolprop_lacks_is_refused_by_name() -> None:
    with pytest.raises(UnsupportedRefrigerant, match=r"R515B.*neither a fluid 'R515B' nor a predefined mixture"):
        saturation_table("R515B")


def test_a_transcritical_refrigerant_is_refused() -> None:
    with pytest.raises(UnsupportedRefrigerant, match=r"R744.*critical temperature 31\.0 °C"):
        saturation_table("R744")


def test_text_that_is_no_refrigerant_name_is_refused() -> None:
    with pytest.raises(UnknownRefrigerant):
        saturation_table("freon")
