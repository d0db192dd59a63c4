"""The seeded scenario set of the detection benchmark: leaks at many rates on every kind, healthy runs, and
runs with one confounder each (faults and events that are not leaks).

Air conditioners and chillers start between May and August so that their 14-day learning window has cooling
load (in spring a chiller may not run stably for a single hour); refrigeration starts in any month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from bench.units import UNITS
from edge_agent.simulator import SimulatedUnit
from edge_agent.simulator.kinds import PROFILES, channels_for
from fluorowatch.domain.equipment import EquipmentKind

BASELINE_DAYS = 14
COOLING_SEASON_ONLY = {EquipmentKind.PACKAGE_AC, EquipmentKind.CHILLER, EquipmentKind.TURBO_CHILLER}
CONFOUNDERS = (
    "condenser_fouling",
    "evaporator_icing",
    "heat_wave",
    "setpoint_change",
    "sensor_drift",
    "overcharge",
)
DRIFTING = {  # channel: (smallest, largest) drift per day, either sign
    "liquid_temp_c": (0.02, 0.1),
    "suction_temp_c": (0.02, 0.1),
    "discharge_temp_c": (0.05, 0.3),
    "ambient_temp_c": (0.02, 0.1),
    "suction_pressure_mpag": (0.0005, 0.003),
    "discharge_pressure_mpag": (0.001, 0.005),
    "receiver_level_pct": (0.05, 0.3),
}


@dataclass(frozen=True)
class Scenario:
    name: str
    group: str  # leak | healthy | one of CONFOUNDERS
    unit: SimulatedUnit
    start: datetime
    days: int
    onset_day: float | None  # leaks and confounders

    @property
    def baseline_until(self) -> datetime:
        return self.start + timedelta(days=BASELINE_DAYS)


def scenarios(
    seed: int = 2026, leaks_per_kind: int = 6, healthy_per_kind: int = 2, per_confounder: int = 12
) -> list[Scenario]:
    rng = np.random.default_rng(seed)
    found = []
    for kind in UNITS:
        for i in range(leaks_per_kind):
            found.append(_scenario(rng, f"leak-{kind.value}-{i}", "leak", kind))
        for i in range(healthy_per_kind):
            found.append(_scenario(rng, f"healthy-{kind.value}-{i}", "healthy", kind))
    for confounder in CONFOUNDERS:
        kinds = [k for k in UNITS if confounder != "evaporator_icing" or PROFILES[k].medium == "air"]
        for i in range(per_confounder):
            kind = kinds[i % len(kinds)]
            found.append(_scenario(rng, f"{confounder}-{kind.value}-{i}", confounder, kind))
    return found


def _scenario(rng: np.random.Generator, name: str, group: str, kind: EquipmentKind) -> Scenario:
    refrigerant, charge = UNITS[kind]
    months = range(5, 9) if kind in COOLING_SEASON_ONLY else range(1, 13)
    start = datetime(2026, int(rng.choice(list(months))), int(rng.integers(1, 28)), tzinfo=UTC)
    days = int(rng.integers(60, 121))
    onset_day = float(rng.uniform(BASELINE_DAYS + 2, 40)) if group != "healthy" else None
    faults = [] if onset_day is None else [_fault(rng, group, kind, refrigerant, start + timedelta(days=onset_day))]
    unit = SimulatedUnit.model_validate(
        {"kind": kind, "refrigerant": refrigerant, "charge_kg": charge, "seed": int(rng.integers(0, 2**31)),
         "faults": faults}
    )  # fmt: skip
    return Scenario(name, group, unit, start, days, onset_day)


def _fault(rng: np.random.Generator, group: str, kind: EquipmentKind, refrigerant: str, at: datetime) -> dict[str, Any]:
    when = at.isoformat()
    if group == "leak":
        step = float(rng.uniform(1.0, 3.0)) if rng.random() < 0.25 else 0.0
        rate = float(np.exp(rng.uniform(np.log(0.05), np.log(5.0))))
        return {"type": "leak", "onset": when, "rate_pct_per_day": rate, "step_pct": step}
    if group == "condenser_fouling":
        return {"type": group, "onset": when, "severity": float(rng.uniform(0.3, 0.8)),
                "ramp_days": float(rng.uniform(5, 20))}  # fmt: skip
    if group == "evaporator_icing":
        return {"type": group, "onset": when, "severity": float(rng.uniform(0.3, 0.8)),
                "ramp_days": float(rng.uniform(1, 5))}  # fmt: skip
    if group == "heat_wave":
        return {"type": group, "start": when, "days": float(rng.uniform(3, 10)), "delta_k": float(rng.uniform(4, 10))}
    if group == "setpoint_change":
        low, high = PROFILES[kind].setpoint_range_c
        base = PROFILES[kind].setpoint_c
        new = float(np.clip(base + rng.choice([-1, 1]) * rng.uniform(2, 5), low, high))
        return {"type": group, "at": when, "new_setpoint_c": new}
    if group == "sensor_drift":
        available = [c for c in DRIFTING if c in channels_for(kind, refrigerant)]
        channel = str(rng.choice(available))
        low, high = DRIFTING[channel]
        return {"type": group, "onset": when, "channel": channel,
                "drift_per_day": float(rng.choice([-1, 1]) * rng.uniform(low, high))}  # fmt: skip
    if group == "overcharge":
        return {"type": group, "at": when, "pct": float(rng.uniform(5, 20))}
    raise ValueError(group)
