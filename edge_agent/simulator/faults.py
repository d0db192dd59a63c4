"""The faults of a scenario as per-step timelines: remaining charge (the ground truth), degradations,
weather and control changes, sensor drift, and which faults are active.

Every value is a closed-form function of time, so any window of steps can be computed on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from edge_agent.simulator.scenario import (
    CondenserFouling,
    EvaporatorIcing,
    Fault,
    HeatWave,
    Leak,
    Overcharge,
    SensorDrift,
    SetpointChange,
    SimulatedUnit,
)

__all__ = ["FAULT_BITS", "MIN_CHARGE_FRACTION", "FaultTimeline", "fault_names", "fault_timeline"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DAY_S = 86400.0
MIN_CHARGE_FRACTION = 0.05  # vapour left in an "empty" system at ambient pressure
FAULT_BITS: Mapping[str, int] = {
    name: 1 << bit
    for bit, name in enumerate(
        ("leak", "condenser_fouling", "evaporator_icing", "heat_wave", "setpoint_change", "sensor_drift", "overcharge")
    )
}


@dataclass(frozen=True)
class FaultTimeline:
    """Per-step fault state of one circuit."""

    charge_fraction: FloatArray  # remaining charge / nominal charge (ground truth)
    leak_rate_pct_per_day: FloatArray
    fouling: FloatArray  # 0..1
    icing: FloatArray  # 0..1
    ambient_delta_k: FloatArray
    setpoint_c: FloatArray
    drift: Mapping[str, FloatArray]  # channel key -> added value
    active: IntArray  # bit mask of FAULT_BITS


def fault_timeline(unit: SimulatedUnit, circuit: int, start: datetime, t_s: FloatArray) -> FaultTimeline:
    """Timelines at ``t_s`` seconds after ``start`` for the faults of ``circuit`` and the unit-wide ones."""
    timelines = _Timelines(t_s, unit.setpoint_c)
    for fault in sorted(unit.faults, key=_when):
        if getattr(fault, "circuit", circuit) == circuit:
            timelines.add(fault, t_s - (_when(fault) - start).total_seconds())
    return timelines.result()


class _Timelines:
    def __init__(self, t_s: FloatArray, setpoint_c: float) -> None:
        self.zeros = np.zeros_like(t_s)
        self.charge, self.rate = self.zeros + 1.0, self.zeros.copy()
        self.fouling, self.icing, self.ambient = self.zeros.copy(), self.zeros.copy(), self.zeros.copy()
        self.setpoint = self.zeros + setpoint_c
        self.drift: dict[str, FloatArray] = {}
        self.active = np.zeros(t_s.shape, dtype=np.int64)

    def add(self, fault: Fault, elapsed: FloatArray) -> None:
        """Apply ``fault``, ``elapsed`` seconds after its start at each step (negative before it)."""
        on = elapsed >= 0
        days = np.maximum(elapsed, 0.0) / DAY_S
        if isinstance(fault, Leak):
            self.charge -= on * (fault.step_pct + fault.rate_pct_per_day * days) / 100.0
            self.rate += on * fault.rate_pct_per_day
        elif isinstance(fault, Overcharge):
            self.charge += on * fault.pct / 100.0
        elif isinstance(fault, CondenserFouling):
            self.fouling += fault.severity * np.clip(days / fault.ramp_days, 0.0, 1.0)
        elif isinstance(fault, EvaporatorIcing):
            self.icing += fault.severity * np.clip(days / fault.ramp_days, 0.0, 1.0)
        elif isinstance(fault, HeatWave):
            on &= elapsed <= fault.days * DAY_S
            self.ambient += fault.delta_k * _trapezoid(elapsed, fault.days * DAY_S)
        elif isinstance(fault, SetpointChange):
            self.setpoint = np.where(on, fault.new_setpoint_c, self.setpoint)
        elif isinstance(fault, SensorDrift):
            self.drift[fault.channel] = self.drift.get(fault.channel, self.zeros) + fault.drift_per_day * days
        self.active |= np.where(on, FAULT_BITS[fault.type], 0)

    def result(self) -> FaultTimeline:
        return FaultTimeline(
            charge_fraction=np.maximum(self.charge, MIN_CHARGE_FRACTION),
            leak_rate_pct_per_day=self.rate,
            fouling=np.minimum(self.fouling, 1.0),
            icing=np.minimum(self.icing, 1.0),
            ambient_delta_k=self.ambient,
            setpoint_c=self.setpoint,
            drift=self.drift,
            active=self.active,
        )


def fault_names(mask: int) -> str:
    """``leak;heat_wave`` for a mask with those bits (empty string for none)."""
    return ";".join(name for name, bit in FAULT_BITS.items() if mask & bit)


def _when(fault: Fault) -> datetime:
    if isinstance(fault, HeatWave):
        return fault.start
    if isinstance(fault, SetpointChange | Overcharge):
        return fault.at
    return fault.onset


def _trapezoid(elapsed: FloatArray, duration_s: float) -> FloatArray:
    """0 -> 1 over half a day (or half the wave), flat, 1 -> 0 at the end."""
    ramp = min(0.5 * DAY_S, duration_s / 2.0)
    return np.clip(np.minimum(elapsed, duration_s - elapsed) / ramp, 0.0, 1.0)
