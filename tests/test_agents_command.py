"""`fluorowatch agents mosquitto-files`: the broker's password and ACL files from the agents' credentials in the
database, run in-process against a real database, as the compose service `mosquitto-files` runs it."""

from __future__ import annotations

import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from fluorowatch.domain.organisation import OrgPath, Site
from storage.agent_queries import HEADER, issue_agent, mosquitto_verify, revoke_agent
from storage.registry import save_site
from tests.conftest import RunCli

NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def agents_db(new_migrated_database: Callable[[str], str]) -> str:
    return new_migrated_database("agents_files")


def _files(tmp_path: Path, user: str = "fluorowatch-ingest") -> list[str]:
    return ["agents", "mosquitto-files", "--passwords", str(tmp_path / "passwords"), "--acl", str(tmp_path / "acl"),
            "--ingest-user", user, "--ingest-password-file", str(tmp_path / "ingest_password")]  # fmt: skip


def test_writes_each_active_agent_with_its_own_site_topics_and_the_ingest_reader(
    agents_db: str, cli_at: Callable[[str], RunCli], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with psycopg.connect(agents_db) as conn:
        one = save_site(conn, Site("AG-1", "one", "13", "Tokyo", OrgPath.parse("AgentsCo")))
        two = save_site(conn, Site("AG-2", "two", "27", "Osaka", OrgPath.parse("AgentsCo")))
        first = issue_agent(conn, one, created_by=None, now=NOW)
        second = issue_agent(conn, two, created_by=None, now=NOW)
        gone = issue_agent(conn, two, created_by=None, now=NOW)
        assert revoke_agent(conn, gone["id"], now=NOW)
        conn.commit()
    (tmp_path / "ingest_password").write_text("ingest-secret\n", encoding="utf-8")
    monkeypatch.setenv("FLUOROWATCH_TOPIC_PREFIX", "plant")

    code, out, err = cli_at(agents_db)(*_files(tmp_path, "ingest-a"))

    assert code == 0, err
    assert "2 agent(s) and ingest-a written" in out
    passwords = (tmp_path / "passwords").read_text(encoding="utf-8")
    assert passwords.startswith(HEADER)
    entries = dict(line.split(":", 1) for line in passwords.removeprefix(HEADER).splitlines())
    assert set(entries) == {"ingest-a", first["username"], second["username"]}  # the revoked one is left out
    assert mosquitto_verify(entries["ingest-a"], "ingest-secret")  # the secret file's value, stripped
    assert mosquitto_verify(entries[first["username"]], first["password"])
    assert mosquitto_verify(entries[second["username"]], second["password"])
    acl = (tmp_path / "acl").read_text(encoding="utf-8")
    assert acl == (
        HEADER
        + "user ingest-a\ntopic read plant/v1/#\n\n"
        + "\n".join(
            f"user {user}\ntopic write plant/v1/{site}/+/+/telemetry\ntopic write plant/v1/{site}/agents/+/status\n"
            for user, site in sorted([(first["username"], "AG-1"), (second["username"], "AG-2")])
        )
    )
    assert gone["username"] not in acl
    for name in ("passwords", "acl"):  # Mosquitto's own files: nobody else reads them
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acl", "ingest_password", "passwords"]  # no temp left


def test_rewriting_after_a_revocation_drops_the_agent(
    agents_db: str, cli_at: Callable[[str], RunCli], tmp_path: Path
) -> None:
    with psycopg.connect(agents_db) as conn:
        site = save_site(conn, Site("AG-3", "three", "13", "Tokyo", OrgPath.parse("AgentsCo")))
        issued = issue_agent(conn, site, created_by=None, now=NOW)
        conn.commit()
    (tmp_path / "ingest_password").write_text("pw", encoding="utf-8")
    run = cli_at(agents_db)
    assert run(*_files(tmp_path))[0] == 0
    assert issued["username"] in (tmp_path / "passwords").read_text(encoding="utf-8")
    with psycopg.connect(agents_db) as conn:
        revoke_agent(conn, issued["id"], now=NOW)
        conn.commit()
    assert run(*_files(tmp_path))[0] == 0
    assert issued["username"] not in (tmp_path / "passwords").read_text(encoding="utf-8")
    assert issued["username"] not in (tmp_path / "acl").read_text(encoding="utf-8")
    assert "fluorowatch-ingest:$7$" in (tmp_path / "passwords").read_text(encoding="utf-8")


@pytest.mark.parametrize("content", [None, "  \n"])
def test_a_missing_or_empty_ingest_password_file_is_a_one_line_error_and_nothing_is_written(
    agents_db: str, cli_at: Callable[[str], RunCli], tmp_path: Path, content: str | None
) -> None:
    if content is not None:
        (tmp_path / "ingest_password").write_text(content, encoding="utf-8")
    code, _, err = cli_at(agents_db)(*_files(tmp_path))
    assert code == 2
    assert err.startswith("fluorowatch: error: --ingest-password-file ") and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "passwords").exists() and not (tmp_path / "acl").exists()
