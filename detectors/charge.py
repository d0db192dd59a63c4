"""The virtual charge sensor: how much of the proper charge a circuit has lost, from where its liquid is.

A leak first drains the liquid buffer: the charge above the amount that keeps a liquid seal at the expansion
device (receiver, condenser sump, flooded evaporator). While the seal holds, the share of the buffer lost
shows as the receiver level (or, without a level sensor, the subcooling) falling below its baseline in
proportion. Once the seal is gone the evaporator starves and superheat climbs (checklist rows (e), (j), (d);
REGULATION.md (c)). The buffer's size is a design property: typical shares per kind are below, with the
spread seen between units of one kind, which is what bounds the estimate's accuracy without a weighed charge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from detectors.derived import FloatArray
from fluorowatch.domain.equipment import EquipmentKind
from fluorowatch.domain.refrigerants import RefrigerantRegistry

EMPTY_SHARE = 0.15  # charge left when the circuit no longer cools at all
DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class InventoryPrior:
    """Typical liquid buffer of a kind (share of the proper charge) and its unit-to-unit spread (relative)."""

    liquid_buffer: float
    spread: float
    indicator: str  # the value that tracks the buffer: receiver level, else subcooling
    starved_superheat_k: float  # superheat gained when the evaporator is starved to (nearly) nothing


PRIORS: dict[EquipmentKind, InventoryPrior] = {
    EquipmentKind.SHOWCASE_REMOTE: InventoryPrior(0.25, 0.15, "receiver_level_pct", 25.0),
    EquipmentKind.SHOWCASE_BUILTIN: InventoryPrior(0.06, 0.15, "subcooling_k", 30.0),  # capillary, critical charge
    EquipmentKind.REFRIGERATOR: InventoryPrior(0.06, 0.15, "subcooling_k", 30.0),
    EquipmentKind.COLD_ROOM: InventoryPrior(0.28, 0.15, "receiver_level_pct", 25.0),
    EquipmentKind.CONDENSING_UNIT: InventoryPrior(0.30, 0.15, "receiver_level_pct", 25.0),
    EquipmentKind.PACKAGE_AC: InventoryPrior(0.10, 0.15, "subcooling_k", 25.0),
    EquipmentKind.CHILLER: InventoryPrior(0.15, 0.15, "subcooling_k", 25.0),
    EquipmentKind.TURBO_CHILLER: InventoryPrior(0.25, 0.15, "receiver_level_pct", 6.0),  # flooded evaporator
}


@dataclass(frozen=True)
class ChargeEstimate:
    """Share of the proper charge lost, in %, with a one-sigma uncertainty (negative = above the baseline)."""

    lost_pct: float
    sigma_pct: float

    @property
    def low_pct(self) -> float:
        return self.lost_pct - 2.0 * self.sigma_pct

    @property
    def high_pct(self) -> float:
        return self.lost_pct + 2.0 * self.sigma_pct


def prior_for(kind: EquipmentKind, channels: frozenset[str] | set[str]) -> InventoryPrior:
    prior = PRIORS[kind]
    if prior.indicator not in channels:  # a receiver without a level sensor: subcooling still tells
        return InventoryPrior(prior.liquid_buffer, prior.spread * 1.5, "subcooling_k", prior.starved_superheat_k)
    return prior


def buffer_lost(indicator_residual: FloatArray, indicator_expected: FloatArray) -> FloatArray:
    """Share of the liquid buffer gone: the indicator's fall below its baseline over its baseline value."""
    with np.errstate(invalid="ignore", divide="ignore"):
        share = -indicator_residual / np.maximum(indicator_expected, 0.5)
    return np.asarray(share, dtype=np.float64)


def charge_lost_pct(prior: InventoryPrior, buffer_share: FloatArray, superheat_residual: FloatArray) -> FloatArray:
    """Charge lost (% of the proper charge): the buffer share, then starvation read from superheat."""
    buffer = np.minimum(buffer_share, 1.0) * prior.liquid_buffer
    starving = np.clip(np.nan_to_num(superheat_residual) / prior.starved_superheat_k, 0.0, 1.0) ** (1 / 0.7)
    beyond = np.where(buffer_share >= 0.9, starving * (1.0 - prior.liquid_buffer - EMPTY_SHARE), 0.0)
    return np.asarray(100.0 * (buffer + beyond), dtype=np.float64)


def charge_sigma_pct(prior: InventoryPrior, lost_pct: FloatArray, buffer_sigma: FloatArray) -> FloatArray:
    """Noise of the indicator and the unit-to-unit spread of the buffer size, combined."""
    noise = 100.0 * prior.liquid_buffer * buffer_sigma
    scale = np.abs(lost_pct) * prior.spread
    return np.asarray(np.hypot(noise, scale), dtype=np.float64)


DEPARTED_PCT = 0.5  # an estimate at or below this is still "no loss": the leak's slope starts after it
MIN_RATE_POINTS = 6


def loss_per_day(points: Sequence[tuple[float, float]]) -> float | None:
    """The leak rate, % of the charge per day: the slope of the hourly estimates ``(epoch s, % lost)`` since the
    estimate last left zero. The flat hours before the leak began would flatten the slope if they were included.
    None with fewer than ``MIN_RATE_POINTS`` estimates."""
    departed = next((i + 1 for i in range(len(points) - 1, -1, -1) if points[i][1] <= DEPARTED_PCT), 0)
    recent = points[departed:] if len(points) - departed >= MIN_RATE_POINTS else points[-MIN_RATE_POINTS:]
    if len(recent) < MIN_RATE_POINTS:
        return None
    days = np.array([p[0] for p in recent]) / 86400.0
    slope = float(np.polyfit(days - days[0], np.array([p[1] for p in recent]), 1)[0])
    return slope if np.isfinite(slope) else None


@dataclass(frozen=True)
class LeakRate:
    kg_per_year: Decimal
    t_co2_per_year: Decimal


def leak_rate(lost_pct_per_day: float, charge_kg: Decimal, refrigerant: str, registry: RefrigerantRegistry) -> LeakRate:
    """Leak rate from the estimated loss per day; t-CO2 with the refrigerant's GWP from the registry
    (the same GWP the calculated leakage uses, REGULATION.md (g))."""
    kg = Decimal(str(round(max(lost_pct_per_day, 0.0), 6))) / 100 * charge_kg * Decimal(DAYS_PER_YEAR)
    return LeakRate(kg.quantize(Decimal("0.001")), (kg * registry.gwp(refrigerant) / 1000).quantize(Decimal("0.001")))
