"""Run a simulation, and write its readings (replay CSV format) and its ground truth.

``simulate_window`` computes any range of steps of a run on its own and gives exactly the values the
whole run has at those steps; ``simulate`` is the window from step 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt

from edge_agent.reading import ChannelValue, Reading
from edge_agent.simulator.context import build_context
from edge_agent.simulator.csv_format import ByteMatrix, csv_bytes, fixed_point, text
from edge_agent.simulator.design import unit_design
from edge_agent.simulator.faults import fault_names, fault_timeline
from edge_agent.simulator.model import circuit_values
from edge_agent.simulator.rng import Streams
from edge_agent.simulator.scenario import SimulatedUnit
from edge_agent.simulator.sensors import measure, reported_decimals
from fluorowatch.domain.channels import ChannelType, channel

__all__ = [
    "CircuitTrace",
    "SimulationResult",
    "simulate",
    "simulate_window",
    "to_readings",
    "write_ground_truth_csv",
    "write_readings_csv",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

MIN_INTERVAL_S, MAX_INTERVAL_S = 1.0, 3600.0
MISSING_ROW_PROBABILITY = 0.0002
OUTAGES_PER_DAY = 1.0 / 30.0  # a gateway or network outage of 10-40 minutes about once a month


@dataclass(frozen=True)
class CircuitTrace:
    """One circuit's reported channels (NaN = missing) and its ground truth."""

    circuit: int
    channels: Mapping[str, FloatArray]
    remaining_charge_kg: FloatArray
    charge_fraction: FloatArray
    active_faults: IntArray  # bit mask, see faults.FAULT_BITS


@dataclass(frozen=True)
class SimulationResult:
    """Steps ``first_step`` .. ``first_step + len(ts) - 1`` of a run. ``present`` is False for rows the
    unit never delivered (outages); their channel values are computed but must not be used as readings."""

    equipment: str
    unit: SimulatedUnit
    first_step: int
    interval_s: float
    ts: npt.NDArray[np.datetime64]  # UTC, microseconds
    present: BoolArray
    channel_keys: tuple[str, ...]
    traces: tuple[CircuitTrace, ...]

    def circuit(self, number: int) -> CircuitTrace:
        """The trace of circuit ``number`` (1-based)."""
        for trace in self.traces:
            if trace.circuit == number:
                return trace
        raise KeyError(f"circuit {number}: the unit has circuits 1..{len(self.traces)}")

    @property
    def channels(self) -> Mapping[str, FloatArray]:
        """Channels of circuit 1."""
        return self.traces[0].channels

    @property
    def remaining_charge_kg(self) -> FloatArray:
        """Ground truth of circuit 1."""
        return self.traces[0].remaining_charge_kg


def simulate(unit: SimulatedUnit, equipment: str, start: datetime, steps: int, interval_s: float) -> SimulationResult:
    """``steps`` readings every ``interval_s`` seconds from ``start`` (timezone-aware); same seed, same result."""
    return simulate_window(unit, equipment, start, (0, steps), interval_s)


def simulate_window(
    unit: SimulatedUnit, equipment: str, start: datetime, steps: tuple[int, int], interval_s: float
) -> SimulationResult:
    """Steps i0 <= i < i1 of the run that starts at ``start``."""
    i0, i1 = steps
    _check(start, i0, i1, interval_s)
    start_utc = start.astimezone(UTC)
    design = unit_design(unit)
    t_s = np.arange(i0, i1, dtype=np.float64) * interval_s
    timelines = [fault_timeline(unit, c, start_utc, t_s) for c in range(1, unit.circuits + 1)]
    shared = Streams(unit.seed)
    context = build_context(design, shared, start_utc.timestamp(), steps, interval_s, timelines[0].ambient_delta_k)
    traces = []
    for number, timeline in enumerate(timelines, start=1):
        streams = Streams(unit.seed, number)
        true = circuit_values(design, context, timeline, streams, steps)
        reported = measure(design, true, timeline.drift, streams, steps)
        charge = timeline.charge_fraction
        traces.append(CircuitTrace(number, reported, charge * unit.charge_kg, charge, timeline.active))
    step_us = round(interval_s * 1e6)
    origin = np.datetime64(start_utc.replace(tzinfo=None), "us")
    ts = origin + np.arange(i0, i1, dtype=np.int64) * np.timedelta64(step_us, "us")
    return SimulationResult(
        equipment, unit, i0, interval_s, ts, _present(shared, t_s, steps), design.channels, tuple(traces)
    )


def _check(start: datetime, i0: int, i1: int, interval_s: float) -> None:
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError(f"start must be timezone-aware, got {start.isoformat()}")
    if not 0 <= i0 <= i1:
        raise ValueError(f"steps must satisfy 0 <= first <= end, got {i0}..{i1}")
    if not (math.isfinite(interval_s) and MIN_INTERVAL_S <= interval_s <= MAX_INTERVAL_S):
        raise ValueError(f"interval_s must be within {MIN_INTERVAL_S}..{MAX_INTERVAL_S} s, got {interval_s}")


def _present(streams: Streams, t_s: FloatArray, steps: tuple[int, int]) -> BoolArray:
    """False for lost rows: rare single rows, and outages of 10-40 minutes starting within an hour."""
    lost = streams.uniform("row_lost", *steps) < MISSING_ROW_PROBABILITY
    if t_s.size:
        hour = (t_s // 3600.0).astype(np.int64)
        h0, h1 = int(hour[0]), int(hour[-1]) + 1
        outage = streams.uniform("outage", h0, h1) < OUTAGES_PER_DAY / 24.0
        begins = streams.uniform("outage_start", h0, h1) * 3600.0
        lasts = 600.0 + streams.uniform("outage_length", h0, h1) * 1800.0
        into_hour = t_s - hour * 3600.0
        k = hour - h0
        lost |= outage[k] & (into_hour >= begins[k]) & (into_hour < begins[k] + lasts[k])
    return ~lost


def _timestamps(ts: npt.NDArray[np.datetime64]) -> ByteMatrix:
    """ISO 8601 with the UTC offset; whole seconds unless a timestamp has a fraction."""
    whole = bool(np.all(ts.astype("datetime64[s]") == ts))
    stamps = text(np.datetime_as_string(ts, unit="s" if whole else "us").astype(np.bytes_))
    return np.concatenate([stamps, np.tile(np.frombuffer(b"+00:00", dtype=np.uint8), (ts.size, 1))], axis=1)


def write_readings_csv(result: SimulationResult, path: str | Path, circuit: int = 1) -> None:
    """The replay format (issue 5): header ``ts`` and the unit's channel keys; one row per delivered
    reading in time order; ts ISO 8601 with offset (UTC); an empty cell is a missing value."""
    trace = result.circuit(circuit)
    keep = result.present
    columns = [_timestamps(result.ts[keep])]
    columns += [fixed_point(trace.channels[key][keep], reported_decimals(key)) for key in result.channel_keys]
    Path(path).write_bytes(csv_bytes(["ts", *result.channel_keys], columns))


def write_ground_truth_csv(result: SimulationResult, path: str | Path, circuit: int = 1) -> None:
    """``ts,remaining_charge_kg,charge_fraction,active_faults`` for every step, delivered or not;
    active_faults joins the active fault types with ``;`` (empty when none)."""
    trace = result.circuit(circuit)
    masks, index = np.unique(trace.active_faults, return_inverse=True)
    names = np.array([fault_names(int(mask)).encode("ascii") for mask in masks], dtype=np.bytes_)
    columns = [
        _timestamps(result.ts),
        fixed_point(trace.remaining_charge_kg, 4),
        fixed_point(trace.charge_fraction, 5),
        text(names[index.reshape(-1)] if names.size else np.array([], dtype="S1")),
    ]
    header = ["ts", "remaining_charge_kg", "charge_fraction", "active_faults"]
    Path(path).write_bytes(csv_bytes(header, columns))


def to_readings(result: SimulationResult, circuits: tuple[int, ...] | None = None) -> list[Reading]:
    """Delivered rows as readings, oldest first and by circuit; a missing value is None."""
    numbers = circuits if circuits is not None else tuple(t.circuit for t in result.traces)
    rows = np.flatnonzero(result.present)
    step_us = round(result.interval_s * 1e6)
    origin: datetime = result.ts[0].item() if result.ts.size else datetime.min
    per_circuit = {n: _python_values(result.channel_keys, result.circuit(n).channels, rows) for n in numbers}
    readings = []
    for position, row in enumerate(rows.tolist()):
        ts = (origin + timedelta(microseconds=row * step_us)).replace(tzinfo=UTC)
        for number in numbers:
            values = dict(zip(result.channel_keys, per_circuit[number][position], strict=True))
            readings.append(Reading(result.equipment, number, ts, values))
    return readings


def _python_values(
    keys: tuple[str, ...], channels: Mapping[str, FloatArray], rows: npt.NDArray[np.intp]
) -> list[tuple[ChannelValue, ...]]:
    columns: list[list[ChannelValue]] = []
    for key in keys:
        values = channels[key][rows]
        missing = np.isnan(values).tolist()
        kind = channel(key).type
        raw: list[ChannelValue] = values.tolist()
        if kind is not ChannelType.MEASUREMENT:  # the payload carries flags as booleans, counts as integers
            integers = np.where(np.isnan(values), 0, values).astype(np.int64)
            raw = integers.astype(bool).tolist() if kind is ChannelType.FLAG else integers.tolist()
        columns.append([None if gone else value for value, gone in zip(raw, missing, strict=True)])
    return list(zip(*columns, strict=True))
