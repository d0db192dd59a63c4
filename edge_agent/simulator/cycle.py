"""The quasi-steady vapour-compression cycle of one refrigerant circuit, vectorised over time steps.

Charge inventory (what a leak changes, REGULATION.md (c)): the charge above the amount that keeps a liquid
seal at the expansion device is the *liquid buffer* (receiver, condenser sump, or the flooded evaporator of
a turbo chiller). A leak first drains that buffer: receiver level and subcooling fall while superheat and
suction pressure stay where the expansion valve holds them. Once the seal is lost, flash gas reaches the
sight glass, the evaporator starves (superheat up, Ps down), the compressor pumps less gas (current down,
discharge temperature up), heat rejection and Pd fall, and at large deficits the load is no longer met.
Critically charged units (capillary tube, no receiver) have a buffer of a few % of the charge only; without
a receiver the condenser holds the liquid, so losing it also frees condensing area and lowers Pd early.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from edge_agent.simulator.context import Context
from edge_agent.simulator.design import UnitDesign
from edge_agent.simulator.faults import FaultTimeline
from fluorowatch.domain.saturation import ATMOSPHERE_MPA

__all__ = ["EMPTY_FRACTION", "Inventory", "Running", "inventory", "running", "speed_and_capacity"]

FloatArray = npt.NDArray[np.float64]
EMPTY_FRACTION = 0.15  # charge left when the circuit has effectively stopped cooling
CAPACITY_LOSS_WHEN_EMPTY = 0.85
KELVIN = 273.15
_SUBCOOLER_AREA_SHARE = 0.25  # condenser area holding subcooled liquid at nominal charge (no receiver)


@dataclass(frozen=True)
class Inventory:
    margin: FloatArray  # 1 at nominal charge, 0 when the liquid seal breaks, > 1 when overcharged
    starvation: FloatArray  # 0 while the seal holds, 1 when (nearly) empty


@dataclass(frozen=True)
class Running:
    """The cycle as it would be with the compressor running at this step."""

    speed: FloatArray
    delivered: FloatArray  # capacity delivered while running, share of design capacity
    te: FloatArray
    tc: FloatArray
    superheat: FloatArray
    subcooling: FloatArray
    level_pct: FloatArray


def inventory(design: UnitDesign, charge_fraction: FloatArray) -> Inventory:
    """Where the charge is: the liquid-buffer margin and, below it, how starved the evaporator is."""
    seal = 1.0 - design.liquid_buffer
    return Inventory(
        margin=(charge_fraction - seal) / design.liquid_buffer,
        starvation=np.clip((seal - charge_fraction) / (seal - EMPTY_FRACTION), 0.0, 1.0),
    )


def speed_and_capacity(
    design: UnitDesign, context: Context, faults: FaultTimeline, inv: Inventory, load: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Compressor speed share and capacity per unit speed (share of design capacity).

    Modulating units (inverter, guide vanes) set speed from the load and their healthy capacity: a starved
    evaporator cannot be fed by running faster, so lost charge is not compensated.
    """
    approach = design.cond_approach_k * (1.0 + 2.0 * faults.fouling)
    derate = 1.0 - 0.012 * (context.condenser_in_c + approach - design.design_tc_c)
    healthy = np.clip(derate * (1.0 - 0.4 * faults.icing), 0.2, 1.3)
    capacity = healthy * _fed_share(inv.starvation)
    if design.profile.cycling:
        return np.ones_like(load), capacity
    return np.clip(load / healthy, design.profile.min_speed, 1.0), capacity


def running(
    design: UnitDesign,
    context: Context,
    faults: FaultTimeline,
    inv: Inventory,
    medium_ref: FloatArray,
    speed: FloatArray,
    capacity: FloatArray,
) -> Running:
    """The cycle as it would be with the compressor running at ``speed`` (share) and ``capacity`` per speed."""
    delivered = speed * capacity
    superheat = _superheat(design, faults, inv.starvation, context.load)
    te = _evaporating(design, faults, inv, medium_ref, delivered, superheat)
    tc, subcooling, level = _condensing(design, context, faults, inv, delivered)
    return Running(speed, delivered, te, tc, superheat, subcooling, level)


def _evaporating(
    design: UnitDesign,
    faults: FaultTimeline,
    inv: Inventory,
    medium_ref: FloatArray,
    delivered: FloatArray,
    superheat: FloatArray,
) -> FloatArray:
    """Te (dew point). While the evaporator is fed, its heat transfer sets Te below the medium; icing
    insulates the coil. A starved evaporator passes only the liquid the expansion device receives, so the
    compressor pulls Ps down until its suction flow (proportional to Ps / Ts) matches that share.

    A flooded evaporator (turbo chiller, whose "receiver" level is the evaporator's) uncovers its top tubes
    once half its liquid buffer is gone: the approach to the leaving water widens up to threefold.
    """
    fed = _fed_share(inv.starvation)
    td = design.evap_td_k * (1.0 + 1.2 * faults.icing) * (0.5 + 0.5 * delivered / fed)
    if design.profile.receiver and design.profile.medium == "water":
        td = td * (1.0 + 2.0 * (1.0 - np.clip(2.0 * inv.margin, 0.0, 1.0)))
    te_fed = medium_ref - td
    fed_superheat = superheat - _superheat_rise(design) * inv.starvation**0.7
    suction_ratio = (te_fed + superheat + KELVIN) / (te_fed + fed_superheat + KELVIN)
    ps_abs = (design.table.dew_pressure_mpag(te_fed) + ATMOSPHERE_MPA) * fed * suction_ratio
    return design.table.dew_temperature_c(ps_abs - ATMOSPHERE_MPA)


def _condensing(
    design: UnitDesign, context: Context, faults: FaultTimeline, inv: Inventory, delivered: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Tc (bubble point), subcooling and receiver level from heat rejection and the liquid inventory."""
    profile = design.profile
    seal_held = np.clip(inv.margin, 0.0, 1.0)
    rejection = design.cond_approach_k * (1.0 + 2.0 * faults.fouling) * (0.15 + 0.85 * delivered)
    if not profile.receiver:  # less liquid in the condenser leaves more of its area for condensing
        rejection = rejection * (1.0 - _SUBCOOLER_AREA_SHARE * (1.0 - seal_held))
    tc = context.condenser_in_c + rejection
    # Head-pressure control floods the condenser in cold weather, holding liquid there (needs buffer charge).
    floor = profile.min_condensing_c
    flooding = np.maximum(floor - tc, 0.0) if floor is not None else np.zeros_like(tc)
    level = design.receiver_level_pct * inv.margin - 1.5 * flooding * seal_held - 8.0 * (delivered - 0.6)
    if profile.receiver:
        excess = np.maximum(level - 92.0, 0.0) / design.receiver_level_pct  # overcharge backs up into the condenser
        base = 0.8 * np.clip(inv.margin * 10.0, 0.0, 1.0)
        subcooling = base + (design.subcooling_k - 0.8) * seal_held**0.7 + 0.6 * flooding * seal_held + 8.0 * excess
        tc = tc + 3.0 * excess
    else:
        excess = np.maximum(inv.margin - 1.0, 0.0)
        subcooling = design.subcooling_k * (seal_held + 0.5 * excess)
        tc = tc + 1.0 * excess
    if floor is not None:
        tc = np.maximum(tc, floor)
    return tc, subcooling, np.clip(level, 0.0, 98.0)


def _superheat(design: UnitDesign, faults: FaultTimeline, starvation: FloatArray, load: FloatArray) -> FloatArray:
    """Expansion valves hold superheat until the evaporator starves; icing (low load) lowers it."""
    profile = design.profile
    base = design.superheat_k * (1.0 - 0.6 * faults.icing)
    if profile.capillary:  # a fixed restrictor's superheat follows the load
        base = base * np.clip(1.0 + 0.8 * (load - design.design_load), 0.4, 1.6)
    return base + _superheat_rise(design) * starvation**0.7


def _superheat_rise(design: UnitDesign) -> float:
    """Superheat gained by an evaporator starved to nothing: a capillary has no valve to open further;
    a flooded evaporator (turbo chiller) runs close to saturation even when short of liquid."""
    if design.profile.capillary:
        return 30.0
    return 6.0 if design.superheat_k < 2.0 else 25.0


def _fed_share(starvation: FloatArray) -> FloatArray:
    """Share of the design refrigerant flow the expansion device still receives."""
    return 1.0 - CAPACITY_LOSS_WHEN_EMPTY * starvation
