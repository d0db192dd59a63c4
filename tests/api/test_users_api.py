"""/api/v1/users: the caller, and administrators managing the people of their company, and only theirs."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from api.app import create_app
from fluorowatch.passwords import hash_password
from storage.session_queries import set_password_hash
from storage.token_queries import grant_role, issue_token, save_user
from tests.api.conftest import SITE_A, SITE_B, SITE_C, Persona, World

COMPANY_PEOPLE = {"manager_site", "manager_branch", "viewer", "admin", "manager_other"}


@pytest.fixture(scope="module")
def other_admin(world: World) -> Persona:
    """An administrator of the other company."""
    with psycopg.connect(world.url) as conn:
        user_id = save_user(conn, "other_admin@example.jp", "other_admin")
        grant_role(conn, user_id, "admin", organisation_id=world.other_company_id)
        _, token = issue_token(conn, user_id)
    return Persona("other_admin", user_id, token)


def _names(users: list[dict[str, Any]]) -> set[str]:
    return {u["display_name"] for u in users}


def test_everyone_reads_themselves(client: TestClient, world: World) -> None:
    me = client.get("/api/v1/users/me", headers=world["contractor"].auth).json()
    assert me["user"]["id"] == world["contractor"].user_id and me["roles"] == ["contractor"]
    assert me["grants"][0]["scope"] == "contractor" and me["grants"][0]["scope_name"] == "Reito Service"


def test_an_admin_lists_the_people_of_the_company_with_their_roles_there(client: TestClient, world: World) -> None:
    users = client.get("/api/v1/users", headers=world["admin"].auth).json()
    assert _names(users) >= COMPANY_PEOPLE
    assert not {"outsider", "contractor", "delegate"} & _names(users)
    branch = next(u for u in users if u["display_name"] == "manager_branch")
    assert branch["grants"] == [{"id": branch["grants"][0]["id"], "role": "manager", "scope": "organisation",
                                 "scope_id": world.branch_id, "scope_name": "Kanto"}]  # fmt: skip


@pytest.mark.parametrize("who", ["manager_site", "manager_branch", "viewer", "contractor", "delegate", "outsider"])
def test_only_admins_manage_users(client: TestClient, world: World, who: str) -> None:
    auth = world[who].auth
    assert client.get("/api/v1/users", headers=auth).status_code == 403
    new = {"email": f"by-{who}@example.jp", "role": "viewer", "site_id": world.sites[SITE_A]}
    assert client.post("/api/v1/users", json=new, headers=auth).status_code == 403
    target = world["viewer"].user_id
    role = {"role": "admin", "site_id": world.sites[SITE_A]}
    refused = client.post(f"/api/v1/users/{target}/roles", json=role, headers=auth)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert client.delete(f"/api/v1/users/{target}/roles/1", headers=auth).status_code == 403


def test_an_admin_adds_a_person_gives_and_takes_roles(client: TestClient, world: World) -> None:
    auth = world["admin"].auth
    body = {"email": "new-hire@example.jp", "display_name": "New Hire", "preferred_language": "en",
            "role": "viewer", "site_id": world.sites[SITE_A]}  # fmt: skip
    created = client.post("/api/v1/users", json=body, headers=auth)
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["preferred_language"] == "en" and [g["role"] for g in user["grants"]] == ["viewer"]
    assert client.post("/api/v1/users", json=body, headers=auth).status_code == 409
    given = client.post(f"/api/v1/users/{user['id']}/roles", json={"role": "manager", "organisation_id":
                                                                   world.branch_id}, headers=auth)  # fmt: skip
    assert given.status_code == 201 and len(given.json()["grants"]) == 2
    assert "New Hire" in _names(client.get("/api/v1/users", headers=auth).json())
    viewer_role = user["grants"][0]["id"]
    taken = client.delete(f"/api/v1/users/{user['id']}/roles/{viewer_role}", headers=auth)
    assert taken.status_code == 200 and [g["role"] for g in taken.json()["grants"]] == ["manager"]
    assert client.delete(f"/api/v1/users/{user['id']}/roles/{viewer_role}", headers=auth).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "viewer", "site_id": "C"}, "site_id"),
        ({"role": "viewer", "organisation_id": "other"}, "organisation_id"),
        ({"role": "contractor", "site_id": "A"}, "role"),
        ({"role": "viewer", "site_id": "A", "organisation_id": "branch"}, None),
    ],
)
def test_roles_are_given_only_within_the_admins_company(
    client: TestClient, world: World, body: dict[str, Any], field: str | None
) -> None:
    ids = {"A": world.sites[SITE_A], "C": world.sites[SITE_C], "other": world.other_company_id,
           "branch": world.branch_id}  # fmt: skip
    resolved = {k: ids.get(v, v) if k != "role" else v for k, v in body.items()}
    response = client.post(f"/api/v1/users/{world['viewer'].user_id}/roles", json=resolved,
                           headers=world["admin"].auth)  # fmt: skip
    assert response.status_code == 422
    assert response.json()["error"].get("field") == field


def test_another_companys_admin_sees_and_touches_nothing_of_the_company(
    client: TestClient, world: World, other_admin: Persona
) -> None:
    auth = other_admin.auth
    users = client.get("/api/v1/users", headers=auth).json()
    assert _names(users) == {"outsider", "other_admin"}
    assert not any(g["scope_id"] in world.sites.values() for u in users for g in u["grants"] if g["scope"] == "site")
    manager = world["manager_site"].user_id
    role = {"role": "viewer", "organisation_id": world.other_company_id}
    assert client.post(f"/api/v1/users/{manager}/roles", json=role, headers=auth).status_code == 404
    their_roles = client.get("/api/v1/users", headers=world["admin"].auth).json()
    grant_id = next(u for u in their_roles if u["id"] == manager)["grants"][0]["id"]
    assert client.delete(f"/api/v1/users/{manager}/roles/{grant_id}", headers=auth).status_code == 404
    sneaky = {"email": "intruder@example.jp", "role": "manager", "site_id": world.sites[SITE_B]}
    assert client.post("/api/v1/users", json=sneaky, headers=auth).status_code == 422


def test_an_admin_signed_in_on_the_web_needs_csrf_to_change_roles(pool: ConnectionPool, world: World) -> None:
    with psycopg.connect(world.url) as conn:
        user_id = save_user(conn, "web-admin@example.jp", "web-admin")
        grant_role(conn, user_id, "admin", organisation_id=world.company_id)
        set_password_hash(conn, user_id, hash_password("web-admin-password"))
    with TestClient(create_app(pool)) as web:
        signed_in = web.post(
            "/api/v1/session", json={"email": "web-admin@example.jp", "password": "web-admin-password"}
        )
        assert signed_in.status_code == 200 and signed_in.json()["roles"] == ["admin"]
        assert web.get("/api/v1/users").status_code == 200
        body = {"email": "web-added@example.jp", "role": "viewer", "site_id": world.sites[SITE_B]}
        assert web.post("/api/v1/users", json=body).status_code == 403
        added = web.post("/api/v1/users", json=body, headers={"X-CSRF-Token": web.cookies["fw_csrf"]})
        assert added.status_code == 201
