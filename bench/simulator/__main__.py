"""Time a 90-day backfill at 60 s (129,600 steps) of one unit of each kind, written to CSV.

Run from the project root: ``python -m bench.simulator``. Each kind is timed best of 3 (simulate, then
the readings CSV in the replay format and the ground-truth CSV). CoolProp's saturation tables are built
before timing: that happens once per process and refrigerant, not once per backfill. The last line is
``backfill_90d_60s_seconds=…``, the slowest kind's best time.
"""

from __future__ import annotations

import os
import platform
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.units import UNITS
from edge_agent.simulator import (
    SimulatedUnit,
    saturation_table,
    simulate,
    write_ground_truth_csv,
    write_readings_csv,
)
from fluorowatch.domain.equipment import EquipmentKind

STEPS = 90 * 1440
INTERVAL_S = 60.0
REPEATS = 3
START = datetime(2026, 1, 1, tzinfo=UTC)


def _unit(kind: EquipmentKind) -> SimulatedUnit:
    refrigerant, charge_kg = UNITS[kind]
    leak = {"type": "leak", "onset": (START + timedelta(days=30)).isoformat(), "rate_pct_per_day": 0.5}
    return SimulatedUnit.model_validate(
        {"kind": kind, "refrigerant": refrigerant, "charge_kg": charge_kg, "seed": 42, "faults": [leak]}
    )


def _backfill(unit: SimulatedUnit, folder: Path) -> tuple[float, float, int, int]:
    """Seconds to simulate, seconds to write both CSVs, rows written, bytes written."""
    began = time.perf_counter()
    result = simulate(unit, "BENCH-1", START, STEPS, INTERVAL_S)
    simulated = time.perf_counter()
    readings, truth = folder / "readings.csv", folder / "truth.csv"
    write_readings_csv(result, readings)
    write_ground_truth_csv(result, truth)
    written = time.perf_counter()
    size = readings.stat().st_size + truth.stat().st_size
    return simulated - began, written - simulated, int(result.present.sum()), size


def main() -> None:
    began = time.perf_counter()
    refrigerants = {refrigerant for refrigerant, _ in UNITS.values()}
    for refrigerant in refrigerants:
        saturation_table(refrigerant)
    tables_s = time.perf_counter() - began
    print(f"machine: {platform.machine()} cpus={os.cpu_count()} python {platform.python_version()}")
    print(f"CoolProp saturation tables for {len(refrigerants)} refrigerants (once per process): {tables_s:.2f} s")
    print(f"{'kind':<18}{'refrigerant':<12}{'rows':>8}{'simulate s':>12}{'csv s':>8}{'total s':>9}{'MB':>7}")
    totals = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in UNITS:
            unit = _unit(kind)
            runs = [_backfill(unit, Path(tmp)) for _ in range(REPEATS)]
            sim_s, csv_s, rows, size = min(runs, key=lambda r: r[0] + r[1])
            totals.append(sim_s + csv_s)
            timings = f"{sim_s:>12.3f}{csv_s:>8.3f}{sim_s + csv_s:>9.3f}"
            print(f"{kind.value:<18}{unit.refrigerant:<12}{rows:>8}{timings}{size / 1e6:>7.1f}")
    print(f"backfill_90d_60s_seconds={max(totals):.3f}")


if __name__ == "__main__":
    main()
