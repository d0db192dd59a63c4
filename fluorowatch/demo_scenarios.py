"""What the demo's fleet is doing: two developing leaks and one confounder among healthy units (pure)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from edge_agent.simulator.scenario import CondenserFouling, Fault, Leak, SimulatedUnit
from fluorowatch.demo_fleet import SampleRetailer

SLOW_LEAK = "SM-TKY-001-SC03"
FAST_LEAK = "SM-OSA-004-CH01"
CONFOUNDER = "SM-KYO-003-SC05"


@dataclass(frozen=True)
class DemoUnit:
    site_code: str
    equipment: str
    circuits: tuple[int, ...]
    simulated: SimulatedUnit


def demo_faults(now: datetime) -> dict[str, tuple[Fault, ...]]:
    """A slow leak under way for 12 days, a chiller whose joint cracked 4 days ago, and a showcase whose
    condenser is fouling (a confounder: high-side values move, but it is not a leak)."""
    return {
        SLOW_LEAK: (Leak(onset=now - timedelta(days=12), rate_pct_per_day=1.2),),
        FAST_LEAK: (Leak(onset=now - timedelta(days=4), rate_pct_per_day=2.5, step_pct=3.0),),
        CONFOUNDER: (CondenserFouling(onset=now - timedelta(days=9), severity=0.7),),
    }


def demo_units(retailer: SampleRetailer, now: datetime) -> list[DemoUnit]:
    faults = demo_faults(now)
    units = []
    for sample in retailer.sites:
        for unit in sample.units:
            equipment = unit.equipment
            circuits = tuple(c.circuit_no for c in equipment.circuits)
            simulated = SimulatedUnit(
                kind=equipment.kind,
                refrigerant=equipment.refrigerant,
                charge_kg=float(equipment.charge_kg),
                seed=zlib.crc32(equipment.management_no.encode()),
                circuits=len(circuits),
                faults=faults.get(equipment.management_no, ()),
            )
            units.append(DemoUnit(sample.site.site_code, equipment.management_no, circuits, simulated))
    return units
