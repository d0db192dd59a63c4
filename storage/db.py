"""Connections: waiting for PostgreSQL at start-up, creating a database, and the connection pool."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import psycopg
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


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or "postgres"


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def redact(url: str) -> str:
    """`url` with any password replaced, for logs and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def _database_missing(exc: Exception) -> bool:
    """The server answered that the database does not exist: waiting will not help."""
    return "does not exist" in str(exc)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
