"""Daily-diagnosis benchmark, from the project root: ``python -m bench.diagnosis [--circuits 10000] [--interval 60]``.

Builds a fresh database (dropped at the end): N registered single-circuit units, copies of a handful of
simulated refrigeration units under different equipment ids; one model learned per template on its two
simulated weeks and stored for every copy; one local day (Asia/Tokyo) of readings per circuit in the telemetry
table. Then times ``detectors.service.run_daily_diagnosis`` for that day: the streaming pass over its 24 hours
(nothing judged yet, as after a day without the worker) and one diagnosis row per circuit; then the same call
again, which has nothing left to judge (the diagnosis alone). Last line:
``daily_diagnosis_circuits=N seconds=… per_circuit_ms=…`` (the first, full call).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from detectors.features import hourly_values
from detectors.model import learn
from detectors.service import run_daily_diagnosis
from edge_agent.simulator import SimulatedUnit, simulate_window, to_readings
from fluorowatch.domain.channels import channels
from storage.db import drop_database, ensure_database
from storage.migrate import migrate
from storage.telemetry import write_readings

SERVER = os.environ.get("FLUOROWATCH_BENCH_SERVER_URL", "postgresql://postgres@127.0.0.1:5432")
TOKYO = ZoneInfo("Asia/Tokyo")
LEARNED_DAYS = 14
UNITS_PER_SITE = 20
COPY_BATCH = 250  # units whose readings are copied per statement
# (kind, refrigerant, charge kg): refrigeration, which runs in every season
TEMPLATES = (
    ("showcase_remote", "R404A", 12.0),
    ("showcase_builtin", "R404A", 0.8),
    ("refrigerator", "R134a", 0.3),
    ("cold_room", "R448A", 8.0),
    ("condensing_unit", "R410A", 15.0),
)


def main() -> None:
    args = _arguments()
    url = f"{SERVER}/fw_bench_diagnosis_{os.getpid()}"
    day = datetime.now(TOKYO).date() - timedelta(days=2)
    drop_database(url)
    ensure_database(url)
    try:
        with psycopg.connect(url, autocommit=True) as conn, psycopg.connect(url, autocommit=True) as reader:
            migrate(conn)
            _prepare(conn, args, day)
            _measure(conn, reader, args, day)
    finally:
        drop_database(url)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.diagnosis")
    parser.add_argument("--circuits", type=int, default=10_000, help="circuits (one per unit) to diagnose")
    parser.add_argument("--interval", type=float, default=60.0, help="sampling of the day's readings, seconds")
    return parser.parse_args()


def _prepare(conn: psycopg.Connection, args: argparse.Namespace, day: date) -> None:
    started = time.perf_counter()
    register_fleet(conn, args.circuits)
    models = learn_templates(day, TOKYO, args.interval)
    store_models(conn, models)
    rows = load_day(conn, day, TOKYO, args.interval, progress=print)
    conn.execute("VACUUM ANALYZE")
    print(f"prepared in {time.perf_counter() - started:.0f} s: {args.circuits} circuits ({len(TEMPLATES)} templates),"
          f" {rows} readings of {day} at {args.interval:.0f} s, models learned on the 14 days before")  # fmt: skip


def _measure(conn: psycopg.Connection, reader: psycopg.Connection, args: argparse.Namespace, day: date) -> None:
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    result = run_daily_diagnosis(conn, day, TOKYO, reader=reader)  # as the worker runs it
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = run_daily_diagnosis(conn, day, TOKYO, reader=reader)
    repeat = time.perf_counter() - started
    statuses = ", ".join(f"{k} {n}" for k, n in result.by_status.items() if n)
    server = conn.execute("SHOW server_version").fetchone()
    print(f"machine: {platform.machine()} cpus={os.cpu_count()} python {platform.python_version()} "
          f"PostgreSQL {server[0] if server else '?'} (same host); load average {load_before:.1f} before the run, "
          f"{os.getloadavg()[0]:.1f} after (other processes on the host count too)")  # fmt: skip
    print(
        f"readings every {args.interval:.0f} s; streaming pass judged {result.detection.hours} hours of "
        f"{result.detection.circuits} circuits ({result.detection.failed} failed); diagnoses: {statuses}"
    )
    print(f"full call (24 h to judge + diagnosis): {seconds:.1f} s = {args.circuits / seconds:.0f} circuits/s")
    same = again.by_status == result.by_status
    print(f"repeat (nothing to judge, diagnosis only): {repeat:.1f} s; same answers: {same}")
    per_circuit_ms = 1000 * seconds / args.circuits
    print(f"daily_diagnosis_circuits={args.circuits} seconds={seconds:.1f} per_circuit_ms={per_circuit_ms:.2f}")


def register_fleet(conn: psycopg.Connection, circuits: int) -> None:
    """One circuit per unit, UNITS_PER_SITE units per site; equipment.model names the unit's template."""
    sites = -(-circuits // UNITS_PER_SITE)
    org = conn.execute("INSERT INTO organisation (name, depth) VALUES ('Bench Co', 0) RETURNING id").fetchone()
    assert org is not None
    conn.execute(
        """INSERT INTO site (organisation_id, site_code, name, prefecture_code)
           SELECT %s, 'B-' || lpad(g::text, 5, '0'), 'Bench store ' || g, '13' FROM generate_series(1, %s) g""",
        (org[0], sites),
    )
    conn.execute(
        """INSERT INTO equipment (site_id, management_no, kind, refrigerant, charge_kg, model)
           SELECT s.id, 'BU-' || g, t.kind, t.refrigerant, t.charge, 'template-' || (g %% %(n)s)
           FROM generate_series(0, %(circuits)s - 1) g
           JOIN site s ON s.site_code = 'B-' || lpad((g / %(per_site)s + 1)::text, 5, '0')
           JOIN unnest(%(kinds)s::text[], %(refrigerants)s::text[], %(charges)s::numeric[]) WITH ORDINALITY
               AS t(kind, refrigerant, charge, i) ON t.i = g %% %(n)s + 1
           ORDER BY g""",
        {"n": len(TEMPLATES), "circuits": circuits, "per_site": UNITS_PER_SITE, "kinds": [t[0] for t in TEMPLATES],
         "refrigerants": [t[1] for t in TEMPLATES], "charges": [t[2] for t in TEMPLATES]},
    )  # fmt: skip
    conn.execute("INSERT INTO circuit (equipment_id, circuit_no) SELECT id, 1 FROM equipment")
    conn.execute("INSERT INTO compressor (equipment_id, circuit_no, rated_output_kw) SELECT id, 1, 3.7 FROM equipment")


def _unit(template: int) -> SimulatedUnit:
    kind, refrigerant, charge = TEMPLATES[template]
    return SimulatedUnit.model_validate(
        {"kind": kind, "refrigerant": refrigerant, "charge_kg": charge, "seed": 1000 + template}
    )


def _learning_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day - timedelta(days=LEARNED_DAYS), clock_time(), tz)


def learn_templates(day: date, tz: ZoneInfo, interval_s: float) -> list[dict[str, Any]]:
    """Each template's model, learned on its simulated 14 days before ``day`` (in memory, not stored readings)."""
    start = _learning_start(day, tz)
    steps = int(LEARNED_DAYS * 86400 / interval_s)
    models = []
    for template in range(len(TEMPLATES)):
        result = simulate_window(_unit(template), f"template-{template}", start, (0, steps), interval_s)
        keep = result.present
        ts_s = result.ts[keep].astype("datetime64[us]").astype(np.int64) / 1e6
        frame = {key: values[keep] for key, values in result.channels.items()}
        hourly = hourly_values(frame, ts_s, result.unit.refrigerant)
        models.append(learn(hourly, (start + timedelta(days=LEARNED_DAYS)).timestamp(), result.unit.kind).to_json())
    return models


def store_models(conn: psycopg.Connection, models: list[dict[str, Any]]) -> None:
    """Version 1 of every circuit: a copy of its template's model."""
    first = models[0]["baseline"]
    conn.execute(
        """INSERT INTO detector_model (equipment_id, circuit_no, version, trained_from, trained_until, reason, model)
           SELECT e.id, 1, 1, to_timestamp(%s), to_timestamp(%s), 'commissioning', m.model FROM equipment e
           JOIN unnest(%s::jsonb[]) WITH ORDINALITY AS m(model, i) ON e.model = 'template-' || (m.i - 1)""",
        (first["trained_from"], first["trained_until"], [Jsonb(m) for m in models]),
    )


def load_day(
    conn: psycopg.Connection, day: date, tz: ZoneInfo, interval_s: float, progress: Callable[[str], None]
) -> int:
    """Each template's readings of ``day`` written once under a negative id, then copied to its units."""
    first = int(LEARNED_DAYS * 86400 / interval_s)
    for template in range(len(TEMPLATES)):
        result = simulate_window(_unit(template), f"template-{template}", _learning_start(day, tz),
                                 (first, first + int(86400 / interval_s)), interval_s)  # fmt: skip
        write_readings(conn, [(-1 - template, r) for r in to_readings(result)])
    columns = sql.SQL(", ").join(sql.Identifier(c.key) for c in channels())
    copy = sql.SQL(
        "INSERT INTO telemetry (equipment_id, circuit_no, ts, {columns})"
        " SELECT e.id, t.circuit_no, t.ts, {columns} FROM equipment e"
        " JOIN telemetry t ON t.equipment_id = -1 - substr(e.model, 10)::int"
        " WHERE e.id BETWEEN %s AND %s ORDER BY e.id, t.ts"
    ).format(columns=columns)
    bounds = conn.execute("SELECT min(id), max(id) FROM equipment").fetchone()
    assert bounds is not None
    written, started, shown = 0, time.perf_counter(), 0.0
    for low in range(bounds[0], bounds[1] + 1, COPY_BATCH):
        written += conn.execute(copy, (low, low + COPY_BATCH - 1)).rowcount
        if (elapsed := time.perf_counter() - started) - shown >= 30.0:
            progress(f"  readings: {written} rows ({written / elapsed:.0f} rows/s)")
            shown = elapsed
    conn.execute("DELETE FROM telemetry WHERE equipment_id < 0")
    return written


if __name__ == "__main__":
    main()
