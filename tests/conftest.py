"""Shared fixtures: a real PostgreSQL database per test session, migrated, dropped at the end.

The server is DATABASE_URL's when set, else the local one on 127.0.0.1:5432 (trust auth), which .ci/run
starts when it is down. Each session gets its own uniquely named database, so runs never collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest

from storage.db import drop_database, ensure_database, with_database
from storage.migrate import migrate

SERVER_URL = os.environ.get("FLUOROWATCH_TEST_SERVER_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def run_id() -> str:
    """A token unique to this test run: database names and MQTT topic prefixes carry it."""
    return f"{os.getpid()}_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def new_database(run_id: str) -> Iterator[Callable[[str], str]]:
    """A factory of empty databases (name suffix given), all dropped when the session ends."""
    created: list[str] = []

    def make(suffix: str) -> str:
        url = with_database(SERVER_URL, f"fw_test_{run_id}_{suffix}")
        ensure_database(url)
        created.append(url)
        return url

    yield make
    for url in created:
        drop_database(url)


@pytest.fixture(scope="session")
def new_migrated_database(new_database: Callable[[str], str]) -> Callable[[str], str]:
    """A factory of databases at the current schema (name suffix given), dropped when the session ends."""

    def make(suffix: str) -> str:
        url = new_database(suffix)
        with psycopg.connect(url, autocommit=True) as conn:
            migrate(conn)
        return url

    return make


@pytest.fixture(scope="session")
def database_url(new_migrated_database: Callable[[str], str]) -> str:
    """The session's migrated database."""
    return new_migrated_database("main")


def rolled_back(url: str) -> Iterator[psycopg.Connection]:
    """A connection to ``url`` inside a transaction that is rolled back after the test (for `conn`-like fixtures
    on a test module's own database)."""
    with psycopg.connect(url) as connection:
        yield connection
        connection.rollback()


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection]:
    """A connection inside a transaction that is rolled back after the test: tests leave nothing behind."""
    yield from rolled_back(database_url)


RunCli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli_at(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[[str], RunCli]:
    """``cli_at(url)("logbook", "show", ...)`` -> (exit code, stdout, stderr): `fluorowatch` run in-process with
    DATABASE_URL set to ``url``."""
    from fluorowatch.cli import main

    def at(url: str) -> RunCli:
        monkeypatch.setenv("DATABASE_URL", url)

        def call(*args: str) -> tuple[int, str, str]:
            code = main(list(args))
            out, err = capsys.readouterr()
            return code, out, err

        return call

    return at


@pytest.fixture
def topic_prefix(run_id: str, request: pytest.FixtureRequest) -> str:
    """An MQTT topic prefix of this run and test: runs and tests never see each other's messages."""
    name = "".join(ch if ch.isalnum() else "-" for ch in request.node.name[-24:])
    return f"fwtest-{run_id}-{name}"[:64]
