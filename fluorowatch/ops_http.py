"""A tiny HTTP server for operations, shared by the long-running processes that are not the API (ingest, the
worker, the edge agent): ``/metrics`` (Prometheus text format), ``/healthz`` (liveness: the
process answers) and ``/readyz`` (readiness: every check passes), in daemon threads.

prometheus_client's ``start_http_server`` serves only metrics; this serves all three on one port::

    server = OpsServer(9101, checks={"database": database_check(url), "mqtt": event_check(consumer.connected)})
    server.start()  # port 0 picks a free port: server.port
    ...
    server.stop()

A check returns None when its dependency is fine, else a short reason. ``/readyz`` answers 200
``{"status": "ok", "checks": {"database": "ok", ...}}`` or 503 ``{"status": "unavailable", "reason": "database:
OperationalError", "checks": {...}}``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

log = logging.getLogger(__name__)

Check = Callable[[], str | None]  # None: ready; else why not


def database_check(database_url: str, timeout_s: int = 2) -> Check:
    """Ready when PostgreSQL at ``database_url`` answers ``SELECT 1`` within ``timeout_s``."""

    def check() -> str | None:
        try:
            with psycopg.connect(database_url, connect_timeout=timeout_s) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as exc:
            return type(exc).__name__
        return None

    return check


def event_check(event: threading.Event, reason: str = "not connected") -> Check:
    """Ready while ``event`` is set (e.g. the MQTT client is connected and subscribed)."""
    return lambda: None if event.is_set() else reason


def run_checks(checks: Mapping[str, Check]) -> tuple[bool, dict[str, Any]]:
    """(ready, JSON body) of ``/readyz``; a check that raises counts as failed."""
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            problem = check()
        except Exception as exc:  # a broken check means not ready, never a 500
            problem = type(exc).__name__
        results[name] = "ok" if problem is None else problem
    failed = [f"{name}: {result}" for name, result in results.items() if result != "ok"]
    if failed:
        return False, {"status": "unavailable", "reason": "; ".join(failed), "checks": results}
    return True, {"status": "ok", "checks": results}


class OpsServer:
    """Serves /metrics, /healthz and /readyz on ``host:port`` (port 0: any free port, see ``port``)."""

    def __init__(
        self,
        port: int,
        *,
        host: str = "127.0.0.1",
        checks: Mapping[str, Check] | None = None,
        registries: Sequence[CollectorRegistry] = (REGISTRY,),
        name: str = "ops-http",
    ) -> None:
        self.checks = dict(checks or {})
        self.registries = list(registries)
        self._name = name
        self._server = _Server((host, port), self)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> OpsServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name=self._name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
        self._server.server_close()

    def metrics(self) -> bytes:
        return b"".join(generate_latest(registry) for registry in self.registries)

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        return run_checks(self.checks)


def serve_ops(port: int, *, host: str = "127.0.0.1", checks: Mapping[str, Check] | None = None,
              registries: Sequence[CollectorRegistry] = (REGISTRY,), name: str = "ops-http") -> OpsServer:  # fmt: skip
    """Start an `OpsServer` and return it."""
    return OpsServer(port, host=host, checks=checks, registries=registries, name=name).start()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], ops: OpsServer) -> None:
        super().__init__(address, _Handler)
        self.ops = ops


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            self._send(200, self.server.ops.metrics(), CONTENT_TYPE_LATEST)
        elif path == "/healthz":
            self._json(200, {"status": "ok"})
        elif path == "/readyz":
            ready, body = self.server.ops.readiness()
            self._json(200 if ready else 503, body)
        else:
            self._send(404, b"not found\n", "text/plain; charset=utf-8")

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("ops http: " + format, *args)
