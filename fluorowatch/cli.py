"""The `fluorowatch` command. Only subcommands that work are listed."""

from __future__ import annotations

import argparse
import io
import logging
import socket
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

from api.auth import SessionPolicy
from edge_agent.errors import ConfigError
from fluorowatch import __version__
from fluorowatch.agents_command import add_agents_parser
from fluorowatch.api_command import add_api_parser
from fluorowatch.demo import demo_sign_in, seed_and_describe
from fluorowatch.demo_fleet import sample_retailer
from fluorowatch.import_command import add_import_parser
from fluorowatch.logbook_command import add_logbook_parser
from fluorowatch.report_command import add_report_parser
from fluorowatch.runtime import LOCAL_DATABASE_URL, LOCAL_MQTT_URL, free_port, resolve_services
from fluorowatch.services import port_is_free, prepare_database, serve_http
from fluorowatch.settings import Settings, SettingsError, load_settings
from fluorowatch.users_command import add_users_parser
from storage.db import DatabaseUnavailable, ensure_database, redact, wait_for_database
from storage.migrate import MigrationError

if TYPE_CHECKING:  # the simulator is imported only where it runs
    from fluorowatch.demo_scenarios import DemoUnit

log = logging.getLogger("fluorowatch")

Handler = Callable[[Settings, argparse.Namespace], int]
BACKFILL_DAYS = 30
BACKFILL_INTERVAL_S = 300.0
_EXPECTED_FAILURES = (SettingsError, DatabaseUnavailable, MigrationError, ConfigError, ValueError, OSError)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # progress lines show at once, also when piped
    try:
        settings = load_settings()
        logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        handler: Handler = args.handler
        return handler(settings, args)
    except _EXPECTED_FAILURES as exc:
        print(f"fluorowatch: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fluorowatch", description="Refrigerant-leak monitoring and フロン排出抑制法 compliance."
    )
    parser.add_argument("--version", action="version", version=f"fluorowatch {__version__}")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    migrate = commands.add_parser("migrate", help="apply pending database migrations and choose the storage layout")
    migrate.set_defaults(handler=run_migrate)

    agent = commands.add_parser("agent", help="run the edge agent: read equipment, publish readings over MQTT")
    agent.add_argument("--config", type=Path, required=True, metavar="AGENT.yaml", help="the agent's configuration")
    agent.set_defaults(handler=run_edge_agent)

    simulate = commands.add_parser("simulate", help="write days of a simulated unit's readings as a replay CSV")
    simulate.add_argument("--unit", type=Path, required=True, metavar="UNIT.yaml", help="the simulated unit")
    simulate.add_argument("--days", type=float, default=30.0, help="how many days (default 30)")
    simulate.add_argument("--interval", type=float, default=60.0, metavar="SECONDS", help="sampling (default 60)")
    simulate.add_argument("--start", type=datetime.fromisoformat, help="first timestamp (ISO 8601 with offset)")
    simulate.add_argument("--equipment", default="SIM-1", help="management number to write (default SIM-1)")
    simulate.add_argument("--out", type=Path, required=True, metavar="READINGS.csv")
    simulate.add_argument("--truth", type=Path, metavar="TRUTH.csv", help="also write the remaining charge")
    simulate.set_defaults(handler=run_simulate)

    detect = commands.add_parser("detect", help="run the leak detectors")
    detect_commands = detect.add_subparsers(title="detect commands", required=True, metavar="COMMAND")
    replay = detect_commands.add_parser(
        "replay", help="learn a unit's baseline from a readings CSV and write the alerts it would have raised"
    )
    replay.add_argument("--equipment", type=Path, required=True, metavar="EQUIPMENT.json")
    replay.add_argument("--readings", type=Path, required=True, metavar="READINGS.csv")
    replay.add_argument(
        "--baseline-until", required=True, metavar="TS", help="readings before this time (ISO 8601) are learned from"
    )
    replay.add_argument("--out", type=Path, required=True, metavar="ALERTS.csv")
    replay.set_defaults(handler=run_detect_replay)
    _add_detect_learn(detect_commands)
    diagnose = detect_commands.add_parser(
        "diagnose", help="judge a day's remaining hours and write the daily diagnosis of every circuit in service"
    )
    diagnose.add_argument("--day", type=date.fromisoformat, metavar="YYYY-MM-DD",
                          help="local day in the display time zone (default: yesterday)")  # fmt: skip
    diagnose.set_defaults(handler=run_detect_diagnose)

    ingest = commands.add_parser("ingest", help="store the agents' readings from the broker in the database")
    ingest.add_argument("--client-id", default=f"fw-ingest-{socket.gethostname()}",
                        help="MQTT client id; the broker keeps this ingest's session under it")  # fmt: skip
    ingest.add_argument("--metrics-port", type=int, help="serve /metrics, /healthz and /readyz on this port")
    ingest.add_argument("--metrics-host", default="127.0.0.1", help="address to serve them on (default 127.0.0.1)")
    ingest.add_argument("--share-group", metavar="NAME", type=_share_group,
                        help="join the MQTT 5 shared subscription NAME to split the load with other ingest processes "
                        "(on Mosquitto not safe across a broker restart: docs/operations.md)")  # fmt: skip
    ingest.set_defaults(handler=run_ingest_service)

    worker = commands.add_parser("worker", help="run the scheduled jobs (detectors, alerts, compliance, rollups)")
    worker.add_argument("--daily-at", type=time.fromisoformat, default=time(0, 30), metavar="HH:MM",
                        help="local time of the daily diagnosis of the previous day (default 00:30)")  # fmt: skip
    worker.add_argument("--stream-every", type=float, default=10.0, metavar="MINUTES",
                        help="how often the streaming pass runs (default 10)")  # fmt: skip
    worker.add_argument("--exit-after", type=float, metavar="SECONDS", help="stop after this many seconds")
    worker.add_argument("--metrics-port", type=int, help="serve /metrics, /healthz and /readyz on this port")
    worker.add_argument("--metrics-host", default="127.0.0.1", help="address to serve them on (default 127.0.0.1)")
    worker.set_defaults(handler=run_worker_service)

    add_users_parser(commands)
    add_report_parser(commands)
    add_import_parser(commands)
    add_logbook_parser(commands)
    add_api_parser(commands)
    add_agents_parser(commands)

    for name, help_text, handler in (
        ("demo", "seed a sample retailer and run fluorowatch on it until Ctrl-C", run_demo),
        ("up", "run all services in one process for a small site until Ctrl-C", run_up),
    ):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--exit-after", type=float, metavar="SECONDS", help="stop after this many seconds")
        sub.set_defaults(handler=handler)
    return parser


def run_migrate(settings: Settings, args: argparse.Namespace) -> int:
    url = settings.database_url or LOCAL_DATABASE_URL
    if settings.database_url is None:
        ensure_database(url)
    prepared = prepare_database(url, settings.telemetry_retention_days, settings.database_wait_seconds)
    names = ", ".join(f"{m.version:04d}_{m.name}" for m in prepared.applied) or "none (schema is current)"
    print(f"database {redact(url)}: applied {names}; telemetry layout: {prepared.layout}")
    return 0


def run_edge_agent(settings: Settings, args: argparse.Namespace) -> int:
    from edge_agent.runner import run_agent  # the agent's drivers are only imported where they run

    return run_agent(args.config)


def run_simulate(settings: Settings, args: argparse.Namespace) -> int:
    from edge_agent.simulate_command import backfill_csv

    if args.start is not None and args.start.tzinfo is None:
        raise ValueError("--start needs a UTC offset, e.g. 2026-01-01T00:00:00+09:00")
    print(backfill_csv(args.unit, args.out, args.truth, days=args.days, interval_s=args.interval,
                       start=args.start, equipment=args.equipment))  # fmt: skip
    return 0


def run_detect_replay(settings: Settings, args: argparse.Namespace) -> int:
    from detectors.replay import run_replay  # scikit-learn loads only for the detectors

    written, notes = run_replay(args.equipment, args.readings, args.baseline_until, args.out)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"{written} alert(s) written to {args.out}")
    return 0


def _add_detect_learn(detect_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    learn = detect_commands.add_parser(
        "learn", help="learn a unit's baseline from its stored readings; the new model version becomes active"
    )
    learn.add_argument("--equipment", required=True, metavar="MGMT_NO", help="the unit's management number")
    learn.add_argument("--site", metavar="SITE_CODE", help="the unit's site, when the number is used at several")
    learn.add_argument("--circuit", type=int, metavar="N", help="one circuit (default: every circuit of the unit)")
    learn.add_argument("--since", type=_aware_timestamp, required=True, metavar="TS", help="ISO 8601 with offset")
    learn.add_argument("--until", type=_aware_timestamp, required=True, metavar="TS", help="ISO 8601 with offset")
    learn.add_argument("--reason", default="manual", choices=("commissioning", "after verified repair", "manual"))
    learn.set_defaults(handler=run_detect_learn)


def _aware_timestamp(text: str) -> datetime:
    stamp = datetime.fromisoformat(text)
    if stamp.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a UTC offset, e.g. 2026-01-01T00:00:00+09:00")
    return stamp


def run_detect_learn(settings: Settings, args: argparse.Namespace) -> int:
    from detectors.service import learn_circuit
    from storage.detector_queries import find_circuits

    with psycopg.connect(_database_url(settings)) as conn:
        circuits = find_circuits(conn, args.equipment, args.site, args.circuit)
        units = {equipment_id for equipment_id, _ in circuits}
        if len(units) != 1:
            found = "no such unit or circuit" if not units else f"{len(units)} units have it; give --site"
            raise ValueError(f"--equipment {args.equipment}: {found}")
        for equipment_id, circuit_no in circuits:
            version = learn_circuit(conn, equipment_id, circuit_no, args.since, args.until, args.reason)
            conn.commit()
            print(f"{args.equipment} circuit {circuit_no}: model version {version} learned ({args.reason})")
    return 0


def run_detect_diagnose(settings: Settings, args: argparse.Namespace) -> int:
    from fluorowatch.worker import DetectorJobs

    result = DetectorJobs(_database_url(settings), settings.timezone).daily(args.day)
    counts = ", ".join(f"{status} {n}" for status, n in result.by_status.items() if n) or "no circuits in service"
    print(f"{result.day}: {result.detection.hours} hours judged; diagnosis of {result.circuits} circuits: {counts}")
    return 0


def run_worker_service(settings: Settings, args: argparse.Namespace) -> int:
    from fluorowatch.worker import run_worker

    url = settings.database_url or LOCAL_DATABASE_URL
    prepare_database(url, settings.telemetry_retention_days, settings.database_wait_seconds)
    return run_worker(url, settings.timezone, daily_at=args.daily_at,
                      stream_every=timedelta(minutes=args.stream_every), exit_after_s=args.exit_after,
                      escalation_delay=settings.escalation_delay, public_url=settings.public_url,
                      auto_ticket_loss_pct=settings.auto_ticket_loss_pct, metrics_port=args.metrics_port,
                      metrics_host=args.metrics_host, retention_days=settings.telemetry_retention_days)  # fmt: skip


def _database_url(settings: Settings) -> str:
    url = settings.database_url or LOCAL_DATABASE_URL
    wait_for_database(url, settings.database_wait_seconds)
    return url


def _share_group(name: str) -> str:
    from ingest.consumer import share_group_name

    try:
        return share_group_name(name)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run_ingest_service(settings: Settings, args: argparse.Namespace) -> int:
    from ingest.runner import run_ingest

    url = settings.database_url or LOCAL_DATABASE_URL
    prepare_database(url, settings.telemetry_retention_days, settings.database_wait_seconds)
    mqtt_url = settings.mqtt_url or LOCAL_MQTT_URL
    return run_ingest(
        url, mqtt_url, settings.topic_prefix, args.client_id, args.metrics_port, settings.data_gap_minutes,
        metrics_host=args.metrics_host, share_group=args.share_group,
    )  # fmt: skip


def run_demo(settings: Settings, args: argparse.Namespace) -> int:
    return _run(settings, args, seed=True)


def run_up(settings: Settings, args: argparse.Namespace) -> int:
    return _run(settings, args, seed=False)


def _run(settings: Settings, args: argparse.Namespace, *, seed: bool) -> int:
    from fluorowatch.stack import run_stack

    with resolve_services(
        settings.database_url, settings.mqtt_url, settings.data_dir, wait_s=settings.database_wait_seconds
    ) as services:
        prepared = prepare_database(
            services.database_url, settings.telemetry_retention_days, settings.database_wait_seconds
        )
        print(f"storage: {len(prepared.applied)} migrations applied; telemetry layout: {prepared.layout}")
        simulated = _seed_demo(services.database_url) if seed else None
        port = settings.http_port
        if not port_is_free(settings.http_host, port):
            port = free_port()
            print(f"http: port {settings.http_port} is taken; using {port}")
        print(f"http: dashboard at http://{settings.http_host}:{port}/ (health /healthz) — Ctrl-C stops")
        if seed:
            email, password = demo_sign_in(services.database_url)
            print(f"dashboard: sign in as {email} with password {password}")

        def serve() -> None:
            policy = SessionPolicy(idle=timedelta(hours=settings.session_idle_hours),
                                   absolute=timedelta(days=settings.session_absolute_days))  # fmt: skip
            serve_http(services.database_url, settings.http_host, port, exit_after_s=args.exit_after,
                       session_policy=policy, topic_prefix=settings.topic_prefix)  # fmt: skip

        run_stack(services, settings.topic_prefix, serve, data_dir=settings.data_dir,
                  gap_minutes=settings.data_gap_minutes, simulated=simulated)  # fmt: skip
    print("stopped")
    return 0


def _seed_demo(database_url: str) -> list[DemoUnit]:
    from fluorowatch.demo_history import backfill
    from fluorowatch.demo_scenarios import FAST_LEAK, SLOW_LEAK, demo_units

    inserted, description = seed_and_describe(database_url)
    print(("seeded " if inserted else "already seeded: ") + description)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    units = demo_units(sample_retailer(), now)
    rows = backfill(database_url, units, now, days=BACKFILL_DAYS, interval_s=BACKFILL_INTERVAL_S)
    print(f"history: {rows} simulated readings over the last {BACKFILL_DAYS} days"
          f" (leaks developing on {SLOW_LEAK} and {FAST_LEAK}; a fouling condenser on one showcase)")  # fmt: skip
    from fluorowatch.demo_detection import learn_and_detect  # scikit-learn loads only here

    for line in learn_and_detect(database_url, now - timedelta(days=BACKFILL_DAYS), now):
        print(line)
    print(f"live: {len(units)} simulated units publish every 60 s through per-site edge agents")
    return units


if __name__ == "__main__":
    sys.exit(main())
