"""/api/v1/delegates: a manager names a delegate, who may then acknowledge the manager's leak alerts, until the
manager revokes them; revoking keeps the row."""

from __future__ import annotations

import itertools

import psycopg
import pytest
from fastapi.testclient import TestClient

from storage.token_queries import issue_token, save_user
from tests.api.conftest import SITE_B, NewAlert, Persona, World

_people = itertools.count(1)


def _new_person(world: World) -> tuple[Persona, str]:
    """A fresh user with no role (so no test depends on another's delegations) and their e-mail address."""
    name = f"deputy{next(_people)}"
    email = f"{name}@example.jp"
    with psycopg.connect(world.url) as conn:
        user_id = save_user(conn, email, name)
        _, token = issue_token(conn, user_id, "test")
    return Persona(name, user_id, token), email


def test_a_named_delegate_acknowledges_the_managers_leak_alert_until_revoked(
    client: TestClient, world: World, new_alert: NewAlert
) -> None:
    deputy, email = _new_person(world)
    manager = world["manager_site"].auth
    before = client.post(f"/api/v1/alerts/{new_alert()}/acknowledge", headers=deputy.auth)
    assert before.status_code == 403

    named = client.post("/api/v1/delegates", json={"delegate_email": email.upper()}, headers=manager)
    assert named.status_code == 201, named.text
    delegate = named.json()
    assert (delegate["manager_user_id"], delegate["delegate_user_id"], delegate["delegate_email"]) == (
        world["manager_site"].user_id, deputy.user_id, email)  # fmt: skip
    assert delegate["revoked_at"] is None
    assert delegate["id"] in [d["id"] for d in client.get("/api/v1/delegates", headers=manager).json()]

    acknowledged = client.post(f"/api/v1/alerts/{new_alert()}/acknowledge", headers=deputy.auth)
    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["allowed_as"] == "delegate of manager_site"
    elsewhere = client.post(f"/api/v1/alerts/{new_alert(site=SITE_B)}/acknowledge", headers=deputy.auth)
    assert elsewhere.status_code == 403  # the manager's delegate, for the manager's sites only

    revoked = client.post(f"/api/v1/delegates/{delegate['id']}/revoke", headers=manager)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    assert delegate["id"] not in [d["id"] for d in client.get("/api/v1/delegates", headers=manager).json()]
    after = client.post(f"/api/v1/alerts/{new_alert()}/acknowledge", headers=deputy.auth)
    assert after.status_code == 403
    assert after.json()["error"]["code"] == "forbidden"

    again = client.post(f"/api/v1/delegates/{delegate['id']}/revoke", headers=manager)
    assert again.status_code == 409
    with psycopg.connect(world.url) as conn:  # kept, not deleted
        assert conn.execute("SELECT count(*) FROM alert_delegate WHERE id = %s", (delegate["id"],)).fetchone() == (1,)


@pytest.mark.parametrize("who", ["viewer", "contractor", "admin", "delegate"])
def test_only_a_manager_names_a_delegate(client: TestClient, world: World, who: str) -> None:
    _, email = _new_person(world)
    response = client.post("/api/v1/delegates", json={"delegate_email": email}, headers=world[who].auth)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_only_the_manager_who_named_a_delegate_revokes_them(client: TestClient, world: World) -> None:
    _, email = _new_person(world)
    delegate_id = client.post("/api/v1/delegates", json={"delegate_email": email},
                              headers=world["manager_site"].auth).json()["id"]  # fmt: skip
    for who in ("manager_branch", "admin", "outsider"):
        response = client.post(f"/api/v1/delegates/{delegate_id}/revoke", headers=world[who].auth)
        assert response.status_code == 403
        assert delegate_id not in [d["id"] for d in client.get("/api/v1/delegates", headers=world[who].auth).json()]
    missing = client.post("/api/v1/delegates/999999999/revoke", headers=world["manager_site"].auth)
    assert missing.status_code == 404
    assert client.post(f"/api/v1/delegates/{delegate_id}/revoke", headers=world["manager_site"].auth).status_code == 200


@pytest.mark.parametrize(
    ("email", "field", "code"),
    [("nobody@example.jp", "delegate_email", 422), ("manager_site@example.jp", "delegate_email", 422),
     ("delegate@example.jp", None, 409), ("", "delegate_email", 422)],
)  # fmt: skip
def test_an_unknown_self_or_repeated_delegate_is_refused(
    client: TestClient, world: World, email: str, field: str | None, code: int
) -> None:
    response = client.post("/api/v1/delegates", json={"delegate_email": email}, headers=world["manager_site"].auth)
    assert response.status_code == code, response.text
    assert response.json()["error"].get("field") == field
