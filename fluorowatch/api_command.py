"""`fluorowatch api`: serve the HTTP application alone (the API, the dashboard, /healthz, /readyz, /metrics) until
SIGTERM or Ctrl-C. Migrations are `fluorowatch migrate`'s job; this only waits for the database to answer.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import TYPE_CHECKING

from api.auth import SessionPolicy
from fluorowatch.runtime import LOCAL_DATABASE_URL
from fluorowatch.services import serve_http
from storage.db import redact, wait_for_database

if TYPE_CHECKING:
    from fluorowatch.settings import Settings


def add_api_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    api = commands.add_parser("api", help="serve the HTTP API and dashboard alone (for containers)")
    api.add_argument("--host", help="address to listen on (default: FLUOROWATCH_HTTP_HOST)")
    api.add_argument("--port", type=int, help="port to listen on (default: FLUOROWATCH_HTTP_PORT)")
    api.add_argument("--exit-after", type=float, metavar="SECONDS", help="stop after this many seconds")
    api.set_defaults(handler=run_api)


def run_api(settings: Settings, args: argparse.Namespace) -> int:
    url = settings.database_url or LOCAL_DATABASE_URL
    wait_for_database(url, settings.database_wait_seconds)
    host = args.host or settings.http_host
    port = args.port or settings.http_port
    if not 1 <= port <= 65535:
        raise ValueError(f"--port {port}: not a TCP port")
    policy = SessionPolicy(idle=timedelta(hours=settings.session_idle_hours),
                           absolute=timedelta(days=settings.session_absolute_days))  # fmt: skip
    print(f"api: http://{host}:{port}/ on database {redact(url)} (health /healthz, /readyz) — Ctrl-C stops")
    serve_http(url, host, port, exit_after_s=args.exit_after, session_policy=policy, topic_prefix=settings.topic_prefix)
    print("api: stopped")
    return 0
