"""Scenario validation: a bad scenario fails at once with the key and the reason."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from edge_agent.simulator import Leak, SimulatedUnit
from fluorowatch.domain.equipment import EquipmentKind

BASE: dict[str, Any] = {"kind": "showcase_remote", "refrigerant": "R404A", "charge_kg": 10.0, "seed": 1}
ONSET = "2026-03-01T00:00:00+09:00"


def _unit(**changes: Any) -> SimulatedUnit:
    return SimulatedUnit.model_validate({**BASE, **changes})


def test_a_valid_scenario_parses_every_fault_type() -> None:
    unit = _unit(
        faults=[
            {"type": "leak", "onset": ONSET, "rate_pct_per_day": 0.02, "step_pct": 3},
            {"type": "condenser_fouling", "onset": ONSET, "severity": 0.5},
            {"type": "evaporator_icing", "onset": ONSET, "severity": 0.5},
            {"type": "heat_wave", "start": ONSET, "days": 4, "delta_k": 5},
            {"type": "setpoint_change", "at": ONSET, "new_setpoint_c": 1},
            {"type": "sensor_drift", "onset": ONSET, "channel": "liquid_temp_c", "drift_per_day": 0.1},
            {"type": "overcharge", "at": ONSET, "pct": 10},
        ]
    )
    assert isinstance(unit.faults[0], Leak)
    assert [f.type for f in unit.faults][-1] == "overcharge"
    assert unit.kind is EquipmentKind.SHOWCASE_REMOTE
    assert unit.setpoint_c == 3.0  # the kind's default


def test_refrigerant_names_are_normalised() -> None:
    assert _unit(refrigerant="HFC-404A").refrigerant == "R404A"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"colour": "blue"}, "colour"),
        ({"kind": "ice_machine"}, "kind"),
        ({"charge_kg": 0}, "charge_kg"),
        ({"refrigerant": "R515B"}, "R515B is not supported"),
        ({"refrigerant": "R744"}, "critical temperature"),
        ({"cabinet_setpoint_c": 40}, "setpoint 40.0 °C is outside"),
        ({"faults": [{"type": "meteor", "onset": ONSET}]}, "meteor"),
        ({"faults": [{"type": "leak", "onset": ONSET, "rate_pct_per_day": -1}]}, "rate_pct_per_day"),
        ({"faults": [{"type": "leak", "onset": ONSET, "rate_pct_per_day": 1, "speed": 2}]}, "speed"),
        ({"faults": [{"type": "leak", "onset": "2026-03-01T00:00:00", "rate_pct_per_day": 1}]}, "timezone"),
        ({"faults": [{"type": "leak", "onset": ONSET, "rate_pct_per_day": 1, "circuit": 2}]}, "1 circuit"),
        ({"faults": [{"type": "sensor_drift", "onset": ONSET, "channel": "ps", "drift_per_day": 1}]}, "'ps'"),
        (
            {"faults": [{"type": "sensor_drift", "onset": ONSET, "channel": "chw_in_temp_c", "drift_per_day": 1}]},
            "does not report",
        ),
        ({"faults": [{"type": "sensor_drift", "onset": ONSET, "channel": "defrost_on", "drift_per_day": 1}]}, "0/1"),
        ({"faults": [{"type": "overcharge", "at": ONSET, "pct": 80}]}, "pct"),
        ({"faults": [{"type": "heat_wave", "start": ONSET, "days": 3, "delta_k": 30}]}, "delta_k"),
    ],
)
def test_a_bad_scenario_is_refused_naming_the_problem(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _unit(**changes)


def test_a_chiller_cannot_ice_up() -> None:
    with pytest.raises(ValidationError, match="cools water"):
        _unit(kind="chiller", refrigerant="R410A", faults=[{"type": "evaporator_icing", "onset": ONSET, "severity": 1}])
