"""``fw_alerts_open{severity,category,status}``: open alerts counted in the database when Prometheus scrapes.

A custom collector, so the figure is never stale and needs no job: each scrape runs one small grouped count
under a short statement timeout. When the database does not answer, the scrape leaves the gauge out (and
logs why) rather than failing or blocking the whole /metrics page.

    registry.register(OpenAlertsCollector.from_pool(pool))      # the API (api/app.py does this)
    REGISTRY.register(OpenAlertsCollector.from_url(database_url))  # a process without a pool (the worker)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import psycopg
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from psycopg_pool import ConnectionPool

log = logging.getLogger(__name__)

ConnectionSource = Callable[[], AbstractContextManager[psycopg.Connection]]
_OPEN = """SELECT severity, category, status, count(*) FROM alert WHERE status <> 'resolved'
           GROUP BY severity, category, status ORDER BY 1, 2, 3"""


class OpenAlertsCollector(Collector):
    def __init__(self, connection: ConnectionSource, timeout_s: float = 2.0) -> None:
        self._connection, self._timeout_ms = connection, int(timeout_s * 1000)

    @classmethod
    def from_pool(cls, pool: ConnectionPool, timeout_s: float = 2.0) -> OpenAlertsCollector:
        return cls(lambda: pool.connection(timeout=timeout_s), timeout_s)

    @classmethod
    def from_url(cls, database_url: str, timeout_s: float = 2.0) -> OpenAlertsCollector:
        connect_s = max(1, round(timeout_s))
        return cls(lambda: psycopg.connect(database_url, connect_timeout=connect_s), timeout_s)

    def describe(self) -> list[GaugeMetricFamily]:  # registering must not query the database
        return [self._family()]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = self._family()
        try:
            with self._connection() as conn, conn.transaction():
                conn.execute(f"SET LOCAL statement_timeout = {self._timeout_ms}")
                rows = conn.execute(_OPEN).fetchall()
        except Exception as exc:  # the rest of /metrics must still be served
            log.warning("fw_alerts_open: the database did not answer (%s)", type(exc).__name__)
            return
        for severity, category, status, count in rows:
            family.add_metric([severity, category, status], count)
        yield family

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "fw_alerts_open",
            "Open alerts (status raised or acknowledged), counted in the database at scrape time",
            labels=["severity", "category", "status"],
        )
