"""The design of one simulated unit: its kind's profile varied by the unit's seed.

Two units of the same kind differ in size, control settings (superheat, subcooling, cycle time, defrost
schedule, store hours) and receiver fill; sensor offsets are drawn separately (``sensors.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge_agent.simulator.kinds import PROFILES, KindProfile, channels_for, uses_purge_unit
from edge_agent.simulator.rng import Streams
from edge_agent.simulator.scenario import SimulatedUnit
from fluorowatch.domain.equipment import EquipmentKind
from fluorowatch.domain.saturation import ATMOSPHERE_MPA, SaturationTable, saturation_table

__all__ = ["UnitDesign", "unit_design"]

DESIGN_CONDENSER_INLET_C = {"outdoor": 32.0, "indoor": 25.0, "water": 32.0}


@dataclass(frozen=True)
class UnitDesign:
    """Everything fixed about a unit for a whole run."""

    kind: EquipmentKind
    profile: KindProfile
    table: SaturationTable
    channels: tuple[str, ...]
    charge_kg: float
    superheat_k: float
    subcooling_k: float
    evap_td_k: float
    cond_approach_k: float
    liquid_buffer: float
    design_load: float
    receiver_level_pct: float  # receiver (or turbo evaporator) level at nominal charge and design load
    compressor_kw: float  # electrical input at design conditions
    cycle_s: float
    cycle_offset_s: float
    defrost_offset_s: float
    open_h: float  # store hours, local time (Asia/Tokyo)
    close_h: float
    purge: bool

    @property
    def return_offset_k(self) -> float:
        """Return air above the cabinet temperature (store air mixing at the air curtain); 0 for rooms and water."""
        return 1.5 if self.profile.cabinet else 0.0

    @property
    def design_te_c(self) -> float:
        """Evaporating temperature (dew) at the default setpoint and design capacity."""
        return self.profile.setpoint_c + self.return_offset_k - self.evap_td_k

    @property
    def design_tc_c(self) -> float:
        """Condensing temperature (bubble) at the design condenser inlet and heat rejection."""
        return DESIGN_CONDENSER_INLET_C[self.profile.condenser] + self.cond_approach_k

    @property
    def design_pressures_abs_mpa(self) -> tuple[float, float]:
        """Absolute suction and discharge pressure at the design point (transducer ranges scale with them)."""
        ps = float(self.table.dew_pressure_mpag(self.design_te_c)) + ATMOSPHERE_MPA
        return ps, float(self.table.bubble_pressure_mpag(self.design_tc_c)) + ATMOSPHERE_MPA


def unit_design(unit: SimulatedUnit) -> UnitDesign:
    """The unit's design, a pure function of the scenario (same seed, same design)."""
    profile = PROFILES[unit.kind]
    rng = Streams(unit.seed).constants("design")

    def vary(value: float, spread: float = 0.15) -> float:
        return float(value * rng.uniform(1 - spread, 1 + spread))

    cycle_s = vary(profile.cycle_minutes * 60.0, 0.25)
    defrost_s = (profile.defrost_every_h or 24.0) * 3600.0
    return UnitDesign(
        kind=unit.kind,
        profile=profile,
        table=saturation_table(unit.refrigerant),
        channels=channels_for(unit.kind, unit.refrigerant),
        charge_kg=unit.charge_kg,
        superheat_k=vary(profile.superheat_k),
        subcooling_k=vary(profile.subcooling_k),
        evap_td_k=vary(profile.evap_td_k, 0.1),
        cond_approach_k=vary(profile.cond_approach_k, 0.1),
        liquid_buffer=vary(profile.liquid_buffer),
        design_load=vary(profile.design_load, 0.1),
        receiver_level_pct=float(rng.uniform(40.0, 55.0)),
        compressor_kw=float(np.clip(vary(unit.charge_kg / profile.kg_per_kw, 0.2), 0.15, 1500.0)),
        cycle_s=cycle_s,
        cycle_offset_s=float(rng.uniform(0.0, cycle_s)),
        defrost_offset_s=float(rng.uniform(0.0, defrost_s)),
        open_h=float(rng.choice([8.0, 9.0, 10.0])),
        close_h=float(rng.choice([21.0, 22.0, 23.0])),
        purge=uses_purge_unit(unit.kind, unit.refrigerant),
    )
