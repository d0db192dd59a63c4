"""The detectors against the database: learning a circuit's model, the streaming pass that judges each new
hour, and the daily diagnosis (REGULATION.md (p) ロ, ハ). The detectors themselves stay pure; the connection is
passed in and every write goes through storage/detector_queries.py.

The streaming pass and the daily diagnosis are safe to repeat and to run from two processes at once (ingest's
housekeeping and the worker): the pass advances a per-circuit watermark under an advisory lock, an hour or
event already stored is kept, and a day's diagnosis is an upsert. Learning adds a model version each time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import TypeVar
from zoneinfo import ZoneInfo

import psycopg
from prometheus_client import Histogram

from detectors.baseline import InsufficientBaseline
from detectors.daily import DaySummary, Diagnosis, DiagnosisStatus, day_bounds, judge, last_complete_hour
from detectors.engine import CircuitDetector, CircuitState, EquipmentSpec
from detectors.features import hourly_values
from detectors.model import CircuitModel, learn
from fluorowatch.domain.equipment import EquipmentKind
from storage.detector_queries import (
    CircuitKey,
    CircuitPass,
    DetectionInputs,
    FloatArray,
    Frame,
    Readings,
    StoredModel,
    Window,
    circuit_spec,
    due_circuits,
    load_detection_inputs,
    next_model_version,
    read_circuit_readings,
    read_readings,
    save_model,
    save_passes,
)
from storage.diagnosis_queries import (
    day_summaries,
    models_in_force,
    raised_categories,
    registered_circuits,
    write_diagnoses,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

# Readings of the hour before the first one judged: "steady" needs the run that was already under way.
WARM_UP = timedelta(hours=1)
CHUNK_CIRCUITS = 200  # circuits per read-judge-write round: about 300 k readings at 60 s over a day
_LOCK_KEY = 0x666C756F7244  # "fluorD": one streaming pass at a time across processes
# pass: stream (detect_new_hours, hourly: ingest's housekeeping or the worker) or daily (run_daily_diagnosis)
RUN_SECONDS = Histogram("fw_detector_run_seconds", "Duration of a detectors' pass", ["pass"],
                        buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800))  # fmt: skip


@dataclass(frozen=True)
class PassResult:
    circuits: int = 0
    hours: int = 0
    events: int = 0
    failed: int = 0

    def __add__(self, other: PassResult) -> PassResult:
        return PassResult(self.circuits + other.circuits, self.hours + other.hours, self.events + other.events,
                          self.failed + other.failed)  # fmt: skip


def learn_circuit(
    conn: psycopg.Connection, equipment_id: int, circuit_no: int, since: datetime, until: datetime, reason: str
) -> int:
    """Learn a circuit's model from its readings in since .. until (believed healthy) and store it as a new
    version, which becomes the active one; return the version. Raises ``InsufficientBaseline``."""
    spec = circuit_spec(conn, equipment_id, circuit_no)
    if spec is None:
        raise ValueError(f"equipment {equipment_id} circuit {circuit_no} is not registered")
    ts_s, frame = read_circuit_readings(conn, equipment_id, circuit_no, since - WARM_UP, until)
    if len(ts_s) < 2:
        raise InsufficientBaseline(f"no readings between {since.isoformat()} and {until.isoformat()}")
    version = next_model_version(conn, equipment_id, circuit_no)
    hourly = hourly_values(frame, ts_s, spec.refrigerant)
    model = learn(hourly, until.timestamp(), EquipmentKind(spec.kind), version=version, since_s=since.timestamp())
    trained = (_instant(model.baseline.trained_from), _instant(model.baseline.trained_until))
    stored = StoredModel(version, *trained, reason, model.to_json(), datetime.now(UTC))
    save_model(conn, equipment_id, circuit_no, stored)
    log.info("learned model v%d of equipment %d circuit %d (%s)", version, equipment_id, circuit_no, reason)
    return version


def detect_new_hours(conn: psycopg.Connection, now: datetime, reader: psycopg.Connection | None = None) -> PassResult:
    """The streaming pass: judge every hour not yet judged that ended before ``now`` (less the margin for
    late readings), for each circuit with an active model."""
    with RUN_SECONDS.labels("stream").time():
        return detect_until(conn, last_complete_hour(now), reader)


def detect_until(conn: psycopg.Connection, until: datetime, reader: psycopg.Connection | None = None) -> PassResult:
    """Judge the hours that end at or before ``until`` (on the hour). Each round of circuits reads, judges and
    writes in one transaction (a savepoint when the caller has one open), so a circuit's verdicts, events and
    new state are stored together or not at all. Given a second connection ``reader`` (autocommit), the next
    round's readings are read on it while this round is judged: the database and Python work side by side."""
    due = [Window(e, c, first - WARM_UP, until) for (e, c), first in due_circuits(conn, until).items()]
    rounds = list(_batched(due, CHUNK_CIRCUITS))
    result = PassResult()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="detector-reader") as pool:
        ahead: Future[list[Readings]] | None = None
        for number, windows in enumerate(rounds):
            prefetched = dict(zip(windows, ahead.result(), strict=True)) if ahead is not None else {}
            ahead = None
            if reader is not None and number + 1 < len(rounds):
                ahead = pool.submit(read_readings, reader, rounds[number + 1])
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
                result += _detect_round(conn, windows, until, prefetched)
    if result.circuits or result.failed:
        log.info("detectors: %d hours of %d circuits judged, %d events, %d circuits failed", result.hours,
                 result.circuits, result.events, result.failed)  # fmt: skip
    return result


def _detect_round(
    conn: psycopg.Connection, windows: list[Window], until: datetime, prefetched: dict[Window, Readings]
) -> PassResult:
    # Inputs are read again under the lock: another process may have judged some of these hours meanwhile.
    inputs = [i for i in load_detection_inputs(conn, [(w.equipment_id, w.circuit_no) for w in windows])
              if i.first_hour < until]  # fmt: skip
    passes, failed = [], 0
    for circuit, (ts_s, frame) in zip(inputs, _readings(conn, inputs, until, prefetched), strict=True):
        try:
            found = _judge_circuit(circuit, ts_s, frame)
        except Exception:  # one circuit's odd data must not stop the fleet's pass; it is retried next pass
            log.exception("detectors: equipment %d circuit %d failed", circuit.equipment_id, circuit.circuit_no)
            failed += 1
            continue
        if found is not None:
            passes.append(found)
    save_passes(conn, passes)
    return PassResult(len(passes), sum(len(p.verdicts) for p in passes), sum(len(p.events) for p in passes), failed)


def _readings(
    conn: psycopg.Connection, inputs: list[DetectionInputs], until: datetime, prefetched: dict[Window, Readings]
) -> list[Readings]:
    """Each circuit's readings from the hour before its first hour to judge: those read ahead when they
    reach back far enough (trimmed, if another pass has moved the watermark on), else read now."""
    ahead = {(w.equipment_id, w.circuit_no): (w, readings) for w, readings in prefetched.items()}
    found: dict[CircuitKey, Readings] = {}
    missing = []
    for circuit in inputs:
        key, since = (circuit.equipment_id, circuit.circuit_no), circuit.first_hour - WARM_UP
        window, readings = ahead.get(key, (None, None))
        if window is not None and readings is not None and window.since <= since:
            found[key] = _trim(readings, since)
        else:
            missing.append(Window(*key, since, until))
    found.update(zip(((w.equipment_id, w.circuit_no) for w in missing), read_readings(conn, missing), strict=True))
    return [found[(circuit.equipment_id, circuit.circuit_no)] for circuit in inputs]


def _trim(readings: Readings, since: datetime) -> Readings:
    ts_s, frame = readings
    keep = ts_s >= since.timestamp()
    if keep.all():
        return readings
    return ts_s[keep], {key: values[keep] for key, values in frame.items()}


def _judge_circuit(circuit: DetectionInputs, ts_s: FloatArray, frame: Frame) -> CircuitPass | None:
    if len(ts_s) == 0:
        return None
    unit = circuit.spec
    spec = EquipmentSpec(unit.management_no, EquipmentKind(unit.kind), unit.refrigerant, Decimal(unit.charge_kg),
                         unit.rated_output_kw)  # fmt: skip
    model = CircuitModel.from_json(circuit.model)
    if circuit.state is None:
        state = CircuitState(last_hour_s=circuit.first_hour.timestamp() - 3600.0)
    else:
        state = CircuitState.from_json(dict(circuit.state))
    before = state.last_hour_s
    outcome = CircuitDetector(spec, model, circuit.circuit_no, state).process(
        hourly_values(frame, ts_s, spec.refrigerant)
    )
    if state.last_hour_s == before:
        return None
    return CircuitPass(circuit.equipment_id, circuit.circuit_no, circuit.model_version, outcome.verdicts,
                       outcome.events, state.to_json(), _instant(state.last_hour_s))  # fmt: skip


@dataclass(frozen=True)
class DailyResult:
    day: date
    detection: PassResult
    by_status: dict[str, int]

    @property
    def circuits(self) -> int:
        return sum(self.by_status.values())


def run_daily_diagnosis(
    conn: psycopg.Connection,
    day: date,
    tz: ZoneInfo,
    now: datetime | None = None,
    reader: psycopg.Connection | None = None,
) -> DailyResult:
    """Judge the day's remaining hours, then write one diagnosis per circuit in service that day, whatever
    its answer (REGULATION.md (p) ロ: "no leak" and "insufficient data" are records too). Repeatable."""
    start, end = day_bounds(day, tz)
    with RUN_SECONDS.labels("daily").time():
        detection = detect_until(conn, min(end, last_complete_hour(now or datetime.now(UTC))), reader)
        with conn.transaction():
            diagnoses = _diagnose(conn, day, start, end)
            write_diagnoses(conn, diagnoses)
    by_status = {s.value: 0 for s in DiagnosisStatus}
    for _, diagnosis in diagnoses:
        by_status[diagnosis.status.value] += 1
    log.info("daily diagnosis of %s: %s", day, ", ".join(f"{k} {n}" for k, n in by_status.items() if n))
    return DailyResult(day, detection, by_status)


def _diagnose(
    conn: psycopg.Connection, day: date, start: datetime, end: datetime
) -> list[tuple[CircuitKey, Diagnosis]]:
    """Every circuit in service that day, judged on the summary of its hours; only the model in force that day
    counts, and only the categories its own events raised."""
    in_force = models_in_force(conn, end)
    summaries = day_summaries(conn, start, end)
    raised = raised_categories(conn, start, end)
    diagnoses = []
    for key in registered_circuits(conn, day):
        version = in_force.get(key)
        categories = raised.get(key, {}).get(version, frozenset()) if version is not None else frozenset()
        summary = summaries.get(key, DaySummary())
        diagnoses.append((key, judge(day, summary, model_version=version, raised=categories)))
    return diagnoses


def _batched(keys: Sequence[T], size: int) -> Iterator[list[T]]:
    it = iter(keys)
    while chunk := list(islice(it, size)):
        yield chunk


def _instant(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)
