"""The operations HTTP server of ingest and the edge agent: /healthz, /readyz against a real database (up, and
a closed port), and /metrics."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

from prometheus_client import CollectorRegistry, Counter

from fluorowatch.ops_http import OpsServer, database_check, event_check
from fluorowatch.runtime import free_port


def _get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_readiness_follows_the_database_and_the_broker_connection(database_url: str) -> None:
    connected = threading.Event()
    closed = f"postgresql://fw@127.0.0.1:{free_port()}/none"
    server = OpsServer(0, checks={"database": database_check(closed), "mqtt": event_check(connected)}).start()
    try:
        assert _get(server.port, "/healthz") == (200, b'{"status": "ok"}')
        status, body = _get(server.port, "/readyz")
        assert status == 503
        answer = json.loads(body)
        assert answer["status"] == "unavailable" and answer["checks"]["mqtt"] == "not connected"
        assert answer["checks"]["database"] == "OperationalError"

        server.checks["database"] = database_check(database_url)
        assert _get(server.port, "/readyz")[0] == 503  # still not connected to the broker
        connected.set()
        assert json.loads(_get(server.port, "/readyz")[1]) == {"status": "ok", "checks": {"database": "ok",
                                                                                          "mqtt": "ok"}}  # fmt: skip
        assert _get(server.port, "/nothing")[0] == 404
    finally:
        server.stop()


def test_metrics_are_served_from_every_registry_given() -> None:
    first, second = CollectorRegistry(), CollectorRegistry()
    Counter("fw_test_one", "one", registry=first).inc(3)
    Counter("fw_test_two", "two", registry=second).inc()
    server = OpsServer(0, registries=[first, second]).start()
    try:
        status, body = _get(server.port, "/metrics")
        assert status == 200
        assert b"fw_test_one_total 3.0" in body and b"fw_test_two_total 1.0" in body
    finally:
        server.stop()
