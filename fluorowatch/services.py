"""Start-up steps shared by the long-running commands: prepare the database, serve HTTP until stopped."""

from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass

import psycopg
import uvicorn

from api.app import create_app
from api.auth import SessionPolicy
from storage.db import open_pool, wait_for_database
from storage.migrate import Migration, migrate
from storage.timescale import TimeSeriesLayout, apply_time_series_layout

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreparedDatabase:
    applied: list[Migration]
    layout: TimeSeriesLayout


def prepare_database(url: str, retention_days: int, wait_s: float = 30.0) -> PreparedDatabase:
    """Wait for the database, apply pending migrations, then choose the time-series layout."""
    wait_for_database(url, wait_s)
    with psycopg.connect(url, autocommit=True) as conn:
        applied = migrate(conn)
        layout = apply_time_series_layout(conn, retention_days)
    return PreparedDatabase(applied, layout)


def serve_http(
    database_url: str,
    host: str,
    port: int,
    *,
    exit_after_s: float | None = None,
    session_policy: SessionPolicy | None = None,
    topic_prefix: str = "fw",
) -> None:
    """Serve the API until Ctrl-C / SIGTERM (or `exit_after_s` seconds, for scripted runs)."""
    with open_pool(database_url, max_size=5) as pool:
        app = create_app(pool, session_policy=session_policy, topic_prefix=topic_prefix)
        config = uvicorn.Config(app, host=host, port=port, log_level="warning")
        server = uvicorn.Server(config)
        if exit_after_s is not None:
            timer = threading.Timer(exit_after_s, lambda: setattr(server, "should_exit", True))
            timer.daemon = True
            timer.start()
        server.run()


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True
