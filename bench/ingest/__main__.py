"""Ingest benchmark (issue 4), from the project root: `python -m bench.ingest [--seconds 60]`.

(a) ceiling: binary COPY of the same rows straight into the same telemetry table;
(b) end to end: publisher processes (many simulated agents, batched messages) -> a private Mosquitto ->
    `fluorowatch ingest` -> committed rows, sustained for --seconds; then a run at a fixed 20,000 readings/s
    for the publish-to-committed latency. Last line: ceiling_rows_per_s=… e2e_readings_per_s=… ratio=… p99_latency_ms=…
`--with-detection` (issue 11): both runs again with the detectors' streaming pass judging the new hours of every
unit as they are stored (bench/ingest/detection.py), and its figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psutil
import psycopg

from bench.ingest.detection import (
    DetectionFigures,
    DetectionProcess,
    hour_counts,
    run_start,
    store_models,
    wait_clear_of_hourly_pass,
)
from bench.ingest.load import SITE, VALUES, publish, unit_name
from edge_agent.reading import Reading
from fluorowatch.domain.equipment import Compressor, Equipment, EquipmentKind, RefrigerantCircuit
from fluorowatch.domain.organisation import OrgPath, Site
from fluorowatch.runtime import free_port, mqtt_answers
from storage.db import drop_database, ensure_database
from storage.migrate import migrate
from storage.registry import save_equipment, save_site
from storage.telemetry import _COPY, _TYPES, row_of  # the same COPY the write path uses

SERVER = "postgresql://postgres@127.0.0.1:5432"


def main() -> None:
    args = _arguments()
    url = f"{SERVER}/fw_bench_{os.getpid()}"
    drop_database(url)
    ensure_database(url)
    try:
        _register(url, args.publishers * 2, args.units)
        fast_workers, paced_workers = range(args.publishers), range(args.publishers, 2 * args.publishers)
        fast_start, paced_start = run_start(300), run_start(150)
        if args.with_detection:
            store_models(url, fast_start, fast_workers)
            store_models(url, paced_start, paced_workers)
        ceiling = _ceiling(url, args.ceiling_rows)
        if args.with_detection:
            wait_clear_of_hourly_pass(2 * args.seconds + 300)
        with tempfile.TemporaryDirectory() as workdir, _Broker(Path(workdir)) as broker:
            prefix = f"bench{os.getpid()}"
            ingest = _start_ingest(url, broker.port, prefix)
            try:
                if args.soak:
                    soak = _run(url, broker, ingest, prefix, args, workers=fast_workers, rate=args.latency_rate,
                                start=fast_start)  # fmt: skip
                    _report_soak(soak, args)
                    return
                e2e = _run(url, broker, ingest, prefix, args, workers=fast_workers, rate=0.0, start=fast_start)
                paced = _run(url, broker, ingest, prefix, args, workers=paced_workers, rate=args.latency_rate,
                             start=paced_start)  # fmt: skip
            finally:
                ingest.terminate()
                try:
                    ingest.wait(30)
                except subprocess.TimeoutExpired:
                    print("ingest did not stop within 30 s of SIGTERM; killed")
                    ingest.kill()
        _report(ceiling, e2e, paced, args)
    finally:
        drop_database(url)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each end-to-end run")
    parser.add_argument("--publishers", type=int, default=2, help="publisher processes (each many agents)")
    parser.add_argument("--units", type=int, default=500, help="units per publisher")
    parser.add_argument("--per-message", type=int, default=100, help="readings per message")
    parser.add_argument("--latency-rate", type=float, default=20_000.0, help="readings/s of the latency run")
    parser.add_argument("--ceiling-rows", type=int, default=500_000, help="rows for the COPY ceiling")
    parser.add_argument(
        "--soak", action="store_true", help="only the paced run, sampling ingest memory (use --seconds 600)"
    )
    parser.add_argument(
        "--with-detection", action="store_true", help="run the detectors' streaming pass beside ingest (issue 11)"
    )
    return parser.parse_args()


def _register(url: str, publishers: int, units: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
    with psycopg.connect(url) as conn:
        site = save_site(conn, Site(SITE, "Benchmark", "13", "", OrgPath.parse("Bench Co")))
        circuit = (RefrigerantCircuit(1, (Compressor(Decimal("3.7")),)),)
        for worker in range(publishers):
            for unit in range(units):
                name = unit_name(worker, unit)
                save_equipment(conn, site, Equipment(name, EquipmentKind.SHOWCASE_REMOTE, "R404A", Decimal(8), circuit))


def _ceiling(url: str, rows: int) -> float:
    """Rows/s of binary COPY in 10k-row batches straight into telemetry (no staging, no merge)."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    batch = 10_000
    prepared = [row_of(1 + n % 1000, Reading("x", 1, start + timedelta(minutes=n), VALUES)) for n in range(rows)]
    with psycopg.connect(url) as conn:
        copy_sql = _COPY.as_string(conn).replace("telemetry_staging", "telemetry")
        began = time.perf_counter()
        for first in range(0, rows, batch):
            with conn.cursor() as cur, cur.copy(copy_sql) as copy:
                copy.set_types(_TYPES)
                for row in prepared[first : first + batch]:
                    copy.write_row(row)
            conn.commit()
        elapsed = time.perf_counter() - began
        conn.execute("TRUNCATE telemetry")
        conn.commit()
    return rows / elapsed


class _Broker:
    """A private Mosquitto with production's queue bounds for persistent sessions (deploy/mosquitto)."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.config = workdir / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 10000000\n"
            "max_queued_bytes 4294967296\n"
            f"max_inflight_messages 0\nuser {psutil.Process().username()}\n"
        )

    def __enter__(self) -> _Broker:
        self.process = subprocess.Popen(["mosquitto", "-c", str(self.config)], stderr=subprocess.DEVNULL)
        while not mqtt_answers("127.0.0.1", self.port, timeout_s=0.5):
            time.sleep(0.1)
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(10)


def _start_ingest(url: str, port: int, prefix: str) -> subprocess.Popen[bytes]:
    metrics = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUOROWATCH_")}
    env.update(DATABASE_URL=url, MQTT_URL=f"mqtt://127.0.0.1:{port}", FLUOROWATCH_TOPIC_PREFIX=prefix,
               FLUOROWATCH_LOG_LEVEL="WARNING")  # fmt: skip
    process = subprocess.Popen([sys.executable, "-m", "fluorowatch", "ingest", "--client-id", f"bench-{prefix}",
                                "--metrics-port", str(metrics)], env=env)  # fmt: skip
    process.metrics_port = metrics  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while _stored(process) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # subscribed after it serves metrics
    return process


def _stored(ingest: subprocess.Popen[bytes]) -> float | None:
    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{ingest.metrics_port}/metrics", timeout=2).read().decode()  # type: ignore[attr-defined]
    except OSError:
        return None
    return next(
        (float(line.split()[-1]) for line in text.splitlines() if line.startswith("fw_ingest_rows_stored_total ")), 0.0
    )


def _run(url: str, broker: _Broker, ingest: subprocess.Popen[bytes], prefix: str, args: argparse.Namespace, *,
         workers: range, rate: float, start: datetime) -> dict[str, object]:  # fmt: skip
    detection = DetectionProcess(url, workers, args.units) if args.with_detection else None
    processes = _cpu_processes(ingest, broker)
    cpu_before = {name: _cpu(ps) for name, ps in processes.items() if name != "postgres"}
    cpu_before_pids = {p.pid: _cpu([p]) for p in processes["postgres"]}
    stored_before = _stored(ingest) or 0.0
    began = time.monotonic()
    per_worker = rate / len(workers) if rate else 0.0
    rss: list[float] = []
    sampling = threading.Event()
    sampler = threading.Thread(target=_sample_rss, args=(ingest.pid, rss, sampling), daemon=True)
    sampler.start()
    with ProcessPoolExecutor(len(workers)) as pool:
        load = (args.units, args.per_message, per_worker, args.seconds, start)
        futures = [pool.submit(publish, broker.port, prefix, w, *load)
                   for w in workers]  # fmt: skip
        results = [f.result() for f in futures]
    sent = sum(r[0] for r in results)
    while (_stored(ingest) or 0.0) - stored_before < sent and time.monotonic() - began < args.seconds + 120:
        time.sleep(0.5)
    elapsed = time.monotonic() - began
    stored = (_stored(ingest) or 0.0) - stored_before
    judged = detection.finish() if detection is not None else None
    processes["postgres"] = _postgres()  # backends opened during the run count from their start
    cpu = {name: round(_cpu(ps) - cpu_before.get(name, 0.0), 1) for name, ps in processes.items()}
    cpu["postgres"] = round(_cpu(processes["postgres"]) - _cpu_of_pids(cpu_before_pids, processes["postgres"]), 1)
    if judged is not None:  # a child of this process: once joined, its CPU is counted in `publishers`
        cpu["publishers"] = round(cpu["publishers"] - judged.cpu_s, 1)
        cpu["detection"] = round(judged.cpu_s, 1)
    latencies = _latencies(url, [s for r in results for s in r[1]])
    rss_mb = psutil.Process(ingest.pid).memory_info().rss / 2**20
    sampling.set()
    return {"sent": sent, "stored": stored, "elapsed": elapsed, "rate": stored / elapsed, "cpu": cpu,
            "latencies": latencies, "ingest_rss_mb": round(rss_mb), "rss_samples": rss, "detection": judged,
            "hours": hour_counts(url, workers) if judged is not None else None}  # fmt: skip


def _sample_rss(pid: int, samples: list[float], stop: threading.Event) -> None:
    while not stop.wait(10.0):
        samples.append(psutil.Process(pid).memory_info().rss / 2**20)


def _report_soak(run: dict[str, object], args: argparse.Namespace) -> None:
    rss = run["rss_samples"]
    lat = run["latencies"]
    assert isinstance(rss, list) and isinstance(lat, list)
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan")
    print(f"soak {args.seconds:.0f} s at {args.latency_rate:,.0f}/s: sent {run['sent']:,} stored {run['stored']:,.0f}")
    print("ingest RSS MB every 10 s: " + " ".join(f"{m:.0f}" for m in rss))
    half = len(rss) // 2
    first, second = rss[:half] or [0.0], rss[half:] or [0.0]
    print(
        f"soak_rss_first_half_max_mb={max(first):.0f} soak_rss_second_half_max_mb={max(second):.0f}"
        f" p99_latency_ms={p99:.0f}"
    )


def _cpu_processes(ingest: subprocess.Popen[bytes], broker: _Broker) -> dict[str, list[psutil.Process]]:
    return {"ingest": [psutil.Process(ingest.pid)], "mosquitto": [psutil.Process(broker.process.pid)],
            "postgres": _postgres(), "publishers": [psutil.Process()]}  # fmt: skip


def _postgres() -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["name"]) if p.info["name"] in ("postgres", "postmaster")]


def _cpu_of_pids(before: dict[int, float], now: list[psutil.Process]) -> float:
    alive = {p.pid for p in now}
    return sum(cpu for pid, cpu in before.items() if pid in alive)


def _cpu(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            t = process.cpu_times()
            total += t.user + t.system + getattr(t, "children_user", 0.0) + getattr(t, "children_system", 0.0)
        except psutil.Error:
            pass
    return total


def _latencies(url: str, samples: list[tuple[str, str, float]]) -> list[float]:
    """Milliseconds from publish to the row's received_at (the committing transaction's start)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            """SELECT s.sent, extract(epoch FROM t.received_at) FROM unnest(%s::text[], %s::timestamptz[], %s::float8[])
                   AS s(equipment, ts, sent)
               JOIN equipment e ON e.management_no = s.equipment JOIN telemetry t
                 ON t.equipment_id = e.id AND t.circuit_no = 1 AND t.ts = s.ts""",
            ([s[0] for s in samples], [s[1] for s in samples], [s[2] for s in samples]),
        ).fetchall()
    return sorted(max(0.0, (float(received) - sent) * 1000) for sent, received in rows)


def _report(ceiling: float, e2e: dict[str, object], paced: dict[str, object], args: argparse.Namespace) -> None:
    lat = paced["latencies"]
    assert isinstance(lat, list)
    p50 = statistics.median(lat) if lat else float("nan")
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan")
    print(f"machine: {platform.machine()} cpus={psutil.cpu_count()} python {platform.python_version()}")
    print(f"(a) COPY ceiling: {ceiling:,.0f} rows/s")
    for name, run in (
        ("(b) end to end, as fast as possible", e2e),
        (f"(c) end to end at {args.latency_rate:,.0f}/s", paced),
    ):
        print(f"{name}: sent {run['sent']:,} stored {run['stored']:,.0f} in {run['elapsed']:.1f} s -> "
              f"{run['rate']:,.0f} readings/s; CPU s {run['cpu']}; ingest RSS {run['ingest_rss_mb']} MB")  # fmt: skip
        _report_detection(run)
    print(
        f"latency publish->committed at {args.latency_rate:,.0f}/s:"
        f" p50 {p50:.0f} ms p99 {p99:.0f} ms ({len(lat)} samples)"
    )
    rate = float(e2e["rate"])  # type: ignore[arg-type]
    print(
        f"ceiling_rows_per_s={ceiling:.0f} e2e_readings_per_s={rate:.0f} ratio={rate / ceiling:.3f}"
        f" p99_latency_ms={p99:.0f}" + (" detection=on" if args.with_detection else "")
    )


def _report_detection(run: dict[str, object]) -> None:
    judged = run["detection"]
    if not isinstance(judged, DetectionFigures):
        return
    hours = run["hours"]
    assert isinstance(hours, tuple)
    stored, judged_rows, with_data = hours
    print(f"    detection: {with_data:,} of {stored:,} circuit-hours with readings judged ({with_data / stored:.3f});"
          f" {judged_rows:,} hours judged in all, in {judged.passes} passes, {judged.events} events,"
          f" {judged.failed} failed; CPU {judged.cpu_s:.1f} s;"
          f" caught up {judged.catch_up_s:.1f} s after the last reading was stored")  # fmt: skip


if __name__ == "__main__":
    main()
