"""Faults that are not leaks move the values their own way (the "must rule out first" column of
REGULATION.md (c)), and none of them shows a leak's signature: subcooling down together with superheat up.

Each confounder starts at day 1 and is compared with the healthy run of the same seed from day 2.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from edge_agent.simulator import SimulationResult
from fluorowatch.domain.equipment import EquipmentKind

SHOWCASE = EquipmentKind.SHOWCASE_REMOTE
CRITICAL = EquipmentKind.SHOWCASE_BUILTIN
CHILLER = EquipmentKind.CHILLER


def _confounder(lab, kind: EquipmentKind, fault: dict[str, Any]) -> tuple[SimulationResult, SimulationResult]:
    return lab.run(kind, [fault], days=4), lab.run(kind, days=4)


def _shift(lab, pair: tuple[SimulationResult, SimulationResult], name: str) -> float:
    confounded, healthy = pair
    return float(lab.shift(confounded, healthy, name, mask=lab.after(healthy, 2)))


def _fouling(lab) -> dict[str, Any]:
    return {"type": "condenser_fouling", "onset": lab.at(1), "severity": 0.6, "ramp_days": 1}


def _icing(lab) -> dict[str, Any]:
    return {"type": "evaporator_icing", "onset": lab.at(1), "severity": 0.6, "ramp_days": 1}


def _heat_wave(lab) -> dict[str, Any]:
    return {"type": "heat_wave", "start": lab.at(1), "days": 5, "delta_k": 6.0}


def _setpoint(lab, kind: EquipmentKind) -> dict[str, Any]:
    lower = {SHOWCASE: 0.0, CRITICAL: 0.0, CHILLER: 5.0}[kind]
    return {"type": "setpoint_change", "at": lab.at(1), "new_setpoint_c": lower}


def _overcharge(lab) -> dict[str, Any]:
    return {"type": "overcharge", "at": lab.at(1), "pct": 30.0}


@pytest.mark.parametrize("kind", [SHOWCASE, CRITICAL, CHILLER])
def test_condenser_fouling_raises_head_pressure_and_discharge_temperature(lab, kind: EquipmentKind) -> None:
    """Pd and discharge temperature up (a leak lowers Pd); subcooling and superheat stay put."""
    pair = _confounder(lab, kind, _fouling(lab))
    assert _shift(lab, pair, "discharge_pressure_mpag") > 0.1
    assert _shift(lab, pair, "discharge_temp_c") > 5.0
    assert abs(_shift(lab, pair, "subcooling")) < 0.3
    assert abs(_shift(lab, pair, "superheat")) < 0.3


@pytest.mark.parametrize("kind", [SHOWCASE, CRITICAL])
def test_evaporator_icing_lowers_suction_pressure_and_superheat(lab, kind: EquipmentKind) -> None:
    """Ps down like a leak, but superheat down (not up), air difference down, subcooling unchanged."""
    pair = _confounder(lab, kind, _icing(lab))
    assert _shift(lab, pair, "suction_pressure_mpag") < -0.03
    assert _shift(lab, pair, "superheat") < -0.5
    assert _shift(lab, pair, "medium_dt") < -0.5
    assert abs(_shift(lab, pair, "subcooling")) < 0.3


@pytest.mark.parametrize("kind", [SHOWCASE, CHILLER])
def test_heat_wave_raises_head_pressure_with_the_ambient(lab, kind: EquipmentKind) -> None:
    """Pd follows the outdoor air up; the refrigerant inventory, so SC and SH, does not change."""
    pair = _confounder(lab, kind, _heat_wave(lab))
    assert _shift(lab, pair, "ambient_temp_c") > 4.0
    assert _shift(lab, pair, "discharge_pressure_mpag") > 0.1
    assert abs(_shift(lab, pair, "subcooling")) < 0.3
    assert abs(_shift(lab, pair, "superheat")) < 0.3


@pytest.mark.parametrize("kind", [SHOWCASE, CRITICAL, CHILLER])
def test_lower_setpoint_lowers_suction_pressure_and_says_so(lab, kind: EquipmentKind) -> None:
    """Row a's "change caused by control": Ps follows the setpoint down, and the setpoint channel shows why."""
    pair = _confounder(lab, kind, _setpoint(lab, kind))
    assert _shift(lab, pair, "suction_pressure_mpag") < -0.02
    assert _shift(lab, pair, "cabinet_setpoint_c") < -1.5
    assert abs(_shift(lab, pair, "subcooling")) < 0.3
    assert abs(_shift(lab, pair, "superheat")) < 0.3


@pytest.mark.parametrize("key", ["suction_temp_c", "suction_pressure_mpag", "liquid_temp_c", "compressor_current_a"])
def test_sensor_drift_moves_one_channel_only(lab, key: str) -> None:
    drift = {"type": "sensor_drift", "onset": lab.at(1), "channel": key, "drift_per_day": 0.5}
    drifting, healthy = _confounder(lab, SHOWCASE, drift)
    for other in healthy.channel_keys:
        same = np.array_equal(drifting.channels[other], healthy.channels[other], equal_nan=True)
        assert same == (other != key), other
    moved = drifting.channels[key] - healthy.channels[key]
    assert np.nanmax(moved) == pytest.approx(0.5 * 3.0, abs=0.01)


@pytest.mark.parametrize("kind", [CRITICAL, CHILLER])
def test_overcharge_raises_subcooling_and_head_pressure(lab, kind: EquipmentKind) -> None:
    """Without a receiver the extra liquid backs up into the condenser: SC and Pd up; superheat unchanged."""
    pair = _confounder(lab, kind, _overcharge(lab))
    assert _shift(lab, pair, "subcooling") > 1.0
    assert _shift(lab, pair, "discharge_pressure_mpag") > 0.01
    assert abs(_shift(lab, pair, "superheat")) < 0.3


def test_a_receiver_takes_an_overcharge_until_it_is_full(lab) -> None:
    """30 % extra only raises the receiver level; 50 % fills it, and the rest floods the condenser."""
    moderate = _confounder(lab, SHOWCASE, _overcharge(lab))
    assert _shift(lab, moderate, "receiver_level_pct") > 20.0
    assert abs(_shift(lab, moderate, "subcooling")) < 0.3
    heavy = _confounder(lab, SHOWCASE, {**_overcharge(lab), "pct": 50.0})
    assert np.nanmean(heavy[0].channels["receiver_level_pct"][lab.after(heavy[0], 2)]) > 85.0
    assert _shift(lab, heavy, "subcooling") > 1.0
    assert _shift(lab, heavy, "discharge_pressure_mpag") > 0.01
    assert abs(_shift(lab, heavy, "superheat")) < 0.3


CONFOUNDERS = ["fouling", "icing", "heat_wave", "setpoint", "overcharge"]


@pytest.mark.parametrize(
    ("kind", "name"),
    # A chiller's evaporator cools water and cannot ice up.
    [
        (kind, name)
        for kind in (SHOWCASE, CRITICAL, CHILLER)
        for name in CONFOUNDERS
        if (kind, name) != (CHILLER, "icing")
    ],
)
def test_no_confounder_lowers_subcooling_while_raising_superheat(lab, kind: EquipmentKind, name: str) -> None:
    """The leak signature (rows d and e together) belongs to leaks alone."""
    fault = _setpoint(lab, kind) if name == "setpoint" else globals()[f"_{name}"](lab)
    pair = _confounder(lab, kind, fault)
    assert not (_shift(lab, pair, "subcooling") < -0.5 and _shift(lab, pair, "superheat") > 0.5)
    leak = _confounder(lab, kind, lab.step_leak(40.0, days=1))
    assert _shift(lab, leak, "subcooling") < -0.5 and _shift(lab, leak, "superheat") > 0.5
