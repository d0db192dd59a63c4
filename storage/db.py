"""Connections: waiting for PostgreSQL at start-up, creating a database, and the connection pool."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from psycopg import sql
from psycopg_pool import ConnectionPool

log = logging.getLogger(__name__)


class DatabaseUnavailable(Exception):
    """PostgreSQL did not answer within the time allowed."""


def wait_for_database(
    url: str,
    timeout_s: float = 30.0,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Return once `SELECT 1` succeeds at `url`; raise `DatabaseUnavailable` after `timeout_s`."""
    deadline = clock() + timeout_s
    delay = 0.2
    while True:
        try:
            with psycopg.connect(url, connect_timeout=5) as conn:
                conn.execute("SELECT 1")
                return
        except psycopg.OperationalError as exc:
            if clock() + delay > deadline or _database_missing(exc):
                raise DatabaseUnavailable(f"{redact(url)}: {_first_line(exc)}") from None
            log.info("waiting for the database at %s", redact(url))
            sleep(delay)
            delay = min(delay * 2, 2.0)


def database_answers(url: str, timeout_s: int = 2) -> bool:
    """True if a PostgreSQL server accepts a connection at `url` (the database itself may not exist yet)."""
    try:
        with psycopg.connect(url, connect_timeout=timeout_s):
            return True
    except psycopg.OperationalError as exc:
        return _database_missing(exc)


def ensure_database(url: str) -> bool:
    """Create the database named in `url` if it is missing; return True if it was created."""
    name = database_name(url)
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        log.info("created database %s", name)
        return True


def drop_database(url: str) -> None:
    """Drop the database named in `url`, ending its other sessions first."""
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database_name(url))))


def open_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> ConnectionPool:
    """An opened pool whose sessions run in UTC; close it with `pool.close()` (or use it as a context manager)."""
    pool = ConnectionPool(
        url, min_size=min_size, max_size=max_size, open=False, name="fluorowatch", kwargs={"options": "-c TimeZone=UTC"}
    )
    pool.open(wait=True, timeout=30)
    return pool


class PoolMetrics(Collector):
    """``fw_db_pool_size`` / ``fw_db_pool_available`` / ``fw_db_pool_waiting`` of one pool, read from
    ``pool.get_stats()`` at scrape time (no database round trip). Register it on a registry of its own per pool."""

    _GAUGES = (
        ("fw_db_pool_size", "pool_size", "Connections the pool holds (in use, idle, or being opened)"),
        ("fw_db_pool_available", "pool_available", "Idle connections ready to be handed out"),
        ("fw_db_pool_waiting", "requests_waiting", "Requests waiting for a connection"),
    )

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def collect(self) -> Iterator[GaugeMetricFamily]:
        stats = self._pool.get_stats()
        for name, key, documentation in self._GAUGES:
            yield GaugeMetricFamily(name, documentation, value=stats.get(key, 0))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or "postgres"


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def redact(url: str) -> str:
    """`url` with any password replaced, for logs and messages: the one before the host, and libpq's
    ``?password=`` parameter."""
    parts = urlsplit(url)
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@") if parts.password is not None else parts.netloc
    query = re.sub(r"(^|&)(password=)[^&]*", r"\1\2***", parts.query, flags=re.IGNORECASE)
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def _database_missing(exc: Exception) -> bool:
    """The server answered that the database does not exist: waiting will not help."""
    return "does not exist" in str(exc)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
