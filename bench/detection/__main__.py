"""Detection benchmark: seeded simulated scenarios through the replay contract, scored against the ground truth.

Run from the project root: ``python -m bench.detection`` (``--interval 900`` for 15-minute sampling,
``--quick`` for a smaller set). Each scenario is simulated, written as EQUIPMENT.json and READINGS.csv, run
through ``detectors.replay.run_replay`` (what ``fluorowatch detect replay`` runs) and its ALERTS.csv is read
back. One scenario is also run through the real CLI in a subprocess to time a 90-day replay.

A leak is detected by its first ``leak`` alert after onset; the loss at detection is the true share of the
charge lost at the alert's time. A leak alert in a healthy or confounder run, or before a leak's onset, is a
false alarm; false alarms per unit-year count the monitored time after the learning window. The last line is
``median_loss_at_detection=…% p95=…% detected=…/… before30=…/… false_alarms_per_unit_year=…``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from multiprocessing import Pool
from pathlib import Path

import numpy as np

from bench.detection.scenarios import BASELINE_DAYS, Scenario, scenarios
from detectors.replay import run_replay
from edge_agent.simulator import simulate, write_readings_csv
from edge_agent.simulator.scenario import Fault


@dataclass(frozen=True)
class Score:
    name: str
    group: str
    kind: str
    rate_pct_per_day: float | None
    monitored_days: float
    detected_loss_pct: float | None  # true loss at the first leak alert after onset
    onset_to_alert_days: float | None
    loss_at_end_pct: float | None
    false_leak_alerts: int
    other_alerts: tuple[str, ...]
    detail: str  # the fault, briefly


def run_scenario(job: tuple[Scenario, float]) -> Score:
    scenario, interval = job
    steps = int(scenario.days * 86400 / interval)
    result = simulate(scenario.unit, scenario.name, scenario.start, steps, interval)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_readings_csv(result, folder / "readings.csv")
        (folder / "equipment.json").write_text(json.dumps(_equipment(scenario)))
        run_replay(folder / "equipment.json", folder / "readings.csv", scenario.baseline_until.isoformat(),
                   folder / "alerts.csv")  # fmt: skip
        with (folder / "alerts.csv").open() as handle:
            alerts = list(csv.DictReader(handle))
    return _score(scenario, result.ts, result.circuit(1).charge_fraction, alerts, interval * steps / 86400)


def _equipment(scenario: Scenario) -> dict[str, object]:
    unit = scenario.unit
    return {"equipment_id": scenario.name, "kind": unit.kind.value, "refrigerant": unit.refrigerant,
            "charge_kg": unit.charge_kg, "rated_output_kw": 5.0}  # fmt: skip


def _score(scenario: Scenario, ts: np.ndarray, charge: np.ndarray, alerts: list[dict[str, str]], days: float) -> Score:
    epoch = ts.astype("datetime64[us]").astype(np.int64) / 1e6
    onset = scenario.start.timestamp() + (scenario.onset_day or 0.0) * 86400.0
    detected = onset_to_alert = None
    false_alarms = 0
    others = []
    for alert in alerts:
        when = datetime.fromisoformat(alert["ts"]).timestamp()
        if alert["category"] != "leak":
            others.append(alert["category"])
        elif scenario.group == "leak" and when >= onset:
            if detected is None:
                i = min(int(np.searchsorted(epoch, when)), len(charge) - 1)
                detected, onset_to_alert = (1.0 - float(charge[i])) * 100.0, (when - onset) / 86400.0
        else:
            false_alarms += 1
    leak = next((f for f in scenario.unit.faults if f.type == "leak"), None)
    return Score(
        scenario.name, scenario.group, scenario.unit.kind.value,
        getattr(leak, "rate_pct_per_day", None), days - BASELINE_DAYS, detected, onset_to_alert,
        (1.0 - float(charge[-1])) * 100.0 if leak else None, false_alarms, tuple(others),
        f"start {scenario.start:%Y-%m-%d}; " + "; ".join(_brief(f) for f in scenario.unit.faults),
    )  # fmt: skip


def _brief(fault: Fault) -> str:
    fields = fault.model_dump(exclude={"type", "onset", "at", "start", "circuit"})
    values = " ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in fields.items())
    return f"{fault.type} {values}"


def summarise(scores: list[Score]) -> tuple[list[str], str]:
    leaks = [s for s in scores if s.group == "leak"]
    found = [s.detected_loss_pct for s in leaks if s.detected_loss_pct is not None]
    before10 = sum(1 for v in found if v < 10.0)
    before30 = sum(1 for v in found if v < 30.0)
    median = float(np.median(found)) if found else float("nan")
    p95 = float(np.percentile(found, 95)) if found else float("nan")
    unit_years = sum(s.monitored_days for s in scores) / 365.0
    false_total = sum(s.false_leak_alerts for s in scores)
    lines = [
        f"leak runs: {len(leaks)}; detected {len(found)}; median loss at detection {median:.1f}%; p95 {p95:.1f}%",
        f"detected before 10% loss: {before10}/{len(leaks)}; before 30%: {before30}/{len(leaks)}",
        f"onset to detection: median {_median([s.onset_to_alert_days for s in leaks]):.1f} days",
        f"false leak alerts: {false_total} over {unit_years:.1f} unit-years "
        f"= {false_total / unit_years:.3f} per unit-year",
        "",
        "| group | runs | runs with a false leak alert | other-fault alerts raised |",
        "|---|---:|---:|---|",
    ]
    groups: dict[str, list[Score]] = defaultdict(list)
    for s in scores:
        groups[s.group].append(s)
    for group, members in groups.items():
        false_runs = sum(1 for s in members if s.false_leak_alerts)
        counts: dict[str, int] = defaultdict(int)
        for s in members:
            for category in set(s.other_alerts):
                counts[category] += 1
        other = ", ".join(f"{k} in {v}" for k, v in sorted(counts.items())) or "-"
        lines.append(f"| {group} | {len(members)} | {false_runs} | {other} |")
    noisy = [s for s in scores if s.false_leak_alerts]
    if noisy:
        lines += ["", "runs with a false leak alert: " + ", ".join(f"{s.name} ({s.detail})" for s in noisy)]
    lines += ["", "| leak run | rate %/day | true loss at first leak alert | days from onset |", "|---|---:|---:|---:|"]
    for s in sorted(leaks, key=lambda s: s.rate_pct_per_day or 0):
        loss = (
            f"{s.detected_loss_pct:.1f}%"
            if s.detected_loss_pct is not None
            else f"missed ({s.loss_at_end_pct:.1f}% at end)"
        )
        days = f"{s.onset_to_alert_days:.1f}" if s.onset_to_alert_days is not None else "-"
        lines.append(f"| {s.name} | {s.rate_pct_per_day:.2f} | {loss} | {days} |")
    last = (
        f"median_loss_at_detection={median:.1f}% p95={p95:.1f}% detected={len(found)}/{len(leaks)} "
        f"before30={before30}/{len(leaks)} false_alarms_per_unit_year={false_total / unit_years:.3f}"
    )
    return lines, last


def _median(values: list[float | None]) -> float:
    present = [v for v in values if v is not None]
    return float(np.median(present)) if present else float("nan")


def time_cli_replay() -> float:
    """Wall time of ``fluorowatch detect replay`` on 90 days at 60 s of one unit (process start included)."""
    scenario = next(s for s in scenarios() if s.group == "leak" and s.unit.kind.value == "showcase_remote")
    result = simulate(scenario.unit, "BENCH-1", scenario.start, 90 * 1440, 60.0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_readings_csv(result, folder / "readings.csv")
        (folder / "equipment.json").write_text(json.dumps(_equipment(scenario)))
        files = ["--equipment", str(folder / "equipment.json"), "--readings", str(folder / "readings.csv")]
        until = ["--baseline-until", scenario.baseline_until.isoformat(), "--out", str(folder / "alerts.csv")]
        command = [sys.executable, "-m", "fluorowatch.cli", "detect", "replay", *files, *until]
        began = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.detection")
    parser.add_argument("--interval", type=float, default=60.0, help="sampling interval in seconds (default 60)")
    parser.add_argument("--quick", action="store_true", help="one leak and one healthy run per kind, few confounders")
    args = parser.parse_args()
    chosen = scenarios(leaks_per_kind=1, healthy_per_kind=1, per_confounder=2) if args.quick else scenarios()
    began = time.perf_counter()
    with Pool(os.cpu_count() or 1) as pool:
        scores = pool.map(run_scenario, [(s, args.interval) for s in chosen], chunksize=1)
    elapsed = time.perf_counter() - began
    lines, last = summarise(scores)
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"{len(chosen)} scenarios at {args.interval:.0f} s sampling in {elapsed:.0f} s")
    print("\n".join(lines))
    if args.interval == 60.0 and not args.quick:
        print(f"replay_90d_60s_cli_seconds={time_cli_replay():.2f}")
    print(last)


if __name__ == "__main__":
    main()
