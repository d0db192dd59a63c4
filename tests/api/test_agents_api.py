"""Per-agent MQTT credentials: who may issue and revoke them, the Mosquitto files rendered from them (exact
formats), and a real Mosquitto 2 broker accepting exactly what those files allow."""

from __future__ import annotations

import base64
import queue
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg
import pytest
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from edge_agent.payload import status_topic, telemetry_topic
from fluorowatch.domain.organisation import OrgPath, Site
from storage.agent_queries import (
    mosquitto_hash,
    mosquitto_verify,
    render_acl_file,
    render_password_file,
    site_topics,
)
from storage.registry import save_site
from tests.api.conftest import SITE_A, SITE_B, World

HEADER = "# Written by fluorowatch from its agent credentials; edits here are overwritten.\n"


def _issue(client: TestClient, world: World, who: str, site: str = SITE_A) -> object:
    return client.post(f"/api/v1/sites/{world.sites[site]}/agents", headers=world[who].auth)


@pytest.mark.parametrize("who", ["manager_site", "manager_branch", "admin"])
def test_the_sites_managers_and_admins_issue_a_credential_shown_once(
    client: TestClient, world: World, who: str
) -> None:
    issued = client.post(f"/api/v1/sites/{world.sites[SITE_A]}/agents", headers=world[who].auth)
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert body["site_code"] == SITE_A and body["username"].startswith(f"agent-{world.sites[SITE_A]}-")
    assert body["topic_prefix"] == f"fw/v1/{SITE_A}"
    assert body["topics"] == [f"fw/v1/{SITE_A}/+/+/telemetry", f"fw/v1/{SITE_A}/agents/+/status"]
    assert len(body["password"]) >= 32 and body["revoked_at"] is None
    with psycopg.connect(world.url) as conn:
        row = conn.execute("SELECT password_hash FROM agent_credential WHERE id = %s", (body["id"],)).fetchone()
    stored = str(row[0]) if row else ""
    assert stored.startswith("$7$101$") and body["password"] not in stored
    assert mosquitto_verify(stored, body["password"]) and not mosquitto_verify(stored, "wrong")


@pytest.mark.parametrize(("who", "code"), [("viewer", 403), ("contractor", 403), ("delegate", 403),
                                           ("manager_other", 404), ("outsider", 404)])  # fmt: skip
def test_others_cannot_issue_and_the_outsider_sees_no_site(
    client: TestClient, world: World, who: str, code: int
) -> None:
    response = client.post(f"/api/v1/sites/{world.sites[SITE_A]}/agents", headers=world[who].auth)
    assert response.status_code == code
    assert response.json()["error"]["code"] == {403: "forbidden", 404: "not_found"}[code]


def test_a_credential_is_revoked_once_by_those_who_may(client: TestClient, world: World) -> None:
    agent = client.post(f"/api/v1/sites/{world.sites[SITE_A]}/agents", headers=world["manager_site"].auth).json()
    assert client.delete(f"/api/v1/agents/{agent['id']}", headers=world["outsider"].auth).status_code == 404
    assert client.delete(f"/api/v1/agents/{agent['id']}", headers=world["viewer"].auth).status_code == 403
    revoked = client.delete(f"/api/v1/agents/{agent['id']}", headers=world["admin"].auth)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert "password" not in revoked.json()
    assert client.delete(f"/api/v1/agents/{agent['id']}", headers=world["admin"].auth).status_code == 409
    assert client.delete("/api/v1/agents/999999999", headers=world["admin"].auth).status_code == 404
    assert client.post("/api/v1/sites/999999999/agents", headers=world["admin"].auth).status_code == 404


def test_our_hash_is_mosquitto_passwds_format_both_ways(tmp_path: Path) -> None:
    salt = bytes(range(12))
    # Known answer: PBKDF2-HMAC-SHA512, 101 iterations, 12-byte salt, 64 bytes, standard base64.
    assert mosquitto_hash("secret", salt=salt).startswith("$7$101$AAECAwQFBgcICQoL$")
    if shutil.which("mosquitto_passwd") is None:
        pytest.skip("mosquitto_passwd is not installed")
    passwd = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(passwd), "someone", "their password"], check=True)
    user, stored = passwd.read_text().strip().split(":", 1)
    assert user == "someone" and stored.startswith("$7$101$")
    assert mosquitto_verify(stored, "their password") and not mosquitto_verify(stored, "their passworD")
    parts = stored.split("$")
    assert mosquitto_hash("their password", salt=base64.b64decode(parts[3])) == stored


@pytest.fixture(scope="module")
def files_db(new_migrated_database: Callable[[str], str]) -> str:
    url = new_migrated_database("agent_files")
    with psycopg.connect(url) as conn:
        site_x = save_site(conn, Site("S-1", "one", "13", "Tokyo", OrgPath.parse("Co")))
        site_y = save_site(conn, Site("S-2", "two", "13", "Tokyo", OrgPath.parse("Co")))
        conn.execute(
            """INSERT INTO agent_credential (site_id, username, password_hash, revoked_at) VALUES
                   (%s, 'agent-b', '$7$101$YWFh$YmJi', NULL), (%s, 'agent-a', '$7$101$Y2Nj$ZGRk', NULL),
                   (%s, 'agent-gone', '$7$101$ZWVl$ZmZm', now())""",
            (site_x, site_y, site_x),
        )
    return url


def test_the_password_file_lists_unrevoked_agents_and_the_given_users(files_db: str) -> None:
    with psycopg.connect(files_db) as conn:
        text = render_password_file(conn, {"ingest": "$7$101$aW5n$ZXN0"})
        assert text == (HEADER + "agent-a:$7$101$Y2Nj$ZGRk\nagent-b:$7$101$YWFh$YmJi\ningest:$7$101$aW5n$ZXN0\n")
        with pytest.raises(ValueError, match="cannot be written"):
            render_password_file(conn, {"bad:name": "$7$1$a$b"})


def test_the_acl_file_gives_each_agent_its_sites_topics_and_ingest_everything(files_db: str) -> None:
    with psycopg.connect(files_db) as conn:
        text = render_acl_file(conn, "fw", ["ingest"])
    assert text == HEADER + (
        "user ingest\ntopic read fw/v1/#\n\n"
        "user agent-a\ntopic write fw/v1/S-2/+/+/telemetry\ntopic write fw/v1/S-2/agents/+/status\n\n"
        "user agent-b\ntopic write fw/v1/S-1/+/+/telemetry\ntopic write fw/v1/S-1/agents/+/status\n"
    )
    telemetry, status = site_topics("fw", "S-1")
    assert mqtt.topic_matches_sub(telemetry, telemetry_topic("fw", "S-1", "SC-01", 2))  # the agent's own layout
    assert mqtt.topic_matches_sub(status, status_topic("fw", "S-1", "edge-1"))
    assert not mqtt.topic_matches_sub(telemetry, telemetry_topic("fw", "S-2", "SC-01", 2))


# --- a real broker, configured with the rendered files -------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Callable[[str, str], int]]:
    """``start(password_file_text, acl_file_text) -> port``: a second Mosquitto on a free port, stopped after."""
    if shutil.which("mosquitto") is None:
        pytest.skip("mosquitto is not installed")
    started: list[subprocess.Popen[bytes]] = []

    def start(passwords: str, acl: str) -> int:
        port = _free_port()
        (tmp_path / "passwd").write_text(passwords)
        (tmp_path / "acl").write_text(acl)
        (tmp_path / "mosquitto.conf").write_text(
            f"user root\nlistener {port} 127.0.0.1\nallow_anonymous false\npersistence false\n"
            f"password_file {tmp_path / 'passwd'}\nacl_file {tmp_path / 'acl'}\nlog_dest stderr\nlog_type all\n"
        )
        proc = subprocess.Popen(
            ["mosquitto", "-c", str(tmp_path / "mosquitto.conf")], stderr=(tmp_path / "log").open("wb")
        )
        started.append(proc)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return port
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    yield start
    for proc in started:
        proc.terminate()
        proc.wait(timeout=10)


def _connect(port: int, username: str, password: str) -> tuple[mqtt.Client, bool]:
    """A connected, looping client and whether the broker accepted the login."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:8]}")
    client.username_pw_set(username, password)
    done, accepted = threading.Event(), []

    def on_connect(c: mqtt.Client, userdata: object, flags: object, reason: ReasonCode, props: object) -> None:
        accepted.append(not reason.is_failure)
        done.set()

    client.on_connect = on_connect
    client.connect("127.0.0.1", port)
    client.loop_start()
    assert done.wait(10), "no CONNACK"
    return client, accepted[0]


def test_a_real_mosquitto_takes_the_rendered_files(
    client: TestClient, world: World, broker: Callable[..., int]
) -> None:
    mine = client.post(f"/api/v1/sites/{world.sites[SITE_A]}/agents", headers=world["manager_site"].auth).json()
    gone = client.post(f"/api/v1/sites/{world.sites[SITE_A]}/agents", headers=world["manager_site"].auth).json()
    client.delete(f"/api/v1/agents/{gone['id']}", headers=world["manager_site"].auth)
    ingest_password = uuid.uuid4().hex
    with psycopg.connect(world.url) as conn:
        passwords = render_password_file(conn, {"ingest": mosquitto_hash(ingest_password)})
        acl = render_acl_file(conn, "fw", ["ingest"])
    port = broker(passwords, acl)

    ingest, ok = _connect(port, "ingest", ingest_password)
    assert ok
    inbox: queue.Queue[str] = queue.Queue()
    ingest.on_message = lambda c, u, message: inbox.put(message.topic)
    subscribed = threading.Event()
    ingest.on_subscribe = lambda *args: subscribed.set()
    ingest.subscribe("fw/v1/#", qos=1)
    assert subscribed.wait(10)

    for username, password in ((mine["username"], "wrong password"), (gone["username"], gone["password"]),
                               ("nobody", "nothing")):  # fmt: skip
        refused, ok = _connect(port, username, password)
        refused.loop_stop()
        assert not ok, username

    agent, ok = _connect(port, mine["username"], mine["password"])
    assert ok
    allowed = f"fw/v1/{SITE_A}/SC-001/1/telemetry"
    for topic in (allowed, f"fw/v1/{SITE_B}/SC-001/1/telemetry", f"fw/v1/{SITE_A}/x", "elsewhere/t",
                  f"fw/v1/{SITE_A}/agents/edge-1/status"):  # fmt: skip
        agent.publish(topic, b"{}", qos=1).wait_for_publish(10)
    received = [inbox.get(timeout=10), inbox.get(timeout=10)]
    time.sleep(0.3)
    assert received == [allowed, f"fw/v1/{SITE_A}/agents/edge-1/status"]
    assert inbox.empty()  # another site's topic and anything off the layout were dropped by the broker
    for c in (agent, ingest):
        c.disconnect()
        c.loop_stop()
