"""The ``lab`` fixture: cached simulator runs and the comparisons the simulator tests make.

Runs start in July so that head-pressure control (winter condenser flooding) stays out of the way, and
last three days at 60 s unless a test needs more. The simulator is deterministic, so runs are cached.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from edge_agent.simulator import SimulatedUnit, SimulationResult, simulate
from fluorowatch.domain.equipment import EquipmentKind

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

START = datetime(2026, 7, 6, tzinfo=UTC)
REFRIGERANT = {
    EquipmentKind.SHOWCASE_REMOTE: "R404A",
    EquipmentKind.SHOWCASE_BUILTIN: "R404A",
    EquipmentKind.REFRIGERATOR: "R134a",
    EquipmentKind.COLD_ROOM: "R407C",
    EquipmentKind.CONDENSING_UNIT: "R410A",
    EquipmentKind.PACKAGE_AC: "R32",
    EquipmentKind.CHILLER: "R410A",
    EquipmentKind.TURBO_CHILLER: "R123",
}


class Lab:
    """Cached runs of 12 kg units, seed 11, from ``START``; comparisons at matched steady-state steps."""

    start = START

    def __init__(self) -> None:
        self._cache: dict[str, SimulationResult] = {}

    def unit(self, kind: EquipmentKind, faults: Sequence[dict[str, Any]] = (), **fields: Any) -> SimulatedUnit:
        values: dict[str, Any] = {"kind": kind, "refrigerant": REFRIGERANT[kind], "charge_kg": 12.0, "seed": 11}
        return SimulatedUnit.model_validate({**values, **fields, "faults": list(faults)})

    def run(
        self, kind: EquipmentKind, faults: Sequence[dict[str, Any]] = (), days: float = 3, **fields: Any
    ) -> SimulationResult:
        key = repr((kind, faults, days, sorted(fields.items())))
        if key not in self._cache:
            unit = self.unit(kind, faults, **fields)
            self._cache[key] = simulate(unit, "TEST-1", START, round(days * 1440), 60.0)
        return self._cache[key]

    def at(self, days: float) -> str:
        return (START + timedelta(days=days)).isoformat()

    def step_leak(self, pct: float, days: float = 0.0) -> dict[str, Any]:
        """A crack losing ``pct`` % of the charge at once, then (practically) nothing more."""
        return {"type": "leak", "onset": self.at(days), "rate_pct_per_day": 1e-6, "step_pct": pct}

    def steady(self, *results: SimulationResult, settle_steps: int = 8) -> BoolArray:
        """Steps where every run has had its compressor on for ``settle_steps`` and no defrost for an hour
        (REGULATION.md (c) note 2: guide values are taken while the unit runs stably)."""
        mask = np.ones(results[0].ts.size, dtype=bool)
        for result in results:
            mask &= _trailing_all(np.nan_to_num(result.channels["compressor_on"]) == 1, settle_steps)
            if "defrost_on" in result.channels:
                mask &= _trailing_all(np.nan_to_num(result.channels["defrost_on"]) == 0, 60)
        return mask

    def after(self, result: SimulationResult, days: float) -> BoolArray:
        """Steps at least ``days`` after the start."""
        return np.asarray(result.ts >= np.datetime64(START.replace(tzinfo=None) + timedelta(days=days), "us"))

    def value(self, result: SimulationResult, name: str) -> FloatArray:
        """A channel, or ``superheat`` (Ts - Te), ``subcooling`` (Tc - Td) or ``medium_dt`` (air or
        chilled-water inlet minus outlet, REGULATION.md (c) row g)."""
        c = result.channels
        if name == "superheat":
            return c["suction_temp_c"] - c["evap_sat_temp_c"]
        if name == "subcooling":
            return c["cond_sat_temp_c"] - c["liquid_temp_c"]
        if name == "medium_dt":
            if "air_in_temp_c" in c:
                return c["air_in_temp_c"] - c["air_out_temp_c"]
            return c["chw_in_temp_c"] - c["chw_out_temp_c"]
        return c[name]

    def shift(
        self, candidate: SimulationResult, baseline: SimulationResult, name: str, mask: BoolArray | None = None
    ) -> float:
        """Mean of ``name`` in ``candidate`` minus ``baseline`` at matched steady-state steps (within ``mask``)."""
        matched = self.steady(candidate, baseline) & (True if mask is None else mask)
        assert matched.sum() > 30, "too few matched steady-state steps to compare"
        candidate_mean = np.nanmean(self.value(candidate, name)[matched])
        return float(candidate_mean - np.nanmean(self.value(baseline, name)[matched]))


def _trailing_all(flag: BoolArray, steps: int) -> BoolArray:
    counts = np.convolve(flag.astype(np.int64), np.ones(steps, dtype=np.int64))[: flag.size]
    return np.asarray(counts >= steps)


@pytest.fixture(scope="session")
def lab() -> Lab:
    return Lab()
