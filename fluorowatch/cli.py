"""The `fluorowatch` command. Only subcommands that work are listed."""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from edge_agent.errors import ConfigError
from fluorowatch import __version__
from fluorowatch.demo import seed_and_describe
from fluorowatch.runtime import LOCAL_DATABASE_URL, LOCAL_MQTT_URL, free_port, resolve_services
from fluorowatch.services import port_is_free, prepare_database, serve_http
from fluorowatch.settings import Settings, SettingsError, load_settings
from storage.db import DatabaseUnavailable, ensure_database, redact
from storage.migrate import MigrationError

log = logging.getLogger("fluorowatch")

Handler = Callable[[Settings, argparse.Namespace], int]
_EXPECTED_FAILURES = (SettingsError, DatabaseUnavailable, MigrationError, ConfigError, ValueError, OSError)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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

    ingest = commands.add_parser("ingest", help="store the agents' readings from the broker in the database")
    ingest.add_argument("--client-id", default=f"fw-ingest-{socket.gethostname()}",
                        help="MQTT client id; the broker keeps this ingest's session under it")  # fmt: skip
    ingest.add_argument("--metrics-port", type=int, help="serve Prometheus metrics on this port")
    ingest.set_defaults(handler=run_ingest_service)

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


def run_ingest_service(settings: Settings, args: argparse.Namespace) -> int:
    from ingest.runner import run_ingest

    url = settings.database_url or LOCAL_DATABASE_URL
    prepare_database(url, settings.telemetry_retention_days, settings.database_wait_seconds)
    mqtt_url = settings.mqtt_url or LOCAL_MQTT_URL
    return run_ingest(url, mqtt_url, settings.topic_prefix, args.client_id, args.metrics_port)


def run_demo(settings: Settings, args: argparse.Namespace) -> int:
    return _run(settings, args, seed=True)


def run_up(settings: Settings, args: argparse.Namespace) -> int:
    return _run(settings, args, seed=False)


def _run(settings: Settings, args: argparse.Namespace, *, seed: bool) -> int:
    with resolve_services(
        settings.database_url, settings.mqtt_url, settings.data_dir, wait_s=settings.database_wait_seconds
    ) as services:
        prepared = prepare_database(
            services.database_url, settings.telemetry_retention_days, settings.database_wait_seconds
        )
        print(f"storage: {len(prepared.applied)} migrations applied; telemetry layout: {prepared.layout}")
        if seed:
            inserted, description = seed_and_describe(services.database_url)
            print(("seeded " if inserted else "already seeded: ") + description)
        port = settings.http_port
        if not port_is_free(settings.http_host, port):
            port = free_port()
            print(f"http: port {settings.http_port} is taken; using {port}")
        print(f"http: health at http://{settings.http_host}:{port}/healthz — Ctrl-C stops")
        serve_http(services.database_url, settings.http_host, port, exit_after_s=args.exit_after)
    print("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
