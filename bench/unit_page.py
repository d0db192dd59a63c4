"""Unit-page benchmark, from the project root: ``python -m bench.unit_page [--requests 50]``.

Builds a fresh database (dropped at the end) with one unit (a remote showcase, R404A, one circuit) and ONE YEAR
of simulated readings every 60 s, loaded with binary COPY (storage/telemetry.write_rows); rolls them up
(storage/rollups.refresh_rollups, the plain-PostgreSQL path); stores a model learned on the first two weeks and a
year of hourly charge estimates. Then requests the unit page's data endpoints through the real application
(FastAPI's TestClient on the app of api/app.py, a bearer token, a connection pool) for ranges of 1, 7, 30 and 365
days ending at the last reading: ``/telemetry`` with the page's default channels and ``/baseline``, each
``--requests`` times after 3 warm-up requests. For comparison it times, in the same run, what the year range
would cost without the rollups: the same daily average/min/max computed from the year's raw rows in SQL.

Last line: ``unit_page_year_p95_ms=… one_day_p95_ms=… raw_year_scan_ms=…``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg
from fastapi.testclient import TestClient

from api.app import create_app
from detectors.features import hourly_values
from detectors.model import learn
from edge_agent.simulator import SimulatedUnit, simulate_window
from fluorowatch.domain.channels import ChannelType, channels
from storage.db import drop_database, ensure_database, open_pool
from storage.detector_queries import jsonb
from storage.migrate import migrate
from storage.rollups import refresh_rollups
from storage.telemetry import write_rows
from storage.token_queries import grant_role, issue_token, save_user

SERVER = os.environ.get("FLUOROWATCH_BENCH_SERVER_URL", "postgresql://postgres@127.0.0.1:5432")
INTERVAL_S = 60.0
DAYS = 365
RANGES = {"1 day": 1, "7 days": 7, "30 days": 30, "1 year": 365}
TARGET_MS = 200.0
LEARNED_DAYS = 14
_PAGE = ("suction_pressure_mpag", "discharge_pressure_mpag", "suction_temp_c", "evap_sat_temp_c", "cond_sat_temp_c",
         "liquid_temp_c", "cabinet_temp_c")  # fmt: skip


def main() -> None:
    args = _arguments()
    url = f"{SERVER}/fw_bench_unit_page_{os.getpid()}"
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    drop_database(url)
    ensure_database(url)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            migrate(conn)
            equipment_id, token = _prepare(conn, end)
            scan_ms = _raw_year_scan(conn, equipment_id, end)
        with open_pool(url, max_size=4) as pool:
            client = TestClient(create_app(pool, clock=lambda: end))
            results = _measure(client, token, equipment_id, end, args.requests)
        _report(results, scan_ms, args.requests, url)
    finally:
        drop_database(url)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.unit_page")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per endpoint and range")
    return parser.parse_args()


def _prepare(conn: psycopg.Connection, end: datetime) -> tuple[int, str]:
    started = time.perf_counter()
    org = conn.execute("INSERT INTO organisation (name, depth) VALUES ('Bench Co', 0) RETURNING id").fetchone()
    assert org is not None
    site = conn.execute(
        "INSERT INTO site (organisation_id, site_code, name, prefecture_code) VALUES (%s, 'B-1', 'Bench store', '13')"
        " RETURNING id",
        (org[0],),
    ).fetchone()
    assert site is not None
    unit = SimulatedUnit.model_validate({"kind": "showcase_remote", "refrigerant": "R404A", "charge_kg": 12.0,
                                         "seed": 2026})  # fmt: skip
    row = conn.execute(
        """INSERT INTO equipment (site_id, management_no, kind, refrigerant, charge_kg)
           VALUES (%s, 'BU-1', 'showcase_remote', 'R404A', 12.0) RETURNING id""",
        (site[0],),
    ).fetchone()
    assert row is not None
    equipment_id = int(row[0])
    conn.execute("INSERT INTO circuit (equipment_id, circuit_no) VALUES (%s, 1)", (equipment_id,))
    user_id = save_user(conn, "bench@example.jp", "bench")
    grant_role(conn, user_id, "admin", organisation_id=int(org[0]))
    _, token = issue_token(conn, user_id, "bench")

    start = end - timedelta(days=DAYS)
    result = simulate_window(unit, "BU-1", start, (0, int(DAYS * 86400 / INTERVAL_S)), INTERVAL_S)
    simulated = time.perf_counter() - started
    rows = _rows(equipment_id, result.ts[result.present], {k: v[result.present] for k, v in result.channels.items()})
    started_copy = time.perf_counter()
    with conn.transaction():
        written = write_rows(conn, rows)
    copied = time.perf_counter() - started_copy
    started_refresh = time.perf_counter()
    with conn.transaction():
        refresh_rollups(conn, datetime.now(UTC))
    refreshed = time.perf_counter() - started_refresh

    keep = result.present
    ts_s = result.ts[keep].astype("datetime64[us]").astype(np.int64) / 1e6
    learned = ts_s < (start + timedelta(days=LEARNED_DAYS)).timestamp()
    frame = {key: values[keep][learned] for key, values in result.channels.items()}
    model = learn(hourly_values(frame, ts_s[learned], "R404A"), (start + timedelta(days=LEARNED_DAYS)).timestamp(),
                  unit.kind)  # fmt: skip
    conn.execute(
        """INSERT INTO detector_model (equipment_id, circuit_no, version, trained_from, trained_until, reason, model)
           VALUES (%s, 1, 1, %s, %s, 'commissioning', %s)""",
        (equipment_id, start, start + timedelta(days=LEARNED_DAYS), jsonb(model.to_json())),
    )
    conn.execute(
        """INSERT INTO detector_hour (equipment_id, circuit_no, hour_utc, model_version, has_data, lost_pct, sigma_pct)
           SELECT %s, 1, h, 1, true, 0.2 * sin(extract(epoch FROM h) / 86400.0), 1.0
           FROM generate_series(%s::timestamptz, %s::timestamptz - interval '1 hour', interval '1 hour') h""",
        (equipment_id, start + timedelta(days=LEARNED_DAYS), end),
    )
    conn.execute("VACUUM ANALYZE")
    channel_count = len(result.channel_keys)
    print(f"prepared in {time.perf_counter() - started:.0f} s: {written} readings of one unit ({channel_count}"
          f" channels, {DAYS} days at {INTERVAL_S:.0f} s) simulated in {simulated:.1f} s, copied in {copied:.1f} s"
          f" ({written / copied:.0f} rows/s), rolled up in {refreshed:.1f} s")  # fmt: skip
    return equipment_id, token


def _rows(equipment_id: int, ts: np.ndarray, values: dict[str, np.ndarray]) -> list[tuple[object, ...]]:
    """COPY-ready rows (storage/telemetry.Row) from the simulator's columns; NaN as NULL."""
    moments = [t.replace(tzinfo=UTC) for t in ts.astype("datetime64[us]").tolist()]
    columns: list[list[object]] = []
    for channel in channels():
        column = values.get(channel.key)
        if column is None:
            columns.append([None] * len(moments))
            continue
        missing = np.isnan(column)
        if channel.type is ChannelType.FLAG:
            converted: list[object] = (column > 0.5).tolist()
        elif channel.type is ChannelType.COUNT:
            converted = np.nan_to_num(column).astype(np.int64).tolist()
        else:
            converted = column.astype(np.float64).tolist()
        columns.append([None if m else v for m, v in zip(missing.tolist(), converted, strict=True)])
    n = len(moments)
    return list(zip([equipment_id] * n, [1] * n, moments, *columns, strict=True))


def _raw_year_scan(conn: psycopg.Connection, equipment_id: int, end: datetime, repeats: int = 5) -> float:
    """The year's daily average, lowest and highest of the page's channels computed from the raw rows (what the
    year range would cost without the rollups): median of ``repeats`` runs, ms, after one warm-up run."""
    aggregates = ", ".join(f"avg({c}), min({c}), max({c})" for c in _PAGE)
    query = (f"SELECT date_trunc('day', ts, 'UTC') AS day, count(*), {aggregates} FROM telemetry"
             " WHERE equipment_id = %s AND circuit_no = 1 AND ts >= %s AND ts < %s GROUP BY 1 ORDER BY 1")  # fmt: skip
    params = (equipment_id, end - timedelta(days=DAYS), end)
    conn.execute(query, params).fetchall()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        conn.execute(query, params).fetchall()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _measure(
    client: TestClient, token: str, equipment_id: int, end: datetime, requests: int
) -> list[tuple[str, str, str, int, list[float]]]:
    """(endpoint, range, resolution, points a circuit, times in ms) per endpoint and range."""
    headers = {"Authorization": f"Bearer {token}"}
    results = []
    for endpoint in ("telemetry", "baseline"):
        for label, days in RANGES.items():
            params = {"from": (end - timedelta(days=days)).isoformat(), "to": end.isoformat()}
            path = f"/api/v1/equipment/{equipment_id}/{endpoint}"
            for _ in range(3):
                answer = client.get(path, params=params, headers=headers)
                assert answer.status_code == 200, answer.text
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                answer = client.get(path, params=params, headers=headers)
                times.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, answer.text
            body = answer.json()
            results.append((endpoint, label, body["resolution"], len(body["circuits"][0]["ts"]), times))
    return results


def _percentile(times: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(times), p))


def _report(results: list[tuple[str, str, str, int, list[float]]], scan_ms: float, requests: int, url: str) -> None:
    load = os.getloadavg()[0]
    with psycopg.connect(url) as conn:
        server = conn.execute("SHOW server_version").fetchone()
    print(f"machine: {platform.machine()} cpus={os.cpu_count()} python {platform.python_version()} "
          f"PostgreSQL {server[0] if server else '?'} (same host, plain layout); load average {load:.1f}")  # fmt: skip
    print(f"{requests} timed requests per row, after 3 warm-up requests; through FastAPI's TestClient")
    print(f"{'endpoint':<10} {'range':<8} {'resolution':<10} {'points':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    p95 = {}
    for endpoint, label, resolution, points, times in results:
        p95[endpoint, label] = _percentile(times, 95)
        print(f"{endpoint:<10} {label:<8} {resolution:<10} {points:>7} {_percentile(times, 50):>8.1f}"
              f" {p95[endpoint, label]:>8.1f} {max(times):>8.1f}")  # fmt: skip
    year, day = p95["telemetry", "1 year"], p95["telemetry", "1 day"]
    slowest = max(p95.values())
    print(f"raw full-year scan (daily avg/min/max of {len(_PAGE)} channels from 525,600 rows, SQL only, median of 5):"
          f" {scan_ms:.1f} ms")  # fmt: skip
    verdict = "met" if slowest < TARGET_MS else "NOT met"
    print(f"year telemetry p95 / 1-day p95 = {year / day:.2f}; year telemetry p95 / raw year scan = "
          f"{year / scan_ms:.3f}; slowest p95 {slowest:.1f} ms against the {TARGET_MS:.0f} ms target: "
          f"{verdict}")  # fmt: skip
    print(f"unit_page_year_p95_ms={year:.1f} one_day_p95_ms={day:.1f} raw_year_scan_ms={scan_ms:.1f}")


if __name__ == "__main__":
    main()
