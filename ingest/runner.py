"""`fluorowatch ingest`: consume telemetry from the broker into PostgreSQL until SIGTERM or Ctrl-C."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import timedelta

import psycopg

from fluorowatch.ops_http import OpsServer, database_check, event_check
from ingest.consumer import Consumer
from ingest.pipeline import Pipeline
from ingest.service import Housekeeping, IngestService

log = logging.getLogger(__name__)


def ingest_service(database_url: str, mqtt_url: str, topic_prefix: str, client_id: str, *,
                   mqtt5: bool = True, share_group: str | None = None,
                   silent_minutes: float = 30.0) -> IngestService:  # fmt: skip
    consumer = Consumer(mqtt_url, topic_prefix, client_id=client_id, share_group=share_group, mqtt5=mqtt5)
    connect = lambda: psycopg.connect(database_url, options="-c TimeZone=UTC")  # noqa: E731
    return IngestService(consumer, connect, Pipeline(), housekeeping=Housekeeping(timedelta(minutes=silent_minutes)))


def run_ingest(
    database_url: str,
    mqtt_url: str,
    topic_prefix: str,
    client_id: str,
    metrics_port: int | None,
    gap_minutes: float,
    metrics_host: str = "127.0.0.1",
    share_group: str | None = None,
) -> int:
    """Run until SIGTERM/SIGINT. With `metrics_port`: /metrics, /healthz and /readyz (the database answers and
    the broker subscription is in place) on `metrics_host:metrics_port` (fluorowatch/ops_http.py)."""
    service = ingest_service(database_url, mqtt_url, topic_prefix, client_id, share_group=share_group,
                             silent_minutes=gap_minutes)  # fmt: skip
    if metrics_port:
        checks = {"database": database_check(database_url), "mqtt": event_check(service.broker_connected)}
        OpsServer(metrics_port, host=metrics_host, checks=checks, name="ingest-ops-http").start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    log.info("ingest %s%s: %s/v1/# -> database", client_id, f" (share group {share_group})" if share_group else "",
             topic_prefix)  # fmt: skip
    service.run(stop)
    return 0
