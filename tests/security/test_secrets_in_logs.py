"""Secrets never reach a log: the real code paths that handle them run with logging at DEBUG, and neither the
captured log records (caplog) nor the processes' stdout and stderr contain any of the secret strings.

The secrets: API bearer tokens (`fluorowatch users token`: stdout only, alone), passwords (set on the command
line, sent when signing in, right or wrong), web session cookies, agents' MQTT passwords (in the issuing answer
only) and the ingest user's, a channel's SMTP password, and the passwords inside DATABASE_URL and MQTT_URL as
ingest, the worker, the API and `fluorowatch migrate` start (and fail to connect), and in settings errors.
"""

from __future__ import annotations

import io
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.auth import SESSION_COOKIE
from edge_agent.config import load_agent_config
from edge_agent.errors import ConfigError
from fluorowatch import passwords
from fluorowatch.runtime import free_port
from fluorowatch.settings import SettingsError, load_settings
from storage import session_queries as sq
from storage.db import redact
from storage.token_queries import save_user
from tests.api.conftest import SITE_A, World
from tests.conftest import RunCli
from tests.security.conftest import example_body


def secret(kind: str) -> str:
    """A secret no other text of the run contains (URL-safe: it goes into URLs as it is)."""
    return f"{kind}-{uuid.uuid4().hex}"


def assert_absent(secrets: list[str], *texts: str) -> None:
    found = [(s, n) for s in secrets for n, text in enumerate(texts) if s in text]
    assert found == [], f"secrets in the output: {found}"


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every logger of the process at DEBUG, captured."""
    caplog.set_level(logging.DEBUG)
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.NOTSET)
    yield caplog
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


def _all_logged(caplog: pytest.LogCaptureFixture) -> str:
    """The records as formatted, and their raw messages and arguments (a formatter could drop some)."""
    parts = [caplog.text]
    for record in caplog.records:
        parts.append(str(record.msg))
        parts.append(repr(record.args))
        if record.exc_text:
            parts.append(record.exc_text)
    return "\n".join(parts)


# --- in-process: the CLI and the API -------------------------------------------------------------------------


def test_users_token_prints_the_token_on_stdout_only(
    cli_at: Callable[[str], RunCli], database_url: str, debug_logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    email = f"token-{uuid.uuid4().hex[:8]}@example.jp"
    with psycopg.connect(database_url) as conn:
        save_user(conn, email, "Token Holder")
    monkeypatch.setenv("FLUOROWATCH_LOG_LEVEL", "DEBUG")
    code, out, err = cli_at(database_url)("users", "token", "--email", email, "--name", "integration")
    assert code == 0, err
    token = out.strip()
    assert len(token) >= 32 and "\n" not in token  # alone on stdout: TOKEN=$(fluorowatch users token ...)
    assert "token " in err and email in err  # what to do with it goes to stderr, without it
    assert_absent([token], err, _all_logged(debug_logs))
    with psycopg.connect(database_url) as conn:
        stored = conn.execute("SELECT string_agg(t::text, ' ') FROM api_token t").fetchone()
    assert_absent([token], str(stored))  # only its hash is kept


def test_users_password_never_echoes_the_password(
    cli_at: Callable[[str], RunCli], database_url: str, debug_logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    email = f"pw-{uuid.uuid4().hex[:8]}@example.jp"
    with psycopg.connect(database_url) as conn:
        save_user(conn, email, "Password Holder")
    password = secret("cli-password")
    monkeypatch.setenv("FLUOROWATCH_LOG_LEVEL", "DEBUG")
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    code, out, err = cli_at(database_url)("users", "password", "--email", email)
    assert code == 0, err
    assert_absent([password], out, err, _all_logged(debug_logs))


@pytest.fixture
def signed_up(security_world: World) -> tuple[str, str]:
    """A person of the security world with a password: (e-mail address, password)."""
    email, password = f"signin-{uuid.uuid4().hex[:8]}@example.jp", secret("signin-password")
    with psycopg.connect(security_world.url) as conn:
        user_id = save_user(conn, email, "Signs In")
        sq.set_password_hash(conn, user_id, passwords.hash_password(password))
    return email, password


def test_signing_in_logs_neither_the_password_nor_the_session(
    security_client: TestClient, security_world: World, signed_up: tuple[str, str],
    debug_logs: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    email, password = signed_up
    wrong_password = secret("wrong-password")
    client = TestClient(security_client.app)
    assert client.post("/api/v1/session", json={"email": email, "password": wrong_password}).status_code == 401
    signed_in = client.post("/api/v1/session", json={"email": email, "password": password})
    assert signed_in.status_code == 200, signed_in.text
    session = signed_in.cookies[SESSION_COOKIE]
    assert client.get("/api/v1/session").status_code == 200
    assert password not in signed_in.text
    assert_absent([password, wrong_password, session], _all_logged(debug_logs))
    with psycopg.connect(security_world.url) as conn:
        stored = conn.execute(
            """SELECT (SELECT string_agg(u::text, ' ') FROM app_user u) || (SELECT coalesce(string_agg(f::text, ' '),
                   '') FROM login_failure f) || (SELECT string_agg(s::text, ' ') FROM user_session s)"""
        ).fetchone()
    assert_absent([password, wrong_password, session], str(stored))


def test_an_agent_password_is_in_the_issuing_answer_only(
    security_client: TestClient, security_world: World, debug_logs: pytest.LogCaptureFixture,
    cli_at: Callable[[str], RunCli], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    issued = security_client.post(
        f"/api/v1/sites/{security_world.sites[SITE_A]}/agents", headers=security_world["admin"].auth
    )
    assert issued.status_code == 201, issued.text
    password = issued.json()["password"]
    assert len(password) >= 24
    listed = security_client.get("/api/v1/sites", headers=security_world["admin"].auth)
    # The broker's files hold hashes: write them (with the ingest user's password from a file) and look.
    ingest_password = secret("ingest-mqtt-password")
    (tmp_path / "ingest_password").write_text(ingest_password + "\n", encoding="utf-8")
    monkeypatch.setenv("FLUOROWATCH_LOG_LEVEL", "DEBUG")
    code, out, err = cli_at(security_world.url)(
        "agents", "mosquitto-files", "--passwords", str(tmp_path / "passwd"), "--acl", str(tmp_path / "acl"),
        "--ingest-password-file", str(tmp_path / "ingest_password"),
    )  # fmt: skip
    assert code == 0, err
    files = (tmp_path / "passwd").read_text(encoding="utf-8") + (tmp_path / "acl").read_text(encoding="utf-8")
    assert issued.json()["username"] in files
    assert_absent([password, ingest_password], listed.text, out, err, files, _all_logged(debug_logs))
    with psycopg.connect(security_world.url) as conn:
        stored = conn.execute("SELECT string_agg(a::text, ' ') FROM agent_credential a").fetchone()
    assert_absent([password], str(stored))


def test_a_channel_password_is_masked_and_never_logged(
    security_client: TestClient, security_world: World, debug_logs: pytest.LogCaptureFixture
) -> None:
    spec = security_client.app.openapi()  # type: ignore[attr-defined]
    body = example_body(spec, spec["paths"]["/api/v1/channels"]["post"])
    smtp_password = secret("smtp-password")
    body = {**body, "name": f"masked {uuid.uuid4().hex[:6]}", "config": {**body["config"], "password": smtp_password}}
    manager = security_world["manager_site"].auth
    created = security_client.post("/api/v1/channels", json=body, headers=manager)
    assert created.status_code == 201, created.text
    listed = security_client.get("/api/v1/channels", headers=manager)
    assert_absent([smtp_password], created.text, listed.text, _all_logged(debug_logs))


# --- settings errors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"DATABASE_URL": "mysql://fw:{s}@db.example.jp/fw"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://fw:{s}@"}, "DATABASE_URL"),
        ({"MQTT_URL": "http://ingest:{s}@mqtt.example.jp"}, "MQTT_URL"),
        ({"FLUOROWATCH_SECRETKEY": "{s}"}, "FLUOROWATCH_SECRETKEY"),  # a misspelt key: named, its value not shown
        (
            {"FLUOROWATCH_ENVIRONMENT": "production", "DATABASE_URL": "postgresql://fw:{s}@db/fw"},
            "FLUOROWATCH_SECRET_KEY",
        ),
        ({"FLUOROWATCH_DATABASE_URL_FILE": "<file>"}, "DATABASE_URL"),  # the file holds a malformed URL
        ({"FLUOROWATCH_MQTT_URL_FILE": "<file>"}, "MQTT_URL"),
    ],
)
def test_settings_errors_name_the_key_and_never_the_secret(
    env: dict[str, str], key: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], debug_logs: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    from fluorowatch.cli import main

    value = secret("settings")
    for name in [k for k in os.environ if k.startswith("FLUOROWATCH_") or k in ("DATABASE_URL", "MQTT_URL")]:
        monkeypatch.delenv(name)
    for name, template in env.items():
        if template == "<file>":
            path = tmp_path / "secret"
            path.write_text(f"ftp://user:{value}@host/x\n", encoding="utf-8")
            template = str(path)
        monkeypatch.setenv(name, template.replace("{s}", value))
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert key in str(raised.value)
    assert main(["migrate"]) == 2  # the CLI's answer to the same, on stderr
    out, err = capsys.readouterr()
    assert key in err
    assert_absent([value], str(raised.value), out, err, _all_logged(debug_logs))


def test_an_agent_config_error_does_not_show_the_broker_password(tmp_path: Path) -> None:
    value = secret("agent-config")
    config = (Path(__file__).resolve().parents[2] / "examples" / "agent.yaml").read_text(encoding="utf-8")
    bad = config.replace("url: mqtt://127.0.0.1:1883", f"url: http://agent:{value}@127.0.0.1:1883")
    assert bad != config
    (tmp_path / "agent.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_agent_config(tmp_path / "agent.yaml")
    assert "broker.url" in str(raised.value)
    assert_absent([value], str(raised.value), repr(raised.value))


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://fw:{s}@db.example.jp:5432/fw",
        "postgresql://:{s}@db.example.jp/fw",
        "mqtt://ingest:{s}@mqtt.example.jp:1883",
        "postgresql://fw@db.example.jp/fw?password={s}&sslmode=require",
        "postgresql://fw@db.example.jp/fw?sslmode=require&password={s}",
    ],
)
def test_redact_hides_every_password_of_a_url(url: str) -> None:
    value = secret("redact")
    redacted = redact(url.replace("{s}", value))
    assert value not in redacted
    assert "db.example.jp" in redacted or "mqtt.example.jp" in redacted


# --- processes: start-up and connection failures with passwords in the URLs ------------------------------------


@pytest.fixture(scope="module")
def secrets_database(new_migrated_database: Callable[[str], str]) -> str:
    return new_migrated_database("secrets")


def with_password(url: str, password: str) -> str:
    """``url`` with ``password`` put in (the test server trusts local connections: it is sent, never checked)."""
    parts = urlsplit(url)
    user = parts.username or "postgres"
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{parts.hostname}:{parts.port or 5432}"))


def process_env(**values: str) -> dict[str, str]:
    outside = ("DATABASE_URL", "MQTT_URL")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUOROWATCH_") and k not in outside}
    env.update(FLUOROWATCH_LOG_LEVEL="DEBUG", FLUOROWATCH_DATABASE_WAIT_SECONDS="3", PYTHONUNBUFFERED="1", **values)
    return env


def run_for(args: list[str], env: dict[str, str], seconds: float, until: Callable[[], bool] | None = None) -> str:
    """``fluorowatch *args`` run for ``seconds`` (or until ``until()``), then stopped: its stdout and stderr."""
    process = subprocess.Popen([sys.executable, "-m", "fluorowatch", *args], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)  # fmt: skip
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None and not (until and until()):
        time.sleep(0.2)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def served_for(port: int, seconds: float) -> Callable[[], bool]:
    """True once the process has served /metrics on ``port`` for ``seconds`` (started up, then ran a while):
    a start-up that is slow on a loaded machine does not end the run before the process has logged anything."""
    since: list[float] = []

    def check() -> bool:
        if not since:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1).close()
            except OSError:
                return False
            since.append(time.monotonic())
        return time.monotonic() - since[0] >= seconds

    return check


def forget_session(client_id: str) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5)
    client.connect("127.0.0.1", 1883, clean_start=True)
    client.loop_start()
    time.sleep(0.3)
    client.disconnect()
    client.loop_stop()


@pytest.mark.slow
@pytest.mark.parametrize("broker", ["up", "down"])
def test_ingest_start_up_logs_no_password(secrets_database: str, run_id: str, broker: str) -> None:
    db_password, mqtt_password = secret("db-password"), secret("mqtt-password")
    port = 1883 if broker == "up" else free_port()
    client_id, metrics = f"secrets-{run_id}-{broker}", free_port()
    env = process_env(DATABASE_URL=with_password(secrets_database, db_password),
                      MQTT_URL=f"mqtt://fluorowatch-ingest:{mqtt_password}@127.0.0.1:{port}",
                      FLUOROWATCH_TOPIC_PREFIX=f"fwsec-{run_id}")  # fmt: skip
    try:
        output = run_for(["ingest", "--client-id", client_id, "--metrics-port", str(metrics)], env, 60,
                         until=served_for(metrics, 4.0))  # fmt: skip
    finally:
        if broker == "up":
            forget_session(client_id)
    assert "INFO ingest.runner" in output, output[-2000:]  # it did start and log
    assert_absent([db_password, mqtt_password], output)


@pytest.mark.slow
def test_worker_start_up_logs_no_password(secrets_database: str) -> None:
    db_password = secret("db-password")
    env = process_env(DATABASE_URL=with_password(secrets_database, db_password))
    output = run_for(["worker", "--exit-after", "4"], env, 60)
    assert "DEBUG" in output and "worker" in output, output[-2000:]
    assert_absent([db_password], output)


@pytest.mark.slow
def test_the_api_process_logs_no_password_and_no_sign_in_secret(secrets_database: str) -> None:
    db_password, password = secret("db-password"), secret("signin-password")
    email = f"api-{uuid.uuid4().hex[:8]}@example.jp"
    with psycopg.connect(secrets_database) as conn:
        sq.set_password_hash(conn, save_user(conn, email, "API"), passwords.hash_password(password))
    port = free_port()
    env = process_env(DATABASE_URL=with_password(secrets_database, db_password))
    answers: list[int] = []

    def signed_in() -> bool:
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/session", method="POST",
                                             data=f'{{"email": "{email}", "password": "{password}"}}'.encode(),
                                             headers={"Content-Type": "application/json"})  # fmt: skip
            with urllib.request.urlopen(request, timeout=2) as response:
                answers.append(response.status)
                return True
        except OSError:
            return False

    output = run_for(["api", "--host", "127.0.0.1", "--port", str(port)], env, 30, until=signed_in)
    assert answers == [200], output[-2000:]
    assert_absent([db_password, password], output)


@pytest.mark.slow
@pytest.mark.parametrize("server", ["up", "down"])
def test_migrate_shows_the_database_without_its_password(secrets_database: str, server: str) -> None:
    db_password = secret("db-password")
    url = with_password(secrets_database, db_password)
    if server == "down":
        url = url.replace(f":{urlsplit(url).port}/", f":{free_port()}/")
    output = run_for(["migrate"], process_env(DATABASE_URL=url), 30)
    assert ("applied" in output) if server == "up" else ("error" in output), output[-2000:]
    assert "***" in output, output[-2000:]  # the database is named, its password masked
    assert_absent([db_password], output)
