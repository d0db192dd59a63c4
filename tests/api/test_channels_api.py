"""/api/v1/channels: administrators and managers configure their company's channels; errors name the field;
secrets never come back out; a broken channel shows why; another company sees none of it."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.routers.channels import MASK, mask_secrets
from tests.api.conftest import SITE_A, World

PASSWORD = "s3cret-pass-word"
WEBHOOK_SECRET = "0123456789abcdef-webhook"
EMAIL: dict[str, Any] = {
    "name": "store A manager",
    "kind": "email",
    "language": "ja",
    "config": {"host": "smtp.example.jp", "port": 587, "username": "alerts", "password": PASSWORD,
               "from_address": "alerts@example.jp", "to": ["store-a@example.jp"]},
}  # fmt: skip
WEBHOOK: dict[str, Any] = {
    "name": "building management system",
    "kind": "webhook",
    "language": "en",
    "config": {"url": "https://bms.example.jp/hooks/T0KEN-IN-PATH?key=abc", "secret": WEBHOOK_SECRET,
               "headers": {"X-Api-Key": "header-secret"}},
}  # fmt: skip


def _stored_config(world: World, channel_id: int) -> dict[str, Any]:
    with psycopg.connect(world.url) as conn:
        row = conn.execute("SELECT config FROM notification_channel WHERE id = %s", (channel_id,)).fetchone()
    assert row is not None
    return dict(row[0])


@pytest.mark.parametrize("who", ["manager_site", "admin"])
def test_a_manager_or_administrator_adds_a_channel_and_never_sees_its_secrets_again(
    client: TestClient, world: World, who: str
) -> None:
    created = client.post("/api/v1/channels", json=EMAIL, headers=world[who].auth)
    assert created.status_code == 201, created.text
    channel = created.json()
    assert channel["config"]["password"] == MASK
    assert channel["config"]["to"] == ["store-a@example.jp"]
    assert (channel["organisation_id"], channel["broken_at"], channel["broken_reason"]) == (
        world.company_id,
        None,
        None,
    )
    assert _stored_config(world, channel["id"])["password"] == PASSWORD  # the delivery job needs it
    listed = client.get("/api/v1/channels", headers=world[who].auth)
    assert channel["id"] in [c["id"] for c in listed.json()]
    assert PASSWORD not in created.text + listed.text


def test_webhook_secrets_headers_and_url_paths_are_masked(client: TestClient, world: World) -> None:
    created = client.post("/api/v1/channels", json=WEBHOOK, headers=world["manager_branch"].auth)
    assert created.status_code == 201, created.text
    config = created.json()["config"]
    assert config == {"url": f"https://bms.example.jp/{MASK}", "secret": MASK, "headers": {"X-Api-Key": MASK}}
    for secret in (WEBHOOK_SECRET, "header-secret", "T0KEN-IN-PATH"):
        assert secret not in client.get("/api/v1/channels", headers=world["manager_branch"].auth).text


@pytest.mark.parametrize("who", ["viewer", "contractor", "delegate"])
def test_people_who_are_not_administrators_or_managers_may_not_configure_channels(
    client: TestClient, world: World, who: str
) -> None:
    for response in (
        client.post("/api/v1/channels", json=EMAIL, headers=world[who].auth),
        client.get("/api/v1/channels", headers=world[who].auth),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    ("kind", "config", "field"),
    [
        ("email", {**EMAIL["config"], "port": "abc"}, "config.port"),
        ("email", {**EMAIL["config"], "port": 70000}, "config.port"),
        ("email", {k: v for k, v in EMAIL["config"].items() if k != "host"}, "config.host"),
        ("email", {**EMAIL["config"], "to": ["store-a@example.jp", "not an address"]}, "config.to.1"),
        ("email", {**EMAIL["config"], "hostname": "smtp.example.jp"}, "config.hostname"),
        ("webhook", {"url": "ftp://bms.example.jp/hook", "secret": WEBHOOK_SECRET}, "config.url"),
        ("webhook", {"url": "https://bms.example.jp/hook", "secret": "short"}, "config.secret"),
    ],
)
def test_a_malformed_configuration_is_refused_naming_the_field(
    client: TestClient, world: World, kind: str, config: dict[str, Any], field: str
) -> None:
    body = {"name": "bad", "kind": kind, "config": config}
    response = client.post("/api/v1/channels", json=body, headers=world["manager_site"].auth)
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid", field)
    assert error["message"].startswith(f"{field}: ")
    assert "short" not in error["message"]  # the offending value is not echoed: it may be a secret


@pytest.mark.parametrize(("body", "field"), [({**EMAIL, "kind": "pigeon"}, "kind"), ({**EMAIL, "name": " "}, "name"),
                                             ({**EMAIL, "language": "fr"}, "language")])  # fmt: skip
def test_the_request_itself_is_checked_naming_the_field(
    client: TestClient, world: World, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/channels", json=body, headers=world["manager_site"].auth)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == field


def test_a_file_on_the_server_cannot_be_named_through_the_api(client: TestClient, world: World) -> None:
    config = {**{k: v for k, v in EMAIL["config"].items() if k != "password"}, "password_file": "/etc/hostname"}
    response = client.post("/api/v1/channels", json={**EMAIL, "config": config}, headers=world["admin"].auth)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "config.password_file"


def test_a_broken_channel_shows_when_and_why(client: TestClient, world: World) -> None:
    channel_id = client.post("/api/v1/channels", json=EMAIL, headers=world["admin"].auth).json()["id"]
    with psycopg.connect(world.url) as conn:
        conn.execute(
            "UPDATE notification_channel SET broken_at = now(), broken_reason = '535 authentication failed' "
            "WHERE id = %s",
            (channel_id,),
        )
    (listed,) = [c for c in client.get("/api/v1/channels", headers=world["manager_site"].auth).json()
                 if c["id"] == channel_id]  # fmt: skip
    assert listed["broken_at"] is not None
    assert listed["broken_reason"] == "535 authentication failed"


def test_another_company_sees_none_of_our_channels_and_we_none_of_theirs(client: TestClient, world: World) -> None:
    ours = client.post("/api/v1/channels", json=EMAIL, headers=world["manager_site"].auth).json()["id"]
    theirs = client.post("/api/v1/channels", json=WEBHOOK, headers=world["outsider"].auth)
    assert theirs.status_code == 201
    assert theirs.json()["organisation_id"] == world.other_company_id
    seen_by_outsider = [c["id"] for c in client.get("/api/v1/channels", headers=world["outsider"].auth).json()]
    seen_by_us = [c["id"] for c in client.get("/api/v1/channels", headers=world["manager_other"].auth).json()]
    assert ours not in seen_by_outsider and theirs.json()["id"] in seen_by_outsider
    assert ours in seen_by_us and theirs.json()["id"] not in seen_by_us


def test_a_channel_made_outside_the_api_shows_to_the_company_it_is_routed_to(client: TestClient, world: World) -> None:
    with psycopg.connect(world.url) as conn:
        (channel_id,) = conn.execute(
            "INSERT INTO notification_channel (name, kind, config) VALUES ('seeded', 'email', %s) RETURNING id",
            (psycopg.types.json.Jsonb(EMAIL["config"]),),
        ).fetchone() or (0,)
        conn.execute(
            "INSERT INTO notification_route (channel_id, site_id, audience) VALUES (%s, %s, 'manager')",
            (channel_id, world.sites[SITE_A]),
        )
    assert channel_id in [c["id"] for c in client.get("/api/v1/channels", headers=world["admin"].auth).json()]
    assert channel_id not in [c["id"] for c in client.get("/api/v1/channels", headers=world["outsider"].auth).json()]


def test_masking_covers_chat_service_urls_nested_secrets_and_credentials_in_urls() -> None:
    config = {
        "urls": ["slack://TokenA/TokenB/TokenC/#alerts", "https://user:pw@ntfy.example.jp/topic"],
        "nested": {"api_key": "k", "client_secret": {"value": "v"}, "plain": "shown"},
        "password_file": "/run/secrets/smtp",
        "password": None,
    }
    assert mask_secrets(config) == {
        "urls": [f"slack://{MASK}", f"https://ntfy.example.jp/{MASK}"],
        "nested": {"api_key": MASK, "client_secret": MASK, "plain": "shown"},
        "password_file": "/run/secrets/smtp",
        "password": None,
    }
