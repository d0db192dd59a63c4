"""The replay contract (stable; other tools depend on it):

    fluorowatch detect replay --equipment EQUIPMENT.json --readings READINGS.csv --baseline-until TS --out ALERTS.csv

EQUIPMENT.json: {"equipment_id", "kind", "refrigerant", "charge_kg", "rated_output_kw", optional
"cabinet_setpoint_c"}. READINGS.csv: ``ts`` (ISO 8601 with offset) then any subset of the channel keys of
channels.csv; an empty cell is a missing value; rows in time order; sampling every 10 s to 15 min. Rows
before the cut-off are healthy and are learned from; detection is causal. ALERTS.csv:
``ts,equipment_id,category,severity,estimated_charge_loss_pct,detector,message``, one row per alert when it
was first raised. No database or broker is needed.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np

from detectors.baseline import InsufficientBaseline
from detectors.derived import FloatArray
from detectors.engine import CircuitDetector, CircuitState, EquipmentSpec, Event
from detectors.features import hourly_values
from detectors.model import learn
from fluorowatch.domain.channels import channels
from fluorowatch.domain.equipment import EquipmentKind
from fluorowatch.domain.refrigerants import normalise_refrigerant_name
from fluorowatch.domain.saturation import UnsupportedRefrigerant, saturation_table

ALERTS_HEADER = ("ts", "equipment_id", "category", "severity", "estimated_charge_loss_pct", "detector", "message")
EQUIPMENT_KEYS = {"equipment_id", "kind", "refrigerant", "charge_kg", "rated_output_kw", "cabinet_setpoint_c"}
MIN_INTERVAL_S, MAX_INTERVAL_S = 10.0, 900.0
GAP_FACTOR = 3.0


class ReplayError(ValueError):
    """Input the replay cannot use; the message names the file, the line or the key."""


@dataclass(frozen=True)
class Readings:
    ts_s: FloatArray
    frame: dict[str, FloatArray]
    interval_s: float
    gaps: tuple[tuple[float, float], ...]  # (last reading before, first reading after) of each gap


@dataclass(frozen=True)
class ReplayResult:
    events: list[Event]
    notes: list[str]


def load_equipment(path: Path) -> EquipmentSpec:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))  # -sig: a BOM (Windows editors) is not content
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReplayError(f"{path}: cannot read the equipment JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ReplayError(f"{path}: expected a JSON object")
    unknown = sorted(set(data) - EQUIPMENT_KEYS)
    if unknown:
        raise ReplayError(f"{path}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(EQUIPMENT_KEYS))}")
    missing = sorted(EQUIPMENT_KEYS - {"cabinet_setpoint_c"} - set(data))
    if missing:
        raise ReplayError(f"{path}: missing key(s) {', '.join(missing)}")
    kinds = [k.value for k in EquipmentKind]
    if str(data["kind"]).lower() not in kinds:
        raise ReplayError(
            f"{path}: kind {data['kind']!r} is not one the detectors handle; use one of {', '.join(kinds)}"
        )
    try:
        refrigerant = saturation_table(normalise_refrigerant_name(str(data["refrigerant"]))).refrigerant
    except (UnsupportedRefrigerant, ValueError) as exc:
        raise ReplayError(f"{path}: refrigerant {data['refrigerant']!r} cannot be handled: {exc}") from exc
    setpoint = data.get("cabinet_setpoint_c")
    return EquipmentSpec(
        equipment_id=_text(path, data, "equipment_id"),
        kind=EquipmentKind(str(data["kind"]).lower()),
        refrigerant=refrigerant,
        charge_kg=_positive(path, data, "charge_kg"),
        rated_output_kw=_positive(path, data, "rated_output_kw", allow_zero=True),
        cabinet_setpoint_c=None if setpoint is None else float(_number(path, data, "cabinet_setpoint_c")),
    )


def _text(path: Path, data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str) or not value.strip():
        raise ReplayError(f"{path}: {key} must be a non-empty string")
    return value


def _number(path: Path, data: dict[str, Any], key: str) -> Decimal:
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ReplayError(f"{path}: {key} must be a number, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ReplayError(f"{path}: {key} must be a number, got {value!r}") from None
    if not number.is_finite():
        raise ReplayError(f"{path}: {key} must be finite")
    return number


def _positive(path: Path, data: dict[str, Any], key: str, allow_zero: bool = False) -> Decimal:
    number = _number(path, data, key)
    if number < 0 or (number == 0 and not allow_zero):
        raise ReplayError(f"{path}: {key} must be {'>= 0' if allow_zero else '> 0'}, got {number}")
    return number


def parse_timestamp(text: str, where: str) -> float:
    try:
        stamp = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ReplayError(f"{where}: {text!r} is not an ISO 8601 timestamp") from None
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        raise ReplayError(f"{where}: timestamp {text!r} has no UTC offset (write e.g. +09:00 or Z)")
    return stamp.timestamp()


def load_readings(path: Path) -> Readings:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:  # Excel's "CSV UTF-8" starts with a BOM
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise ReplayError(f"{path}: cannot read: {exc}") from exc
    except UnicodeDecodeError as exc:  # e.g. Shift_JIS from a Japanese spreadsheet
        raise ReplayError(f"{path}: not UTF-8 text ({exc}); save it as UTF-8") from exc
    if not rows:
        raise ReplayError(f"{path}: empty file; expected a header starting with ts")
    header = [cell.strip() for cell in rows[0]]
    _check_header(path, header)
    body = rows[1:]
    if len(body) < 2:
        raise ReplayError(f"{path}: needs at least two readings")
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise ReplayError(f"{path}:{number}: {len(row)} cells, the header has {len(header)}")
    ts = np.array([parse_timestamp(row[0], f"{path}:{n}") for n, row in enumerate(body, start=2)])
    steps = np.diff(ts)
    if (steps <= 0).any():
        line = int(np.flatnonzero(steps <= 0)[0]) + 3
        raise ReplayError(f"{path}:{line}: rows must be in time order without repeats")
    interval = float(np.median(steps))
    if not MIN_INTERVAL_S <= interval <= MAX_INTERVAL_S:
        raise ReplayError(f"{path}: readings every {interval:.0f} s; the detectors take 10 s to 15 min")
    frame = {key: _column(path, body, column, key) for column, key in enumerate(header[1:], start=1)}
    gap = np.flatnonzero(steps > max(GAP_FACTOR * interval, interval + 60.0))
    return Readings(ts, frame, interval, tuple((float(ts[i]), float(ts[i + 1])) for i in gap))


def _check_header(path: Path, header: list[str]) -> None:
    if header[0] != "ts":
        raise ReplayError(f"{path}:1: the first column must be ts, not {header[0]!r}")
    known = {c.key for c in channels()}
    for key in header[1:]:
        if key not in known:
            raise ReplayError(f"{path}:1: unknown column {key!r}; use the channel keys of channels.csv")
    duplicated = sorted({k for k in header if header.count(k) > 1})
    if duplicated:
        raise ReplayError(f"{path}:1: column(s) {', '.join(duplicated)} appear more than once")


def _column(path: Path, body: Sequence[list[str]], column: int, key: str) -> FloatArray:
    cells = [row[column].strip() or "nan" for row in body]
    try:
        values = np.array(cells, dtype=np.float64)
    except ValueError:
        for line, cell in enumerate(cells, start=2):
            try:
                float(cell)
            except ValueError:
                raise ReplayError(f"{path}:{line}: {key} = {cell!r} is not a number") from None
        raise
    if np.isinf(values).any():
        line = int(np.flatnonzero(np.isinf(values))[0]) + 2
        raise ReplayError(f"{path}:{line}: {key} is infinite")
    return values


def replay(spec: EquipmentSpec, readings: Readings, baseline_until_s: float) -> ReplayResult:
    """Learn from the readings before ``baseline_until_s`` and detect on all of them, hour by hour."""
    _check_usable(spec, readings)
    frame = dict(readings.frame)
    reported = frame.get("cabinet_setpoint_c")
    if spec.cabinet_setpoint_c is not None and (reported is None or not np.isfinite(reported).any()):
        # the equipment's setpoint stands in for a setpoint column that is absent or empty throughout
        frame["cabinet_setpoint_c"] = np.full(len(readings.ts_s), spec.cabinet_setpoint_c)
    hourly = hourly_values(frame, readings.ts_s, spec.refrigerant)
    try:
        model = learn(hourly, baseline_until_s, spec.kind)
    except InsufficientBaseline as exc:
        raise ReplayError(f"--baseline-until {_iso(baseline_until_s)}: {exc}") from exc
    # detection starts with the first hour after the learning window
    state = CircuitState(last_hour_s=math.floor(baseline_until_s / 3600.0) * 3600.0 - 3600.0)
    outcome = CircuitDetector(spec, model, state=state).process(hourly)
    return ReplayResult(outcome.events, _gap_notes(readings))


def _check_usable(spec: EquipmentSpec, readings: Readings) -> None:
    have = set(readings.frame)
    if "liquid_temp_c" not in have or not ({"discharge_pressure_mpag", "cond_sat_temp_c"} & have):
        raise ReplayError(
            f"a {spec.kind.value} needs liquid_temp_c and discharge_pressure_mpag (or cond_sat_temp_c) "
            "for its subcooling, the minimum the charge estimate reads"
        )


def _gap_notes(readings: Readings) -> list[str]:
    if not readings.gaps:
        return []
    longest = max(b - a for a, b in readings.gaps)
    first = readings.gaps[0]
    return [
        f"readings have {len(readings.gaps)} gap(s) longer than {GAP_FACTOR:.0f} sampling intervals "
        f"(longest {longest / 3600:.1f} h; first {_iso(first[0])} .. {_iso(first[1])}); hours without readings "
        "are skipped, the detectors carry on after them"
    ]


def _iso(ts_s: float) -> str:
    return datetime.fromtimestamp(ts_s, UTC).isoformat()


def write_alerts(events: Sequence[Event], path: Path) -> int:
    rows = [e for e in events if e.status == "raised"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ALERTS_HEADER)
        for e in rows:
            loss = "" if e.estimated_charge_loss_pct is None or math.isnan(e.estimated_charge_loss_pct) else (
                f"{e.estimated_charge_loss_pct:.1f}")  # fmt: skip
            writer.writerow([_iso(e.ts), e.equipment_id, e.category, e.severity, loss, e.detector, e.message])
    return len(rows)


def run_replay(equipment: Path, readings: Path, baseline_until: str, out: Path) -> tuple[int, list[str]]:
    """The whole contract: read, validate, learn, detect, write. Returns (alerts written, notes)."""
    spec = load_equipment(equipment)
    loaded = load_readings(readings)
    cutoff = parse_timestamp(baseline_until, "--baseline-until")
    if not loaded.ts_s[0] < cutoff < loaded.ts_s[-1]:
        raise ReplayError(
            f"--baseline-until {baseline_until} must fall inside the readings ({_iso(loaded.ts_s[0])} .. "
            f"{_iso(loaded.ts_s[-1])})"
        )
    result = replay(spec, loaded, cutoff)
    return write_alerts(result.events, out), result.notes
