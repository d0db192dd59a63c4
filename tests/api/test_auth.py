"""Bearer tokens, the one error shape, and the API's description, as an integration meets them."""

from __future__ import annotations

import hashlib

import psycopg
import pytest
from fastapi.testclient import TestClient

from storage.token_queries import issue_token, revoke_tokens, save_user
from tests.api.conftest import SITE_A, World
from tests.test_cli import run_cli

PROTECTED = [("GET", "/api/v1/alerts"), ("GET", "/api/v1/alerts/1"), ("GET", "/api/v1/alerts/1/history"),
             ("POST", "/api/v1/alerts/1/acknowledge"), ("POST", "/api/v1/alerts/1/resolve"),
             ("POST", "/api/v1/alerts/1/confirm-leak"), ("POST", "/api/v1/tickets"),
             ("GET", "/api/v1/channels"), ("POST", "/api/v1/channels"), ("GET", "/api/v1/session"),
             ("GET", "/api/v1/users/me"), ("GET", "/api/v1/users"), ("POST", "/api/v1/users"),
             ("POST", "/api/v1/users/1/roles"), ("DELETE", "/api/v1/users/1/roles/1"),
             ("POST", "/api/v1/sites/1/agents"), ("DELETE", "/api/v1/agents/1")]  # fmt: skip
# Signing in needs no credentials; signing out answers without a session too (there is nothing to end).
PUBLIC = {("/api/v1/session", "post")}


def _assert_unauthorized(response: object) -> None:
    assert getattr(response, "status_code", None) == 401
    assert response.headers["www-authenticate"] == "Bearer"  # type: ignore[attr-defined]
    assert response.json()["error"]["code"] == "unauthorized"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_route_needs_a_token_before_anything_else(client: TestClient, method: str, path: str) -> None:
    _assert_unauthorized(client.request(method, path))  # also before the body is checked


@pytest.mark.parametrize(
    "header", ["Bearer not-a-token", "Bearer ", "Basic dXNlcjpwYXNz", "bearer", "Token abc"], ids=repr
)
def test_a_bad_or_foreign_authorization_is_refused(client: TestClient, header: str) -> None:
    _assert_unauthorized(client.get("/api/v1/alerts", headers={"Authorization": header}))


def test_a_revoked_token_stops_working_and_others_keep_working(client: TestClient, world: World) -> None:
    with psycopg.connect(world.url) as conn:
        user_id = save_user(conn, "rotating@example.jp", "rotating")
        old_id, old = issue_token(conn, user_id, "old")
        _, new = issue_token(conn, user_id, "new")
        conn.commit()
        assert client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {old}"}).status_code == 200
        assert revoke_tokens(conn, user_id, old_id) == 1
        conn.commit()
    _assert_unauthorized(client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {old}"}))
    assert client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {new}"}).status_code == 200


def test_a_deactivated_users_token_is_refused(client: TestClient, world: World) -> None:
    with psycopg.connect(world.url) as conn:
        user_id = save_user(conn, "leaver@example.jp", "leaver")
        _, token = issue_token(conn, user_id)
        conn.execute("UPDATE app_user SET is_active = false WHERE id = %s", (user_id,))
    _assert_unauthorized(client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {token}"}))


def test_only_the_tokens_hash_is_stored_and_its_use_is_noted(client: TestClient, world: World) -> None:
    with psycopg.connect(world.url) as conn:
        user_id = save_user(conn, "hashed@example.jp")
        token_id, token = issue_token(conn, user_id)
        conn.commit()
        client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {token}"})
        row = conn.execute("SELECT token_hash, name, last_used_at FROM api_token WHERE id = %s", (token_id,))
        stored, name, last_used = row.fetchone() or (None, None, None)
    assert len(token) >= 43  # 32 random bytes, URL-safe
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (stored, name)
    assert last_used is not None


def test_errors_have_one_shape_also_for_unknown_paths_and_methods(client: TestClient, world: World) -> None:
    missing = client.get("/api/v1/nothing-here", headers=world["manager_site"].auth)
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "not_found", "message": "Not Found"}}
    wrong = client.put("/api/v1/alerts", headers=world["manager_site"].auth)
    assert wrong.status_code == 405
    assert set(wrong.json()["error"]) == {"code", "message"}
    bad_id = client.get("/api/v1/alerts/abc", headers=world["manager_site"].auth)
    assert bad_id.status_code == 422
    assert bad_id.json()["error"]["field"] == "alert_id"


def test_every_api_operation_is_described_with_a_summary_tags_and_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    scheme = spec["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    operations = [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()]
    api = [(path, method, op) for path, method, op in operations if path.startswith("/api/v1")]
    assert len(api) == 47  # resources (sites, equipment, diagnoses, inspections, tickets, movements): 13;
    # session, users and agents: 10
    for path, method, op in operations:
        assert op.get("summary") and op.get("tags"), (method, path)
    for path, method, op in api:
        if (path, method) in PUBLIC:
            assert "security" not in op, (method, path)
        elif (path, method) == ("/api/v1/session", "delete"):
            assert op.get("security") == [{"session": []}], (method, path)
        else:  # a bearer token or the session cookie
            assert op.get("security") == [{"bearer": []}, {"session": []}], (method, path)
        for status, response in op["responses"].items():
            content = response["content"]["application/json"]
            assert "example" in content, (method, path, status)
            if not status.startswith("2"):
                # The one error shape; an import's 422 extends it with the file's bad rows.
                schema = spec["components"]["schemas"][content["schema"]["$ref"].rsplit("/", 1)[-1]]
                assert schema["properties"]["error"] == {"$ref": "#/components/schemas/ErrorDetail"}, (method, path)
        assert "401" in op["responses"] and any(status.startswith("2") for status in op["responses"])


def test_the_users_command_adds_a_manager_whose_token_works_until_revoked(
    client: TestClient, world: World, leak_alert: int
) -> None:
    env = {"DATABASE_URL": world.url}
    added = run_cli("users", "add", "--email", "cli-manager@example.jp", "--role", "manager", "--site", SITE_A, env=env)
    assert added.returncode == 0, added.stderr
    assert "manager at site API-A" in added.stdout
    issued = run_cli("users", "token", "--email", "CLI-Manager@example.jp", "--name", "BMS", env=env)
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    assert "shown once" in issued.stderr and token not in issued.stderr
    auth = {"Authorization": f"Bearer {token}"}
    assert leak_alert in [a["id"] for a in client.get("/api/v1/alerts", headers=auth).json()]
    assert client.post(f"/api/v1/alerts/{leak_alert}/acknowledge", headers=auth).status_code == 200
    revoked = run_cli("users", "revoke", "--email", "cli-manager@example.jp", env=env)
    assert "1 token(s) revoked" in revoked.stdout
    _assert_unauthorized(client.get("/api/v1/alerts", headers=auth))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "--email", "x@example.jp", "--role", "contractor", "--site", SITE_A], "--contractor REG_NO"),
        (["add", "--email", "x@example.jp", "--role", "viewer", "--site", "NOWHERE"], "--site NOWHERE: no such site"),
        (["add", "--email", "x@example.jp", "--role", "viewer", "--organisation", "Nobody/Kanto"], "no such organ"),
        (["add", "--email", "not-an-address", "--role", "viewer", "--site", SITE_A], "not an e-mail address"),
        (["token", "--email", "nobody@example.jp"], "no such user"),
    ],
)
def test_the_users_command_explains_what_is_wrong_in_one_line(world: World, args: list[str], message: str) -> None:
    result = run_cli("users", *args, env={"DATABASE_URL": world.url})
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
