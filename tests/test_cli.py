"""The `fluorowatch` command as a user runs it: a real process against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import psycopg
import pytest

from fluorowatch.cli import build_parser
from fluorowatch.demo_fleet import COMPANY
from fluorowatch.runtime import free_port

NewDatabase = Callable[[str], str]


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("FLUOROWATCH_") and k not in {"DATABASE_URL"}}
    return subprocess.run(
        [sys.executable, "-m", "fluorowatch", *args],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_help_lists_exactly_the_working_subcommands_each_with_a_description() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    listed = [line.split()[0] for line in result.stdout.split("COMMAND\n", 2)[-1].splitlines() if line.strip()]
    assert listed == ["migrate", "agent", "simulate", "detect", "ingest", "worker", "users", "report", "import",
                      "logbook", "api", "agents", "demo", "up"]  # fmt: skip
    for action in build_parser()._subparsers._group_actions[0]._choices_actions:  # type: ignore[union-attr]
        assert action.help


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"DATABASE_URL": "nonsense"}, "DATABASE_URL"),
        ({"FLUOROWATCH_HTTP_PORT": "x"}, "FLUOROWATCH_HTTP_PORT"),
        ({"FLUOROWATCH_NO_SUCH_THING": "1"}, "FLUOROWATCH_NO_SUCH_THING"),
    ],
)
def test_bad_settings_give_one_line_naming_the_key_and_no_traceback(env: dict[str, str], key: str) -> None:
    result = run_cli("migrate", env=env)
    assert result.returncode == 2
    assert result.stderr.startswith(f"fluorowatch: error: {key}:")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_is_a_one_line_error() -> None:
    result = run_cli(
        "migrate",
        env={"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere", "FLUOROWATCH_DATABASE_WAIT_SECONDS": "1"},
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "127.0.0.1" in result.stderr.strip().splitlines()[-1]


def test_migrate_brings_an_empty_database_to_the_current_schema_once(new_database: NewDatabase) -> None:
    url = new_database("cli_migrate")
    first = run_cli("migrate", env={"DATABASE_URL": url})
    second = run_cli("migrate", env={"DATABASE_URL": url})
    assert first.returncode == 0, first.stderr
    assert "applied 0001_registry" in first.stdout
    assert "telemetry layout: plain" in first.stdout
    assert "applied none (schema is current)" in second.stdout


def test_demo_seeds_the_sample_retailer_once_and_serves_until_stopped(new_database: NewDatabase) -> None:
    url = new_database("cli_demo")
    env = {"DATABASE_URL": url, "FLUOROWATCH_HTTP_PORT": str(free_port())}
    first = run_cli("demo", "--exit-after", "1", env=env)
    second = run_cli("demo", "--exit-after", "1", env=env)
    assert first.returncode == 0, first.stderr
    assert "seeded Sakura Mart" in first.stdout
    assert "already seeded: Sakura Mart" in second.stdout
    assert "stopped" in second.stdout
    assert "dashboard: sign in as demo@example.jp with password " in second.stdout
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM equipment").fetchone() == (42,)
        roles = conn.execute(
            """SELECT r.role, o.name FROM role_assignment r JOIN app_user u ON u.id = r.user_id
               JOIN organisation o ON o.id = r.organisation_id WHERE u.email = 'demo@example.jp'"""
        ).fetchall()
        assert roles == [("admin", COMPANY)]  # the dashboard shows the sample retailer to the demo's person


def test_up_prepares_the_database_without_seeding_and_stops_cleanly(new_database: NewDatabase) -> None:
    url = new_database("cli_up")
    result = run_cli("up", "--exit-after", "1", env={"DATABASE_URL": url, "FLUOROWATCH_HTTP_PORT": str(free_port())})
    assert result.returncode == 0, result.stderr
    assert "migrations applied" in result.stdout
    assert "seeded" not in result.stdout
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM equipment").fetchone() == (0,)
