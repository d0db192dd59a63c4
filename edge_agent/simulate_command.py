"""`fluorowatch simulate`: write N days of a simulated unit's readings (replay format) and its ground truth."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from edge_agent.config import load_yaml_model
from edge_agent.simulator.run import simulate, write_ground_truth_csv, write_readings_csv
from edge_agent.simulator.scenario import SimulatedUnit


def backfill_csv(
    unit_file: Path, out: Path, truth: Path | None, *, days: float, interval_s: float, start: datetime | None,
    equipment: str,
) -> str:  # fmt: skip
    """Simulate and write the files; return a one-line summary for the console."""
    unit = load_yaml_model(unit_file, SimulatedUnit)
    begin = start or (datetime.now(UTC) - timedelta(days=days)).replace(second=0, microsecond=0)
    started = time.perf_counter()
    result = simulate(unit, equipment, begin, round(days * 86400 / interval_s), interval_s)
    write_readings_csv(result, out)
    if truth is not None:
        write_ground_truth_csv(result, truth)
    rows = int(result.present.sum())
    seconds = time.perf_counter() - started
    return f"{equipment}: {rows} readings from {begin.isoformat()} every {interval_s:g} s -> {out} ({seconds:.2f} s)"
